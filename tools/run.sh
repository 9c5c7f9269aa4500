#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job in the foreground: one region of
# Meridian on loopback. Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
#   REGION (us-east-1), PORT (8000), ADMIN_PORT (8001), DATA_DIR (./data/<region>)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh
REGION=${REGION:-us-east-1}
PORT=${PORT:-8000}
ADMIN_PORT=${ADMIN_PORT:-8001}
DATA_DIR=${DATA_DIR:-data/$REGION}
mkdir -p "$DATA_DIR"
echo "$REGION api=http://127.0.0.1:$PORT admin=http://127.0.0.1:$ADMIN_PORT"
exec build/bin/meridiand --region "$REGION" --data-dir "$DATA_DIR" \
  --listen "127.0.0.1:$PORT" --admin-listen "127.0.0.1:$ADMIN_PORT"
