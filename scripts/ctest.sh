#!/usr/bin/env bash
# ctest.sh BUILD_DIR [CTEST_ARGS...]: ctest in BUILD_DIR; under FK_REQUIRE_DATA=1 (.ci/run) a test that did not run is a failure too.
# The tests themselves turn a missing ../shared or model into a failure under FK_REQUIRE_DATA; this
# catches a skip that bypasses them (a test exiting 77 on its own, a test ctest could not start).
set -uo pipefail
dir=${1:?usage: ctest.sh BUILD_DIR [CTEST_ARGS...]}
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd "$dir" && ctest --no-tests=error "$@") 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# ctest shows a passing or skipped test's output nowhere: repeat every SKIP line here, so that
# what did not run, and why, is on the screen
skips=$(grep -h '^SKIP: ' "$dir/Testing/Temporary/LastTest.log" 2>/dev/null | sort -u)
if [ -n "$skips" ]; then
  echo "Skipped checks in $dir:"
  echo "$skips" | sed 's/^/  /'
fi
if [ "$rc" -eq 0 ] && [ -n "${FK_REQUIRE_DATA:-}" ] && [ "$FK_REQUIRE_DATA" != 0 ] &&
  grep -q 'The following tests did not run' "$log"; then
  echo "FAIL: FK_REQUIRE_DATA=$FK_REQUIRE_DATA: the tests listed above did not run (CI has ../shared and the models)"
  rc=1
fi
exit "$rc"
