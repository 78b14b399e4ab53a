/* dwconv_avx512.c: depthwise convolution with AVX-512F: eight (or four) output pixels by 16 channels per step inside the image, one pixel at the edges. */

#include "nn/ops/ops.h"

#if defined(__x86_64__) || defined(__i386__)
#include "nn/ops/avx512_epilogue.h"

#define TARGET FK__AVX512_TARGET

/* Output pixel (oy, ox), over the taps [ky0, ky1) x [kx0, kx1) inside the image: up to 64 channels
 * per pass as four independent sums, lanes past c neither read nor stored. */
TARGET static void one_pixel(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int n, int oy, int ox,
                             int ky0, int ky1)
{
    const int c = a->c;
    int kx0 = 0, kx1 = a->kw;
    while (kx0 < kx1 && ox * a->stride_w - a->pad_left + kx0 < 0)
        kx0++;
    while (kx1 > kx0 && ox * a->stride_w - a->pad_left + kx1 - 1 >= x->w)
        kx1--;
    float *out = fk__at(y, n, oy, ox, 0);
    for (int ch = 0; ch < c; ch += 64) {
        __mmask16 m0 = fk__avx512_mask(c - ch), m1 = fk__avx512_mask(c - ch - 16);
        __mmask16 m2 = fk__avx512_mask(c - ch - 32), m3 = fk__avx512_mask(c - ch - 48);
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int ky = ky0; ky < ky1; ky++) {
            int iy = oy * a->stride_h - a->pad_top + ky;
            for (int kx = kx0; kx < kx1; kx++) {
                const float *in = fk__at(x, n, iy, ox * a->stride_w - a->pad_left + kx, ch);
                const float *w = a->weights + (size_t)(ky * a->kw + kx) * c + ch;
                s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, in), _mm512_maskz_loadu_ps(m0, w), s0);
                s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, in + 16), _mm512_maskz_loadu_ps(m1, w + 16), s1);
                s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m2, in + 32), _mm512_maskz_loadu_ps(m2, w + 32), s2);
                s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m3, in + 48), _mm512_maskz_loadu_ps(m3, w + 48), s3);
            }
        }
        _mm512_mask_storeu_ps(out + ch, m0, fk__avx512_epilogue(&a->ep, s0, ch, m0));
        if (m1)
            _mm512_mask_storeu_ps(out + ch + 16, m1, fk__avx512_epilogue(&a->ep, s1, ch + 16, m1));
        if (m2)
            _mm512_mask_storeu_ps(out + ch + 32, m2, fk__avx512_epilogue(&a->ep, s2, ch + 32, m2));
        if (m3)
            _mm512_mask_storeu_ps(out + ch + 48, m3, fk__avx512_epilogue(&a->ep, s3, ch + 48, m3));
    }
}

/* PX neighbouring output pixels whose taps all lie inside the image, 16 channels at a time: each
 * tap's weights are loaded once for all PX pixels, whose sums are independent chains (the FMA
 * latency hidden). Each output is the same sum in the same tap order as one_pixel's. */
#define DEFINE_RUN(NAME, PX)                                                                                        \
    TARGET static void NAME(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int n, int oy, int ox, \
                            int ky0, int ky1)                                                                       \
    {                                                                                                               \
        const int c = a->c;                                                                                         \
        const ptrdiff_t step = (ptrdiff_t)a->stride_w * x->sw;                                                      \
        for (int ch = 0; ch < c; ch += 16) {                                                                        \
            const __mmask16 m = fk__avx512_mask(c - ch);                                                            \
            __m512 acc[PX];                                                                                         \
            _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++) acc[p] = _mm512_setzero_ps();                      \
            for (int ky = ky0; ky < ky1; ky++) {                                                                    \
                int iy = oy * a->stride_h - a->pad_top + ky;                                                        \
                const float *in = fk__at(x, n, iy, ox * a->stride_w - a->pad_left, ch);                             \
                const float *w = a->weights + (size_t)ky * a->kw * c + ch;                                          \
                for (int kx = 0; kx < a->kw; kx++, in += x->sw, w += c) {                                           \
                    __m512 wv = _mm512_maskz_loadu_ps(m, w);                                                        \
                    _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++) acc[p] =                                   \
                        _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, in + p * step), wv, acc[p]);                       \
                }                                                                                                   \
            }                                                                                                       \
            /* every epilogue before the first store, which could alias what it reads */                           \
            _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++) acc[p] = fk__avx512_epilogue(&a->ep, acc[p], ch, m); \
            _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++)                                                    \
                _mm512_mask_storeu_ps(fk__at(y, n, oy, ox + p, ch), m, acc[p]);                                     \
        }                                                                                                           \
    }
DEFINE_RUN(run8, 8)
DEFINE_RUN(run4, 4)

/* PX neighbouring output pixels of a KW-wide kernel at stride S, all taps inside the image, 16
 * channels at a time, the input swept once per kernel row: each input pixel is loaded once and
 * meets every output it falls under (up to KW), where run8 loads it once per tap. For each output,
 * taps still arrive in row order, then column order, so the sum is one_pixel's, bit for bit. */
