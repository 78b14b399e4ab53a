/* conv2d_pack.c: convolution weights rearranged into panels of 16 output channels for the direct AVX2 kernel. */
#include "nn/ops/ops.h"

const float fk__conv_zeros[FK__CONV_AVX2_MAX_CIN];

size_t fk__conv2d_packed_floats(const fk__conv2d_args *a)
{
    size_t blocks = ((size_t)a->cout + 15) / 16, out;
    if (!fk__mul4_size(blocks, (size_t)a->kh * a->kw, (size_t)a->cin, 16, &out))
        return 0;
    return out;
}

void fk__conv2d_pack(const fk__conv2d_args *a, float *dst)
{
    size_t k = (size_t)a->kh * a->kw * a->cin;
    for (int co = 0; co < a->cout; co += 16) {
        float *panel = dst + (size_t)(co / 16) * k * 16;
        int width = a->cout - co < 16 ? a->cout - co : 16;
        for (size_t r = 0; r < k; r++)
            for (int j = 0; j < 16; j++)
                panel[r * 16 + j] = j < width ? a->weights[r * a->cout + co + j] : 0.0f;
    }
}
