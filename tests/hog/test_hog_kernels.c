/* test_hog_kernels.c: the HOG scan's AVX2 kernels (resize, fhog, filter responses, whole scans) against the plain C, bit for bit, on odd sizes and other filter shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/hog/hog.h"
#include "facekit/image.h"
#include "harness.h"
#include "hog_writer.h"

/* Detection lists equal field by field (the struct has padding), scores bit for bit. */
static int same_dets(const fk__hog_det *a, size_t na, const fk__hog_det *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].left != b[i].left || a[i].top != b[i].top || a[i].right != b[i].right || a[i].bottom != b[i].bottom ||
            a[i].weight_index != b[i].weight_index || memcmp(&a[i].score, &b[i].score, sizeof a[i].score) != 0)
            return 0;
    return 1;
}

/* An RGB8 image of w x h with row stride (w * 3 + pad) and not a byte more (the kernels read
 * nothing past the last pixel; the sanitizer build checks it). kind 0: noise, 1: smooth ramps,
 * 2: one colour, 3: blocks with hard edges. */
static uint8_t *make_rgb(int w, int h, int pad, int kind, unsigned *seed, size_t *stride)
{
    *stride = (size_t)w * 3 + (size_t)pad;
    const size_t bytes = *stride * (size_t)(h > 0 ? h - 1 : 0) + (size_t)w * 3;
    uint8_t *p = malloc(bytes ? bytes : 1);
    if (!p)
        return NULL;
    memset(p, 0xA5, bytes);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                int v;
                if (kind == 0)
                    v = (int)((fk_test_randf(seed) + 1) * 127.9f);
                else if (kind == 1)
                    v = (x * (c + 1) * 3 + y * (3 - c) * 2) & 255;
                else if (kind == 2)
                    v = 90 + 40 * c;
                else
                    v = (((x / 7) ^ (y / 5)) & 1) ? 200 - 30 * c : 20 + 25 * c;
                p[(size_t)y * *stride + (size_t)x * 3 + (size_t)c] = (uint8_t)v;
            }
    return p;
}

/* w x h of interleaved RGB as three colour planes, each row with 32 bytes of room after it (as the
 * fast kernels require of planar rows); NULL when out of memory. */
static uint8_t *to_planar(const uint8_t *in, int w, int h, size_t istride, size_t *stride, size_t *plane)
{
    *stride = (size_t)w + 32;
    *plane = *stride * (size_t)h;
    const size_t bytes = 3 * *plane;
    uint8_t *p = malloc(bytes ? bytes : 1);
    if (!p)
        return NULL;
    memset(p, 0x5A, 3 * *plane);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                p[(size_t)c * *plane + (size_t)y * *stride + (size_t)x] = in[(size_t)y * istride + (size_t)x * 3 + (size_t)c];
    return p;
}

/* A planar image equal to an interleaved one, pixel by pixel. */
static int same_planar(const uint8_t *ref, int w, int h, size_t rstride, const uint8_t *p, size_t stride, size_t plane)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                if (p[(size_t)c * plane + (size_t)y * stride + (size_t)x] !=
                    ref[(size_t)y * rstride + (size_t)x * 3 + (size_t)c])
                    return 0;
    return 1;
}

/* The resize into colour planes (from interleaved rows and from planes), both kernels, against
 * the plain C's interleaved result a (ow x oh, row stride os). */
