/* conv2d_ref.c: the reference 2-D convolution: direct loops over any strides, the ground truth for fast kernels. */
#include "nn/ops/ops.h"

void fk__conv2d_ref(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            for (int co = 0; co < a->cout; co++) {
                /* double accumulation keeps the reference well away from the fast kernels' error */
                double acc = 0.0;
                for (int ky = 0; ky < a->kh; ky++) {
                    int iy = oy * a->stride_h - a->pad_top + ky;
                    if (iy < 0 || iy >= x->h)
                        continue;
                    for (int kx = 0; kx < a->kw; kx++) {
                        int ix = ox * a->stride_w - a->pad_left + kx;
                        if (ix < 0 || ix >= x->w)
                            continue;
                        size_t k0 = (size_t)(ky * a->kw + kx) * a->cin;
                        for (int ci = 0; ci < a->cin; ci++)
                            acc += (double)*fk__at(x, n, iy, ix, ci) * fk__conv2d_weight(a, k0 + (size_t)ci, co);
                    }
                }
                *fk__at(y, n, oy, ox, co) = fk__epilogue_apply(&a->ep, co, (float)acc);
            }
        }
    }
}
