#!/usr/bin/env bash
# train_table.sh: LFW View 1 recipe: trains one model per loss (and triplet mining) on the people of peopleDevTrain.txt and tabulates the DevTest accuracy (threshold from pairsDevTrain) and the time.
# Usage: scripts/train_table.sh OUT_DIR [facekit train options...]   e.g. --arch head, or --arch small-cnn --epochs 30
# Environment: FACEKIT (the binary, default build/facekit), LFW (default ../shared/data/lfw-deepfunneled),
# RUNS (a subset, e.g. RUNS="softmax;triplet batch-hard": two tables can then be run side by side into one OUT_DIR;
# options after a run's loss and mining are that run's own, e.g. "arcface --scale 16 --margin 0.2").
set -eu
out=${1:?usage: train_table.sh OUT_DIR [options]}
shift
fk=${FACEKIT:-build/facekit}
lfw=${LFW:-../shared/data/lfw-deepfunneled}
mkdir -p "$out"
extra=("$@")
runs=("softmax" "focal" "ohem" "contrastive" "triplet random" "triplet semi-hard" "triplet batch-hard"
  "coupled-cluster" "center" "arcface" "cosface")
if [ -n "${RUNS:-}" ]; then
  IFS=';' read -r -a runs <<< "$RUNS"
fi
for r in "${runs[@]}"; do
  read -r loss rest <<< "$r"
  mining=""
  if [ -n "$rest" ] && [ "${rest#--}" = "$rest" ]; then
    read -r mining rest <<< "$rest"
  fi
  own=()
  [ -n "$rest" ] && read -r -a own <<< "$rest"
  # the run's own options name its files: "--scale 16 --margin 0.2" adds "-scale16-margin0.2"
  suffix=$(printf '%s\n' "$rest" | sed 's/--//g' | awk '{for (i = 1; i <= NF; i += 2) printf "-%s%s", $i, $(i + 1)}')
  name=$loss${mining:+-$mining}$suffix
  args=(--loss "$loss")
  [ -n "$mining" ] && args+=(--mining "$mining")
  args+=("${own[@]}")
  echo "== $name" >&2
  "$fk" train --data "$lfw" --people "$lfw/peopleDevTrain.txt" --val-pairs "$lfw/pairsDevTest.txt" \
    --tune-pairs "$lfw/pairsDevTrain.txt" --out "$out/$name.fktn" "${args[@]}" "${extra[@]}" --json --quiet > "$out/$name.json"
done
python3 - "$out" <<'PY'
import glob, json, os, sys
rows = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.json")))]
if not rows:
    sys.exit("no results")
r0 = rows[0]
print(f"inputs: {r0['input']}, {r0['images']} images of {r0['people']} people; DevTest pairs {r0['val_pairs']}")
what = "base descriptors" if r0["input"] == "descriptors" else "raw pixels"
print(f"{what}: {100 * r0['base_accuracy']:.2f} %")
print("| loss | mining | options | DevTest accuracy | untrained | epochs | seconds |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    u = r.get("untrained_accuracy")
    stem = os.path.basename(r["model"])[: -len(".fktn")]
    base = r["loss"] + ("-" + r["mining"] if r["mining"] else "")
    opts = stem[len(base) + 1 :].replace("-", " ") if stem.startswith(base + "-") else ""
    print(f"| {r['loss']} | {r['mining'] or ''} | {opts} | {100 * r['accuracy']:.2f} % | "
          f"{'' if u is None else '%.2f %%' % (100 * u)} | {r['epochs']} | {r['seconds']} |")
PY