static int resize_planar_case(const uint8_t *in, int iw, int ih, size_t is, const uint8_t *a, int ow, int oh, size_t os)
{
    size_t ps, pp, qs = (size_t)ow + 32, qp = qs * (size_t)oh;
    uint8_t *pin = to_planar(in, iw, ih, is, &ps, &pp);
    const size_t qbytes = 3 * qp;
    uint8_t *out = malloc(qbytes ? qbytes : 1);
    int ok = pin && out;
    for (int k = 0; k < 4 && ok; k++) {
        memset(out, 0x77, 3 * qp);
        const uint8_t *src = k & 1 ? pin : in;
        const size_t ss = k & 1 ? ps : is, sp = k & 1 ? pp : 0;
        if (k & 2)
            fk__hog_resize_avx2(src, iw, ih, ss, sp, out, ow, oh, qs, qp);
        else
            fk__hog_resize_ref(src, iw, ih, ss, sp, out, ow, oh, qs, qp);
        ok = same_planar(a, ow, oh, os, out, qs, qp);
        CHECK_MSG(ok, "resize %dx%d -> %dx%d into planes (%s input, %s kernel) differs", iw, ih, ow, oh,
                  k & 1 ? "planar" : "interleaved", k & 2 ? "AVX2" : "plain");
    }
    free(pin);
    free(out);
    return ok;
}

static void test_resize(void)
{
    static const int sizes[][4] = {{1, 1, 1, 1},         {1, 1, 4, 3},       {2, 3, 6, 7},      {7, 5, 5, 4},
                                   {13, 11, 10, 9},      {37, 23, 30, 19},   {101, 67, 84, 55}, {640, 479, 533, 399},
                                   {250, 190, 502, 381}, {100, 100, 37, 91}, {9, 300, 7, 250},  {300, 9, 250, 7},
                                   {5, 5, 12, 11},       {63, 1, 52, 1},     {1, 40, 4, 81}};
    unsigned seed = 7;
    int cases = 0, same = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int kind = 0; kind < 4; kind++) {
            const int iw = sizes[i][0], ih = sizes[i][1], ow = sizes[i][2], oh = sizes[i][3];
            size_t is;
            uint8_t *in = make_rgb(iw, ih, (int)(i % 3) * 5, kind, &seed, &is);
            const size_t os = (size_t)ow * 3 + 7, ob = os * (size_t)(oh - 1) + (size_t)ow * 3;
            uint8_t *a = calloc(ob, 1), *b = calloc(ob, 1);
            if (!in || !a || !b) {
                CHECK(0);
            } else {
                fk__hog_resize_ref(in, iw, ih, is, 0, a, ow, oh, os, 0);
                fk__hog_resize_avx2(in, iw, ih, is, 0, b, ow, oh, os, 0);
                int ok = 1;
                for (int y = 0; y < oh; y++)
                    ok &= memcmp(a + (size_t)y * os, b + (size_t)y * os, (size_t)ow * 3) == 0;
                CHECK_MSG(ok, "resize %dx%d -> %dx%d (kind %d) differs", iw, ih, ow, oh, kind);
                ok &= resize_planar_case(in, iw, ih, is, a, ow, oh, os);
                cases++;
                same += ok;
            }
            free(in);
            free(a);
            free(b);
        }
    /* every width from 1 to 160, down by pyramid_down<6> and up by pyramid_up (the last columns
     * number 1 to 4, the lanes end anywhere), on a few rows */
    for (int iw = 1; iw <= 160; iw++)
        for (int dir = 0; dir < 2; dir++) {
            const int ih = 3 + iw % 4, ow = dir ? 2 * iw + 2 : (5 * iw) / 6 > 0 ? (5 * iw) / 6 : 1,
                      oh = dir ? 2 * ih + 1 : (5 * ih) / 6;
            size_t is;
            uint8_t *in = make_rgb(iw, ih, 0, iw % 4, &seed, &is);
            const size_t os = (size_t)ow * 3, ob = os * (size_t)oh;
            uint8_t *a = calloc(ob, 1), *b = calloc(ob, 1);
            if (!in || !a || !b) {
                CHECK(0);
            } else {
                fk__hog_resize_ref(in, iw, ih, is, 0, a, ow, oh, os, 0);
                fk__hog_resize_avx2(in, iw, ih, is, 0, b, ow, oh, os, 0);
                int ok = memcmp(a, b, ob) == 0;
                CHECK_MSG(ok, "resize %dx%d -> %dx%d differs", iw, ih, ow, oh);
                ok &= resize_planar_case(in, iw, ih, is, a, ow, oh, os);
                cases++;
                same += ok;
            }
            free(in);
            free(a);
            free(b);
        }
    printf("resize: %d of %d cases bit-identical\n", same, cases);
}

