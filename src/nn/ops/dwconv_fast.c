/* dwconv_fast.c: depthwise convolution with channels innermost so the compiler vectorises the taps. */
#include <string.h>

#include "nn/ops/ops.h"

#define FK__DW_MAX_C 1024 /* accumulator row on the stack; wider layers fall back to the reference */

void fk__dwconv_fast(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    if (a->c > FK__DW_MAX_C) {
        fk__dwconv_ref(a, x, y, ith, nth);
        return;
    }
    float acc[FK__DW_MAX_C];
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    const int c = a->c;
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            memset(acc, 0, sizeof(float) * c);
            for (int ky = 0; ky < a->kh; ky++) {
                int iy = oy * a->stride_h - a->pad_top + ky;
                if (iy < 0 || iy >= x->h)
                    continue;
                for (int kx = 0; kx < a->kw; kx++) {
                    int ix = ox * a->stride_w - a->pad_left + kx;
                    if (ix < 0 || ix >= x->w)
                        continue;
                    const float *restrict in = fk__at(x, n, iy, ix, 0);
                    const float *restrict w = a->weights + (size_t)(ky * a->kw + kx) * c;
                    for (int ch = 0; ch < c; ch++)
                        acc[ch] += in[ch] * w[ch];
                }
            }
            fk__epilogue_row(&a->ep, acc, c);
            memcpy(fk__at(y, n, oy, ox, 0), acc, sizeof(float) * c);
        }
    }
}
