/* conv2d_avx512.c: direct NHWC convolution with AVX-512F: 12 (or 6) output pixels x 32 output channels per micro-kernel, on the AVX2 kernel's packed panels. */
#include <stdint.h>

#include "nn/ops/ops.h"

#if defined(__x86_64__) || defined(__i386__)
#include "nn/ops/avx512_epilogue.h"

#define PX 6           /* output pixels per micro-kernel: 12 accumulators over two panels, 6 input pointers */
#define CO 16          /* output channels per panel: one zmm */
#define TILE_BYTES (256u << 10) /* input of one tile of pixel blocks: well inside L2 */

#define TARGET FK__AVX512_TARGET

/* One tap c for all PX pixels: each pixel's input broadcast (folded into the FMA) times 16
 * weights of one panel (STEP1) or of two neighbouring panels, kk floats apart (STEP2). Six pixels,
 * not twelve: twelve input pointers spill out of the general registers. */
#define FK__STEP1(w)                                                                                                \
    do {                                                                                                            \
        __m512 w0 = _mm512_loadu_ps(w);                                                                             \
        a00 = _mm512_fmadd_ps(_mm512_set1_ps(i0[c]), w0, a00);                                                      \
        a10 = _mm512_fmadd_ps(_mm512_set1_ps(i1[c]), w0, a10);                                                      \
        a20 = _mm512_fmadd_ps(_mm512_set1_ps(i2[c]), w0, a20);                                                      \
        a30 = _mm512_fmadd_ps(_mm512_set1_ps(i3[c]), w0, a30);                                                      \
        a40 = _mm512_fmadd_ps(_mm512_set1_ps(i4[c]), w0, a40);                                                      \
        a50 = _mm512_fmadd_ps(_mm512_set1_ps(i5[c]), w0, a50);                                                      \
    } while (0)
#define FK__STEP2(w)                                                                                                \
    do {                                                                                                            \
        __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps((w) + kk), b;                                          \
        b = _mm512_set1_ps(i0[c]), a00 = _mm512_fmadd_ps(b, w0, a00), a01 = _mm512_fmadd_ps(b, w1, a01);           \
        b = _mm512_set1_ps(i1[c]), a10 = _mm512_fmadd_ps(b, w0, a10), a11 = _mm512_fmadd_ps(b, w1, a11);           \
        b = _mm512_set1_ps(i2[c]), a20 = _mm512_fmadd_ps(b, w0, a20), a21 = _mm512_fmadd_ps(b, w1, a21);           \
        b = _mm512_set1_ps(i3[c]), a30 = _mm512_fmadd_ps(b, w0, a30), a31 = _mm512_fmadd_ps(b, w1, a31);           \
        b = _mm512_set1_ps(i4[c]), a40 = _mm512_fmadd_ps(b, w0, a40), a41 = _mm512_fmadd_ps(b, w1, a41);           \
        b = _mm512_set1_ps(i5[c]), a50 = _mm512_fmadd_ps(b, w0, a50), a51 = _mm512_fmadd_ps(b, w1, a51);           \
    } while (0)

/* Where the PX pixels of a block are and where their outputs go. */
typedef struct pixels {
    int oy[PX], ox[PX], count;
} pixels;

/* The block's sums through the convolution's epilogue, then the fused residual's if any, all
 * computed before the first store: a masked store may alias anything as far as the compiler
 * knows, so an epilogue after one would reload every pointer it reads. Spare pixels (past
 * px->count) repeat the last real one, so their addresses are inside the views; their loads and
 * stores are masked off. */
TARGET static inline __attribute__((always_inline)) void finish(const fk__conv2d_args *a, const fk__residual *res,
                                                               int n, const pixels *px, int co, __mmask16 m,
                                                               __mmask16 q, __m512 *v)
{
    /* constant trip counts, so v stays in registers; pixels past count are masked off */
    _Pragma("GCC unroll 6") for (int p = 0; p < PX; p++) v[p] = fk__avx512_epilogue(&a->ep, v[p], co, m);
    if (res) {
        /* the residual's lanes past its channels add +0.0f, as the add's zero extension does */
        _Pragma("GCC unroll 6") for (int p = 0; p < PX; p++) {
            __mmask16 qp = p < px->count ? q : 0;
            v[p] = _mm512_add_ps(v[p], _mm512_maskz_loadu_ps(qp, fk__at(&res->r, n, px->oy[p], px->ox[p], co)));
        }
        _Pragma("GCC unroll 6") for (int p = 0; p < PX; p++) v[p] = fk__avx512_epilogue(&res->ep, v[p], co, m);
    }
}