/* fhog of one image with both kernels: every element of every plane (the whole stride) equal. */
static int fhog_case(const uint8_t *img, int w, int h, size_t stride, int cell, int fh, int fw)
{
    fk__hog_fmap a, b;
    fk__hog_fmap_size(w, h, cell, fh, fw, &a.rows, &a.cols);
    b.rows = a.rows, b.cols = a.cols;
    a.stride = b.stride = ((size_t)a.cols + 15) / 16 * 16 + 16;
    a.plane = b.plane = a.stride * (size_t)a.rows + 8;
    const size_t n = a.plane * FK__HOG_PLANES;
    a.data = malloc(sizeof(float) * (n ? n : 1));
    b.data = malloc(sizeof(float) * (n ? n : 1));
    float *scr = malloc(sizeof(float) * fk__hog_fhog_scratch(w, h, cell));
    int ok = a.data && b.data && scr;
    if (ok) {
        /* different garbage before, so an element one kernel forgets shows */
        memset(a.data, 0x11, sizeof(float) * (n ? n : 1));
        memset(b.data, 0x22, sizeof(float) * (n ? n : 1));
        fk__hog_fhog_ref(img, w, h, stride, 0, cell, fh, fw, &a, scr, NULL);
        /* the fast kernel on interleaved rows, then both kernels on the same image as planes */
        size_t ps = 0, pp = 0;
        uint8_t *planar = to_planar(img, w, h, stride, &ps, &pp);
        ok = planar != NULL;
        for (int k = 0; k < 3 && ok; k++) {
            memset(b.data, 0x22 + k, sizeof(float) * (n ? n : 1));
            if (k == 0)
                fk__hog_fhog_avx2(img, w, h, stride, 0, cell, fh, fw, &b, scr, fk__hog_olut());
            else if (k == 1)
                fk__hog_fhog_avx2(planar, w, h, ps, pp, cell, fh, fw, &b, scr, fk__hog_olut());
            else
                fk__hog_fhog_ref(planar, w, h, ps, pp, cell, fh, fw, &b, scr, NULL);
            for (int p = 0; p < FK__HOG_PLANES && ok; p++)
                for (int r = 0; r < a.rows && ok; r++)
                    ok = memcmp(a.data + (size_t)p * a.plane + (size_t)r * a.stride,
                                b.data + (size_t)p * b.plane + (size_t)r * b.stride, sizeof(float) * a.stride) == 0;
            CHECK_MSG(ok, "fhog of %dx%d (cell %d, filter %dx%d) differs with the %s", w, h, cell, fw, fh,
                      k == 0 ? "AVX2 kernel" : k == 1 ? "AVX2 kernel on planes" : "plain C on planes");
        }
        free(planar);
    }
    CHECK_MSG(ok, "fhog of %dx%d (cell %d, filter %dx%d) differs", w, h, cell, fw, fh);
    free(a.data);
    free(b.data);
    free(scr);
    return ok;
}

static void test_fhog(void)
{
    static const int sizes[][2] = {{1, 1},   {9, 9},    {10, 10},   {17, 17},   {20, 20},  {23, 31},  {64, 48},
                                   {65, 49}, {101, 67}, {255, 190}, {333, 497}, {800, 21}, {21, 800}, {3, 300}};
    static const int shapes[][3] = {{8, 10, 10}, {8, 7, 5}, {4, 10, 10}, {6, 9, 4}, {3, 1, 1}};
    unsigned seed = 11;
    int cases = 0, same = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int kind = 0; kind < 4; kind++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                size_t stride;
                uint8_t *img = make_rgb(sizes[i][0], sizes[i][1], (int)(s * 3), kind, &seed, &stride);
                if (!img) {
                    CHECK(0);
                    continue;
                }
                same += fhog_case(img, sizes[i][0], sizes[i][1], stride, shapes[s][0], shapes[s][1], shapes[s][2]);
                cases++;
                free(img);
            }
    printf("fhog: %d of %d cases bit-identical\n", same, cases);
}

