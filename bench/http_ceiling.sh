#!/usr/bin/env bash
# The HTTP ceiling of this machine for bench/http_bench.sh: nginx (one worker, pinned like
# meridiand to SERVER_CPU) answering every request with a fixed 200 GetItem-sized JSON body,
# driven by exactly the same wrk command and Lua script as the GetItem workload. No server
# doing real work can beat these figures on the same machine and load generator.
#
#   bench/http_ceiling.sh            # DURATION=30 by default; installs nginx-light if missing
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION="${DURATION:-30}"

if ! command -v nginx >/dev/null; then
  log "installing nginx-light (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light >/dev/null
fi
need wrk
need taskset

WORK_DIR="$(mktemp -d /tmp/meridian-ceiling.XXXXXX)"
port="$(free_port)"
cat >"$WORK_DIR/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK_DIR/nginx.pid;
error_log $WORK_DIR/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000000;
  client_body_temp_path $WORK_DIR;
  server {
    listen 127.0.0.1:$port;
    location / {
      default_type application/x-amz-json-1.0;
      return 200 '{"Item":{"pk":{"S":"k012345"},"n":{"N":"1"},"payload":{"S":"$(printf 'x%.0s' $(seq 1 100))"}}}';
    }
  }
}
CONF
# shellcheck disable=SC2046
$(server_pin) nginx -c "$WORK_DIR/nginx.conf" &
NGINX_PID=$!
trap 'kill $NGINX_PID 2>/dev/null; wait $NGINX_PID 2>/dev/null; rm -rf "$WORK_DIR"' EXIT
for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
ENDPOINT="http://127.0.0.1:$port"
line="$(run_wrk get "$DURATION")"
printf '%-11s %12s %10s %10s %10s %8s\n' workload req/s p50 p99 p99.9 non-2xx
printf '%-11s %12s %10s %10s %10s %8s\n' "nginx-fixed" "$(field "$line" rps)" \
  "$(fmt_us "$(field "$line" p50_us)")" "$(fmt_us "$(field "$line" p99_us)")" \
  "$(fmt_us "$(field "$line" p999_us)")" "$(field "$line" non2xx)"
