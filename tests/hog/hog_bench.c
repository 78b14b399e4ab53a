/* hog_bench.c: times the HOG detector (fk__hog_detect, one thread) per image, for comparison with dlib's own (not a ctest test). */
//
//   cmake --build build --target facekit_static
//   cc -O2 -std=c11 -Isrc -Iinclude -Ibuild/generated tests/hog/hog_bench.c build/libfacekit.a \
//      $(pkg-config --libs libjpeg libpng libcjson openblas libwebp libwebpdemux libtiff-4) -lgif -lm -lpthread \
//      -o hog_bench
//   ./hog_bench [--upsample N] [--runs N] [--kernels auto|reference|avx2] MODEL.dat IMAGE...
//
// Per image: the median and the minimum wall time of `runs` detections after one warm-up, and
// the minimum CPU time (on a shared machine the CPU time is the steadier figure). Decoding is not
// timed; the upsampling is (as in dlib python's detector(img, upsample) and fr_dlib --bench).
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "face/hog/hog.h"
#include "facekit/image.h"

static double now_ms(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int up = 1, runs = 5, a = 1;
    fk__hog_kernels kernels = FK__HOG_KERNELS_AUTO;
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--upsample") == 0 && a + 1 < argc)
            up = atoi(argv[++a]);
        else if (strcmp(argv[a], "--runs") == 0 && a + 1 < argc)
            runs = atoi(argv[++a]);
        else if (strcmp(argv[a], "--kernels") == 0 && a + 1 < argc) {
            const char *k = argv[++a];
            kernels = strcmp(k, "reference") == 0 ? FK__HOG_KERNELS_REFERENCE
                      : strcmp(k, "avx2") == 0    ? FK__HOG_KERNELS_AVX2
                                                  : FK__HOG_KERNELS_AUTO;
        } else {
            fprintf(stderr, "unknown option %s\n", argv[a]);
            return 2;
        }
    }
    if (argc - a < 2 || runs < 1 || runs > 1000) {
        fprintf(stderr,
                "usage: hog_bench [--upsample N] [--runs N] [--kernels auto|reference|avx2] MODEL.dat IMAGE...\n");
        return 2;
    }
    fk_error err;
    fk__hog *m = NULL;
    if (fk__hog_load(argv[a], &m, &err) != FK_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    /* one context for all runs, as a program scanning many photos keeps one (and dlib's detector
     * keeps its feature pyramid) */
    fk__hog_ctx *ctx = NULL;
    if (fk__hog_ctx_new(&ctx, &err) != FK_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double *wall = malloc(sizeof(double) * (size_t)runs);
    for (int i = a + 1; i < argc && wall; i++) {
        fk_image *img = NULL;
        if (fk_image_load(argv[i], NULL, &img, &err) != FK_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double cpu_min = 1e300;
        size_t n = 0;
        for (int r = -1; r < runs; r++) {
            fk__hog_det *d = NULL;
            const double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
            if (fk__hog_detect_ctx(ctx, m, img, up, 0.0, kernels, &d, &n, &err) != FK_OK) {
                fprintf(stderr, "%s\n", err.message);
                return 1;
            }
            const double c = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0, w = now_ms(CLOCK_MONOTONIC) - w0;
            free(d);
            if (r < 0)
                continue; /* warm-up */
            wall[r] = w;
            if (c < cpu_min)
                cpu_min = c;
        }
        qsort(wall, (size_t)runs, sizeof *wall, cmp_double);
        const char *name = strrchr(argv[i], '/');
        printf("%s %dx%d upsample %d: %zu faces, wall median %.1f ms, min %.1f ms; cpu min %.1f ms (%d runs)\n",
               name ? name + 1 : argv[i], img->width, img->height, up, n, wall[runs / 2], wall[0], cpu_min, runs);
        fk_image_free(img);
    }
    free(wall);
    fk__hog_ctx_free(ctx);
    fk__hog_free(m);
    return 0;
}
