#!/usr/bin/env bash
# Instructions per request along meridiand's request path, by stage (issue 20's breakdown):
# meridiand runs under callgrind (one API thread), 100k items are preloaded and read once
# with instrumentation off (the caches warm, as in a long run), then each workload runs for
# DURATION seconds with instrumentation on, and bench/callgrind_breakdown.py prints what the
# requests cost per stage. Instruction counts are repeatable on this shared VM, where
# wall-clock profiles are not; bench/request_path_bench.sh gives the wall-clock figures.
#
#   bench/request_profile.sh                      # get put update_add, 20 s each
#   WORKLOADS=get DURATION=10 bench/request_profile.sh
#   KEEP_BENCH_DIR=1 ...                          # keep the callgrind files (callgrind_annotate)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION="${DURATION:-20}"
WORKLOADS="${WORKLOADS:-get put update_add}"
need valgrind
need callgrind_control
need wrk

install_traps
WORK_DIR="$(mktemp -d /tmp/meridian-profile.XXXXXX)"
port="$(free_port)"; admin="$(free_port)"
mkdir -p "$WORK_DIR/data"
valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
  --callgrind-out-file="$WORK_DIR/callgrind.%p" \
  "$MERIDIAND" --region us-east-1 --data-dir "$WORK_DIR/data" --listen "127.0.0.1:$port" \
  --admin-listen "127.0.0.1:$admin" --threads 1 >"$WORK_DIR/meridiand.log" 2>&1 &
SERVER_PID=$!
STARTED_SERVER=1
ENDPOINT="http://127.0.0.1:$port"
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$admin/healthz" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "meridiand exited under valgrind"
  sleep 0.2
done
preload
log "warming the caches: one pass of GetItem over the key space"
wrk -t1 -c8 -d"$((DURATION / 2 + 5))s" -s "$BENCH_DIR_SRC/lua/get.lua" "$ENDPOINT/" >/dev/null
n=0
for w in $WORKLOADS; do
  n=$((n + 1))
  callgrind_control -z "$SERVER_PID" >/dev/null
  callgrind_control -i on "$SERVER_PID" >/dev/null
  requests="$(wrk -t1 -c8 -d"${DURATION}s" -s "$BENCH_DIR_SRC/lua/$w.lua" "$ENDPOINT/" |
    sed -n 's/.*MERIDIAN_RESULT requests=\([0-9]*\).*/\1/p')"
  callgrind_control -i off "$SERVER_PID" >/dev/null
  callgrind_control -d "$w" "$SERVER_PID" >/dev/null
  # One file per thread: the request path is the API worker's ("http"); the others
  # (RocksDB flushes and compactions, replication) are reported as background.
  "$PYTHON" "$BENCH_DIR_SRC/callgrind_breakdown.py" --label "$w" "$requests" \
    $(ls "$WORK_DIR"/callgrind.*."$n"-* 2>/dev/null || ls "$WORK_DIR"/callgrind.*."$n")
done
