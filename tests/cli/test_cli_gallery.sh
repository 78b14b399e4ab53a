#!/usr/bin/env bash
# test_cli_gallery.sh: enroll, identify, who and the gallery verbs end to end: usage errors, damaged and foreign files, a SIGKILLed enroll, two enrolls at once.
set -u
. "$(dirname "$0")/lib.sh"

for v in enroll identify who gallery; do
  run "$v" --help; expect_rc 0 "$v --help"
  grep -q -- "--db\|KNOWN" "$FK_TMP/out" || fail "$v --help names its inputs"
done
run enroll;                          expect_rc 2 "enroll without a name"
run enroll Ada;                      expect_rc 2 "enroll without images"
run enroll --known x Ada a.jpg;      expect_rc 2 "enroll --known with a name"
run identify;                        expect_rc 2 "identify without images"
run identify --index int4 x.jpg;     expect_rc 2 "identify --index int4"
run who only_known;                  expect_rc 2 "who without unknown images"
run gallery;                         expect_rc 2 "gallery without a subcommand"
run gallery frobnicate;              expect_rc 2 "unknown gallery subcommand"
run gallery rename onlyone;          expect_rc 2 "gallery rename with one name"
run gallery remove --db "$FK_TMP/x.db"; expect_rc 2 "gallery remove without a name or --face"

# damaged and foreign files: one line naming the file, never a crash
printf 'not a database at all, just some text that is long enough' > "$FK_TMP/junk.db"
run gallery list --db "$FK_TMP/junk.db"; expect_rc 1 "gallery list on a text file"
[ "$(stderr_lines)" -eq 1 ] && grep -q "junk.db" "$FK_TMP/err" || fail "a text file as gallery: one line naming it"
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("create table t(x)"); c.commit()' "$FK_TMP/other.db"
run gallery stats --db "$FK_TMP/other.db"; expect_rc 1 "another program's SQLite file"
grep -q "not a facekit gallery" "$FK_TMP/err" || fail "another program's SQLite file: says so"
run gallery import --db "$FK_TMP/imp.db" "$FK_TMP/junk.db"; expect_rc 1 "import of a text file"
grep -q "junk.db: not valid JSON" "$FK_TMP/err" || fail "import of a text file: names it"
run gallery list --db "$FK_TMP/empty.db"; expect_rc 0 "a new gallery lists nobody"
grep -q "^0 people" "$FK_TMP/out" || fail "a new gallery: 0 people"

if ! have_models; then
  skip_data "gallery with real faces: models not fetched"
  finish "cli gallery"
fi
demo="$FK_MODELS/demo"
db="$FK_TMP/g.db"
# every demo photo shows several people: one-face images are their aligned chips, with context
chips="$FK_TMP/chips"
for s in 4 5; do
  run align "$demo/sample$s.jpg" --out "$chips" --size 300 --padding 1; expect_rc 0 "align sample$s into one-face chips"
done
# sample2 and sample3 show several people: enroll refuses them without --largest
run enroll --db "$db" --quiet Crowd "$demo/sample2.jpg"; expect_rc 1 "enroll of a photo with several faces"
grep -q "sample2.jpg: .* faces, not one" "$FK_TMP/err" || fail "several faces: the skipped file and why"
run enroll --db "$db" --json --largest Crowd "$demo/sample2.jpg"; expect_rc 0 "enroll --largest"
json_check 'len(d) == 1 and d[0]["person"] == "Crowd" and d[0]["faces_in_image"] > 1' "enroll --json"
printf 'garbage' > "$FK_TMP/broken.jpg"
run enroll --db "$db" Solo "$chips/sample5_0.png" "$FK_TMP/broken.jpg"; expect_rc 1 "enroll with a broken image"
grep -q "broken.jpg" "$FK_TMP/err" || fail "enroll goes on past a broken image and lists it"
run gallery show --db "$db" --json Solo; expect_rc 0 "gallery show"
json_check 'len(d["faces"]) == 1 and d["faces"][0]["thumbnail_bytes"] > 500 and d["faces"][0]["source"].endswith("sample5_0.png")' \
  "the broken image did not stop the good one; a thumbnail is kept"

# identify: the enrolled photo is its person, at distance about 0
run identify --db "$db" --json "$chips/sample5_0.png"; expect_rc 0 "identify"
json_check 'd[0]["faces"][0]["name"] == "Solo" and d[0]["faces"][0]["distance"] < 0.05 and d[0]["faces"][0]["known"]' \
  "identify finds the enrolled face"
run identify --db "$db" --index int8 --json "$chips/sample5_0.png"; expect_rc 0 "identify --index int8"
json_check 'd[0]["faces"][0]["name"] == "Solo"' "identify on the int8 matrix"
run identify --db "$db" --index faiss-hnsw --json "$chips/sample5_0.png"; expect_rc 0 "identify --index faiss-hnsw"
[ -f "$db.faiss-hnsw" ] || fail "the FAISS index is saved beside the gallery"
json_check 'd[0]["faces"][0]["name"] == "Solo"' "identify through FAISS HNSW"
# another embedder's descriptors are refused, naming both
run enroll --db "$db" --embedder faceapi-resnet Other "$chips/sample4_0.png"; expect_rc 1 "enroll with another embedder"
grep -q "faceapi-resnet" "$FK_TMP/err" && grep -q "dlib-resnet\|faceapi" "$FK_TMP/err" || fail "another embedder: named"
run identify --db "$db" --embedder faceapi-resnet "$chips/sample5_0.png"; expect_rc 1 "identify with another embedder"

