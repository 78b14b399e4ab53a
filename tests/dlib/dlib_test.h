/* dlib_test.h: what the tests of dlib's DNN models share: where the models and oracle files are, and FNV-1a hashes of pixels and tensors. */
#ifndef FK_TEST_DLIB_TEST_H
#define FK_TEST_DLIB_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

/* dlib's model file `file` under $FACEKIT_DLIB_MODELS, else beside the face-api models
 * (FACEKIT_MODELS or the build's default, .../face-api -> .../dlib), else the source tree's
 * models/dlib; NULL when it is in none of them (the caller skips). */
static inline const char *dlib_test_model(const char *file)
{
    static char buf[4096];
    struct stat st;
    const char *env = getenv("FACEKIT_DLIB_MODELS");
    if (env && *env) {
        snprintf(buf, sizeof buf, "%s/%s", env, file);
        return stat(buf, &st) == 0 ? buf : NULL;
    }
    const char *fa = getenv("FACEKIT_MODELS");
    if (!fa || !*fa)
        fa = getenv("FK_TEST_MODELS_DEFAULT");
    if (fa && *fa) {
        snprintf(buf, sizeof buf, "%s/../dlib/%s", fa, file);
        if (stat(buf, &st) == 0)
            return buf;
    }
    const char *src = getenv("FK_TEST_SRC");
    snprintf(buf, sizeof buf, "%s/models/dlib/%s", src ? src : ".", file);
    return stat(buf, &st) == 0 ? buf : NULL;
}

/* A file of the source tree (the oracle outputs under tests/dlib/data). */
static inline const char *dlib_test_src(const char *rel, char *buf, size_t n)
{
    const char *src = getenv("FK_TEST_SRC");
    snprintf(buf, n, "%s/%s", src ? src : ".", rel);
    return buf;
}

#define DLIB_FNV0 14695981039346656037ull

static inline uint64_t dlib_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

#endif
