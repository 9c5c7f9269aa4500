# shellcheck shell=bash
# Shared helpers for bench/http_bench.sh and bench/rss_soak.sh (source, don't run).
#
# Environment:
#   ENDPOINT      use an already running server (e.g. http://127.0.0.1:8000) instead of
#                 starting one; its RSS is read from SERVER_PID, or from the process
#                 listening on the endpoint's port (found with ss).
#   SERVER_PID    pid of that running server (optional).
#   MERIDIAND     binary to start (default <repo>/build/bin/meridiand).
#   SERVER_CPU    CPU the self-started server is pinned to (default 0).
#   CLIENT_CPU    CPU wrk and the preloader are pinned to (default 1).
#   BENCH_TABLE   table name (default bench); BENCH_ITEMS key space (default 100000).
#   SKIP_PRELOAD  1 = the table is already loaded.
#   KEEP_BENCH_DIR 1 = keep /tmp/meridian-bench.* (data dir, logs, raw wrk output).
#   PYTHON        interpreter for the preloader (default python3).

BENCH_DIR_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR_SRC/.." && pwd)"

MERIDIAND="${MERIDIAND:-$REPO_ROOT/build/bin/meridiand}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
BENCH_TABLE="${BENCH_TABLE:-bench}"
BENCH_ITEMS="${BENCH_ITEMS:-100000}"
PYTHON="${PYTHON:-python3}"
export BENCH_TABLE BENCH_ITEMS

STARTED_SERVER=0
SERVER_PID="${SERVER_PID:-}"
WORK_DIR=""
WRK_PID=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found (tools/install-deps.sh installs it)"; }

# Pinning prefix for the client side; empty when the machine has a single CPU.
client_pin() {
  if [ "$(nproc)" -gt "$CLIENT_CPU" ]; then echo "taskset -c $CLIENT_CPU"; fi
}
server_pin() {
  if [ "$(nproc)" -gt "$SERVER_CPU" ]; then echo "taskset -c $SERVER_CPU"; fi
}

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "$WRK_PID" ] && kill -0 "$WRK_PID" 2>/dev/null; then
    kill -TERM "$WRK_PID" 2>/dev/null
    wait "$WRK_PID" 2>/dev/null
  fi
  if [ "$STARTED_SERVER" = 1 ] && [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    log "stopping meridiand (pid $SERVER_PID)"
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "meridiand ignored SIGTERM for 10 s; sending SIGKILL"
      kill -KILL "$SERVER_PID" 2>/dev/null
    fi
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [ -n "$WORK_DIR" ] && [ -d "$WORK_DIR" ]; then
    if [ "${KEEP_BENCH_DIR:-0}" = 1 ]; then
      log "kept $WORK_DIR (data dir, logs, raw wrk output)"
    elif [ "$rc" != 0 ]; then
      rm -rf "$WORK_DIR/data"
      log "kept $WORK_DIR (logs, raw wrk output; data dir removed)"
    else
      rm -rf "$WORK_DIR"
    fi
  fi
  exit "$rc"
}

install_traps() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Starts meridiand (or adopts $ENDPOINT), with $MERIDIAND_ARGS if set. Sets ENDPOINT,
# SERVER_PID, WORK_DIR.
start_server() {
  WORK_DIR="$(mktemp -d /tmp/meridian-bench.XXXXXX)"
  if [ -n "${ENDPOINT:-}" ]; then
    ENDPOINT="${ENDPOINT%/}"
    if [ -z "$SERVER_PID" ]; then
      local port="${ENDPOINT##*:}"
      SERVER_PID="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)"
    fi
    log "using running server $ENDPOINT (pid ${SERVER_PID:-unknown})"
    return
  fi
  [ -x "$MERIDIAND" ] || die "meridiand not found at $MERIDIAND (build it, or set MERIDIAND / ENDPOINT)"
  local port admin
  port="$(free_port)"; admin="$(free_port)"
  while [ "$admin" = "$port" ]; do admin="$(free_port)"; done
  mkdir -p "$WORK_DIR/data"
  # shellcheck disable=SC2046
  $(server_pin) "$MERIDIAND" --region us-east-1 --data-dir "$WORK_DIR/data" \
    --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" ${MERIDIAND_ARGS:-} \
    >"$WORK_DIR/meridiand.log" 2>&1 &
  SERVER_PID=$!
  STARTED_SERVER=1
  ENDPOINT="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK_DIR/meridiand.log" >&2; die "meridiand exited during startup"; }
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$admin/healthz" 2>/dev/null; then
      log "meridiand pid $SERVER_PID on $ENDPOINT (admin :$admin, cpu $SERVER_CPU, data $WORK_DIR/data)"
      return
    fi
    sleep 0.1
  done
  tail -20 "$WORK_DIR/meridiand.log" >&2
  die "meridiand not healthy after 30 s"
}

