/* det_eval.c: scoring detections against ground truth: greedy matching by score, VOC average precision, FDDB-style TPR. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "facekit/eval.h"

static double box_iou(fk_box a, fk_box b)
{
    double x0 = fmax(a.x, b.x), y0 = fmax(a.y, b.y);
    double x1 = fmin(a.x + a.width, b.x + b.width), y1 = fmin(a.y + a.height, b.y + b.height);
    double inter = fmax(0, x1 - x0) * fmax(0, y1 - y0);
    double u = a.width * a.height + b.width * b.height - inter;
    return u > 0 ? inter / u : 0;
}

/* FDDB's overlap of an ellipse and a rectangle: area of intersection over union, by sampling a
 * 96x96 grid over their joint bounding box (FDDB itself counts pixels the same way). */
static double ellipse_iou(const fk_gt_face *g, fk_box r)
{
    double ra = g->ellipse[0], rb = g->ellipse[1], th = g->ellipse[2], cx = g->ellipse[3], cy = g->ellipse[4];
    if (ra <= 0 || rb <= 0)
        return box_iou(g->box, r);
    double x0 = fmin(g->box.x, r.x), y0 = fmin(g->box.y, r.y);
    double x1 = fmax(g->box.x + g->box.width, r.x + r.width), y1 = fmax(g->box.y + g->box.height, r.y + r.height);
    const int n = 96;
    double c = cos(th), s = sin(th);
    long inter = 0, uni = 0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double x = x0 + (i + 0.5) * (x1 - x0) / n, y = y0 + (j + 0.5) * (y1 - y0) / n;
            double u = (x - cx) * c + (y - cy) * s, v = -(x - cx) * s + (y - cy) * c;
            int in_e = (u * u) / (ra * ra) + (v * v) / (rb * rb) <= 1.0;
            int in_r = x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
            inter += in_e && in_r;
            uni += in_e || in_r;
        }
    return uni ? (double)inter / uni : 0;
}

static double overlap(const fk_det_truth *t, const fk_gt_face *g, fk_box b)
{
    return t->format == FK_DET_FORMAT_FDDB ? ellipse_iou(g, b) : box_iou(g->box, b);
}

typedef struct order {
    size_t i;
    float score;
} order;

static int by_score_desc(const void *a, const void *b)
{
    const order *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i); /* stable */
}

/* The shared matching pass: per detection (in descending score) tp 1/0/-1 and its overlap. */
static fk_status match(const fk_det_truth *t, const fk_det_result *d, size_t n, double thr, order *ord, int *tp,
                       double *ov, long *matched, fk_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i].image >= t->n_images)
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "detection %zu names image %zu of %zu", i, d[i].image,
                            t->n_images);
        ord[i].i = i;
        ord[i].score = d[i].score;
    }
    qsort(ord, n, sizeof *ord, by_score_desc);
    for (size_t f = 0; f < t->n_faces; f++)
        matched[f] = -1;
    for (size_t k = 0; k < n; k++) {
        const fk_det_result *r = &d[ord[k].i];
        const fk_det_image *im = &t->images[r->image];
        double best = 0;
        long bf = -1;
        for (size_t f = im->first; f < im->first + im->count; f++) {
            double o = overlap(t, &t->faces[f], r->box);
            if (o > best) {
                best = o;
                bf = (long)f;
            }
        }
        ov[k] = best;
        if (bf >= 0 && best >= thr) {
            if (t->faces[bf].ignore)
                tp[k] = -1;
            else if (matched[bf] < 0) {
                tp[k] = 1;
                matched[bf] = (long)ord[k].i;
            } else
                tp[k] = 0; /* a duplicate of a face already found */
        } else {
            tp[k] = 0;
        }
    }
    return FK_OK;
}

