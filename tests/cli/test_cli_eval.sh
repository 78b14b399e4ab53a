#!/usr/bin/env bash
# test_cli_eval.sh: `facekit eval verify`: usage errors, and an accuracy floor on the deepface pairs (CI regression check).
set -u
. "$(dirname "$0")/lib.sh"

run eval --help;                       expect_rc 0 "eval --help"
grep -q -- "--pairs" "$FK_TMP/out" || fail "eval --help lists --pairs"
run eval;                              expect_rc 2 "eval without an evaluation"
run eval nonsense;                     expect_rc 2 "unknown evaluation"
run eval verify;                       expect_rc 2 "eval verify without --pairs"
run eval verify --pairs x --folds 0-3; expect_rc 2 "bad --folds"
run eval verify --pairs x --protocol y; expect_rc 2 "bad --protocol"
run eval verify --pairs "$FK_TMP/none.txt"; expect_rc 1 "missing pair list"
[ "$(stderr_lines)" -eq 1 ] && grep -q "none.txt" "$FK_TMP/err" || fail "missing pair list: one line naming it"
printf 'a,b,same\nx.jpg,y.jpg,maybe\n' > "$FK_TMP/bad.csv"
run eval verify --pairs "$FK_TMP/bad.csv"; expect_rc 1 "malformed pair list"
grep -q "bad.csv:2" "$FK_TMP/err" || fail "malformed pair list: message names file and line"

shared=${FACEKIT_SHARED:-${FK_TEST_SHARED_DEFAULT:-}}
dp="$shared/data/deepface-pairs/tests/unit/dataset"
if ! have_models; then
  skip_data "eval accuracy floor: models not fetched"
elif [ ! -f "$dp/master.csv" ]; then
  skip_data "eval accuracy floor: $dp/master.csv not found (../shared absent)"
else
  run eval verify --pairs "$dp/master.csv" --root "$dp" --json --threads 2
  expect_rc 0 "eval verify deepface pairs"
  # measured 300 of 300 (25 images, AUC 1): the floor is one pair under it
  json_check 'd["pairs"] == 300 and d["images_without_face"] == 0 and d["accuracy_at_threshold"] >= 299 / 300 - 1e-9 and d["auc"] >= 0.999' \
    "deepface pairs accuracy floor (299/300)"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("deepface pairs: accuracy %.4f at 0.6, AUC %.4f" % (d["accuracy_at_threshold"], d["auc"]))' "$FK_TMP/out"
fi
finish "cli eval"
