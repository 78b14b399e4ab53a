/* avx512_epilogue.h: what the AVX-512 kernels share: the target attribute, lane masks and the fused epilogue on 16 channels. */
#ifndef FK_NN_OPS_AVX512_EPILOGUE_H
#define FK_NN_OPS_AVX512_EPILOGUE_H

#include <immintrin.h>

#include "nn/ops/ops.h"

/* On each function that uses AVX-512 intrinsics, so the rest of the build stays baseline x86-64. */
#define FK__AVX512_TARGET __attribute__((target("avx512f,avx2,fma")))

/* Lanes < n set (n clamped to [0, 16]). */
static inline __mmask16 fk__avx512_mask(int n)
{
    return n <= 0 ? 0 : n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

/* fk__epilogue_apply on the 16 channels at c, lanes of m only (the others are never read). The
 * same operations in the same order as the reference and the AVX2 epilogue: bitwise their result. */
FK__AVX512_TARGET static inline __attribute__((always_inline)) __m512 fk__avx512_epilogue(const fk__epilogue *e,
                                                                                          __m512 v, int c,
                                                                                          __mmask16 m)
{
    if (e->bias)
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, e->bias + c));
    if (e->scale)
        v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, e->scale + c));
    if (e->shift)
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, e->shift + c));
    switch (e->act) {
    case FK__ACT_RELU:
        return _mm512_max_ps(v, _mm512_setzero_ps());
    case FK__ACT_RELU6:
        return _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(6.0f));
    case FK__ACT_LEAKY: {
        /* x > 0 ? x : alpha * x */
        __mmask16 pos = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ);
        return _mm512_mask_blend_ps(pos, _mm512_mul_ps(v, _mm512_set1_ps(e->alpha)), v);
    }
    case FK__ACT_PRELU: {
        /* x < 0 ? x * slope[c] : x */
        __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
        return _mm512_mask_blend_ps(neg, v, _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, e->slopes + c)));
    }
    case FK__ACT_TANH:
    case FK__ACT_SIGMOID: {
        /* rare (a model's last layers): the reference's scalar function on each lane */
        float t[16];
        _mm512_storeu_ps(t, v);
        for (int i = 0; i < 16; i++)
            t[i] = fk__act_apply(t[i], e->act, e->alpha);
        return _mm512_loadu_ps(t);
    }
    default:
        return v;
    }
}

#endif
