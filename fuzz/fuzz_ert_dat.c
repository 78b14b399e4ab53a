/* fuzz_ert_dat.c: libFuzzer target for the dlib shape_predictor (.dat) loader, and the ERT cascade on whatever model loads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "face/ert/ert_model.h"
#include "facekit/landmarks.h"

/* The input is a whole .dat file, parsed from memory (no pin applies to the name). A model that
 * loads is run on a small gradient image with boxes inside, across and outside the image, so the
 * cascade's indexing is fuzzed along with the parser. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fk_ert *m = NULL;
    fk_error err;
    err.message[0] = 0;
    fk_status st = fk__ert_load_mem(data, size, "fuzz.dat", &m, &err);
    if (st != FK_OK) {
        if (m || !err.message[0] || !memchr(err.message, 0, sizeof err.message))
            abort(); /* a failure must leave no object and say why */
        return 0;
    }
    int n = fk_ert_num_parts(m);
    if (n <= 0)
        abort();
    enum { W = 48, H = 40 };
    static const fk_box boxes[] = {{4, 3, 30, 30}, {-20, -10, 40, 35}, {30.5, 20.25, 60, 50}, {1000, 1000, 5, 5}};
    uint8_t rgb[W * H * 3], gray[W * H];
    for (int i = 0; i < W * H; i++) {
        rgb[3 * i] = (uint8_t)(i * 7), rgb[3 * i + 1] = (uint8_t)(i * 13), rgb[3 * i + 2] = (uint8_t)(i >> 3);
        gray[i] = (uint8_t)(((unsigned)rgb[3 * i] + rgb[3 * i + 1] + rgb[3 * i + 2]) / 3);
    }
    fk_image img = {W, H, (size_t)W * 3, rgb};
    fk_point *a = malloc(sizeof *a * (size_t)n), *b = malloc(sizeof *b * (size_t)n);
    for (size_t k = 0; k < sizeof boxes / sizeof boxes[0] && a && b; k++) {
        if (fk_ert_predict(m, &img, boxes[k], a, &err) != FK_OK ||
            fk_ert_predict_gray(m, gray, W, H, W, boxes[k], b, &err) != FK_OK)
            abort();
        /* the gray entry point sees the same intensities: the same points (NaN-safe compare) */
        if (memcmp(a, b, sizeof *a * (size_t)n) != 0)
            abort();
    }
    free(a);
    free(b);
    fk_ert_free(m);
    return 0;
}
