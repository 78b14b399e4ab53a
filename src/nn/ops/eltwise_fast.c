/* eltwise_fast.c: add, affine and pooling over packed channels, as flat loops the compiler vectorises. */
#include <float.h>

#include "nn/ops/ops.h"

bool fk__add_fast_fits(const fk__view *a, const fk__view *b, const fk__view *y)
{
    /* equal shapes, or the zero extension of ResNet shortcuts: a and b no larger than y */
    return a->n == y->n && b->n == y->n && a->h <= y->h && a->w <= y->w && a->c <= y->c && b->h <= y->h &&
           b->w <= y->w && b->c <= y->c && a->sc == 1 && b->sc == 1 && y->sc == 1;
}

/* One output pixel of a zero-extended add: each input's part where it has the pixel, x + 0.0f
 * where only one has it (what the reference's get_or_zero sum gives, -0.0f included). */
static void add_ext_pixel(const fk__view *a, const fk__view *b, const fk__view *y, int n, int oy, int ox)
{
    float *restrict py = fk__at(y, n, oy, ox, 0);
    const int ca = oy < a->h && ox < a->w ? a->c : 0, cb = oy < b->h && ox < b->w ? b->c : 0;
    const float *pa = ca ? fk__at(a, n, oy, ox, 0) : NULL, *pb = cb ? fk__at(b, n, oy, ox, 0) : NULL;
    int both = ca < cb ? ca : cb, i = 0;
    for (; i < both; i++)
        py[i] = pa[i] + pb[i];
    for (; i < ca; i++)
        py[i] = pa[i] + 0.0f;
    for (; i < cb; i++)
        py[i] = 0.0f + pb[i];
    for (; i < y->c; i++)
        py[i] = 0.0f;
}

void fk__add_fast(const fk__view *a, const fk__view *b, const fk__view *y, const fk__epilogue *ep, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    const int c = y->c;
    const bool same =
        fk__shape_eq(fk__view_shape(a), fk__view_shape(y)) && fk__shape_eq(fk__view_shape(b), fk__view_shape(y));
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            if (!same) {
                add_ext_pixel(a, b, y, n, oy, ox);
                fk__epilogue_row(ep, fk__at(y, n, oy, ox, 0), c);
                continue;
            }
            const float *restrict pa = fk__at(a, n, oy, ox, 0);
            const float *restrict pb = fk__at(b, n, oy, ox, 0);
            float *restrict py = fk__at(y, n, oy, ox, 0);
            for (int i = 0; i < c; i++)
                py[i] = pa[i] + pb[i];
            fk__epilogue_row(ep, py, c);
        }
    }
}

bool fk__pool_fast_fits(const fk__pool_args *a, const fk__view *x, const fk__view *y)
{
    return x->sc == 1 && y->sc == 1 && a->kh * a->kw <= 64;
}

void fk__pool_fast(const fk__pool_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    const int c = y->c;
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            float *restrict out = fk__at(y, n, oy, ox, 0);
            int taps = 0;
            for (int ky = 0; ky < a->kh; ky++) {
                int iy = oy * a->stride_h - a->pad_top + ky;
                if (iy < 0 || iy >= x->h)
                    continue;
                for (int kx = 0; kx < a->kw; kx++) {
                    int ix = ox * a->stride_w - a->pad_left + kx;
                    if (ix < 0 || ix >= x->w)
                        continue;
                    const float *restrict in = fk__at(x, n, iy, ix, 0);
                    if (taps == 0)
                        for (int i = 0; i < c; i++)
                            out[i] = in[i];
                    else if (a->kind == FK__POOL_MAX)
                        for (int i = 0; i < c; i++)
                            out[i] = in[i] > out[i] ? in[i] : out[i];
                    else
                        for (int i = 0; i < c; i++)
                            out[i] += in[i];
                    taps++;
                }
            }
            if (taps == 0)
                for (int i = 0; i < c; i++)
                    out[i] = a->kind == FK__POOL_MAX ? -FLT_MAX : 0.0f;
            else if (a->kind == FK__POOL_AVG) {
                float inv = 1.0f / (float)taps;
                for (int i = 0; i < c; i++)
                    out[i] *= inv;
            }
        }
    }
}

void fk__affine_fast(const fk__affine_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    const int c = y->c;
    /* x * scale + shift, then the activation: the convolution epilogue without a bias */
    const fk__epilogue ep = {.scale = a->scale, .shift = a->shift, .act = a->act, .alpha = a->alpha, .slopes = a->slopes};
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            const float *restrict in = fk__at(x, n, oy, ox, 0);
            float *restrict out = fk__at(y, n, oy, ox, 0);
            for (int i = 0; i < c; i++)
                out[i] = in[i];
            fk__epilogue_row(&ep, out, c);
        }
    }
}
