/* test_detect_eval.c: ground-truth parsing (AFW, WIDER, FDDB) and detection scoring (matching, AP, duplicates, ignored faces) on hand-checked cases. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/parse.h"
#include "facekit/eval.h"
#include "harness.h"

static char g_dir[] = "/tmp/fk_test_det_XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_parsers(void)
{
    fk_det_truth *t = NULL;
    fk_error err = {0};
    /* AFW: corners in any order become a box; an image may have several faces */
    const char *p = write_file("afw.txt", "a.jpg\n1\n10 20 50 80\nb.jpg\n2\n100 100 0 0\n5 5 6 6\n");
    CHECK_OK(fk_det_truth_load(p, FK_DET_FORMAT_AFW, "/img", &t, &err));
    if (t) {
        CHECK(t->n_images == 2 && t->n_faces == 3);
        CHECK(strcmp(t->images[1].path, "/img/b.jpg") == 0);
        CHECK(t->faces[0].box.x == 10 && t->faces[0].box.width == 40 && t->faces[0].box.height == 60);
        CHECK(t->faces[1].box.x == 0 && t->faces[1].box.width == 100);
        CHECK(t->images[1].first == 1 && t->images[1].count == 2);
        fk_det_truth_free(t);
    }
    /* WIDER: the invalid flag (8th number) marks a face to ignore; an empty image has a dummy line */
    p = write_file("wider.txt", "0--Parade/x.jpg\n2\n1 2 30 40 0 0 0 0 0 0 \n5 5 10 10 0 0 0 1 0 0 \n"
                                "1--Other/y.jpg\n0\n0 0 0 0 0 0 0 0 0 0 \n");
    CHECK_OK(fk_det_truth_load(p, FK_DET_FORMAT_WIDER, "", &t, &err));
    if (t) {
        CHECK(t->n_images == 2 && t->n_faces == 2);
        CHECK(!t->faces[0].ignore && t->faces[1].ignore);
        CHECK(t->images[1].count == 0);
        fk_det_truth_free(t);
    }
    /* FDDB: an ellipse with its major axis vertical (theta = pi/2: ra along y) */
    p = write_file("fddb.txt", "2002/08/11/big/img_591\n1\n40 20 1.5707963 100 200 1\n");
    CHECK_OK(fk_det_truth_load(p, FK_DET_FORMAT_FDDB, "/f", &t, &err));
    if (t) {
        CHECK(strcmp(t->images[0].path, "/f/2002/08/11/big/img_591.jpg") == 0);
        CHECK_NEAR(t->faces[0].box.width, 40, 1e-3);
        CHECK_NEAR(t->faces[0].box.height, 80, 1e-3);
        CHECK_NEAR(t->faces[0].box.x, 80, 1e-3);
        fk_det_truth_free(t);
    }
    p = write_file("bad.txt", "a.jpg\n2\n1 2 3 4\n");
    CHECK(fk_det_truth_load(p, FK_DET_FORMAT_AFW, "", &t, &err) == FK_E_BAD_FORMAT && t == NULL);
    CHECK(strstr(err.message, "bad.txt") != NULL);
    p = write_file("bad2.txt", "a.jpg\nmany\n");
    CHECK(fk_det_truth_load(p, FK_DET_FORMAT_AFW, "", &t, &err) == FK_E_BAD_FORMAT);
    CHECK(strstr(err.message, "bad2.txt:2") != NULL);
}

/* Ground truth the old parser read into a wrong answer, each now an error naming the line (found
 * by fuzz_det_truth; the seeds are in fuzz/corpus/fuzz_det_truth). */
static void test_rejections(void)
{
    static const struct {
        fk_det_format fmt;
        const char *text, *where;
    } bad[] = {
        {FK_DET_FORMAT_FDDB, "img\n1\n0 20 1.5 100 200 1\n", "t.txt:3"},        /* zero radius */
        {FK_DET_FORMAT_FDDB, "img\n1\n-40 20 1.5 100 200 1\n", "t.txt:3"},      /* negative radius */
        {FK_DET_FORMAT_FDDB, "img\n1\n40 20 71-.64417 100 200\n", "t.txt:3"},   /* two numbers glued */
        {FK_DET_FORMAT_AFW, "a.jpg\n1\n10 20 1e308 80\n", "t.txt:3"},           /* an infinite box */
        {FK_DET_FORMAT_AFW, "a.jpg\n1.5\n10 20 50 80\n", "t.txt:2"},            /* a count that is no count */
        {FK_DET_FORMAT_AFW, "a.jpg\n1\n10 20 10 80\n", "t.txt:3"},              /* a box without area */
        {FK_DET_FORMAT_WIDER, "a.jpg\n1\n1 2 30 40 0 0 0 0 0 0 7\n", "t.txt:3"}, /* an 11th number */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fk_det_truth *t = NULL;
        fk_error err = {0};
        fk_status st = fk__det_truth_parse(bad[i].text, strlen(bad[i].text), bad[i].fmt, "t.txt", "", &t, &err);
        CHECK_MSG(st == FK_E_BAD_FORMAT && !t, "case %zu: status %d", i, (int)st);
        CHECK_MSG(strstr(err.message, bad[i].where) != NULL, "case %zu: '%s' does not name %s", i, err.message,
                  bad[i].where);
        fk_det_truth_free(t);
    }
}

