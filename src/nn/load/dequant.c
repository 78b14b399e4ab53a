/* dequant.c: from shard bytes to float values, bit-compatible with tfjs's decodeWeights. */
#include "nn/load/dequant.h"

#include <math.h>
#include <string.h>

size_t fk__wire_size(fk__wdtype dtype, fk__wquant quant)
{
    switch (quant) {
    case FK__WQUANT_UINT8:
        return 1;
    case FK__WQUANT_UINT16:
    case FK__WQUANT_FLOAT16:
        return 2;
    default:
        return dtype == FK__WDTYPE_BOOL ? 1 : 4;
    }
}

int fk__wquant_valid(fk__wdtype dtype, fk__wquant quant)
{
    switch (quant) {
    case FK__WQUANT_NONE:
        return 1;
    case FK__WQUANT_UINT8:
    case FK__WQUANT_UINT16:
        return dtype == FK__WDTYPE_FLOAT32 || dtype == FK__WDTYPE_INT32;
    case FK__WQUANT_FLOAT16:
        return dtype == FK__WDTYPE_FLOAT32;
    default:
        return 0;
    }
}

float fk__half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | man << 13; /* inf, or NaN with its payload */
    } else if (exp != 0) {
        bits = sign | (exp + 127 - 15) << 23 | man << 13;
    } else if (man == 0) {
        bits = sign; /* signed zero */
    } else {
        /* subnormal half: man * 2^-24, normal as a float; shift the leading 1 into place */
        int e = 127 - 15 + 1;
        while (!(man & 0x400)) {
            man <<= 1;
            e--;
        }
        bits = sign | (uint32_t)e << 23 | (man & 0x3ff) << 13;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* JavaScript's Math.round: the nearest integer, halves towards +infinity. floor(x + 0.5) would
 * be wrong for 0.49999999999999994 (x + 0.5 rounds up to 1 in double). */
static double js_round(double x)
{
    double f = floor(x);
    return x - f >= 0.5 ? f + 1.0 : f;
}

void fk__dequant(fk__wdtype dtype, fk__wquant quant, double scale, double min, const unsigned char *src,
                 size_t count, float *dst)
{
    if (quant == FK__WQUANT_UINT8 || quant == FK__WQUANT_UINT16) {
        /* tfjs computes q * scale + min in double and stores it in a Float32Array (or rounds it
         * for an Int32Array); doing the same in double keeps the values bit-identical */
        int wide = quant == FK__WQUANT_UINT16;
        for (size_t i = 0; i < count; i++) {
            double q = wide ? le16(src + 2 * i) : src[i];
            double v = q * scale + min;
            if (dtype == FK__WDTYPE_INT32) {
                v = js_round(v);
                /* an Int32Array would wrap what does not fit; such a manifest is nonsense, keep
                 * the value instead of wrapping it */
            }
            dst[i] = (float)v;
        }
        return;
    }
    if (quant == FK__WQUANT_FLOAT16) {
        for (size_t i = 0; i < count; i++)
            dst[i] = fk__half_to_float(le16(src + 2 * i));
        return;
    }
    switch (dtype) {
    case FK__WDTYPE_FLOAT32:
        for (size_t i = 0; i < count; i++) {
            uint32_t bits = le32(src + 4 * i);
            memcpy(&dst[i], &bits, sizeof bits);
        }
        break;
    case FK__WDTYPE_INT32:
        for (size_t i = 0; i < count; i++) {
            /* two's complement by arithmetic: a uint32 -> int32 cast is implementation-defined */
            uint32_t u = le32(src + 4 * i);
            dst[i] = (float)(u < 0x80000000u ? (double)u : (double)u - 4294967296.0);
        }
        break;
    case FK__WDTYPE_BOOL:
        for (size_t i = 0; i < count; i++)
            dst[i] = src[i] ? 1.0f : 0.0f;
        break;
    default:
        break;
    }
}
