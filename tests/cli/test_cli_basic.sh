#!/usr/bin/env bash
# test_cli_basic.sh: the facekit tool end to end: --help of every verb, usage errors, each verb's output, compare, demo.
set -u
. "$(dirname "$0")/lib.sh"

verbs="detect landmarks embed attributes compare demo"
common="--detector --min-score --max-faces --tiny-size --models --max-pixels --json --timings --quiet --help"

# ---- without models: help and usage errors ----
run --help
expect_rc 0 "facekit --help"
for v in $verbs; do
  grep -qw "$v" "$FK_TMP/out" || fail "facekit --help does not list $v"
done
run --version
expect_rc 0 "facekit --version"
grep -q '^facekit [0-9]' "$FK_TMP/out" || fail "--version prints no version"

for v in $verbs; do
  case $v in
    detect | attributes) opts="$common --draw" ;;
    landmarks | embed) opts="$common --draw --full" ;;
    compare) opts="$common --threshold" ;;
    demo) opts="$common --out --threshold --pairs" ;;
  esac
  for h in --help -h; do
    run "$v" "$h"
    expect_rc 0 "facekit $v $h"
    [ -s "$FK_TMP/err" ] && fail "facekit $v $h writes on stderr"
  done
  grep -q "^Usage: facekit $v" "$FK_TMP/out" || fail "$v --help has no usage line"
  grep -q "^Example:" "$FK_TMP/out" || fail "$v --help has no example"
  grep -q "^Exit status:" "$FK_TMP/out" || fail "$v --help has no exit codes"
  for o in $opts; do
    grep -q -- "$o" "$FK_TMP/out" || fail "$v --help does not mention $o"
  done
  run help "$v"
  expect_rc 0 "facekit help $v"
  # --help wins over a bad option next to it
  run "$v" --no-such-option --help
  expect_rc 0 "facekit $v --no-such-option --help"
done

# usage errors: exit 2, one line naming the verb's help
usage_error() { # VERB ARGS...
  local v=$1
  run "$@"
  expect_rc 2 "facekit $*"
  [ "$(stderr_lines)" -eq 1 ] || fail "facekit $*: $(stderr_lines) lines on stderr, want 1"
  grep -q "^facekit: .*(see facekit $v --help)$" "$FK_TMP/err" || fail "facekit $*: no hint: $(cat "$FK_TMP/err")"
  [ -s "$FK_TMP/out" ] && fail "facekit $*: writes on stdout"
}
for v in detect landmarks embed attributes; do
  usage_error "$v"
  usage_error "$v" --no-such-option x.jpg
  usage_error "$v" --min-score x.jpg
  usage_error "$v" --min-score 1.5 x.jpg
  usage_error "$v" --min-score 1 x.jpg
  usage_error "$v" --min-score abc x.jpg
  usage_error "$v" --max-faces 0 x.jpg
  usage_error "$v" --max-faces 2.5 x.jpg
  usage_error "$v" --tiny-size 100 x.jpg
  usage_error "$v" --tiny-size 4096 x.jpg
  usage_error "$v" --detector yolo x.jpg
  usage_error "$v" --tiles 1 x.jpg
  usage_error "$v" --tiles 9 x.jpg
  usage_error "$v" --box-style square x.jpg
  usage_error "$v" --max-pixels -5 x.jpg
  usage_error "$v" --json=yes x.jpg
  usage_error "$v" --draw out.gif x.jpg
  usage_error "$v" -z x.jpg
  usage_error "$v" --retry 1 x.jpg
  usage_error "$v" --retry -0.1 x.jpg
  usage_error "$v" --fallback yolo x.jpg
  usage_error "$v" --fallback faceapi68 x.jpg
