#!/usr/bin/env bash
# test_cli_train.sh: `facekit train`: usage errors, a real head trained on LFW people with validation pairs, the descriptor cache, the trained models as other verbs' embedder, a SIGKILLed run resumed to the same model bytes, damaged checkpoints.
set -u
. "$(dirname "$0")/lib.sh"

run train --help;                          expect_rc 0 "train --help"
grep -q -- "--loss" "$FK_TMP/out" && grep -q -- "--batch P,K" "$FK_TMP/out" && grep -q -- "--resume" "$FK_TMP/out" ||
  fail "train --help lists --loss, --batch and --resume"
run train --out m.fktn;                    expect_rc 2 "train without --data"
run train --data x --out m --loss nope;    expect_rc 2 "train: unknown --loss"
grep -q "arcface" "$FK_TMP/err" || fail "unknown --loss: the message lists the losses"
run train --data x --out m --mining most;  expect_rc 2 "train: unknown --mining"
run train --data x --out m --batch 1,4;    expect_rc 2 "train: --batch with one person"
run train --data x --out m --batch 8;      expect_rc 2 "train: --batch without K"
run train --data x --out m --optim lbfgs;  expect_rc 2 "train: unknown --optim"
run train --data x --out m --arch small-cnn --augment blur; expect_rc 2 "train: unknown --augment"
run train --data x --out m --augment default; expect_rc 2 "train: --augment on descriptors"

shared=${FACEKIT_SHARED:-${FK_TEST_SHARED_DEFAULT:-}}
lfw="$shared/data/lfw-deepfunneled/images_deepfunneled"
if ! have_models; then
  skip_data "train on LFW: models not fetched"
  finish "cli train"
fi
run train --data "$FK_TMP/nowhere" --out "$FK_TMP/m.fktn"; expect_rc 1 "train: missing data folder"
grep -q "nowhere" "$FK_TMP/err" || fail "missing data folder: the message names it"
if [ ! -d "$lfw" ]; then
  skip_data "train on LFW: $lfw not found (../shared absent)"
  finish "cli train"
fi

