#!/usr/bin/env bash
# The test command: installs what is missing, fetches models, builds, runs the whole suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --build --runtime --test
"$root/scripts/fetch-models.sh"
"$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${TEST_JOBS:-2}" --timeout 600 "$@"
