/* test_ert_robust.c: ERT loading and prediction on synthetic models, and damaged or foreign .dat files: errors with reasons, never a crash. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dat_writer.h"
#include "face/ert/ert_model.h"
#include "facekit/image.h"
#include "facekit/landmarks.h"
#include "harness.h"

static char tmpdir[256];

static int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* A failure must leave no model and a one-line message. */
static int failed_cleanly(fk_status st, const fk_ert *m, const fk_error *err)
{
    return st != FK_OK && m == NULL && err->message[0] && memchr(err->message, 0, sizeof err->message);
}

/* A hand-built model: 2 points, one level, one depth-1 tree comparing the pixels under the two
 * points; the left leaf moves point 0 right by 0.1, the right leaf moves point 1 left by 0.1. */
static void tiny_model(dat_buf *b, float thresh)
{
    const float init[4] = {0.25f, 0.5f, 0.75f, 0.5f};
    const float left[4] = {0.1f, 0, 0, 0}, right[4] = {0, 0, -0.1f, 0};
    dat_int(b, 1);
    dat_colvec(b, init, 4);
    dat_int(b, 1); /* levels */
    dat_int(b, 1); /* trees */
    dat_int(b, 1); /* splits */
    dat_int(b, 0);
    dat_int(b, 1);
    dat_float(b, thresh);
    dat_int(b, 2); /* leaves */
    dat_colvec(b, left, 4);
    dat_colvec(b, right, 4);
    dat_int(b, 1); /* anchors: feature 0 on point 0, feature 1 on point 1 */
    dat_int(b, 2);
    dat_int(b, 0);
    dat_int(b, 1);
    dat_int(b, 1); /* deltas: none */
    dat_int(b, 2);
    for (int i = 0; i < 4; i++)
        dat_float(b, 0);
}

static void set_px(fk_image *img, int x, int y, uint8_t r, uint8_t g, uint8_t b)
{
    uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x * 3;
    p[0] = r, p[1] = g, p[2] = b;
}

static void test_semantics(void)
{
    fk_image *img = NULL;
    CHECK_OK(fk_image_new(101, 101, &img, NULL));
    if (!img)
        return;
    /* box (0, 0, 101, 101): unit x 0.25 -> pixel 25, 0.75 -> 75, y 0.5 -> 50.
     * Feature 0 reads (10 + 20 + 32) / 3 = 20 (dlib truncates; rounding would give 21). */
    set_px(img, 25, 50, 10, 20, 32);
    fk_box box = {0, 0, 101, 101};
    const struct {
        float thresh;
        int left;
    } cases[] = {{19.5f, 1}, {20.5f, 0}, {-1, 1}, {20, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dat_buf b = {0};
        tiny_model(&b, cases[i].thresh);
        fk_ert *m = NULL;
        fk_error err = {0};
        CHECK_OK(fk__ert_load_mem(b.data, b.size, "tiny.dat", &m, &err));
        free(b.data);
        if (!m)
            continue;
        CHECK(fk_ert_num_parts(m) == 2);
        fk_point p[2];
        CHECK_OK(fk_ert_predict(m, img, box, p, &err));
        double x0 = cases[i].left ? 35 : 25, x1 = cases[i].left ? 75 : 65;
        CHECK_MSG(fabs(p[0].x - x0) < 1e-4 && fabs(p[1].x - x1) < 1e-4 && fabs(p[0].y - 50) < 1e-9,
                  "thresh %g: points (%g, %g) (%g, %g)", cases[i].thresh, p[0].x, p[0].y, p[1].x, p[1].y);
        /* the gray entry point, on the same gray values */
        uint8_t gray[101 * 101] = {0};
        gray[50 * 101 + 25] = 20;
        fk_point q[2];
        CHECK_OK(fk_ert_predict_gray(m, gray, 101, 101, 101, box, q, &err));
        CHECK(q[0].x == p[0].x && q[1].x == p[1].x);
        /* feature 1 outside the image reads 0 like a black pixel; feature 0 too: 0 - 0 > thresh? */
        fk_box far = {-1000, -1000, 101, 101};
        CHECK_OK(fk_ert_predict(m, img, far, p, &err));
        CHECK(fabs(p[0].x - (-1000 + (0 > cases[i].thresh ? 35 : 25))) < 1e-4);
        /* bad arguments */
        fk_box bad[] = {{NAN, 0, 10, 10}, {0, 0, 0, 10}, {0, 0, 10, INFINITY}, {1e300, 0, 10, 10}};
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            err.message[0] = 0;
            CHECK(fk_ert_predict(m, img, bad[k], p, &err) == FK_E_INVALID_ARGUMENT && err.message[0]);
        }
        CHECK(fk_ert_predict(m, NULL, box, p, &err) == FK_E_INVALID_ARGUMENT);
        CHECK(fk_ert_predict(m, img, box, NULL, &err) == FK_E_INVALID_ARGUMENT);
        CHECK(fk_ert_predict_gray(m, gray, 101, 101, 50, box, q, &err) == FK_E_INVALID_ARGUMENT);
        fk_face face = {.box = box};
        CHECK(fk_ert_face_landmarks(m, img, &face, &err) == FK_E_UNSUPPORTED && !face.has_landmarks);
        fk_ert_free(m);
    }
    fk_image_free(img);
}

