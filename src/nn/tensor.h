/* tensor.h: NHWC float32 shapes and strided views, the currency of every nn kernel. */
#ifndef FK_NN_TENSOR_H
#define FK_NN_TENSOR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/checked.h"

/* Shape of a 4-D NHWC tensor. A vector of length k is {1, 1, 1, k}. */
typedef struct fk__shape {
    int n, h, w, c;
} fk__shape;

/* A view of float32 memory as an NHWC tensor with arbitrary strides (in elements).
 * Reference kernels honour every stride; fast kernels state what they need (usually sc == 1). */
typedef struct fk__view {
    float *data;
    int n, h, w, c;
    ptrdiff_t sn, sh, sw, sc;
} fk__view;

static inline fk__shape fk__shape_make(int n, int h, int w, int c)
{
    fk__shape s = {n, h, w, c};
    return s;
}

static inline bool fk__shape_eq(fk__shape a, fk__shape b)
{
    return a.n == b.n && a.h == b.h && a.w == b.w && a.c == b.c;
}

/* Number of elements; false on overflow or a negative dimension. */
static inline bool fk__shape_count(fk__shape s, size_t *out)
{
    if (s.n < 0 || s.h < 0 || s.w < 0 || s.c < 0)
        return false;
    return fk__mul4_size((size_t)s.n, (size_t)s.h, (size_t)s.w, (size_t)s.c, out);
}

/* A packed (contiguous, row-major NHWC) view; the caller has checked the element count. */
static inline fk__view fk__view_packed(float *data, fk__shape s)
{
    fk__view v;
    v.data = data;
    v.n = s.n;
    v.h = s.h;
    v.w = s.w;
    v.c = s.c;
    v.sc = 1;
    v.sw = s.c;
    v.sh = (ptrdiff_t)s.w * s.c;
    v.sn = (ptrdiff_t)s.h * s.w * s.c;
    return v;
}

static inline fk__shape fk__view_shape(const fk__view *v)
{
    return fk__shape_make(v->n, v->h, v->w, v->c);
}

static inline float *fk__at(const fk__view *v, int n, int y, int x, int c)
{
    return v->data + n * v->sn + y * v->sh + x * v->sw + c * v->sc;
}

/* True when the view is contiguous NHWC (what BLAS-backed kernels want). */
static inline bool fk__view_is_packed(const fk__view *v)
{
    return v->sc == 1 && v->sw == v->c && v->sh == (ptrdiff_t)v->w * v->c &&
           (v->n <= 1 || v->sn == (ptrdiff_t)v->h * v->w * v->c);
}

/* Rows (n, y) of a view split evenly between nth workers; worker ith takes [*begin, *end). */
static inline void fk__split_rows(int rows, int ith, int nth, int *begin, int *end)
{
    int per = rows / nth, rem = rows % nth;
    *begin = ith * per + (ith < rem ? ith : rem);
    *end = *begin + per + (ith < rem ? 1 : 0);
}

#endif
