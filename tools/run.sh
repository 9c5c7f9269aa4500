#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job in the foreground: a local
# multi-region Meridian cluster (3 regions on 127.0.0.1, each a nats-server and a meridiand,
# regions joined by NATS gateways). Prints one line per region with its endpoints.
# Ctrl-C (SIGINT) or SIGTERM stops every process.
#   REGIONS (3), BASE_PORT (7000), CLUSTER_DIR (/tmp/meridian-cluster)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh
exec deploy/local/cluster up --foreground --regions "${REGIONS:-3}" \
  --base-port "${BASE_PORT:-7000}" --dir "${CLUSTER_DIR:-/tmp/meridian-cluster}"
