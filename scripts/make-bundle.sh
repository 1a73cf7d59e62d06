#!/usr/bin/env bash
# Makes the offline bundle build/bundle/edgeocr-<version>-debian12-amd64.tar.gz: the edgeocr
# .deb (with the models), every runtime dependency .deb a minimal Debian 12 lacks, an install
# script and a README. Needs network for `apt-get download` (downloads are cached in
# build/bundle/cache). Prints the bundle's path. The Tesseract language packs come from
# EDGEOCR_LANGS ("ara,rus,kor"; default: scripts/languages.sh; "none": only osd, eng, chi_sim).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=languages.sh
. "$root/scripts/languages.sh"
langs=${EDGEOCR_LANGS:-$DEFAULT_LANGS}
[ "$langs" = none ] && langs=""
lang_list=$(lang_packages "$langs") || exit 2
mapfile -t lang_pkgs <<< "$lang_list"
build=${BUILD_DIR:-$root/build}
out=$build/bundle
"$root/scripts/fetch-models.sh" >&2
# The binary and the files the package takes; the tests need not be built for a bundle.
"$root/scripts/build.sh" edgeocr edgeocr_package_files >&2
rm -f "$build"/package/edgeocr_*.deb
(cd "$build" && cpack -G DEB >&2)
deb=$(ls "$build"/package/edgeocr_*_amd64.deb)
version=$(dpkg-deb -f "$deb" Version)
name=edgeocr-$version-debian12-amd64
stage=$out/$name
rm -rf "$stage" && mkdir -p "$stage/debs" "$out/cache"

# The resolved dependency set as apt sees it on an empty system (a status file with nothing
# installed), minus what a minimal Debian 12 has: debootstrap --variant=minbase installs the
# Essential and Priority: required packages, apt, and what they depend on; that set is
# resolved the same way.
empty=$(mktemp); trap 'rm -f "$empty"' EXIT
resolve() {
  apt-get -s -o Dir::State::status="$empty" -o Debug::NoLocking=1 install --no-install-recommends "$@" 2>/dev/null \
    | sed -nE 's/^Inst ([^ ]+) \(([^ ]+) .*\[([a-z0-9]+)\]\)$/\1 \2 \3/p' | sort -u
}
resolve "$deb" "${lang_pkgs[@]}" | grep -v '^edgeocr ' > "$out/resolved.txt"
[ -s "$out/resolved.txt" ] || { echo "make-bundle: could not resolve the dependencies of $deb" >&2; exit 1; }
base_names=$(apt-cache dumpavail | awk '/^Package:/{p=$2} /^(Essential: yes|Priority: required)/{print p}' | sort -u)
# shellcheck disable=SC2086
resolve $base_names apt usr-is-merged | awk '{print $1}' > "$out/base.txt"
[ -s "$out/base.txt" ] || { echo "make-bundle: could not resolve the minimal Debian 12 set" >&2; exit 1; }
missing=()
count=0
while read -r pkg ver arch; do
  grep -qxF "$pkg" "$out/base.txt" && continue
  file="${pkg}_${ver//:/%3a}_${arch}.deb"
  [ -s "$out/cache/$file" ] || missing+=("$pkg=$ver")
  echo "$file" >> "$stage/debs.list"
  count=$((count + 1))
done < "$out/resolved.txt"
echo "make-bundle: $count dependency packages (of $(wc -l < "$out/resolved.txt") resolved), ${#missing[@]} to download" >&2
[ ${#missing[@]} -eq 0 ] || (cd "$out/cache" && apt-get download "${missing[@]}" >&2)
while read -r file; do
  [ -s "$out/cache/$file" ] || { echo "make-bundle: $file was not downloaded" >&2; exit 1; }
  cp "$out/cache/$file" "$stage/debs/"
done < "$stage/debs.list"
rm "$stage/debs.list"

cp "$deb" "$stage/"
install -m 755 "$root/packaging/bundle-install.sh" "$stage/install.sh"
cp "$root/packaging/bundle-README.md" "$stage/README.md"
(cd "$stage" && ls edgeocr_*.deb debs/ | grep '\.deb$' > manifest.txt && find . -name '*.deb' | sort | xargs sha256sum > SHA256SUMS)
tar -C "$out" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
