#!/usr/bin/env bash
# Static checks, run by tools/test.sh after the main build:
#  1. clang-format: every C++ file of the tree is formatted (.clang-format). The tree is
#     kept formatted, so this is the check of the files a change touched, and of nothing
#     more than them;
#  2. a clang build of every target (build-clang/, -O0) with -Wall -Wextra -Werror and
#     -Wthread-safety: the GUARDED_BY / REQUIRES / EXCLUDES contracts (common/mutex.h), and
#     a check that the analysis still reports the mistakes of tests/lint/;
#  3. clang-tidy (.clang-tidy: bugprone-*, performance-*) on every .cc file, with the clang
#     build's compile commands.
# LINT_SKIP_TIDY=1 skips step 3 (a quick local run).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
mapfile -t sources < <(git ls-files '*.cc' '*.h')

echo "== lint: clang-format (${#sources[@]} files)"
unformatted=()
for f in "${sources[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
if [ ${#unformatted[@]} -gt 0 ]; then
  printf 'not clang-formatted (run: clang-format -i FILE):\n' >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  exit 1
fi

echo "== lint: clang build with -Wthread-safety -Werror (build-clang/)"
if [ ! -f build-clang/build.ninja ]; then
  cmake -S . -B build-clang -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g0" >/dev/null
fi
cmake --build build-clang -j "$JOBS"
# ... and the analysis is live: a file with three locking mistakes gets exactly three errors.
negative=tests/lint/thread_safety_negative.cc
diagnostics=$(clang++ -std=c++20 -fsyntax-only -Wthread-safety -I. "$negative" 2>&1 | grep 'warning:' || true)
found=$(grep -c "^$negative:.*\[-Wthread-safety-analysis\]" <<<"$diagnostics" || true)
others=$(grep -vc "^$negative:.*\[-Wthread-safety-analysis\]" <<<"$diagnostics" || true)
expected=$(grep -c 'expected-error' "$negative")
if [ "$found" != "$expected" ] || [ "$others" != 0 ]; then
  echo "thread-safety analysis: $found errors in $negative (expected $expected), $others others:" >&2
  echo "$diagnostics" >&2
  exit 1
fi

if [ "${LINT_SKIP_TIDY:-0}" != 1 ]; then
  mapfile -t units < <(git ls-files '*.cc' | grep -v '^tests/lint/')
  echo "== lint: clang-tidy (${#units[@]} files, $JOBS at a time)"
  log=$(mktemp)
  if ! printf '%s\n' "${units[@]}" |
      xargs -P "$JOBS" -n 4 clang-tidy -p build-clang --quiet >"$log" 2>/dev/null; then
    grep -E '(warning|error):' "$log" | sort -u >&2 || cat "$log" >&2
    rm -f "$log"
    echo "clang-tidy found problems (see above)" >&2
    exit 1
  fi
  rm -f "$log"
fi
echo "== lint: ok"
