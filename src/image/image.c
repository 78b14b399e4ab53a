/* image.c: the fk_image type: allocation, freeing and the validity check every operation applies to its inputs. */
#include <stdlib.h>

#include "core/checked.h"
#include "core/error.h"
#include "image/image_internal.h"

fk_status fk_image_new(int width, int height, fk_image **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_new: out is NULL");
    *out = NULL;
    if (width <= 0 || height <= 0)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_new: size %dx%d is not positive", width, height);

    size_t stride, bytes;
    if (!fk__mul_size((size_t)width, 3, &stride) || !fk__mul_size(stride, (size_t)height, &bytes))
        return fk__fail(err, FK_E_OVERFLOW, "fk_image_new: %dx%d RGB image does not fit in memory", width, height);

    fk_image *img = malloc(sizeof *img);
    if (!img)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory allocating an image header");
    /* calloc: the header promises zeroed pixels, and for big images the kernel's zero
     * pages make it no dearer than malloc */
    img->data = calloc(bytes, 1);
    if (!img->data) {
        free(img);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory allocating a %dx%d image (%zu bytes)", width, height,
                        bytes);
    }
    img->width = width;
    img->height = height;
    img->stride = stride;
    *out = img;
    return FK_OK;
}

void fk_image_free(fk_image *img)
{
    if (!img)
        return;
    free(img->data);
    free(img);
}

bool fk__image_valid(const fk_image *img)
{
    size_t row, total;
    return img && img->data && img->width > 0 && img->height > 0 &&
           fk__mul_size((size_t)img->width, 3, &row) && img->stride >= row &&
           fk__mul_size(img->stride, (size_t)(img->height - 1), &total) && fk__add_size(total, row, &total);
}
