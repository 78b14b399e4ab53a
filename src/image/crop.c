/* crop.c: a copy of a rectangle that lies inside the image. */
#include <string.h>

#include "core/error.h"
#include "image/image_internal.h"

fk_status fk_image_crop(const fk_image *src, int x, int y, int w, int h, fk_image **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "crop: out is NULL");
    *out = NULL;
    if (!fk__image_valid(src))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "crop: invalid source image");
    /* written so that nothing can overflow: x <= width - w instead of x + w <= width */
    if (w <= 0 || h <= 0 || x < 0 || y < 0 || w > src->width || h > src->height || x > src->width - w ||
        y > src->height - h)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "crop: region (%d, %d, %dx%d) is not inside the %dx%d image", x, y,
                        w, h, src->width, src->height);

    fk_image *dst = NULL;
    fk_status st = fk_image_new(w, h, &dst, err);
    if (st)
        return st;
    for (int r = 0; r < h; r++)
        memcpy(dst->data + (size_t)r * dst->stride, src->data + (size_t)(y + r) * src->stride + (size_t)x * 3,
               (size_t)w * 3);
    *out = dst;
    return FK_OK;
}
