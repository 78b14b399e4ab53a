/* fuzz_hog_dat.c: libFuzzer target for dlib's HOG object_detector (.dat) loader, and a scan with whatever detector loads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "face/hog/hog.h"

/* The input is a whole .dat file, parsed from memory (no pin applies to the name). A detector
 * that loads scans a small image at upsample 0 and 1, with a threshold lowered so that windows
 * fire and the sorting and suppression run too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fk__hog *m = NULL;
    fk_error err;
    err.message[0] = 0;
    fk_status st = fk__hog_load_mem(data, size, "fuzz.dat", &m, &err);
    if (st != FK_OK) {
        if (m || !err.message[0] || !memchr(err.message, 0, sizeof err.message))
            abort(); /* a failure must leave no object and say why */
        return 0;
    }
    if (m->num_filters < 1 || m->fw < 1 || m->fh < 1)
        abort();
    enum { W = 53, H = 41 };
    uint8_t rgb[W * H * 3];
    for (int i = 0; i < W * H; i++) {
        const int x = i % W, y = i / W;
        rgb[3 * i] = (uint8_t)(((x / 6) ^ (y / 5)) & 1 ? 220 : 30);
        rgb[3 * i + 1] = (uint8_t)(x * 7 + y * 3);
        rgb[3 * i + 2] = (uint8_t)(i >> 3);
    }
    fk_image img = {W, H, (size_t)W * 3, rgb};
    for (int up = 0; up <= 1; up++) {
        fk__hog_det *d = NULL;
        size_t n = 0;
        if (fk__hog_detect(m, &img, up, -1.0, &d, &n, &err) != FK_OK)
            abort();
        for (size_t i = 0; i < n; i++)
            if (d[i].weight_index < 0 || d[i].weight_index >= m->num_filters || d[i].right < d[i].left)
                abort();
        free(d);
    }
    fk__hog_free(m);
    return 0;
}
