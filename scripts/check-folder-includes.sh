#!/usr/bin/env bash
# Fails when two folders under src/ include each other: folder A has a file with
# `#include "B/..."` and folder B one with `#include "A/..."`. Layers include downwards only.
# Usage: scripts/check-folder-includes.sh [SRC_DIR]   (prints the folder include graph's loops)
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)/src}
edges=$(cd "$src" && grep -rHoE '^\s*#\s*include\s+"[^"/]+/' --include='*.h' --include='*.cpp' --include='*.hpp' . |
  sed -E 's#^\./([^/]+)/.*"([^"/]+)/$#\1 \2#' | awk '$1 != $2' | sort -u)
loops=0
while read -r from to; do
  [ -z "$from" ] && continue
  if [[ "$from" < "$to" ]] && grep -qx "$to $from" <<<"$edges"; then
    echo "folder include loop: $from <-> $to"
    (cd "$src" && grep -rlE "#\s*include\s+\"$to/" "$from" | sed 's/^/  /'
     grep -rlE "#\s*include\s+\"$from/" "$to" | sed 's/^/  /')
    loops=$((loops + 1))
  fi
done <<<"$edges"
[ "$loops" -eq 0 ] && echo "no folder include loops ($(wc -l <<<"$edges") folder edges)"
exit $((loops > 0))
