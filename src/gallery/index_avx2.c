/* index_avx2.c: the index's kernels with AVX2, FMA and F16C: distances from a query to blocks of float32, float16 and int8 rows, and the half conversions. */
#include "gallery/index_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

/* Every function here runs only where fk__index_cpu_avx2(); the rest of the build stays
 * baseline x86-64. Each difference is rounded as index_ref.c rounds it (a plain subtract; for
 * int8 a multiply, then a subtract, never one fma), only the sum of squares runs in another
 * order. */
#define TARGET __attribute__((target("avx2,fma,f16c")))
#define INLINE TARGET static inline __attribute__((always_inline))

/* Four rows at a time: the query's chunk is loaded once for all four, and eight independent
 * accumulators (two a row) hide the fma latency. */
#define ROWS 4
/* How far ahead (bytes) each line of the row stream is prefetched, one prefetch a line. The
 * hardware's streamer stops at every 4 KB page; measured on 1M rows of 128 (Xeon, one thread),
 * 2 KB ahead cut float16's and int8's times by about 40 % and float32's by 10 %, 1-4 KB alike
 * within the noise, 8 KB less; 0 leaves the stream to the hardware. */
#ifndef FK__INDEX_AVX2_PREFETCH
#define FK__INDEX_AVX2_PREFETCH 2048
#endif

/* Values j..j+15 of a row as two float vectors, the int8 ones dequantised (s * x). */
INLINE void load16(fk_index_type type, const void *row, size_t j, __m256 s, __m256 *lo, __m256 *hi)
{
    if (type == FK_INDEX_F32) {
        const float *x = (const float *)row + j;
        *lo = _mm256_loadu_ps(x);
        *hi = _mm256_loadu_ps(x + 8);
    } else if (type == FK_INDEX_F16) {
        const uint16_t *x = (const uint16_t *)row + j;
        *lo = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)x));
        *hi = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + 8)));
    } else {
        const __m128i v = _mm_loadu_si128((const __m128i *)((const int8_t *)row + j));
        *lo = _mm256_mul_ps(s, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)));
        *hi = _mm256_mul_ps(s, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8))));
        /* an empty asm the products must pass through, so that no -ffp-contract=fast build
         * (gcc in gnu11 mode) fuses them with the caller's subtract into one fma */
        __asm__("" : "+x"(*lo), "+x"(*hi));
    }
}

INLINE float hsum(__m256 a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

INLINE void dist(fk_index_type type, const void *rows, const float *scale, size_t n, const float *q, size_t pdim,
                 float *d2)
{
    const size_t esize = type == FK_INDEX_F32 ? 4 : type == FK_INDEX_F16 ? 2 : 1;
    const size_t rbytes = pdim * esize;
    const char *x = rows;
    size_t r = 0;
    for (; r + ROWS <= n; r += ROWS, x += ROWS * rbytes) {
        __m256 a[ROWS], b[ROWS], s[ROWS];
        for (int i = 0; i < ROWS; i++) {
            a[i] = b[i] = _mm256_setzero_ps();
            s[i] = _mm256_set1_ps(scale ? scale[r + i] : 1.0f);
        }
        uintptr_t pf = (uintptr_t)x + FK__INDEX_AVX2_PREFETCH;
        for (size_t j = 0; j < pdim; j += FK__INDEX_PAD) {
            if (FK__INDEX_AVX2_PREFETCH)
                for (size_t l = 0; l < ROWS * FK__INDEX_PAD * esize; l += 64)
                    _mm_prefetch((const char *)(pf + l), _MM_HINT_T0);
            pf += ROWS * FK__INDEX_PAD * esize;
            const __m256 q0 = _mm256_loadu_ps(q + j), q1 = _mm256_loadu_ps(q + j + 8);
            for (int i = 0; i < ROWS; i++) {
                const void *row = x + (size_t)i * rbytes;
                __m256 lo, hi;
                load16(type, row, j, s[i], &lo, &hi);
                const __m256 d0 = _mm256_sub_ps(q0, lo), d1 = _mm256_sub_ps(q1, hi);
                a[i] = _mm256_fmadd_ps(d0, d0, a[i]);
                b[i] = _mm256_fmadd_ps(d1, d1, b[i]);
            }
        }
        for (int i = 0; i < ROWS; i++)
            a[i] = _mm256_add_ps(a[i], b[i]);
        /* the four rows' sums side by side */
        const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
        _mm_storeu_ps(d2 + r, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
    }
    for (; r < n; r++, x += rbytes) {
        const __m256 s = _mm256_set1_ps(scale ? scale[r] : 1.0f);
        __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
        for (size_t j = 0; j < pdim; j += FK__INDEX_PAD) {
            __m256 lo, hi;
            load16(type, x, j, s, &lo, &hi);
            const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(q + j), lo);
            const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(q + j + 8), hi);
            a = _mm256_fmadd_ps(d0, d0, a);
            b = _mm256_fmadd_ps(d1, d1, b);
        }
        d2[r] = hsum(_mm256_add_ps(a, b));
    }
}

TARGET static void dist_f32(const void *rows, const float *scale, size_t n, const float *q, size_t pdim, float *d2)
{
    dist(FK_INDEX_F32, rows, NULL, n, q, pdim, d2);
}

TARGET static void dist_f16(const void *rows, const float *scale, size_t n, const float *q, size_t pdim, float *d2)
{
    dist(FK_INDEX_F16, rows, NULL, n, q, pdim, d2);
}

TARGET static void dist_i8(const void *rows, const float *scale, size_t n, const float *q, size_t pdim, float *d2)
{
    dist(FK_INDEX_I8, rows, scale, n, q, pdim, d2);
}

TARGET static void to_f16(const float *src, uint16_t *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    if (i < n) { /* the tail through a zeroed chunk, so no load or store leaves the arrays */
        float f[8] = {0};
        uint16_t h[8];
        memcpy(f, src + i, (n - i) * sizeof *f);
        _mm_storeu_si128((__m128i *)h, _mm256_cvtps_ph(_mm256_loadu_ps(f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        memcpy(dst + i, h, (n - i) * sizeof *h);
    }
}

TARGET static void to_f32(const uint16_t *src, float *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    if (i < n) {
        uint16_t h[8] = {0};
        float f[8];
        memcpy(h, src + i, (n - i) * sizeof *h);
        _mm256_storeu_ps(f, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)h)));
        memcpy(dst + i, f, (n - i) * sizeof *f);
    }
}

static const fk__index_kernel_set avx2_set = {
    FK_INDEX_KERNELS_AVX2, "avx2", {dist_f32, dist_f16, dist_i8}, to_f16, to_f32};

const fk__index_kernel_set *fk__index_kernels_avx2(void)
{
    return &avx2_set;
}

#else

const fk__index_kernel_set *fk__index_kernels_avx2(void)
{
    return NULL;
}

#endif
