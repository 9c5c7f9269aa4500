#!/usr/bin/env bash
# SigV4 verification cost (issue 18): PutItem and GetItem requests/s with authentication
# off, on (one access key, no policy) and on with an IAM policy (the seed's sample: Get,
# Put, Scan, UpdateItem on the table), interleaved, on identical data and pinning.
#
#   bench/sigv4_bench.sh                 # DURATION=10 ROUNDS=5 COUNT=20000
#
# One data dir is preloaded with $BENCH_ITEMS items and copied three times; three
# meridiand (pinned to SERVER_CPU) serve the copies, only one under load at a time. Each
# run replays COUNT requests signed by botocore (bench/presign.py, made just before the
# run, for that server's Host) with wrk -t2 -c32 on CLIENT_CPU (bench/lua/presigned.lua):
# the same bytes reach every server; the "off" one ignores the signature. This machine's
# throughput drifts by 30 % within a minute (a shared VM), so the three variants run back to
# back in every round, in an order that rotates from round to round, each after the servers'
# background work (flushes, compactions on the same CPU) has settled. Prints each run, then
# per operation the median requests/s and the median of the per-round ratios to "off".
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-5}"
COUNT="${COUNT:-20000}"
KEY_ID=$BENCH_KEY_ID
SECRET=$BENCH_SECRET
need wrk; need curl; need taskset; need "$PYTHON"

