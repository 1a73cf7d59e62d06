#!/usr/bin/env bash
# Char F1 on rendered pages in the languages the shared sets lack (de, es, it, pt, ko, zh-CHT):
# EdgeOCR with --lang auto, the PP recognizer alone, and Tesseract alone in the page's language,
# one row per language. The pages come from tests/support/render_language_pages (Noto fonts,
# slight blur and noise): clean print, so these are upper bounds next to photos and scans.
#
# usage: bench/languages/rendered_pages.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
edgeocr=$build/src/cli/edgeocr
render=$build/tests/support/render_language_pages
for b in "$edgeocr" "$render"; do
  [ -x "$b" ] || { echo "rendered_pages: $b not built (cmake --build $build)" >&2; exit 2; }
done
pages=$build/language-pages
"$render" "$pages"
export EDGEOCR_MODEL_PATH=${EDGEOCR_MODEL_PATH:-$root/models}
f1() { "$edgeocr" eval --dataset "$pages" --only "$1_" "${@:2}" 2>/dev/null |
         awk -F'|' '/char P\/R\/F1/ {split($3, v, "/"); gsub(/ /, "", v[3]); print v[3]}'; }
echo "| page | \`--lang auto\` | PP alone | Tesseract alone |"
echo "|---|---|---|---|"
for lang in de:deu es:spa it:ita pt:por ko:kor zh-CHT:chi_tra; do
  code=${lang%%:*} tess=${lang#*:}
  echo "| $code | $(f1 "$code" --lang auto) | $(f1 "$code") | $(f1 "$code" --engine tesseract --tesseract-lang "$tess") ($tess) |"
done
