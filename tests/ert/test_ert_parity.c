/* test_ert_parity.c: the ERT predictor against dlib 19.24's shape_predictor on the six demo photos (golden points), plus its speed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "facekit/image.h"
#include "facekit/landmarks.h"
#include "harness.h"

#define MAX_FACES 64

/* dlib's rectangle is inclusive: the box spans right - left + 1 pixels. */
static fk_box dlib_box(const cJSON *b)
{
    double l = fk_test_json_num(b, "left"), t = fk_test_json_num(b, "top");
    double r = fk_test_json_num(b, "right"), bo = fk_test_json_num(b, "bottom");
    fk_box x = {l, t, r - l + 1, bo - t + 1};
    return x;
}

/* dlib turns its double point into dlib::point with floor(v + 0.5). */
static long dlib_round(double v)
{
    return (long)floor(v + 0.5);
}

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct tally {
    long points, identical, off1;
    long max_err;
    int faces;
} tally;

typedef struct job {
    fk_image *img;
    fk_box boxes[MAX_FACES];
    int n;
} job;

static void check_image(const fk_ert *m, const char *shared, int k, tally *t, job *jb)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/faceapi-demo/sample%d.jpg", shared, k);
    fk_error err = {0};
    fk_image *img = NULL;
    if (fk_image_load(path, NULL, &img, &err) != FK_OK) {
        CHECK_MSG(0, "%s", err.message);
        return;
    }
    snprintf(path, sizeof path, "%s/golden/dlib/sample%d.json", shared, k);
    cJSON *j = fk_test_read_json(path);
    CHECK_MSG(j != NULL, "cannot parse %s", path);
    if (!j) {
        fk_image_free(img);
        return;
    }
    CHECK(fk_test_json_num(j, "width") == img->width && fk_test_json_num(j, "height") == img->height);
    const cJSON *dets = cJSON_GetObjectItemCaseSensitive(j, "hog_up1");
    const cJSON *lms = cJSON_GetObjectItemCaseSensitive(j, "landmarks68_on_hog_up1");
    int n = cJSON_GetArraySize(dets);
    CHECK_MSG(n == cJSON_GetArraySize(lms), "sample%d: %d boxes but %d landmark sets", k, n,
              cJSON_GetArraySize(lms));
    long same = 0, total = 0, worst = 0;
    static fk_point single[MAX_FACES][68];
    for (int i = 0; i < n && i < cJSON_GetArraySize(lms); i++) {
        fk_box box = dlib_box(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(dets, i), "box"));
        if (jb->n < MAX_FACES)
            jb->boxes[jb->n++] = box;
        fk_point p[68];
        fk_status st = fk_ert_predict(m, img, box, p, &err);
        CHECK_MSG(st == FK_OK, "sample%d face %d: %s", k, i, err.message);
        if (st != FK_OK)
            continue;
        if (i < MAX_FACES)
            memcpy(single[i], p, sizeof p);
        const cJSON *ref = cJSON_GetArrayItem(lms, i);
        CHECK(cJSON_GetArraySize(ref) == 68);
        for (int q = 0; q < 68 && q < cJSON_GetArraySize(ref); q++) {
            const cJSON *rp = cJSON_GetArrayItem(ref, q);
            long rx = (long)cJSON_GetArrayItem(rp, 0)->valuedouble, ry = (long)cJSON_GetArrayItem(rp, 1)->valuedouble;
            long dx = labs(dlib_round(p[q].x) - rx), dy = labs(dlib_round(p[q].y) - ry);
            long e = dx > dy ? dx : dy;
            total++;
            same += e == 0;
            t->off1 += e == 1;
            if (e > worst)
                worst = e;
            if (e > 0)
                printf("  sample%d face %d point %d: facekit (%ld, %ld) [%.4f, %.4f], dlib (%ld, %ld)\n", k, i, q,
                       dlib_round(p[q].x), dlib_round(p[q].y), p[q].x, p[q].y, rx, ry);
        }
        t->faces++;
    }
    printf("sample%d: %d faces, %ld/%ld points identical, max error %ld px\n", k, n, same, total, worst);
    /* the faces side by side (every prefix, so every group size and a partial last group) give
     * the same points, bit for bit, as one call each */
    static fk_point many[MAX_FACES * 68];
    for (int c = 1; c <= jb->n; c++) {
        fk_status st = fk_ert_predict_many(m, img, jb->boxes, (size_t)c, many, &err);
        CHECK_MSG(st == FK_OK, "sample%d: fk_ert_predict_many: %s", k, err.message);
        CHECK_MSG(st != FK_OK || !memcmp(many, single, (size_t)c * sizeof single[0]),
                  "sample%d: fk_ert_predict_many on %d faces differs from one call each", k, c);
    }
    t->points += total;
    t->identical += same;
    if (worst > t->max_err)
        t->max_err = worst;
    cJSON_Delete(j);
    jb->img = img;
}

