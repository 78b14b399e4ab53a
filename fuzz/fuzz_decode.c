/* fuzz_decode.c: libFuzzer target for fk_image_decode (JPEG, PNG, PNM, WebP, GIF, TIFF, EXIF) under small limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small limits keep each input fast and still reach every code path (the seeds are at most 16x8).
 * With 4096 and 4M pixels, a 2 KB 1-bit PNG decoded to 12 MB in half a second, and once the
 * fuzzer had found such inputs it ran at a few hundred to a few thousand inputs a second. Long
 * thin images stay allowed: rotation and stride bugs show on those. */
enum { MAX_SIDE = 1024, MAX_PIXELS = 16 << 10 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fk_decode_options opt;
    memset(&opt, 0, sizeof opt);
    opt.limits.max_width = MAX_SIDE;
    opt.limits.max_height = MAX_SIDE;
    opt.limits.max_pixels = MAX_PIXELS;
    opt.limits.max_file_bytes = 1u << 20;

    fk_image *img = NULL;
    fk_error err;
    fk_status st = fk_image_decode(data, size, "fuzz", &opt, &img, &err);
    if (st == FK_OK) {
        /* the result must be a whole, readable image of the promised size */
        if (!img || img->width <= 0 || img->height <= 0 || img->width > MAX_SIDE || img->height > MAX_SIDE ||
            (uint64_t)img->width * (uint64_t)img->height > MAX_PIXELS || img->stride < (size_t)img->width * 3)
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
