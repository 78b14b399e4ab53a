/* detect_dlib.c: fk_face_detect with dlib's HOG or MMOD detector: dlib's rectangles as facekit boxes, in dlib's order. */
#include <stdlib.h>

#include "core/error.h"
#include "face/dlib/dlib_nets.h"
#include "face/hog/hog.h"
#include "face/session.h"

/* dlib's inclusive rectangle as a box: its corner pixels are (left, top) and (right, bottom). */
static fk_face face_of(long l, long t, long r, long b, double score, fk_detector detector)
{
    fk_face f = {0};
    f.box = (fk_box){(double)l, (double)t, (double)(r - l + 1), (double)(b - t + 1)};
    f.score = (float)score;
    f.detector = detector;
    return f;
}

fk_status fk__detect_dlib(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                          size_t *count)
{
    const fk_models *m = s->models;
    fk_error e = {0};
    fk_status st;
    size_t n = 0;
    fk_face *out = NULL;
    if (o->detector == FK_DETECTOR_HOG) {
        if (!m->hog)
            return fk__session_fail(s, FK_E_BAD_STATE, "dlib's HOG detector was not loaded (FK_NET_HOG)");
        fk__hog_det *d = NULL;
        st = s->hog_ctx ? FK_OK : fk__hog_ctx_new(&s->hog_ctx, &e);
        if (st == FK_OK)
            st = fk__hog_detect_ctx(s->hog_ctx, m->hog, img, o->upsample, o->dlib_threshold, FK__HOG_KERNELS_AUTO,
                                    &d, &n, &e);
        /* past about 400 MB of buffers (a scan of over 32 megapixels) they are not worth keeping */
        if ((double)img->width * img->height * (double)(1ull << (2 * o->upsample)) > 32e6) {
            fk__hog_ctx_free(s->hog_ctx);
            s->hog_ctx = NULL;
        }
        if (st == FK_OK && n) {
            out = calloc(n, sizeof *out);
            if (!out)
                st = fk__fail(&e, FK_E_NO_MEMORY, "out of memory for %zu faces", n);
            for (size_t i = 0; out && i < n; i++)
                out[i] = face_of(d[i].left, d[i].top, d[i].right, d[i].bottom, d[i].score, FK_DETECTOR_HOG);
        }
        free(d);
    } else {
        if (!m->mmod)
            return fk__session_fail(s, FK_E_BAD_STATE, "dlib's MMOD detector was not loaded (FK_NET_MMOD)");
        fk__mmod_rect *d = NULL;
        fk__mmod_run run = {0};
        run.adjust_threshold = o->dlib_threshold;
        run.pool = s->pool;
        run.kernels = s->kernels;
        st = fk__mmod_detect(m->mmod, img, o->upsample, &run, &d, &n, &e);
        if (st == FK_OK && n) {
            out = calloc(n, sizeof *out);
            if (!out)
                st = fk__fail(&e, FK_E_NO_MEMORY, "out of memory for %zu faces", n);
            for (size_t i = 0; out && i < n; i++)
                out[i] = face_of(d[i].left, d[i].top, d[i].right, d[i].bottom, d[i].score, FK_DETECTOR_MMOD);
        }
        free(d);
    }
    if (st != FK_OK) {
        free(out);
        return fk__session_take(s, st, &e);
    }
    if (o->max_faces > 0 && n > (size_t)o->max_faces)
        n = (size_t)o->max_faces;
    *faces = out;
    *count = n;
    return FK_OK;
}
