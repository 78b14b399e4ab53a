#!/usr/bin/env bash
# test_install.sh: `make install PREFIX=DIR` layout, and a tiny program built against it with pkg-config.
set -euo pipefail
build=${FK_TEST_BUILD_DIR:?}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib* | head -n1)
for f in include/facekit/facekit.h include/facekit/face.h include/facekit/image.h include/facekit/status.h bin/facekit; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
ls "$libdir"/libfacekit.a "$libdir"/libfacekit.so >/dev/null
pc=$(find "$prefix" -name facekit.pc | head -n1)
[ -n "$pc" ] || { echo "FAIL: facekit.pc not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
cat > "$prefix/app.c" <<'C'
#include <facekit/facekit.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    fk_error err;
    fk_image *img = NULL;
    if (fk_image_new(4, 3, &img, &err) != FK_OK)
        return 1;
    fk_image_draw_rect(img, 0, 0, 4, 3, 1, 0xff0000);
    float a[FK_DESCRIPTOR_DIM] = {0}, b[FK_DESCRIPTOR_DIM] = {0};
    b[0] = 3, b[1] = 4;
    printf("%s %d %.1f\n", FACEKIT_VERSION_STRING, img->data[0], fk_descriptor_distance(a, b));
    fk_image_free(img);
    if (argc > 1) { /* a model folder: load the nets through the installed library */
        fk_models *m = NULL;
        if (fk_models_load(argv[1], FK_NET_ALL, &m, &err) != FK_OK) { puts(err.message); return 1; }
        fk_models_free(m);
        puts("models loaded");
    }
    return 0;
}
C
flags=""
[ "${FK_TEST_SANITIZE:-OFF}" = ON ] && flags="-fsanitize=address,undefined"
cc $flags -o "$prefix/app" "$prefix/app.c" $(pkg-config --cflags --libs facekit)
models=${FACEKIT_MODELS:-${FK_TEST_MODELS_DEFAULT:-}}
if [ ! -f "$models/face_recognition_model.bin" ]; then
  # FK_REQUIRE_DATA=1 (.ci/run): the models must be there; elsewhere the rest still runs, then exit 77
  if [ -n "${FK_REQUIRE_DATA:-}" ] && [ "$FK_REQUIRE_DATA" != 0 ]; then
    echo "FAIL: models not fetched (FK_REQUIRE_DATA=$FK_REQUIRE_DATA: a data test may not skip)"; exit 1
  fi
  echo "SKIP: models not fetched: the installed library is not tried on them"; models=""
fi
out=$(LD_LIBRARY_PATH="$libdir" "$prefix/app" ${models:+"$models"})
echo "$out"
echo "$out" | grep -q "^0.1.0 255 5.0" || { echo "FAIL: unexpected output"; exit 1; }
[ -z "$models" ] || echo "$out" | grep -q "models loaded" || { echo "FAIL: models not loaded"; exit 1; }
# the static library links too
cc $flags -o "$prefix/app_static" "$prefix/app.c" $(pkg-config --cflags facekit) "$libdir/libfacekit.a" \
  $(pkg-config --libs --static facekit | sed 's/-lfacekit//')
"$prefix/app_static" >/dev/null
echo "PASS: install layout, pkg-config build (shared and static)"
[ -n "$models" ] || exit 77