done
usage_error compare
usage_error compare a.jpg
usage_error compare a.jpg b.jpg c.jpg
usage_error compare --threshold 0 a.jpg b.jpg
usage_error compare --threshold -1 a.jpg b.jpg
usage_error demo --threshold x
usage_error demo --pairs -1
usage_error demo --out
run
expect_rc 2 "facekit with no verb"
run frobnicate x.jpg
expect_rc 2 "unknown verb"
[ "$(stderr_lines)" -eq 1 ] || fail "unknown verb: $(stderr_lines) lines on stderr"
for v in $verbs; do
  grep -qw "$v" "$FK_TMP/err" || fail "unknown verb message does not list $v"
done
run --frobnicate
expect_rc 2 "unknown global option"

if ! have_models; then
  skip_data "models not found (set FACEKIT_MODELS or run make models); only --help and usage errors were checked"
  finish test_cli_basic
fi
export FACEKIT_MODELS=$FK_MODELS
S=$FK_MODELS/demo
s1=$S/sample1.jpg

# ---- detect ----
run detect --json "$s1"
expect_rc 0 "detect --json sample1"
json_check 'isinstance(d, list) and len(d) == 1 and d[0]["image"].endswith("sample1.jpg") and d[0]["width"] == 1920 and d[0]["height"] == 1280' "detect --json"
json_check 'len(d[0]["faces"]) == 3' "detect --json finds 3 faces in sample1"
json_check 'all(len(f["box"]) == 4 and 0 < f["score"] <= 1 and f["box"][2] > 0 and "landmarks" not in f and "descriptor" not in f for f in d[0]["faces"])' "detect --json faces"
json_check 'all(d[0]["faces"][i]["score"] >= d[0]["faces"][i + 1]["score"] for i in range(2))' "faces best score first"
[ -s "$FK_TMP/err" ] && fail "detect --json writes on stderr: $(cat "$FK_TMP/err")"

run detect "$s1"
expect_rc 0 "detect sample1 (text)"
grep -q "sample1.jpg: 1920x1280, 3 faces" "$FK_TMP/out" || fail "detect text header: $(head -1 "$FK_TMP/out")"
[ "$(grep -cE '^ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[01]\.[0-9]+' "$FK_TMP/out")" -eq 3 ] || fail "detect text table has not 3 rows"

run detect --detector tiny --json "$s1"
expect_rc 0 "detect --detector tiny"
json_check 'len(d[0]["faces"]) == 3' "tiny detector finds sample1's 3 faces"

run detect --tiles 2 --json "$s1"
expect_rc 0 "detect --tiles 2"
json_check 'len(d[0]["faces"]) == 3' "--tiles 2: the same 3 faces in sample1, no duplicates from the tiles"

run detect --json "$s1"
cp "$FK_TMP/out" "$FK_TMP/det_boxes.json"
run detect --box-style dlib --json "$s1"
expect_rc 0 "detect --box-style dlib"
# the same faces, each box square (side 0.98 sqrt(w h)) and lowered by 0.08 h
python3 - "$FK_TMP/det_boxes.json" "$FK_TMP/out" <<'PY' || fail "--box-style dlib: boxes are not the detector's mapped to dlib's style"
import json, math, sys
a = json.load(open(sys.argv[1]))[0]["faces"]
b = json.load(open(sys.argv[2]))[0]["faces"]
assert len(a) == len(b) == 3, (len(a), len(b))
for f, g in zip(a, b):
    x, y, w, h = f["box"]
    X, Y, W, H = g["box"]
    side = 0.98 * math.sqrt(w * h)
    assert abs(W - side) < 1e-3 and abs(H - side) < 1e-3, (f, g)
    assert abs(X + W / 2 - (x + w / 2)) < 1e-3 and abs(Y + H / 2 - (y + h / 2 + 0.08 * h)) < 1e-3, (f, g)
    assert f["score"] == g["score"]
PY

run detect --max-faces 1 --json "$s1"
json_check 'len(d[0]["faces"]) == 1' "--max-faces 1"
# sample1's scores are 0.9953, 0.9935 and 0.9888: two are above 0.99
run detect --min-score 0.99 --json "$s1"
json_check 'len(d[0]["faces"]) == 2 and all(f["score"] > 0.99 for f in d[0]["faces"])' "--min-score 0.99 keeps 2 of 3"

