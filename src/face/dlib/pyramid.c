/* pyramid.c: dlib's pyramid_up (8-bit RGB) and the tiled float image pyramid of input_rgb_image_pyramid, bit for bit as dlib 19.24 computes them. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "face/dlib/dlib_nets.h"

/* Both resamplers follow dlib's resize_image with interpolate_bilinear for images of the same
 * pixel kind (image_transforms/interpolation.h): rows step y by repeated addition of the scale in
 * double; each row runs four output pixels at a time in single precision (the x positions start
 * as floats and grow by a float 4 * scale, left = truncation, weights in float, the four products
 * summed left to right), until the fourth pixel's right neighbour falls outside the input; the
 * rest of the row is computed in double. Plain C float arithmetic is what dlib's SSE lanes do
 * (facekit compiles without contraction into FMA), so the results are the same bits. */

static long lmin(long a, long b)
{
    return a < b ? a : b;
}

/* ---- pyramid_up: 8-bit RGB ---------------------------------------------------------------- */

/* pyramid_down<2>::rect_up of the image's rectangle, rounded to a rectangle as dlib does
 * (floor(v + 0.5)): the output is (bottom + 1) x (right + 1). */
static void up_size(int w, int h, long *ow, long *oh)
{
    double r = ((double)(w - 1) + 1.25) * 2, b = ((double)(h - 1) + 0.75) * 2;
    *ow = (long)floor(r + 0.5) + 1;
    *oh = (long)floor(b + 0.5) + 1;
}

/* One step of dlib's 4-lane bilinear interpolation (both resizes below): each lane's x moves on
 * by step; its left and right source columns and the four corner weights, in dlib's float order. */
static inline void lane_weights(float lx[4], float step, float ftb, float finv_tb, int32_t left[4], int32_t right[4],
                                float wtl[4], float wtr[4], float wbl[4], float wbr[4])
{
    for (int k = 0; k < 4; k++) {
        lx[k] += step;
        left[k] = (int32_t)lx[k];
        float lr = lx[k] - (float)left[k], inv = 1 - lr;
        right[k] = left[k] + 1;
        wtl[k] = finv_tb * inv;
        wtr[k] = finv_tb * lr;
        wbl[k] = ftb * inv;
        wbr[k] = ftb * lr;
    }
}

static void resize_rgb(const fk_image *in, fk_image *out)
{
    const long iw = in->width, ih = in->height, ow = out->width, oh = out->height;
    const double xs = (double)(iw - 1) / (double)(ow - 1 > 1 ? ow - 1 : 1);
    const double ys = (double)(ih - 1) / (double)(oh - 1 > 1 ? oh - 1 : 1);
    double y = -ys;
    for (long r = 0; r < oh; r++) {
        y += ys;
        const long top = (long)floor(y), bottom = lmin(top + 1, ih - 1);
        const double tb = y - top;
        const uint8_t *t = in->data + (size_t)top * in->stride, *bo = in->data + (size_t)bottom * in->stride;
        uint8_t *o = out->data + (size_t)r * out->stride;
        const float ftb = (float)tb, finv_tb = (float)(1 - tb), step = (float)(4 * xs);
        const double x0 = -4 * xs;
        float lx[4] = {(float)x0, (float)(x0 + xs), (float)(x0 + 2 * xs), (float)(x0 + 3 * xs)};
        long c = 0;
        for (;; c += 4) {
            int32_t left[4], right[4];
            float wtl[4], wtr[4], wbl[4], wbr[4];
            lane_weights(lx, step, ftb, finv_tb, left, right, wtl, wtr, wbl, wbr);
            if (right[3] >= iw || c + 3 >= ow) /* the second never holds first: see the header */
                break;
            for (int k = 0; k < 4; k++)
                for (int ch = 0; ch < 3; ch++) {
                    float v = wtl[k] * t[3 * left[k] + ch] + wtr[k] * t[3 * right[k] + ch] +
                              wbl[k] * bo[3 * left[k] + ch] + wbr[k] * bo[3 * right[k] + ch];
                    o[3 * (c + k) + ch] = (uint8_t)(int32_t)v;
                }
        }
        double x = -xs + (double)c * xs;
        for (; c < ow; c++) {
            x += xs;
            const long left = (long)floor(x), right = lmin(left + 1, iw - 1);
            const double lr = x - left;
            for (int ch = 0; ch < 3; ch++) {
                double v = (1 - tb) * ((1 - lr) * t[3 * left + ch] + lr * t[3 * right + ch]) +
                           tb * ((1 - lr) * bo[3 * left + ch] + lr * bo[3 * right + ch]);
                o[3 * c + ch] = (uint8_t)v;
            }
        }
    }
}

