/* test_align.c: similarity estimation, affine warps and the dlib / ArcFace chips on synthetic faces with known geometry. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/align.h"
#include "facekit/image.h"
#include "facekit/landmarks.h"
#include "harness.h"

#define PI 3.14159265358979323846

/* dlib's mean face for landmarks 17..67 (get_face_chip_details), to build synthetic faces. */
static const double mean_x[51] = {
    0.000213256, 0.0752622, 0.18113,  0.29077,  0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004,
    0.490127,    0.490127,  0.490127, 0.490127, 0.36688,  0.426036, 0.490127, 0.554217, 0.613373, 0.121737,
    0.187122,    0.265825,  0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751,
    0.719335,    0.254149,  0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
    0.490127,    0.423532,  0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127,
    0.42689};
static const double mean_y[51] = {
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454,
    0.203352, 0.307009, 0.409805,  0.515625,  0.587326,  0.609345,  0.628106,  0.609345,  0.587326, 0.216423,
    0.178758, 0.179852, 0.231733,  0.245099,  0.244077,  0.231733,  0.179852,  0.178758,  0.216423, 0.244077,
    0.245099, 0.780233, 0.745405,  0.727388,  0.742578,  0.727388,  0.745405,  0.780233,  0.864805, 0.902192,
    0.909281, 0.902192, 0.864805,  0.784792,  0.778746,  0.785343,  0.778746,  0.784792,  0.824182, 0.831803,
    0.824182};

static const fk_point arcface[5] = {
    {38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041}};

static double urand(unsigned *s, double lo, double hi)
{
    return lo + (hi - lo) * (fk_test_randf(s) + 1) / 2;
}

static fk_affine similarity(double angle, double scale, double tx, double ty)
{
    double c = cos(angle) * scale, s = sin(angle) * scale;
    fk_affine t = {{c, -s, tx, s, c, ty}};
    return t;
}

static void test_estimate(void)
{
    unsigned seed = 12345;
    double worst_angle = 0, worst_scale = 0, worst_exact = 0;
    for (int trial = 0; trial < 500; trial++) {
        int n = trial % 3 == 0 ? 5 : trial % 3 == 1 ? 12 : 68;
        double angle = urand(&seed, -30, 30) * PI / 180, scale = urand(&seed, 0.5, 2);
        fk_affine truth = similarity(angle, scale, urand(&seed, -300, 300), urand(&seed, -300, 300));
        fk_point from[68], to[68], noisy[68];
        for (int i = 0; i < n; i++) {
            from[i].x = urand(&seed, 0, 200);
            from[i].y = urand(&seed, 0, 200);
            to[i] = fk_affine_apply(&truth, from[i]);
            noisy[i].x = to[i].x + urand(&seed, -0.5, 0.5);
            noisy[i].y = to[i].y + urand(&seed, -0.5, 0.5);
        }
        fk_affine t;
        fk_error err;
        CHECK_OK(fk_similarity_estimate(from, to, n, &t, &err));
        for (int k = 0; k < 6; k++)
            worst_exact = fk_test_max(worst_exact, fabs(t.m[k] - truth.m[k]) / (k == 2 || k == 5 ? 300 : 1));
        CHECK_OK(fk_similarity_estimate(from, noisy, n, &t, &err));
        /* a similarity: [a -b; b a], never a reflection */
        CHECK(t.m[0] == t.m[4] && t.m[1] == -t.m[3]);
        double da = fabs(fk_affine_angle(&t) - angle) * 180 / PI, ds = fabs(fk_affine_scale(&t) / scale - 1);
        worst_angle = fk_test_max(worst_angle, da);
        worst_scale = fk_test_max(worst_scale, ds);
    }
    printf("similarity: exact points recovered to %.2g; with +-0.5 px noise, angle within %.3f deg, scale within "
           "%.3f %%\n",
           worst_exact, worst_angle, 100 * worst_scale);
    CHECK(worst_exact < 1e-9);
    CHECK(worst_angle < 0.5);
    CHECK(worst_scale < 0.0075); /* measured 0.0064 (angle 0.434 deg) on this fixed noise */

    /* mirrored points: the best proper similarity, not the mirror */
    fk_point a[4] = {{0, 0}, {10, 0}, {0, 5}, {10, 5}}, b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (fk_point){-a[i].x, a[i].y};
    fk_affine t;
    CHECK_OK(fk_similarity_estimate(a, b, 4, &t, NULL));
    CHECK(t.m[0] * t.m[4] - t.m[1] * t.m[3] >= 0);

    /* degenerate input is an error, never NaN */
    fk_point same[3] = {{1, 1}, {1, 1}, {1, 1}};
    fk_error err = {0};
    CHECK(fk_similarity_estimate(same, a, 3, &t, &err) == FK_E_INVALID_ARGUMENT && err.message[0]);
    CHECK(fk_similarity_estimate(a, b, 1, &t, NULL) == FK_E_INVALID_ARGUMENT);
    fk_point bad[2] = {{NAN, 0}, {1, 1}};
    CHECK(fk_similarity_estimate(bad, a, 2, &t, NULL) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_similarity_estimate(NULL, a, 2, &t, NULL) == FK_E_INVALID_ARGUMENT);

    /* inversion round trip */
    fk_affine s = similarity(0.3, 1.7, 12, -40), inv;
    CHECK_OK(fk_affine_invert(&s, &inv, NULL));
    fk_point p = fk_affine_apply(&inv, fk_affine_apply(&s, (fk_point){3, 4}));
    CHECK_NEAR(p.x, 3, 1e-12);
    CHECK_NEAR(p.y, 4, 1e-12);
    fk_affine sing = {{1, 2, 0, 2, 4, 0}};
    CHECK(fk_affine_invert(&sing, &inv, NULL) == FK_E_INVALID_ARGUMENT);
}

