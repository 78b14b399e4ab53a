#!/usr/bin/env bash
# deps.sh: checks the Debian packages facekit builds and runs with; installs the missing ones when root.
set -euo pipefail
# Why each is here: see README.md, "Dependencies".
# libdlib-data is data, not code: dlib's ERT landmark model (fk_ert_load), non-commercial use only.
pkgs=(build-essential cmake pkg-config libjpeg62-turbo-dev libpng-dev libwebp-dev libtiff-dev libgif-dev libcjson-dev libopenblas-dev libsqlite3-dev libpq-dev libfaiss-dev npm libdlib-data libdlib-dev python3-numpy python3-click python3-pytest)
[ "${FK_WITH_CLANG:-0}" = 1 ] && pkgs+=(clang libclang-rt-14-dev)
# the HTML reports are checked in a real browser; .ci/run asks for it
[ "${FK_WITH_BROWSER:-0}" = 1 ] && pkgs+=(chromium)
# the PostgreSQL gallery's tests start a server of their own; .ci/run asks for it
[ "${FK_WITH_POSTGRES:-0}" = 1 ] && pkgs+=(postgresql-15)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from a Node.js install outside Debian's packages; accept it if it runs.
if [[ " ${missing[*]-} " == *" npm "* ]] && command -v npm >/dev/null; then
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]-}"
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq "${missing[@]}"
else
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
