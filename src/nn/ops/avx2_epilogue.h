/* avx2_epilogue.h: the pieces the AVX2 kernels share: the target attribute, partial-lane masks and the fused epilogue on 8 channels. */
#ifndef FK_NN_OPS_AVX2_EPILOGUE_H
#define FK_NN_OPS_AVX2_EPILOGUE_H

#include <immintrin.h>

#include "nn/ops/ops.h"

/* On each function that uses AVX2/FMA intrinsics, so the rest of the build stays baseline x86-64. */
#define FK__AVX2_TARGET __attribute__((target("avx2,fma")))

/* Lanes < n set, for the last, partial block of channels. */
FK__AVX2_TARGET static inline __m256i fk__avx2_lane_mask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* 8 floats at p, or only the n < 8 lanes of mask m (nothing is read past them). */
FK__AVX2_TARGET static inline __attribute__((always_inline)) __m256 fk__avx2_load_part(const float *p, int n, __m256i m)
{
    return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

/* fk__epilogue_apply on the 8 channels at c, of which n exist (mask m when n < 8). */
FK__AVX2_TARGET static inline __attribute__((always_inline)) __m256 fk__avx2_epilogue(const fk__epilogue *e, __m256 v, int c, int n, __m256i m)
{
    if (e->bias)
        v = _mm256_add_ps(v, fk__avx2_load_part(e->bias + c, n, m));
    if (e->scale)
        v = _mm256_mul_ps(v, fk__avx2_load_part(e->scale + c, n, m));
    if (e->shift)
        v = _mm256_add_ps(v, fk__avx2_load_part(e->shift + c, n, m));
    switch (e->act) {
    case FK__ACT_RELU:
        return _mm256_max_ps(v, _mm256_setzero_ps());
    case FK__ACT_RELU6:
        return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(6.0f));
    case FK__ACT_LEAKY:
        /* x > 0 ? x : alpha * x, exactly as the reference computes it */
        return _mm256_blendv_ps(_mm256_mul_ps(v, _mm256_set1_ps(e->alpha)), v,
                                _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ));
    case FK__ACT_PRELU:
        /* x < 0 ? x * slope[c] : x, one slope per channel, as the reference */
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, fk__avx2_load_part(e->slopes + c, n, m)),
                                _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
    case FK__ACT_TANH:
    case FK__ACT_SIGMOID: {
        /* rare (a model's last layers): the reference's scalar function on each lane */
        float t[8];
        _mm256_storeu_ps(t, v);
        for (int i = 0; i < 8; i++)
            t[i] = fk__act_apply(t[i], e->act, e->alpha);
        return _mm256_loadu_ps(t);
    }
    default:
        return v;
    }
}

#endif
