#!/usr/bin/env bash
# The container recipe, without a Docker engine: the Dockerfile's stages, user, port and volume,
# that it installs through the bundle's install.sh, then its ENV and CMD run as a plain process
# in a private network namespace (port 8000 there is free) and its HEALTHCHECK command run
# against it: failing while nothing listens, passing once serve is up.
# Usage: container_recipe_test.sh SOURCE_DIR EDGEOCR_BINARY PACKAGED_CONFIG MODEL_DIR
# Exit 77 = skipped (a network namespace needs root).
set -uo pipefail
inside=no
if [ "${1:-}" = --in-netns ]; then inside=yes; shift; fi
src=$1 binary=$(realpath "$2") config=$(realpath "$3") models=$(realpath "$4")
dockerfile=$src/Dockerfile
# One instruction a line: continuation lines joined.
recipe=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile")
instruction() { sed -nE "s/^$1 +//p" <<< "$recipe"; }
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

if [ $inside = no ]; then
  froms=$(instruction FROM)
  check "builds on debian:12" "[ \"\$(head -1 <<< \"\$froms\")\" = 'debian:12 AS build' ]"
  check "runs on debian:12-slim" "[ \"\$(tail -1 <<< \"\$froms\")\" = 'debian:12-slim' ]"
  check "builds the bundle with scripts/make-bundle.sh and installs it with its install.sh" \
    "grep -q 'scripts/make-bundle.sh' <<< \"\$recipe\" && grep -qE '^RUN /tmp/bundle/install.sh' <<< \"\$recipe\""
  user=$(instruction USER | tail -1)
  check "runs as a non-root user ($user)" "[ -n '$user' ] && [ '$user' != root ] && [ '$user' != 0 ]"
  check "exposes 8000" "instruction EXPOSE | grep -qwE '8000(/tcp)?'"
  check "keeps its data in a volume" "instruction VOLUME | grep -qw /var/lib/edgeocr"
  [ $fail -eq 0 ] || exit 1
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: running CMD and HEALTHCHECK needs root for a network namespace"; exit 77; }
  unshare --net bash "$0" --in-netns "$src" "$binary" "$config" "$models" || fail=1
  exit $fail
fi

# Inside the private network namespace.
ip link set lo up
# HEALTHCHECK ... CMD ["bash", "-c", "SCRIPT"]: SCRIPT as a JSON string.
health=$(instruction HEALTHCHECK | sed -nE 's/.*CMD \["bash", *"-c", *"(.*)"\]$/\1/p' | sed -e 's/\\"/"/g' -e 's/\\\\/\\/g')
[ -n "$health" ] || { echo "FAIL: no HEALTHCHECK CMD [\"bash\", \"-c\", ...] in $dockerfile"; exit 1; }
check "HEALTHCHECK asks /healthz" "grep -q ' /healthz ' <<< \"\$health\""
check "HEALTHCHECK fails while nothing listens" "! timeout 5 bash -c \"\$health\" 2>/dev/null"

# CMD ["edgeocr", "serve", ...] with the image's ENV; the image's files are the packaged config
# and the models.
read -ra cmd <<< "$(instruction CMD | sed -nE 's/^\[(.*)\]$/\1/p' | tr -d '",')"
[ "${cmd[0]:-}" = edgeocr ] || { echo "FAIL: CMD does not run edgeocr: ${cmd[*]}"; exit 1; }
cmd[0]=$binary
for i in "${!cmd[@]}"; do [ "${cmd[$i]}" = /etc/edgeocr/edgeocr.toml ] && cmd[$i]=$config; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
env_words=$(instruction ENV)
(cd "$work" && eval "exec env $env_words EDGEOCR_MODEL_PATH='$models' \"\${cmd[@]}\"") > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8000' 2>/dev/null && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
check "CMD with the image's ENV serves on 0.0.0.0:8000" "grep -q '0.0.0.0:8000' '$work/serve.log'"
check "HEALTHCHECK passes against it" "timeout 5 bash -c \"\$health\""
stop=$(instruction STOPSIGNAL)
kill -"${stop#SIG}" $pid 2>/dev/null
wait $pid
rc=$?
check "it stops cleanly on the STOPSIGNAL ($stop)" "[ $rc = 0 ]"
[ $fail -eq 0 ] || tail -20 "$work/serve.log"
exit $fail
