/* index_ref.c: the index's plain C kernels (distances for the three row types, half conversions, int8 quantisation): the reference every SIMD kernel is tested against, and the kernels of CPUs without AVX2. */
#include <math.h>
#include <string.h>

#include "gallery/index_internal.h"

/* ---------------------------------------------------------------- half floats */

/* Integer-only, so the rounding does not depend on the FPU's modes (flush-to-zero, rounding
 * direction) and matches vcvtps2ph with imm8 = round to nearest even bit for bit. */
uint16_t fk__index_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) /* NaN: quiet, the top of the payload kept, as F16C does */
        return (uint16_t)(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
    if (ax >= 0x477ff000u) /* 65520 and up (65520 is the tie between 65504 and 2^16) round to inf */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) { /* below 2^-14: a half subnormal (units of 2^-24) or zero */
        if (ax <= 0x33000000u) /* at most 2^-25, half a unit: ties go to the even 0 */
            return sign;
        const uint32_t e = ax >> 23; /* 102..112 */
        const uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - e; /* 14..24 */
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++; /* 0x400 is the smallest normal half: the carry encodes it */
        return (uint16_t)(sign | h);
    }
    const uint32_t r = ax - ((uint32_t)(127 - 15) << 23);
    uint32_t h = r >> 13;
    const uint32_t rem = r & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++; /* a carry into the exponent is the right rounding, up to 65504 */
    return (uint16_t)(sign | h);
}

float fk__index_f16_to_f32(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t e = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    uint32_t x;
    if (e == 0x1f)
        x = sign | 0x7f800000u | (mant << 13);
    else if (e)
        x = sign | ((e + 112) << 23) | (mant << 13);
    else {
        /* a subnormal half is a normal float: mant * 2^-24, both factors exact */
        float v = (float)mant * 0x1p-24f;
        memcpy(&x, &v, sizeof x);
        x |= sign;
    }
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

static void to_f16(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = fk__index_f32_to_f16(src[i]);
}

/* The same as fk__index_f16_to_f32, in masks instead of branches, so that the compiler
 * vectorises the reference float16 kernel's conversions. */
static void to_f32(const uint16_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint32_t ax = src[i] & 0x7fffu;
        uint32_t x = (ax << 13) + 0x38000000u; /* a normal half: the exponent rebiased by 112 */
        x += -(uint32_t)(ax >= 0x7c00u) & 0x38000000u; /* inf and NaN: the exponent all ones */
        const float sub = (float)(int32_t)ax * 0x1p-24f; /* a subnormal (or zero), exactly */
        uint32_t xs;
        memcpy(&xs, &sub, sizeof xs);
        const uint32_t is_sub = -(uint32_t)(ax < 0x400u);
        x = (xs & is_sub) | (x & ~is_sub);
        x |= (uint32_t)(src[i] & 0x8000u) << 16;
        memcpy(dst + i, &x, sizeof x);
    }
}

/* ---------------------------------------------------------------- int8 */

float fk__index_quantize_i8(const float *x, int dim, int8_t *q)
{
    float m = 0.0f;
    for (int i = 0; i < dim; i++)
        m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
    const float scale = m / 127.0f;
    if (scale == 0.0f) { /* all zero, or so small that the scale underflows: the row is 0 */
        memset(q, 0, (size_t)dim);
        return 0.0f;
    }
    for (int i = 0; i < dim; i++) {
        float v = rintf(x[i] / scale);
        q[i] = (int8_t)(v > 127.0f ? 127 : v < -127.0f ? -127 : (int)v);
    }
    return scale;
}

/* ---------------------------------------------------------------- distances */

/* Sixteen partial sums, element j into lane j % 16 (the order the AVX-512 kernels use), so the
 * compiler vectorises the plain loop without reassociating anything, and the error of a
 * 4096-value sum grows like 256 additions' rather than 4096's. */
static float sum16(const float *acc)
{
    float s8[8], s4[4];
    for (int l = 0; l < 8; l++)
        s8[l] = acc[l] + acc[l + 8];
    for (int l = 0; l < 4; l++)
        s4[l] = s8[l] + s8[l + 4];
    return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

static float row_f32(const float *q, const float *x, size_t pdim)
{
    float acc[FK__INDEX_PAD] = {0};
    for (size_t j = 0; j < pdim; j += FK__INDEX_PAD)
        for (int l = 0; l < FK__INDEX_PAD; l++) {
            const float d = q[j + l] - x[j + l];
            acc[l] += d * d;
        }
    return sum16(acc);
}

static void dist_f32(const void *rows, const float *scale, size_t n, const float *q, size_t pdim, float *d2)
{
    const float *x = rows;
    for (size_t r = 0; r < n; r++, x += pdim)
        d2[r] = row_f32(q, x, pdim);
}

/* A whole row converted first: two plain loops vectorise where one that mixes them does not. */
static void dist_f16(const void *rows, const float *scale, size_t n, const float *q, size_t pdim, float *d2)
{
    const uint16_t *x = rows;
    float xf[FK__INDEX_MAX_DIM];
    for (size_t r = 0; r < n; r++, x += pdim) {
        to_f32(x, xf, pdim);
        d2[r] = row_f32(q, xf, pdim);
    }
}

/* With the dequantised row, q - s * x rounded twice: q . x in int8 and ||q||^2 + ... would be
 * faster but cancels near 0, where ranking a probe against its own enrolment matters most. */
static void dist_i8(const void *rows, const float *scale, size_t n, const float *q, size_t pdim, float *d2)
{
    const int8_t *x = rows;
    for (size_t r = 0; r < n; r++, x += pdim) {
        const float s = scale[r];
        float acc[FK__INDEX_PAD] = {0};
        for (size_t j = 0; j < pdim; j += FK__INDEX_PAD)
            for (int l = 0; l < FK__INDEX_PAD; l++) {
                const float sx = s * (float)x[j + l];
                const float d = q[j + l] - sx;
                acc[l] += d * d;
            }
        d2[r] = sum16(acc);
    }
}

static const fk__index_kernel_set ref_set = {
    FK_INDEX_KERNELS_REFERENCE, "reference", {dist_f32, dist_f16, dist_i8}, to_f16, to_f32};

const fk__index_kernel_set *fk__index_kernels_ref(void)
{
    return &ref_set;
}
