/* test_verify.c: pair-list parsing (LFW pairs.txt and CSV) and the verification metrics on hand-checked cases. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/parse.h"
#include "facekit/eval.h"
#include "harness.h"

static char g_dir[] = "/tmp/fk_test_verify_XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_lfw_format(void)
{
    const char *p = write_file("pairs.txt", "2\t1\nAaron\t1\t2\nBob\t3\tCarol\t12\nDan\t4\t5\nEve\t1\tFay\t1\n");
    fk_pairs *pairs = NULL;
    fk_error err = {0};
    CHECK_OK(fk_pairs_load(p, "/root", &pairs, &err));
    if (!pairs)
        return;
    CHECK(pairs->count == 4 && pairs->folds == 2);
    CHECK(strcmp(pairs->items[0].a, "/root/Aaron/Aaron_0001.jpg") == 0);
    CHECK(strcmp(pairs->items[0].b, "/root/Aaron/Aaron_0002.jpg") == 0);
    CHECK(pairs->items[0].same == 1 && pairs->items[0].fold == 0);
    CHECK(strcmp(pairs->items[1].b, "/root/Carol/Carol_0012.jpg") == 0);
    CHECK(pairs->items[1].same == 0 && pairs->items[1].fold == 0);
    CHECK(pairs->items[2].fold == 1 && pairs->items[3].same == 0);
    fk_pairs_free(pairs);

    /* View 1 (pairsDevTrain.txt, pairsDevTest.txt): the count per class alone, one fold */
    p = write_file("dev.txt", "1\nAaron\t1\t2\nBob\t3\tCarol\t12\n");
    CHECK_OK(fk_pairs_load(p, "/root", &pairs, &err));
    CHECK(pairs && pairs->count == 2 && pairs->folds == 1 && pairs->items[0].same == 1 && pairs->items[1].same == 0);
    fk_pairs_free(pairs);
    pairs = NULL;
    p = write_file("dev_short.txt", "2\nAaron\t1\t2\nBob\t3\tCarol\t12\n");
    CHECK(fk_pairs_load(p, "", &pairs, &err) == FK_E_BAD_FORMAT && pairs == NULL);

    /* a truncated file and a malformed line are errors naming the file and line */
    p = write_file("short.txt", "2\t1\nAaron\t1\t2\n");
    CHECK(fk_pairs_load(p, "", &pairs, &err) == FK_E_BAD_FORMAT && pairs == NULL);
    CHECK(strstr(err.message, "short.txt") != NULL);
    p = write_file("bad.txt", "1\t1\nAaron\tx\t2\nB\t1\tC\t1\n");
    CHECK(fk_pairs_load(p, "", &pairs, &err) == FK_E_BAD_FORMAT);
    CHECK(strstr(err.message, "bad.txt:2") != NULL);
    p = write_file("header.txt", "ten pairs\n");
    CHECK(fk_pairs_load(p, "", &pairs, &err) == FK_E_BAD_FORMAT);
    CHECK(fk_pairs_load("/nonexistent/pairs.txt", "", &pairs, &err) == FK_E_NOT_FOUND);
}

static void test_csv_format(void)
{
    const char *p = write_file("master.csv", "file_x,file_y,Decision\r\nimg1.jpg,img2.jpg,Yes\r\nimg3.jpg, img4.jpg,No");
    fk_pairs *pairs = NULL;
    fk_error err = {0};
    CHECK_OK(fk_pairs_load(p, "/d", &pairs, &err));
    if (!pairs)
        return;
    CHECK(pairs->count == 2 && pairs->folds == 1);
    CHECK(strcmp(pairs->items[1].b, "/d/img4.jpg") == 0);
    CHECK(pairs->items[0].same == 1 && pairs->items[1].same == 0);
    fk_pairs_free(pairs);
    p = write_file("bad.csv", "a,b,same\nx.jpg,y.jpg,maybe\n");
    CHECK(fk_pairs_load(p, "", &pairs, &err) == FK_E_BAD_FORMAT);
    CHECK(strstr(err.message, "bad.csv:2") != NULL);
}

/* Builds n pairs in memory (no files needed for the metrics). */
/* Text the old parser read into a wrong answer, each now an error naming the name and line
 * (found by fuzz_pairs; the seeds are in fuzz/corpus/fuzz_pairs). */
