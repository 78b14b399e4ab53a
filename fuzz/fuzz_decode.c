/* fuzz_decode.c: libFuzzer target for fk_image_decode (JPEG, PNG, PNM, EXIF) under small limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* small limits keep each input fast; they still reach every code path */
    fk_decode_options opt;
    memset(&opt, 0, sizeof opt);
    opt.limits.max_width = 4096;
    opt.limits.max_height = 4096;
    opt.limits.max_pixels = 4u << 20;
    opt.limits.max_file_bytes = 1u << 20;

    fk_image *img = NULL;
    fk_error err;
    fk_status st = fk_image_decode(data, size, "fuzz", &opt, &img, &err);
    if (st == FK_OK) {
        /* the result must be a whole, readable image of the promised size */
        if (!img || img->width <= 0 || img->height <= 0 || img->width > 4096 || img->height > 4096 ||
            img->stride < (size_t)img->width * 3)
            abort();
        unsigned sum = 0;
        for (int y = 0; y < img->height; y++)
            for (int x = 0; x < img->width * 3; x++)
                sum += img->data[(size_t)y * img->stride + x];
        (void)sum;
        fk_image_free(img);
    } else {
        /* failures leave nothing behind and always explain themselves on one line */
        if (img || err.status != st || err.message[0] == '\0' || strchr(err.message, '\n'))
            abort();
    }
    return 0;
}
