#!/usr/bin/env bash
# A one-shot `edgeocr ocr RECEIPT` as the user runs it: N whole processes, one per image of the
# first N of a dataset, each binary given run alternately with the others (same image, one after
# the other) so that drifting machine load hits them alike; prints p50/p90 wall time and peak
# RSS per binary, and the ratio of each to the first.
#
# usage: bench/cold/process_bench.sh [--dataset DIR] [--count N] [--rounds R] [--threads T]
#                                    [--models SET] [LABEL=BINARY ...]
#   default binary: build/src/cli/edgeocr; e.g. before/after a change:
#   cp build/src/cli/edgeocr /tmp/edgeocr-before   # then rebuild, and
#   bench/cold/process_bench.sh --count 20 --rounds 2 before=/tmp/edgeocr-before after=build/src/cli/edgeocr
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=time_process.sh
. "$here/time_process.sh"
dataset=$root/../shared/eval/sroie count=20 rounds=1 threads=2 models=v4
binaries=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dataset) dataset=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    *=*) binaries+=("$1"); shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#binaries[@]} -gt 0 ] || binaries=("edgeocr=$root/build/src/cli/edgeocr")
for b in "${binaries[@]}"; do [ -x "${b#*=}" ] || { echo "process_bench: ${b#*=} is not an executable" >&2; exit 2; }; done
mapfile -t images < <(find "$dataset/img" -maxdepth 1 -type f | sort | head -n "$count")
[ ${#images[@]} -gt 0 ] || { echo "process_bench: no images in $dataset/img" >&2; exit 2; }
out=$(mktemp); trap 'rm -f "$out"' EXIT
export EDGEOCR_MODEL_PATH=${EDGEOCR_MODEL_PATH:-$root/models}

echo "process_bench: ${#images[@]} images of $dataset x $rounds rounds, --threads $threads --models $models;" \
     "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$rounds"); do
  for img in "${images[@]}"; do
    for b in "${binaries[@]}"; do
      time_process "${b%%=*}" "$out" "${b#*=}" ocr --threads "$threads" --models "$models" "$img"
    done
  done
done

python3 - "$out" "${binaries[@]%%=*}" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
labels = sys.argv[2:]
def pct(values, q):  # linear interpolation between order statistics
    v = sorted(values); pos = q * (len(v) - 1); lo = int(pos); hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)
print("| binary | processes | p50 s | p90 s | peak RSS MiB (p50) |")
print("|---|---|---|---|---|")
p50 = {}
for label in labels:
    secs = [float(r[1]) for r in rows if r[0] == label]
    rss = [int(r[2]) / 1024 for r in rows if r[0] == label]
    p50[label] = pct(secs, .5)
    print(f"| {label} | {len(secs)} | {pct(secs, .5):.2f} | {pct(secs, .9):.2f} | {statistics.median(rss):.0f} |")
for label in labels[1:]:
    print(f"p50 {labels[0]} / {label}: {p50[labels[0]] / p50[label]:.2f}x")
PY
