#!/usr/bin/env bash
# Sync throughput benchmark: records/s drained from the edge outbox into PostgreSQL, and bytes per
# record on the wire, for sync.images = none | thumbnail | full. Everything runs on 127.0.0.1:
# a throwaway PostgreSQL cluster, `collect` over TLS, `sync --once` timed end to end.
#
#   bench/sync/sync_bench.sh [BUILD_DIR] [RECORDS] [BATCH_SIZE]
#   (defaults: build-sync, 5000, 200; needs the edgeocr_sync_testbin target built)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build-sync}" && pwd)
records=${2:-5000}
batch=${3:-200}
bin=$build/tests/sync/edgeocr_sync_testbin
corpus=${SYNC_BENCH_CORPUS:-$root/../shared/eval/sroie}
pgbin=/usr/lib/postgresql/15/bin
[ -x "$bin" ] || { echo "build first: cmake --build $build --target edgeocr_sync_testbin" >&2; exit 1; }
[ -d "$corpus/img" ] || { echo "no corpus $corpus (img/*.jpg + box/*.csv; set SYNC_BENCH_CORPUS)" >&2; exit 1; }

work=$(mktemp -d /tmp/edgeocr-sync-bench-XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cleanup() {
  [ -n "${collector:-}" ] && kill "$collector" 2>/dev/null && wait "$collector" 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "${SYNC_BENCH_KEEP_LOG:-}" ] && trap 'cp $work/collector.log $SYNC_BENCH_KEEP_LOG; cleanup' EXIT
[ "$(id -u)" = 0 ] && chown postgres "$work"

pgport=$(free_port)
as_pg "$pgbin/initdb" -D "$work/pg" -A trust -U postgres --no-sync >/dev/null
# Durable commits (fsync on), as a real head office would run.
as_pg "$pgbin/pg_ctl" -D "$work/pg" -w -l "$work/pg.log" \
  -o "-p $pgport -k $work -c listen_addresses=127.0.0.1" start >/dev/null

cd "$work"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj /CN=bench-ca 2>/dev/null
openssl req $ec -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
mkdir -m 700 keys
"$bin" sync keygen --out store.key >/dev/null
install -m 600 store.key keys/bench.key

port=$(free_port)
"$bin" collect --listen 127.0.0.1:$port --tls-cert server.pem --tls-key server.key --keys keys \
  --pg "host=127.0.0.1 port=$pgport user=postgres dbname=postgres" > collector.log 2>&1 &
collector=$!
for _ in $(seq 100); do curl -sf --cacert ca.pem https://127.0.0.1:$port/healthz >/dev/null 2>&1 && break; sleep 0.1; done

nimg=$(ls "$corpus"/img/*.jpg | wc -l)
avg=$(( $(cat "$corpus"/img/*.jpg | wc -c) / nimg ))
echo "records=$records batch_size=$batch corpus=$corpus ($nimg receipts, mean image $avg bytes, real OCR lines)"
printf '%-10s %12s %14s %16s\n' images records/s bytes/record "MiB on the wire"
for mode in none thumbnail full; do
  rm -rf "edge-$mode"; mkdir "edge-$mode"
  cat > "$mode.toml" <<CONF
[sync]
url = "https://127.0.0.1:$port"
ca = "$work/ca.pem"
key_file = "$work/store.key"
store_id = "bench"
batch_size = $batch
images = $mode
CONF
  n=$records; [ "$mode" = full ] && n=$(( records / 5 ))  # full images: fewer records, same method
  "$bin" seed --data-dir "edge-$mode" --count "$n" --start $((RANDOM * 1000)) --corpus "$corpus" \
    --image-every 1 --payload-bytes 0 >/dev/null
  start=$(date +%s.%N)
  out=$("$bin" sync --once --data-dir "edge-$mode" --config "$mode.toml")
  end=$(date +%s.%N)
  bytes=$(echo "$out" | sed -n 's/.*(\([0-9]*\) bytes on the wire).*/\1/p')
  awk -v n="$n" -v s="$start" -v e="$end" -v b="$bytes" -v m="$mode" \
    'BEGIN { printf "%-10s %12.0f %14.0f %16.1f\n", m, n / (e - s), b / n, b / 1048576 }'
done
stored=$(psql -h 127.0.0.1 -p "$pgport" -U postgres -Atc "SELECT count(*) FROM sync_records")
echo "rows in PostgreSQL: $stored"