/* A random image and a random model: fk_ert_predict on RGB equals fk_ert_predict_gray on
 * (r + g + b) / 3, and boxes overlapping the border work. */
static void test_gray_equivalence(const fk_ert *m, const char *what)
{
    const int w = 97, h = 83;
    fk_image *img = NULL;
    CHECK_OK(fk_image_new(w, h, &img, NULL));
    uint8_t *gray = malloc((size_t)w * h);
    if (!img || !gray) {
        fk_image_free(img);
        free(gray);
        return;
    }
    unsigned s = 99;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x * 3;
            for (int c = 0; c < 3; c++)
                p[c] = (uint8_t)(dat_rand(&s) * 256);
            gray[y * w + x] = (uint8_t)(((unsigned)p[0] + p[1] + p[2]) / 3);
        }
    int n = fk_ert_num_parts(m), same = 1;
    fk_point *a = malloc(sizeof *a * (size_t)n), *b = malloc(sizeof *b * (size_t)n);
    const fk_box boxes[] = {{10, 5, 60, 60}, {-20, -30, 70, 80}, {50, 40, 90, 90}, {3.5, 7.25, 40.5, 33}};
    for (size_t k = 0; k < sizeof boxes / sizeof boxes[0] && a && b; k++) {
        CHECK_OK(fk_ert_predict(m, img, boxes[k], a, NULL));
        CHECK_OK(fk_ert_predict_gray(m, gray, w, h, (size_t)w, boxes[k], b, NULL));
        for (int i = 0; i < n; i++)
            same &= a[i].x == b[i].x && a[i].y == b[i].y && isfinite(a[i].x);
    }
    CHECK_MSG(same, "%s: RGB and gray predictions differ", what);
    free(a);
    free(b);
    free(gray);
    fk_image_free(img);
}

/* Every truncation and many random byte changes of a synthetic model: no crash, no leak, and a
 * truncated file is always an error with a message. */
