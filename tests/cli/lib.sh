# lib.sh: helpers the CLI shell tests source: running facekit with its output captured, checks, sanitizer scans.
# Environment: FACEKIT_BIN (the binary), FACEKIT_MODELS or FK_TEST_MODELS_DEFAULT (the models).

FK_BIN=${FACEKIT_BIN:?FACEKIT_BIN must name the facekit binary}
FK_MODELS=${FACEKIT_MODELS:-${FK_TEST_MODELS_DEFAULT:-}}
FK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/facekit-cli-test.XXXXXX")
trap 'rm -rf "$FK_TMP"' EXIT
fk_failures=0
fk_skipped=0
# sanitizer runs: leaks and undefined behaviour make the program fail, and reports go to stderr
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fail() {
  echo "FAIL: $*"
  fk_failures=$((fk_failures + 1))
}

# run ARGS...: runs facekit; sets $rc, stdout in $FK_TMP/out, stderr in $FK_TMP/err; a sanitizer
# report on stderr is a failure whatever the exit code.
run() {
  rc=0
  "$FK_BIN" "$@" >"$FK_TMP/out" 2>"$FK_TMP/err" || rc=$?
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error|SUMMARY: (Address|Undefined)' "$FK_TMP/err"; then
    fail "sanitizer report from: facekit $*"
    sed 's/^/    /' "$FK_TMP/err" | head -40
  fi
}

# expect_rc WANT WHAT: the last run's exit code is WANT.
expect_rc() {
  [ "$rc" -eq "$1" ] || { fail "$2: exit $rc, want $1"; sed 's/^/    stderr: /' "$FK_TMP/err" | head -5; }
}

# stderr_lines: the number of lines the last run wrote on stderr.
stderr_lines() {
  wc -l <"$FK_TMP/err" | tr -d ' '
}

# json_check PYTHON-EXPR WHAT: parses the last run's stdout as JSON into `d` and checks the expression.
json_check() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
sys.exit(0 if ok else 1)' "$FK_TMP/out" "$1" || fail "$2: JSON check failed: $1"
}

# skip_data WHAT: a check that cannot run because data is absent (../shared, the fetched models,
# libdlib-data). A visible SKIP line, and finish then exits 77 (ctest: skipped, not passed); with
# FK_REQUIRE_DATA=1 (.ci/run sets it) a failure instead, so CI cannot pass with its data skipped.
skip_data() {
  if [ -n "${FK_REQUIRE_DATA:-}" ] && [ "$FK_REQUIRE_DATA" != 0 ]; then
    fail "$1 (FK_REQUIRE_DATA=$FK_REQUIRE_DATA: a data test may not skip)"
  else
    echo "SKIP: $1"
    fk_skipped=1
  fi
}

have_models() {
  [ -n "$FK_MODELS" ] && [ -f "$FK_MODELS/ssd_mobilenetv1_model.bin" ] && [ -f "$FK_MODELS/face_recognition_model.bin" ] &&
    [ -f "$FK_MODELS/demo/sample1.jpg" ]
}

# finish NAME: PASS / FAIL summary and the exit code: 1 on a failed check, else 77 when a part
# was skipped for want of data (what did run passed), else 0.
finish() {
  if [ "$fk_failures" -ne 0 ]; then
    echo "FAIL: $1: $fk_failures check(s) failed"
    exit 1
  fi
  if [ "$fk_skipped" -ne 0 ]; then
    echo "SKIP: $1: the checks that ran passed; the ones above marked SKIP did not run"
    exit 77
  fi
  echo "PASS: $1"
  exit 0
}