fk_status fk__dlib_pyramid_up(const fk_image *in, fk_image **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_pyramid_up: NULL out");
    *out = NULL;
    if (!in || !in->data || in->width < 1 || in->height < 1)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_pyramid_up: no image");
    long ow, oh;
    up_size(in->width, in->height, &ow, &oh);
    if (ow > FK_IMAGE_DEFAULT_MAX_SIDE || oh > FK_IMAGE_DEFAULT_MAX_SIDE ||
        (uint64_t)ow * (uint64_t)oh > FK_IMAGE_DEFAULT_MAX_PIXELS)
        return fk__fail(err, FK_E_LIMIT, "a %dx%d image upsampled would be %ldx%ld, over the image limits", in->width,
                        in->height, ow, oh);
    fk_status st = fk_image_new((int)ow, (int)oh, out, err);
    if (st != FK_OK)
        return st;
    resize_rgb(in, *out);
    return FK_OK;
}

/* ---- the tiled pyramid ---------------------------------------------------------------------- */

typedef struct rect {
    long l, t, r, b;
} rect;

/* dlib's rectangle::width() and height(): unsigned long, 0 when empty. The tiling's arithmetic
 * mixes them with longs, so it is kept in unsigned 64-bit here where dlib's is. */
static uint64_t rw(rect a)
{
    return a.r < a.l || a.b < a.t ? 0 : (uint64_t)(a.r - a.l + 1);
}

static uint64_t rh(rect a)
{
    return a.r < a.l || a.b < a.t ? 0 : (uint64_t)(a.b - a.t + 1);
}

static bool empty(rect a)
{
    return a.r < a.l || a.b < a.t;
}

fk_status fk__dlib_tiling_compute(long nr, long nc, int pyramid_n, int padding_i, int outer_i, fk__dlib_tiling *t,
                                  fk_error *err)
{
    if (!t || nr < 0 || nc < 0 || pyramid_n < 2 || pyramid_n > 20 || padding_i < 0 || outer_i < 0 || nr > 1000000 ||
        nc > 1000000)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_tiling_compute: bad arguments");
    memset(t, 0, sizeof *t);
    if (nr * nc == 0)
        return FK_OK;
    const uint64_t padding = (uint64_t)padding_i, outer = (uint64_t)outer_i;
    rect rects[FK__DLIB_MAX_LEVELS];
    int n = 0;
    const long min_height = 5;
    rects[n++] = (rect){0, 0, nc - 1, nr - 1};
    for (;;) {
        /* find_pyramid_down_output_image_size: N = 2 and 3 have their own rules in dlib */
        if (pyramid_n == 2) {
            nr = (nr - 3) / 2;
            nc = (nc - 3) / 2;
        } else if (pyramid_n == 3) {
            nr = 2 * (nr - 2) / 3;
            nc = 2 * (nc - 2) / 3;
        } else {
            const double rate = (pyramid_n - 1.0) / pyramid_n;
            nr = (long)floor(rate * (double)nr);
            nc = (long)floor(rate * (double)nc);
        }
        if (nr * nc == 0 || nr < min_height || nr < 0 || nc < 0)
            break;
        if (n == FK__DLIB_MAX_LEVELS)
            return fk__fail(err, FK_E_LIMIT, "more than %d pyramid levels", FK__DLIB_MAX_LEVELS);
        rects[n++] = (rect){0, 0, nc - 1, nr - 1};
    }
    long total_height = 0;
    for (int i = 0; i < n; i++)
        total_height += (long)(rh(rects[i]) + padding);
    total_height -= (long)(padding * 2);
    long height = 0, prev_width = 0;
    for (int i = 0; i < n; i++) {
        /* unsigned, as in dlib: rects[0].width() - prev_width - padding wraps when negative */
        if (rw(rects[i]) <= rw(rects[0]) - (uint64_t)prev_width - padding &&
            ((uint64_t)height - rh(rects[0])) * 2 >= ((uint64_t)total_height - rh(rects[0])))
            break;
        height += (long)(rh(rects[i]) + padding);
        prev_width = (long)rw(rects[i]);
    }
    height -= (long)padding;
    const long width = (long)rw(rects[0]);
    t->nr = height + (long)outer * 2;
    t->nc = width + (long)outer * 2;
    long y = (long)outer;
    int i = 0;
    while (y < height + (long)outer && i < n) {
        rects[i].l += (long)outer;
        rects[i].r += (long)outer;
        rects[i].t += y;
        rects[i].b += y;
        y += (long)(rh(rects[i]) + padding);
        i++;
    }
    y -= (long)padding;
    while (i < n) {
        long p1x = (long)outer + width - 1, p1y = y - 1;
        long p2x = p1x - rects[i].r, p2y = p1y - rects[i].b;
        rect r = {p2x < p1x ? p2x : p1x, p2y < p1y ? p2y : p1y, p2x < p1x ? p1x : p2x, p2y < p1y ? p1y : p2y};
        rect in = {rects[0].l > r.l ? rects[0].l : r.l, rects[0].t > r.t ? rects[0].t : r.t,
                   rects[0].r < r.r ? rects[0].r : r.r, rects[0].b < r.b ? rects[0].b : r.b};
        if (!empty(in))
            break;
        rects[i] = r;
        y -= (long)(rh(rects[i]) + padding);
        i++;
    }
    t->n_levels = i;
    for (int k = 0; k < i; k++)
        t->levels[k] = (fk__dlib_rect){rects[k].l, rects[k].t, rects[k].r, rects[k].b};
    return FK_OK;
}

