#!/usr/bin/env bash
# Load benchmark of `edgeocr serve`: requests/s, p50/p99 latency and the server's peak RSS at
# concurrency 1, 4 and 16, posting one receipt to POST /ocr with wrk (Debian's wrk + Lua).
# A fresh server (own data dir) runs per concurrency level, so each peak RSS is that level's.
#
#   bench/serve/load_bench.sh [-b build/src/cli/edgeocr] [-i image.jpg] [-d seconds] [-w workers] [-t threads]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="$root/build/src/cli/edgeocr"
image="$root/../shared/eval/sroie/img/000.jpg"
duration=30
workers=1
threads=2
levels="1 4 16"
while getopts "b:i:d:w:t:l:" opt; do
  case $opt in
    b) binary=$OPTARG ;; i) image=$OPTARG ;; d) duration=$OPTARG ;; w) workers=$OPTARG ;;
    t) threads=$OPTARG ;; l) levels=$OPTARG ;;
    *) echo "usage: $0 [-b edgeocr] [-i image] [-d seconds] [-w workers] [-t threads] [-l 'levels']" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
[ -x "$binary" ] || { echo "no edgeocr binary at $binary (use -b)" >&2; exit 1; }
[ -f "$image" ] || { echo "no image at $image (use -i)" >&2; exit 1; }

work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "edgeocr serve load benchmark: image $(basename "$image") ($(stat -c %s "$image") bytes), workers=$workers threads=$threads, ${duration}s per level, $(nproc) CPUs"
printf "%-12s %10s %10s %10s %10s %8s %14s\n" concurrency "req/s" "p50 ms" "p99 ms" requests non200 "peak RSS MiB"
for c in $levels; do
  port="$(free_port)"
  data="$work/data-$c"
  "$binary" serve --host 127.0.0.1 --port "$port" --data-dir "$data" --workers "$workers" --threads "$threads" \
    --queue-length 64 --request-timeout 600 --log-level warn > "$work/serve-$c.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve-$c.log" >&2; exit 1; }
    sleep 0.1
  done
  # One warm-up request so model/arena first-touch costs are not in the numbers.
  curl -sf -F "file=@$image;type=image/jpeg" "http://127.0.0.1:$port/ocr" >/dev/null
  out="$(EDGEOCR_BENCH_IMAGE="$image" wrk -t "$(( c < 2 ? c : 2 ))" -c "$c" -d "${duration}s" --timeout 600s --latency \
         -s "$here/post_image.lua" "http://127.0.0.1:$port/ocr")"
  rss_kb="$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")"
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v+0 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else if (v ~ /m$/) { sub(/m$/,"",v); print v*60000 } }'; }
  p50="$(echo "$out" | awk '$1=="50%" {print $2}' | to_ms)"
  p99="$(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)"
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  total="$(echo "$out" | awk '/requests in/ {print $1}')"
  non200="$(echo "$out" | awk '/Non-2xx/ {print $NF}')"
  printf "%-12s %10s %10.0f %10.0f %10s %8s %14.1f\n" "$c" "$rps" "$p50" "$p99" "$total" "${non200:-0}" "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
done
