/* conv2d_avx2.c: direct NHWC convolution with AVX2/FMA: 6 output pixels x 16 output channels per micro-kernel, no im2col. */
#include <stdint.h>

#include "nn/ops/ops.h"

#if defined(__x86_64__) || defined(__i386__)
#include "nn/ops/avx2_epilogue.h"

#define PX 6  /* output pixels per micro-kernel: 12 accumulators + 2 weights + 1 broadcast = 15 ymm */
#define CO 16 /* output channels per micro-kernel: two ymm */
#define TILE_BYTES (192u << 10) /* input of one tile of pixel blocks: well inside L2 */

#define TARGET FK__AVX2_TARGET

TARGET static inline void store_part(float *p, int n, __m256i m, __m256 v)
{
    if (n >= 8)
        _mm256_storeu_ps(p, v);
    else if (n > 0)
        _mm256_maskstore_ps(p, m, v);
}

/* One tap c for all PX pixels: broadcast each pixel's input, multiply by 16 weights. */
#define FK__STEP(W0, W1)                                                                                            \
    do {                                                                                                            \
        __m256 w0 = (W0), w1 = (W1), b;                                                                             \
        b = _mm256_broadcast_ss(i0 + c), a00 = _mm256_fmadd_ps(b, w0, a00), a01 = _mm256_fmadd_ps(b, w1, a01);     \
        b = _mm256_broadcast_ss(i1 + c), a10 = _mm256_fmadd_ps(b, w0, a10), a11 = _mm256_fmadd_ps(b, w1, a11);     \
        b = _mm256_broadcast_ss(i2 + c), a20 = _mm256_fmadd_ps(b, w0, a20), a21 = _mm256_fmadd_ps(b, w1, a21);     \
        b = _mm256_broadcast_ss(i3 + c), a30 = _mm256_fmadd_ps(b, w0, a30), a31 = _mm256_fmadd_ps(b, w1, a31);     \
        b = _mm256_broadcast_ss(i4 + c), a40 = _mm256_fmadd_ps(b, w0, a40), a41 = _mm256_fmadd_ps(b, w1, a41);     \
        b = _mm256_broadcast_ss(i5 + c), a50 = _mm256_fmadd_ps(b, w0, a50), a51 = _mm256_fmadd_ps(b, w1, a51);     \
    } while (0)

