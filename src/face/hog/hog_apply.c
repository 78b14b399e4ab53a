/* hog_apply.c: dlib's apply_filters_to_fhog (separable parts or full filters over the 31 planes), plain C in dlib's order of float operations. */
#include <math.h>
#include <string.h>

#include "face/hog/hog.h"

/* The float arithmetic is dlib's as g++ 12 -O3 -march=native compiles it (spatial_filtering.h):
 *   - 8-lane columns: three accumulators over taps n = 0, 3, 6, ... / 1, 4, 7, ... / 2, 5, 8, ...
 *     while three taps remain, each step fused (fma); the leftover taps into the first
 *     accumulator unfused (multiply, then add); then first + (second + third);
 *   - the last columns, along a row (the row pass, and each row of a full filter): the taps in
 *     order into one sum, the first n & ~3 of them unfused (g++ vectorises their products) and
 *     the last n & 3 fused;
 *   - the last columns, down a column (the column pass): the taps in order, the first n & ~1
 *     unfused (products two at a time) and an odd last one fused.
 * A plain build (no fma) gives results that differ in the last bits. */

/* taps n of x[n * step] * f[n], the 8-lane way */
static inline float taps_lanes(const float *x, size_t step, const float *f, int n_taps)
{
    float t1 = 0, t2 = 0, t3 = 0;
    int n = 0;
    for (; n < n_taps - 2; n += 3) {
        t1 = fmaf(x[(size_t)n * step], f[n], t1);
        t2 = fmaf(x[(size_t)(n + 1) * step], f[n + 1], t2);
        t3 = fmaf(x[(size_t)(n + 2) * step], f[n + 2], t3);
    }
    for (; n < n_taps; n++)
        t1 = t1 + x[(size_t)n * step] * f[n];
    return t1 + (t2 + t3);
}

/* the last columns' sum along a row, added to t: n & ~3 taps unfused, the rest fused */
static inline float taps_row_tail(float t, const float *x, const float *f, int n_taps)
{
    const int plain = n_taps & ~3;
    int n = 0;
    for (; n < plain; n++)
        t = t + x[n] * f[n];
    for (; n < n_taps; n++)
        t = fmaf(x[n], f[n], t);
    return t;
}

/* the last columns' sum down a column: n & ~1 taps unfused, an odd last one fused */
static inline float taps_col_tail(const float *x, size_t step, const float *f, int n_taps)
{
    const int plain = n_taps & ~1;
    float t = 0;
    int n = 0;
    for (; n < plain; n++)
        t = t + x[(size_t)n * step] * f[n];
    for (; n < n_taps; n++)
        t = fmaf(x[(size_t)n * step], f[n], t);
    return t;
}

/* zero_border_pixels(img, rect): every element outside rows [t, b], columns [l, r]. */
static void zero_border(float *img, int rows, int cols, size_t stride, long t, long l, long b, long r)
{
    for (long y = 0; y < rows; y++) {
        float *o = img + (size_t)y * stride;
        if (y < t || y > b || r < l) {
            memset(o, 0, sizeof(float) * (size_t)cols);
            continue;
        }
        for (long x = 0; x < cols; x++)
            if (x < l || x > r)
                o[x] = 0;
    }
}

/* float_spatially_filter_image_separable(plane, sal, row, col, scratch, add_to). */
static void separable(const float *in, int rows, int cols, size_t stride, const float *row, int fw, const float *col,
                      int fh, float *sal, float *scratch, bool add_to)
{
    const long first_row = fh / 2, first_col = fw / 2;
    const long last_row = rows - (fh - 1) / 2, last_col = cols - (fw - 1) / 2;
    if (!add_to)
        zero_border(sal, rows, cols, stride, first_row, first_col, last_row - 1, last_col - 1);
    for (long r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * stride;
        float *s = scratch + (size_t)r * stride;
        long c = first_col;
        for (; c < last_col - 7; c += 8)
            for (long k = c; k < c + 8; k++)
                s[k] = taps_lanes(x + k - first_col, 1, row, fw);
        for (; c < last_col; c++)
            s[c] = taps_row_tail(0, x + c - first_col, row, fw);
    }
    for (long r = first_row; r < last_row; r++) {
        const float *s = scratch + (size_t)(r - first_row) * stride;
        float *o = sal + (size_t)r * stride;
        long c = first_col;
        for (; c < last_col - 7; c += 8)
            for (long k = c; k < c + 8; k++) {
                const float v = taps_lanes(s + k, stride, col, fh);
                o[k] = add_to ? o[k] + v : v;
            }
        for (; c < last_col; c++) {
            const float v = taps_col_tail(s + c, stride, col, fh);
            o[c] = add_to ? o[c] + v : v;
        }
    }
}

