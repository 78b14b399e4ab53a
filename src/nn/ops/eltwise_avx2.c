/* eltwise_avx2.c: the add of two tensors of one shape and its epilogue (a residual block's sum and PReLU) with AVX2, 8 channels per step. */

#include "nn/ops/ops.h"

#if defined(__x86_64__) || defined(__i386__)
#include "nn/ops/avx2_epilogue.h"

bool fk__add_avx2_fits(const fk__view *a, const fk__view *b, const fk__view *y)
{
    return fk__shape_eq(fk__view_shape(a), fk__view_shape(y)) && fk__shape_eq(fk__view_shape(b), fk__view_shape(y)) &&
           a->sc == 1 && b->sc == 1 && y->sc == 1;
}

/* Each value is a + b then fk__avx2_epilogue, the reference's operations in its order: bitwise
 * the same as fk__add_ref. */
FK__AVX2_TARGET void fk__add_avx2(const fk__view *a, const fk__view *b, const fk__view *y, const fk__epilogue *ep,
                                  int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n * y->h, ith, nth, &r0, &r1);
    const int c = y->c;
    const __m256i all = _mm256_set1_epi32(-1), tail = fk__avx2_lane_mask(c % 8);
    for (int r = r0; r < r1; r++) {
        int n = r / y->h, oy = r % y->h;
        for (int ox = 0; ox < y->w; ox++) {
            const float *pa = fk__at(a, n, oy, ox, 0), *pb = fk__at(b, n, oy, ox, 0);
            float *py = fk__at(y, n, oy, ox, 0);
            int ch = 0;
            for (; ch + 8 <= c; ch += 8) {
                __m256 v = _mm256_add_ps(_mm256_loadu_ps(pa + ch), _mm256_loadu_ps(pb + ch));
                _mm256_storeu_ps(py + ch, fk__avx2_epilogue(ep, v, ch, 8, all));
            }
            if (ch < c) {
                __m256 v = _mm256_add_ps(_mm256_maskload_ps(pa + ch, tail), _mm256_maskload_ps(pb + ch, tail));
                _mm256_maskstore_ps(py + ch, tail, fk__avx2_epilogue(ep, v, ch, c - ch, tail));
            }
        }
    }
}
#else /* not x86: never selected (fk__cpu_has_avx2_fma is false), defined for the linker */
bool fk__add_avx2_fits(const fk__view *a, const fk__view *b, const fk__view *y)
{
    return false;
}

void fk__add_avx2(const fk__view *a, const fk__view *b, const fk__view *y, const fk__epilogue *ep, int ith, int nth)
{
    fk__add_ref(a, b, y, ep, ith, nth);
}
#endif
