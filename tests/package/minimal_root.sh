#!/usr/bin/env bash
# Prints the path of a tarball holding a minimal Debian 12 root (debootstrap --variant=minbase),
# creating it when missing. The tarball is cached outside the build tree, keyed by month, so
# repeated test runs unpack it in seconds instead of bootstrapping again.
# Exit 77 (skip) when debootstrap cannot run here: not root, not installed, or no mirror.
set -euo pipefail
cache=${EDGEOCR_TEST_CACHE:-/var/cache/edgeocr-test}
tarball="$cache/debootstrap-bookworm-minbase-$(date -u +%Y%m).tar"
if [ -s "$tarball" ]; then echo "$tarball"; exit 0; fi
skip() { echo "minimal_root: SKIP: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "debootstrap and chroot need root"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/install-deps.sh --test)"
# The mirror apt already uses on this machine (deb822 or one-line sources), else Debian's CDN.
mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
         | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1 | tr -d " " || true)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$cache"
work=$(mktemp -d "$cache/root.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "minimal_root: debootstrap bookworm from $mirror (first run only)" >&2
if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/log" 2>&1; then
  tail -5 "$work/log" >&2
  skip "debootstrap failed (no mirror reachable?)"
fi
rm -rf "$work/root"/var/cache/apt/archives/*.deb "$work/root"/var/lib/apt/lists/*_Packages
tar -C "$work/root" -cf "$work/root.tar" .
mv "$work/root.tar" "$tarball"
echo "$tarball"
