/* hog_writer.h: writes small synthetic dlib HOG object_detector files (dlib's encodings, ert/dat_writer.h) for the HOG tests. */
#ifndef FK_TEST_HOG_WRITER_H
#define FK_TEST_HOG_WRITER_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ert/dat_writer.h"

/* A deterministic generator in [-1, 1). */
static inline double hog_rand(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (double)(*s & 0xFFFFFF) / (double)0x800000 - 1.0;
}

typedef struct hog_spec {
    int version; /* 2 (current) or 1 */
    int cell, pad, ww, wh;
    uint64_t max_levels, min_w, min_h;
    double iou, pcov;
    int detectors;
    int rank;      /* each plane's weights: a sum of `rank` outer products; 0: every weight random */
    double thresh; /* each detector's threshold (w's last element) */
    unsigned seed;
} hog_spec;

/* dlib's compute_fhog_window_size (C division truncates, as C++'s does); a cell size below 1
 * (a file meant to be refused) counts as 1 here. */
static inline void hog_window(const hog_spec *s, long *fw, long *fh)
{
    const long cell = s->cell > 0 ? s->cell : 1;
    long l = -(long)(s->ww / 2), t = -(long)(s->wh / 2), r = l + s->ww - 1, bt = t + s->wh - 1;
    long L = (l - 1) / cell - 1 - s->pad, T = (t - 1) / cell - 1 - s->pad;
    long R = (r - 1) / cell - 1 + s->pad, B = (bt - 1) / cell - 1 + s->pad;
    *fw = R - L + 1;
    *fh = B - T + 1;
}

static inline void hog_scanner(dat_buf *b, const hog_spec *s, long dims)
{
    dat_int(b, 1); /* scanner version */
    dat_int(b, 0); /* feats: max_size, size */
    dat_int(b, 0);
    dat_int(b, s->cell);
    dat_int(b, s->pad);
    dat_int(b, s->ww);
    dat_int(b, s->wh);
    dat_int(b, (int64_t)s->max_levels);
    dat_int(b, (int64_t)s->min_w);
    dat_int(b, (int64_t)s->min_h);
    dat_double(b, 1.5); /* nuclear norm strength (not used by scanning) */
    dat_int(b, dims);
}

static inline void hog_weights(dat_buf *b, const hog_spec *s, long fw, long fh, unsigned *seed)
{
    const long size = fw * fh, dims = size * 31;
    dat_int(b, -(dims + 1));
    dat_int(b, -1);
    const int rank = s->rank > 3 ? 3 : s->rank;
    double *u = malloc(sizeof(double) * 3 * (size_t)(fh + fw + 2)), *v = u ? u + 3 * (fh + 1) : NULL;
    if (!u) {
        b->failed = 1;
        return;
    }
    for (long p = 0; p < 31; p++) {
        for (int k = 0; k < rank; k++) {
            for (long i = 0; i < fh; i++)
                u[k * (fh + 1) + i] = hog_rand(seed) * 0.3 / (k + 1);
            for (long i = 0; i < fw; i++)
                v[k * (fw + 1) + i] = hog_rand(seed) * 0.3 / (k + 1);
        }
        for (long r = 0; r < fh; r++)
            for (long c = 0; c < fw; c++) {
                double x = 0;
                if (rank == 0)
                    x = hog_rand(seed) * 0.1;
                for (int k = 0; k < rank; k++)
                    x += u[k * (fh + 1) + r] * v[k * (fw + 1) + c];
                dat_double(b, x);
            }
    }
    free(u);
    dat_double(b, s->thresh);
}

/* A whole object_detector file for s. */
static inline void hog_model(dat_buf *b, const hog_spec *s)
{
    long fw, fh;
    hog_window(s, &fw, &fh);
    const long dims = fw * fh * 31;
    unsigned seed = s->seed ? s->seed : 1;
    dat_int(b, s->version);
    hog_scanner(b, s, dims);
    if (s->version == 1) {
        hog_weights(b, s, fw, fh, &seed);
        dat_double(b, s->iou);
        dat_double(b, s->pcov);
        return;
    }
    dat_double(b, s->iou);
    dat_double(b, s->pcov);
    dat_int(b, s->detectors);
    for (int d = 0; d < s->detectors; d++)
        hog_weights(b, s, fw, fh, &seed);
}

#endif
