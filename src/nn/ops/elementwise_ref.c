/* elementwise_ref.c: reference add (with zero extension), binary ops, affine/activation, channel slice, L2 normalisation, sigmoid, softmax and concat. */
#include <math.h>

#include "nn/ops/ops.h"

static inline float get_or_zero(const fk__view *v, int n, int y, int x, int c)
{
    if (y >= v->h || x >= v->w || c >= v->c)
        return 0.0f;
    return *fk__at(v, n, y, x, c);
}

void fk__add_ref(const fk__view *a, const fk__view *b, const fk__view *y, const fk__epilogue *ep, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++)
            for (int c = 0; c < y->c; c++) {
                float v = get_or_zero(a, n, oy, ox, c) + get_or_zero(b, n, oy, ox, c);
                *fk__at(y, n, oy, ox, c) = fk__epilogue_apply(ep, c, v);
            }
    }
}

void fk__affine_ref(const fk__affine_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    const fk__epilogue ep = {.scale = a->scale, .shift = a->shift, .act = a->act, .alpha = a->alpha, .slopes = a->slopes};
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++)
            for (int c = 0; c < y->c; c++)
                *fk__at(y, n, oy, ox, c) = fk__epilogue_apply(&ep, c, *fk__at(x, n, oy, ox, c));
    }
}

void fk__binary_ref(fk__binop op, const fk__view *a, const fk__view *b, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++)
            for (int c = 0; c < y->c; c++) {
                float p = *fk__at(a, n, oy, ox, c), q = *fk__at(b, n, oy, ox, c);
                *fk__at(y, n, oy, ox, c) = op == FK__BIN_SUB ? p - q : op == FK__BIN_MUL ? p * q : p / q;
            }
    }
}

void fk__slice_ref(const fk__slice_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++)
            for (int c = 0; c < y->c; c++)
                *fk__at(y, n, oy, ox, c) = *fk__at(x, n, oy, ox, a->c0 + c * a->step);
    }
}

void fk__l2norm_ref(float eps, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            float sum = 0.0f;
            for (int c = 0; c < y->c; c++) {
                float v = *fk__at(x, n, oy, ox, c);
                sum += v * v;
            }
            float inv = 1.0f / sqrtf(sum > eps ? sum : eps);
            for (int c = 0; c < y->c; c++)
                *fk__at(y, n, oy, ox, c) = *fk__at(x, n, oy, ox, c) * inv;
        }
    }
}

void fk__sigmoid_ref(const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++)
            for (int c = 0; c < y->c; c++) {
                double v = *fk__at(x, n, oy, ox, c);
                *fk__at(y, n, oy, ox, c) = (float)(1.0 / (1.0 + exp(-v)));
            }
    }
}

void fk__softmax_ref(const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            /* subtract the max so exp never overflows */
            double mx = -INFINITY, sum = 0.0;
            for (int c = 0; c < y->c; c++) {
                double v = *fk__at(x, n, oy, ox, c);
                if (v > mx)
                    mx = v;
            }
            for (int c = 0; c < y->c; c++)
                sum += exp((double)*fk__at(x, n, oy, ox, c) - mx);
            for (int c = 0; c < y->c; c++)
                *fk__at(y, n, oy, ox, c) = (float)(exp((double)*fk__at(x, n, oy, ox, c) - mx) / sum);
        }
    }
}

void fk__concat_ref(const fk__view *xs, int count, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            int co = 0;
            for (int i = 0; i < count; i++)
                for (int c = 0; c < xs[i].c; c++)
                    *fk__at(y, n, oy, ox, co++) = *fk__at(&xs[i], n, oy, ox, c);
        }
    }
}