declare -A PIDS=() PORTS=() ADMINS=()
bench_cleanup() {
  local rc=$?
  set +e
  for v in "${!PIDS[@]}"; do kill -TERM "${PIDS[$v]}" 2>/dev/null; done
  for v in "${!PIDS[@]}"; do wait "${PIDS[$v]}" 2>/dev/null; done
  [ -n "$WORK_DIR" ] && [ "${KEEP_BENCH_DIR:-0}" != 1 ] && rm -rf "$WORK_DIR"
  exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
WORK_DIR="$(mktemp -d /tmp/meridian-sigv4-bench.XXXXXX)"

# serve NAME DATA_DIR [CONFIG]: starts a pinned meridiand, waits for /healthz.
serve() {
  local name=$1 data=$2 config=${3:-} port admin
  port="$(free_port)"; admin="$(free_port)"
  # shellcheck disable=SC2046
  $(server_pin) "$MERIDIAND" --region us-east-1 --data-dir "$data" \
    --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" ${config:+--config "$config"} \
    >"$WORK_DIR/$name.log" 2>&1 &
  PIDS[$name]=$!; PORTS[$name]=$port; ADMINS[$name]=$admin
  for _ in $(seq 1 300); do
    kill -0 "${PIDS[$name]}" 2>/dev/null || { tail -20 "$WORK_DIR/$name.log" >&2; die "$name exited"; }
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$admin/healthz" 2>/dev/null && return 0
    sleep 0.1
  done
  die "$name not healthy after 30 s"
}
stop() { kill -TERM "${PIDS[$1]}"; wait "${PIDS[$1]}" || true; unset "PIDS[$1]"; }
# Preload once (no keys), then three identical copies.
serve preload "$WORK_DIR/data-off"
ENDPOINT="http://127.0.0.1:${PORTS[preload]}"
log "preloading $BENCH_ITEMS items"
# shellcheck disable=SC2046
$(client_pin) "$PYTHON" "$BENCH_DIR_SRC/preload.py" --endpoint "$ENDPOINT" --table "$BENCH_TABLE" \
  --items "$BENCH_ITEMS" >&2 || die "preload failed"
stop preload
cp -a "$WORK_DIR/data-off" "$WORK_DIR/data-sigv4"
cp -a "$WORK_DIR/data-off" "$WORK_DIR/data-policy"

write_auth_configs "$WORK_DIR"
serve off "$WORK_DIR/data-off"
serve sigv4 "$WORK_DIR/data-sigv4" "$WORK_DIR/sigv4.toml"
serve policy "$WORK_DIR/data-policy" "$WORK_DIR/policy.toml"
log "servers: off :${PORTS[off]}, sigv4 :${PORTS[sigv4]}, policy :${PORTS[policy]} (cpu $SERVER_CPU)"

declare -a ROWS=()
failed=0
VARIANTS=(off sigv4 policy)
for round in $(seq 1 "$ROUNDS"); do
  for op in put get; do
    for k in 0 1 2; do
      v=${VARIANTS[$(( (round + k) % 3 ))]}
      url="http://127.0.0.1:${PORTS[$v]}"
      req="$WORK_DIR/$op-$v.req"
      "$PYTHON" "$BENCH_DIR_SRC/presign.py" --endpoint "$url" --op "$op" --count "$COUNT" \
        --items "$BENCH_ITEMS" --table "$BENCH_TABLE" --key-id "$KEY_ID" --secret "$SECRET" --out "$req"
      out="$WORK_DIR/wrk-$op-$v-$round.txt"
      quiesce "${PIDS[@]}"
      # shellcheck disable=SC2046
      PRESIGNED_FILE="$req" IS_READ=$([ "$op" = get ] && echo 1 || echo 0) \
        timeout $((DURATION + 60)) $(client_pin) wrk -t2 -c32 -d"${DURATION}s" --latency \
        -s "$BENCH_DIR_SRC/lua/presigned.lua" "$url/" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
      line="$(grep '^MERIDIAN_RESULT' "$out" | tail -1)" || { cat "$out" >&2; die "no result line"; }
      kill -0 "${PIDS[$v]}" 2>/dev/null || die "server $v died"
      errs=$(( $(field "$line" non2xx) + $(field "$line" sock_connect) + $(field "$line" sock_read) + $(field "$line" sock_write) + $(field "$line" sock_timeout) + $(field "$line" misses) ))
      [ "$errs" = 0 ] || failed=1
      row="$(printf '%-5s %-4s %-7s %12s %10s %10s %8s' "$round" "$op" "$v" "$(field "$line" rps)" \
        "$(fmt_us "$(field "$line" p50_us)")" "$(fmt_us "$(field "$line" p99_us)")" "$errs")"
      ROWS+=("$row"); log "$row"
    done
  done
done

echo
echo "SigV4 verification: $BENCH_ITEMS items, $COUNT signed requests replayed, wrk -t2 -c32 -d${DURATION}s, $ROUNDS rounds"
printf '%-5s %-4s %-7s %12s %10s %10s %8s\n' round op auth "requests/s" p50 p99 errors
for r in "${ROWS[@]}"; do echo "$r"; done
printf '%s\n' "${ROWS[@]}" | sort -k2,2 -k1,1n -k3,3 | awk '
  function median(a, n,   i, j, t) {  # sorts a[1..n] in place
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { rps[$2, $3, $1] = $4; rounds[$1] = 1; ops[$2] = 1 }
  END {
    split("put get", order, " ")
    for (o = 1; o <= 2; o++) {
      op = order[o]; line = op ":"
      split("off sigv4 policy", vs, " ")
      for (x = 1; x <= 3; x++) {
        n = 0; m = 0; delete r; delete q
        for (rd in rounds) {
          r[++n] = rps[op, vs[x], rd]
          if (x > 1) q[++m] = 100 * rps[op, vs[x], rd] / rps[op, "off", rd]
        }
        line = line sprintf(" %s %.0f/s", vs[x] == "policy" ? "sigv4+policy" : vs[x], median(r, n))
        if (x > 1) line = line sprintf(" (%.1f %%)", median(q, m))
        line = line (x < 3 ? "," : "")
      }
      print line
    }
    print "(median requests/s over the rounds; in brackets the median of the per-round ratios to off)"
  }'
[ "$failed" = 0 ] || { log "some requests failed (errors column)"; exit 2; }