/* The rows of a level being resized: level 0 is the image itself, turned into the network's
 * floats, (pixel - avg) / 256, a row at a time into a two-row cache (a resize reads rows top and
 * top + 1, never going back); a later level is a packed float array. */
typedef struct src_rows {
    const fk_image *img; /* level 0 */
    const float *avg;
    float *cache;        /* 2 rows of img */
    long cached[2];
    const float *data;   /* a later level: [h][w][3] */
    long w;
} src_rows;

static void level0_row(const fk_image *img, const float avg[3], long r, float *d)
{
    const uint8_t *p = img->data + (size_t)r * img->stride;
    for (int x = 0; x < img->width; x++)
        for (int c = 0; c < 3; c++)
            d[3 * x + c] = ((float)p[3 * x + c] - avg[c]) / 256.0f;
}

static const float *get_row(src_rows *s, long r)
{
    if (s->data)
        return s->data + (size_t)r * (size_t)s->w * 3;
    int k = (int)(r & 1);
    float *row = s->cache + (size_t)k * (size_t)s->w * 3;
    if (s->cached[k] != r) {
        level0_row(s->img, s->avg, r, row);
        s->cached[k] = r;
    }
    return row;
}

/* A level (sw x sh, rows from src) resized into dst (dw x dh, packed [dh][dw][3]): dlib's
 * resize_image for float images, which tt::resize_bilinear runs channel by channel on the tensor;
 * the three channels share each pixel's positions and weights, so they are done in one pass,
 * each with its own sum. */
