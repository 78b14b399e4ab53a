"""run_pytest: runs pytest on the facekit Python tests or on face_recognition's own suite and sorts every outcome: passed, failed, skipped for absent data, or (the suite) a test whose numbers dlib 19.24 itself does not give."""

import argparse
import sys

import pytest

# face_recognition 1.3's tests whose expected numbers dlib 19.24 itself does not give with the
# pinned models (measured: dlib's own net, single and batched, finds obama.jpg's face at
# (353, 117)-(636, 400) at upsample 0, as we do; the test wants top 154, bottom 390, from an older
# dlib). Such a test may fail, saying so; tests/python/test_compat.py checks dlib 19.24's numbers.
DIVERGES = {
    "test_raw_face_locations_batched": "dlib 19.24's MMOD gives top 117, bottom 400 at upsample 0 (so do we)",
    "test_batched_face_locations": "dlib 19.24's MMOD gives (117, 636, 400, 353) at upsample 0 (so do we)",
}


class Collector:
    """pytest plugin: the outcome of every test, by node id."""

    def __init__(self):
        self.outcome = {}
        self.reason = {}

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.outcome[report.nodeid] = "failed"
            lines = report.longreprtext.strip().splitlines()
            # the assertion's first "E" line says what differed; else the last line (--tb=line)
            errs = [ln for ln in lines if ln.startswith("E ")]
            self.reason[report.nodeid] = [(errs[0][1:].strip() if errs else lines[-1]) if lines else ""]
        elif report.skipped:
            self.outcome[report.nodeid] = "skipped"
            r = report.longrepr
            why = r[2] if isinstance(r, tuple) else str(r)
            self.reason[report.nodeid] = [why[len("Skipped: "):] if why.startswith("Skipped: ") else why]
        elif report.when == "call" and report.nodeid not in self.outcome:
            self.outcome[report.nodeid] = "passed"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--name", required=True, help="what the summary lines call this run")
    ap.add_argument("--suite", action="store_true", help="face_recognition's suite: allow the DIVERGES failures")
    a, pytest_args = ap.parse_known_args()  # the rest goes to pytest
    col = Collector()
    # --capture=sys: what the C side writes to fd 2 (a sanitizer report before an abort) reaches
    # the log instead of dying in pytest's capture buffer
    rc = pytest.main(["-p", "no:cacheprovider", "-q", "--tb=short", "--capture=sys"] + pytest_args, plugins=[col])
    if rc not in (0, 1) or not col.outcome:  # usage error, collection error, nothing ran
        print("FAIL: %s: pytest exited %d before running the tests" % (a.name, rc))
        return 1
    passed, failed, data, diverged = [], [], [], []
    for node, out in sorted(col.outcome.items()):
        test = node.rsplit("::", 1)[-1]
        why = " ".join(col.reason.get(node, []))
        if out == "passed":
            passed.append(test)
        elif out == "skipped" and why.startswith("data: "):
            data.append((test, why[6:]))
        elif a.suite and out == "failed" and test in DIVERGES:
            diverged.append(test)
        else:
            failed.append((test, why))
    for test, why in failed:
        print("FAIL: %s: %s: %s" % (a.name, test, why))
    by_reason = {}
    for test, why in data:
        by_reason.setdefault(why, []).append(test)
    for why, tests in sorted(by_reason.items()):
        print("SKIP: %s: %d test(s) for absent data: %s (%s)" % (a.name, len(tests), why, " ".join(tests)))
    for test in diverged:
        print("DIVERGES: %s: %s: %s" % (a.name, test, DIVERGES[test]))
    print("%s: %d passed, %d failed, %d skipped for absent data, %d where the test's numbers are not dlib 19.24's"
          % (a.name, len(passed), len(failed), len(data), len(diverged)))
    if failed:
        return 1
    # data skips make the shell test exit 77; under FK_REQUIRE_DATA conftest already failed them
    return 77 if data else 0


if __name__ == "__main__":
    sys.exit(main())
