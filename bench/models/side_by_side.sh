#!/usr/bin/env bash
# Scores every model set side by side on every shared eval set: one `edgeocr eval --models all`
# per dataset (each set in its own child process, one after the other, so speed and peak RSS
# are measured under the same conditions), mdpbench_pages once per language.
#   bench/models/side_by_side.sh [OUT_DIR]      (default build/model-sets)
# Env: EDGEOCR_BIN (default build/src/cli/edgeocr), SHARED (default ../shared/eval),
#      MODELS (default all), THREADS (default 2), DATASETS (default: all of them).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${EDGEOCR_BIN:-$root/build/src/cli/edgeocr}
shared=${SHARED:-$root/../shared/eval}
out=${1:-$root/build/model-sets}
models=${MODELS:-all}
threads=${THREADS:-2}
datasets=${DATASETS:-"sroie sroie_test hk_receipts mdpbench_pages arabic_lines"}
mkdir -p "$out"
run() {  # run NAME DATASET [eval args...]
  local name=$1 dir=$2; shift 2
  echo "## $name"
  "$bin" eval --dataset "$shared/$dir" --models "$models" --threads "$threads" --model-path "${EDGEOCR_MODEL_PATH:-$root/models}" \
    --report "$out/$name.json" "$@" 2>/dev/null | tee "$out/$name.txt"
  echo
}
for ds in $datasets; do
  if [[ $ds == mdpbench_pages ]]; then
    for img in "$shared/mdpbench_pages/img/"*; do
      lang=$(basename "$img"); lang=${lang%%_*}
      run "mdpbench_pages_$lang" mdpbench_pages --only "${lang}_"
    done
  else
    run "$ds" "$ds"
  fi
done