static void resize_level(src_rows *src, long sw, long sh, float *d, long dw, long dh)
{
    const size_t row = (size_t)dw * 3;
    const double xs = (double)(sw - 1) / (double)(dw - 1 > 1 ? dw - 1 : 1);
    const double ys = (double)(sh - 1) / (double)(dh - 1 > 1 ? dh - 1 : 1);
    double y = -ys;
    for (long r = 0; r < dh; r++) {
        y += ys;
        const long top = (long)floor(y), bottom = lmin(top + 1, sh - 1);
        const double tb = y - top;
        const float *t = get_row(src, top), *bo = get_row(src, bottom);
        float *o = d + (size_t)r * row;
        const float ftb = (float)tb, finv_tb = (float)(1 - tb), step = (float)(4 * xs);
        const double x0 = -4 * xs;
        float lx[4] = {(float)x0, (float)(x0 + xs), (float)(x0 + 2 * xs), (float)(x0 + 3 * xs)};
        long c = 0;
        for (;; c += 4) {
            int32_t left[4], right[4];
            float wtl[4], wtr[4], wbl[4], wbr[4];
            lane_weights(lx, step, ftb, finv_tb, left, right, wtl, wtr, wbl, wbr);
            if (right[3] >= sw || c + 3 >= dw)
                break;
            for (int k = 0; k < 4; k++) {
                const float *tl = t + 3 * left[k], *tr = t + 3 * right[k], *bl = bo + 3 * left[k],
                            *br = bo + 3 * right[k];
                float *q = o + 3 * (c + k);
                for (int ch = 0; ch < 3; ch++)
                    q[ch] = wtl[k] * tl[ch] + wtr[k] * tr[ch] + wbl[k] * bl[ch] + wbr[k] * br[ch];
            }
        }
        double x = -xs + (double)c * xs;
        for (; c < dw; c++) {
            x += xs;
            const long left = (long)floor(x), right = lmin(left + 1, sw - 1);
            const float lr = (float)(x - (double)left);
            for (int ch = 0; ch < 3; ch++) {
                const float tl = t[3 * left + ch], tr = t[3 * right + ch], bl = bo[3 * left + ch],
                            br = bo[3 * right + ch];
                o[3 * c + ch] = (float)((1 - tb) * ((1 - lr) * tl + lr * tr) + tb * ((1 - lr) * bl + lr * br));
            }
        }
    }
}

static long lw(const fk__dlib_rect *r)
{
    return r->right - r->left + 1;
}

static long lh(const fk__dlib_rect *r)
{
    return r->bottom - r->top + 1;
}

/* Where level i >= 1 starts in the packed levels. */
static size_t level_offset(const fk__dlib_tiling *t, int i)
{
    size_t off = 0;
    for (int k = 1; k < i; k++)
        off += (size_t)lw(&t->levels[k]) * (size_t)lh(&t->levels[k]) * 3;
    return off;
}

fk_status fk__dlib_pyramid_levels(const fk_image *img, const fk__dlib_tiling *t, const float avg[3], float **levels,
                                  fk_error *err)
{
    *levels = NULL;
    if (t->n_levels < 2)
        return FK_OK;
    size_t n = level_offset(t, t->n_levels);
    float *data = malloc(n * sizeof(float));
    float *cache = malloc((size_t)img->width * 6 * sizeof(float));
    if (!data || !cache) {
        free(data);
        free(cache);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory for an image pyramid of %zu floats", n);
    }
    src_rows s0 = {img, avg, cache, {-1, -1}, NULL, img->width};
    for (int i = 1; i < t->n_levels; i++) {
        src_rows s = s0;
        if (i > 1) {
            s.data = data + level_offset(t, i - 1);
            s.w = lw(&t->levels[i - 1]);
        }
        resize_level(&s, lw(&t->levels[i - 1]), lh(&t->levels[i - 1]), data + level_offset(t, i), lw(&t->levels[i]),
                     lh(&t->levels[i]));
    }
    free(cache);
    *levels = data;
    return FK_OK;
}

void fk__dlib_tiled_rows(const fk_image *img, const fk__dlib_tiling *t, const float avg[3], const float *levels,
                         long y0, long rows, float *dst)
{
    const size_t row = (size_t)t->nc * 3;
    for (long y = y0; y < y0 + rows; y++) {
        float *d = dst + (size_t)(y - y0) * row;
        memset(d, 0, row * sizeof(float));
        for (int i = 0; i < t->n_levels; i++) {
            const fk__dlib_rect *q = &t->levels[i];
            if (y < q->top || y > q->bottom)
                continue;
            float *o = d + (size_t)q->left * 3;
            if (i == 0)
                level0_row(img, avg, y - q->top, o);
            else
                memcpy(o, levels + level_offset(t, i) + (size_t)(y - q->top) * (size_t)lw(q) * 3,
                       (size_t)lw(q) * 3 * sizeof(float));
        }
    }
}

fk_status fk__dlib_tiled_pyramid(const fk_image *img, const fk__dlib_tiling *t, const float avg[3], float *dst,
                                 fk_error *err)
{
    float *levels = NULL;
    fk_status st = fk__dlib_pyramid_levels(img, t, avg, &levels, err);
    if (st == FK_OK)
        fk__dlib_tiled_rows(img, t, avg, levels, 0, t->nr, dst);
    free(levels);
    return st;
}