static void test_points5(void)
{
    fk_point p68[68], p5[5];
    for (int i = 0; i < 68; i++)
        p68[i] = (fk_point){i, 2 * i};
    fk_points5_from_68(p68, p5);
    CHECK_NEAR(p5[0].x, 38.5, 1e-12); /* mean of 36..41 */
    CHECK_NEAR(p5[0].y, 77, 1e-12);
    CHECK_NEAR(p5[1].x, 44.5, 1e-12); /* mean of 42..47 */
    CHECK(p5[2].x == 30 && p5[3].x == 48 && p5[4].x == 54 && p5[4].y == 108);
}

/* R = x, G = y, B = 77: bilinear interpolation of a linear ramp is exact. */
static fk_image *ramp(int w, int h)
{
    fk_image *img = NULL;
    if (fk_image_new(w, h, &img, NULL) != FK_OK)
        return NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x * 3;
            p[0] = (uint8_t)x, p[1] = (uint8_t)y, p[2] = 77;
        }
    return img;
}

static void test_warp(void)
{
    fk_image *img = ramp(250, 240), *out = NULL;
    CHECK(img != NULL);
    if (!img)
        return;
    fk_error err;
    /* identity: the same pixels */
    fk_affine id = {{1, 0, 0, 0, 1, 0}};
    CHECK_OK(fk_image_warp_affine(img, &id, 250, 240, &out, &err));
    int same = 1;
    for (int y = 0; y < 240 && out; y++)
        same &= memcmp(out->data + (size_t)y * out->stride, img->data + (size_t)y * img->stride, 250 * 3) == 0;
    CHECK(same);
    fk_image_free(out);

    /* a rotation, scale and shift: each output pixel holds the source coordinates it maps to */
    int bad = 0, black_ok = 1, inside = 0;
    for (int trial = 0; trial < 6; trial++) {
        double angle = (-30 + 12 * trial) * PI / 180, scale = 0.5 + 0.3 * trial;
        fk_affine m = similarity(angle, scale, 120, 30);
        CHECK_OK(fk_image_warp_affine(img, &m, 160, 150, &out, &err));
        for (int y = 0; y < 150 && out; y++)
            for (int x = 0; x < 160; x++) {
                fk_point p = fk_affine_apply(&m, (fk_point){x, y});
                const uint8_t *q = out->data + (size_t)y * out->stride + (size_t)x * 3;
                if (p.x >= 0 && p.y >= 0 && p.x <= 249 && p.y <= 239) {
                    inside++;
                    bad += fabs(q[0] - p.x) > 0.5 + 1e-9 || fabs(q[1] - p.y) > 0.5 + 1e-9 || q[2] != 77;
                } else if (p.x <= -1 || p.y <= -1 || p.x >= 250 || p.y >= 240) {
                    black_ok &= q[0] == 0 && q[1] == 0 && q[2] == 0;
                }
            }
        fk_image_free(out);
        out = NULL;
    }
    printf("warp: %d pixels inside checked, %d wrong\n", inside, bad);
    CHECK(inside > 10000);
    CHECK(bad == 0);
    CHECK(black_ok);
    CHECK(fk_image_warp_affine(img, NULL, 10, 10, &out, &err) == FK_E_INVALID_ARGUMENT && !out);
    fk_affine nan = {{NAN, 0, 0, 0, 1, 0}};
    CHECK(fk_image_warp_affine(img, &nan, 10, 10, &out, &err) == FK_E_INVALID_ARGUMENT && !out);
    CHECK(fk_image_warp_affine(img, &id, 0, 10, &out, &err) == FK_E_INVALID_ARGUMENT && !out);
    fk_image_free(img);
}