/* Filter responses of every weight vector of m over the fhog of a w x h image, both kernels. */
static int apply_cases(const fk__hog *m, int w, int h, int kind, unsigned *seed)
{
    size_t stride;
    uint8_t *img = make_rgb(w, h, 0, kind, seed, &stride);
    fk__hog_fmap f;
    fk__hog_fmap_size(w, h, m->cell_size, m->fh, m->fw, &f.rows, &f.cols);
    f.stride = ((size_t)f.cols + 15) / 16 * 16;
    f.plane = f.stride * (size_t)f.rows;
    const size_t n = f.plane ? f.plane : 1;
    f.data = malloc(sizeof(float) * n * FK__HOG_PLANES);
    float *scr = malloc(sizeof(float) * fk__hog_fhog_scratch(w, h, m->cell_size));
    const size_t sn = fk__hog_apply_scratch(f.rows, f.stride, m->fh);
    float *sa = malloc(sizeof(float) * n), *sb = malloc(sizeof(float) * n), *s2 = malloc(sizeof(float) * sn);
    int ok = img && f.data && scr && sa && sb && s2;
    if (ok)
        fk__hog_fhog_ref(img, w, h, stride, 0, m->cell_size, m->fh, m->fw, &f, scr, NULL);
    for (int k = 0; ok && k < m->num_filters; k++) {
        long a[4], b[4];
        memset(sa, 0x33, sizeof(float) * n);
        memset(sb, 0x44, sizeof(float) * n);
        fk__hog_apply_ref(m, &m->filters[k], &f, sa, s2, &a[0], &a[1], &a[2], &a[3]);
        fk__hog_apply_avx2(m, &m->filters[k], &f, sb, s2, &b[0], &b[1], &b[2], &b[3]);
        ok = memcmp(a, b, sizeof a) == 0;
        for (int r = 0; ok && r < f.rows; r++)
            ok = memcmp(sa + (size_t)r * f.stride, sb + (size_t)r * f.stride, sizeof(float) * (size_t)f.cols) == 0;
        CHECK_MSG(ok, "filter %d on a %dx%d image (%dx%d cell filters, %s) differs", k, w, h, m->fw, m->fh,
                  m->filters[k].separable ? "separable" : "full");
    }
    free(img);
    free(f.data);
    free(scr);
    free(sa);
    free(sb);
    free(s2);
    return ok;
}

static fk__hog *synthetic(const hog_spec *s)
{
    dat_buf b = {0};
    hog_model(&b, s);
    fk__hog *m = NULL;
    fk_error err;
    CHECK(!b.failed);
    CHECK_MSG(fk__hog_load_mem(b.data, b.size, "synthetic.dat", &m, &err) == FK_OK, "%s", err.message);
    free(b.data);
    return m;
}

/* Whole scans with both kernel tiers: the same detections, scores bit for bit. */
static int scan_case(const fk__hog *m, const fk_image *img, int up, double adjust, const char *what)
{
    fk__hog_det *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    fk_error err;
    CHECK_MSG(fk__hog_detect_with(m, img, up, adjust, FK__HOG_KERNELS_REFERENCE, &a, &na, &err) == FK_OK, "%s",
              err.message);
    CHECK_MSG(fk__hog_detect_with(m, img, up, adjust, FK__HOG_KERNELS_AVX2, &b, &nb, &err) == FK_OK, "%s", err.message);
    int ok = same_dets(a, na, b, nb);
    CHECK_MSG(ok, "%s, upsample %d, adjust %g: %zu and %zu detections, or they differ", what, up, adjust, na, nb);
    free(a);
    free(b);
    return ok;
}

