/* fuzz_det_truth.c: libFuzzer target for the detection ground-truth parser (AFW, WIDER, FDDB), and the scorer on what it reads. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOT "/g"
#define NAME "fuzz_truth.txt"

static int finite_box(fk_box b)
{
    return isfinite(b.x) && isfinite(b.y) && isfinite(b.width) && isfinite(b.height);
}

/* The first byte chooses the format ('0' AFW, '1' WIDER, '2' FDDB: the seeds stay readable);
 * the rest is the file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fk_det_format fmt = (fk_det_format)(data[0] % FK_DET_FORMAT_COUNT);
    fk_det_truth *t = NULL;
    fk_error err;
    memset(&err, 0, sizeof err);
    fk_status st = fk__det_truth_parse(data + 1, size - 1, fmt, NAME, ROOT, &t, &err);
    if (st != FK_OK) {
        /* a failure leaves nothing behind and explains itself on one line that names the file */
        if (t || err.status != st || !err.message[0] || !memchr(err.message, 0, sizeof err.message) ||
            strchr(err.message, '\n') || !strstr(err.message, NAME))
            abort();
        return 0;
    }
    if (!t || t->format != fmt || t->n_images == 0 || !t->images || (t->n_faces && !t->faces))
        abort();
    /* every image's faces follow the previous image's, and together they are all the faces */
    size_t next = 0;
    for (size_t i = 0; i < t->n_images; i++) {
        const fk_det_image *im = &t->images[i];
        if (!im->path || strncmp(im->path, ROOT "/", sizeof ROOT) != 0 || !im->path[sizeof ROOT] ||
            im->first != next || im->count > t->n_faces - next)
            abort();
        next += im->count;
    }
    if (next != t->n_faces)
        abort();
    size_t kept = 0;
    for (size_t f = 0; f < t->n_faces; f++) {
        const fk_gt_face *g = &t->faces[f];
        if (!finite_box(g->box) || (g->ignore != 0 && g->ignore != 1))
            abort();
        for (int k = 0; k < 5; k++)
            if (!isfinite(g->ellipse[k]) || (fmt != FK_DET_FORMAT_FDDB && g->ellipse[k] != 0))
                abort();
        if (fmt != FK_DET_FORMAT_WIDER && (g->ignore || g->box.width <= 0 || g->box.height <= 0))
            abort();
        if (fmt == FK_DET_FORMAT_FDDB && (g->ellipse[0] <= 0 || g->ellipse[1] <= 0))
            abort();
        if (fmt == FK_DET_FORMAT_WIDER && !g->ignore && (g->box.width <= 0 || g->box.height <= 0))
            abort();
        kept += !g->ignore;
    }
    /* score every face's own box as a detection: the scorer must take whatever the parser gives,
     * and report figures in range (kept small: matching is quadratic in the faces of an image, and
     * FDDB's ellipse overlap samples a 96x96 grid per pair) */
    if (t->n_faces <= (fmt == FK_DET_FORMAT_FDDB ? 4u : 32u)) {
        fk_det_result dets[32];
        size_t n = 0;
        for (size_t i = 0; i < t->n_images; i++)
            for (size_t f = t->images[i].first; f < t->images[i].first + t->images[i].count; f++, n++)
                dets[n] = (fk_det_result){i, t->faces[f].box, (float)(1.0 - (double)n / 128)};
        fk_det_report r;
        int tp[32];
        long matched[32];
        if (fk_det_evaluate(t, dets, n, 0.5, &r, tp, matched, &err) != FK_OK)
            abort();
        if (r.faces != kept || r.detections != n || !(r.ap >= 0 && r.ap <= 1) ||
            !(r.max_recall >= 0 && r.max_recall <= 1))
            abort();
        for (size_t k = 0; k < n; k++)
            if (tp[k] < -1 || tp[k] > 1)
                abort();
        for (size_t f = 0; f < t->n_faces; f++)
            if (matched[f] < -1 || matched[f] >= (long)n)
                abort();
    }
    fk_det_truth_free(t);
    return 0;
}