fk_status fk_det_evaluate(const fk_det_truth *t, const fk_det_result *dets, size_t n, double iou,
                          fk_det_report *out, int *tp_out, long *matched_out, fk_error *err)
{
    if (!t || (!dets && n) || !out || !(iou > 0 && iou <= 1))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_det_evaluate: bad argument");
    memset(out, 0, sizeof *out);
    out->iou = iou;
    out->detections = n;
    order *ord = malloc((n ? n : 1) * sizeof *ord);
    int *tp = malloc((n ? n : 1) * sizeof *tp);
    double *ov = malloc((n ? n : 1) * sizeof *ov);
    long *matched = malloc((t->n_faces ? t->n_faces : 1) * sizeof *matched);
    if (!ord || !tp || !ov || !matched) {
        free(ord);
        free(tp);
        free(ov);
        free(matched);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory scoring detections");
    }
    fk_status st = match(t, dets, n, iou, ord, tp, ov, matched, err);
    if (st != FK_OK)
        goto done;
    size_t positives = 0;
    for (size_t f = 0; f < t->n_faces; f++) {
        if (t->faces[f].ignore)
            out->ignored++;
        else
            positives++;
    }
    out->faces = positives;
    /* precision-recall along the score order; AP with the VOC 2010 all-point envelope */
    size_t ntp = 0, nfp = 0, kept = 0;
    double *prec = malloc((n ? n : 1) * sizeof *prec), *rec = malloc((n ? n : 1) * sizeof *rec);
    if (!prec || !rec) {
        free(prec);
        free(rec);
        st = fk__fail(err, FK_E_NO_MEMORY, "out of memory scoring detections");
        goto done;
    }
    /* FDDB: true positive rate once 1000 false alarms have accumulated (or at the end) */
    double cont = 0;
    size_t disc = 0;
    int fddb_done = 0;
    for (size_t k = 0; k < n; k++) {
        if (tp[k] < 0)
            continue;
        if (tp[k]) {
            ntp++;
            cont += ov[k];
            disc++;
        } else {
            nfp++;
        }
        prec[kept] = (double)ntp / (double)(ntp + nfp);
        rec[kept] = positives ? (double)ntp / (double)positives : 0;
        double f1 = prec[kept] + rec[kept] > 0 ? 2 * prec[kept] * rec[kept] / (prec[kept] + rec[kept]) : 0;
        if (f1 > out->best_f1) {
            out->best_f1 = f1;
            out->best_f1_score = ord[k].score;
        }
        kept++;
        if (!fddb_done && nfp >= 1000) {
            fddb_done = 1;
            out->fddb_discrete_tpr = positives ? (double)disc / positives : 0;
            out->fddb_continuous_tpr = positives ? cont / positives : 0;
        }
    }
    if (!fddb_done) {
        out->fddb_discrete_tpr = positives ? (double)disc / positives : 0;
        out->fddb_continuous_tpr = positives ? cont / positives : 0;
    }
    out->max_recall = kept ? rec[kept - 1] : 0;
    for (size_t k = kept; k-- > 1;)
        if (prec[k] > prec[k - 1])
            prec[k - 1] = prec[k];
    double ap = 0, prev_r = 0;
    for (size_t k = 0; k < kept; k++) {
        ap += (rec[k] - prev_r) * prec[k];
        prev_r = rec[k];
    }
    out->ap = ap;
    free(prec);
    free(rec);
    if (tp_out)
        for (size_t k = 0; k < n; k++)
            tp_out[ord[k].i] = tp[k];
    if (matched_out)
        memcpy(matched_out, matched, t->n_faces * sizeof *matched);
done:
    free(ord);
    free(tp);
    free(ov);
    free(matched);
    return st;
}

fk_status fk_det_write_pr(const fk_det_truth *t, const fk_det_result *dets, size_t n, double iou, const char *path,
                          fk_error *err)
{
    order *ord = malloc((n ? n : 1) * sizeof *ord);
    int *tp = malloc((n ? n : 1) * sizeof *tp);
    double *ov = malloc((n ? n : 1) * sizeof *ov);
    long *matched = malloc((t->n_faces ? t->n_faces : 1) * sizeof *matched);
    fk_status st = FK_OK;
    FILE *f = NULL;
    if (!ord || !tp || !ov || !matched) {
        st = fk__fail(err, FK_E_NO_MEMORY, "out of memory writing %s", path);
        goto done;
    }
    if ((st = match(t, dets, n, iou, ord, tp, ov, matched, err)) != FK_OK)
        goto done;
    size_t positives = 0;
    for (size_t i = 0; i < t->n_faces; i++)
        positives += !t->faces[i].ignore;
    f = fopen(path, "w");
    if (!f) {
        st = fk__fail(err, FK_E_IO, "%s: cannot write", path);
        goto done;
    }
    fprintf(f, "score,recall,precision\n");
    size_t ntp = 0, nfp = 0;
    for (size_t k = 0; k < n; k++) {
        if (tp[k] < 0)
            continue;
        ntp += tp[k] == 1;
        nfp += tp[k] == 0;
        fprintf(f, "%.6f,%.6f,%.6f\n", ord[k].score, positives ? (double)ntp / positives : 0,
                (double)ntp / (double)(ntp + nfp));
    }
    if (ferror(f))
        st = fk__fail(err, FK_E_IO, "%s: write failed", path);
done:
    if (f && fclose(f) != 0 && st == FK_OK)
        st = fk__fail(err, FK_E_IO, "%s: write failed", path);
    free(ord);
    free(tp);
    free(ov);
    free(matched);
    return st;
}
