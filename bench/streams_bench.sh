#!/usr/bin/env bash
# Streams benchmark: PutItem requests/s into a table with a NEW_AND_OLD_IMAGES stream vs
# one without (same server, alternating rounds), then GetRecords throughput over the
# stream those writes filled.
#
#   bench/streams_bench.sh                     # DURATION=10 ROUNDS=3 BENCH_ITEMS=100000
#
# Steps: start build/bin/meridiand pinned to CPU 0; preload `bench` (no stream) and
# `bench_stream` (stream NEW_AND_OLD_IMAGES) with $BENCH_ITEMS items each; ROUNDS times run
# bench/lua/put.lua against each (wrk -t2 -c32 -d${DURATION}s on CPU 1); print each round's
# ratio and the total; then bench/stream_reader.py reads up to 1,000,000 records of
# bench_stream's stream (GetRecords Limit=1000, one keep-alive connection, on CPU 1).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
need wrk
need "$PYTHON"
need taskset

install_traps
start_server
BENCH_TABLE=bench preload
BENCH_TABLE=bench_stream BENCH_STREAM=NEW_AND_OLD_IMAGES preload

plain_total=0 stream_total=0
declare -a ROWS=()
for r in $(seq 1 "$ROUNDS"); do
  plain="$(field "$(BENCH_TABLE=bench run_wrk put "$DURATION")" rps)"
  streamed="$(field "$(BENCH_TABLE=bench_stream run_wrk put "$DURATION")" rps)"
  ratio="$(awk -v a="$streamed" -v b="$plain" 'BEGIN { printf "%.1f", 100 * a / b }')"
  log "round $r: PutItem ${plain}/s without a stream, ${streamed}/s with NEW_AND_OLD_IMAGES: ${ratio} %"
  ROWS+=("$(printf '%-6s %14s %14s %8s' "$r" "$plain" "$streamed" "$ratio")")
  plain_total="$(awk -v a="$plain_total" -v b="$plain" 'BEGIN { print a + b }')"
  stream_total="$(awk -v a="$stream_total" -v b="$streamed" 'BEGIN { print a + b }')"
done
server_alive || die "the server died during the PutItem rounds"

log "reading the stream of bench_stream"
# shellcheck disable=SC2046
reader="$($(client_pin) "$PYTHON" "$BENCH_DIR_SRC/stream_reader.py" --endpoint "$ENDPOINT" \
  --table bench_stream)" || die "stream reader failed"

echo
echo "meridian streams benchmark: $BENCH_ITEMS items per table, wrk -t2 -c32 -d${DURATION}s, endpoint $ENDPOINT"
printf '%-6s %14s %14s %8s\n' round "put/s plain" "put/s stream" "ratio %"
for row in "${ROWS[@]}"; do echo "$row"; done
printf '%-6s %14s %14s %8s\n' total "$plain_total" "$stream_total" \
  "$(awk -v a="$stream_total" -v b="$plain_total" 'BEGIN { printf "%.1f", 100 * a / b }')"
grep -v '^MERIDIAN_RESULT' <<<"$reader"
