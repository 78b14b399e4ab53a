#!/usr/bin/env bash
# test_cli_bad_input.sh: bad images and damaged models give exit != 0 and one stderr line naming the file, never a crash.
set -u
. "$(dirname "$0")/lib.sh"

if ! have_models; then
  skip_data "models not found (set FACEKIT_MODELS or run make models)"
  finish "cli bad input"
fi
export FACEKIT_MODELS=$FK_MODELS
unset FACEKIT_MODELS_NOVERIFY
s1=$FK_MODELS/demo/sample1.jpg
d=$FK_TMP/bad
mkdir -p "$d"

# ---- the bad files ----
head -c 30000 "$s1" >"$d/truncated.jpg"
head -c 700 "$s1" >"$d/header_only.jpg"
: >"$d/zero.jpg"
head -c 4096 /dev/urandom >"$d/random.jpg"
printf '\377\330\377' >"$d/jpeg_garbage.jpg" && head -c 2048 /dev/urandom >>"$d/jpeg_garbage.jpg"
printf 'these are not the pixels you are looking for\n' >"$d/text.jpg"
mkdir "$d/folder.jpg"
python3 - "$d" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
with open(d + "/huge.png", "wb") as f:  # a valid PNG header claiming 100000x100000, a tiny IDAT
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 301)) + chunk(b"IEND", b""))
with open(d + "/huge.ppm", "wb") as f:  # a PNM header claiming 100000x100000
    f.write(b"P6\n100000 100000\n255\n" + b"\0" * 64)
