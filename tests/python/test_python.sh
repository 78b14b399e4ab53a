#!/usr/bin/env bash
# test_python.sh: the facekit Python package's tests (pytest), then face_recognition 1.3's own test suite run unchanged against the compatibility module.
# Environment (ctest sets them): FK_TEST_BUILD_DIR (the library to load), FK_TEST_SANITIZE, FK_TEST_SRC,
# FACEKIT_SHARED or FK_TEST_SHARED_DEFAULT (../shared, for face_recognition's suite and images).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
src=${FK_TEST_SRC:-$(cd "$here/../.." && pwd)}
build=${FK_TEST_BUILD_DIR:?FK_TEST_BUILD_DIR must name the build folder}
py=/usr/bin/python3 # Debian's python, with python3-numpy, python3-click and python3-pytest from apt

if ! "$py" -c 'import numpy, click, pytest' 2>/dev/null; then
  skip_data "python tests: $py lacks numpy, click or pytest (apt-get install python3-numpy python3-click python3-pytest)"
  finish test_python
fi

export FACEKIT_LIB="$build/libfacekit.so" PYTHONDONTWRITEBYTECODE=1
# the models the C tests use (the library's own default is the build's source tree's)
[ -n "$FK_MODELS" ] && export FACEKIT_MODELS="$FK_MODELS"
export PYTHONPATH="$src/python:$src/python/face_recognition_compat${PYTHONPATH:+:$PYTHONPATH}"
if [ "${FK_TEST_SANITIZE:-OFF}" = ON ]; then
  # an ASan-built library in a python that is not: the ASan runtime must be loaded first, and
  # python's own allocations look like leaks to LeakSanitizer, so leak detection is off here
  # (the C tests check leaks); every other report still fails the run
  # the runtimes the library itself links (gcc's, as build-san uses), else gcc's
  asan=$(ldd "$build/libfacekit.so" 2>/dev/null | awk '/libasan/ {print $3; exit}')
  ubsan=$(ldd "$build/libfacekit.so" 2>/dev/null | awk '/libubsan/ {print $3; exit}')
  [ -e "$asan" ] || asan=$(gcc -print-file-name=libasan.so)
  [ -e "$ubsan" ] || ubsan=$(gcc -print-file-name=libubsan.so)
  if [ ! -e "$asan" ]; then
    echo "SKIP: python tests under ASan: gcc has no libasan.so to preload (not applicable here)"
    exit 0
  fi
  # only python gets the runtimes preloaded (cmake, cp and the rest run as they are)
  pyenv=(env "LD_PRELOAD=$asan${ubsan:+ $ubsan}" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  echo "python under ASan+UBSan: LD_PRELOAD=$asan $ubsan, leak detection off"
else
  pyenv=(env)
fi

# run NAME ARGS...: the runner's verdict: 1 a failure, 77 skipped for data, 0 passed; a sanitizer
# report anywhere in the output fails it whatever the verdict
run_tests() {
  local name=$1 rc=0
  shift
  "${pyenv[@]}" "$py" "$here/run_pytest.py" --name "$name" "$@" >"$FK_TMP/log" 2>&1 || rc=$?
  # pytest's own report only when something failed; the runner's verdicts always (SKIP lines at
  # the start of a line, for ctest.sh's list of skips)
  [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || sed 's/^/  /' "$FK_TMP/log" | tail -n 200
  grep -E "^(SKIP|FAIL): |^$name: " "$FK_TMP/log"
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error|SUMMARY: (Address|Undefined)' "$FK_TMP/log"; then
    fail "$name: sanitizer report"
  elif [ "$rc" -eq 77 ]; then
    fk_skipped=1
  elif [ "$rc" -ne 0 ]; then
    fail "$name: exit $rc"
  fi
}

run_tests "python tests" "$here"

# make install's Python part: the packages and commands under a prefix, and the installed copy
# loading the installed library by itself (no FACEKIT_LIB, no clone on the path)
prefix="$FK_TMP/prefix"
if cmake --install "$build" --prefix "$prefix" >"$FK_TMP/install.log" 2>&1 &&
  "$src/python/install.sh" "$prefix" 1 >>"$FK_TMP/install.log" 2>&1; then
  site=$(ls -d "$prefix"/lib/python3*/dist-packages | head -n1)
  got=$(cd "$FK_TMP" && env -u FACEKIT_LIB PYTHONPATH="$site" "${pyenv[@]}" "$py" -c \
    'import facekit, face_recognition; print(facekit.library_path, "(a registry of %d models)" % len(facekit.models()))' 2>&1) || true
  case "$got" in
  "$prefix"/lib*/libfacekit.so.0\ *) echo "installed package: loads $got" ;;
  *) fail "installed package: import gave: $got" ;;
  esac
  for cmd in face_recognition face_detection; do
    (cd "$FK_TMP" && env -u FACEKIT_LIB -u PYTHONPATH "${pyenv[@]}" "$prefix/bin/$cmd" --help >"$FK_TMP/help" 2>&1) &&
      grep -q "Show this message and exit." "$FK_TMP/help" || fail "installed $cmd --help: $(head -3 "$FK_TMP/help")"
  done
else
  fail "make install's Python part: $(tail -3 "$FK_TMP/install.log")"
fi

shared=${FACEKIT_SHARED:-${FK_TEST_SHARED_DEFAULT:-}}
suite="$shared/peers/face_recognition/tests"
if [ -z "$shared" ] || [ ! -f "$suite/test_face_recognition.py" ]; then
  skip_data "face_recognition's suite: ${suite:-../shared/peers/face_recognition/tests} absent"
else
  # a writable copy, as the suite is run in face_recognition's own tree
  mkdir -p "$FK_TMP/fr"
  cp -r "$suite" "$FK_TMP/fr/tests"
  # the whole suite in both builds (about 130 s under ASan+UBSan on the two cores here)
  run_tests "face_recognition suite" --suite --tb=line "$FK_TMP/fr/tests/test_face_recognition.py"
fi

finish test_python
