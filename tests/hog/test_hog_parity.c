/* test_hog_parity.c: the HOG detector against dlib 19.24's own detections: the six demo photos (../shared/golden/dlib) and 20 AFW photos (tests/hog/data), upsample 0 and 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "face/hog/hog.h"
#include "facekit/image.h"
#include "harness.h"

/* Bounds at the measured figures: every rectangle and filter index equal and every count equal
 * (measured: all of them, 12 demo lists and 40 AFW lists). Scores: the golden JSON prints 6
 * significant digits, so they agree to its rounding (measured 4.7e-6, bound 1e-5); the AFW
 * oracle prints 9 (measured 0 at that precision, bound 1e-6). */
#define GOLDEN_SCORE_TOL 1e-5
#define ORACLE_SCORE_TOL 1e-6

static const char *model_path(char *buf, size_t n)
{
    const char *dir = getenv("FACEKIT_DLIB_MODELS");
    const char *src = getenv("FK_TEST_SRC");
    if (dir && *dir)
        snprintf(buf, n, "%s/frontal_face_detector.dat", dir);
    else
        snprintf(buf, n, "%s/models/dlib/frontal_face_detector.dat", src ? src : ".");
    return buf;
}

static int file_exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

/* The 64-bit FNV-1a hash of an image's RGB bytes, as make_hog_oracle prints it. */
static unsigned long long fnv1a(const fk_image *img)
{
    unsigned long long h = 1469598103934665603ull;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width * 3; x++) {
            h ^= img->data[(size_t)y * img->stride + (size_t)x];
            h *= 1099511628211ull;
        }
    return h;
}

typedef struct tally {
    int lists, bad_lists, rects, bad_rects;
    double worst;
} tally;

/* One detection list against the expected one (want: n rows of left top right bottom weight score). */
static void compare(const char *what, const fk__hog_det *d, size_t n, const double (*want)[6], size_t nw, double tol,
                    tally *t)
{
    t->lists++;
    int ok = n == nw;
    for (size_t i = 0; i < n && i < nw; i++) {
        t->rects++;
        const int same = d[i].left == (long)want[i][0] && d[i].top == (long)want[i][1] &&
                         d[i].right == (long)want[i][2] && d[i].bottom == (long)want[i][3] &&
                         d[i].weight_index == (int)want[i][4];
        if (!same) {
            t->bad_rects++;
            ok = 0;
            fprintf(stderr, "%s: detection %zu is (%ld %ld %ld %ld) filter %d, dlib's (%g %g %g %g) filter %g\n", what,
                    i, d[i].left, d[i].top, d[i].right, d[i].bottom, d[i].weight_index, want[i][0], want[i][1],
                    want[i][2], want[i][3], want[i][4]);
        }
        const double diff = fabs(d[i].score - want[i][5]);
        t->worst = fk_test_max(t->worst, diff);
        CHECK_MSG(diff <= tol, "%s: detection %zu scores %.9g, dlib %.9g", what, i, d[i].score, want[i][5]);
    }
    if (n != nw)
        fprintf(stderr, "%s: %zu detections, dlib %zu\n", what, n, nw);
    if (!ok)
        t->bad_lists++;
    CHECK(ok);
}

static void demo_photos(const fk__hog *m, const char *shared, tally *t)
{
    char path[4096];
    for (int k = 1; k <= 6; k++) {
        snprintf(path, sizeof path, "%s/data/faceapi-demo/sample%d.jpg", shared, k);
        fk_image *img = NULL;
        fk_error err;
        CHECK_MSG(fk_image_load(path, NULL, &img, &err) == FK_OK, "%s", err.message);
        snprintf(path, sizeof path, "%s/golden/dlib/sample%d.json", shared, k);
        cJSON *j = fk_test_read_json(path);
        CHECK_MSG(j != NULL, "cannot parse %s", path);
        for (int up = 0; img && j && up <= 1; up++) {
            const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, up ? "hog_up1" : "hog");
            const int nw = cJSON_GetArraySize(list);
            double(*want)[6] = calloc((size_t)(nw ? nw : 1), sizeof *want);
            for (int i = 0; want && i < nw; i++) {
                const cJSON *e = cJSON_GetArrayItem(list, i), *box = cJSON_GetObjectItemCaseSensitive(e, "box");
                want[i][0] = fk_test_json_num(box, "left");
                want[i][1] = fk_test_json_num(box, "top");
                want[i][2] = fk_test_json_num(box, "right");
                want[i][3] = fk_test_json_num(box, "bottom");
                want[i][4] = fk_test_json_num(e, "weight_index");
                want[i][5] = fk_test_json_num(e, "score");
            }
            fk__hog_det *d = NULL;
            size_t n = 0;
            CHECK_MSG(fk__hog_detect(m, img, up, 0.0, &d, &n, &err) == FK_OK, "%s", err.message);
            char what[64];
            snprintf(what, sizeof what, "sample%d upsample %d", k, up);
            if (want)
                compare(what, d, n, (const double(*)[6])want, (size_t)nw, GOLDEN_SCORE_TOL, t);
            free(want);
            free(d);
        }
        cJSON_Delete(j);
        fk_image_free(img);
    }
}

