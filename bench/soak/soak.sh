#!/usr/bin/env bash
# Soak: starts `edgeocr serve` (own data dir, free port) and runs bench/soak/soak.py against it
# for the given time; prints one line a minute and the RSS slope, unexpected statuses and lost
# records at the end. Copy the binary first when you keep building in the same tree.
#
#   bench/soak/soak.sh [-b build/src/cli/edgeocr] [-m minutes] [-w warm-up minutes] [-t threads]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="$root/build/src/cli/edgeocr"
minutes=60
warmup=10
threads=1
while getopts "b:m:w:t:" opt; do
  case $opt in
    b) binary=$OPTARG ;; m) minutes=$OPTARG ;; w) warmup=$OPTARG ;; t) threads=$OPTARG ;;
    *) echo "usage: $0 [-b edgeocr] [-m minutes] [-w warm-up minutes] [-t threads]" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "no edgeocr binary at $binary (use -b)" >&2; exit 1; }
work="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$binary" serve --port "$port" --threads "$threads" --model-path "$root/models" --data-dir "$work/data" \
  --log-level warn > "$work/serve.log" 2>&1 &
server_pid=$!
cleanup() { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.2
done
echo "soak: edgeocr serve pid $server_pid on port $port, $minutes min (warm-up $warmup min)"
python3 "$here/soak.py" --port "$port" --pid "$server_pid" --minutes "$minutes" --warmup "$warmup" \
  --images "$root/../shared/eval"
