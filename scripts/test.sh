#!/usr/bin/env bash
# The test command: installs what is missing, fetches models, builds, runs the whole suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --build --runtime --test
"$root/scripts/fetch-models.sh"
"$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure --no-tests=error -j "${TEST_JOBS:-2}" --timeout 600 "$@"
# The ASan+UBSan suite and a bounded run of every fuzzer (own build folder; skip with
# EDGEOCR_SKIP_SANITIZE=1 for a quick local run).
[ "${EDGEOCR_SKIP_SANITIZE:-0}" = 1 ] || "$root/scripts/sanitize.sh"