static void test_rejections(void)
{
    static const struct {
        const char *text, *where;
    } bad[] = {
        {"a,b,same\n,y.jpg,1\n", "m.csv:2"},                                 /* empty field: the root itself */
        {"a,b,same\nx.jpg,y.jpg,1,\n", "m.csv:2"},                           /* a fourth, empty field */
        {"1\t1\nA\t1\t2\nB\t1\tC\t1\nD\t1\t2\n", "m.csv"},                 /* a pair past the folds */
        {"1\t1\nA\t1\t999999999999\nB\t1\tC\t1\n", "m.csv:2"},             /* an image number out of range */
        {"1\t1\n\nA\t1\tx\nB\t1\tC\t1\n", "m.csv:3"},                      /* blank line: the line number holds */
        {"1\t1\nA\t1\t2\t3\nB\t1\tC\t1\n", "m.csv:2"},                     /* a same-person line with 4 fields */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fk_pairs *p = NULL;
        fk_error err = {0};
        fk_status st = fk__pairs_parse(bad[i].text, strlen(bad[i].text), "m.csv", "", &p, &err);
        CHECK_MSG(st == FK_E_BAD_FORMAT && !p, "case %zu: status %d", i, (int)st);
        CHECK_MSG(strstr(err.message, bad[i].where) != NULL, "case %zu: '%s' does not name %s", i, err.message,
                  bad[i].where);
        fk_pairs_free(p);
    }
    /* a NUL byte would end the text early: refused, with its offset */
    static const char nul[] = "a,b,same\nx.jpg,y.jpg,1\n\0z.jpg,w.jpg,0\n";
    fk_pairs *p = NULL;
    fk_error err = {0};
    CHECK(fk__pairs_parse(nul, sizeof nul - 1, "n.csv", "", &p, &err) == FK_E_BAD_FORMAT && !p);
    CHECK(strstr(err.message, "NUL") != NULL);
    /* a long name is kept whole, and a root ending in '/' gets no second one */
    char text[1200], name[1001];
    memset(name, 'x', 1000);
    name[1000] = 0;
    snprintf(text, sizeof text, "1\t1\n%s\t1\t2\nB\t1\tC\t1\n", name);
    CHECK_OK(fk__pairs_parse(text, strlen(text), "long.txt", "/r/", &p, &err));
    if (p) {
        CHECK(strlen(p->items[0].a) == strlen("/r/") + 1000 + 1 + 1000 + strlen("_0001.jpg"));
        CHECK(strncmp(p->items[0].a, "/r/xxx", 6) == 0 && strcmp(p->items[1].b, "/r/C/C_0001.jpg") == 0);
        fk_pairs_free(p);
    }
}

static fk_pairs *make_pairs(const int *same, const int *fold, size_t n, int folds)
{
    fk_pairs *p = calloc(1, sizeof *p);
    p->items = calloc(n, sizeof *p->items);
    p->count = n;
    p->folds = folds;
    for (size_t i = 0; i < n; i++) {
        p->items[i].a = strdup("a");
        p->items[i].b = strdup("b");
        p->items[i].same = same[i];
        p->items[i].fold = fold[i];
    }
    return p;
}

static void test_metrics(void)
{
    /* perfectly separable: same pairs at 0.1..0.4, different at 0.7..1.0 */
    int same[8] = {1, 1, 1, 1, 0, 0, 0, 0}, fold[8] = {0, 1, 0, 1, 0, 1, 0, 1};
    double d[8] = {0.1, 0.2, 0.3, 0.4, 0.7, 0.8, 0.9, 1.0};
    fk_pairs *p = make_pairs(same, fold, 8, 2);
    fk_verify_report r;
    fk_error err = {0};
    CHECK_OK(fk_verify_evaluate(p, d, 0.6, &r, &err));
    CHECK_NEAR(r.accuracy_at_fixed, 1.0, 1e-12);
    CHECK_NEAR(r.auc, 1.0, 1e-12);
    CHECK_NEAR(r.eer, 0.0, 1e-12);
    CHECK_NEAR(r.tar_at_far[0], 1.0, 1e-12);
    CHECK(r.folds == 2);
    CHECK_NEAR(r.mean_accuracy, 1.0, 1e-12);
    /* fold 0 learns on fold 1 (same 0.2, 0.4; different 0.8, 1.0): the best thresholds are the
     * midpoints in (0.4, 0.8), only 0.6 here, which is what it must pick */
    CHECK_NEAR(r.fold_threshold[0], 0.6, 1e-12);

    /* one swapped pair and one uncomparable pair */
    double d2[8] = {0.1, 0.2, 0.75, NAN, 0.5, 0.8, 0.9, 1.0};
    CHECK_OK(fk_verify_evaluate(p, d2, 0.6, &r, &err));
    /* at 0.6: right are 0.1, 0.2 (same) and 0.8, 0.9, 1.0 (different) = 5 of 8 */
    CHECK_NEAR(r.accuracy_at_fixed, 5.0 / 8, 1e-12);
    CHECK(r.failed_pairs == 1);
    CHECK_NEAR(r.accuracy_valid_pairs, 5.0 / 7, 1e-12);
    /* AUC = P(d_same < d_diff): same {0.1, 0.2, 0.75, inf} vs diff {0.5, 0.8, 0.9, 1.0}:
     * 0.1 and 0.2 beat all 4, 0.75 beats 3, inf beats none: 11 / 16 */
    CHECK_NEAR(r.auc, 11.0 / 16, 1e-12);
    fk_pairs_free(p);
}

int main(void)
{
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_lfw_format();
    test_csv_format();
    test_rejections();
    test_metrics();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    return fk_test_finish("verification metrics");
}