/* The body of a micro-kernel over every tap, for STEP (one or two panels): three cases, as the
 * AVX2 kernel's (a 1x1 over packed rows, interior pixels of packed rows, anything with zeros). */
#define FK__TAPS(STEP)                                                                                              \
    do {                                                                                                            \
        if (a->kh == 1 && a->kw == 1 && a->stride_h == 1 && a->stride_w == 1 && a->pad_top == 0 &&                 \
            a->pad_left == 0 && x->sw == cin && x->sh == (ptrdiff_t)x->w * cin && px->count == PX) {               \
            const float *i0 = x->data + n * x->sn + (ptrdiff_t)pix * cin;                                           \
            const float *i1 = i0 + cin, *i2 = i1 + cin, *i3 = i2 + cin, *i4 = i3 + cin, *i5 = i4 + cin;             \
            const float *w = panel;                                                                                 \
            for (int c = 0; c < cin; c++, w += CO)                                                                  \
                STEP(w);                                                                                            \
            break;                                                                                                  \
        }                                                                                                           \
        int iy0 = px->oy[0] * a->stride_h - a->pad_top, ix0 = px->ox[0] * a->stride_w - a->pad_left;               \
        bool interior = px->count == PX && px->oy[0] == px->oy[PX - 1] && iy0 >= 0 && iy0 + a->kh <= x->h &&      \
                        ix0 >= 0 && px->ox[PX - 1] * a->stride_w - a->pad_left + a->kw <= x->w;                    \
        ptrdiff_t step = (ptrdiff_t)a->stride_w * x->sw;                                                            \
        if (interior && x->sw == cin) {                                                                             \
            const int run = a->kw * cin;                                                                            \
            for (int ky = 0; ky < a->kh; ky++) {                                                                    \
                const float *i0 = fk__at(x, n, iy0 + ky, ix0, 0);                                                   \
                const float *i1 = i0 + step, *i2 = i1 + step, *i3 = i2 + step, *i4 = i3 + step, *i5 = i4 + step;   \
                const float *w = panel + (size_t)ky * run * CO;                                                     \
                for (int c = 0; c < run; c++, w += CO)                                                              \
                    STEP(w);                                                                                        \
            }                                                                                                       \
            break;                                                                                                  \
        }                                                                                                           \
        for (int ky = 0; ky < a->kh; ky++)                                                                          \
            for (int kx = 0; kx < a->kw; kx++) {                                                                    \
                const float *in[PX];                                                                                \
                for (int p = 0; p < PX; p++) {                                                                      \
                    int iy = px->oy[p] * a->stride_h - a->pad_top + ky;                                             \
                    int ix = px->ox[p] * a->stride_w - a->pad_left + kx;                                            \
                    bool outside = iy < 0 || iy >= x->h || ix < 0 || ix >= x->w;                                    \
                    in[p] = outside ? fk__conv_zeros : fk__at(x, n, iy, ix, 0);                                     \
                }                                                                                                   \
                const float *i0 = in[0], *i1 = in[1], *i2 = in[2], *i3 = in[3], *i4 = in[4], *i5 = in[5];           \
                const float *w = panel + (size_t)(ky * a->kw + kx) * cin * CO;                                      \
                for (int c = 0; c < cin; c++, w += CO)                                                              \
                    STEP(w);                                                                                        \
            }                                                                                                       \
    } while (0)