with open(d + "/bad_crc.png", "wb") as f:  # a 4x4 PNG whose IDAT is corrupt
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) + chunk(b"IDAT", b"\x78\x9c garbage") + chunk(b"IEND", b""))
with open(d + "/huge.gif", "wb") as f:  # a GIF screen of 65535x65535 with a 2-colour palette and no frame
    f.write(b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff" + b";")
with open(d + "/huge.webp", "wb") as f:  # an extended WebP header claiming a 16384x16384 canvas
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (16383).to_bytes(3, "little") * 2
    f.write(b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x)
PY
# cut copies of small WebP, GIF and TIFF files (the fuzzer's seeds)
seeds=${FK_TEST_SRC:-$(dirname "$0")/../..}/fuzz/corpus/fuzz_decode
head -c 60 "$seeds/lossy9x7.webp" >"$d/truncated.webp"
head -c 30 "$seeds/offset11x8.gif" >"$d/truncated.gif"
head -c 200 "$seeds/lzw9x7.tif" >"$d/truncated.tif"
head -c 80 "$seeds/rgb24_5x3.bmp" >"$d/truncated.bmp"
cp "$seeds/lossless9x7.webp" "$d/webp_named.jpg"

# one_line_error WHAT FILE-NAME: the last run failed (not a usage error) with one line naming the file
one_line_error() {
  [ "$rc" -ne 0 ] || fail "$1: exit 0"
  [ "$rc" -ne 2 ] || fail "$1: exit 2 (a usage error) for bad data"
  [ "$rc" -lt 128 ] || fail "$1: killed by signal $((rc - 128))"
  [ "$(stderr_lines)" -eq 1 ] || { fail "$1: $(stderr_lines) lines on stderr, want 1"; sed 's/^/    /' "$FK_TMP/err" | head -10; }
  grep -qF -- "$2" "$FK_TMP/err" || fail "$1: the message does not name $2: $(cat "$FK_TMP/err")"
  grep -q "^facekit: " "$FK_TMP/err" || fail "$1: the message does not start with 'facekit: '"
}

for f in truncated.jpg header_only.jpg zero.jpg random.jpg jpeg_garbage.jpg text.jpg folder.jpg missing.jpg huge.png \
  huge.ppm bad_crc.png huge.gif huge.webp truncated.webp truncated.gif truncated.tif truncated.bmp; do
  run detect "$d/$f"
  one_line_error "detect $f" "$d/$f"
  run detect --json "$d/$f"
  one_line_error "detect --json $f" "$d/$f"
  json_check 'len(d) == 1 and "error" in d[0] and "faces" not in d[0] and "width" not in d[0]' "detect --json $f"
done
# a WebP named .jpg is read as what it is
run detect --json "$d/webp_named.jpg"
expect_rc 0 "detect on a WebP named .jpg"
json_check 'd[0]["width"] == 9 and d[0]["height"] == 7 and d[0]["faces"] == []' "a WebP named .jpg decodes by content"
# the other verbs go through the same decode; spot checks
run embed "$d/truncated.jpg"
one_line_error "embed truncated.jpg" "$d/truncated.jpg"
run compare "$s1" "$d/random.jpg"
one_line_error "compare with random.jpg" "$d/random.jpg"
run demo --out "$FK_TMP/demo-bad" "$d/zero.jpg"
one_line_error "demo zero.jpg" "$d/zero.jpg"
# a limit from the command line
run detect --max-pixels 1000 "$s1"
one_line_error "detect --max-pixels 1000" "$s1"

# ---- a batch goes on after a bad image ----
run detect --json "$s1" "$d/truncated.jpg" "$s1"
expect_rc 1 "batch with one bad image"
json_check 'len(d) == 3 and len(d[0]["faces"]) == 3 and "error" in d[1] and "truncated.jpg" in d[1]["error"] and len(d[2]["faces"]) == 3' "batch JSON"
[ "$(stderr_lines)" -eq 1 ] || fail "batch: $(stderr_lines) lines on stderr, want 1"
run detect "$s1" "$d/zero.jpg"
expect_rc 1 "text batch with one bad image"
grep -q "3 faces" "$FK_TMP/out" || fail "text batch: the good image is missing"

# ---- damaged models ----
copy_models() { # DIR
  mkdir -p "$1"
  cp "$FK_MODELS"/*.json "$FK_MODELS"/*.bin "$1"/
}
copy_models "$FK_TMP/m_truncated"
truncate -s 100000 "$FK_TMP/m_truncated/face_recognition_model.bin"
copy_models "$FK_TMP/m_flipped"
python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 3] ^= 0x10; open(p, "wb").write(b)' \
  "$FK_TMP/m_flipped/face_recognition_model.bin"
copy_models "$FK_TMP/m_manifest"
printf '{"not": [a manifest' >"$FK_TMP/m_manifest/face_recognition_model-weights_manifest.json"
copy_models "$FK_TMP/m_missing"
rm "$FK_TMP/m_missing/face_recognition_model.bin"

for m in m_truncated m_flipped m_manifest m_missing; do
  for v in embed demo; do
    # face-api's ResNet by name: embed's default embedder is dlib's (its damage is checked below)
    if [ $v = demo ]; then run demo --models "$FK_TMP/$m" --out "$FK_TMP/demo-$m" "$s1"; else run $v --embedder faceapi-resnet --models "$FK_TMP/$m" "$s1"; fi
    one_line_error "$v with $m" "$FK_TMP/$m/face_recognition_model"
  done
  # the environment variable reaches the same check
  FACEKIT_MODELS="$FK_TMP/$m" run compare --embedder faceapi-resnet "$s1" "$s1"
  one_line_error "compare with FACEKIT_MODELS=$m" "$FK_TMP/$m/face_recognition_model"
  # detect does not load the descriptor net, so its damage does not matter there
  run detect --models "$FK_TMP/$m" "$s1"
  expect_rc 0 "detect with $m (descriptor net not needed)"
done
# without the pinned hashes, the loader's own checks still catch the truncation and the garbage manifest
for m in m_truncated m_manifest; do
  FACEKIT_MODELS_NOVERIFY=1 run embed --embedder faceapi-resnet --models "$FK_TMP/$m" "$s1"
  one_line_error "embed with $m, FACEKIT_MODELS_NOVERIFY=1" "$FK_TMP/$m/face_recognition_model"
done
# dlib's ResNet, embed's default embedder, truncated: the error names the file, with or without the pin
dsrc=${FACEKIT_DLIB_MODELS:-$FK_MODELS/../dlib}
if [ -f "$dsrc/dlib_face_recognition_resnet_model_v1.dat" ]; then
  mkdir -p "$FK_TMP/dlib_truncated"
  cp "$dsrc"/*.dat "$FK_TMP/dlib_truncated/"
  truncate -s 1000000 "$FK_TMP/dlib_truncated/dlib_face_recognition_resnet_model_v1.dat"
  FACEKIT_DLIB_MODELS="$FK_TMP/dlib_truncated" run embed "$s1"
  one_line_error "embed with a truncated dlib ResNet" "$FK_TMP/dlib_truncated/dlib_face_recognition_resnet_model_v1.dat"
  FACEKIT_MODELS_NOVERIFY=1 FACEKIT_DLIB_MODELS="$FK_TMP/dlib_truncated" run compare "$s1" "$s1"
  one_line_error "compare with a truncated dlib ResNet, FACEKIT_MODELS_NOVERIFY=1" "$FK_TMP/dlib_truncated/dlib_face_recognition_resnet_model_v1.dat"
else
  skip_data "embed with a damaged dlib ResNet: dlib's models not fetched in $dsrc"
fi
run detect --models "$FK_TMP/no-such-folder" "$s1"
one_line_error "a missing model folder" "$FK_TMP/no-such-folder"

finish test_cli_bad_input