# ---- the other per-image verbs ----
run landmarks --json "$s1"
expect_rc 0 "landmarks --json"
json_check 'len(d[0]["faces"]) == 3 and all(len(f["landmarks"]) == 68 and len(f["points5"]) == 5 and all(len(p) == 2 for p in f["landmarks"]) and "descriptor" not in f for f in d[0]["faces"])' "landmarks --json"
run landmarks --full "$s1"
expect_rc 0 "landmarks --full"
grep -q "67: " "$FK_TMP/out" || fail "landmarks --full does not print point 67"

run embed --json "$s1"
expect_rc 0 "embed --json"
json_check 'len(d[0]["faces"]) == 3 and all(len(f["descriptor"]) == 128 and len(f["landmarks"]) == 68 and "age" not in f for f in d[0]["faces"])' "embed --json"
run embed --full "$s1"
expect_rc 0 "embed --full"
[ "$(grep -c "descriptor:" "$FK_TMP/out")" -eq 3 ] || fail "embed --full: want a descriptor for each of the 3 faces"

run attributes --json "$s1"
expect_rc 0 "attributes --json"
json_check 'len(d[0]["faces"]) == 3 and all(0 < f["age"] < 120 and f["gender"] in ("male", "female") and 0.5 <= f["gender_probability"] <= 1 and "descriptor" not in f for f in d[0]["faces"])' "attributes --json"
run attributes "$s1"
[ "$(grep -cE "female|male" "$FK_TMP/out")" -eq 3 ] || fail "attributes text: want a gender for each of the 3 faces"

# --timings: a line per image and a total on stderr, timings_ms in JSON
run embed --json --timings "$s1" "$S/sample2.jpg"
expect_rc 0 "embed --timings"
json_check 'len(d) == 2 and all(set(o["timings_ms"]) == {"decode", "detect", "landmarks", "descriptor"} for o in d)' "timings_ms"
[ "$(grep -c '^timings ' "$FK_TMP/err")" -eq 3 ] || fail "--timings: want 3 timing lines: $(cat "$FK_TMP/err")"
grep -q "descriptor [0-9.]* ms" "$FK_TMP/err" || fail "--timings has no descriptor time"

# --draw: one file, or a folder with one file per input
run attributes --draw "$FK_TMP/one.png" "$s1"
expect_rc 0 "attributes --draw file"
[ -s "$FK_TMP/one.png" ] || fail "--draw one.png not written"
run detect -q --draw "$FK_TMP/drawn" "$s1" "$S/sample2.jpg"
expect_rc 0 "detect --draw folder"
[ -s "$FK_TMP/drawn/sample1.jpg" ] && [ -s "$FK_TMP/drawn/sample2.jpg" ] || fail "--draw folder: files missing: $(ls "$FK_TMP/drawn")"
run detect --draw "$FK_TMP/one.gif" "$s1"
expect_rc 2 "--draw with an unknown extension"

# ---- compare ----
run compare "$s1" "$s1"
expect_rc 0 "compare sample1 sample1"
grep -q "distance 0.0000 < threshold 0.6: same person" "$FK_TMP/out" || fail "compare with itself: $(cat "$FK_TMP/out")"
grep -q "largest of 3" "$FK_TMP/out" || fail "compare does not say which face it used"
run compare --json "$s1" "$s1"
expect_rc 0 "compare --json"
json_check 'd["distance"] == 0 and d["same"] is True and d["threshold"] == 0.6 and d["a"]["faces"] == 3 and len(d["a"]["face"]["box"]) == 4' "compare --json"
run compare --json "$s1" "$S/sample6.jpg"
expect_rc 0 "compare of two photos"
json_check 'd["distance"] > 0 and d["same"] == (d["distance"] < 0.6)' "compare two photos"

