/* verify.c: verification metrics: accuracy at a threshold, the LFW 10-fold protocol, ROC, AUC, EER and TAR at FAR. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "facekit/eval.h"

typedef struct scored {
    double d; /* +inf for a pair that could not be compared */
    int same;
    int fold;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const scored *)a)->d, y = ((const scored *)b)->d;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Accuracy at threshold t (same when d < t) over pairs whose fold is in or out of `fold`. */
static double accuracy(const scored *s, size_t n, double t, int fold, int in_fold)
{
    size_t right = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (fold >= 0 && ((s[i].fold == fold) != in_fold))
            continue;
        total++;
        /* an uncomparable pair (infinite distance) is wrong at every threshold */
        if (isfinite(s[i].d) && (s[i].d < t) == (s[i].same != 0))
            right++;
    }
    return total ? (double)right / total : 0.0;
}

/* The threshold maximising accuracy on the training pairs (all folds but `fold`): candidates are
 * the midpoints between consecutive sorted distances; among equally good ones the middle one. */
static double best_threshold(const scored *s, size_t n, int fold, double *cand, size_t *nc_out)
{
    size_t nd = 0;
    for (size_t i = 0; i < n; i++)
        if ((fold < 0 || s[i].fold != fold) && isfinite(s[i].d))
            cand[nd++] = s[i].d;
    qsort(cand, nd, sizeof *cand, cmp_double);
    size_t nc = 0;
    for (size_t i = 0; i + 1 < nd; i++)
        if (cand[i + 1] > cand[i])
            cand[nc++] = (cand[i] + cand[i + 1]) / 2;
    if (nc == 0) {
        *nc_out = 0;
        return nd ? cand[0] + 1e-6 : 0.6;
    }
    /* sweep: accuracy at each candidate, counted incrementally over the sorted training pairs */
    double best = -1;
    size_t first_best = 0, last_best = 0;
    for (size_t c = 0; c < nc; c++) {
        double acc = accuracy(s, n, cand[c], fold, 0);
        if (acc > best + 1e-12) {
            best = acc;
            first_best = last_best = c;
        } else if (fabs(acc - best) <= 1e-12) {
            last_best = c;
        }
    }
    *nc_out = nc;
    return cand[(first_best + last_best) / 2];
}

