#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: static checks (tools/lint.sh:
# clang-format, clang-tidy with the clang thread-safety analysis), gtest unit tests (ctest), then
# the black-box tests that drive the real meridiand with boto3 and the AWS CLI (pytest),
# then the Terraform checks (tests/terraform), then the short chaos scenario (tests/chaos).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh
bash tools/lint.sh
echo "== unit tests (ctest)"
(cd build && ctest --output-on-failure -j "$(nproc)")
echo "== black-box tests (pytest: boto3 + AWS CLI against build/bin/meridiand)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
echo "== Terraform (HCL v2 checker, rendered bootstrap run for 3 regions: tests/terraform)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/terraform
echo "== chaos tests (pytest: partitions and kill -9 under load, ~1 min; long runs: tests/chaos/run_chaos.py)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/chaos