/* out[p][co..co+32) for the block's pixels, from two panels. */
TARGET static void block2(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                          int n, int pix, const pixels *px, int co)
{
    const int cin = a->cin;
    const size_t kk = (size_t)a->kh * a->kw * cin * CO; /* floats from one panel to the next */
    const float *panel = a->packed + (size_t)(co / CO) * kk;
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m512 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    FK__TAPS(FK__STEP2);
    int left = a->cout - co, rc = res ? res->r.c - co : 0;
    __mmask16 m0 = fk__avx512_mask(left), m1 = fk__avx512_mask(left - CO);
    __mmask16 q0 = fk__avx512_mask(rc < left ? rc : left), q1 = fk__avx512_mask((rc < left ? rc : left) - CO);
    __m512 v0[PX] = {a00, a10, a20, a30, a40, a50}, v1[PX] = {a01, a11, a21, a31, a41, a51};
    finish(a, res, n, px, co, m0, q0, v0);
    finish(a, res, n, px, co + CO, m1, q1, v1);
    _Pragma("GCC unroll 6") for (int p = 0; p < PX; p++) {
        float *out = fk__at(y, n, px->oy[p], px->ox[p], co);
        _mm512_mask_storeu_ps(out, p < px->count ? m0 : 0, v0[p]);
        _mm512_mask_storeu_ps(out + CO, p < px->count ? m1 : 0, v1[p]);
    }
}

/* Floats ahead (2 KB, 16 rows of a panel) of the weight row in use that block12 asks the cache
 * for: at batch 1 a layer's panels come from L3 once per image. Measured on the descriptor at
 * batch 1, in turns: none 5.1-5.4 ms, 128 floats 5.2-5.5, 256 4.9-5.3, 512 4.5-4.9, 1024 4.6-4.9. */
#ifndef FK__PREFETCH
#define FK__PREFETCH 512
#endif

/* Twelve pixels: two blocks' worth, for block12. */
typedef struct pixels12 {
    int oy[2 * PX], ox[2 * PX], count;
} pixels12;

/* out[p][co..co+32) for up to twelve pixels (two blocks): each weight load feeds 24 FMAs, not 12,
 * which halves the weight traffic of the layers whose panels live in L2. Three cases, as in
 * FK__TAPS: pixels that follow each other in packed memory (a 1x1 over packed rows, or interior
 * pixels of one row: pixel p is p steps from the first, each kernel row one run of kw * cin), and
 * anything else tap by tap with zeros outside the image. Twelve input addresses take twelve
 * registers: the compiler keeps what it can and reloads the rest from the stack, loads that the
 * 24 FMAs hide. Spare pixels past count repeat the last one (computed, never stored). Same sums in
 * the same order as block2. */