#define DEFINE_SLIDE(NAME, KW, S, PX)                                                                               \
    TARGET static void NAME(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int n, int oy, int ox, \
                            int ky0, int ky1)                                                                       \
    {                                                                                                               \
        const int c = a->c; /* a multiple of 16 */                                                                  \
        const ptrdiff_t sw = x->sw, sh = x->sh;                                                                     \
        const float *in0 = fk__at(x, n, oy * a->stride_h - a->pad_top + ky0, ox * S - a->pad_left, 0);              \
        const float *w0 = a->weights + (size_t)ky0 * KW * c;                                                        \
        float *out0 = fk__at(y, n, oy, ox, 0);                                                                      \
        const ptrdiff_t so = y->sw;                                                                                 \
        const int rows = ky1 - ky0;                                                                                 \
        for (int ch = 0; ch < c; ch += 16) {                                                                        \
            __m512 acc[PX];                                                                                         \
            _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++) acc[p] = _mm512_setzero_ps();                      \
            const float *in = in0 + ch, *w = w0 + ch;                                                               \
            for (int r = 0; r < rows; r++, in += sh, w += KW * c) {                                                 \
                __m512 wv[KW];                                                                                      \
                _Pragma("GCC unroll 8") for (int kx = 0; kx < KW; kx++) wv[kx] = _mm512_loadu_ps(w + kx * c);       \
                _Pragma("GCC unroll 24") for (int j = 0; j < (PX - 1) * S + KW; j++) {                              \
                    __m512 v = _mm512_loadu_ps(in + j * sw);                                                        \
                    _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++) {                                          \
                        int kx = j - p * S;                                                                         \
                        if (kx >= 0 && kx < KW)                                                                     \
                            acc[p] = _mm512_fmadd_ps(v, wv[kx], acc[p]);                                            \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
            _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++) acc[p] =                                           \
                fk__avx512_epilogue(&a->ep, acc[p], ch, (__mmask16)0xffff);                                         \
            _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++) _mm512_storeu_ps(out0 + p * so + ch, acc[p]);     \
        }                                                                                                           \
    }
DEFINE_SLIDE(slide3s1, 3, 1, 8)
DEFINE_SLIDE(slide3s2, 3, 2, 8)

/* Stride-1 rows of packed pixels, seen flat: P pixels of c channels are P * c consecutive floats,
 * 12 vectors of 16 with no lane wasted (BlazeFace's 24 channels fill 16 + 8 lanes as two vectors
 * per pixel otherwise). Vector j of a tap meets the weights of channels (16 j .. 16 j + 15) mod c,
 * a pattern that repeats every GV vectors (GV = lcm(c, 16) / 16): per tap, GV weight vectors
 * expanded once per call into `pat`, then 12 independent FMA chains. Each output is the same sum,
 * in the same tap order, as one_pixel's. */
#define FLAT_VECS 12
#define FLAT_MAX_TAPS 25
#define FLAT_MAX_GV 6

typedef struct flat {
    int gv, pixels;                       /* pattern period in vectors, pixels per 12 vectors */
    float pat[FLAT_MAX_TAPS][FLAT_MAX_GV * 16];
    float ep[4][FLAT_MAX_GV * 16];        /* bias, scale, shift, slopes on the same pattern */
    fk__epilogue e;
} flat;

/* The pattern period in vectors, lcm(c, 16) / 16, where a kernel is built for it; else 0. */
static int flat_period(int c)
{
    int g = c, b = 16;
    while (b) {
        int t = g % b;
        g = b;
        b = t;
    }
    int gv = c / g; /* lcm(c, 16) / 16 = c / gcd(c, 16) */
    return gv == 1 || gv == 2 || gv == 3 || gv == 4 || gv == 6 ? gv : 0;
}

static bool flat_setup(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, flat *f)
{
    int c = a->c, taps = a->kh * a->kw;
    f->gv = a->stride_w == 1 && x->sw == c && y->sw == c && taps <= FLAT_MAX_TAPS ? flat_period(c) : 0;
    if (!f->gv)
        return false;
    f->pixels = FLAT_VECS * 16 / c;
    int len = f->gv * 16;
    for (int t = 0; t < taps; t++)
        for (int i = 0; i < len; i++)
            f->pat[t][i] = a->weights[(size_t)t * c + i % c];
    const float *src[4] = {a->ep.bias, a->ep.scale, a->ep.shift, a->ep.act == FK__ACT_PRELU ? a->ep.slopes : NULL};
    for (int k = 0; k < 4; k++)
        for (int i = 0; src[k] && i < len; i++)
            f->ep[k][i] = src[k][i % c];
    f->e = a->ep;
    f->e.bias = src[0] ? f->ep[0] : NULL;
    f->e.scale = src[1] ? f->ep[1] : NULL;
    f->e.shift = src[2] ? f->ep[2] : NULL;
    f->e.slopes = src[3] ? f->ep[3] : NULL;
    return true;
}

