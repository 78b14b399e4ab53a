/* test_jitter.c: dlib's jitter_image and dlib::rand in C against dlib 19.24's own jittered chips (jitter_oracle.txt), byte for byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/align_internal.h"
#include "face/jitter.h"
#include "facekit/image.h"
#include "harness.h"

static uint64_t fnv(const float *px, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)px[i]) * 1099511628211ull;
    return h;
}

int main(void)
{
    /* the generator: mt19937's 10000th output from the default seed is 4123659995 (C++11's check
     * value); dlib primes with 10000 draws, so its first number is the 10001st */
    fk__dlib_rand r;
    fk__dlib_rand_init(&r, 0);
    for (int i = 0; i < 5; i++) {
        double d = fk__dlib_rand_double(&r);
        CHECK(d >= 0 && d < 1);
    }
    {
        fk__dlib_rand m;
        memset(&m, 0, sizeof m);
        m.mt[0] = 5489u;
        for (int i = 1; i < 624; i++)
            m.mt[i] = 1812433253u * (m.mt[i - 1] ^ (m.mt[i - 1] >> 30)) + (uint32_t)i;
        m.index = 624;
        uint32_t v = 0;
        for (int i = 0; i < 10000; i++)
            v = fk__dlib_rand_u32(&m);
        CHECK_MSG(v == 4123659995u, "mt19937's 10000th number is %u", v);
    }

    const char *shared = fk_test_shared_dir();
    if (!shared)
        return fk_test_skip("test_jitter", "no ../shared (demo photos) folder");
    const char *src = getenv("FK_TEST_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/align/jitter_oracle.txt", src ? src : ".");
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f)
        return fk_test_finish("test_jitter");
    char line[512];
    fk_point p5[5];
    unsigned long long chip_want = 0, jit[8];
    int njit = 0, have_pts = 0;
    while (fgets(line, sizeof line, f)) {
        int k;
        unsigned long long h;
        long v[10];
        if (sscanf(line, "points %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6], &v[7], &v[8], &v[9]) == 10) {
            for (int i = 0; i < 5; i++)
                p5[i] = (fk_point){(double)v[2 * i], (double)v[2 * i + 1]};
            have_pts = 1;
        } else if (sscanf(line, "chip %llx", &h) == 1) {
            chip_want = h;
        } else if (sscanf(line, "jitter %d %llx", &k, &h) == 2 && k == njit && njit < 8) {
            jit[njit++] = h;
        }
    }
    fclose(f);
    CHECK(have_pts && chip_want && njit == 8);

    snprintf(path, sizeof path, "%s/data/faceapi-demo/sample1.jpg", shared);
    fk_error err = {0};
    fk_image *img = NULL;
    CHECK_OK(fk_image_load(path, NULL, &img, &err));
    fk__chip c;
    CHECK_OK(fk__dlib_chip_n(p5, 5, 150, 0.25, &c, &err));
    static float px[150 * 150 * 3];
    CHECK_OK(fk__chip_sample(img, &c, px));
    CHECK_MSG(fnv(px, sizeof px / sizeof px[0]) == chip_want, "the chip differs from dlib's");
    fk_image *chip = NULL;
    CHECK_OK(fk_image_new(150, 150, &chip, &err));
    for (int y = 0; y < 150; y++)
        for (int x = 0; x < 150 * 3; x++)
            chip->data[(size_t)y * chip->stride + (size_t)x] = (uint8_t)px[(size_t)y * 450 + (size_t)x];
    fk__dlib_rand_init(&r, 0);
    int same = 0;
    for (int i = 0; i < 8; i++) {
        static float out[150 * 150 * 3];
        CHECK_OK(fk__jitter_chip(chip, &r, out));
        uint64_t h = fnv(out, sizeof out / sizeof out[0]);
        same += h == jit[i];
        if (h != jit[i])
            printf("  jitter %d: %016llx, dlib %016llx\n", i, (unsigned long long)h, jit[i]);
    }
    printf("jitter: %d/8 copies identical to dlib's\n", same);
    CHECK(same == 8);
    fk_image_free(chip);
    fk_image_free(img);
    return fk_test_finish("test_jitter");
}