TARGET static void block12(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                           int n, int pix, const pixels12 *px, int co)
{
    enum { NP = 2 * PX };
    const int cin = a->cin;
    const size_t kk = (size_t)a->kh * a->kw * cin * CO;
    const float *panel = a->packed + (size_t)(co / CO) * kk;
    __m512 s[NP], t[NP];
    _Pragma("GCC unroll 12") for (int p = 0; p < NP; p++) s[p] = t[p] = _mm512_setzero_ps();
    int iy0 = px->oy[0] * a->stride_h - a->pad_top, ix0 = px->ox[0] * a->stride_w - a->pad_left;
    bool flat = a->kh == 1 && a->kw == 1 && a->stride_h == 1 && a->stride_w == 1 && a->pad_top == 0 &&
                a->pad_left == 0 && x->sw == cin && x->sh == (ptrdiff_t)x->w * cin && px->count == NP;
    bool interior = px->count == NP && px->oy[0] == px->oy[NP - 1] && iy0 >= 0 && iy0 + a->kh <= x->h &&
                    ix0 >= 0 && px->ox[NP - 1] * a->stride_w - a->pad_left + a->kw <= x->w && x->sw == cin;
    if (flat || interior) {
        const ptrdiff_t step = flat ? cin : (ptrdiff_t)a->stride_w * cin;
        const int run = a->kw * cin;
        for (int ky = 0; ky < a->kh; ky++) {
            const float *in = flat ? x->data + n * x->sn + (ptrdiff_t)pix * cin : fk__at(x, n, iy0 + ky, ix0, 0);
            const float *w = panel + (size_t)ky * run * CO;
            for (int c = 0; c < run; c++, w += CO) {
                __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + kk);
                _mm_prefetch((const char *)(w + FK__PREFETCH), _MM_HINT_T0);
                _mm_prefetch((const char *)(w + kk + FK__PREFETCH), _MM_HINT_T0);
                _Pragma("GCC unroll 12") for (int p = 0; p < NP; p++) {
                    __m512 b = _mm512_set1_ps(in[p * step + c]);
                    s[p] = _mm512_fmadd_ps(b, w0, s[p]);
                    t[p] = _mm512_fmadd_ps(b, w1, t[p]);
                }
            }
        }
    } else {
        for (int ky = 0; ky < a->kh; ky++)
            for (int kx = 0; kx < a->kw; kx++) {
                const float *in[NP];
                for (int p = 0; p < NP; p++) {
                    int iy = px->oy[p] * a->stride_h - a->pad_top + ky;
                    int ix = px->ox[p] * a->stride_w - a->pad_left + kx;
                    bool outside = iy < 0 || iy >= x->h || ix < 0 || ix >= x->w;
                    in[p] = outside ? fk__conv_zeros : fk__at(x, n, iy, ix, 0);
                }
                const float *w = panel + (size_t)(ky * a->kw + kx) * cin * CO;
                for (int c = 0; c < cin; c++, w += CO) {
                    __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + kk);
                    _mm_prefetch((const char *)(w + FK__PREFETCH), _MM_HINT_T0);
                    _mm_prefetch((const char *)(w + kk + FK__PREFETCH), _MM_HINT_T0);
                    _Pragma("GCC unroll 12") for (int p = 0; p < NP; p++) {
                        __m512 b = _mm512_set1_ps(in[p][c]);
                        s[p] = _mm512_fmadd_ps(b, w0, s[p]);
                        t[p] = _mm512_fmadd_ps(b, w1, t[p]);
                    }
                }
            }
    }
    int left = a->cout - co, rc = res ? res->r.c - co : 0;
    __mmask16 m0 = fk__avx512_mask(left), m1 = fk__avx512_mask(left - CO);
    __mmask16 q0 = fk__avx512_mask(rc < left ? rc : left), q1 = fk__avx512_mask((rc < left ? rc : left) - CO);
    pixels lo, hi;
    lo.count = px->count < PX ? px->count : PX;
    hi.count = px->count - PX > 0 ? px->count - PX : 0;
    for (int p = 0; p < PX; p++) {
        lo.oy[p] = px->oy[p], lo.ox[p] = px->ox[p];
        hi.oy[p] = px->oy[PX + p], hi.ox[p] = px->ox[PX + p];
    }
    finish(a, res, n, &lo, co, m0, q0, s);
    finish(a, res, n, &hi, co, m0, q0, s + PX);
    finish(a, res, n, &lo, co + CO, m1, q1, t);
    finish(a, res, n, &hi, co + CO, m1, q1, t + PX);
    _Pragma("GCC unroll 12") for (int p = 0; p < NP; p++) {
        float *out = fk__at(y, n, px->oy[p], px->ox[p], co);
        _mm512_mask_storeu_ps(out, p < px->count ? m0 : 0, s[p]);
        _mm512_mask_storeu_ps(out + CO, p < px->count ? m1 : 0, t[p]);
    }
}

/* out[p][co..co+16) for the block's pixels, from one panel: a layer's last, odd panel. Tiny's
 * conv0 (3 input channels, 16 outputs) runs here at about 37 % of peak; twelve pixels a block
 * instead of six, and the epilogue's per-channel loads hoisted out of the pixel loop, each
 * measured no faster on it (valid-padded 416x416x3 -> 16, two rows a call as its chain runs:
 * 1.80-1.95 ms before, 1.93-2.40 with them, in turns). */
TARGET static void block1(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                          int n, int pix, const pixels *px, int co)
{
    const int cin = a->cin;
    const float *panel = a->packed + (size_t)(co / CO) * a->kh * a->kw * cin * CO;
    __m512 a00 = _mm512_setzero_ps(), a10 = a00, a20 = a00, a30 = a00, a40 = a00, a50 = a00;
    FK__TAPS(FK__STEP1);
    int left = a->cout - co, rc = res ? res->r.c - co : 0;
    __mmask16 m0 = fk__avx512_mask(left), q0 = fk__avx512_mask(rc < left ? rc : left);
    __m512 v0[PX] = {a00, a10, a20, a30, a40, a50};
    finish(a, res, n, px, co, m0, q0, v0);
    _Pragma("GCC unroll 6") for (int p = 0; p < PX; p++)
        _mm512_mask_storeu_ps(fk__at(y, n, px->oy[p], px->ox[p], co), p < px->count ? m0 : 0, v0[p]);
}