/* float_spatially_filter_image(plane, sal, filter, add_to): the fh x fw filter, its rows in order,
 * each row's taps as taps_lanes splits them (8-lane columns) or as taps_row_tail sums them. */
static void full(const float *in, int rows, int cols, size_t stride, const float *filt, int fw, int fh, float *sal,
                 bool add_to)
{
    const long first_row = fh / 2, first_col = fw / 2;
    const long last_row = rows - (fh - 1) / 2, last_col = cols - (fw - 1) / 2;
    if (!add_to)
        zero_border(sal, rows, cols, stride, first_row, first_col, last_row - 1, last_col - 1);
    for (long r = first_row; r < last_row; r++) {
        float *o = sal + (size_t)r * stride;
        long c = first_col;
        for (; c < last_col - 7; c += 8)
            for (long k = c; k < c + 8; k++) {
                float t1 = 0, t2 = 0, t3 = 0;
                for (int m = 0; m < fh; m++) {
                    const float *x = in + (size_t)(r - first_row + m) * stride + (k - first_col);
                    const float *f = filt + (size_t)m * (size_t)fw;
                    int n = 0;
                    for (; n < fw - 2; n += 3) {
                        t1 = fmaf(x[n], f[n], t1);
                        t2 = fmaf(x[n + 1], f[n + 1], t2);
                        t3 = fmaf(x[n + 2], f[n + 2], t3);
                    }
                    for (; n < fw; n++)
                        t1 = t1 + x[n] * f[n];
                }
                const float v = t1 + (t2 + t3);
                o[k] = add_to ? o[k] + v : v;
            }
        for (; c < last_col; c++) {
            float t = 0;
            for (int m = 0; m < fh; m++)
                t = taps_row_tail(t, in + (size_t)(r - first_row + m) * stride + (c - first_col),
                                  filt + (size_t)m * (size_t)fw, fw);
            o[c] = add_to ? o[c] + t : t;
        }
    }
}

size_t fk__hog_apply_scratch(int rows, size_t stride, int fh)
{
    /* the plain C's whole-map row pass, or the fast kernel's strip of rows in blocks of 8 columns
     * (the last one whole) */
    size_t a = (size_t)rows, b = (size_t)FK__HOG_STRIP + (size_t)fh;
    return (a > b ? a : b) * (stride + 8) + 64;
}

void fk__hog_apply_ref(const fk__hog *m, const fk__hog_filter *flt, const fk__hog_fmap *f, float *sal, float *scratch,
                       long *top, long *left, long *bottom, long *right)
{
    const int fw = m->fw, fh = m->fh;
    /* dlib returns an empty rectangle() (0, 0, -1, -1) when there is nothing to filter */
    *top = *left = 0;
    *bottom = *right = -1;
    if (f->rows == 0 || f->cols == 0)
        return;
    if (flt->separable && flt->num_sep == 0) {
        for (int r = 0; r < f->rows; r++)
            memset(sal + (size_t)r * f->stride, 0, sizeof(float) * (size_t)f->cols);
        return;
    }
    *top = fh / 2;
    *left = fw / 2;
    *bottom = f->rows - (fh - 1) / 2 - 1;
    *right = f->cols - (fw - 1) / 2 - 1;
    if (flt->separable) {
        for (int j = 0; j < flt->num_sep; j++) {
            const fk__hog_sep *s = &flt->sep[j];
            separable(f->data + (size_t)s->plane * f->plane, f->rows, f->cols, f->stride, s->row, fw, s->col, fh, sal,
                      scratch, j > 0);
        }
    } else {
        for (int p = 0; p < FK__HOG_PLANES; p++)
            full(f->data + (size_t)p * f->plane, f->rows, f->cols, f->stride, flt->full + (size_t)p * (size_t)(fw * fh),
                 fw, fh, sal, p > 0);
    }
}
