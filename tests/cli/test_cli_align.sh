#!/usr/bin/env bash
# test_cli_align.sh: `facekit align` chips and `facekit landmarks --landmarker ert|cnn --box`, against dlib's golden points.
set -u
. "$(dirname "$0")/lib.sh"

run align --help; expect_rc 0 "align --help"
grep -q -- "--template" "$FK_TMP/out" || fail "align --help lists --template"
run align x.jpg; expect_rc 2 "align without --out"
run align --out "$FK_TMP/c" --template round x.jpg; expect_rc 2 "bad --template"
run landmarks --landmarker dlib x.jpg; expect_rc 2 "bad --landmarker"
run landmarks --box 1,2,3 x.jpg; expect_rc 2 "bad --box"
if ! have_models; then
  skip_data "align and ERT runs: models not fetched"; finish "cli align"
fi
img="$FK_MODELS/demo/sample1.jpg"
run align --out "$FK_TMP/chips" --json "$img"
expect_rc 0 "align dlib"
json_check 'len(d[0]["chips"]) == 3' "three chips for sample1"
python3 - "$FK_TMP/chips/sample1_0.png" <<'PY' || fail "dlib chip is a 150x150 PNG"
import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", b[16:24]) == (150, 150)
PY
run align --out "$FK_TMP/arc" --template arcface "$img"
expect_rc 0 "align arcface"
python3 - "$FK_TMP/arc/sample1_2.png" <<'PY' || fail "arcface chip is 112x112"
import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert struct.unpack(">II", b[16:24]) == (112, 112)
PY
run landmarks --box 365,390,224,224 --json "$img"
expect_rc 0 "cnn landmarks on a given box"
json_check 'len(d[0]["faces"]) == 1 and len(d[0]["faces"][0]["landmarks"]) == 68' "one face with 68 points"

ert=${FACEKIT_ERT_MODEL:-/usr/share/dlib/shape_predictor_68_face_landmarks.dat}
shared=${FACEKIT_SHARED:-${FK_TEST_SHARED_DEFAULT:-}}
if [ ! -f "$ert" ]; then
  skip_data "ERT runs: $ert not installed (apt-get install libdlib-data)"
else
  # dlib's own HOG box of sample1's first face: left 365, top 390, right 588, bottom 613
  run landmarks --landmarker ert --box 365,390,224,224 --json "$img"
  expect_rc 0 "ert landmarks on dlib's box"
  if [ -f "$shared/golden/dlib/sample1.json" ]; then
    python3 - "$FK_TMP/out" "$shared/golden/dlib/sample1.json" <<'PY' || fail "ERT points equal dlib's"
import json, math, sys
ours = json.load(open(sys.argv[1]))[0]["faces"][0]["landmarks"]
ref = json.load(open(sys.argv[2]))["landmarks68_on_hog_up1"][0]
same = sum(1 for p, q in zip(ours, ref) if math.floor(p[0] + 0.5) == q[0] and math.floor(p[1] + 0.5) == q[1])
print(f"ERT on dlib's box: {same}/68 points equal dlib's")
assert same == 68
PY
  fi
  run landmarks --landmarker ert --json "$img"
  expect_rc 0 "ert landmarks on detected faces"
  json_check 'len(d[0]["faces"]) == 3 and all(len(f["landmarks"]) == 68 for f in d[0]["faces"])' "ERT on SSD faces"
fi
finish "cli align"
