#!/usr/bin/env bash
# install.sh PREFIX [COMPAT]: installs the facekit Python package (and with COMPAT=1 the face_recognition compatibility package and its two commands) under PREFIX, after `cmake --install` put libfacekit there.
# Environment: PYTHON (default /usr/bin/python3), PYTHON_SITEDIR (default: the folder Debian's python
# reads for PREFIX: PREFIX/lib/python3/dist-packages for /usr, else PREFIX/lib/python3.X/dist-packages),
# DESTDIR (staged installs: files go under it, the paths written into them do not include it).
set -euo pipefail
prefix=${1:?usage: install.sh PREFIX [COMPAT]}
compat=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-/usr/bin/python3}
dest=${DESTDIR:-}
if ! command -v "$py" >/dev/null; then
  echo "install.sh: no $py: the Python packages are not installed (the C library and CLI are)"
  exit 0
fi
prefix=$(cd "$dest$prefix" && pwd) && prefix=${prefix#"$dest"}

if [ -z "${PYTHON_SITEDIR:-}" ]; then
  if [ "$prefix" = /usr ]; then
    PYTHON_SITEDIR=/usr/lib/python3/dist-packages
  else
    PYTHON_SITEDIR=$prefix/lib/python$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages
  fi
fi
site=$PYTHON_SITEDIR

# the library cmake --install put under PREFIX: the installed package loads it by this path, so
# it works from any PREFIX without ldconfig or LD_LIBRARY_PATH
lib=$(find "$dest$prefix" -maxdepth 4 -name libfacekit.so.0 \( -type f -o -type l \) 2>/dev/null | sort | head -n1)
[ -n "$lib" ] || { echo "install.sh: no libfacekit.so.0 under $dest$prefix (cmake --install first)" >&2; exit 1; }
lib=${lib#"$dest"}

install -d "$dest$site/facekit"
install -m 644 "$here"/facekit/*.py "$dest$site/facekit/"
printf '"""_installed: written by make install: the library this installed copy loads."""\n\nLIBRARY = %s\n' \
  "$("$py" -c 'import sys; print(repr(sys.argv[1]))' "$lib")" >"$dest$site/facekit/_installed.py"
echo "installed the facekit Python package in $site (library $lib)"

if [ -n "$compat" ] && [ "$compat" != 0 ]; then
  install -d "$dest$site/face_recognition" "$dest$prefix/bin"
  install -m 644 "$here"/face_recognition_compat/face_recognition/*.py "$dest$site/face_recognition/"
  for cmd in face_recognition:face_recognition_cli face_detection:face_detection_cli; do
    name=${cmd%%:*} module=${cmd#*:}
    cat >"$dest$prefix/bin/$name" <<SCRIPT
#!$py
"""$name: face_recognition 1.3's command, run by facekit's compatibility package."""
import sys

sys.path.insert(0, "$site")  # where make install put the packages, on the path or not
from face_recognition.$module import main

sys.exit(main())
SCRIPT
    chmod 755 "$dest$prefix/bin/$name"
  done
  echo "installed the face_recognition compatibility package in $site and its commands in $prefix/bin"
fi
