#!/usr/bin/env bash
# The offline bundle, for real: builds it, unpacks a clean minimal Debian 12 root (cached
# debootstrap), installs the bundle there with networking off, then runs `edgeocr ocr` on a
# receipt from another folder and `edgeocr serve` (as the edgeocr user, with the packaged config)
# answering POST /ocr through loopback, all inside the root.
# Usage: bundle_test.sh SOURCE_DIR BUILD_DIR SROIE_DIR. Exit 77 = skipped (says why).
set -euo pipefail
src=$1 build=$2 sroie=$3
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root for chroot and network namespaces"
command -v unshare >/dev/null || skip "unshare is missing"
receipt=$sroie/img/000.jpg key=$sroie/key/000.json
[ -f "$receipt" ] && [ -f "$key" ] || skip "no SROIE receipt at $receipt"
start=$(date +%s)
rc=0; tarball=$("$here/minimal_root.sh") || rc=$?
[ $rc -eq 77 ] && skip "no minimal Debian 12 root (see above)"
[ $rc -eq 0 ] || exit $rc
echo "minimal root: $tarball ($(( $(date +%s) - start )) s)"

t=$(date +%s)
bundle=$(BUILD_DIR=$build "$src/scripts/make-bundle.sh" | tail -1)
echo "bundle: $bundle, $(du -h "$bundle" | cut -f1) ($(( $(date +%s) - t )) s)"

# The package itself: lintian must report no error (warnings are listed in README).
if command -v lintian >/dev/null; then
  t=$(date +%s)
  lintian --fail-on error --tag-display-limit 0 "$build"/package/edgeocr_*_amd64.deb || { echo "FAIL: lintian errors"; exit 1; }
  echo "lintian: no errors ($(( $(date +%s) - t )) s)"
else
  echo "lintian not installed: package not linted (scripts/install-deps.sh --test)"
fi

# apt installs the language packs every install reads along with the .deb (Recommends).
recommends=$(dpkg-deb -f "$build"/package/edgeocr_*_amd64.deb Recommends)
for pack in $(. "$src/scripts/languages.sh" && lang_packages ""); do
  [[ ", $recommends," == *", $pack,"* ]] || { echo "FAIL: the .deb does not recommend $pack (Recommends: $recommends)"; exit 1; }
done
echo "Recommends: $recommends"

# The units as packaged, with the packaged binary and man page overlaid on this system's
# /usr/bin and /usr/share/man (in a private mount namespace) so ExecStart= and man: resolve.
unpacked=$(mktemp -d)
dpkg-deb -x "$build"/package/edgeocr_*_amd64.deb "$unpacked"
if command -v systemd-analyze >/dev/null; then
  unshare -m sh -c "mount -t overlay overlay -o lowerdir=$unpacked/usr/bin:/usr/bin /usr/bin &&
    mount -t overlay overlay -o lowerdir=$unpacked/usr/share/man:/usr/share/man /usr/share/man &&
    systemd-analyze verify $unpacked/lib/systemd/system/edgeocr.service $unpacked/lib/systemd/system/edgeocr-collect.service" \
    || { echo "FAIL: systemd-analyze verify"; rm -rf "$unpacked"; exit 1; }
  echo "systemd-analyze verify: units accepted"
else
  echo "systemd-analyze not available: units not verified"
fi
rm -rf "$unpacked"

work=$(mktemp -d /var/tmp/edgeocr-package-test.XXXXXX)
cleanup() { umount -R "$work/root/proc" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/root"
tar -C "$work/root" -xf "$tarball"
cp "$bundle" "$work/root/tmp/"
cp "$receipt" "$work/root/tmp/receipt.jpg"
cat > "$work/root/tmp/inside.sh" <<'INSIDE'
set -eu
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
cd /tmp
tar -xzf edgeocr-*-debian12-amd64.tar.gz
./edgeocr-*-debian12-amd64/install.sh > /tmp/install.log 2>&1 || { tail -30 /tmp/install.log; exit 1; }
dpkg-query -W -f='${Package}\n' > /tmp/packages.txt
mkdir -p /tmp/elsewhere && cd /tmp/elsewhere  # no ./models here: the installed ones must be found
edgeocr ocr /tmp/receipt.jpg > /tmp/ocr.txt

# The service's set-up: its user, its working folder, the packaged config.
install -d -o edgeocr -g edgeocr -m 0750 /var/lib/edgeocr
cd /var/lib/edgeocr
setpriv --reuid=edgeocr --regid=edgeocr --clear-groups \
  edgeocr serve --config /etc/edgeocr/edgeocr.toml --port 18000 > /tmp/serve.log 2>&1 &
pid=$!
up=no
for _ in $(seq 1 150); do
  if timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/18000' 2>/dev/null; then up=yes; break; fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
[ $up = yes ] || { echo "serve did not start"; cat /tmp/serve.log; exit 1; }
b=edgeocr-test-boundary
{ printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="receipt.jpg"\r\nContent-Type: image/jpeg\r\n\r\n' $b
  cat /tmp/receipt.jpg
  printf -- '\r\n--%s--\r\n' $b; } > /tmp/body
exec 3<>/dev/tcp/127.0.0.1/18000 || { echo "cannot connect to serve"; exit 1; }
printf 'POST /ocr HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' \
  $b "$(stat -c %s /tmp/body)" >&3
cat /tmp/body >&3
timeout 120 cat <&3 > /tmp/response.txt
exec 3<&-
kill -TERM $pid
wait $pid && echo 0 > /tmp/serve.rc || echo $? > /tmp/serve.rc
INSIDE
t=$(date +%s)
# A new network namespace has only a loopback interface, and it starts down.
unshare --net --mount --pid --fork --mount-proc="$work/root/proc" \
  sh -c "ip link set lo up && [ \$(ip -o link show | wc -l) = 1 ] || { echo 'FAIL: more than loopback'; exit 1; }
         exec chroot '$work/root' /bin/bash /tmp/inside.sh"
echo "install + ocr + serve inside the root, no network: $(( $(date +%s) - t )) s"

fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
r=$work/root/tmp
total=$(grep -oE '"total": *"[^"]+"' "$key" | sed -E 's/.*"([^"]+)"$/\1/')
date_=$(grep -oE '"date": *"[^"]+"' "$key" | sed -E 's/.*"([^"]+)"$/\1/')
check "edgeocr ocr read the receipt's total $total and date $date_" "grep -qF '$total' '$r/ocr.txt' && grep -qF '$date_' '$r/ocr.txt'"
check "POST /ocr answered 200 with the total" "head -1 '$r/response.txt' | grep -q ' 200 ' && grep -qF '$total' '$r/response.txt'"
check "serve stopped cleanly on SIGTERM" "[ \"\$(cat '$r/serve.rc')\" = 0 ]"
# Tesseract's language data (tesseract-ocr-<lang>) is runtime data of the line router; the
# tesseract-ocr command-line tool is not.
check "no -dev or test-tool packages installed" "! grep -E -- '-dev\$|^(postgresql|chromium|wrk|googletest|cmake)|^tesseract-ocr\$' '$r/packages.txt'"
check "the bundle carried Tesseract's script detection and language packs" "grep -qx tesseract-ocr-osd '$r/packages.txt' && grep -qx tesseract-ocr-ara '$r/packages.txt'"
if [ $fail -ne 0 ]; then
  echo "--- ocr.txt"; head -20 "$r/ocr.txt"; echo "--- response"; head -c 1500 "$r/response.txt"; echo; echo "--- serve.log"; tail -20 "$r/serve.log"
fi
echo "package test: $(( $(date +%s) - start )) s in all"
exit $fail