#define DEFINE_FLAT(NAME, GV)                                                                                       \
    TARGET static void NAME(const fk__dwconv_args *a, const flat *f, const fk__view *x, const fk__view *y, int n, \
                            int oy, int ox, int ky0, int ky1)                                                       \
    {                                                                                                               \
        __m512 acc[FLAT_VECS];                                                                                      \
        _Pragma("GCC unroll 12") for (int j = 0; j < FLAT_VECS; j++) acc[j] = _mm512_setzero_ps();                 \
        for (int ky = ky0; ky < ky1; ky++) {                                                                        \
            int iy = oy * a->stride_h - a->pad_top + ky;                                                            \
            const float *in = fk__at(x, n, iy, ox - a->pad_left, 0);                                                \
            for (int kx = 0; kx < a->kw; kx++, in += a->c) {                                                        \
                const float *pw = f->pat[ky * a->kw + kx];                                                          \
                __m512 w[GV];                                                                                       \
                _Pragma("GCC unroll 6") for (int g = 0; g < GV; g++) w[g] = _mm512_loadu_ps(pw + 16 * g);           \
                _Pragma("GCC unroll 12") for (int j = 0; j < FLAT_VECS; j++) acc[j] =                               \
                    _mm512_fmadd_ps(_mm512_loadu_ps(in + 16 * j), w[j % GV], acc[j]);                              \
            }                                                                                                       \
        }                                                                                                           \
        float *out = fk__at(y, n, oy, ox, 0);                                                                       \
        _Pragma("GCC unroll 12") for (int j = 0; j < FLAT_VECS; j++) acc[j] =                                       \
            fk__avx512_epilogue(&f->e, acc[j], 16 * (j % GV), (__mmask16)0xffff);                                   \
        _Pragma("GCC unroll 12") for (int j = 0; j < FLAT_VECS; j++) _mm512_storeu_ps(out + 16 * j, acc[j]);        \
    }
DEFINE_FLAT(flat1, 1)
DEFINE_FLAT(flat2, 2)
DEFINE_FLAT(flat3, 3)
DEFINE_FLAT(flat4, 4)
DEFINE_FLAT(flat6, 6)

TARGET void fk__dwconv_avx512(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    flat f;
    bool use_flat = r0 < r1 && flat_setup(a, x, y, &f);
    void (*flat_fn)(const fk__dwconv_args *, const flat *, const fk__view *, const fk__view *, int, int, int, int,
                    int) = NULL;
    if (use_flat)
        flat_fn = f.gv == 1 ? flat1 : f.gv == 2 ? flat2 : f.gv == 3 ? flat3 : f.gv == 4 ? flat4 : flat6;
    /* whole vectors of channels: the sweep beats the flat runs (measured on SSD MobileNet's
     * depthwise layers); partial ones keep the flat kernel's full lanes */
    void (*slide)(const fk__dwconv_args *, const fk__view *, const fk__view *, int, int, int, int, int) = NULL;
    if (a->kw == 3 && a->c % 16 == 0)
        slide = a->stride_w == 1 ? slide3s1 : a->stride_w == 2 ? slide3s2 : NULL;
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        int ky0 = 0, ky1 = a->kh;
        while (ky0 < ky1 && oy * a->stride_h - a->pad_top + ky0 < 0)
            ky0++;
        while (ky1 > ky0 && oy * a->stride_h - a->pad_top + ky1 - 1 >= x->h)
            ky1--;
        for (int ox = 0; ox < y->w;) {
            int left = ox * a->stride_w - a->pad_left;
            if (slide && ox + 8 <= y->w && left >= 0 && (ox + 7) * a->stride_w - a->pad_left + a->kw <= x->w) {
                slide(a, x, y, n, oy, ox, ky0, ky1);
                ox += 8;
            } else if (use_flat && ox + f.pixels <= y->w && left >= 0 &&
                       ox + f.pixels - 1 - a->pad_left + a->kw <= x->w) {
                flat_fn(a, &f, x, y, n, oy, ox, ky0, ky1);
                ox += f.pixels;
            } else if (ox + 8 <= y->w && left >= 0 && (ox + 7) * a->stride_w - a->pad_left + a->kw <= x->w) {
                run8(a, x, y, n, oy, ox, ky0, ky1);
                ox += 8;
            } else if (ox + 4 <= y->w && left >= 0 && (ox + 3) * a->stride_w - a->pad_left + a->kw <= x->w) {
                run4(a, x, y, n, oy, ox, ky0, ky1);
                ox += 4;
            } else {
                one_pixel(a, x, y, n, oy, ox, ky0, ky1);
                ox++;
            }
        }
    }
}
#else /* not x86: never selected (fk__cpu_has_avx512 is false), defined for the linker */
void fk__dwconv_avx512(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    fk__dwconv_ref(a, x, y, ith, nth);
}
#endif