# 16 people with 4 images or more, by name; validation pairs among 8 others
data="$FK_TMP/people"
mkdir -p "$data"
n=0
for d in "$lfw"/*/; do
  p=$(basename "$d")
  c=$(ls "$d" | wc -l)
  [ "$c" -ge 4 ] || continue
  n=$((n + 1))
  if [ "$n" -le 16 ]; then
    mkdir -p "$data/$p" && ls "$d" | head -4 | while read -r f; do ln -s "$d$f" "$data/$p/$f"; done
  elif [ "$n" -le 24 ]; then
    echo "$p" >> "$FK_TMP/valpeople"
  else
    break
  fi
done
# same-person pairs (images 1-2, 3-4 of each, by name) and different-person pairs between neighbours
{
  echo "img1,img2,same"
  prev=()
  while read -r p; do
    f=($(ls "$lfw/$p" | head -4))
    echo "$p/${f[0]},$p/${f[1]},1"
    echo "$p/${f[2]},$p/${f[3]},1"
    if [ "${#prev[@]}" -gt 0 ]; then
      echo "${prev[0]},$p/${f[2]},0"
      echo "${prev[1]},$p/${f[3]},0"
    fi
    prev=("$p/${f[0]}" "$p/${f[1]}")
  done < "$FK_TMP/valpeople"
} > "$FK_TMP/val.csv"
fast=(--embedder faceapi-resnet --jitter 0 --threads 2 --cache "$FK_TMP/cache.tsv")

run train --data "$data" --out "$FK_TMP/head.fktn" "${fast[@]}" --val-pairs "$FK_TMP/val.csv" --pairs-root "$lfw" \
  --epochs 4 --batch 8,2 --loss triplet --mining batch-hard --json
expect_rc 0 "train a head on 16 LFW people"
json_check 'd["images"] == 64 and d["people"] == 16 and d["images_without_face"] == 0 and d["val_pairs"] == 30 and 0.5 <= d["accuracy"] <= 1 and 0.5 <= d["base_accuracy"] <= 1 and d["threshold"] > 0 and d["base"] == "faceapi-resnet" and d["mining"] == "batch-hard"' \
  "train: the report's figures"
[ -s "$FK_TMP/head.fktn" ] && [ -s "$FK_TMP/head.fktn.ckpt" ] || fail "train: the model and its checkpoint are written"
head -c 4 "$FK_TMP/head.fktn" | grep -q FKTN || fail "train: the model file starts with FKTN"
[ "$(grep -vc "^#" "$FK_TMP/cache.tsv")" -eq 96 ] || fail "train: the cache holds the 64 images and the 32 of the pairs"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("train: 16 people, validation accuracy %.3f (base %.3f)" % (d["accuracy"], d["base_accuracy"]))' "$FK_TMP/out"

# every loss runs from the cache (no image is read again: the images are gone from the data's view)
for loss in softmax focal ohem contrastive coupled-cluster center arcface cosface; do
  run train --data "$data" --out "$FK_TMP/l.fktn" "${fast[@]}" --epochs 2 --batch 8,2 --loss "$loss" --json
  expect_rc 0 "train --loss $loss"
done

# a CNN on aligned chips, and a student distilled from the base's descriptors
run train --data "$data" --out "$FK_TMP/cnn.fktn" "${fast[@]}" --val-pairs "$FK_TMP/val.csv" --pairs-root "$lfw" \
  --arch small-cnn --chip-size 32 --epochs 2 --batch 8,2 --augment flip,shift=0.1,contrast=0.2 --json
expect_rc 0 "train --arch small-cnn on 32x32 chips, augmented"
cp "$FK_TMP/out" "$FK_TMP/cnn.json"
json_check 'd["input"] == "chips" and d["chip_size"] == 32 and d["augment"] == "flip,shift=0.1,contrast=0.2" and d["base"] is None and d["images"] == 64 and 0 <= d["untrained_accuracy"] <= 1 and 0 <= d["base_accuracy"] <= 1' \
  "train small-cnn: chips, the raw-pixel and untrained figures"
run train --data "$data" --out "$FK_TMP/student.fktn" "${fast[@]}" --loss distill --chip-size 32 --epochs 2 --batch 8,2 --json
expect_rc 0 "train --loss distill"
json_check 'd["loss"] == "distill" and d["input"] == "chips" and d["final_loss"] > 0' "train distill: a student on chips"
run train --data "$data" --out "$FK_TMP/x.fktn" "${fast[@]}" --loss distill --arch "fc:64,l2" --chip-size 32 --epochs 1 --batch 8,2
expect_rc 1 "train distill into a 64-D student"
grep -q "64" "$FK_TMP/err" && grep -q "128" "$FK_TMP/err" || fail "a 64-D student: the message gives both sizes"

# the trained models as every verb's embedder (--embedder FILE.fktn)
cnn_thr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["threshold"])' "$FK_TMP/cnn.json" 2>/dev/null || echo 0)
p1=$(head -1 "$FK_TMP/valpeople")
a1=$(ls "$lfw/$p1" | head -1); a2=$(ls "$lfw/$p1" | sed -n 2p)
for m in head cnn; do
  run embed --embedder "$FK_TMP/$m.fktn" --jitter 0 --json "$lfw/$p1/$a1"
  expect_rc 0 "embed --embedder $m.fktn"
  json_check '(lambda f: abs(sum(v * v for v in f["descriptor"]) - 1) < 1e-4 and f["embedder"] == "trained" and len(f["descriptor"]) == 128)(d[0]["faces"][0])' \
    "embed --embedder $m.fktn: a unit 128-D descriptor of the trained space"
done
run compare --embedder "$FK_TMP/cnn.fktn" --json "$lfw/$p1/$a1" "$lfw/$p1/$a1"
expect_rc 0 "compare --embedder cnn.fktn"
json_check "d['distance'] < 1e-5 and abs(d['threshold'] - $cnn_thr) < 1e-6" "compare --embedder: an image against itself at the model's own threshold"
run compare --embedder "$FK_TMP/cnn.fktn" --json "$lfw/$p1/$a1" "$lfw/$p1/$a2"
expect_rc 0 "compare --embedder cnn.fktn on two images"
json_check 'd["distance"] > 1e-4' "compare --embedder: two images of one person are apart"
gal="$FK_TMP/trained.db"
run enroll --db "$gal" --embedder "$FK_TMP/cnn.fktn" --quiet "$p1" "$lfw/$p1/$a1"; expect_rc 0 "enroll --embedder cnn.fktn"
run identify --db "$gal" --embedder "$FK_TMP/cnn.fktn" --json "$lfw/$p1/$a1"; expect_rc 0 "identify --embedder cnn.fktn"
grep -q "$p1" "$FK_TMP/out" || fail "identify --embedder cnn.fktn: the enrolled image is its person"
run enroll --db "$gal" --embedder "$FK_TMP/head.fktn" --quiet Other "$lfw/$p1/$a2"; expect_rc 1 "enroll with another trained model"
grep -q "fktn:cnn.fktn" "$FK_TMP/err" || fail "another trained model: the message names the gallery's space"
printf 'FKTN-not-really' > "$FK_TMP/broken.fktn"
run embed --embedder "$FK_TMP/broken.fktn" "$lfw/$p1/$a1"; expect_rc 1 "embed --embedder with a damaged model"
grep -q "broken.fktn" "$FK_TMP/err" || fail "a damaged --embedder model: the error names the file"

# a run killed after its first checkpoint, resumed, ends with the bytes of an uninterrupted run
big=(--arch "fc:1024,bn,prelu,fc:1024,bn,prelu,fc:128,l2" --epochs 6 --batch 8,2 --seed 5 --quiet)
run train --data "$data" --out "$FK_TMP/whole.fktn" "${fast[@]}" "${big[@]}"
expect_rc 0 "train: the uninterrupted run"
"$FK_BIN" train --data "$data" --out "$FK_TMP/cut.fktn" "${fast[@]}" "${big[@]}" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ -s "$FK_TMP/cut.fktn.ckpt" ] && break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -s "$FK_TMP/cut.fktn.ckpt" ] || fail "train: a checkpoint after the first epoch"
if [ -s "$FK_TMP/cut.fktn" ]; then
  echo "note: the run finished before the kill; the resume below starts from its last checkpoint"
fi
run train --data "$data" --out "$FK_TMP/cut.fktn" "${fast[@]}" "${big[@]}" --resume
expect_rc 0 "train --resume after SIGKILL"
cmp -s "$FK_TMP/whole.fktn" "$FK_TMP/cut.fktn" || fail "train: the resumed run's model differs from the uninterrupted run's"

# a damaged checkpoint or one of another run is refused, naming the file
printf 'garbage' > "$FK_TMP/bad.ckpt"
run train --data "$data" --out "$FK_TMP/x.fktn" "${fast[@]}" --checkpoint "$FK_TMP/bad.ckpt" --resume
expect_rc 1 "train --resume from garbage"
tail -1 "$FK_TMP/err" | grep -q "bad.ckpt" || fail "garbage checkpoint: the error names it"
cp "$FK_TMP/cut.fktn.ckpt" "$FK_TMP/cut2.ckpt"
printf '\x01' | dd of="$FK_TMP/cut2.ckpt" bs=1 seek=100 conv=notrunc 2>/dev/null
run train --data "$data" --out "$FK_TMP/x.fktn" "${fast[@]}" "${big[@]}" --checkpoint "$FK_TMP/cut2.ckpt" --resume
expect_rc 1 "train --resume from a checkpoint with a flipped byte"
grep -q "SHA-256" "$FK_TMP/err" || fail "flipped byte: the message says the digest does not match"
run train --data "$data" --out "$FK_TMP/x.fktn" "${fast[@]}" --checkpoint "$FK_TMP/cut.fktn.ckpt" --resume
expect_rc 1 "train --resume with another architecture"
grep -q "fc:1024" "$FK_TMP/err" || fail "another architecture: the message names the checkpoint's"
run train --data "$data" --out "$FK_TMP/x.fktn" "${fast[@]}" --checkpoint "$FK_TMP/none.ckpt" --resume
expect_rc 1 "train --resume without a checkpoint"
finish "cli train"
