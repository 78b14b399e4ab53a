#!/usr/bin/env bash
# eval.sh: `make eval`: verification accuracy on ../shared/data (LFW View 2 and deepface pairs), one summary table at the end.
# Env: FACEKIT_SHARED (default ../shared), EVAL_FOLDS (LFW folds, default all), EVAL_THREADS, EVAL_OUT (folder for JSON/ROC),
#      EVAL_PER_CLASS=N (only the first N same and N different LFW pairs per fold: a quick look).
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
fk="$build/facekit"
shared=${FACEKIT_SHARED:-$root/../shared}
data="$shared/data"
out=${EVAL_OUT:-$root/eval-out}
folds=${EVAL_FOLDS:-all}
threads=${EVAL_THREADS:-$(nproc)}
mkdir -p "$out"
rows=()
status=0

run() { # name, then the eval arguments
  local name=$1; shift
  echo "== $name"
  if "$fk" eval verify "$@" ${EVAL_PER_CLASS:+--per-class "$EVAL_PER_CLASS"} --threads "$threads" --json \
       > "$out/$name.json"; then
    rows+=("$(python3 "$root/scripts/eval_row.py" verify "$name" "$out/$name.json")")
  else
    status=1
  fi
}

lfw="$data/lfw-deepfunneled"
if [ -f "$lfw/pairs.txt" ]; then
  run "lfw_folds-${folds}_facekit" --pairs "$lfw/pairs.txt" --root "$lfw/images_deepfunneled" --folds "$folds" \
      --roc "$out/lfw_roc.csv" --failures "$out/lfw_no_face.txt"
  # face-api's own protocol on the folds face-api was measured on (91.25 % in ../shared/peers)
  run "lfw_folds-1-2_faceapi-protocol" --pairs "$lfw/pairs.txt" --root "$lfw/images_deepfunneled" --folds 1-2 \
      --protocol faceapi
  # the mirror-image average (--flip), on the folds the other options are compared on
  run "lfw_folds-1-2_facekit_flip" --pairs "$lfw/pairs.txt" --root "$lfw/images_deepfunneled" --folds 1-2 --flip
  run "lfw_folds-1-2_tiny-detector" --pairs "$lfw/pairs.txt" --root "$lfw/images_deepfunneled" --folds 1-2 \
      --detector tiny
else
  echo "SKIP: LFW: $lfw/pairs.txt not found (set FACEKIT_SHARED)"
fi
dp="$data/deepface-pairs/tests/unit/dataset"
if [ -f "$dp/master.csv" ]; then
  run "deepface_pairs" --pairs "$dp/master.csv" --root "$dp"
else
  echo "SKIP: deepface pairs: $dp/master.csv not found"
fi

drows=()
afw="$data/afw"
if [ -f "$afw/afw_boxes.txt" ]; then
  # name, detector, extra options: the defaults of each detector, then SSD on a 2x2 grid of tiles,
  # then both with boxes in dlib's style (square, eyebrows to chin, as AFW annotates)
  for spec in "ssd ssd" "tiny tiny" "ssd_tiles2 ssd --tiles 2" "ssd_dlibbox ssd --box-style dlib" \
              "ssd_tiles2_dlibbox ssd --tiles 2 --box-style dlib"; do
    set -- $spec
    name=$1 det=$2
    shift 2
    echo "== afw_$name"
    if "$fk" eval detect --annotations "$afw/afw_boxes.txt" --detector "$det" "$@" --threads "$threads" --json \
         --pr "$out/afw_${name}_pr.csv" --misses "$out/afw_${name}_misses.txt" > "$out/afw_$name.json"; then
      drows+=("$(python3 "$root/scripts/eval_row.py" detect "afw_$name" "$out/afw_$name.json")")
    else
      status=1
    fi
  done
  "$fk" eval plot "$out/afw_pr.svg" "$out/afw_ssd_pr.csv=SSD MobileNetV1" "$out/afw_tiny_pr.csv=TinyFaceDetector" \
    "$out/afw_ssd_tiles2_pr.csv=SSD, 2x2 tiles" "$out/afw_ssd_tiles2_dlibbox_pr.csv=SSD, 2x2 tiles, dlib-style boxes" \
    || status=1
else
  echo "SKIP: AFW: $afw/afw_boxes.txt not found"
fi

if [ ${#rows[@]} -gt 0 ]; then
  echo
  echo "verification at threshold 0.6 (SSD MobileNetV1 + FaceLandmark68Net + FaceRecognitionNet; facekit protocol: dlib's aligned chip)"
  printf '%-34s %5s %8s %8s %13s %7s %6s %8s %7s\n' benchmark pairs "acc@0.6" "valid" "k-fold" AUC "EER%" "TAR@1e-2" no-face
  for r in "${rows[@]}"; do echo "$r"; done
  echo "(JSON and ROC in $out)"
fi
if [ ${#drows[@]} -gt 0 ]; then
  echo
  echo "detection on AFW (scores above 0.05, greedy matching, VOC AP)"
  printf '%-20s %6s %6s %8s %9s %8s %8s\n' benchmark images faces "AP@0.5" "AP@0.3" recall "best F1"
  for r in "${drows[@]}"; do echo "$r"; done
  echo "(precision-recall curves: $out/afw_pr.svg)"
fi
exit $status
