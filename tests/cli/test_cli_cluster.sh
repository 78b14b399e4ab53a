#!/usr/bin/env bash
# test_cli_cluster.sh: `facekit cluster`: usage errors, a report of the demo photos (every cluster on the page, checked in headless Chromium with a screenshot), `cluster name` into a gallery.
set -u
. "$(dirname "$0")/lib.sh"

run cluster --help;                          expect_rc 0 "cluster --help"
grep -q -- "--method" "$FK_TMP/out" || fail "cluster --help lists --method"
run cluster x;                               expect_rc 2 "cluster without --out"
run cluster --out "$FK_TMP/r";               expect_rc 2 "cluster without images"
run cluster --out "$FK_TMP/r" --method kmeans x; expect_rc 2 "cluster --method kmeans"
run cluster --out "$FK_TMP/r" --truth labels x;  expect_rc 2 "cluster --truth labels"
run cluster name "$FK_TMP/r" zero Ada;       expect_rc 2 "cluster name with a bad number"
run cluster --out "$FK_TMP/r" "$FK_TMP/missing"; expect_rc 1 "cluster of a missing folder"
grep -q "missing" "$FK_TMP/err" || fail "cluster of a missing folder: names it"

if ! have_models; then
  skip_data "cluster of real faces: models not fetched"
  finish "cli cluster"
fi
demo="$FK_MODELS/demo"
chips="$FK_TMP/photos/chips"
mkdir -p "$FK_TMP/photos"
cp "$demo"/sample4.jpg "$demo"/sample5.jpg "$FK_TMP/photos/"
run align "$demo/sample5.jpg" --out "$chips" --size 300 --padding 1; expect_rc 0 "align sample5"
rep="$FK_TMP/report"
for m in chinese-whispers dbscan; do
  run cluster --out "$rep-$m" --method "$m" --min-points 2 --json --quiet "$FK_TMP/photos"; expect_rc 0 "cluster --method $m"
  # 9 faces in the two photos, 5 chips of sample5's faces: each chip joins its face of sample5
  json_check 'd["faces"] == 14 and d["photos"] == 7 and d["clusters"] == 9' "$m: 14 faces, 9 people"
done
run cluster --out "$rep" --json --quiet "$FK_TMP/photos"; expect_rc 0 "cluster (defaults)"
python3 - "$rep" <<'PY' || fail "clusters.json: 9 clusters, the largest first, each chip with its photo's face"
import json, sys
c = json.load(open(sys.argv[1] + "/clusters.json"))
sizes = [k["size"] for k in c["clusters"]]
assert len(sizes) == 9 and sizes == sorted(sizes, reverse=True) and sum(sizes) == 14, sizes
for k in c["clusters"]:
    if k["size"] == 2:
        src = sorted(f["source"].rsplit("/", 1)[1] for f in k["faces"])
        assert "sample5.jpg" in src and any(x.startswith("sample5_") for x in src), src
PY
# a second run after adding a photo embeds only the new photo; the clusters come out the same plus its faces
cp "$demo/sample6.jpg" "$FK_TMP/photos/"
run cluster --out "$rep" --json "$FK_TMP/photos"; expect_rc 0 "cluster again with one more photo"
grep -q "14 faces of the last report reused" "$FK_TMP/err" || fail "the second run reuses the first run's 14 faces"
json_check 'd["faces"] > 14 and d["photos"] == 8' "the new photo's faces are added"
run cluster --out "$rep" --json --quiet --fresh "$FK_TMP/photos"; expect_rc 0 "cluster --fresh"
grep -q "reused" "$FK_TMP/err" && fail "--fresh reuses nothing"
rm "$FK_TMP/photos/sample6.jpg"
run cluster --out "$rep" --json --quiet "$FK_TMP/photos"; expect_rc 0 "cluster after removing the photo"
json_check 'd["faces"] == 14 and d["clusters"] == 9' "a removed photo's faces are dropped"
run cluster name --db "$FK_TMP/g.db" "$rep" 1 "Someone"; expect_rc 0 "cluster name"
run gallery list --db "$FK_TMP/g.db" --json; expect_rc 0 "list after cluster name"
json_check 'd == [d[0]] and d[0]["name"] == "Someone" and d[0]["faces"] == 2' "cluster 1 became a person of 2 faces"
run cluster name --db "$FK_TMP/g.db" "$rep" 99 "Nobody"; expect_rc 1 "cluster name of a cluster that is not there"
grep -q "cluster-99" "$FK_TMP/err" || fail "cluster name 99: says which"

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  skip_data "the HTML report in headless Chromium: chromium not installed (Debian package chromium)"
else
  # the page records on <body> how many sections it shows and how many thumbnails failed to load
  timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --allow-file-access-from-files \
    --virtual-time-budget=5000 --dump-dom "file://$rep/index.html" >"$FK_TMP/dom.html" 2>"$FK_TMP/chromium.err" ||
    fail "chromium could not load the report: $(tail -3 "$FK_TMP/chromium.err")"
  grep -q 'data-clusters="9"' "$FK_TMP/dom.html" || fail "the report shows every cluster (9 sections)"
  grep -q 'data-broken="0"' "$FK_TMP/dom.html" || fail "every thumbnail of the report loads"
  [ "$(grep -o '<img ' "$FK_TMP/dom.html" | wc -l)" -eq 14 ] || fail "the report shows all 14 faces"
  shot="${FK_TEST_BUILD_DIR:-$FK_TMP}/cluster-report.png"
  timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --window-size=1000,1400 \
    --screenshot="$shot" "file://$rep/index.html" >/dev/null 2>&1 || fail "chromium screenshot of the report"
  [ -s "$shot" ] && echo "screenshot of the report: $shot" || fail "no screenshot written"
fi
finish "cli cluster"
