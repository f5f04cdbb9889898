#!/usr/bin/env bash
# The test command: release build + the whole CTest suite, the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, the threaded kernels under ThreadSanitizer,
# and a short libFuzzer run of every fuzz target. Needs ../shared for the model tests (they
# report themselves skipped without it, and fail when CI=true).
# Usage: scripts/test.sh [--quick]   (--quick: release suite only)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
scripts/deps.sh

step() { printf '\n=== %s ===\n' "$*"; }

step "release build and tests"
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"$jobs"
[ "${1:-}" = "--quick" ] && exit 0

step "format and lint (clang-format, clang-tidy 14)"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tools tests include -name '*.[ch]')
clang-format --dry-run --Werror $files
run-clang-tidy-14 -p build/release -quiet -j "$jobs" 'src/|tools/' >build/release/clang-tidy.log 2>&1 ||
    { grep -E 'error:' build/release/clang-tidy.log | sort -u | head -40; echo "clang-tidy failed"; exit 1; }

step "ASan + UBSan build and tests"
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j"$jobs"
ctest --preset asan-ubsan -j"$jobs"

step "TSan: threaded kernels"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j"$jobs"
ctest --preset tsan -j"$jobs" -L kernels

step "fuzzing (${HC_FUZZ_SECONDS:-30} s per target)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$jobs"
for f in build/fuzz/tests/fuzz_*; do
  name=$(basename "$f"); short=${name#fuzz_}
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$short/." "$work/" 2>/dev/null || true
  "$f" -max_total_time="${HC_FUZZ_SECONDS:-30}" -rss_limit_mb=2048 -print_final_stats=0 "$work" \
      >"build/fuzz/$name.log" 2>&1 || { echo "fuzz target $name failed:"; tail -40 "build/fuzz/$name.log"; exit 1; }
  echo "$name: $(grep -Eo 'Done [0-9]+ runs' "build/fuzz/$name.log" || echo done)"
  rm -rf "$work"
done
echo; echo "all tests passed"