static void test_apply_and_scans(const char *model)
{
    unsigned seed = 5;
    int cases = 0, same = 0;
    fk__hog *m = NULL;
    fk_error err;
    if (model && fk__hog_load(model, &m, &err) == FK_OK) {
        static const int sizes[][2] = {{20, 20}, {85, 85}, {121, 97}, {333, 250}, {700, 90}};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (int kind = 0; kind < 4; kind += 3) {
                same += apply_cases(m, sizes[i][0], sizes[i][1], kind, &seed);
                cases++;
            }
    }
    /* other filter shapes (generic tap loops, other window paddings), and full-rank weights,
     * which dlib scans with the whole filters */
    static const hog_spec specs[] = {
        {2, 6, 1, 40, 56, 1000, 30, 30, 0.3, 0.8, 2, 2, -0.2, 3},
        {2, 4, 0, 28, 20, 1000, 16, 16, 0.5, 1.0, 3, 1, -0.1, 4},
        {2, 8, 0, 80, 80, 1000, 64, 64, 0.3, 0.79, 1, 0, 0.0, 5},
        {1, 8, 0, 48, 64, 3, 40, 40, 0.4, 0.9, 1, 3, -0.3, 6},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        fk__hog *s = synthetic(&specs[i]);
        if (!s)
            continue;
        same += apply_cases(s, 131, 103, 1, &seed);
        same += apply_cases(s, 67, 211, 3, &seed);
        cases += 2;
        /* scans: enough below-threshold windows fire to exercise sorting and suppression */
        size_t stride;
        uint8_t *px = make_rgb(97, 83, 0, (int)i % 4, &seed, &stride);
        fk_image img = {97, 83, stride, px};
        if (px) {
            same += scan_case(s, &img, 0, -1.5, "synthetic model");
            same += scan_case(s, &img, 1, -0.5, "synthetic model");
            cases += 2;
        }
        free(px);
        fk__hog_free(s);
    }
    /* the real model on a crop of a demo photo, when both are there */
    const char *shared = fk_test_shared_dir();
    fk_image *photo = NULL, *crop = NULL;
    char path[4096];
    if (m && shared) {
        snprintf(path, sizeof path, "%s/data/faceapi-demo/sample1.jpg", shared);
        if (fk_image_load(path, NULL, &photo, &err) == FK_OK &&
            fk_image_crop(photo, 300, 300, 331, 247, &crop, &err) == FK_OK) {
            same += scan_case(m, crop, 0, -0.8, "sample1 crop");
            same += scan_case(m, crop, 1, 0.0, "sample1 crop");
            cases += 2;
        }
    }
    fk_image_free(photo);
    fk_image_free(crop);
    fk__hog_free(m);
    printf("filter responses and scans: %d of %d cases bit-identical\n", same, cases);
}

int main(void)
{
    if (!fk__hog_cpu_avx2()) {
        fk_test_not_applicable("test_hog_kernels", "this CPU has no AVX2/FMA; only the plain C runs");
        return fk_test_finish("test_hog_kernels");
    }
    test_resize();
    test_fhog();
    const char *src = getenv("FK_TEST_SRC");
    char model[4096];
    snprintf(model, sizeof model, "%s/models/dlib/frontal_face_detector.dat", src ? src : ".");
    FILE *f = fopen(model, "rb");
    if (f)
        fclose(f);
    else
        fk_test_not_applicable("test_hog_kernels (dlib's model)",
                               "no models/dlib/frontal_face_detector.dat; synthetic models only");
    test_apply_and_scans(f ? model : NULL);
    return fk_test_finish("test_hog_kernels");
}