/* A 1x1 convolution over packed rows with few input channels (BlazeFace's 24 to 96, FaceMesh's 16
 * to 128): the inner loop is short, so per-block work is what costs. Twelve pixels by two panels
 * (24 accumulators of 32 zmm), the input channels a compile-time constant so the twelve pixels are
 * constant displacements from one pointer (twelve pointers would spill). Same sums, same order. */
#define WPX 12
#define DEFINE_WIDE(NAME, CIN)                                                                                      \
    TARGET static void NAME(const fk__conv2d_args *a, const fk__view *x, const fk__view *y,                        \
                            const fk__residual *res, int n, int pix, int co)                                        \
    {                                                                                                               \
        const size_t kk = (size_t)(CIN) * CO;                                                                       \
        const float *w = a->packed + (size_t)(co / CO) * kk;                                                        \
        const float *in = x->data + n * x->sn + (ptrdiff_t)pix * (CIN);                                             \
        __m512 s[WPX], t[WPX];                                                                                      \
        _Pragma("GCC unroll 12") for (int p = 0; p < WPX; p++) s[p] = t[p] = _mm512_setzero_ps();                  \
        for (int c = 0; c < (CIN); c++, w += CO) {                                                                  \
            __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + kk);                                           \
            _Pragma("GCC unroll 12") for (int p = 0; p < WPX; p++) {                                                \
                __m512 b = _mm512_set1_ps(in[p * (CIN) + c]);                                                       \
                s[p] = _mm512_fmadd_ps(b, w0, s[p]);                                                                \
                t[p] = _mm512_fmadd_ps(b, w1, t[p]);                                                                \
            }                                                                                                       \
        }                                                                                                           \
        int left = a->cout - co, rc = res ? res->r.c - co : 0;                                                      \
        __mmask16 m0 = fk__avx512_mask(left), m1 = fk__avx512_mask(left - CO);                                      \
        _Pragma("GCC unroll 12") for (int p = 0; p < WPX; p++) {                                                    \
            s[p] = fk__avx512_epilogue(&a->ep, s[p], co, m0);                                                       \
            t[p] = fk__avx512_epilogue(&a->ep, t[p], co + CO, m1);                                                  \
        }                                                                                                           \
        if (res) {                                                                                                  \
            /* the residual's lanes past its channels add +0.0f, as the add's zero extension does */               \
            int rl = rc < left ? rc : left;                                                                         \
            __mmask16 q0 = fk__avx512_mask(rl), q1 = fk__avx512_mask(rl - CO);                                      \
            const float *r = res->r.data + n * res->r.sn + (ptrdiff_t)pix * res->r.sw + co;                         \
            _Pragma("GCC unroll 12") for (int p = 0; p < WPX; p++) {                                                \
                s[p] = _mm512_add_ps(s[p], _mm512_maskz_loadu_ps(q0, r + p * res->r.sw));                           \
                t[p] = _mm512_add_ps(t[p], _mm512_maskz_loadu_ps(q1, r + p * res->r.sw + CO));                      \
                s[p] = fk__avx512_epilogue(&res->ep, s[p], co, m0);                                                 \
                t[p] = fk__avx512_epilogue(&res->ep, t[p], co + CO, m1);                                            \
            }                                                                                                       \
        }                                                                                                           \
        float *out = y->data + n * y->sn + (ptrdiff_t)pix * y->sw + co;                                             \
        _Pragma("GCC unroll 12") for (int p = 0; p < WPX; p++) {                                                    \
            _mm512_mask_storeu_ps(out + p * y->sw, m0, s[p]);                                                       \
            _mm512_mask_storeu_ps(out + p * y->sw + CO, m1, t[p]);                                                  \
        }                                                                                                           \
    }
DEFINE_WIDE(wide16, 16)
DEFINE_WIDE(wide24, 24)
DEFINE_WIDE(wide32, 32)
DEFINE_WIDE(wide48, 48)
DEFINE_WIDE(wide64, 64)
DEFINE_WIDE(wide96, 96)
DEFINE_WIDE(wide128, 128)