int main(void)
{
    const char *shared = fk_test_shared_dir();
    if (!shared) {
        return fk_test_skip("test_ert_parity", "no ../shared (golden data) folder");
    }
    fk_error err = {0};
    fk_ert *m = NULL;
    double t0 = now_ms();
    fk_status st = fk_ert_load(NULL, &m, &err);
    double load_ms = now_ms() - t0;
    if (st == FK_E_NOT_FOUND) {
        return fk_test_skip("test_ert_parity", err.message);
    }
    CHECK_MSG(st == FK_OK, "%s", err.message);
    if (st != FK_OK)
        return fk_test_finish("test_ert_parity");
    printf("loaded %s in %.0f ms: %d parts\n", fk_ert_path(m), load_ms, fk_ert_num_parts(m));
    CHECK(fk_ert_num_parts(m) == 68);

    tally t = {0};
    job jobs[6] = {{0}};
    for (int k = 1; k <= 6; k++)
        check_image(m, shared, k, &t, &jobs[k - 1]);
    double pct = t.points ? 100.0 * t.identical / t.points : 0;
    printf("ERT parity vs dlib 19.24: %d faces, %ld points, %.2f %% identical, %ld off by 1 px, max error %ld px\n",
           t.faces, t.points, pct, t.off1, t.max_err);
    /* measured: all 1360 points of the 20 faces identical to dlib's: any difference is a regression */
    CHECK(t.faces == 20 && t.points == 1360);
    CHECK_MSG(t.identical == t.points, "only %ld of %ld points identical", t.identical, t.points);
    CHECK_MSG(t.max_err == 0, "a point is %ld px off", t.max_err);

    /* speed: every face of the six photos, repeated; one thread */
    int reps = getenv("FK_TEST_QUICK") ? 1 : 20, faces = 0;
    fk_point p[68];
    double t1 = now_ms(), c1 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < 6; k++)
            for (int i = 0; i < jobs[k].n && jobs[k].img; i++, faces++)
                fk_ert_predict(m, jobs[k].img, jobs[k].boxes[i], p, NULL);
    double ms = now_ms() - t1, cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c1;
    if (faces)
        printf("speed: %.3f ms per face wall, %.3f ms CPU (%d predictions, one thread; dlib 19.24 takes about 5 ms)\n",
               ms / faces, cpu / faces, faces);
    static fk_point many[MAX_FACES * 68];
    faces = 0;
    t1 = now_ms();
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < 6; k++)
            if (jobs[k].img) {
                fk_ert_predict_many(m, jobs[k].img, jobs[k].boxes, (size_t)jobs[k].n, many, NULL);
                faces += jobs[k].n;
            }
    if (faces)
        printf("speed: %.3f ms per face wall with each photo's faces in one fk_ert_predict_many\n",
               (now_ms() - t1) / faces);
    for (int k = 0; k < 6; k++)
        fk_image_free(jobs[k].img);
    fk_ert_free(m);
    return fk_test_finish("test_ert_parity");
}
