#!/usr/bin/env bash
# Set-up by role: the runtime role is exactly the libraries the binary links or opens with
# dlopen (no -dev, no test tool), build + runtime (what setup-and-run installs) carries no test
# tool, and the project configures without the test role's packages (the product alone).
# Usage: roles_test.sh SOURCE_DIR EDGEOCR_BINARY
set -uo pipefail
src=$1 binary=$2
deps=$src/scripts/install-deps.sh
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

runtime=$("$deps" --list --runtime --langs none) || { echo "FAIL: install-deps.sh --list --runtime"; exit 1; }
build_runtime=$("$deps" --list --build --runtime --langs none) || { echo "FAIL: install-deps.sh --list --build --runtime"; exit 1; }
test_role=$("$deps" --list --test) || { echo "FAIL: install-deps.sh --list --test"; exit 1; }
libraries=$(grep -v '^tesseract-ocr-' <<< "$runtime")

check "the runtime role has no -dev package" "! grep -q -- '-dev\$' <<< \"\$runtime\""
# The packages the binary's direct library dependencies (DT_NEEDED) come from; the C and C++
# runtimes are in every Debian system.
needed=$(readelf -d "$binary" | sed -nE 's/.*\(NEEDED\).*\[(.+)\]/\1/p')
[ -n "$needed" ] || { echo "FAIL: no NEEDED entries in $binary"; exit 1; }
# Libraries it opens itself on first use (dlopen) are named among its strings.
opened=$(strings "$binary" | grep -E '^lib[A-Za-z0-9_+.-]+\.so(\.[0-9]+)+$' | sort -u | comm -23 - <(tr ' ' '\n' <<< "$needed" | sort -u))
providers=$(for so in $needed $opened; do
  path=$({ ldd "$binary"; ldconfig -p | awk '{print $1, "=>", $NF}'; } | awk -v so="$so" '$1 == so {print $3; exit}')
  [ -n "$path" ] || { echo "FAIL: $so does not resolve" >&2; continue; }
  # ldd may name the file by either side of the /usr merge; dpkg knows one.
  { dpkg -S "$path" || dpkg -S "${path#/usr}" || dpkg -S "/usr$path"; } 2>/dev/null | sed -E 's/^([^:,]+).*/\1/' | head -1
done | sort -u | grep -vxE 'libc6|libgcc-s1|libstdc\+\+6')
missing=$(comm -23 <(echo "$providers") <(sort -u <<< "$libraries") | tr '\n' ' ')
extra=$(comm -13 <(echo "$providers") <(sort -u <<< "$libraries") | tr '\n' ' ')
check "the runtime role installs every library the binary links (missing: ${missing:-none})" "[ -z '$missing' ]"
check "the runtime role installs nothing else (extra: ${extra:-none})" "[ -z '$extra' ]"
check "the runtime role installs the language packs every install reads" \
  "grep -qx tesseract-ocr-osd <<< \"\$runtime\" && grep -qx tesseract-ocr-eng <<< \"\$runtime\""

test_tools='^(libgtest-dev|libbenchmark-dev|libfreetype-dev|fonts-noto-cjk|chromium|postgresql|wrk|lintian|debootstrap|tesseract-ocr|poppler-utils|clang-14)$'
check "build + runtime has no test tool ($(grep -E "$test_tools" <<< "$build_runtime" | tr '\n' ' '))" \
  "! grep -qE '$test_tools' <<< \"\$build_runtime\""
check "the test role adds GoogleTest" "grep -qx libgtest-dev <<< \"\$test_role\""
check "setup-and-run installs build + runtime only" \
  "grep -qE 'install-deps.sh\"? --build --runtime\$' '$src/scripts/setup-and-run.sh' && [ \$(grep -c 'install-deps.sh' '$src/scripts/setup-and-run.sh') = 1 ]"

# Configured as on a machine without the test role: the product and its package, no tests.
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
if cmake -S "$src" -B "$build" -G Ninja -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON > "$build/configure.log" 2>&1; then
  targets=$(ninja -C "$build" -t targets all 2>/dev/null | cut -d: -f1)
  check "configures without GoogleTest: the binary is a target" "grep -qx src/cli/edgeocr <<< \"\$targets\""
  check "configures without GoogleTest: no test program is" "! grep -qE '(^|/)[a-z_]+_tests?\$' <<< \"\$targets\""
else
  tail -20 "$build/configure.log"
  check "configures without GoogleTest" false
fi
exit $fail
