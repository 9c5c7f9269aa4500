#!/usr/bin/env bash
# The request path against its peers, in one interleaved run (issue 20): GetItem, PutItem and
# UpdateItem ADD requests/s and latency of
#   ceiling        bench/null_server.c: a do-nothing epoll server, fixed 200 reply
#   ceiling-ddb    the same built with -DDYNAMODB_REPLY: a reply of the size and headers of
#                  meridiand's GetItem reply (what the load generator itself pays for one)
#   floor          build/bin/rocksdb_floor (bench/rocksdb_floor.cc): the ceiling's loop plus one
#                  RocksDB write per PutItem/UpdateItem (read per GetItem) with meridiand's
#                  options, no JSON: the floor under any server that keeps items in RocksDB
#   floor-log      the same, adding what DESIGN.md puts in every write's batch: a change-log
#                  record with the full item (sequential key, own column family), seq counter
#   meridiand      build/bin/meridiand, one API thread
#   dynalite       dynalite 4.0.0 (npm; installed into ~/.cache/meridian-bench on first use)
# every server pinned to SERVER_CPU (0), wrk -t2 -c32 on CLIENT_CPU (1), 100k items of
# 200 bytes preloaded, bench/lua/<workload>.lua (which checks every reply). Each round runs
# every workload against every server, in an order that rotates from round to round; the
# table gives medians over the rounds and meridiand's ratios to the others.
#
#   bench/request_path_bench.sh                  # ROUNDS=3 DURATION=10
#   ROUNDS=5 DURATION=20 WORKLOADS="get put" bench/request_path_bench.sh
#   SKIP_DYNALITE=1 ...                          # without dynalite
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
WORKLOADS="${WORKLOADS:-get put update_add}"
DYNALITE_DIR="${DYNALITE_DIR:-$HOME/.cache/meridian-bench/dynalite}"
need wrk
need taskset
need cc
need curl

WORK_DIR="$(mktemp -d /tmp/meridian-peers.XXXXXX)"
declare -A PIDS=() PORTS=()
cleanup_all() {
  local rc=$?
  for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  for name in "${!PIDS[@]}"; do wait "${PIDS[$name]}" 2>/dev/null || true; done
  if [ "${KEEP_BENCH_DIR:-0}" = 1 ]; then log "kept $WORK_DIR"; else rm -rf "$WORK_DIR"; fi
  exit "$rc"
}
trap cleanup_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_http() {  # wait_http NAME URL
  for _ in $(seq 1 300); do
    kill -0 "${PIDS[$1]}" 2>/dev/null || { tail -20 "$WORK_DIR/$1.log" >&2; die "$1 exited"; }
    curl -sS -o /dev/null --max-time 1 "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  die "$1 did not answer at $2"
}

start_null() {  # start_null NAME [CFLAGS]
  cc -O2 ${2:-} -o "$WORK_DIR/$1" "$BENCH_DIR_SRC/null_server.c"
  PORTS[$1]="$(free_port)"
  # shellcheck disable=SC2046
  $(server_pin) "$WORK_DIR/$1" "${PORTS[$1]}" >"$WORK_DIR/$1.log" 2>&1 &
  PIDS[$1]=$!
  wait_http "$1" "http://127.0.0.1:${PORTS[$1]}/"
}

start_floor() {  # start_floor NAME [log]
  PORTS[$1]="$(free_port)"
  # shellcheck disable=SC2046
  $(server_pin) "$(dirname "$MERIDIAND")/rocksdb_floor" "${PORTS[$1]}" "$WORK_DIR/$1-data" \
    "$BENCH_ITEMS" ${2:-} >"$WORK_DIR/$1.log" 2>&1 &
  PIDS[$1]=$!
  wait_http "$1" "http://127.0.0.1:${PORTS[$1]}/"
}

start_meridiand() {
  local admin
  PORTS[meridiand]="$(free_port)"; admin="$(free_port)"
  mkdir -p "$WORK_DIR/meridiand-data"
  # shellcheck disable=SC2046
  $(server_pin) "$MERIDIAND" --region us-east-1 --data-dir "$WORK_DIR/meridiand-data" \
    --listen "127.0.0.1:${PORTS[meridiand]}" --admin-listen "127.0.0.1:$admin" --threads 1 \
    >"$WORK_DIR/meridiand.log" 2>&1 &
  PIDS[meridiand]=$!
  wait_http meridiand "http://127.0.0.1:$admin/healthz"
}

start_dynalite() {
  if [ ! -x "$DYNALITE_DIR/node_modules/.bin/dynalite" ]; then
    need npm
    log "installing dynalite 4.0.0 into $DYNALITE_DIR (npm)"
    mkdir -p "$DYNALITE_DIR"
    (cd "$DYNALITE_DIR" && npm install --silent --no-audit --no-fund dynalite@4.0.0 >/dev/null)
  fi
  PORTS[dynalite]="$(free_port)"
  mkdir -p "$WORK_DIR/dynalite-data"
  # shellcheck disable=SC2046
  $(server_pin) "$DYNALITE_DIR/node_modules/.bin/dynalite" --port "${PORTS[dynalite]}" \
    --path "$WORK_DIR/dynalite-data" >"$WORK_DIR/dynalite.log" 2>&1 &
  PIDS[dynalite]=$!
  wait_http dynalite "http://127.0.0.1:${PORTS[dynalite]}/"
}