fk_status fk_verify_evaluate(const fk_pairs *pairs, const double *distances, double fixed_threshold,
                             fk_verify_report *out, fk_error *err)
{
    if (!pairs || !distances || !out || pairs->count == 0)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_verify_evaluate: no pairs");
    memset(out, 0, sizeof *out);
    size_t n = pairs->count;
    scored *s = calloc(n, sizeof *s);
    double *cand = calloc(n, sizeof *cand);
    if (!s || !cand) {
        free(s);
        free(cand);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory evaluating pairs");
    }
    size_t n_same = 0, n_diff = 0, valid = 0, valid_right = 0;
    for (size_t i = 0; i < n; i++) {
        s[i].d = isnan(distances[i]) ? INFINITY : distances[i];
        s[i].same = pairs->items[i].same;
        s[i].fold = pairs->items[i].fold;
        n_same += s[i].same != 0;
        n_diff += s[i].same == 0;
        if (isfinite(s[i].d)) {
            valid++;
            valid_right += (s[i].d < fixed_threshold) == (s[i].same != 0);
        } else {
            out->failed_pairs++;
        }
    }
    out->pairs = n;
    out->fixed_threshold = fixed_threshold;
    out->accuracy_at_fixed = accuracy(s, n, fixed_threshold, -1, 1);
    out->accuracy_valid_pairs = valid ? (double)valid_right / valid : 0.0;

    /* the LFW protocol: each fold tested at the threshold learnt on the others */
    int folds = pairs->folds > 16 ? 16 : pairs->folds;
    int present = 0;
    for (int f = 0; f < folds; f++)
        for (size_t i = 0; i < n; i++)
            if (s[i].fold == f) {
                present++;
                break;
            }
    if (present < 2)
        folds = 0; /* the protocol needs other folds to learn each fold's threshold */
    int used = 0;
    double sum = 0, sum2 = 0;
    for (int f = 0; f < folds; f++) {
        size_t in = 0;
        for (size_t i = 0; i < n; i++)
            in += s[i].fold == f;
        if (!in)
            continue;
        size_t nc;
        double t = best_threshold(s, n, f, cand, &nc);
        double acc = accuracy(s, n, t, f, 1);
        out->fold_threshold[used] = t;
        out->fold_accuracy[used] = acc;
        sum += acc;
        sum2 += acc * acc;
        used++;
    }
    out->folds = used;
    if (used) {
        out->mean_accuracy = sum / used;
        double var = sum2 / used - out->mean_accuracy * out->mean_accuracy;
        out->std_accuracy = var > 0 ? sqrt(var) : 0.0;
    }

    /* ROC by sweeping the sorted distances; ties are accepted together */
    qsort(s, n, sizeof *s, cmp_scored);
    double auc = 0, prev_far = 0, prev_tar = 0;
    out->far[0] = 1e-3;
    out->far[1] = 1e-2;
    double best_gap = INFINITY;
    size_t acc_same = 0, acc_diff = 0;
    for (int k = 0; k < FK_EVAL_FAR_POINTS; k++)
        out->threshold_at_far[k] = s[0].d;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j].d == s[i].d)
            j++;
        if (!isfinite(s[i].d))
            break;
        for (size_t k = i; k < j; k++) {
            acc_same += s[k].same != 0;
            acc_diff += s[k].same == 0;
        }
        double tar = n_same ? (double)acc_same / n_same : 0, far = n_diff ? (double)acc_diff / n_diff : 0;
        auc += (far - prev_far) * (tar + prev_tar) / 2;
        for (int k = 0; k < FK_EVAL_FAR_POINTS; k++)
            if (far <= out->far[k] && tar >= out->tar_at_far[k]) {
                out->tar_at_far[k] = tar;
                out->threshold_at_far[k] = j < n && isfinite(s[j].d) ? (s[i].d + s[j].d) / 2 : s[i].d;
            }
        double frr = 1 - tar, gap = fabs(far - frr);
        if (gap < best_gap) {
            best_gap = gap;
            out->eer = (far + frr) / 2;
            out->eer_threshold = s[i].d;
        }
        prev_far = far;
        prev_tar = tar;
        i = j;
    }
    auc += (1.0 - prev_far) * (1.0 + prev_tar) / 2; /* the rest of the curve up to (1, 1) */
    out->auc = auc;
    free(s);
    free(cand);
    return FK_OK;
}

fk_status fk_verify_write_roc(const fk_pairs *pairs, const double *distances, const char *path, fk_error *err)
{
    size_t n = pairs->count;
    scored *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory writing %s", path);
    size_t n_same = 0, n_diff = 0;
    for (size_t i = 0; i < n; i++) {
        s[i].d = isnan(distances[i]) ? INFINITY : distances[i];
        s[i].same = pairs->items[i].same;
        n_same += s[i].same != 0;
        n_diff += s[i].same == 0;
    }
    qsort(s, n, sizeof *s, cmp_scored);
    FILE *f = fopen(path, "w");
    if (!f) {
        free(s);
        return fk__fail(err, FK_E_IO, "%s: cannot write", path);
    }
    fprintf(f, "threshold,far,tar\n");
    size_t acc_same = 0, acc_diff = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j].d == s[i].d)
            j++;
        if (!isfinite(s[i].d))
            break;
        for (size_t k = i; k < j; k++) {
            acc_same += s[k].same != 0;
            acc_diff += s[k].same == 0;
        }
        fprintf(f, "%.6f,%.6f,%.6f\n", s[i].d, n_diff ? (double)acc_diff / n_diff : 0,
                n_same ? (double)acc_same / n_same : 0);
        i = j;
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    free(s);
    return bad ? fk__fail(err, FK_E_IO, "%s: write failed", path) : FK_OK;
}
