/* preprocess.c: crop + pad-to-square + TensorFlow.js bilinear resize, sampling the image directly (no padded copy). */
#include "face/preprocess.h"

#include <math.h>
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

/* The padded square's pixel (py, px) in image coordinates, or zero outside the region. */
static inline double sample(const fk_image *img, fk__irect r, int off_y, int off_x, int py, int px, int c)
{
    int iy = py - off_y, ix = px - off_x;
    if (iy < 0 || ix < 0 || iy >= r.h || ix >= r.w)
        return 0.0;
    return img->data[(size_t)(r.y + iy) * img->stride + (size_t)(r.x + ix) * 3 + c];
}

void fk__net_input(const fk_image *img, fk__irect r, int size, bool centered, float *out)
{
    int side = r.w > r.h ? r.w : r.h;
    int diff = side - (r.w > r.h ? r.h : r.w);
    /* padToSquare appends round(diff/2) and prepends the rest; JS Math.round rounds .5 up */
    int before = centered ? diff - (diff + 1) / 2 : 0;
    int off_x = r.w < r.h ? before : 0, off_y = r.h < r.w ? before : 0;
    for (int oy = 0; oy < size; oy++) {
        tap ty = axis_tap(oy, side, size);
        if (side == size)
            ty.lo = ty.hi = oy, ty.frac = 0.0;
        for (int ox = 0; ox < size; ox++) {
            tap tx = axis_tap(ox, side, size);
            if (side == size)
                tx.lo = tx.hi = ox, tx.frac = 0.0;
            float *o = out + ((size_t)oy * size + ox) * 3;
            for (int c = 0; c < 3; c++) {
                double tl = sample(img, r, off_y, off_x, ty.lo, tx.lo, c);
                double tr = sample(img, r, off_y, off_x, ty.lo, tx.hi, c);
                double bl = sample(img, r, off_y, off_x, ty.hi, tx.lo, c);
                double br = sample(img, r, off_y, off_x, ty.hi, tx.hi, c);
                double top = tl + (tr - tl) * tx.frac;
                double bottom = bl + (br - bl) * tx.frac;
                o[c] = (float)(top + (bottom - top) * ty.frac);
            }
        }
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
