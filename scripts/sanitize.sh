#!/usr/bin/env bash
# The checked build: everything (tests included) built with GCC + AddressSanitizer +
# UndefinedBehaviorSanitizer in its own folder, the test suite run there, then every libFuzzer
# harness (tests/fuzz) run for a bounded time on a copy of its seed corpus. Any sanitizer report,
# failing test or fuzzer finding fails the script.
#
#   scripts/sanitize.sh            # FUZZ_SECONDS per harness (default 30); build-asan/ and build-fuzz/
#   FUZZ_SECONDS=600 scripts/sanitize.sh --fuzz-only   # only the harnesses: a longer campaign
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILD_DIR:-$root/build-asan}
seconds=${FUZZ_SECONDS:-30}
fuzz_only=0
[ "${1:-}" = "--fuzz-only" ] && fuzz_only=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Paths relative to the checkout, so that another clone of the project reuses the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
# The checked suite is built with GCC (clang 14 cannot compile Boost.Asio's C++20 coroutines
# against Debian's libstdc++); the harnesses need clang's libFuzzer and compile only the
# sources they exercise, in their own folder.
if [ $fuzz_only -eq 0 ]; then
  # -O1 without debug info: the usual sanitizer trade-off (reports still name the functions),
  # and a build that fits the CI budget.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
    -DEDGEOCR_SANITIZE=ON "${launcher[@]}" >/dev/null
  cmake --build "$build" -j "${JOBS:-$(nproc)}"
  # Two accuracy checks on whole shared pages take 2 minutes each under the sanitizers and run
  # no code the rendered-page tests do not; the normal build runs them.
  (cd "$build" && ctest --output-on-failure -j "${TEST_JOBS:-2}" --timeout 900 -LE "${SANITIZE_EXCLUDE_LABELS:-browser|package}" \
     -E "${SANITIZE_EXCLUDE_TESTS:-^SroieTest\.LineCerAndRecallOnTenReceipts$|^SharedPages\.}")
fi
fuzz_build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
CXX=clang++-14 cmake -S "$root" -B "$fuzz_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g" \
  -DEDGEOCR_SANITIZE=ON -DEDGEOCR_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build "$fuzz_build" -j "${JOBS:-$(nproc)}" --target fuzz_image fuzz_http_parse fuzz_config fuzz_vlm_answer fuzz_envelope
build=$fuzz_build

status=0
for harness in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$harness" ] || continue
  name=$(basename "$harness")
  corpus=$(mktemp -d)
  cp "$root/tests/fuzz/corpus/$name/"* "$corpus/" 2>/dev/null || true
  log="$build/tests/fuzz/$name.log"
  if "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$build/tests/fuzz/$name-" "$corpus" >"$log" 2>&1; then
    echo "fuzz $name: ok, $(grep -o 'Done [0-9]* runs' "$log" | tail -1 | cut -d' ' -f2) runs in ${seconds}s"
  else
    echo "fuzz $name: FINDING (see $log and $build/tests/fuzz/$name-*)"
    tail -40 "$log"
    status=1
  fi
  rm -rf "$corpus"
done
exit $status
