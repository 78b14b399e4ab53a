#!/usr/bin/env bash
# bench_dlib.sh: dlib's own face_recognition pipeline (../shared/peers/dlib/fr_dlib.cpp) timed in this session beside facekit's bench JSON, one thread, and the ratios.
# Usage: scripts/bench_dlib.sh FACEKIT_BENCH.json [MMOD_IMAGES]   (make bench BENCH_DLIB=1 runs it)
# dlib's MMOD takes 22-38 s and 11.5 GB a demo photo at upsample 1: it runs once on MMOD_IMAGES
# (default: sample1.jpg only; "none" skips it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ours=$1
mmod_images=${2:-}
shared=${FACEKIT_SHARED:-$here/../shared}
[ -f "$shared/peers/dlib/fr_dlib.cpp" ] || { echo "bench_dlib: SKIP: no $shared/peers/dlib (../shared absent)"; exit 0; }
work=${FK_PEER_DIR:-$here/build/peers}
mkdir -p "$work"
cp -r "$shared/peers/dlib" "$shared/peers/common" "$work/"
# BUILD may reach here through MAKEFLAGS (make bench BUILD=dir): the peer has its own
make -s -C "$work/dlib" BUILD=build build/fr_dlib >/dev/null
fr="$work/dlib/build/fr_dlib"
demo="$here/models/face-api/demo"
export OPENBLAS_NUM_THREADS=1 FR_DLIB_MODELS="$here/models/dlib"
"$fr" --models "$here/models/dlib" --detector hog --landmarks 5 --bench --runs 3 --warmup 1 \
  --json "$work/dlib-hog.json" "$demo"/sample*.jpg >/dev/null
files=("$work/dlib-hog.json")
if [ "$mmod_images" != none ]; then
  imgs=${mmod_images:-$demo/sample1.jpg}
  # shellcheck disable=SC2086
  /usr/bin/time -f "%M" -o "$work/dlib-mmod.rss" "$fr" --models "$here/models/dlib" --detector cnn --landmarks 5 \
    --bench --runs 1 --warmup 0 --json "$work/dlib-mmod.json" $imgs >/dev/null
  files+=("$work/dlib-mmod.json")
fi
python3 - "$ours" "${files[@]}" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))["stages"]
dlib = {}
for f in sys.argv[2:]:
    dlib.update(json.load(open(f))["stages"])
pairs = [("hog_detect_up1", "hog_detect_up1"), ("mmod_detect_up1", "cnn_mmod_detect_up1"),
         ("landmarks5_dlib", "landmarks5"), ("descriptor128_dlib", "descriptor128")]
print("%-22s %12s %12s %8s" % ("stage (1 thread)", "facekit ms", "dlib ms", "speedup"))
for a, b in pairs:
    if a in ours and b in dlib:
        x, y = ours[a]["median_ms"], dlib[b]["median_ms"]
        if b == "descriptor128" and "chip150" in dlib:
            y += dlib["chip150"]["median_ms"]  # ours times chip + net as one stage
        print("%-22s %12.2f %12.2f %7.1fx" % (a, x, y, y / x))
# the faces of a photo as batches (fk_faces_descriptors; dlib's pipeline runs one face at a time)
if "descriptor128_photo_batched" in ours and "descriptor128" in dlib:
    x = ours["descriptor128_photo_batched"]["median_ms"]
    y = dlib["descriptor128"]["median_ms"] + dlib.get("chip150", {}).get("median_ms", 0)
    print("%-22s %12.2f %12.2f %7.1fx" % ("descriptor, batched", x, y, y / x))
# whole pipelines per photo: facekit's default (SSD, 68 points, descriptor, age and gender) against
# face_recognition's in dlib (HOG, 5 points, descriptor)
if "pipeline_ssd_lm_desc_ag" in ours and "pipeline" in dlib:
    x, y = ours["pipeline_ssd_lm_desc_ag"]["median_ms"], dlib["pipeline"]["median_ms"]
    print("%-22s %12.2f %12.2f %7.1fx" % ("pipeline, per photo", x, y, y / x))
PY
[ -f "$work/dlib-mmod.rss" ] && echo "dlib MMOD peak RSS: $(($(cat "$work/dlib-mmod.rss") / 1024)) MB"
exit 0
