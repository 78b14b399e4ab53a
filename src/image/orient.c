/* orient.c: turns an image stored with an EXIF orientation (1..8) into an upright copy. */
#include <stddef.h>
#include <string.h>

#include "core/error.h"
#include "image/image_internal.h"

/* Each orientation is an affine map from destination to source pixel, written as the
 * byte offset of the source pixel for destination (0, 0) and the change of that offset
 * per destination step in x and in y. The maps follow the EXIF definitions (the same as
 * PIL's ImageOps.exif_transpose): 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
 * 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 anticlockwise. */
fk_status fk__image_orient(const fk_image *src, int orientation, fk_image **out, fk_error *err)
{
    *out = NULL;
    if (!fk__image_valid(src))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "orient: invalid source image");
    if (orientation < 1 || orientation > 8)
        orientation = 1;

    int swap = orientation >= 5;
    int w = src->width, h = src->height;
    fk_image *dst = NULL;
    fk_status st = fk_image_new(swap ? h : w, swap ? w : h, &dst, err);
    if (st)
        return st;

    const ptrdiff_t px = 3, row = (ptrdiff_t)src->stride;
    const ptrdiff_t last_x = (ptrdiff_t)(w - 1) * px, last_y = (ptrdiff_t)(h - 1) * row;
    ptrdiff_t base = 0, step_x = px, step_y = row;
    switch (orientation) {
    case 2: base = last_x;          step_x = -px;  step_y = row;  break;
    case 3: base = last_x + last_y; step_x = -px;  step_y = -row; break;
    case 4: base = last_y;          step_x = px;   step_y = -row; break;
    case 5: base = 0;               step_x = row;  step_y = px;   break;
    case 6: base = last_y;          step_x = -row; step_y = px;   break;
    case 7: base = last_x + last_y; step_x = -row; step_y = -px;  break;
    case 8: base = last_x;          step_x = row;  step_y = -px;  break;
    default: break;
    }

    for (int y = 0; y < dst->height; y++) {
        /* offsets, not stepped pointers: the step past the last pixel may point outside */
        ptrdiff_t off = base + step_y * y;
        uint8_t *d = dst->data + (size_t)y * dst->stride;
        if (step_x == px) {
            memcpy(d, src->data + off, (size_t)dst->width * 3);
            continue;
        }
        for (int x = 0; x < dst->width; x++, off += step_x, d += 3) {
            const uint8_t *s = src->data + off;
            d[0] = s[0];
            d[1] = s[1];
            d[2] = s[2];
        }
    }
    *out = dst;
    return FK_OK;
}
