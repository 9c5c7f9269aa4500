#!/usr/bin/env bash
# Does an unpinned meridiand (threads = 0) use both cores? (issue 20, item 5)
#   1core    meridiand --threads 0 pinned to cpu 0 (so one API thread), wrk pinned to cpu 1
#   2cores   meridiand --threads 0 unpinned (two API threads), wrk unpinned: the daemon and
#            the load generator share both cores, as they would on a 2-core host
# For each, requests/s and the daemon's CPU use (cores busy over the run, from /proc), so
# requests per daemon CPU-second show whether the second thread is work or contention.
# Rounds alternate the two configurations; the table gives medians.
#
#   bench/cores_bench.sh                       # ROUNDS=3 DURATION=10 WORKLOADS="get put"
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
WORKLOADS="${WORKLOADS:-get put}"
need wrk
need taskset
need curl
[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs"

WORK_DIR="$(mktemp -d /tmp/meridian-cores.XXXXXX)"
declare -A PIDS=() PORTS=()
cleanup_all() {
  local rc=$?
  for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  for name in "${!PIDS[@]}"; do wait "${PIDS[$name]}" 2>/dev/null || true; done
  rm -rf "$WORK_DIR"
  exit "$rc"
}
trap cleanup_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() {  # start NAME PIN_PREFIX...
  local name="$1" admin; shift
  PORTS[$name]="$(free_port)"; admin="$(free_port)"
  mkdir -p "$WORK_DIR/$name"
  "$@" "$MERIDIAND" --region us-east-1 --data-dir "$WORK_DIR/$name" \
    --listen "127.0.0.1:${PORTS[$name]}" --admin-listen "127.0.0.1:$admin" --threads 0 \
    >"$WORK_DIR/$name.log" 2>&1 &
  PIDS[$name]=$!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$admin/healthz" 2>/dev/null && break
    kill -0 "${PIDS[$name]}" 2>/dev/null || die "$name exited"
    sleep 0.1
  done
  grep -o 'threads=[0-9]*' "$WORK_DIR/$name.log" | head -1 | sed "s/^/$name: /" >&2
  "$PYTHON" "$BENCH_DIR_SRC/preload.py" --endpoint "http://127.0.0.1:${PORTS[$name]}" \
    --table "$BENCH_TABLE" --items "$BENCH_ITEMS" >&2 || die "preload of $name failed"
}
start 1core taskset -c 0
start 2cores env

RESULTS="$WORK_DIR/results.tsv"
: >"$RESULTS"
hz="$(getconf CLK_TCK)"
printf '%-6s %-6s %-7s %12s %10s %12s %8s\n' round load config "requests/s" p99 "daemon cores" errors
for round in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    for c in 1core 2cores; do
      [ $((round % 2)) = 0 ] && c=$([ "$c" = 1core ] && echo 2cores || echo 1core)
      pin=(env); [ "$c" = 1core ] && pin=(taskset -c 1)
      quiesce "${PIDS[@]}"
      before="$(cpu_ticks "${PIDS[$c]}")"
      out="$WORK_DIR/wrk-$w-$c-$round.txt"
      timeout $((DURATION + 60)) "${pin[@]}" wrk -t2 -c32 -d"${DURATION}s" --latency \
        -s "$BENCH_DIR_SRC/lua/$w.lua" "http://127.0.0.1:${PORTS[$c]}/" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk $w on $c failed"; }
      after="$(cpu_ticks "${PIDS[$c]}")"
      line="$(grep '^MERIDIAN_RESULT' "$out" | tail -1)"
      cores="$(awk -v t=$((after - before)) -v hz="$hz" -v d="$DURATION" 'BEGIN{printf "%.2f", t/hz/d}')"
      errors=$(( $(field "$line" non2xx) + $(field "$line" sock_connect) + $(field "$line" sock_read) +
                 $(field "$line" sock_write) + $(field "$line" sock_timeout) ))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$w" "$c" "$(field "$line" rps)" \
        "$(field "$line" p99_us)" "$cores" "$errors" >>"$RESULTS"
      printf '%-6s %-6s %-7s %12s %10s %12s %8s\n' "$round" "$w" "$c" "$(field "$line" rps)" \
        "$(fmt_us "$(field "$line" p99_us)")" "$cores" "$errors"
    done
  done
done
echo
echo "medians over $ROUNDS rounds (wrk -t2 -c32 -d${DURATION}s, $BENCH_ITEMS items):"
"$PYTHON" - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
print(f"{'load':<6} {'config':<7} {'requests/s':>12} {'p99':>9} {'daemon cores':>13} {'req per daemon cpu-s':>21}")
for w in dict.fromkeys(r[1] for r in rows):
    for c in ("1core", "2cores"):
        rs = [r for r in rows if r[1] == w and r[2] == c]
        rps = statistics.median(float(r[3]) for r in rs)
        p99 = statistics.median(float(r[4]) for r in rs) / 1000
        cores = statistics.median(float(r[5]) for r in rs)
        print(f"{w:<6} {c:<7} {rps:>12,.0f} {p99:>8.2f}ms {cores:>13.2f} {rps / cores:>21,.0f}")
PY