# known people (face-api's Big Bang Theory stills): a same pair and a different pair
bbt=${FACEKIT_SHARED:-${FK_TEST_SHARED_DEFAULT:-}}/data/faceapi-bbt/examples/images
if [ -f "$bbt/sheldon/sheldon1.png" ]; then
  # measured with the defaults (dlib's ResNet, 4 jittered chips): sheldon1-sheldon2 0.365,
  # sheldon1-penny1 0.872 (face-api's ResNet, one chip: 0.387, 0.896)
  run compare --json "$bbt/sheldon/sheldon1.png" "$bbt/sheldon/sheldon2.png"
  expect_rc 0 "compare the same person"
  json_check 'd["same"] is True and d["distance"] < 0.45' "sheldon1 and sheldon2 are the same person"
  run compare --json "$bbt/sheldon/sheldon1.png" "$bbt/penny/penny1.png"
  expect_rc 0 "compare two people"
  json_check 'd["same"] is False and d["distance"] > 0.8' "sheldon1 and penny1 are different people"
  run compare "$bbt/sheldon/sheldon1.png" "$bbt/penny/penny1.png"
  grep -q "distance 0.8722 >= threshold 0.6: different people" "$FK_TMP/out" || fail "compare text for a different pair: $(cat "$FK_TMP/out")"
  run compare --embedder faceapi-resnet --jitter 0 "$bbt/sheldon/sheldon1.png" "$bbt/penny/penny1.png"
  grep -q "distance 0.8959 >= threshold 0.6: different people" "$FK_TMP/out" || fail "compare with face-api's ResNet, one chip: $(cat "$FK_TMP/out")"
else
  skip_data "compare on known people: $bbt not found (../shared absent)"
fi

# a photo without faces: an error naming it, exit 1
python3 -c 'import sys; sys.stdout.buffer.write(b"P6\n64 48\n255\n" + bytes([128]) * (64 * 48 * 3))' >"$FK_TMP/gray.ppm"
run compare "$s1" "$FK_TMP/gray.ppm"
expect_rc 1 "compare with a faceless image"
[ "$(stderr_lines)" -eq 1 ] && grep -q "gray.ppm: no face" "$FK_TMP/err" || fail "compare faceless: $(cat "$FK_TMP/err")"
run detect --json "$FK_TMP/gray.ppm"
expect_rc 0 "detect on a faceless image"
json_check 'd[0]["faces"] == []' "no faces is an empty list"

# ---- demo ----
run demo --out "$FK_TMP/demo"
expect_rc 0 "demo"
n=$(ls "$FK_TMP/demo" | grep -c '^sample[1-6]\.jpg$')
[ "$n" -eq 6 ] || fail "demo wrote $n images, want 6: $(ls "$FK_TMP/demo")"
grep -q "^person P1: sample" "$FK_TMP/out" || fail "demo lists no persons"
grep -qE "^[0-9]+ distinct (people|person) in [0-9]+ faces? \(6 images" "$FK_TMP/out" || fail "demo has no summary line"
grep -q "^closest pairs across images:" "$FK_TMP/out" || fail "demo lists no closest pairs"
[ "$(grep -c '^sample[1-6]\.jpg ' "$FK_TMP/out")" -ge 6 ] || fail "demo table too short"

run demo --json --pairs 3 --out "$FK_TMP/demo2" "$s1" "$S/sample2.jpg"
expect_rc 0 "demo --json"
json_check 'len(d["images"]) == 2 and d["distinct_people"] >= 1 and d["faces"] == sum(len(i["faces"]) for i in d["images"]) and len(d["closest_pairs"]) == 3' "demo --json"
json_check 'all(f["person"].startswith("P") and "descriptor" in f and "age" in f for i in d["images"] for f in i["faces"])' "demo --json faces"
json_check 'sorted(x["distance"] for x in d["closest_pairs"]) == [x["distance"] for x in d["closest_pairs"]]' "closest pairs sorted"
[ "$(ls "$FK_TMP/demo2" | wc -l)" -eq 2 ] || fail "demo with 2 images wrote $(ls "$FK_TMP/demo2" | wc -l)"

