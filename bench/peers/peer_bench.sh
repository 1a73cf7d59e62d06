#!/usr/bin/env bash
# EdgeOCR side by side with RapidOCR on ONNX Runtime (the usual CPU choice for PP-OCR models)
# and Tesseract 5.3, on the same images and thread count, in one run:
#   warm per-image p50/p90 and images/s, whole-process (cold) p50 and peak RSS, and accuracy
#   (det F1, case-folded CER, exact lines) scored by `edgeocr eval` for all three.
# RapidOCR lives in a throwaway virtualenv (pins in requirements.txt beside this script).
#
# Both run once per model set named with --models (default: v4, and the default set
# v6-small-v4det, whose recognizer EdgeOCR runs in int8): RapidOCR reads v4's files from EdgeOCR's models folder and v6-small's from its own wheel,
# so each EdgeOCR row has a RapidOCR row with the same models.
#
# usage: bench/peers/peer_bench.sh [--dataset DIR] [--count N] [--threads T] [--cold K] [--rounds R]
#                                  [--models v4,v6-small-v4det,v6-small]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dataset=$root/../shared/eval/sroie
count=20 threads=2 cold=5 rounds=2 models=v4,v6-small-v4det
while [ $# -gt 0 ]; do
  case "$1" in
    --dataset) dataset=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --cold) cold=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bin=${EDGEOCR_BIN:-$root/build/src/cli/edgeocr}
[ -x "$bin" ] || { echo "peer_bench: $bin not built (scripts/build.sh)" >&2; exit 2; }
venv=${PEER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeocr/peer-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/pip" freeze 2>/dev/null | grep -qxF -f <(grep -v '^#' "$here/requirements.txt"); then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
IFS=, read -r -a sets <<<"$models"
# RapidOCR runs the sets it can load from files: v4's from EdgeOCR's npm files, v6-small its own.
peer_sets=()
for set in "${sets[@]}"; do [[ $set == v4 || $set == v6-small || $set == v6-small-v4det ]] && peer_sets+=("$set"); done
models_dir=${EDGEOCR_MODEL_PATH:-$root/models}
mapfile -t images < <(find "$dataset/img" -maxdepth 1 -type f | sort | head -n "$count")
export OMP_NUM_THREADS=$threads

echo "peer_bench: ${#images[@]} images of $dataset, $threads threads, $rounds rounds; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  # Alternate the engines so that drifting machine load hits all of them alike.
  for set in "${sets[@]}"; do
    "$bin" eval --dataset "$dataset" --limit "$count" --threads "$threads" --engine native --models "$set" \
      --report "$out/edgeocr-$set.$round.json" >/dev/null
  done
  for set in "${peer_sets[@]}"; do
    "$venv/bin/python" "$here/rapidocr_bench.py" --threads "$threads" --models "$set" --model-dir "$models_dir" \
      --out "$out/rapidocr-$set" "${images[@]}" >"$out/rapidocr-$set.$round.json"
  done
  "$bin" eval --dataset "$dataset" --limit "$count" --engine tesseract \
    --report "$out/tesseract.$round.json" >/dev/null
done
for set in "${peer_sets[@]}"; do
  "$bin" eval --dataset "$dataset" --limit "$count" --engine "predictions:$out/rapidocr-$set" \
    --report "$out/rapidocr-$set.accuracy.json" >/dev/null
done

# Whole processes on the first K images: what a one-shot `edgeocr ocr FILE` costs.
# shellcheck source=../cold/time_process.sh
. "$root/bench/cold/time_process.sh"
for img in "${images[@]:0:$cold}"; do
  for set in "${sets[@]}"; do
    time_process "edgeocr-$set" "$out/cold.txt" "$bin" ocr --threads "$threads" --models "$set" "$img"
  done
  for set in "${peer_sets[@]}"; do
    time_process "rapidocr-$set" "$out/cold.txt" "$venv/bin/python" "$here/rapidocr_bench.py" --cold \
      --threads "$threads" --models "$set" --model-dir "$models_dir" "$img"
  done
done

python3 "$here/peer_table.py" "$out" "$rounds" "${sets[@]}"
