#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running EdgeOCR service:
# installs packages (build + runtime roles), fetches and verifies the models, builds the
# binary, starts `edgeocr serve`
# on the embedded defaults (./models, SQLite under ./data). Extra arguments go to `serve`,
# e.g. ./scripts/setup-and-run.sh --host 0.0.0.0 --port 8000 --auth-file auth.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --build --runtime
"$root/scripts/fetch-models.sh"
"$root/scripts/build.sh" edgeocr
cd "$root"
exec "${BUILD_DIR:-$root/build}/src/cli/edgeocr" serve --model-path "$root/models" --data-dir "$root/data" "$@"
