#!/usr/bin/env bash
# Fails when two folders under src/ include each other, directly or through others (a folder is
# the first path component of `#include "folder/..."`). Prints the folder graph's edges with -v.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
edges=$(cd "$root/src" && grep -rHoE '^#include "[a-z_0-9]+/' --include='*.h' --include='*.cpp' . |
  sed -E 's|^\./([^/]+)/.*#include "([^/]+)/$|\1 \2|' | awk '$1 != $2' | sort -u)
[ "${1:-}" = -v ] && echo "$edges"
# tsort reports a cycle on stderr ("input contains a loop"); the graph is a DAG otherwise.
if ! out=$(echo "$edges" | tsort 2>&1 >/dev/null) || [ -n "$out" ]; then
  echo "folder include loop under src/:" >&2
  echo "$out" >&2
  exit 1
fi
echo "no folder include loops under src/"
