/* chip.c: a CNN's input: dlib's aligned chip of a face at the net's size, as floats in [-1, 1] (what training and every verb with a trained embedder feed the net). */
#include "facekit/align.h"
#include "facekit/train.h"

#include "core/error.h"

fk_status fk_train_chip(const fk_image *img, const fk_point *p, int np, int size, float *out, fk_error *err)
{
    if (!img || !p || !out || (np != 68 && np != 5))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_train_chip: needs an image and 68 or 5 landmarks");
    fk_image *chip = NULL;
    fk_status st = np == 68 ? fk_align_dlib_chip(img, p, size, 0.25, &chip, NULL, err)
                            : fk_align_dlib_chip5(img, p, size, 0.25, &chip, NULL, err);
    if (st != FK_OK)
        return st;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size * 3; x++)
            out[(size_t)y * size * 3 + x] = chip->data[(size_t)y * chip->stride + x] / 127.5f - 1;
    fk_image_free(chip);
    return FK_OK;
}