/* A black image with a white disc (radius r) at each point. */
static fk_image *discs(int w, int h, const fk_point *pts, int n, double r)
{
    fk_image *img = NULL;
    if (fk_image_new(w, h, &img, NULL) != FK_OK)
        return NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int i = 0; i < n; i++)
                if (hypot(x - pts[i].x, y - pts[i].y) <= r)
                    memset(img->data + (size_t)y * img->stride + (size_t)x * 3, 255, 3);
    return img;
}

/* The centroid of the bright pixels within `rad` of c (chip coordinates). */
static fk_point centroid(const fk_image *img, fk_point c, double rad)
{
    double sx = 0, sy = 0, sw = 0;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            if (hypot(x - c.x, y - c.y) > rad)
                continue;
            double v = img->data[(size_t)y * img->stride + (size_t)x * 3];
            sx += v * x, sy += v * y, sw += v;
        }
    fk_point p = {sw > 0 ? sx / sw : NAN, sw > 0 ? sy / sw : NAN};
    return p;
}

/* The template's eye centres in a dlib chip (mean of landmarks 36-41 and 42-47). */
static void dlib_template_eyes(int size, double padding, fk_point eyes[2])
{
    for (int e = 0; e < 2; e++) {
        double x = 0, y = 0;
        for (int i = 0; i < 6; i++) {
            x += mean_x[36 + 6 * e + i - 17] / 6;
            y += mean_y[36 + 6 * e + i - 17] / 6;
        }
        eyes[e].x = (padding + x) / (2 * padding + 1) * size;
        eyes[e].y = (padding + y) / (2 * padding + 1) * size;
    }
}

/* A synthetic face: the mean face (jaw points anywhere: dlib ignores them) under t, with discs
 * at the eye centres; the chip's discs must land on the template's eyes. */