# rename, tag, merge, export, import, remove, check
run gallery rename --db "$db" Solo Alone;     expect_rc 0 "gallery rename"
run gallery tag --db "$db" Alone friend;      expect_rc 0 "gallery tag"
run gallery rename --db "$db" Nobody X;       expect_rc 1 "rename of nobody"
grep -q 'no person named "Nobody"' "$FK_TMP/err" || fail "rename of nobody: says so"
run gallery export --db "$db" "$FK_TMP/e.json"; expect_rc 0 "gallery export"
run gallery import --db "$FK_TMP/copy.db" "$FK_TMP/e.json"; expect_rc 0 "gallery import"
run gallery list --db "$FK_TMP/copy.db" --json; expect_rc 0 "list the copy"
json_check 'sorted(p["name"] for p in d) == ["Alone", "Crowd"] and [p["tags"] for p in d if p["name"] == "Alone"] == ["friend"]' \
  "export and import keep people and tags"
run gallery merge --db "$FK_TMP/copy.db" Alone Crowd; expect_rc 0 "gallery merge"
run gallery remove --db "$FK_TMP/copy.db" Crowd; expect_rc 0 "gallery remove"
grep -q "removed 2 faces" "$FK_TMP/out" || fail "remove: the merged person had 2 faces"
run gallery check --db "$db"; expect_rc 0 "gallery check"

# who: face_recognition's lines; several faces per photo; unknown_person; no_persons_found
mkdir -p "$FK_TMP/known/Five" "$FK_TMP/unknown"
cp "$chips/sample5_0.png" "$FK_TMP/known/Five/a.png"
cp "$chips/sample5_1.png" "$FK_TMP/known/Five/b.png"
cp "$chips/sample4_0.png" "$FK_TMP/known/Four.png"
python3 - "$FK_TMP/unknown/blank.png" <<'PY'
import struct, sys, zlib
def chunk(t, b):
    return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xFFFFFFFF)
rows = b"".join(b"\0" + b"\x80" * 64 for _ in range(64))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 0, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
run who "$FK_TMP/known" "$chips/sample4_0.png" "$demo/sample2.jpg" "$FK_TMP/unknown/blank.png"; expect_rc 0 "who"
grep -q "sample4_0.png,Four,0\.0" "$FK_TMP/out" || fail "who: sample4_0 is Four"
[ "$(grep -c '^.*sample2.jpg,unknown_person,' "$FK_TMP/out")" -ge 2 ] || fail "who: every face of sample2, unknown"
grep -q "blank.png,no_persons_found" "$FK_TMP/out" || fail "who: an image without a face"

# durability: SIGKILL an enroll mid-folder; every face it had reported is there, the file is sound
mkdir -p "$FK_TMP/many"
for i in $(seq 1 24); do cp "$chips/sample5_$((i % 5)).png" "$FK_TMP/many/$(printf %02d "$i").png"; done
kdb="$FK_TMP/kill.db"
"$FK_BIN" enroll --db "$kdb" --json --jobs 1 Many "$FK_TMP/many" >"$FK_TMP/kill.out" 2>"$FK_TMP/kill.err" &
pid=$!
for _ in $(seq 1 600); do
  [ "$(grep -c face_id "$FK_TMP/kill.out" 2>/dev/null)" -ge 3 ] && break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
done_ids=$(grep -o '"face_id":[0-9]*' "$FK_TMP/kill.out" | cut -d: -f2 | sort -n | tr '\n' ' ')
[ -n "$done_ids" ] || fail "the killed enroll reported no face before the kill"
python3 - "$kdb" "$done_ids" <<'PY' || fail "after SIGKILL: integrity and every reported face"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("pragma integrity_check").fetchone()[0] == "ok"
ids = {r[0] for r in c.execute("select id from faces")}
want = {int(x) for x in sys.argv[2].split()}
assert want <= ids, (want, ids)
assert len(ids) < 24, "the kill came too late to test anything"
PY
run gallery check --db "$kdb"; expect_rc 0 "gallery check after SIGKILL"

# two enrolls into one gallery at once lose nothing
cdb="$FK_TMP/conc.db"
mkdir -p "$FK_TMP/a" "$FK_TMP/b"
for i in 1 2 3 4 5 6; do cp "$chips/sample5_$((i % 5)).png" "$FK_TMP/a/$i.png"; cp "$chips/sample4_$((i % 4)).png" "$FK_TMP/b/$i.png"; done
"$FK_BIN" enroll --db "$cdb" --quiet --jobs 1 A "$FK_TMP/a" 2>"$FK_TMP/ca.err" & pa=$!
"$FK_BIN" enroll --db "$cdb" --quiet --jobs 1 B "$FK_TMP/b" 2>"$FK_TMP/cb.err" & pb=$!
wait "$pa" || fail "concurrent enroll A: $(cat "$FK_TMP/ca.err")"
wait "$pb" || fail "concurrent enroll B: $(cat "$FK_TMP/cb.err")"
run gallery list --db "$cdb" --json; expect_rc 0 "list after concurrent enrolls"
json_check 'sorted((p["name"], p["faces"]) for p in d) == [("A", 6), ("B", 6)]' "two enrolls at once: 12 faces"

finish "cli gallery"
