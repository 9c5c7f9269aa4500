#!/usr/bin/env bash
# Memory soak: run the 50/50 GetItem/PutItem mix for ${DURATION:-300}s and sample the
# server's RSS (VmRSS) every ${INTERVAL:-10}s, to spot leaks and unbounded caches.
#
#   bench/rss_soak.sh
#   DURATION=600 INTERVAL=5 bench/rss_soak.sh
#   ENDPOINT=http://127.0.0.1:8000 SERVER_PID=1234 SKIP_PRELOAD=1 bench/rss_soak.sh
#
# Prints one line per sample and a summary (first/min/max/last, growth over the
# second half of the run). Exits 2 if any request failed, 3 if the RSS grew by more
# than ${MAX_GROWTH_PCT:-} percent over the second half (only when MAX_GROWTH_PCT is set).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-300}"
INTERVAL="${INTERVAL:-10}"
MAX_GROWTH_PCT="${MAX_GROWTH_PCT:-}"

need wrk
need curl
need "$PYTHON"
need taskset

install_traps
start_server
preload

[ -n "$SERVER_PID" ] || die "cannot sample RSS: unknown server pid (set SERVER_PID)"

out="$WORK_DIR/wrk-soak.txt"
log "soak: mix for ${DURATION}s, sampling RSS every ${INTERVAL}s"
# shellcheck disable=SC2046
timeout $((DURATION + 60)) $(client_pin) wrk -t2 -c32 -d"${DURATION}s" --latency \
  -s "$BENCH_DIR_SRC/lua/mix.lua" "$ENDPOINT/" >"$out" 2>&1 &
WRK_PID=$!

start=$(date +%s)
declare -a T=() R=()
sample() {
  local now rss
  now=$(( $(date +%s) - start ))
  rss="$(rss_kb)"
  T+=("$now"); R+=("$rss")
  printf 'soak t=%4ds rss_kb=%s\n' "$now" "$rss"
}
sample
k=1
while kill -0 "$WRK_PID" 2>/dev/null; do
  # Wait for the next multiple of INTERVAL (no drift), in small steps so the loop
  # ends promptly when wrk finishes.
  while [ "$(date +%s)" -lt $((start + k * INTERVAL)) ] && kill -0 "$WRK_PID" 2>/dev/null; do
    sleep 0.2
  done
  k=$((k + 1))
  server_alive || die "the server died during the soak"
  if kill -0 "$WRK_PID" 2>/dev/null; then sample; fi
done
wrk_rc=0
wait "$WRK_PID" || wrk_rc=$?
WRK_PID=""
sample
[ "$wrk_rc" = 0 ] || { cat "$out" >&2; die "wrk exited with status $wrk_rc"; }

line="$(grep '^MERIDIAN_RESULT' "$out" | tail -1)" || { cat "$out" >&2; die "no result line from wrk"; }
non2xx="$(field "$line" non2xx)"
sockerr=$(( $(field "$line" sock_connect) + $(field "$line" sock_read) + $(field "$line" sock_write) + $(field "$line" sock_timeout) ))

summary="$(printf '%s\n' "${R[@]}" | awk -v n="${#R[@]}" '
  $1 != "n/a" { v[NR] = $1; if (min == "" || $1 < min) min = $1; if ($1 > max) max = $1 }
  END {
    first = v[1]; last = v[n]; mid = v[int((n + 1) / 2)]
    growth = (mid > 0) ? (last - mid) * 100.0 / mid : 0
    printf "first=%s min=%s max=%s last=%s second_half_growth_pct=%.1f", first, min, max, last, growth
  }')"

echo
echo "meridian RSS soak: mix, $BENCH_ITEMS items, wrk -t2 -c32 -d${DURATION}s, endpoint $ENDPOINT"
echo "requests/s=$(field "$line" rps) p50=$(fmt_us "$(field "$line" p50_us)") p99=$(fmt_us "$(field "$line" p99_us)") non2xx=$non2xx socket_errors=$sockerr"
echo "rss_kb: $summary"

if [ "$non2xx" != 0 ] || [ "$sockerr" != 0 ]; then
  log "some requests failed"
  exit 2
fi
if [ -n "$MAX_GROWTH_PCT" ]; then
  growth="$(sed -n 's/.*second_half_growth_pct=\([-0-9.]*\).*/\1/p' <<<"$summary")"
  if awk -v g="$growth" -v m="$MAX_GROWTH_PCT" 'BEGIN { exit !(g > m) }'; then
    log "RSS grew ${growth}% over the second half (limit ${MAX_GROWTH_PCT}%)"
    exit 3
  fi
fi
