#!/usr/bin/env bash
# Runs every test and counts TAP results across all of them:
#   build/asan/tests/test_*   C unit tests (ASan+UBSan)
#   build/tsan/tests/test_*   the threaded ones again under ThreadSanitizer
#   tests/integration/*.sh    the real binary over loopback
#   tests/interop/run.sh      the Go checksum-database client against Belfry
#   tests/node/*.test.mjs     ajv, canonicalize, playwright-core + chromium
#   build/fuzz/fuzz_*         each libFuzzer target, briefly, over its corpus
# A program that exits non-zero without reporting a failure counts as one
# failure (a crash). Output of each suite goes to tests/out/<suite>.log;
# failures are echoed. The last line is "N passed, N failed, N skipped".
#
# Usage: tests/run.sh [FILTER]   (run only suites whose name contains FILTER)
set -uo pipefail
cd "$(dirname "$0")/.."
export BELFRY=${BELFRY:-$PWD/build/asan/belfry}
export BELFRY_SHARED=${BELFRY_SHARED:-$PWD/../shared/data}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
FILTER=${1:-}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
OUT=tests/out
mkdir -p "$OUT"

passed=0 failed=0 skipped=0
failed_suites=()

count() { # suite-name log-file exit-code
  local name=$1 log=$2 rc=$3 p f s
  p=$(grep -cE '^ok [0-9]+' "$log" || true)
  s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$log" || true)
  f=$(grep -cE '^not ok [0-9]+' "$log" || true)
  # node's TAP marks skipped tests "# SKIP" too; todo counts as passed.
  p=$((p - s))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "CRASH $name (exit $rc)"
  fi
  if [ "$f" -gt 0 ]; then
    failed_suites+=("$name")
    echo "--- $name: $f failed"
    grep -E -A4 '^not ok|ERROR|runtime error|Sanitizer' "$log" | head -40
  fi
  printf '%-48s %4d passed %3d failed %3d skipped\n' "$name" "$p" "$f" "$s"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

run_suite() { # name timeout command...
  local name=$1 t=$2
  shift 2
  [ -n "$FILTER" ] && [[ "$name" != *"$FILTER"* ]] && return
  local log="$OUT/${name//\//_}.log"
  timeout --kill-after=10 "$t" "$@" >"$log" 2>&1
  count "$name" "$log" $?
}

for t in build/asan/tests/test_*; do
  [ -x "$t" ] || continue
  run_suite "unit/$(basename "$t")" 600 "$t"
done

# A data race reported by ThreadSanitizer makes the program exit 66: a failure.
export TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1:exitcode=66}
for t in build/tsan/tests/test_*; do
  [ -x "$t" ] || continue
  run_suite "tsan/$(basename "$t")" 900 "$t"
done

for t in tests/integration/*.sh; do
  [ -f "$t" ] || continue
  [ "$(basename "$t")" = lib.sh ] && continue
  run_suite "integration/$(basename "$t" .sh)" 900 bash "$t"
done

if [ -f tests/interop/run.sh ]; then
  run_suite "interop/go" 600 bash tests/interop/run.sh
fi

for t in tests/node/*.test.mjs; do
  [ -f "$t" ] || continue
  run_suite "node/$(basename "$t" .test.mjs)" 900 node --test --test-reporter=tap "$t"
done

for f in build/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  n=$(basename "$f")
  [ -n "$FILTER" ] && [[ "fuzz/$n" != *"$FILTER"* ]] && continue
  corpus=fuzz/corpus/$n
  log="$OUT/fuzz_$n.log"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
  timeout --kill-after=10 $((FUZZ_SECONDS + 60)) "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
    -timeout=10 "$work" >"$log" 2>&1
  rc=$?
  rm -rf "$work"
  if [ $rc -eq 0 ]; then echo "ok 1 - $n ran ${FUZZ_SECONDS}s without a finding" >>"$log"
  else echo "not ok 1 - $n found a crash or leak (exit $rc)" >>"$log"; fi
  count "fuzz/$n" "$log" 0
done

echo
if [ "${#failed_suites[@]}" -gt 0 ]; then
  echo "failed suites: ${failed_suites[*]} (logs in $OUT/)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
