#!/usr/bin/env bash
# Static checks, run by tools/test.sh after the main build:
#  1. clang-format: every C++ file of the tree is formatted (.clang-format). The tree is
#     kept formatted, so this is the check of the files a change touched, and of nothing
#     more than them;
#  2. clang-tidy (.clang-tidy: bugprone-*, performance-*, and clang's own diagnostics) on
#     every .cc file with the main build's compile commands plus -Wthread-safety: clang
#     parses every file, so this is also the clang build of the tree (its -Wall -Wextra
#     warnings are errors) and the check of the GUARDED_BY / REQUIRES / EXCLUDES contracts
#     (common/mutex.h); and a check that the analysis still reports the mistakes of
#     tests/lint/.
# LINT_SKIP_TIDY=1 skips step 2 (a quick local run).
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

if [ "${LINT_SKIP_TIDY:-0}" != 1 ]; then
  [ -f build/compile_commands.json ] || { echo "build/compile_commands.json missing: run tools/build.sh" >&2; exit 1; }
  tidy=(clang-tidy -p build --quiet --extra-arg=-Wthread-safety
        --extra-arg=-Wno-unknown-warning-option)
  # The analysis is live: a file with three locking mistakes gets exactly three errors.
  negative=tests/lint/thread_safety_negative.cc
  diagnostics=$("${tidy[@]}" "$negative" -- -std=c++20 -I. 2>&1 | grep -E '^[^[:space:]]+: (error|warning): ' || true)
  found=$(grep -c "^$PWD/$negative:.*\[clang-diagnostic-thread-safety-analysis" <<<"$diagnostics" || true)
  others=$(grep -vc "^$PWD/$negative:.*\[clang-diagnostic-thread-safety-analysis" <<<"$diagnostics" || true)
  expected=$(grep -c 'expected-error' "$negative")
  if [ "$found" != "$expected" ] || [ "$others" != 0 ]; then
    echo "thread-safety analysis: $found errors in $negative (expected $expected), $others others:" >&2
    echo "$diagnostics" >&2
    exit 1
  fi

  mapfile -t units < <(git ls-files '*.cc' | grep -v '^tests/lint/')
  echo "== lint: clang-tidy + clang -Wthread-safety (${#units[@]} files, $JOBS at a time)"
  log=$(mktemp)
  if ! printf '%s\n' "${units[@]}" |
      xargs -P "$JOBS" -n 4 "${tidy[@]}" >"$log" 2>/dev/null; then
    grep -E '(warning|error):' "$log" | sort -u >&2 || cat "$log" >&2
    rm -f "$log"
    echo "clang-tidy found problems (see above)" >&2
    exit 1
  fi
  rm -f "$log"
fi
echo "== lint: ok"
