/* mmod_parity.h: the MMOD parity run shared by the demo-photo and AFW tests: dlib 19.24's upsampled image and tiled pyramid bit for bit, the same rectangles, scores within 1e-4. */
#ifndef FK_TEST_MMOD_PARITY_H
#define FK_TEST_MMOD_PARITY_H
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pool.h"
#include "dlib_test.h"
#include "face/dlib/dlib_nets.h"
#include "facekit/image.h"

/* tests/dlib/data/mmod_dets.txt holds, per photo and upsample count, what
 * tests/dlib/make_dlib_oracle.cpp printed: the sizes, an FNV-1a hash of dlib's pyramid_up image
 * and of its input tensor (the tiled pyramid, in dlib's channel-row-column order), the tiling's
 * rectangles, and the detections with their scores. Rectangles must be identical; scores:
 * measured max |ours - dlib| 9.5e-7 on the demo photos and 6.7e-7 on AFW (scores run 0..1.2),
 * bound 1e-4 as the task asks (the kernels' order of sums is not dlib's GEMM's).
 * Under the sanitizers each test runs three photos without upsampling (a photo at upsample 1
 * takes minutes there). Each test takes about 60 s in the release build on this machine
 * (2 cores shared with other work, 1 thread). */
#define SCORE_TOL 1e-4

typedef struct block {
    char name[64];
    int up, w, h, uw, uh;
    uint64_t up_hash, tensor_hash;
    long nr, nc;
    int n_levels;
    fk__dlib_rect levels[FK__DLIB_MAX_LEVELS];
    int n_dets;
    fk__mmod_rect dets[64];
} block;

static int read_blocks(block *b, int cap)
{
    char path[4096], line[512];
    FILE *f = fopen(dlib_test_src("tests/dlib/data/mmod_dets.txt", path, sizeof path), "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f)
        return 0;
    int n = -1;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (strncmp(line, "image ", 6) == 0) {
            if (n + 1 == cap)
                break;
            block *k = &b[++n];
            memset(k, 0, sizeof *k);
            unsigned long long uh, th;
            int nd;
            if (sscanf(line, "image %63s %d %d %d %d %d %llx %ld %ld %llx %d", k->name, &k->up, &k->w, &k->h, &k->uw,
                       &k->uh, &uh, &k->nr, &k->nc, &th, &nd) != 11) {
                CHECK_MSG(0, "bad line %s", line);
                n--;
                continue;
            }
            k->up_hash = uh;
            k->tensor_hash = th;
        } else if (n >= 0 && strncmp(line, "level ", 6) == 0 && b[n].n_levels < FK__DLIB_MAX_LEVELS) {
            fk__dlib_rect *r = &b[n].levels[b[n].n_levels++];
            CHECK(sscanf(line, "level %ld %ld %ld %ld", &r->left, &r->top, &r->right, &r->bottom) == 4);
        } else if (n >= 0 && strncmp(line, "det ", 4) == 0 && b[n].n_dets < 64) {
            fk__mmod_rect *d = &b[n].dets[b[n].n_dets++];
            CHECK(sscanf(line, "det %ld %ld %ld %ld %lf", &d->left, &d->top, &d->right, &d->bottom, &d->score) == 5);
        }
    }
    fclose(f);
    return n + 1;
}

/* The photo when it lies in folder, else NULL (it belongs to the other test). */
static fk_image *load_photo(const char *shared, const char *folder, const char *name)
{
    char path[4096];
    fk_decode_options o = {.ignore_orientation = 1}; /* dlib::load_image does not turn images */
    if (snprintf(path, sizeof path, "%s/data/%s/%s.jpg", shared, folder, name) >= (int)sizeof path)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fclose(f);
    fk_image *img = NULL;
    fk_error err;
    CHECK_MSG(fk_image_load(path, &o, &img, &err) == FK_OK, "%s", err.message);
    return img;
}

