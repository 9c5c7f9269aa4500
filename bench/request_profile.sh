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
#
# SigV4 verification cost (issue 18): workloads signed_get / signed_put replay requests
# signed by botocore (bench/presign.py, as bench/sigv4_bench.sh does); AUTH=sigv4 or
# AUTH=policy starts the daemon with one access key (and the sample policy), AUTH=off (the
# default) without keys, where the same bytes are accepted unverified:
#   for a in off sigv4 policy; do AUTH=$a WORKLOADS="signed_get signed_put" bench/request_profile.sh; done
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
AUTH="${AUTH:-off}"
auth_args=()
if [ "$AUTH" != off ]; then
  # A daemon with keys refuses the preloader's unsigned requests: preload without them first.
  write_auth_configs "$WORK_DIR"
  [ -f "$WORK_DIR/$AUTH.toml" ] || die "AUTH must be off, sigv4 or policy"
  pre_port="$(free_port)"; pre_admin="$(free_port)"
  "$MERIDIAND" --region us-east-1 --data-dir "$WORK_DIR/data" --listen "127.0.0.1:$pre_port" \
    --admin-listen "127.0.0.1:$pre_admin" >"$WORK_DIR/preload.log" 2>&1 &
  pre_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$pre_admin/healthz" 2>/dev/null && break
    sleep 0.1
  done
  ENDPOINT="http://127.0.0.1:$pre_port" preload
  kill -TERM "$pre_pid"; wait "$pre_pid" || true
  SKIP_PRELOAD=1
  auth_args=(--config "$WORK_DIR/$AUTH.toml")
fi
# presign OP FILE: COUNT botocore-signed requests for this server (bench/presign.py).
presign() {
  "$PYTHON" "$BENCH_DIR_SRC/presign.py" --endpoint "$ENDPOINT" --op "$1" --count 20000 \
    --items "$BENCH_ITEMS" --table "$BENCH_TABLE" --key-id "$BENCH_KEY_ID" --secret "$BENCH_SECRET" \
    --out "$2"
}
valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
  --callgrind-out-file="$WORK_DIR/callgrind.%p" \
  "$MERIDIAND" --region us-east-1 --data-dir "$WORK_DIR/data" --listen "127.0.0.1:$port" \
  --admin-listen "127.0.0.1:$admin" --threads 1 "${auth_args[@]}" >"$WORK_DIR/meridiand.log" 2>&1 &
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
if [[ " $WORKLOADS " == *" signed_"* ]]; then
  presign get "$WORK_DIR/warm.req"
  PRESIGNED_FILE="$WORK_DIR/warm.req" wrk -t1 -c8 -d"$((DURATION / 2 + 5))s" \
    -s "$BENCH_DIR_SRC/lua/presigned.lua" "$ENDPOINT/" >/dev/null
else
  wrk -t1 -c8 -d"$((DURATION / 2 + 5))s" -s "$BENCH_DIR_SRC/lua/get.lua" "$ENDPOINT/" >/dev/null
fi
n=0
for w in $WORKLOADS; do
  n=$((n + 1))
  callgrind_control -z "$SERVER_PID" >/dev/null
  callgrind_control -i on "$SERVER_PID" >/dev/null
  script="$w"
  if [ "${w#signed_}" != "$w" ]; then  # signed_get / signed_put: botocore-signed requests
    presign "${w#signed_}" "$WORK_DIR/$w.req"
    export PRESIGNED_FILE="$WORK_DIR/$w.req" IS_READ=$([ "$w" = signed_get ] && echo 1 || echo 0)
    script=presigned
  fi
  out="$(wrk -t1 -c8 -d"${DURATION}s" -s "$BENCH_DIR_SRC/lua/$script.lua" "$ENDPOINT/")"
  requests="$(sed -n 's/.*MERIDIAN_RESULT requests=\([0-9]*\).*/\1/p' <<<"$out")"
  [ "$(field "$(grep MERIDIAN_RESULT <<<"$out")" non2xx)" = 0 ] || die "$w: requests failed ($out)"
  callgrind_control -i off "$SERVER_PID" >/dev/null
  callgrind_control -d "$w" "$SERVER_PID" >/dev/null
  # One file per thread: the request path is the API worker's ("http"); the others
  # (RocksDB flushes and compactions, replication) are reported as background.
  "$PYTHON" "$BENCH_DIR_SRC/callgrind_breakdown.py" --label "$w" "$requests" \
    $(ls "$WORK_DIR"/callgrind.*."$n"-* 2>/dev/null || ls "$WORK_DIR"/callgrind.*."$n")
done