static void test_synthetic_damage(void)
{
    dat_buf b = {0};
    dat_model(&b, 5, 2, 3, 2, 6, 7);
    CHECK(!b.failed);
    fk_ert *m = NULL;
    fk_error err = {0};
    CHECK_OK(fk__ert_load_mem(b.data, b.size, "synthetic.dat", &m, &err));
    if (m) {
        CHECK(fk_ert_num_parts(m) == 5);
        test_gray_equivalence(m, "synthetic model");
        fk_ert_free(m);
    }
    int truncated_ok = 1;
    for (size_t n = 0; n < b.size; n++) {
        m = NULL;
        err.message[0] = 0;
        fk_status st = fk__ert_load_mem(b.data, n, "synthetic.dat", &m, &err);
        truncated_ok &= failed_cleanly(st, m, &err) && st == FK_E_BAD_FORMAT && strstr(err.message, "synthetic.dat");
        fk_ert_free(m);
    }
    printf("synthetic model (%zu bytes): every truncation refused\n", b.size);
    CHECK(truncated_ok);

    uint8_t *copy = malloc(b.size);
    unsigned s = 4242;
    int loaded = 0, refused = 0, bad_failures = 0;
    fk_image *img = NULL;
    fk_image_new(64, 64, &img, NULL);
    for (int trial = 0; trial < 3000 && copy && img; trial++) {
        memcpy(copy, b.data, b.size);
        int flips = 1 + trial % 4;
        for (int k = 0; k < flips; k++)
            copy[(size_t)(dat_rand(&s) * b.size)] ^= (uint8_t)(1u << (int)(dat_rand(&s) * 8));
        m = NULL;
        err.message[0] = 0;
        fk_status st = fk__ert_load_mem(copy, b.size, "mutated.dat", &m, &err);
        if (st == FK_OK) {
            loaded++;
            fk_point p[64];
            fk_box box = {-5, 3, 50, 70};
            if (fk_ert_num_parts(m) <= 64)
                CHECK_OK(fk_ert_predict(m, img, box, p, NULL));
            fk_ert_free(m);
        } else {
            refused++;
            bad_failures += !failed_cleanly(st, m, &err);
        }
    }
    printf("3000 mutated synthetic models: %d refused with a reason, %d still valid models (predicted on)\n", refused,
           loaded);
    CHECK(bad_failures == 0);
    CHECK(refused > 1000);
    fk_image_free(img);
    free(copy);

    /* through a file, and through FACEKIT_ERT_MODEL */
    char path[512];
    snprintf(path, sizeof path, "%s/mine.dat", tmpdir);
    CHECK(write_file(path, b.data, b.size));
    CHECK_OK(fk_ert_load(path, &m, &err));
    CHECK(m && strcmp(fk_ert_path(m), path) == 0);
    fk_ert_free(m);
    setenv("FACEKIT_ERT_MODEL", path, 1);
    m = NULL;
    CHECK_OK(fk_ert_load(NULL, &m, &err));
    CHECK(fk_ert_num_parts(m) == 5);
    fk_ert_free(m);
    unsetenv("FACEKIT_ERT_MODEL");
    snprintf(path, sizeof path, "%s/half.dat", tmpdir);
    CHECK(write_file(path, b.data, b.size / 2));
    m = NULL;
    fk_status st = fk_ert_load(path, &m, &err);
    CHECK_MSG(failed_cleanly(st, m, &err) && st == FK_E_BAD_FORMAT && strstr(err.message, path) &&
                  strstr(err.message, "truncated"),
              "%s", err.message);
    printf("half a model: %s\n", err.message);
    unlink(path);
    snprintf(path, sizeof path, "%s/mine.dat", tmpdir);
    unlink(path);
    free(b.data);
}

