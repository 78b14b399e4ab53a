/* pool_avx2.c: max and average pooling with AVX2, 32 channels per pass held in registers over the taps. */

#include <float.h>

#include "nn/ops/ops.h"

#if defined(__x86_64__) || defined(__i386__)
#include "nn/ops/avx2_epilogue.h"

#define TARGET FK__AVX2_TARGET

/* The taps [k0, k1) of one axis that fall inside [0, size) for output o. */
static void inside(int o, int stride, int pad, int k, int size, int *k0, int *k1)
{
    int i0 = o * stride - pad;
    *k0 = i0 < 0 ? -i0 : 0;
    *k1 = size - i0 < k ? size - i0 : k;
    if (*k1 < *k0)
        *k1 = *k0;
}

/* The n lanes of v that exist (none when n <= 0). */
TARGET static inline void store_part(float *p, int n, __m256i m, __m256 v)
{
    if (n >= 8)
        _mm256_storeu_ps(p, v);
    else if (n > 0)
        _mm256_maskstore_ps(p, m, v);
}

/* Up to 32 channels from ch in nv vectors (a constant once inlined, so a 16-channel layer loads
 * two vectors a tap, not four with two masked off): the first tap loaded, the others folded in
 * tap order (max as the reference's `v > m ? v : m`, which _mm256_max_ps(v, m) is, NaN
 * included; average as a float sum times 1 / taps, as fk__pool_fast), lanes past c neither read
 * nor stored. */
TARGET static inline __attribute__((always_inline)) void block_nv(const fk__pool_args *a, const fk__view *x,
                                                                  float *out, int n, int iy0, int ky0, int ky1,
                                                                  int ix0, int kx0, int kx1, int ch, int c, int nv)
{
    int left[4];
    __m256i m[4];
    __m256 v[4];
    _Pragma("GCC unroll 4") for (int j = 0; j < nv; j++) {
        left[j] = c - ch - 8 * j;
        m[j] = fk__avx2_lane_mask(left[j]);
    }
    const float *row = fk__at(x, n, iy0 + ky0, ix0, ch);
    const float *p = row + (ptrdiff_t)kx0 * x->sw;
    _Pragma("GCC unroll 4") for (int j = 0; j < nv; j++) v[j] = fk__avx2_load_part(p + 8 * j, left[j], m[j]);
    const bool mx = a->kind == FK__POOL_MAX;
    for (int ky = ky0; ky < ky1; ky++, row += x->sh)
        for (int kx = ky == ky0 ? kx0 + 1 : kx0; kx < kx1; kx++) {
            p = row + (ptrdiff_t)kx * x->sw;
            _Pragma("GCC unroll 4") for (int j = 0; j < nv; j++) {
                __m256 t = fk__avx2_load_part(p + 8 * j, left[j], m[j]);
                v[j] = mx ? _mm256_max_ps(t, v[j]) : _mm256_add_ps(v[j], t);
            }
        }
    if (!mx) {
        __m256 inv = _mm256_set1_ps(1.0f / (float)((ky1 - ky0) * (kx1 - kx0)));
        _Pragma("GCC unroll 4") for (int j = 0; j < nv; j++) v[j] = _mm256_mul_ps(v[j], inv);
    }
    _Pragma("GCC unroll 4") for (int j = 0; j < nv; j++) store_part(out + ch + 8 * j, left[j], m[j], v[j]);
}

/* block_nv for the vectors channels ch.. need: one copy per count, so each has constant loops. */
TARGET static void block(const fk__pool_args *a, const fk__view *x, float *out, int n, int iy0, int ky0, int ky1,
                         int ix0, int kx0, int kx1, int ch, int c)
{
    int left = c - ch;
    if (left <= 8)
        block_nv(a, x, out, n, iy0, ky0, ky1, ix0, kx0, kx1, ch, c, 1);
    else if (left <= 16)
        block_nv(a, x, out, n, iy0, ky0, ky1, ix0, kx0, kx1, ch, c, 2);
    else if (left <= 24)
        block_nv(a, x, out, n, iy0, ky0, ky1, ix0, kx0, kx1, ch, c, 3);
    else
        block_nv(a, x, out, n, iy0, ky0, ky1, ix0, kx0, kx1, ch, c, 4);
}

TARGET void fk__pool_avx2(const fk__pool_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    const int c = y->c;
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h, ky0, ky1;
        inside(oy, a->stride_h, a->pad_top, a->kh, x->h, &ky0, &ky1);
        const int iy0 = oy * a->stride_h - a->pad_top;
        for (int ox = 0; ox < y->w; ox++) {
            int kx0, kx1;
            inside(ox, a->stride_w, a->pad_left, a->kw, x->w, &kx0, &kx1);
            float *out = fk__at(y, n, oy, ox, 0);
            if (ky0 == ky1 || kx0 == kx1) {
                for (int i = 0; i < c; i++)
                    out[i] = a->kind == FK__POOL_MAX ? -FLT_MAX : 0.0f;
                continue;
            }
            const int ix0 = ox * a->stride_w - a->pad_left;
            for (int ch = 0; ch < c; ch += 32)
                block(a, x, out, n, iy0, ky0, ky1, ix0, kx0, kx1, ch, c);
        }
    }
}

#else
void fk__pool_avx2(const fk__pool_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    fk__pool_fast(a, x, y, ith, nth);
}
#endif