# ---- the model registry ----
run models --help
expect_rc 0 "models --help"
grep -q "^Usage: facekit models" "$FK_TMP/out" || fail "models --help has no usage line"
run models
expect_rc 0 "models"
for n in ssd tiny hog mmod faceapi68 dlib68 dlib5 faceapi-resnet dlib-resnet age-gender; do
  grep -q "^$n " "$FK_TMP/out" || fail "facekit models does not list $n"
done
run models --json --models /nonexistent
expect_rc 0 "models --json"
json_check 'all(not m["installed"] and m["missing"].startswith("/nonexistent/") for m in d if m["name"] in ("ssd", "tiny", "faceapi68", "faceapi-resnet", "age-gender"))' "face-api's models not installed in a missing folder"
json_check '[m["name"] for m in d if m["role"] == "embedder"] == ["faceapi-resnet", "dlib-resnet", "faceres", "mobilefacenet"] and all(m["dim"] == 128 and m["threshold"] == 0.6 for m in d if m["role"] == "embedder" and m["name"] not in ("faceres", "mobilefacenet")) and [(m["dim"], m["threshold"]) for m in d if m["name"] in ("faceres", "mobilefacenet")] == [(1024, 3.98), (192, 0.012)]' "embedders with dimension and threshold"
run models extra
expect_rc 2 "models with a file argument"
run detect --detector nope "$s1"
expect_rc 2 "unknown detector"
grep -q "hog" "$FK_TMP/err" || fail "the unknown-detector message does not list hog: $(cat "$FK_TMP/err")"
run embed --embedder nope "$s1"
expect_rc 2 "unknown embedder"
run embed --embedder dlib-resnet --crop faceapi "$s1"
expect_rc 2 "dlib-resnet with face-api's crop"
run landmarks --landmarker dlib5 --json "$s1"
if [ -f "${FACEKIT_DLIB_MODELS:-$(dirname "$FK_MODELS")/dlib}/shape_predictor_5_face_landmarks.dat" ]; then
  expect_rc 0 "landmarks --landmarker dlib5"
  json_check 'len(d[0]["faces"]) >= 3 and all(len(f["landmarks"]) == 5 and f["points5"][3] == [None, None] and f["detector"] == "ssd" for f in d[0]["faces"])' "dlib5 landmarks: 5 points, no mouth"
else
  skip_data "dlib5 landmarks: models/dlib not fetched"
fi

# dlib's detectors and ResNet through the CLI: HOG's rectangles are dlib's (golden hog_up1 of
# sample1: 365 390 588 613 first), descriptors say their embedder
if [ -f "${FACEKIT_DLIB_MODELS:-$(dirname "$FK_MODELS")/dlib}/frontal_face_detector.dat" ]; then
  run detect --detector hog --json "$s1"
  expect_rc 0 "detect --detector hog"
  json_check 'd[0]["faces"][0]["box"] == [365, 390, 224, 224] and abs(d[0]["faces"][0]["score"] - 2.349) < 1e-3 and all(f["detector"] == "hog" for f in d[0]["faces"])' "hog boxes are dlib's"
  run embed --detector hog --upsample 0 --landmarker dlib5 --embedder dlib-resnet --json "$s1"
  expect_rc 0 "embed with dlib's pipeline"
  json_check 'len(d[0]["faces"]) >= 1 and all(f["embedder"] == "dlib-resnet" and len(f["descriptor"]) == 128 and len(f["landmarks"]) == 5 for f in d[0]["faces"])' "dlib pipeline descriptors"
  run detect --detector hog --upsample 9 "$s1"
  expect_rc 2 "--upsample out of range"
else
  skip_data "dlib's detectors: models/dlib not fetched"
fi

finish test_cli_basic
