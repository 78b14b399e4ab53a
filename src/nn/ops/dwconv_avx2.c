/* dwconv_avx2.c: depthwise convolution with AVX2/FMA, eight output pixels by 8 channels per step inside the image, one pixel at the edges. */

#include "nn/ops/ops.h"

#if defined(__x86_64__) || defined(__i386__)
#include "nn/ops/avx2_epilogue.h"

#define TARGET FK__AVX2_TARGET

/* Output pixel (oy, ox) from channel ch0 on, over the taps [ky0, ky1) x [kx0, kx1) inside the image. */
TARGET static void one_pixel(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int n, int oy, int ox,
                             int ky0, int ky1, int ch0)
{
    const int c = a->c;
    const __m256i all = _mm256_set1_epi32(-1);
    int kx0 = 0, kx1 = a->kw;
    while (kx0 < kx1 && ox * a->stride_w - a->pad_left + kx0 < 0)
        kx0++;
    while (kx1 > kx0 && ox * a->stride_w - a->pad_left + kx1 - 1 >= x->w)
        kx1--;
    float *out = fk__at(y, n, oy, ox, 0);
    int ch = ch0;
    /* up to 32 channels per pass as four independent sums, partial blocks masked (lanes past c
     * are neither read nor stored) */
    for (; ch < c; ch += 32) {
        int n0 = c - ch, n1 = n0 - 8, n2 = n0 - 16, n3 = n0 - 24;
        __m256i m0 = n0 >= 8 ? all : fk__avx2_lane_mask(n0), m1 = n1 >= 8 ? all : fk__avx2_lane_mask(n1 > 0 ? n1 : 0);
        __m256i m2 = n2 >= 8 ? all : fk__avx2_lane_mask(n2 > 0 ? n2 : 0);
        __m256i m3 = n3 >= 8 ? all : fk__avx2_lane_mask(n3 > 0 ? n3 : 0);
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int ky = ky0; ky < ky1; ky++) {
            int iy = oy * a->stride_h - a->pad_top + ky;
            for (int kx = kx0; kx < kx1; kx++) {
                const float *in = fk__at(x, n, iy, ox * a->stride_w - a->pad_left + kx, ch);
                const float *w = a->weights + (size_t)(ky * a->kw + kx) * c + ch;
                s0 = _mm256_fmadd_ps(_mm256_maskload_ps(in, m0), _mm256_maskload_ps(w, m0), s0);
                s1 = _mm256_fmadd_ps(_mm256_maskload_ps(in + 8, m1), _mm256_maskload_ps(w + 8, m1), s1);
                s2 = _mm256_fmadd_ps(_mm256_maskload_ps(in + 16, m2), _mm256_maskload_ps(w + 16, m2), s2);
                s3 = _mm256_fmadd_ps(_mm256_maskload_ps(in + 24, m3), _mm256_maskload_ps(w + 24, m3), s3);
            }
        }
        _mm256_maskstore_ps(out + ch, m0, fk__avx2_epilogue(&a->ep, s0, ch, n0 < 8 ? n0 : 8, m0));
        if (n1 > 0)
            _mm256_maskstore_ps(out + ch + 8, m1, fk__avx2_epilogue(&a->ep, s1, ch + 8, n1 < 8 ? n1 : 8, m1));
        if (n2 > 0)
            _mm256_maskstore_ps(out + ch + 16, m2, fk__avx2_epilogue(&a->ep, s2, ch + 16, n2 < 8 ? n2 : 8, m2));
        if (n3 > 0)
            _mm256_maskstore_ps(out + ch + 24, m3, fk__avx2_epilogue(&a->ep, s3, ch + 24, n3 < 8 ? n3 : 8, m3));
    }
}

/* PX neighbouring output pixels whose taps all lie inside the image, 8 channels (n of them, mask
 * m) at a time: each tap's weights are loaded once for all PX pixels, and the PX sums are
 * independent chains, so the FMA latency is hidden (two pixels left BlazeFace's 24-channel layers
 * waiting on it). Each output is the same sum in the same tap order as one_pixel computes it. */
#define DEFINE_RUN(NAME, PX)                                                                                  \
TARGET static void NAME(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int n, int oy, int ox,         \
                             int ky0, int ky1)                                                                         \
{                                                                                                                      \
    const int c = a->c;                                                                                                \
    const ptrdiff_t step = (ptrdiff_t)a->stride_w * x->sw; /* the next pixel's taps, one stride right */               \
    for (int ch = 0; ch < c; ch += 8) {                                                                                \
        const int left = c - ch < 8 ? c - ch : 8;                                                                      \
        const __m256i m = fk__avx2_lane_mask(left);                                                                    \
        __m256 acc[PX];                                                                                                \
_Pragma("GCC unroll 8")                                                                                                \
        for (int p = 0; p < PX; p++)                                                                                   \
            acc[p] = _mm256_setzero_ps();                                                                              \
        for (int ky = ky0; ky < ky1; ky++) {                                                                           \
            int iy = oy * a->stride_h - a->pad_top + ky;                                                               \
            const float *in = fk__at(x, n, iy, ox * a->stride_w - a->pad_left, ch);                                    \
            const float *w = a->weights + (size_t)ky * a->kw * c + ch;                                                 \
            for (int kx = 0; kx < a->kw; kx++, in += x->sw, w += c) {                                                  \
                __m256 wv = fk__avx2_load_part(w, left, m);                                                            \
_Pragma("GCC unroll 8")                                                                                                \
                for (int p = 0; p < PX; p++)                                                                           \
                    acc[p] = _mm256_fmadd_ps(fk__avx2_load_part(in + p * step, left, m), wv, acc[p]);                  \
            }                                                                                                          \
        }                                                                                                              \
        /* every epilogue before the first store, which could alias what it reads */                                   \
        _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++) acc[p] = fk__avx2_epilogue(&a->ep, acc[p], ch, left, m);  \
        _Pragma("GCC unroll 8") for (int p = 0; p < PX; p++) {                                                         \
            float *out = fk__at(y, n, oy, ox + p, ch);                                                                 \
            if (left == 8)                                                                                             \
                _mm256_storeu_ps(out, acc[p]);                                                                         \
            else                                                                                                       \
                _mm256_maskstore_ps(out, m, acc[p]);                                                                   \
        }                                                                                                              \
    }                                                                                                                  \
}
DEFINE_RUN(run8, 8)
DEFINE_RUN(run4, 4)

TARGET void fk__dwconv_avx2(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
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
            int left = ox * a->stride_w - a->pad_left, right8 = (ox + 7) * a->stride_w - a->pad_left + a->kw;
            int right4 = (ox + 3) * a->stride_w - a->pad_left + a->kw;
            if (ox + 8 <= y->w && left >= 0 && right8 <= x->w) {
                run8(a, x, y, n, oy, ox, ky0, ky1);
                ox += 8;
            } else if (ox + 4 <= y->w && left >= 0 && right4 <= x->w) {
                run4(a, x, y, n, oy, ox, ky0, ky1);
                ox += 4;
            } else {
                one_pixel(a, x, y, n, oy, ox, ky0, ky1, 0);
                ox++;
            }
        }
    }
}
#else /* not x86: never selected (fk__cpu_has_avx2_fma is false), defined for the linker */
void fk__dwconv_avx2(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    fk__dwconv_ref(a, x, y, ith, nth);
}
#endif