static double check_dlib_chip(double angle_deg, double face_px, double cx, double cy, int w, int h)
{
    fk_affine t = similarity(angle_deg * PI / 180, face_px, cx - face_px / 2, cy - face_px / 2);
    fk_point p68[68];
    for (int i = 0; i < 68; i++)
        p68[i] = fk_affine_apply(&t, i < 17 ? (fk_point){0.5, 0.9} : (fk_point){mean_x[i - 17], mean_y[i - 17]});
    fk_point five[5];
    fk_points5_from_68(p68, five);
    fk_image *img = discs(w, h, five, 2, face_px / 25);
    fk_image *chip = NULL;
    fk_affine map;
    fk_error err = {0};
    double worst = 99;
    if (img && fk_align_dlib_chip(img, p68, 150, 0.25, &chip, &map, &err) == FK_OK) {
        CHECK(chip->width == 150 && chip->height == 150);
        fk_point want[2];
        dlib_template_eyes(150, 0.25, want);
        worst = 0;
        for (int e = 0; e < 2; e++) {
            fk_point got = centroid(chip, want[e], 12);
            worst = fk_test_max(worst, hypot(got.x - want[e].x, got.y - want[e].y));
            /* the map sends the template's eye to the image's eye */
            fk_point back = fk_affine_apply(&map, want[e]);
            worst = fk_test_max(worst, hypot(back.x - five[e].x, back.y - five[e].y) * 150 / (face_px * 1.5));
        }
    } else {
        CHECK_MSG(0, "dlib chip: %s", err.message);
    }
    fk_image_free(chip);
    fk_image_free(img);
    return worst;
}