SERVERS=(ceiling ceiling-ddb floor floor-log meridiand)
start_null ceiling
start_null ceiling-ddb -DDYNAMODB_REPLY
start_floor floor
start_floor floor-log log
start_meridiand
if [ "${SKIP_DYNALITE:-0}" != 1 ]; then
  start_dynalite
  SERVERS+=(dynalite)
fi
for s in meridiand dynalite; do
  [ -n "${PORTS[$s]:-}" ] || continue
  log "preloading $BENCH_ITEMS items into $s"
  # shellcheck disable=SC2046
  $(client_pin) "$PYTHON" "$BENCH_DIR_SRC/preload.py" --endpoint "http://127.0.0.1:${PORTS[$s]}" \
    --table "$BENCH_TABLE" --items "$BENCH_ITEMS" >&2 || die "preload of $s failed"
done
log "servers (cpu $SERVER_CPU): $(for s in "${SERVERS[@]}"; do printf '%s :%s  ' "$s" "${PORTS[$s]}"; done)"

RESULTS="$WORK_DIR/results.tsv"
: >"$RESULTS"
printf '%-6s %-11s %-12s %12s %10s %10s %8s\n' round workload server "requests/s" p50 p99 errors
for round in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    n=${#SERVERS[@]}
    for k in $(seq 0 $((n - 1))); do
      s=${SERVERS[$(( (round + k) % n ))]}
      out="$WORK_DIR/wrk-$w-$s-$round.txt"
      quiesce "${PIDS[@]}"
      # shellcheck disable=SC2046
      timeout $((DURATION + 60)) $(client_pin) wrk -t2 -c32 -d"${DURATION}s" --latency \
        -s "$BENCH_DIR_SRC/lua/$w.lua" "http://127.0.0.1:${PORTS[$s]}/" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk $w on $s failed"; }
      line="$(grep '^MERIDIAN_RESULT' "$out" | tail -1)"
      kill -0 "${PIDS[$s]}" 2>/dev/null || die "$s died during $w"
      errors=$(( $(field "$line" non2xx) + $(field "$line" sock_connect) + $(field "$line" sock_read) +
                 $(field "$line" sock_write) + $(field "$line" sock_timeout) ))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$w" "$s" "$(field "$line" rps)" \
        "$(field "$line" p50_us)" "$(field "$line" p99_us)" "$errors" >>"$RESULTS"
      printf '%-6s %-11s %-12s %12s %10s %10s %8s\n' "$round" "$w" "$s" "$(field "$line" rps)" \
        "$(fmt_us "$(field "$line" p50_us)")" "$(fmt_us "$(field "$line" p99_us)")" "$errors"
    done
  done
done

echo
echo "medians over $ROUNDS rounds (wrk -t2 -c32 -d${DURATION}s, $BENCH_ITEMS items, servers on cpu $SERVER_CPU):"
"$PYTHON" - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for rnd, w, s, rps, p50, p99, err in rows:
    by.setdefault((w, s), []).append((float(rps), float(p99), int(err), int(rnd)))
workloads = list(dict.fromkeys(r[1] for r in rows))
servers = list(dict.fromkeys(r[2] for r in rows))
print(f"{'workload':<11} " + " ".join(f"{s + ' /s':>14} {'p99':>8}" for s in servers) + "   errors")
for w in workloads:
    cells, errors = [], 0
    for s in servers:
        runs = by.get((w, s), [])
        errors += sum(r[2] for r in runs) if s == "meridiand" else 0
        cells.append(f"{statistics.median(r[0] for r in runs):>14,.0f} "
                     f"{statistics.median(r[1] for r in runs) / 1000:>7.2f}ms")
    print(f"{w:<11} " + " ".join(cells) + f"   {errors}")
print()
def ratios_of(subject, peers, title):
    if not any(k[1] == subject for k in by):
        return
    print(title)
    for w in workloads:
        mine = {r[3]: r[0] for r in by.get((w, subject), [])}
        parts = []
        for s in servers:
            if s not in peers:
                continue
            ratios = [mine[r[3]] / r[0] for r in by[(w, s)] if r[0] > 0 and r[3] in mine]
            if ratios:
                parts.append(f"{s} {statistics.median(ratios):.2f}x")
        print(f"  {w:<11} " + ", ".join(parts))

ceilings = ("ceiling", "ceiling-ddb")
ratios_of("meridiand", [s for s in servers if s != "meridiand"],
          "meridiand's ratio to each peer (median of the per-round ratios):")
ratios_of("floor", ceilings, "the floor's ratio to the ceilings (meridiand's ratio cannot exceed it):")
ratios_of("floor-log", ceilings, "floor-log's ratio to the ceilings (the floor of this design's write):")
PY
