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

TARGET void fk__dwconv_avx512(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        int ky0 = 0, ky1 = a->kh;
        while (ky0 < ky1 && oy * a->stride_h - a->pad_top + ky0 < 0)
            ky0++;
        while (ky1 > ky0 && oy * a->stride_h - a->pad_top + ky1 - 1 >= x->h)
            ky1--;
        for (int ox = 0; ox < y->w;) {
            int left = ox * a->stride_w - a->pad_left;
            if (ox + 8 <= y->w && left >= 0 && (ox + 7) * a->stride_w - a->pad_left + a->kw <= x->w) {
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
