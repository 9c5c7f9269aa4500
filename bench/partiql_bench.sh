#!/usr/bin/env bash
# PartiQL SELECT by key against GetItem (issue 22: ExecuteStatement >= 80 % of GetItem's
# requests/s). One meridiand (pinned to SERVER_CPU, one API thread) with $BENCH_ITEMS items;
# wrk -t2 -c32 on CLIENT_CPU runs bench/lua/get.lua and bench/lua/pql_get.lua
# ("SELECT * FROM \"bench\" WHERE pk = ?" with the key as a parameter) back to back in every
# round, in an order that alternates, each after the server has settled. Prints each run, the
# medians and the median of the per-round ratios.
#
#   bench/partiql_bench.sh               # ROUNDS=5 DURATION=10
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-5}"
need wrk; need curl; need taskset; need "$PYTHON"
install_traps
MERIDIAND_ARGS="--threads 1" start_server
preload

RESULTS="$WORK_DIR/results.tsv"
: >"$RESULTS"
printf '%-6s %-8s %12s %10s %10s %8s %8s\n' round workload "requests/s" p50 p99 errors misses
for round in $(seq 1 "$ROUNDS"); do
  order=(get pql_get)
  (( round % 2 == 0 )) && order=(pql_get get)
  for w in "${order[@]}"; do
    quiesce "$SERVER_PID"
    line="$(run_wrk "$w" "$DURATION")"
    server_alive || die "meridiand died during $w"
    errors=$(( $(field "$line" non2xx) + $(field "$line" sock_connect) + $(field "$line" sock_read) +
               $(field "$line" sock_write) + $(field "$line" sock_timeout) ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$w" "$(field "$line" rps)" \
      "$(field "$line" p50_us)" "$(field "$line" p99_us)" "$errors" "$(field "$line" misses)" >>"$RESULTS"
    printf '%-6s %-8s %12s %10s %10s %8s %8s\n' "$round" "$w" "$(field "$line" rps)" \
      "$(fmt_us "$(field "$line" p50_us)")" "$(fmt_us "$(field "$line" p99_us)")" "$errors" \
      "$(field "$line" misses)"
  done
done
echo
"$PYTHON" - "$RESULTS" "$ROUNDS" "$DURATION" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for rnd, w, rps, p50, p99, err, miss in rows:
    by.setdefault(w, {})[int(rnd)] = (float(rps), float(p99), int(err), int(miss))
print(f"medians over {sys.argv[2]} rounds (wrk -t2 -c32 -d{sys.argv[3]}s):")
for w in ("get", "pql_get"):
    runs = by[w].values()
    print(f"  {w:<8} {statistics.median(r[0] for r in runs):>10,.0f}/s  p99 "
          f"{statistics.median(r[1] for r in runs) / 1000:.2f}ms  errors {sum(r[2] for r in runs)}"
          f"  misses {sum(r[3] for r in runs)}")
ratios = [by["pql_get"][r][0] / by["get"][r][0] for r in by["get"] if r in by["pql_get"]]
print(f"ExecuteStatement / GetItem: {statistics.median(ratios):.2f} (per round: "
      + ", ".join(f"{x:.2f}" for x in ratios) + ")")
PY