static void test_scoring(void)
{
    fk_det_truth *t = NULL;
    fk_error err = {0};
    /* two images: A has faces F0 (0,0,100,100) and F1 (200,0,100,100); B has F2 (0,0,50,50) */
    const char *p = write_file("gt.txt", "A.jpg\n2\n0 0 100 100\n200 0 300 100\nB.jpg\n1\n0 0 50 50\n");
    CHECK_OK(fk_det_truth_load(p, FK_DET_FORMAT_AFW, "", &t, &err));
    if (!t)
        return;
    fk_det_result d[5] = {
        {0, {0, 0, 100, 100}, 0.9f},   /* hits F0 */
        {0, {5, 5, 100, 100}, 0.8f},   /* a duplicate of F0: false alarm */
        {0, {500, 500, 10, 10}, 0.7f}, /* nowhere: false alarm */
        {1, {0, 0, 50, 50}, 0.6f},     /* hits F2 */
        {0, {200, 0, 100, 100}, 0.1f}, /* hits F1, last */
    };
    fk_det_report r;
    int tp[5];
    long matched[3];
    CHECK_OK(fk_det_evaluate(t, d, 5, 0.5, &r, tp, matched, &err));
    CHECK(tp[0] == 1 && tp[1] == 0 && tp[2] == 0 && tp[3] == 1 && tp[4] == 1);
    CHECK(matched[0] == 0 && matched[1] == 4 && matched[2] == 3);
    /* in score order: TP FP FP TP TP -> precision 1, .5, .33, .5, .6 at recall 1/3, 1/3, 1/3, 2/3, 1;
     * envelope: 1 at 1/3, .6 at 2/3 and 1: AP = 1/3 * 1 + 1/3 * .6 + 1/3 * .6 */
    CHECK_NEAR(r.ap, (1 + 0.6 + 0.6) / 3, 1e-9);
    CHECK_NEAR(r.max_recall, 1.0, 1e-12);
    CHECK(r.faces == 3 && r.detections == 5);
    /* nothing found: AP 0 and every face a miss */
    CHECK_OK(fk_det_evaluate(t, d, 0, 0.5, &r, NULL, matched, &err));
    CHECK(r.ap == 0 && matched[0] == -1 && matched[2] == -1);
    /* a detection naming an image that does not exist is a caller error */
    fk_det_result bad = {7, {0, 0, 1, 1}, 1};
    CHECK(fk_det_evaluate(t, &bad, 1, 0.5, &r, NULL, NULL, &err) == FK_E_INVALID_ARGUMENT);
    fk_det_truth_free(t);

    /* ignored faces (WIDER invalid) neither count as misses nor make false alarms */
    p = write_file("w.txt", "x.jpg\n2\n0 0 10 10 0 0 0 0 0 0\n50 50 10 10 0 0 0 1 0 0\n");
    CHECK_OK(fk_det_truth_load(p, FK_DET_FORMAT_WIDER, "", &t, &err));
    if (t) {
        fk_det_result w[2] = {{0, {50, 50, 10, 10}, 0.9f}, {0, {0, 0, 10, 10}, 0.8f}};
        CHECK_OK(fk_det_evaluate(t, w, 2, 0.5, &r, tp, NULL, &err));
        CHECK(tp[0] == -1 && tp[1] == 1);
        CHECK_NEAR(r.ap, 1.0, 1e-12);
        CHECK(r.faces == 1 && r.ignored == 1);
        fk_det_truth_free(t);
    }
    /* FDDB: the ellipse's own bounding box overlaps it by pi/4 */
    p = write_file("f.txt", "img\n1\n40 20 0 100 100 1\n");
    CHECK_OK(fk_det_truth_load(p, FK_DET_FORMAT_FDDB, "", &t, &err));
    if (t) {
        fk_det_result e = {0, t->faces[0].box, 0.9f};
        CHECK_OK(fk_det_evaluate(t, &e, 1, 0.5, &r, tp, NULL, &err));
        CHECK(tp[0] == 1);
        CHECK_NEAR(r.fddb_continuous_tpr, 3.14159265358979 / 4, 0.02);
        CHECK_NEAR(r.fddb_discrete_tpr, 1.0, 1e-12);
        fk_det_truth_free(t);
    }
}

int main(void)
{
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_parsers();
    test_rejections();
    test_scoring();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    return fk_test_finish("detection scoring");
}
