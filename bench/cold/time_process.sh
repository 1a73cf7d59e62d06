# How the benchmarks time one whole process (start-up, model loading, first-call kernel creation,
# the work, exit): sourced by bench/cold/process_bench.sh and bench/peers/peer_bench.sh.
#
#   time_process LABEL FILE COMMAND...   runs COMMAND (stdout discarded) and appends
#                                        "LABEL wall_seconds peak_rss_KiB" to FILE
time_process() {
  local label=$1 file=$2 measured
  shift 2
  measured=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$measured" "$@" >/dev/null
  echo "$label $(cat "$measured")" >>"$file"
  rm -f "$measured"
}