/* Structural damage the loader must name: wrong counts, indices and sizes. */
static void test_structure_errors(void)
{
    struct {
        const char *what;
        const char *expect;
    } cases[] = {{"version 2", "not a dlib shape_predictor"},
                 {"odd initial shape", "initial shape"},
                 {"split index out of range", "feature pixel"},
                 {"anchor out of range", "anchored to point"},
                 {"leaf of the wrong size", "leaf 0 is a"},
                 {"incomplete tree", "complete tree"},
                 {"fewer delta lists", "delta lists"},
                 {"huge count", "bytes remain"},
                 {"infinite value", "inf"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        dat_buf b = {0};
        const float init[4] = {0.3f, 0.3f, 0.7f, 0.7f}, leaf[4] = {0, 0, 0, 0};
        dat_int(&b, c == 0 ? 2 : 1);
        if (c == 1) {
            dat_int(&b, -3), dat_int(&b, -1);
            for (int i = 0; i < 3; i++)
                dat_float(&b, 0.5f);
        } else {
            dat_colvec(&b, init, 4);
        }
        dat_int(&b, 1);                         /* levels */
        dat_int(&b, c == 7 ? (int64_t)1 << 30 : 1); /* trees */
        dat_int(&b, c == 5 ? 2 : 1);            /* splits */
        for (int k = 0; k < (c == 5 ? 2 : 1); k++) {
            dat_int(&b, c == 2 ? 5 : 0);
            dat_int(&b, 1);
            if (c == 8) {
                dat_int(&b, 0), dat_int(&b, 32000); /* float_details' inf */
            } else {
                dat_float(&b, 0.5f);
            }
        }
        dat_int(&b, c == 5 ? 3 : 2);
        for (int k = 0; k < (c == 5 ? 3 : 2); k++) {
            if (c == 4) {
                dat_int(&b, -2), dat_int(&b, -1), dat_float(&b, 0), dat_float(&b, 0);
            } else {
                dat_colvec(&b, leaf, 4);
            }
        }
        dat_int(&b, 1);
        dat_int(&b, 2);
        dat_int(&b, 0);
        dat_int(&b, c == 3 ? 2 : 1);
        dat_int(&b, c == 6 ? 0 : 1);
        if (c != 6) {
            dat_int(&b, 2);
            for (int i = 0; i < 4; i++)
                dat_float(&b, 0);
        }
        fk_ert *m = NULL;
        fk_error err = {0};
        fk_status st = fk__ert_load_mem(b.data, b.size, "case.dat", &m, &err);
        CHECK_MSG(failed_cleanly(st, m, &err) && strstr(err.message, cases[c].expect) && strstr(err.message, "case.dat"),
                  "%s: status %d, message '%s'", cases[c].what, st, err.message);
        printf("%-26s -> %s\n", cases[c].what, err.message);
        fk_ert_free(m);
        free(b.data);
    }
}

/* Files that are not models at all. */
static void test_foreign_files(const char *shared)
{
    char path[4096];
    fk_ert *m = NULL;
    fk_error err = {0};
    fk_status st;

    snprintf(path, sizeof path, "%s/random.dat", tmpdir);
    uint8_t *rnd = malloc(1 << 20);
    unsigned s = 777;
    for (int i = 0; rnd && i < (1 << 20); i++)
        rnd[i] = (uint8_t)(dat_rand(&s) * 256);
    CHECK(rnd && write_file(path, rnd, 1 << 20));
    free(rnd);
    st = fk_ert_load(path, &m, &err);
    CHECK_MSG(failed_cleanly(st, m, &err) && st == FK_E_BAD_FORMAT && strstr(err.message, path), "%s", err.message);
    printf("random bytes: %s\n", err.message);
    unlink(path);

    snprintf(path, sizeof path, "%s/empty.dat", tmpdir);
    CHECK(write_file(path, "", 0));
    st = fk_ert_load(path, &m, &err);
    CHECK_MSG(failed_cleanly(st, m, &err) && st == FK_E_BAD_FORMAT, "%s", err.message);
    printf("empty file: %s\n", err.message);
    unlink(path);

    snprintf(path, sizeof path, "%s/no-such.dat", tmpdir);
    st = fk_ert_load(path, &m, &err);
    CHECK_MSG(failed_cleanly(st, m, &err) && st == FK_E_NOT_FOUND && strstr(err.message, "libdlib-data"), "%s",
              err.message);
    st = fk_ert_load(tmpdir, &m, &err);
    CHECK_MSG(failed_cleanly(st, m, &err) && st == FK_E_IO, "%s", err.message);
    CHECK(fk_ert_load(path, NULL, &err) == FK_E_INVALID_ARGUMENT);

    if (shared) {
        snprintf(path, sizeof path, "%s/data/faceapi-demo/sample1.jpg", shared);
        st = fk_ert_load(path, &m, &err);
        CHECK_MSG(failed_cleanly(st, m, &err) && st == FK_E_BAD_FORMAT && strstr(err.message, "ff d8"), "%s",
                  err.message);
        printf("a JPEG: %s\n", err.message);
    }
}

/* The real model, damaged: truncations, header bytes changed, a pinned name with other bytes. */
static void test_real_damage(const char *model)
{
    size_t n = 0;
    uint8_t *d = fk_test_read_file(model, &n);
    if (!d) {
        fk_test_skip("damaged real model", "the .dat is not readable");
        return;
    }
    fk_ert *m = NULL;
    fk_error err = {0};
    /* the whole file from memory gives the model fk_ert_load gives */
    CHECK_OK(fk__ert_load_mem(d, n, model, &m, &err));
    CHECK(fk_ert_num_parts(m) == 68);
    if (m)
        test_gray_equivalence(m, "68-point model");
    fk_ert_free(m);

    const size_t cuts[] = {0, 1, 2, 3, 5, 6, 8, 50, 1000, 100000, n / 3, 2 * (n / 3), n - 100, n - 1};
    int ok = 1;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        m = NULL;
        fk_status st = fk__ert_load_mem(d, cuts[i], "cut.dat", &m, &err);
        ok &= failed_cleanly(st, m, &err) && st == FK_E_BAD_FORMAT;
        if (i == 0 || i == 10 || i == 13)
            printf("truncated at %zu: %s\n", cuts[i], err.message);
        fk_ert_free(m);
    }
    CHECK(ok);

    /* the header: 01 01 (version 1), 81 88 (rows -136), 81 01 (columns -1); each change is
     * refused at once, whole file given */
    const struct {
        size_t at;
        uint8_t to;
        const char *expect;
    } flips[] = {{0, 0x00, "not a dlib shape_predictor"}, {1, 0x02, "not a dlib shape_predictor"},
                 {0, 0xff, "not a dlib shape_predictor"}, {2, 0x01, "not a matrix size"},
                 {3, 0x89, "initial shape is a 137 x 1"}, {5, 0x02, "initial shape is a 136 x 2"},
                 {2, 0x89, "bad integer encoding"},      {4, 0x00, "bad integer encoding"}};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        uint8_t keep = d[flips[i].at];
        d[flips[i].at] = flips[i].to;
        m = NULL;
        fk_status st = fk__ert_load_mem(d, n, "flipped.dat", &m, &err);
        CHECK_MSG(failed_cleanly(st, m, &err) && st == FK_E_BAD_FORMAT && strstr(err.message, flips[i].expect),
                  "byte %zu = 0x%02x: %s", flips[i].at, flips[i].to, err.message);
        if (i == 3)
            printf("header byte changed: %s\n", err.message);
        fk_ert_free(m);
        d[flips[i].at] = keep;
    }

    /* a damaged copy under the pinned name: the sha256 pin explains it */
    char path[512];
    snprintf(path, sizeof path, "%s/shape_predictor_68_face_landmarks.dat", tmpdir);
    CHECK(write_file(path, d, 1 << 20));
    m = NULL;
    fk_status st = fk_ert_load(path, &m, &err);
    CHECK_MSG(failed_cleanly(st, m, &err) && st == FK_E_BAD_FORMAT && strstr(err.message, "differs from the pinned"),
              "%s", err.message);
    printf("pinned name, 1 MiB of it: %s\n", err.message);
    unlink(path);
    free(d);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/fk_ert_robust_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    unsetenv("FACEKIT_ERT_MODEL");
    test_semantics();
    test_synthetic_damage();
    test_structure_errors();
    test_foreign_files(fk_test_shared_dir());
    struct stat st;
    if (stat(FK_ERT_DEFAULT_PATH, &st) == 0)
        test_real_damage(FK_ERT_DEFAULT_PATH);
    else
        fk_test_skip("damaged real model", FK_ERT_DEFAULT_PATH " is absent (apt-get install libdlib-data)");
    rmdir(tmpdir);
    return fk_test_finish("test_ert_robust");
}
