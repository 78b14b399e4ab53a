/* fuzz_train_model.c: libFuzzer target for the trained-model file (FKTN): as given, and with its SHA-256 made right so the fields behind it are reached. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "facekit/train.h"
#include "train/trainer_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.fktn"

static void parse(const uint8_t *p, size_t n)
{
    for (int want_ck = 0; want_ck < 2; want_ck++) {
        fk_tnet *net = NULL;
        char *base = NULL;
        float thr = 0;
        fk__train_ckpt ck;
        fk_error err = {0};
        fk_status st = fk__train_parse(p, n, NAME, &net, &base, &thr, want_ck ? &ck : NULL, &err);
        if (st != FK_OK) {
            /* refused with a one-line message naming the file, and nothing handed out */
            if (net || base || !strstr(err.message, NAME) || strchr(err.message, '\n'))
                abort();
            continue;
        }
        /* what was accepted runs */
        int h, w, c;
        size_t in = (size_t)fk_tnet_input(net, &h, &w, &c);
        if (in <= 4096 && fk_tnet_param_count(net) <= 100000) {
            float *x = calloc(in * 2, sizeof *x);
            const float *y;
            if (!x || fk_tnet_forward(net, x, 2, 0, &y, &err) != FK_OK)
                abort();
            free(x);
        }
        if (want_ck)
            fk__train_ckpt_free(&ck);
        free(base);
        fk_tnet_free(net);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse(data, size);
    if (size < 4 || size > (1 << 20))
        return 0;
    uint8_t *fixed = malloc(size + 32);
    if (!fixed)
        return 0;
    memcpy(fixed, data, size);
    fk__sha256 s;
    fk__sha256_init(&s);
    fk__sha256_update(&s, fixed, size);
    fk__sha256_final(&s, fixed + size);
    parse(fixed, size + 32);
    free(fixed);
    return 0;
}