/* out[p][co..co+16) for PX consecutive output pixels (flattened y*w+x) starting at pix. */
TARGET static void block(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                         int n, int pix, int co)
{
    const int ow = y->w, npix = y->h * y->w, cin = a->cin, cout = a->cout;
    int left = cout - co; /* channels in this block, maybe < 16 */
    const float *panel = a->packed + (size_t)(co / CO) * a->kh * a->kw * cin * CO;
    /* accumulators as named locals: an array of them ends up on the stack */
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m256 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    float *out[PX];
    if (a->kh == 1 && a->kw == 1 && a->stride_h == 1 && a->stride_w == 1 && a->pad_top == 0 && a->pad_left == 0 &&
        x->sw == cin && x->sh == (ptrdiff_t)x->w * cin && y->sh == (ptrdiff_t)ow * y->sw && pix + PX <= npix) {
        /* a 1x1 convolution over packed rows: six consecutive pixels, no coordinates at all */
        const float *i0 = x->data + n * x->sn + (ptrdiff_t)pix * cin;
        const float *i1 = i0 + cin, *i2 = i1 + cin, *i3 = i2 + cin, *i4 = i3 + cin, *i5 = i4 + cin;
        const float *w = panel;
        for (int c = 0; c < cin; c++, w += CO)
            FK__STEP(_mm256_loadu_ps(w), _mm256_loadu_ps(w + 8));
        for (int p = 0; p < PX; p++)
            out[p] = y->data + n * y->sn + (ptrdiff_t)(pix + p) * y->sw + co;
        goto store;
    }
    int oy[PX], ox[PX];
    int cy = pix / ow, cx = pix % ow; /* one division per block: the rest steps along */
    for (int p = 0; p < PX; p++) {
        oy[p] = cy;
        ox[p] = cx;
        if (pix + p + 1 < npix && ++cx == ow) /* spare lanes repeat the last pixel, never stored */
            cx = 0, cy++;
    }
    for (int p = 0; p < PX; p++)
        out[p] = pix + p < npix ? fk__at(y, n, oy[p], ox[p], co) : NULL;
    /* the common case: six pixels of one row whose taps all lie inside the image */
    int iy0 = oy[0] * a->stride_h - a->pad_top, ix0 = ox[0] * a->stride_w - a->pad_left;
    bool interior = pix + PX <= npix && oy[0] == oy[PX - 1] && iy0 >= 0 && iy0 + a->kh <= x->h && ix0 >= 0 &&
                    ox[PX - 1] * a->stride_w - a->pad_left + a->kw <= x->w;
    ptrdiff_t step = (ptrdiff_t)a->stride_w * x->sw;
    if (interior && x->sw == cin) {
        /* packed pixels: a kernel row's kw taps of cin channels are kw * cin consecutive floats,
         * in the same order as the packed weights, so each row is one run of the inner loop */
        const int run = a->kw * cin;
        for (int ky = 0; ky < a->kh; ky++) {
            const float *i0 = fk__at(x, n, iy0 + ky, ix0, 0);
            const float *i1 = i0 + step, *i2 = i1 + step, *i3 = i2 + step, *i4 = i3 + step, *i5 = i4 + step;
            const float *w = panel + (size_t)ky * run * CO;
            for (int c = 0; c < run; c++, w += CO)
                FK__STEP(_mm256_loadu_ps(w), _mm256_loadu_ps(w + 8));
        }
        goto store;
    }
    for (int ky = 0; ky < a->kh; ky++) {
        for (int kx = 0; kx < a->kw; kx++) {
            const float *i0, *i1, *i2, *i3, *i4, *i5;
            if (interior) {
                i0 = fk__at(x, n, oy[0] * a->stride_h - a->pad_top + ky, ox[0] * a->stride_w - a->pad_left + kx, 0);
                i1 = i0 + step, i2 = i1 + step, i3 = i2 + step, i4 = i3 + step, i5 = i4 + step;
            } else {
                const float *in[PX];
                for (int p = 0; p < PX; p++) {
                    int iy = oy[p] * a->stride_h - a->pad_top + ky, ix = ox[p] * a->stride_w - a->pad_left + kx;
                    bool outside = iy < 0 || iy >= x->h || ix < 0 || ix >= x->w;
                    in[p] = outside ? fk__conv_zeros : fk__at(x, n, iy, ix, 0);
                }
                i0 = in[0], i1 = in[1], i2 = in[2], i3 = in[3], i4 = in[4], i5 = in[5];
            }
            const float *w = panel + (size_t)(ky * a->kw + kx) * cin * CO;
            for (int c = 0; c < cin; c++, w += CO)
                FK__STEP(_mm256_loadu_ps(w), _mm256_loadu_ps(w + 8));
        }
    }
store:;
    int n0 = left < 8 ? left : 8, n1 = left - 8 < 8 ? left - 8 : 8;
    __m256i m0 = fk__avx2_lane_mask(n0), m1 = fk__avx2_lane_mask(n1 > 0 ? n1 : 0);
    __m256 acc[PX][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}, {a40, a41}, {a50, a51}};
    if (res) {
        /* the residual's lanes past its channels add +0.0f, as the add's zero extension does */
        int r0 = res->r.c - co, r1 = r0 - 8;
        __m256i q0 = fk__avx2_lane_mask(r0 < 0 ? 0 : r0 > n0 ? n0 : r0);
        __m256i q1 = fk__avx2_lane_mask(r1 < 0 ? 0 : r1 > n1 ? n1 : r1);
        for (int p = 0; p < PX && out[p]; p++) {
            int pp = pix + p;
            const float *rp = fk__at(&res->r, n, pp / ow, pp % ow, co);
            __m256 v = fk__avx2_epilogue(&a->ep, acc[p][0], co, n0, m0);
            v = _mm256_add_ps(v, _mm256_maskload_ps(rp, q0));
            store_part(out[p], n0, m0, fk__avx2_epilogue(&res->ep, v, co, n0, m0));
            if (n1 > 0) {
                v = fk__avx2_epilogue(&a->ep, acc[p][1], co + 8, n1, m1);
                v = _mm256_add_ps(v, _mm256_maskload_ps(rp + 8, q1));
                store_part(out[p] + 8, n1, m1, fk__avx2_epilogue(&res->ep, v, co + 8, n1, m1));
            }
        }
        return;
    }
    /* every epilogue before the first store, which could alias what it reads */
    for (int p = 0; p < PX; p++) {
        acc[p][0] = fk__avx2_epilogue(&a->ep, acc[p][0], co, n0, m0);
        acc[p][1] = fk__avx2_epilogue(&a->ep, acc[p][1], co + 8, n1 > 0 ? n1 : 0, m1);
    }
    for (int p = 0; p < PX && out[p]; p++) {
        store_part(out[p], n0, m0, acc[p][0]);
        if (n1 > 0)
            store_part(out[p] + 8, n1, m1, acc[p][1]);
    }
}

bool fk__conv2d_avx2_fits(const fk__conv2d_args *a, const fk__view *x, const fk__view *y)
{
    return a->packed && a->cin <= FK__CONV_AVX2_MAX_CIN && x->sc == 1 && y->sc == 1;
}

bool fk__residual_fits(const fk__view *r, const fk__view *y)
{
    return r->n == y->n && r->h == y->h && r->w == y->w && r->c <= y->c && r->sc == 1;
}

/* Each output value is one accumulation over (ky, kx, c) in that order whatever block or worker
 * computes it, so results are bitwise identical at any thread count. */
TARGET void fk__conv2d_avx2(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                            int ith, int nth)
{
    int npix = y->h * y->w, blocks_per_image = (npix + PX - 1) / PX;
    int b0, b1;
    fk__split_rows(y->n * blocks_per_image, ith, nth, &b0, &b1);
    /* Tiles of pixel blocks whose input fits in L2; in a tile, channel blocks outside and pixels
     * inside, so one weight panel stays in cache across the tile's pixels. */
    size_t tile_bytes = (size_t)PX * a->kh * a->kw * a->cin * sizeof(float);
    int tile = (int)(TILE_BYTES / (tile_bytes ? tile_bytes : 1));
    if (tile < 1)
        tile = 1;
    for (int t0 = b0; t0 < b1; t0 += tile) {
        int t1 = t0 + tile < b1 ? t0 + tile : b1;
        for (int co = 0; co < a->cout; co += CO)
            for (int b = t0; b < t1; b++)
                block(a, x, y, res, b / blocks_per_image, (b % blocks_per_image) * PX, co);
    }
}
#else /* not x86: never selected (fk__cpu_has_avx2_fma is false), defined for the linker */
bool fk__conv2d_avx2_fits(const fk__conv2d_args *a, const fk__view *x, const fk__view *y)
{
    return false;
}
bool fk__residual_fits(const fk__view *r, const fk__view *y)
{
    return false;
}
void fk__conv2d_avx2(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                     int ith, int nth)
{
    fk__conv2d_ref(a, x, y, ith, nth);
}
#endif
