/* hog_pyramid.c: dlib's bilinear resize_image for RGB images (pyramid_down<6> levels, pyramid_up), its pyramid geometry and rectangle mapping, plain C. */
#include <math.h>

#include "face/hog/hog.h"

/* dlib's resize_image(in, out, interpolate_bilinear) for rgb_pixel images, which
 * pyramid_down<N> (N > 3) and pyramid_up use. Source position of output (r, c): (c * x_scale,
 * r * y_scale) with scale = (in - 1) / max(out - 1, 1). Most of each row goes 4 columns at a time
 * in float lanes; the last columns (from where the 4th lane's right neighbour would leave the
 * image) in double. The arithmetic is written out as dlib's -O3 -march=native build computes it:
 *   - the lanes' x: the row start x = -4 x_scale plus k * x_scale (k = 0..3) in double (k = 2, 3
 *     fused: fma(x_scale, k, x)), rounded to float, then 4 * x_scale (float) added once per step, so rounding
 * accumulates along the row; left = trunc(x), lr = x - left, weights (1 - tb)(1 - lr), (1 - tb) lr, tb (1 - lr), tb lr
 * in float; the pixel trunc(fma(br_w, br, fma(bl_w, bl, fma(tr_w, tr, tl_w * tl)))) (g++ fuses the sum tl_w tl + tr_w
 * tr + bl_w bl + br_w br so; a plain build truncates other pixels);
 *   - the tail: x = fma(c, x_scale, -x_scale), then x += x_scale per column, in double; right is
 *     clamped to the last column; the value (1 - tb)((1 - lr) tl + lr tr) + tb((1 - lr) bl + lr br)
 *     with each sum fused as fma(1 - tb, fma(1 - lr, tl, lr tr), tb fma(1 - lr, bl, lr br)), truncated.
 * y: y += y_scale per row from -y_scale (double), top = floor(y), bottom = min(top + 1, h - 1). */
void fk__hog_resize_ref(const uint8_t *in, int iw, int ih, size_t istride, size_t iplane, uint8_t *out, int ow,
                               int oh, size_t ostride, size_t oplane)
{
    if (ow <= 0 || oh <= 0 || iw <= 0 || ih <= 0)
        return;
    const double xs = (iw - 1) / (double)(ow - 1 > 1 ? ow - 1 : 1);
    const double ys = (ih - 1) / (double)(oh - 1 > 1 ? oh - 1 : 1);
    double y = -ys;
    for (int r = 0; r < oh; r++) {
        y += ys;
        const long top = (long)floor(y);
        const long bottom = top + 1 < ih - 1 ? top + 1 : ih - 1;
        const double tb = y - (double)top;
        const uint8_t *T = in + (size_t)top * istride, *B = in + (size_t)bottom * istride;
        uint8_t *o = out + (size_t)r * ostride;
        const double x0 = -4 * xs;
        const float ftb = (float)tb, finv = (float)(1 - tb), fstep = (float)(4 * xs);
        float lx[4] = {(float)x0, (float)(x0 + xs), (float)fma(xs, 2.0, x0), (float)fma(xs, 3.0, x0)};
        long c = 0;
        for (;; c += 4) {
            int left[4], right[4];
            float wtl[4], wtr[4], wbl[4], wbr[4];
            for (int k = 0; k < 4; k++) {
                lx[k] += fstep;
                left[k] = (int)lx[k];
                const float lr = lx[k] - (float)left[k], il = 1 - lr;
                right[k] = left[k] + 1;
                wtl[k] = finv * il;
                wtr[k] = finv * lr;
                wbl[k] = ftb * il;
                wbr[k] = ftb * lr;
            }
            if (right[3] >= iw)
                break;
            for (int k = 0; k < 4; k++)
                for (int ch = 0; ch < 3; ch++) {
                    const float tl = (float)fk__hog_px_get(T, iplane, left[k], ch);
                    const float tr = (float)fk__hog_px_get(T, iplane, right[k], ch);
                    const float bl = (float)fk__hog_px_get(B, iplane, left[k], ch);
                    const float br = (float)fk__hog_px_get(B, iplane, right[k], ch);
                    const float v = fmaf(wbr[k], br, fmaf(wbl[k], bl, fmaf(wtr[k], tr, wtl[k] * tl)));
                    fk__hog_px_put(o, oplane, c + k, ch, (uint8_t)(int)v);
                }
        }
        double x = fma((double)c, xs, -xs);
        for (; c < ow; c++) {
            x += xs;
            const long left = (long)floor(x);
            const long right = left + 1 < iw - 1 ? left + 1 : iw - 1;
            const double lr = x - (double)left;
            for (int ch = 0; ch < 3; ch++) {
                const double tl = fk__hog_px_get(T, iplane, left, ch), tr = fk__hog_px_get(T, iplane, right, ch);
                const double bl = fk__hog_px_get(B, iplane, left, ch), br = fk__hog_px_get(B, iplane, right, ch);
                const double v = fma(1 - tb, fma(1 - lr, tl, lr * tr), tb * fma(1 - lr, bl, lr * br));
                fk__hog_px_put(o, oplane, c, ch, (uint8_t)v);
            }
        }
    }
}

/* pyramid_up(in, out, pyramid_down<2>): out's size is pyr.rect_up(get_rect(in)) + 1, i.e. the
 * corners (0, 0) and (w - 1, h - 1) mapped by p -> (p + (1.25, 0.75)) * 2 and rounded:
 * left 3, top 2, right 2w + 1, bottom 2h, so out is (2w + 2) x (2h + 1). */
void fk__hog_up_size(int w, int h, long *ow, long *oh)
{
    if (w <= 0 || h <= 0) {
        *ow = *oh = 0;
        return;
    }
    const double r = ((double)(w - 1) + 1.25) * 2, b = ((double)(h - 1) + 0.75) * 2;
    *ow = (long)floor(r + 0.5) + 1;
    *oh = (long)floor(b + 0.5) + 1;
}