typedef void (*wide_fn)(const fk__conv2d_args *, const fk__view *, const fk__view *, const fk__residual *, int, int,
                        int);

/* The wide kernel for this layer, or NULL: a 1x1 stride-1 convolution over packed rows (x, y and
 * the residual with rows that follow each other), cin one of the compiled ones. */
static wide_fn wide_for(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res)
{
    if (a->kh != 1 || a->kw != 1 || a->stride_h != 1 || a->stride_w != 1 || a->pad_top != 0 || a->pad_left != 0 ||
        x->sw != a->cin || x->sh != (ptrdiff_t)x->w * a->cin || y->sh != (ptrdiff_t)y->w * y->sw ||
        (res && res->r.sh != (ptrdiff_t)res->r.w * res->r.sw))
        return NULL;
    switch (a->cin) {
    case 16: return wide16;
    case 24: return wide24;
    case 32: return wide32;
    case 48: return wide48;
    case 64: return wide64;
    case 96: return wide96;
    case 128: return wide128;
    default: return NULL;
    }
}

/* The coordinates of the np pixels from pix on into oy, ox and their count; spare lanes past the
 * image repeat its last pixel (computed, never stored). */
static void locate_n(int pix, int npix, int ow, int np, int *oy, int *ox, int *count)
{
    int cy = pix / ow, cx = pix % ow;
    *count = npix - pix < np ? npix - pix : np;
    for (int p = 0; p < np; p++) {
        oy[p] = cy;
        ox[p] = cx;
        if (pix + p + 1 < npix && ++cx == ow)
            cx = 0, cy++;
    }
}

static void locate(int pix, int npix, int ow, pixels *px)
{
    locate_n(pix, npix, ow, PX, px->oy, px->ox, &px->count);
}

static void locate12(int pix, int npix, int ow, pixels12 *px)
{
    locate_n(pix, npix, ow, 2 * PX, px->oy, px->ox, &px->count);
}

/* Each output value is one accumulation over (ky, kx, c) in that order whatever block or worker
 * computes it, so results are bitwise identical at any thread count (and to the AVX2 kernel's). */
TARGET void fk__conv2d_avx512(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                              int ith, int nth)
{
    int npix = y->h * y->w, blocks_per_image = (npix + PX - 1) / PX;
    wide_fn wide = wide_for(a, x, y, res);
    int b0, b1;
    fk__split_rows(y->n * blocks_per_image, ith, nth, &b0, &b1);
    /* tiles of pixel blocks whose input fits in L2; in a tile, channel blocks outside and pixels
     * inside, so one weight panel stays in cache across the tile's pixels */
    size_t tile_bytes = (size_t)PX * a->kh * a->kw * a->cin * sizeof(float);
    int tile = (int)(TILE_BYTES / (tile_bytes ? tile_bytes : 1));
    if (tile < 1)
        tile = 1;
    for (int t0 = b0; t0 < b1; t0 += tile) {
        int t1 = t0 + tile < b1 ? t0 + tile : b1;
        for (int co = 0; co < a->cout; co += 2 * CO)
            for (int b = t0; b < t1; b++) {
                int n = b / blocks_per_image, pix = (b % blocks_per_image) * PX;
                if (wide && a->cout - co > CO && b + 1 < t1 && (b + 1) / blocks_per_image == n &&
                    pix + WPX <= npix) {
                    wide(a, x, y, res, n, pix, co); /* this block and the next */
                    b++;
                    continue;
                }
                if (a->cout - co > CO && b + 1 < t1 && (b + 1) / blocks_per_image == n) {
                    pixels12 p12;
                    locate12(pix, npix, y->w, &p12);
                    block12(a, x, y, res, n, pix, &p12, co); /* this block and the next */
                    b++;
                    continue;
                }
                pixels px;
                locate(pix, npix, y->w, &px);
                if (a->cout - co > CO)
                    block2(a, x, y, res, n, pix, &px, co);
                else
                    block1(a, x, y, res, n, pix, &px, co);
            }
    }
}
#else /* not x86: never selected (fk__cpu_has_avx512 is false), defined for the linker */
void fk__conv2d_avx512(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                       int ith, int nth)
{
    fk__conv2d_ref(a, x, y, ith, nth);
}
#endif
