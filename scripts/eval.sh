#!/usr/bin/env bash
# eval.sh: `make eval`: verification accuracy on ../shared/data (LFW View 2 and deepface pairs), one summary table at the end.
# Env: FACEKIT_SHARED (default ../shared), EVAL_FOLDS (LFW folds, default all), EVAL_THREADS, EVAL_OUT (folder for JSON/ROC).
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
  if "$fk" eval verify "$@" --threads "$threads" --json > "$out/$name.json"; then
    rows+=("$(python3 - "$name" "$out/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
print(f"{sys.argv[1]:<34} {r['pairs']:>5} {100*r['accuracy_at_threshold']:>8.2f} {100*r['accuracy_valid_pairs']:>8.2f} "
      f"{100*r['mean_accuracy']:>7.2f}±{100*r['std_accuracy']:<5.2f} {r['auc']:>7.4f} {100*r['eer']:>6.2f} "
      f"{100*r['tar_at_far_0.01']:>8.2f} {r['images_without_face']:>7}")
PY
)")
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
else
  echo "SKIP: LFW: $lfw/pairs.txt not found (set FACEKIT_SHARED)"
fi
dp="$data/deepface-pairs/tests/unit/dataset"
if [ -f "$dp/master.csv" ]; then
  run "deepface_pairs" --pairs "$dp/master.csv" --root "$dp"
else
  echo "SKIP: deepface pairs: $dp/master.csv not found"
fi

if [ ${#rows[@]} -gt 0 ]; then
  echo
  echo "verification at threshold 0.6 (SSD MobileNetV1 + FaceLandmark68Net + FaceRecognitionNet, face-api crop)"
  printf '%-34s %5s %8s %8s %13s %7s %6s %8s %7s\n' benchmark pairs "acc@0.6" "valid" "k-fold" AUC "EER%" "TAR@1e-2" no-face
  for r in "${rows[@]}"; do echo "$r"; done
  echo "(JSON and ROC in $out)"
fi
exit $status
