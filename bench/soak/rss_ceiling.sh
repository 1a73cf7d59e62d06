#!/usr/bin/env bash
# Memory ceiling of a long-running `edgeocr serve` with one worker: posts N images of every size
# from the shared eval sets (receipts, pages, single lines; a fixed shuffle, cycled), one request
# at a time, and prints the server's RSS every 50 requests, its peak, and how much the second
# half of the run added. Copy the binary first when you keep building in the same tree.
#
#   bench/soak/rss_ceiling.sh [-b build/src/cli/edgeocr] [-n requests] [-t threads]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="$root/build/src/cli/edgeocr"
requests=500
threads=2
while getopts "b:n:t:" opt; do
  case $opt in
    b) binary=$OPTARG ;; n) requests=$OPTARG ;; t) threads=$OPTARG ;;
    *) echo "usage: $0 [-b edgeocr] [-n requests] [-t threads]" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "no edgeocr binary at $binary (use -b)" >&2; exit 1; }
mapfile -t images < <(find "$root/../shared/eval" -type f \( -iname '*.jpg' -o -iname '*.png' \) | sort |
                      shuf --random-source=<(yes))
[ "${#images[@]}" -gt 0 ] || { echo "no images under $root/../shared/eval" >&2; exit 1; }

work="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$binary" serve --host 127.0.0.1 --port "$port" --workers 1 --threads "$threads" --model-path "$root/models" \
  --data-dir "$work/data" --request-timeout 600 --log-level warn > "$work/serve.log" 2>&1 &
server_pid=$!
cleanup() { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.2
done
rss_mib() { awk -v f="$1" '$1 == f":" { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"; }
echo "rss ceiling: $(basename "$binary"), ${#images[@]} images cycled to $requests requests, 1 worker, $threads threads"
echo "idle after start: $(rss_mib VmRSS) MiB"
start=$(date +%s.%N)
failed=0
half_rss=""
for ((i = 1; i <= requests; i++)); do
  image="${images[$(( (i - 1) % ${#images[@]} ))]}"
  code=$(curl -s -o /dev/null -w '%{http_code}' -F "file=@$image" "http://127.0.0.1:$port/ocr")
  [ "$code" = 200 ] || failed=$((failed + 1))
  if (( i % 50 == 0 )); then
    printf "after %4d requests: RSS %7s MiB, peak %7s MiB, %6.1f s\n" "$i" "$(rss_mib VmRSS)" "$(rss_mib VmHWM)" \
      "$(echo "$(date +%s.%N) - $start" | bc)"
  fi
  (( i == requests / 2 )) && half_rss=$(rss_mib VmRSS)
done
end_rss=$(rss_mib VmRSS)
echo "final RSS $end_rss MiB, peak $(rss_mib VmHWM) MiB; the last $((requests - requests / 2)) requests added" \
     "$(echo "$end_rss - $half_rss" | bc) MiB; non-200 responses: $failed"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^edgeocr_(process_resident|runtime_)' || true
