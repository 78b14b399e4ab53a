/* dwconv_ref.c: the reference depthwise convolution (one filter per channel), any strides. */
#include "nn/ops/ops.h"

void fk__dwconv_ref(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            for (int c = 0; c < a->c; c++) {
                double acc = 0.0;
                for (int ky = 0; ky < a->kh; ky++) {
                    int iy = oy * a->stride_h - a->pad_top + ky;
                    if (iy < 0 || iy >= x->h)
                        continue;
                    for (int kx = 0; kx < a->kw; kx++) {
                        int ix = ox * a->stride_w - a->pad_left + kx;
                        if (ix < 0 || ix >= x->w)
                            continue;
                        acc += (double)*fk__at(x, n, iy, ix, c) * a->weights[(size_t)(ky * a->kw + kx) * a->c + c];
                    }
                }
                *fk__at(y, n, oy, ox, c) = fk__epilogue_apply(&a->ep, c, (float)acc);
            }
        }
    }
}