/* tests/hog/data/afw_hog_oracle.txt: "image NAME W H HASH" then "det UP SCORE WEIGHT L T R B" lines. */
static void afw_photos(const fk__hog *m, const char *shared, tally *t)
{
    const char *src = getenv("FK_TEST_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/hog/data/afw_hog_oracle.txt", src ? src : ".");
    size_t size = 0;
    char *text = fk_test_read_file(path, &size);
    CHECK_MSG(text != NULL, "cannot read %s", path);
    if (!text)
        return;
    int images = 0;
    for (char *line = strtok(text, "\n"); line;) {
        char name[256];
        int w, h;
        unsigned long long hash;
        if (sscanf(line, "image %255s %d %d %llx", name, &w, &h, &hash) != 4) {
            line = strtok(NULL, "\n");
            continue;
        }
        images++;
        /* this image's detections, both upsample levels */
        double want[2][64][6];
        size_t nw[2] = {0, 0};
        for (line = strtok(NULL, "\n"); line && strncmp(line, "det ", 4) == 0; line = strtok(NULL, "\n")) {
            int up, wi;
            double sc, l, tp, r, b;
            if (sscanf(line, "det %d %lf %d %lf %lf %lf %lf", &up, &sc, &wi, &l, &tp, &r, &b) == 7 && up >= 0 &&
                up <= 1 && nw[up] < 64) {
                double *e = want[up][nw[up]++];
                e[0] = l, e[1] = tp, e[2] = r, e[3] = b, e[4] = wi, e[5] = sc;
            }
        }
        snprintf(path, sizeof path, "%s/data/afw/images/%s", shared, name);
        /* dlib's load_image applies no EXIF orientation */
        fk_decode_options opt = {0};
        opt.ignore_orientation = 1;
        fk_image *img = NULL;
        fk_error err;
        CHECK_MSG(fk_image_load(path, &opt, &img, &err) == FK_OK, "%s", err.message);
        if (!img)
            continue;
        CHECK_MSG(img->width == w && img->height == h && fnv1a(img) == hash,
                  "%s decodes to other pixels than dlib's load_image (%dx%d)", name, img->width, img->height);
        for (int up = 0; up <= 1; up++) {
            fk__hog_det *d = NULL;
            size_t n = 0;
            CHECK_MSG(fk__hog_detect(m, img, up, 0.0, &d, &n, &err) == FK_OK, "%s", err.message);
            char what[300];
            snprintf(what, sizeof what, "AFW %s upsample %d", name, up);
            compare(what, d, n, (const double(*)[6])want[up], nw[up], ORACLE_SCORE_TOL, t);
            free(d);
        }
        fk_image_free(img);
    }
    CHECK_MSG(images == 20, "the oracle lists %d AFW images, expected 20", images);
    free(text);
}

int main(void)
{
    char mp[4096];
    model_path(mp, sizeof mp);
    if (!file_exists(mp))
        return fk_test_skip("test_hog_parity", "no models/dlib/frontal_face_detector.dat (run `make models`)");
    const char *shared = fk_test_shared_dir();
    if (!shared)
        return fk_test_skip("test_hog_parity", "no ../shared (golden data) folder");
    fk__hog *m = NULL;
    fk_error err;
    CHECK_MSG(fk__hog_load(mp, &m, &err) == FK_OK, "%s", err.message);
    if (!m)
        return fk_test_finish("test_hog_parity");
    tally demo = {0}, afw = {0};
    demo_photos(m, shared, &demo);
    char p[4096];
    snprintf(p, sizeof p, "%s/data/afw/images/1004109301.jpg", shared);
    if (file_exists(p))
        afw_photos(m, shared, &afw);
    else
        fk_test_skip("test_hog_parity (AFW)", "no ../shared/data/afw");
    printf("demo photos: %d lists (%d differ), %d detections (%d rectangles differ), max score diff %.3g\n", demo.lists,
           demo.bad_lists, demo.rects, demo.bad_rects, demo.worst);
    printf("AFW photos:  %d lists (%d differ), %d detections (%d rectangles differ), max score diff %.3g\n", afw.lists,
           afw.bad_lists, afw.rects, afw.bad_rects, afw.worst);
    fk__hog_free(m);
    return fk_test_finish("test_hog_parity");
}
