/* dwconv_avx2.c: depthwise convolution with AVX2/FMA, 32 or 8 channels of one or two output pixels per step. */

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
    for (; ch + 32 <= c; ch += 32) {
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int ky = ky0; ky < ky1; ky++) {
            int iy = oy * a->stride_h - a->pad_top + ky;
            for (int kx = kx0; kx < kx1; kx++) {
                const float *in = fk__at(x, n, iy, ox * a->stride_w - a->pad_left + kx, ch);
                const float *w = a->weights + (size_t)(ky * a->kw + kx) * c + ch;
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(in), _mm256_loadu_ps(w), s0);
                s1 = _mm256_fmadd_ps(_mm256_loadu_ps(in + 8), _mm256_loadu_ps(w + 8), s1);
                s2 = _mm256_fmadd_ps(_mm256_loadu_ps(in + 16), _mm256_loadu_ps(w + 16), s2);
                s3 = _mm256_fmadd_ps(_mm256_loadu_ps(in + 24), _mm256_loadu_ps(w + 24), s3);
            }
        }
        _mm256_storeu_ps(out + ch, fk__avx2_epilogue(&a->ep, s0, ch, 8, all));
        _mm256_storeu_ps(out + ch + 8, fk__avx2_epilogue(&a->ep, s1, ch + 8, 8, all));
        _mm256_storeu_ps(out + ch + 16, fk__avx2_epilogue(&a->ep, s2, ch + 16, 8, all));
        _mm256_storeu_ps(out + ch + 24, fk__avx2_epilogue(&a->ep, s3, ch + 24, 8, all));
    }
    for (; ch < c; ch += 8) {
        __m256i m = c - ch >= 8 ? all : fk__avx2_lane_mask(c - ch);
        __m256 s = _mm256_setzero_ps();
        for (int ky = ky0; ky < ky1; ky++) {
            int iy = oy * a->stride_h - a->pad_top + ky;
            for (int kx = kx0; kx < kx1; kx++) {
                const float *in = fk__at(x, n, iy, ox * a->stride_w - a->pad_left + kx, ch);
                const float *w = a->weights + (size_t)(ky * a->kw + kx) * c + ch;
                s = _mm256_fmadd_ps(_mm256_maskload_ps(in, m), _mm256_maskload_ps(w, m), s);
            }
        }
        _mm256_maskstore_ps(out + ch, m, fk__avx2_epilogue(&a->ep, s, ch, c - ch, m));
    }
}

/* Two neighbouring output pixels whose taps all lie inside the image share every weight load:
 * 32 channels of both per step, then 8; the remaining channels go one pixel at a time. Each output is
 * the same sum in the same tap order as one_pixel computes it. */
TARGET static void pixel_pair(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int n, int oy, int ox,
                              int ky0, int ky1)
{
    const int c = a->c;
    const __m256i all = _mm256_set1_epi32(-1);
    const ptrdiff_t next = (ptrdiff_t)a->stride_w * x->sw; /* the second pixel's taps, one stride right */
    float *out = fk__at(y, n, oy, ox, 0), *out2 = fk__at(y, n, oy, ox + 1, 0);
    int ch = 0;
    for (; ch + 32 <= c; ch += 32) {
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        for (int ky = ky0; ky < ky1; ky++) {
            int iy = oy * a->stride_h - a->pad_top + ky;
            for (int kx = 0; kx < a->kw; kx++) {
                const float *in = fk__at(x, n, iy, ox * a->stride_w - a->pad_left + kx, ch), *in2 = in + next;
                const float *w = a->weights + (size_t)(ky * a->kw + kx) * c + ch;
                __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
                __m256 w2 = _mm256_loadu_ps(w + 16), w3 = _mm256_loadu_ps(w + 24);
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(in), w0, s0);
                s1 = _mm256_fmadd_ps(_mm256_loadu_ps(in + 8), w1, s1);
                s2 = _mm256_fmadd_ps(_mm256_loadu_ps(in + 16), w2, s2);
                s3 = _mm256_fmadd_ps(_mm256_loadu_ps(in + 24), w3, s3);
                t0 = _mm256_fmadd_ps(_mm256_loadu_ps(in2), w0, t0);
                t1 = _mm256_fmadd_ps(_mm256_loadu_ps(in2 + 8), w1, t1);
                t2 = _mm256_fmadd_ps(_mm256_loadu_ps(in2 + 16), w2, t2);
                t3 = _mm256_fmadd_ps(_mm256_loadu_ps(in2 + 24), w3, t3);
            }
        }
        _mm256_storeu_ps(out + ch, fk__avx2_epilogue(&a->ep, s0, ch, 8, all));
        _mm256_storeu_ps(out + ch + 8, fk__avx2_epilogue(&a->ep, s1, ch + 8, 8, all));
        _mm256_storeu_ps(out + ch + 16, fk__avx2_epilogue(&a->ep, s2, ch + 16, 8, all));
        _mm256_storeu_ps(out + ch + 24, fk__avx2_epilogue(&a->ep, s3, ch + 24, 8, all));
        _mm256_storeu_ps(out2 + ch, fk__avx2_epilogue(&a->ep, t0, ch, 8, all));
        _mm256_storeu_ps(out2 + ch + 8, fk__avx2_epilogue(&a->ep, t1, ch + 8, 8, all));
        _mm256_storeu_ps(out2 + ch + 16, fk__avx2_epilogue(&a->ep, t2, ch + 16, 8, all));
        _mm256_storeu_ps(out2 + ch + 24, fk__avx2_epilogue(&a->ep, t3, ch + 24, 8, all));
    }
    /* then blocks of 8 (BlazeFace's 24, 48 and 96 channels end here), the same sums lane by lane */
    for (; ch + 8 <= c; ch += 8) {
        __m256 s0 = _mm256_setzero_ps(), t0 = s0;
        for (int ky = ky0; ky < ky1; ky++) {
            int iy = oy * a->stride_h - a->pad_top + ky;
            for (int kx = 0; kx < a->kw; kx++) {
                const float *in = fk__at(x, n, iy, ox * a->stride_w - a->pad_left + kx, ch), *in2 = in + next;
                __m256 w0 = _mm256_loadu_ps(a->weights + (size_t)(ky * a->kw + kx) * c + ch);
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(in), w0, s0);
                t0 = _mm256_fmadd_ps(_mm256_loadu_ps(in2), w0, t0);
            }
        }
        _mm256_storeu_ps(out + ch, fk__avx2_epilogue(&a->ep, s0, ch, 8, all));
        _mm256_storeu_ps(out2 + ch, fk__avx2_epilogue(&a->ep, t0, ch, 8, all));
    }
    if (ch < c) {
        one_pixel(a, x, y, n, oy, ox, ky0, ky1, ch);
        one_pixel(a, x, y, n, oy, ox + 1, ky0, ky1, ch);
    }
}

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
            int left = ox * a->stride_w - a->pad_left, right = (ox + 1) * a->stride_w - a->pad_left + a->kw;
            if (ox + 1 < y->w && left >= 0 && right <= x->w && a->c >= 8) {
                pixel_pair(a, x, y, n, oy, ox, ky0, ky1);
                ox += 2;
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
