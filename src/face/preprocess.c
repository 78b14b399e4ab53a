/* preprocess.c: crop + pad-to-square + TensorFlow.js bilinear resize, sampling the image directly (no padded copy). */
#include "face/preprocess.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

bool fk__clip_box(double x, double y, double w, double h, int img_w, int img_h, fk__irect *out)
{
    if (!isfinite(x) || !isfinite(y) || !isfinite(w) || !isfinite(h))
        return false;
    double cx = x > 0 ? x : 0, cy = y > 0 ? y : 0;
    double cw = fmin(x + w - cx, img_w - cx), ch = fmin(y + h - cy, img_h - cy);
    double fx = floor(cx), fy = floor(cy), fw = floor(cw), fh = floor(ch);
    if (fw <= 0 || fh <= 0 || fx >= img_w || fy >= img_h)
        return false;
    out->x = (int)fx;
    out->y = (int)fy;
    /* flooring x and w separately can reach one pixel past the edge; keep the slice inside */
    out->w = (int)fmin(fw, img_w - fx);
    out->h = (int)fmin(fh, img_h - fy);
    return true;
}

/* One axis of tf.image.resizeBilinear: the two source indices and the fraction for output i. */
typedef struct tap {
    int lo, hi;
    double frac;
} tap;

static tap axis_tap(int i, int in, int out)
{
    double ratio = (double)in / (double)out;
    double src = ratio * i;
    tap t;
    t.lo = (int)fmax(0.0, floor(src));
    t.frac = src - t.lo;
    t.hi = (int)fmin((double)(in - 1), ceil(src));
    return t;
}


/* A source row of the padded square (NULL outside the region: zeros), and a column's byte
 * offset in it (-1 outside). */
static const uint8_t *square_row(const fk_image *img, fk__irect r, int off_y, int py)
{
    int iy = py - off_y;
    return iy < 0 || iy >= r.h ? NULL : img->data + (size_t)(r.y + iy) * img->stride;
}

static long square_col(fk__irect r, int off_x, int px)
{
    int ix = px - off_x;
    return ix < 0 || ix >= r.w ? -1 : (long)(r.x + ix) * 3;
}

static inline double px_or_zero(const uint8_t *row, long col, int c)
{
    return row && col >= 0 ? row[col + c] : 0.0;
}

/* One output pixel of tf.image.resizeBilinear from its four taps (zeros outside the region). */
static inline void px_any(const uint8_t *lo, const uint8_t *hi, long cl, long ch, double fx, double fy, float *o)
{
    for (int c = 0; c < 3; c++) {
        double tl = px_or_zero(lo, cl, c), tr = px_or_zero(lo, ch, c);
        double bl = px_or_zero(hi, cl, c), br = px_or_zero(hi, ch, c);
        double top = tl + (tr - tl) * fx;
        double bottom = bl + (br - bl) * fx;
        o[c] = (float)(top + (bottom - top) * fy);
    }
}

/* px_any where all four taps are inside the region: the same arithmetic without the zero tests,
 * which cost more than the arithmetic on a 416x416 or 512x512 input. */
static inline void px_inside(const uint8_t *lo, const uint8_t *hi, long cl, long ch, double fx, double fy, float *o)
{
    for (int c = 0; c < 3; c++) {
        double tl = lo[cl + c], tr = lo[ch + c], bl = hi[cl + c], br = hi[ch + c];
        double top = tl + (tr - tl) * fx;
        double bottom = bl + (br - bl) * fx;
        o[c] = (float)(top + (bottom - top) * fy);
    }
}

#define FK__MAX_NET_INPUT 2048 /* column taps on the stack: the largest net input (Tiny at 2048) */

void fk__net_input(const fk_image *img, fk__irect r, int size, bool centered, float *out)
{
    int side = r.w > r.h ? r.w : r.h;
    int diff = side - (r.w > r.h ? r.h : r.w);
    /* padToSquare appends round(diff/2) and prepends the rest; JS Math.round rounds .5 up */
    int before = centered ? diff - (diff + 1) / 2 : 0;
    int off_x = r.w < r.h ? before : 0, off_y = r.h < r.w ? before : 0;
    assert(size > 0 && size <= FK__MAX_NET_INPUT);
    /* the column taps are the same on every row: computed once */
    long col_lo[FK__MAX_NET_INPUT], col_hi[FK__MAX_NET_INPUT];
    double col_frac[FK__MAX_NET_INPUT];
    for (int ox = 0; ox < size; ox++) {
        tap tx = axis_tap(ox, side, size);
        if (side == size)
            tx.lo = tx.hi = ox, tx.frac = 0.0;
        col_lo[ox] = square_col(r, off_x, tx.lo);
        col_hi[ox] = square_col(r, off_x, tx.hi);
        col_frac[ox] = tx.frac;
    }
    /* the columns whose taps are both inside the region: the taps only grow with ox, so one range */
    int in0 = 0, in1 = size;
    while (in0 < size && (col_lo[in0] < 0 || col_hi[in0] < 0))
        in0++;
    while (in1 > in0 && (col_lo[in1 - 1] < 0 || col_hi[in1 - 1] < 0))
        in1--;
    for (int oy = 0; oy < size; oy++) {
        tap ty = axis_tap(oy, side, size);
        if (side == size)
            ty.lo = ty.hi = oy, ty.frac = 0.0;
        const uint8_t *lo = square_row(img, r, off_y, ty.lo), *hi = square_row(img, r, off_y, ty.hi);
        float *o = out + (size_t)oy * size * 3;
        int a = lo && hi ? in0 : size, b = lo && hi ? in1 : size;
        for (int ox = 0; ox < a; ox++)
            px_any(lo, hi, col_lo[ox], col_hi[ox], col_frac[ox], ty.frac, o + 3 * ox);
        for (int ox = a; ox < b; ox++)
            px_inside(lo, hi, col_lo[ox], col_hi[ox], col_frac[ox], ty.frac, o + 3 * ox);
        for (int ox = b; ox < size; ox++)
            px_any(lo, hi, col_lo[ox], col_hi[ox], col_frac[ox], ty.frac, o + 3 * ox);
    }
}

void fk__resize_bilinear_tf(const float *src, int src_h, int src_w, int size_h, int size_w, float *out)
{
    for (int oy = 0; oy < size_h; oy++) {
        tap ty = axis_tap(oy, src_h, size_h);
        for (int ox = 0; ox < size_w; ox++) {
            tap tx = axis_tap(ox, src_w, size_w);
            for (int c = 0; c < 3; c++) {
                double tl = src[((size_t)ty.lo * src_w + tx.lo) * 3 + c];
                double tr = src[((size_t)ty.lo * src_w + tx.hi) * 3 + c];
                double bl = src[((size_t)ty.hi * src_w + tx.lo) * 3 + c];
                double br = src[((size_t)ty.hi * src_w + tx.hi) * 3 + c];
                double top = tl + (tr - tl) * tx.frac;
                double bottom = bl + (br - bl) * tx.frac;
                out[((size_t)oy * size_w + ox) * 3 + c] = (float)(top + (bottom - top) * ty.frac);
            }
        }
    }
}
