#!/usr/bin/env bash
# test_cli_postgres.sh: the gallery on PostgreSQL: a server of its own on a loopback port in a temporary folder, three enrolling processes at once, each seeing the others' faces at once, the verbs and bad URLs.
set -u
. "$(dirname "$0")/lib.sh"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
mkdir -p "$FK_TMP/none"
run identify --db "postgresql://nobody@127.0.0.1:1/none?connect_timeout=3" "$FK_TMP/none"; expect_rc 1 "identify on a server that is not there"
grep -q "cannot connect" "$FK_TMP/err" && [ "$(stderr_lines)" -eq 1 ] || fail "no server: one line saying so"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  skip_data "PostgreSQL gallery: the server binaries are absent (Debian package postgresql-15)"
  finish "cli postgres"
fi
if ! have_models; then
  skip_data "PostgreSQL gallery: models not fetched"
  finish "cli postgres"
fi

# the server refuses to run as root: as root, it runs as the postgres account
as=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { skip_data "PostgreSQL gallery: running as root without a postgres account"; finish "cli postgres"; }
  as=(runuser -u postgres --)
fi
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/facekit-pg.XXXXXX")
chmod 755 "$pgdir"
[ ${#as[@]} -gt 0 ] && chown postgres "$pgdir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_pg() { "${as[@]}" "$bin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pgdir" "$FK_TMP"; }
trap stop_pg EXIT
"${as[@]}" "$bin/initdb" -D "$pgdir/data" -A trust -U fk >"$pgdir/initdb.log" 2>&1 || { fail "initdb: $(tail -3 "$pgdir/initdb.log")"; finish "cli postgres"; }
"${as[@]}" "$bin/pg_ctl" -D "$pgdir/data" -w -l "$pgdir/server.log" \
  -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1 ||
  { fail "pg_ctl start: $(tail -3 "$pgdir/server.log")"; finish "cli postgres"; }
url="postgresql://fk@127.0.0.1:$port/postgres"

demo="$FK_MODELS/demo"
chips="$FK_TMP/chips"
for s in 4 5; do run align "$demo/sample$s.jpg" --out "$chips" --size 300 --padding 1; expect_rc 0 "align sample$s"; done

run gallery stats --db "$url" --json; expect_rc 0 "a new PostgreSQL gallery"
json_check 'd["faces"] == 0 and d["people"] == 0' "an empty gallery on the server"

# three processes enroll at once; each face is found by another process right after its enroll
for p in 0 1 2; do
  ( for j in 0 1; do
      img="$chips/sample5_$(((p * 2 + j) % 5)).png"
      [ "$p" = 2 ] && img="$chips/sample4_$j.png"
      "$FK_BIN" enroll --db "$url" --quiet --jobs 1 "P$p" "$img" 2>>"$FK_TMP/enroll$p.err" || echo "enroll P$p failed" >>"$FK_TMP/enroll$p.err"
      # another process lists the gallery right after: how long until it sees the new face
      t0=$(date +%s.%N)
      "$FK_BIN" gallery show --db "$url" --json "P$p" >"$FK_TMP/list$p$j.json" 2>>"$FK_TMP/enroll$p.err"
      t1=$(date +%s.%N)
      python3 -c 'import sys; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1" >"$FK_TMP/lag$p$j"
      python3 -c 'import json, sys; assert len(json.load(open(sys.argv[1]))["faces"]) == int(sys.argv[2]) + 1' \
        "$FK_TMP/list$p$j.json" "$j" 2>/dev/null || echo "process $p: face $j not listed by another process" >>"$FK_TMP/enroll$p.err"
      "$FK_BIN" identify --db "$url" --json --jobs 1 "$img" >"$FK_TMP/seen$p$j.json" 2>>"$FK_TMP/enroll$p.err"
    done ) &
done
wait
for p in 0 1 2; do
  [ -s "$FK_TMP/enroll$p.err" ] && fail "process $p: $(head -3 "$FK_TMP/enroll$p.err")"
  for j in 0 1; do
    python3 - "$FK_TMP/seen$p$j.json" <<'PY' || fail "process $p, face $j: another process finds it"
import json, sys
d = json.load(open(sys.argv[1]))
assert d[0]["faces"][0]["distance"] < 1e-3, d
PY
  done
done
run gallery list --db "$url" --json; expect_rc 0 "list after three processes"
json_check 'sorted((p["name"], p["faces"]) for p in d) == [("P0", 2), ("P1", 2), ("P2", 2)]' "three processes at once: 6 faces, none lost"
echo "seconds from an enroll's end until another process has listed its face: $(cat "$FK_TMP"/lag* | tr '\n' ' ')"
for f in "$FK_TMP"/lag*; do python3 -c 'import sys; sys.exit(float(open(sys.argv[1]).read()) >= 1.0)' "$f" || fail "a face took a second or more to show in another process"; done

# the verbs, and another embedder refused
run gallery rename --db "$url" P0 Zero;      expect_rc 0 "rename on PostgreSQL"
run gallery tag --db "$url" Zero friend;     expect_rc 0 "tag on PostgreSQL"
run gallery merge --db "$url" P1 Zero;       expect_rc 0 "merge on PostgreSQL"
run gallery show --db "$url" --json Zero;    expect_rc 0 "show on PostgreSQL"
json_check 'len(d["faces"]) == 4 and all(f["thumbnail_bytes"] > 500 for f in d["faces"])' "merged: 4 faces with thumbnails"
run gallery export --db "$url" "$FK_TMP/pg.json"; expect_rc 0 "export from PostgreSQL"
run gallery import --db "$FK_TMP/copy.db" "$FK_TMP/pg.json"; expect_rc 0 "the export into a gallery file"
grep -q "imported 6 faces" "$FK_TMP/out" || fail "PostgreSQL to file: 6 faces"
run gallery import --db "$url" "$FK_TMP/pg.json"; expect_rc 0 "import into PostgreSQL"
run gallery stats --db "$url" --json; expect_rc 0 "stats after the import"
json_check 'd["faces"] == 12 and d["people"] == 2' "the export imported back: each of the 2 people twice over, 12 faces"
printf '{"format":"facekit-gallery","version":1,"embedder":"faceapi-resnet","dim":2,"people":[{"name":"X","faces":[{"descriptor":[1,2]}]}]}' >"$FK_TMP/other.json"
run gallery import --db "$url" "$FK_TMP/other.json"; expect_rc 1 "import of another embedder into PostgreSQL"
run gallery stats --db "$url" --json; expect_rc 0 "stats after the refused import"
json_check 'd["faces"] == 12' "a refused import adds nothing"
run gallery remove --db "$url" P2;           expect_rc 0 "remove on PostgreSQL"
grep -q "removed 4 faces" "$FK_TMP/out" || fail "remove P2: 4 faces"
run identify --db "$url" --json "$chips/sample4_0.png"; expect_rc 0 "identify after the removal"
json_check 'd[0]["faces"][0]["name"] != "P2"' "a removed person is not found"
run enroll --db "$url" --embedder faceapi-resnet Other "$chips/sample4_1.png"; expect_rc 1 "another embedder on PostgreSQL"
grep -q "faceapi-resnet" "$FK_TMP/err" || fail "another embedder: named"
finish "cli postgres"
