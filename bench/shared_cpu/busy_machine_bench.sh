#!/usr/bin/env bash
# `edgeocr ocr` on a receipt on a quiet machine and with one competing CPU-bound process, per
# thread count and OpenMP wait policy; prints both times and the ratio (target: <= 2x).
# Each figure is the median of N runs of the whole command (model loading included).
#
#   bench/shared_cpu/busy_machine_bench.sh [-b build/src/cli/edgeocr] [-i image.jpg] [-n runs] [-t "1 2"]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="$root/build/src/cli/edgeocr"
image="$root/../shared/eval/sroie/img/000.jpg"
runs=5
thread_counts="1 2"
while getopts "b:i:n:t:" opt; do
  case $opt in
    b) binary=$OPTARG ;; i) image=$OPTARG ;; n) runs=$OPTARG ;; t) thread_counts=$OPTARG ;;
    *) echo "usage: $0 [-b edgeocr] [-i image] [-n runs] [-t 'thread counts']" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "no edgeocr binary at $binary (use -b)" >&2; exit 1; }
[ -f "$image" ] || { echo "no image at $image (use -i)" >&2; exit 1; }
models="$root/models"

busy_pid=""
stop_busy() { [ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null; wait "$busy_pid" 2>/dev/null || true; busy_pid=""; }
trap stop_busy EXIT

# Median wall time (s) of `runs` runs of edgeocr ocr with the given policy ("" = the binary's own).
median_time() {
  local threads=$1 policy=$2 times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s.%N)
    if [ -n "$policy" ]; then
      OMP_WAIT_POLICY=$policy "$binary" ocr --threads "$threads" --model-path "$models" "$image" >/dev/null
    else
      env -u OMP_WAIT_POLICY "$binary" ocr --threads "$threads" --model-path "$models" "$image" >/dev/null
    fi
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}

printf '%-8s %-16s %10s %10s %7s\n' threads policy quiet_s busy_s ratio
for threads in $thread_counts; do
  for policy in "" active; do
    label=${policy:-default}
    quiet=$(median_time "$threads" "$policy")
    # One competing CPU-bound process (a shell busy loop), like another program on the PC.
    ( while :; do :; done ) &
    busy_pid=$!
    busy=$(median_time "$threads" "$policy")
    stop_busy
    printf '%-8s %-16s %10s %10s %6.2fx\n' "$threads" "$label" "$quiet" "$busy" "$(echo "$busy / $quiet" | bc -l)"
  done
done