rss_kb() {
  if [ -n "$SERVER_PID" ] && [ -r "/proc/$SERVER_PID/status" ]; then
    awk '/^VmRSS:/ {print $2; found=1} END {if (!found) print "n/a"}' "/proc/$SERVER_PID/status"
  else
    echo "n/a"
  fi
}

server_alive() {
  [ -z "$SERVER_PID" ] || kill -0 "$SERVER_PID" 2>/dev/null
}

preload() {
  if [ "${SKIP_PRELOAD:-0}" = 1 ]; then
    log "SKIP_PRELOAD=1: assuming table $BENCH_TABLE already holds $BENCH_ITEMS items"
    return
  fi
  log "preloading $BENCH_ITEMS items into $BENCH_TABLE"
  # shellcheck disable=SC2046
  $(client_pin) "$PYTHON" "$BENCH_DIR_SRC/preload.py" --endpoint "$ENDPOINT" \
    --table "$BENCH_TABLE" --items "$BENCH_ITEMS" ${BENCH_STREAM:+--stream "$BENCH_STREAM"} >&2 \
    || die "preload failed"
  log "preload done; server RSS $(rss_kb) kB"
}

# run_wrk NAME DURATION_S -> raw output in $WORK_DIR/wrk-NAME.txt; echoes the result line.
run_wrk() {
  local name="$1" dur="$2" out="$WORK_DIR/wrk-$1.txt"
  # shellcheck disable=SC2046
  timeout $((dur + 60)) $(client_pin) wrk -t2 -c32 -d"${dur}s" --latency \
    -s "$BENCH_DIR_SRC/lua/$name.lua" "$ENDPOINT/" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk $name failed"; }
  grep '^MERIDIAN_RESULT' "$out" | tail -1 || { cat "$out" >&2; die "no result line from wrk $name"; }
}

# field RESULT_LINE KEY -> value
field() { sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<" $1"; }

fmt_us() {  # microseconds -> "1.23ms" / "456us"
  awk -v us="$1" 'BEGIN { if (us == "") print "n/a"; else if (us >= 1000) printf "%.2fms", us/1000; else printf "%dus", us }'
}

# quiesce PID...: waits (at most 20 s) until none of these processes used more than 2 % of a
# CPU over 0.5 s (flushes and compactions done), so a run does not pay the previous one's debt.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
quiesce() {
  local busy i before=() after=()
  for _ in $(seq 1 40); do
    for pid in "$@"; do before+=("$(cpu_ticks "$pid")"); done
    sleep 0.5
    for pid in "$@"; do after+=("$(cpu_ticks "$pid")"); done
    busy=0
    for i in "${!before[@]}"; do (( after[i] - before[i] > 1 )) && busy=1; done
    (( busy == 0 )) && return 0
    before=(); after=()
  done
}

# write_auth_configs DIR: DIR/sigv4.toml (one access key, no policy) and DIR/policy.toml (the
# same key with the seed's sample policy: Get, Put, Scan, UpdateItem on $BENCH_TABLE), for
# the requests bench/presign.py signs with $BENCH_KEY_ID / $BENCH_SECRET.
BENCH_KEY_ID=AKIAMERIDIANBENCH01
BENCH_SECRET=benchSecretKeyForSigV4VerificationOnly00
write_auth_configs() {
  local dir=$1
  cat >"$dir/sigv4.toml" <<TOML
[[access_keys]]
id = "$BENCH_KEY_ID"
secret = "$BENCH_SECRET"
account_id = "000000000000"
TOML
  cat >"$dir/policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem"],
  "Resource": "arn:aws:dynamodb:us-east-1:000000000000:table/$BENCH_TABLE"}]}
JSON
  sed "s|^account_id.*|&\npolicy_file = \"$dir/policy.json\"|" "$dir/sigv4.toml" >"$dir/policy.toml"
}