static void test_dlib_chip(void)
{
    double worst = 0;
    /* small faces (plain bilinear), faces over twice the chip (dlib's pyramid), rotations */
    const double cases[][3] = {{-30, 90, 0}, {0, 100, 0}, {12, 160, 0}, {30, 120, 0}, {-20, 380, 0}, {25, 700, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double face = cases[i][1];
        int side = (int)(face * 2.2);
        double e = check_dlib_chip(cases[i][0], face, side / 2.0, side / 2.0, side, side);
        printf("dlib chip: face %4.0f px, rotated %+3.0f deg: eyes %.2f px from the template\n", face, cases[i][0], e);
        worst = fk_test_max(worst, e);
    }
    CHECK_MSG(worst <= 1.0, "eyes %.2f px from dlib's template", worst);

    /* a face half out of the image: a chip with black where the image ends, no crash */
    double e = check_dlib_chip(10, 120, 20, 40, 200, 200);
    printf("dlib chip at the border: eyes %.2f px off (one eye outside)\n", e);

    /* 5-point dlib model template: the map takes the template's points onto the points */
    static const fk_point m5[5] = {{0.8595674595992, 0.2134981538014},
                                   {0.6460604764104, 0.2289674387677},
                                   {0.1205750620789, 0.2137274526848},
                                   {0.3340850613712, 0.2290642403242},
                                   {0.4901123135679, 0.6277975316475}};
    fk_affine t = similarity(0.2, 140, 80, 60);
    fk_point p5[5];
    for (int i = 0; i < 5; i++)
        p5[i] = fk_affine_apply(&t, m5[i]);
    fk_image *img = ramp(250, 250), *chip = NULL;
    fk_affine map;
    CHECK_OK(fk_align_dlib_chip5(img, p5, 150, 0.25, &chip, &map, NULL));
    double w5 = 0;
    for (int i = 0; i < 5; i++) {
        fk_point c = {(0.25 + m5[i].x) / 1.5 * 150, (0.25 + m5[i].y) / 1.5 * 150};
        fk_point b = fk_affine_apply(&map, c);
        w5 = fk_test_max(w5, hypot(b.x - p5[i].x, b.y - p5[i].y) / fk_affine_scale(&map)); /* in chip pixels */
    }
    printf("dlib chip from 5 points: template points map within %.3f chip px\n", w5);
    CHECK(w5 < 0.8); /* measured 0.723 */
    fk_image_free(chip);

    /* bad arguments */
    fk_error err = {0};
    CHECK(fk_align_dlib_chip(img, p5, 1, 0.25, &chip, NULL, &err) == FK_E_INVALID_ARGUMENT && !chip);
    CHECK(fk_align_dlib_chip(img, NULL, 150, 0.25, &chip, NULL, &err) == FK_E_INVALID_ARGUMENT && !chip);
    CHECK(fk_align_dlib_chip(img, p5, 150, -1, &chip, NULL, &err) == FK_E_INVALID_ARGUMENT && !chip);
    CHECK(fk_align_dlib_chip(NULL, p5, 150, 0.25, &chip, NULL, &err) == FK_E_INVALID_ARGUMENT && !chip);
    fk_image_free(img);
}

static void test_arcface(void)
{
    double worst = 0;
    for (int k = 0; k < 4; k++) {
        fk_affine t = similarity((-25 + 17 * k) * PI / 180, 0.8 + 0.6 * k, 40 + 10 * k, 30);
        fk_point p5[5];
        for (int i = 0; i < 5; i++)
            p5[i] = fk_affine_apply(&t, arcface[i]);
        int side = (int)(112 * (0.8 + 0.6 * k) + 120);
        fk_image *img = discs(side, side, p5, 5, 2.5 * (0.8 + 0.6 * k)), *chip = NULL;
        fk_affine map;
        CHECK_OK(fk_align_arcface(img, p5, &chip, &map, NULL));
        if (chip) {
            CHECK(chip->width == 112 && chip->height == 112);
            for (int i = 0; i < 5; i++) {
                fk_point b = fk_affine_apply(&map, arcface[i]);
                worst = fk_test_max(worst, hypot(b.x - p5[i].x, b.y - p5[i].y));
                fk_point c = centroid(chip, arcface[i], 5);
                worst = fk_test_max(worst, hypot(c.x - arcface[i].x, c.y - arcface[i].y));
            }
        }
        fk_image_free(chip);
        fk_image_free(img);
    }
    printf("arcface chip: the five points land %.3f px from the template\n", worst);
    CHECK(worst <= 0.25); /* measured 0.175 */
}

/* On a real photo: the ERT's eye centres mapped into the dlib chip sit near the template's
 * (the chip fits 32 points by least squares, so not exactly). */
static void test_real_face(void)
{
    const char *shared = fk_test_shared_dir();
    fk_ert *m = NULL;
    if (!shared || fk_ert_load(NULL, &m, NULL) != FK_OK) {
        fk_test_skip("real-face chip", "no ../shared or no ERT model");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/data/faceapi-demo/sample1.jpg", shared);
    fk_image *img = NULL, *chip = NULL;
    fk_error err;
    if (fk_image_load(path, NULL, &img, &err) == FK_OK) {
        fk_box box = {365, 390, 224, 224}; /* dlib's HOG box of the first face */
        fk_point p[68], p5[5];
        CHECK_OK(fk_ert_predict(m, img, box, p, &err));
        fk_affine map, inv;
        CHECK_OK(fk_align_dlib_chip(img, p, 150, 0.25, &chip, &map, &err));
        CHECK_OK(fk_affine_invert(&map, &inv, &err));
        fk_points5_from_68(p, p5);
        fk_point want[2];
        dlib_template_eyes(150, 0.25, want);
        double worst = 0;
        for (int e = 0; e < 2; e++) {
            fk_point c = fk_affine_apply(&inv, p5[e]);
            worst = fk_test_max(worst, hypot(c.x - want[e].x, c.y - want[e].y));
        }
        printf("sample1 face 0: 150x150 dlib chip, eyes %.2f px from the template (least-squares fit)\n", worst);
        CHECK(chip && chip->width == 150);
        CHECK(worst < 2.0); /* measured 1.55 */
        fk_image_free(chip);
        chip = NULL;
        CHECK_OK(fk_align_arcface(img, p5, &chip, NULL, &err));
        CHECK(chip && chip->width == 112);
        if (getenv("FK_TEST_SAVE_CHIPS")) {
            fk_image_save(chip, "arcface_chip.png", 0, NULL);
            fk_image *dc = NULL;
            if (fk_align_dlib_chip(img, p, 150, 0.25, &dc, NULL, NULL) == FK_OK)
                fk_image_save(dc, "dlib_chip.png", 0, NULL);
            fk_image_free(dc);
        }
        fk_image_free(chip);
    } else {
        CHECK_MSG(0, "%s", err.message);
    }
    fk_image_free(img);
    fk_ert_free(m);
}

int main(void)
{
    test_estimate();
    test_points5();
    test_warp();
    test_dlib_chip();
    test_arcface();
    test_real_face();
    return fk_test_finish("test_align");
}
