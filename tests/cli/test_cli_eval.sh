#!/usr/bin/env bash
# test_cli_eval.sh: `facekit eval verify` and `eval identify`: usage errors, a verification floor on the deepface pairs, a quick LFW identification run.
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

# eval identify: help, usage errors, and a quick LFW run on the first 20 people with two images or
# more, with the cheapest embed options (face-api's ResNet, no jitter: about 10 s on 2 threads)
run eval identify --help;               expect_rc 0 "eval identify --help"
grep -q -- "--limit" "$FK_TMP/out" && grep -q -- "--threshold" "$FK_TMP/out" || fail "eval identify --help lists --limit and --threshold"
run eval identify --protocol y;         expect_rc 2 "eval identify: bad --protocol"
run eval identify --limit 0;            expect_rc 2 "eval identify: bad --limit"
run eval identify --root "$FK_TMP/none"; expect_rc 1 "eval identify: missing root"
grep -q "none" "$FK_TMP/err" || fail "eval identify: missing root: message names it"
mkdir -p "$FK_TMP/lone/Ann" "$FK_TMP/lone/Bob"
: > "$FK_TMP/lone/Ann/Ann_0001.jpg"; : > "$FK_TMP/lone/Bob/Bob_0001.jpg"
run eval identify --root "$FK_TMP/lone"; expect_rc 1 "eval identify: nobody with two images"
grep -q "two images or more" "$FK_TMP/err" || fail "eval identify: nobody with two images: message says so"
lfw="$shared/data/lfw-deepfunneled"
if ! have_models; then
  skip_data "eval identify on LFW: models not fetched"
elif [ ! -d "$lfw/images_deepfunneled" ]; then
  skip_data "eval identify on LFW: $lfw/images_deepfunneled not found (../shared absent)"
else
  run eval identify --root "$lfw" --limit 20 --embedder faceapi-resnet --jitter 0 --threads 2 --json
  expect_rc 0 "eval identify --limit 20"
  # measured: 69 images, rank-1 and rank-5 49 of 49; the floor only catches broken labels or search
  json_check 'd["people"] == 20 and d["probes"] == d["images"] - 20 and 0 <= d["rank1"] <= d["rank5"] <= 1 and d["rank1"] >= 0.9 and d["threshold"] == 0.6 and d["threshold_from"] == "registry" and 0 <= d["open_set"]["far"] <= 1 and 0 <= d["open_set"]["known_rank1_at_threshold"] <= d["open_set"]["known_rank1"] <= 1' \
    "eval identify --limit 20: figures in range"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); o=d["open_set"]; print("LFW identify, 20 people: rank-1 %.4f, rank-5 %.4f, FAR %.4f" % (d["rank1"], d["rank5"], o["far"]))' "$FK_TMP/out"
fi
finish "cli eval"
