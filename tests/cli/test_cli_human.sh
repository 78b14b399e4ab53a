#!/usr/bin/env bash
# test_cli_human.sh: the verbs on Human's models: detect --detector blazeface, liveness, mesh, attributes --with, eval liveness.
set -u
. "$(dirname "$0")/lib.sh"

for v in liveness mesh; do
  run "$v" --help; expect_rc 0 "$v --help"
  grep -q -- "--with" "$FK_TMP/out" || fail "$v --help lists --with"
done
run eval liveness --help; expect_rc 0 "eval liveness --help"
grep -q "screen" "$FK_TMP/out" || fail "eval liveness --help names the attacks"
run attributes --with bogus x.jpg; expect_rc 2 "--with bogus"
grep -q "unknown analysis 'bogus'" "$FK_TMP/err" || fail "--with bogus names the entry"
run eval liveness; expect_rc 2 "eval liveness without images"
human="${FACEKIT_HUMAN_MODELS:-$(dirname "${FK_MODELS:-/nonexistent}")/human}"
if ! have_models || [ ! -f "$human/blazeface.json" ]; then
  skip_data "Human's models not fetched (make models)"; finish "cli human"
fi
img="$FK_MODELS/demo/sample1.jpg"

run detect --detector blazeface --json "$img"; expect_rc 0 "detect blazeface"
json_check 'len(d[0]["faces"]) == 3 and all(f["detector"] == "blazeface" and len(f["keypoints"]) == 6 for f in d[0]["faces"])' \
  "blazeface: three faces with 6 keypoints each"
# the keypoints lie inside their box (eyes above the mouth)
json_check 'all(f["box"][0] <= k[0] <= f["box"][0] + f["box"][2] for f in d[0]["faces"] for k in f["keypoints"][:4]) and all(f["keypoints"][0][1] < f["keypoints"][3][1] for f in d[0]["faces"])' \
  "blazeface keypoints inside the box, eyes above the mouth"

run liveness --json "$img"; expect_rc 0 "liveness"
json_check 'all(0 <= f["liveness"]["antispoof"] <= 1 and 0 <= f["liveness"]["liveness"] <= 1 and isinstance(f["liveness"]["live"], bool) for f in d[0]["faces"]) and len(d[0]["faces"]) == 3' \
  "liveness: two scores in 0..1 and a decision per face"
json_check 'all(f["liveness"]["live"] for f in d[0]["faces"])' "the demo photo's faces are live"
run liveness "$img"; expect_rc 0 "liveness text"
[ "$(grep -c 'antispoof' "$FK_TMP/out")" -eq 3 ] || fail "liveness text: a line per face"

run mesh --json --detector blazeface "$img"; expect_rc 0 "mesh"
json_check 'all(len(f["mesh"]["points"]) == 468 and f["mesh"]["score"] > 0.9 for f in d[0]["faces"])' "mesh: 468 points, score > 0.9"
# the points lie on the face: inside the crop the net saw, and the nose tip (1) inside the box
json_check 'all(f["mesh"]["crop"][0] <= p[0] <= f["mesh"]["crop"][0] + f["mesh"]["crop"][2] for f in d[0]["faces"] for p in f["mesh"]["points"]) and all(f["box"][0] < f["mesh"]["points"][1][0] < f["box"][0] + f["box"][2] for f in d[0]["faces"])' \
  "mesh points on the face"
run mesh --draw "$FK_TMP/mesh.png" "$img"; expect_rc 0 "mesh --draw"
[ -s "$FK_TMP/mesh.png" ] || fail "mesh --draw wrote a PNG"

run attributes --with expression,emotion,gear --json "$img"; expect_rc 0 "attributes --with expression,emotion,gear"
json_check 'all(f["expression"] in f["expressions"] and f["emotion"] in f["emotions"] and abs(sum(f["emotions"].values()) - 1) < 1e-3 and f["gear"]["race"] in f["gear"]["races"] and "age" in f for f in d[0]["faces"])' \
  "attributes: emotion, emotions, gear with race, and face-api's age"
run attributes "$img"; expect_rc 0 "attributes (emotion by default)"
[ "$(grep -c " emotion " "$FK_TMP/out")" -eq 3 ] && [ "$(grep -c " expression " "$FK_TMP/out")" -eq 3 ] || fail "attributes: an expression and an emotion line per face by default"
run attributes --with none --json "$img"; expect_rc 0 "attributes --with none"
json_check 'all("emotion" not in f and "expression" not in f for f in d[0]["faces"])' "--with none drops expression and emotion"
# a missing model named explicitly fails with the file to fetch; by default it is left out with a note
run attributes --models "$FK_TMP/nowhere" --with emotion "$img"; expect_rc 1 "missing models folder"

run eval liveness --json --limit 1 "$img"; expect_rc 0 "eval liveness"
json_check '[k["kind"] for k in d["kinds"]] == ["real", "tilt", "screen", "glare", "recompress", "paper"] and d["kinds"][0]["found"] == 1 and len(d["auc_all"]) == 3' \
  "eval liveness: six kinds, the real face found"
printf 'not an image' >"$FK_TMP/bad.jpg"
run liveness "$FK_TMP/bad.jpg" "$img"; expect_rc 1 "a bad image among good ones"
grep -q "bad.jpg" "$FK_TMP/err" || fail "the bad image is named"
grep -q "sample1.jpg: 1920x1280, 3 faces" "$FK_TMP/out" || fail "the good image after it is still done"
finish "cli human"
