/* index_avx512.c: the index's kernels with AVX-512 F/BW/VL/DQ: distances from a query to blocks of float32, float16 and int8 rows, and the half conversions. */
#include "gallery/index_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* Every function here runs only where fk__index_cpu_avx512(); the rest of the build stays
 * baseline x86-64. As in index_avx2.c, each difference is rounded as the plain C rounds it. */
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))
#define INLINE TARGET static inline __attribute__((always_inline))

/* Eight rows at a time: a row's 16 values are one register, so eight rows give the eight
 * independent fma chains that two FMA ports with 4-cycle latency need; the query's chunk is
 * loaded once for all eight, and the eight sums are reduced together. */
#define ROWS 8
/* How far ahead (bytes) each line of the row stream is prefetched, one prefetch a line. The
 * hardware's streamer stops at every 4 KB page; measured on 1M rows of 128 (Xeon, one thread),
 * 2 KB ahead cut float16's and int8's times by about 40 % and float32's by 10 %, 1-4 KB alike
 * within the noise, 8 KB less; 0 leaves the stream to the hardware. */
#ifndef FK__INDEX_AVX512_PREFETCH
#define FK__INDEX_AVX512_PREFETCH 2048
#endif

/* Values j..j+15 of a row as floats, the int8 ones dequantised (s * x). */
INLINE __m512 load16(fk_index_type type, const void *row, size_t j, __m512 s)
{
    if (type == FK_INDEX_F32)
        return _mm512_loadu_ps((const float *)row + j);
    if (type == FK_INDEX_F16)
        return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)row + j)));
    const __m128i v = _mm_loadu_si128((const __m128i *)((const int8_t *)row + j));
    __m512 sx = _mm512_mul_ps(s, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v)));
    __asm__("" : "+v"(sx)); /* no fusing with the subtract into an fma, as in index_avx2.c */
    return sx;
}

/* The eight rows' sums side by side. */
INLINE __m256 hsum8(const __m512 *a)
{
    __m256 y[ROWS];
    for (int i = 0; i < ROWS; i++)
        y[i] = _mm256_add_ps(_mm512_castps512_ps256(a[i]), _mm512_extractf32x8_ps(a[i], 1));
    const __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(y[0], y[1]), _mm256_hadd_ps(y[2], y[3]));
    const __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(y[4], y[5]), _mm256_hadd_ps(y[6], y[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

INLINE void dist(fk_index_type type, const void *rows, const float *scale, size_t n, const float *q, size_t pdim,
                 float *d2)
{
    const size_t esize = type == FK_INDEX_F32 ? 4 : type == FK_INDEX_F16 ? 2 : 1;
    const size_t rbytes = pdim * esize;
    const char *x = rows;
    size_t r = 0;
    for (; r + ROWS <= n; r += ROWS, x += ROWS * rbytes) {
        __m512 a[ROWS], s[ROWS];
        for (int i = 0; i < ROWS; i++) {
            a[i] = _mm512_setzero_ps();
            s[i] = _mm512_set1_ps(scale ? scale[r + i] : 1.0f);
        }
        uintptr_t pf = (uintptr_t)x + FK__INDEX_AVX512_PREFETCH;
        for (size_t j = 0; j < pdim; j += FK__INDEX_PAD) {
            if (FK__INDEX_AVX512_PREFETCH)
                for (size_t l = 0; l < ROWS * FK__INDEX_PAD * esize; l += 64)
                    _mm_prefetch((const char *)(pf + l), _MM_HINT_T0);
            pf += ROWS * FK__INDEX_PAD * esize;
            const __m512 qj = _mm512_loadu_ps(q + j);
            for (int i = 0; i < ROWS; i++) {
                const char *row = x + (size_t)i * rbytes;
                const __m512 d = _mm512_sub_ps(qj, load16(type, row, j, s[i]));
                a[i] = _mm512_fmadd_ps(d, d, a[i]);
            }
        }
        _mm256_storeu_ps(d2 + r, hsum8(a));
    }
    for (; r < n; r++, x += rbytes) {
        const __m512 s = _mm512_set1_ps(scale ? scale[r] : 1.0f);
        __m512 a = _mm512_setzero_ps();
        for (size_t j = 0; j < pdim; j += FK__INDEX_PAD) {
            const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(q + j), load16(type, x, j, s));
            a = _mm512_fmadd_ps(d, d, a);
        }
        d2[r] = _mm512_reduce_add_ps(a);
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

/* The tails through masked loads and stores (BW/VL for the 16-bit store), which touch nothing
 * past n. */
TARGET static void to_f16(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_mask_storeu_epi16(dst + i, m, h);
    }
}

TARGET static void to_f32(const uint16_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, src + i)));
    }
}

static const fk__index_kernel_set avx512_set = {
    FK_INDEX_KERNELS_AVX512, "avx512", {dist_f32, dist_f16, dist_i8}, to_f16, to_f32};

const fk__index_kernel_set *fk__index_kernels_avx512(void)
{
    return &avx512_set;
}

#else

const fk__index_kernel_set *fk__index_kernels_avx512(void)
{
    return NULL;
}

#endif