static int same_dets(const fk__mmod_rect *a, size_t na, const fk__mmod_rect *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static uint64_t image_hash(const fk_image *img)
{
    uint64_t h = DLIB_FNV0;
    for (int y = 0; y < img->height; y++)
        h = dlib_fnv(h, img->data + (size_t)y * img->stride, (size_t)img->width * 3);
    return h;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The tiled pyramid as dlib's tensor holds it: channel planes, rows, columns. */
static uint64_t tensor_hash(const float *t, long nr, long nc)
{
    uint64_t h = DLIB_FNV0;
    float *row = malloc(sizeof(float) * (size_t)nc);
    if (!row)
        return 0;
    for (int c = 0; c < 3; c++)
        for (long y = 0; y < nr; y++) {
            for (long x = 0; x < nc; x++)
                row[x] = t[((size_t)y * (size_t)nc + (size_t)x) * 3 + (size_t)c];
            h = dlib_fnv(h, row, sizeof(float) * (size_t)nc);
        }
    free(row);
    return h;
}

/* Upsampling and tiling against dlib's, and the tiled pyramid too when `tensor` is set (it
 * costs a whole tiled image, 430 MB for a demo photo at upsample 1). */
static void check_input(const block *b, const fk_image *img, const float avg[3], int tensor)
{
    fk_image *up = NULL;
    const fk_image *src = img;
    fk_error err;
    for (int i = 0; i < b->up; i++) {
        fk_image *next = NULL;
        CHECK_MSG(fk__dlib_pyramid_up(src, &next, &err) == FK_OK, "%s", err.message);
        fk_image_free(up);
        up = next;
        src = up;
        if (!src)
            return;
    }
    CHECK_MSG(src->width == b->uw && src->height == b->uh, "%s up %d: upsampled to %dx%d, dlib %dx%d", b->name, b->up,
              src->width, src->height, b->uw, b->uh);
    CHECK_MSG(image_hash(src) == b->up_hash, "%s up %d: the upsampled image differs from dlib's", b->name, b->up);
    fk__dlib_tiling *t = malloc(sizeof *t);
    if (t && fk__dlib_tiling_compute(src->height, src->width, 6, 10, 11, t, &err) == FK_OK) {
        int same = t->nr == b->nr && t->nc == b->nc && t->n_levels == b->n_levels;
        for (int i = 0; same && i < t->n_levels; i++)
            same = memcmp(&t->levels[i], &b->levels[i], sizeof t->levels[i]) == 0;
        CHECK_MSG(same, "%s up %d: the tiling (%ldx%ld, %d levels) differs from dlib's (%ldx%ld, %d levels)", b->name,
                  b->up, t->nc, t->nr, t->n_levels, b->nc, b->nr, b->n_levels);
        float *tiled = tensor ? malloc((size_t)t->nr * (size_t)t->nc * 3 * sizeof(float)) : NULL;
        CHECK(tiled != NULL || !tensor);
        if (tiled && same && tensor) {
            CHECK_OK(fk__dlib_tiled_pyramid(src, t, avg, tiled, &err));
            CHECK_MSG(tensor_hash(tiled, t->nr, t->nc) == b->tensor_hash,
                      "%s up %d: the tiled pyramid differs from dlib's input tensor", b->name, b->up);
        }
        free(tiled);
    }
    free(t);
    fk_image_free(up);
}

/* The oracle's photos found under `folder` (a folder of ../shared/data); the first of them is
 * also run in small bands and on two threads, which must give the very same detections. */
static int mmod_parity_run(const char *test, const char *folder)
{
    const char *shared = fk_test_shared_dir();
    if (!shared)
        return fk_test_skip(test, "no ../shared (data) folder");
    const char *model = dlib_test_model("mmod_human_face_detector.dat");
    if (!model)
        return fk_test_skip(test, "no models/dlib/mmod_human_face_detector.dat (make models)");
    static block blocks[80];
    int n = read_blocks(blocks, 80);
    CHECK(n > 0);
    fk__mmod *m = NULL;
    fk_error err;
    fk_status st = fk__mmod_load(model, &m, &err);
    CHECK_MSG(st == FK_OK, "%s", err.message);
    if (st != FK_OK)
        return fk_test_finish(test);
    const float avg[3] = {122.782f, 117.001f, 104.298f};
    int photos = 0, same_rects = 0, dets = 0, upsampled = 0;
    double worst = 0, ms[5] = {0};
    int runs[5] = {0};
    for (int i = 0; i < n; i++) {
        const block *b = &blocks[i];
#if defined(__SANITIZE_ADDRESS__)
        if (b->up != 0 || photos == 3)
            continue;
#endif
        fk_image *img = load_photo(shared, folder, b->name);
        if (!img)
            continue;
        CHECK_MSG(img->width == b->w && img->height == b->h, "%s: %dx%d, dlib read %dx%d", b->name, img->width,
                  img->height, b->w, b->h);
        /* the tiled pyramid at every photo without upsampling and the first one with */
        check_input(b, img, avg, b->up == 0 || !upsampled++);
        fk__mmod_rect *d = NULL;
        size_t nd = 0;
        double t0 = now_ms();
        st = fk__mmod_detect(m, img, b->up, NULL, &d, &nd, &err);
        double t = now_ms() - t0;
        CHECK_MSG(st == FK_OK, "%s: %s", b->name, err.message);
        photos++;
        if (b->up < 5) {
            ms[b->up] += t;
            runs[b->up]++;
        }
        int same = (int)nd == b->n_dets;
        for (size_t k = 0; same && k < nd; k++)
            same = d[k].left == b->dets[k].left && d[k].top == b->dets[k].top && d[k].right == b->dets[k].right &&
                   d[k].bottom == b->dets[k].bottom;
        if (!same) {
            printf("%s up %d: %zu detections, dlib %d:\n", b->name, b->up, nd, b->n_dets);
            for (size_t k = 0; k < nd; k++)
                printf("  ours %ld %ld %ld %ld %.7f\n", d[k].left, d[k].top, d[k].right, d[k].bottom, d[k].score);
            for (int k = 0; k < b->n_dets; k++)
                printf("  dlib %ld %ld %ld %ld %.7f\n", b->dets[k].left, b->dets[k].top, b->dets[k].right,
                       b->dets[k].bottom, b->dets[k].score);
        } else {
            for (size_t k = 0; k < nd; k++)
                worst = fk_test_max(worst, fabs(d[k].score - b->dets[k].score));
            same_rects++;
            dets += (int)nd;
        }
        if (photos == 1) {
            /* bands of a few rows and two threads: the same bits */
            fk__mmod_rect *d2 = NULL, *d3 = NULL;
            size_t n2 = 0, n3 = 0;
            fk__mmod_run small = {.band_bytes = (size_t)16 << 20};
            CHECK_OK(fk__mmod_detect(m, img, b->up, &small, &d2, &n2, &err));
            fk__pool *pool = NULL;
            if (fk__pool_new(2, &pool, &err) == FK_OK) {
                fk__mmod_run two = {.pool = pool};
                CHECK_OK(fk__mmod_detect(m, img, b->up, &two, &d3, &n3, &err));
                fk__pool_free(pool);
            }
            CHECK_MSG(same_dets(d, nd, d2, n2), "%s: small bands change the detections", b->name);
            CHECK_MSG(same_dets(d, nd, d3, n3), "%s: two threads change the detections", b->name);
            free(d2);
            free(d3);
        }
        free(d);
        fk_image_free(img);
    }
    printf("mmod: %d of %d photo runs with dlib's rectangles (%d faces), max |score - dlib's| %.3g (bound %.0e)\n",
           same_rects, photos, dets, worst, SCORE_TOL);
    for (int u = 0; u < 5; u++)
        if (runs[u])
            printf("  upsample %d: %.0f ms per photo (%d photos, one thread)\n", u, ms[u] / runs[u], runs[u]);
    CHECK(photos > 0);
    CHECK(same_rects == photos);
    CHECK(worst <= SCORE_TOL);
    fk__mmod_free(m);
    return fk_test_finish(test);
}

#endif
