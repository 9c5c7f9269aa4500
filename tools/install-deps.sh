#!/usr/bin/env bash
# Installs everything Meridian needs to build, test and benchmark on Debian bookworm.
# Idempotent: skips apt when every package is already present.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git clang clang-format clang-tidy
  libnats-dev nats-server capnproto libcapnp-dev librocksdb-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  libssl-dev zlib1g-dev libjemalloc-dev libxxhash-dev libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev prometheus-cpp-dev
  golang-go golang-github-hashicorp-hcl-v2-dev prometheus chromium
  awscli python3-boto3 python3-pytest wrk iproute2 iptables procps curl util-linux
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
