/* pool_ref.c: reference max and average pooling (TensorFlow semantics: padding taps are ignored). */
#include <float.h>

#include "nn/ops/ops.h"

void fk__pool_ref(const fk__pool_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            for (int c = 0; c < y->c; c++) {
                double sum = 0.0;
                float mx = -FLT_MAX;
                int taps = 0;
                for (int ky = 0; ky < a->kh; ky++) {
                    int iy = oy * a->stride_h - a->pad_top + ky;
                    if (iy < 0 || iy >= x->h)
                        continue;
                    for (int kx = 0; kx < a->kw; kx++) {
                        int ix = ox * a->stride_w - a->pad_left + kx;
                        if (ix < 0 || ix >= x->w)
                            continue;
                        float v = *fk__at(x, n, iy, ix, c);
                        sum += v;
                        if (v > mx)
                            mx = v;
                        taps++;
                    }
                }
                float out = a->kind == FK__POOL_MAX ? mx : (taps ? (float)(sum / taps) : 0.0f);
                *fk__at(y, n, oy, ox, c) = out;
            }
        }
    }
}

void fk__global_avgpool_ref(const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n, ith, nth, &r0, &r1);
    double inv = 1.0 / ((double)x->h * x->w);
    for (int n = r0; n < r1; n++) {
        for (int c = 0; c < x->c; c++) {
            double sum = 0.0;
            for (int iy = 0; iy < x->h; iy++)
                for (int ix = 0; ix < x->w; ix++)
                    sum += *fk__at(x, n, iy, ix, c);
            *fk__at(y, n, 0, 0, c) = (float)(sum * inv);
        }
    }
}
