#!/usr/bin/env bash
# HTTP throughput/latency benchmark of meridiand with wrk.
#
#   bench/http_bench.sh                      # start build/bin/meridiand pinned to CPU 0
#   ENDPOINT=http://127.0.0.1:8000 bench/http_bench.sh   # use a running server
#   DURATION=10 WORKLOADS="get mix" bench/http_bench.sh
#
# Steps: start (or adopt) the server, create table $BENCH_TABLE and preload
# $BENCH_ITEMS (100,000) items, then for each workload run
#   taskset -c 1 wrk -t2 -c32 -d${DURATION:-30}s --latency -s bench/lua/<workload>.lua
# with keys uniformly random over the preloaded key space:
#   put         PutItem (overwrite)
#   get         GetItem
#   mix         50% GetItem / 50% PutItem
#   update_add  UpdateItem "ADD n :one"
#   txn_write2  TransactWriteItems of 2 Puts; txn_write10 of 10; txn_get2 TransactGetItems of 2
# and print requests/s, p50, p99, non-2xx replies and the server's RSS
# (VmRSS from /proc/PID/status) before and after the workload, then each workload's mean
# rate relative to put's.
# See bench/lib.sh for the remaining knobs (MERIDIAND, SERVER_CPU, CLIENT_CPU, ...).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-30}"
WORKLOADS="${WORKLOADS:-put get mix update_add}"

need wrk
need curl
need "$PYTHON"
need taskset
for w in $WORKLOADS; do
  [ -f "$BENCH_DIR_SRC/lua/$w.lua" ] || die "unknown workload '$w' (no bench/lua/$w.lua)"
done

install_traps
start_server
preload

declare -a ROWS=()
failed=0
for w in $WORKLOADS; do
  server_alive || die "the server is no longer running"
  before="$(rss_kb)"
  log "workload $w: ${DURATION}s, wrk -t2 -c32 (server RSS before: $before kB)"
  line="$(run_wrk "$w" "$DURATION")"
  after="$(rss_kb)"
  server_alive || die "the server died during workload $w"
  rps="$(field "$line" rps)"
  non2xx="$(field "$line" non2xx)"
  sockerr=$(( $(field "$line" sock_connect) + $(field "$line" sock_read) + $(field "$line" sock_write) + $(field "$line" sock_timeout) ))
  misses="$(field "$line" misses)"
  ROWS+=("$(printf '%-11s %12s %10s %10s %10s %8s %8s %12s %12s' \
    "$w" "$rps" "$(fmt_us "$(field "$line" p50_us)")" "$(fmt_us "$(field "$line" p99_us)")" \
    "$(fmt_us "$(field "$line" p999_us)")" "$non2xx" "$sockerr" "$before" "$after")")
  log "  $w: ${rps} req/s, p50 $(fmt_us "$(field "$line" p50_us)"), p99 $(fmt_us "$(field "$line" p99_us)"), non-2xx $non2xx, socket errors $sockerr, RSS ${before} -> ${after} kB"
  if [ "$w" = get ] && [ "${misses:-0}" != 0 ]; then
    log "  WARNING: $misses GetItem replies had no Item (preload incomplete?)"
  fi
  if [ "$non2xx" != 0 ] || [ "$sockerr" != 0 ]; then failed=1; fi
done

echo
echo "meridian HTTP benchmark: $BENCH_ITEMS items, wrk -t2 -c32 -d${DURATION}s, endpoint $ENDPOINT"
printf '%-11s %12s %10s %10s %10s %8s %8s %12s %12s\n' \
  workload "requests/s" p50 p99 p99.9 non-2xx sockerr "RSS-before" "RSS-after"
printf '%-11s %12s %10s %10s %10s %8s %8s %12s %12s\n' \
  "" "" "" "" "" "" "" "(kB)" "(kB)"
for r in "${ROWS[@]}"; do echo "$r"; done
# Workloads run more than once (interleave them, e.g. "put txn_write2 txn_write2 put", so
# neither always meets the other's compaction debt) are compared by their mean rates.
printf '%s\n' "${ROWS[@]}" | awk '
  { sum[$1] += $2; n[$1]++ }
  END {
    if (n["put"] > 0) for (w in sum) if (w != "put")
      printf "%s / put: %.1f %% (mean of %d and %d runs)\n", w, 100 * (sum[w] / n[w]) / (sum["put"] / n["put"]), n[w], n["put"]
  }'

if [ "$failed" = 1 ]; then
  log "some requests failed (non-2xx or socket errors): see the table above"
  exit 2
fi
