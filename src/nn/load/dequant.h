/* dequant.h: TensorFlow.js weight encodings (dtype x quantization) and their conversion to float. */
#ifndef FK_NN_LOAD_DEQUANT_H
#define FK_NN_LOAD_DEQUANT_H

#include <stddef.h>
#include <stdint.h>

/* The value type a weight has once loaded ("dtype" in the manifest). */
typedef enum fk__wdtype {
    FK__WDTYPE_FLOAT32,
    FK__WDTYPE_INT32,
    FK__WDTYPE_BOOL,
    FK__WDTYPE_COUNT
} fk__wdtype;

/* How the values are stored in the shard ("quantization.dtype", NONE when absent). */
typedef enum fk__wquant {
    FK__WQUANT_NONE,
    FK__WQUANT_UINT8,
    FK__WQUANT_UINT16,
    FK__WQUANT_FLOAT16,
    FK__WQUANT_COUNT
} fk__wquant;

/* Bytes one element takes in the shard: 1 (uint8, bool), 2 (uint16, float16) or 4. */
size_t fk__wire_size(fk__wdtype dtype, fk__wquant quant);

/* IEEE 754 binary16 to float, exactly (every half is a float): subnormals, infinities,
 * and NaN (the payload is kept in the high mantissa bits). */
float fk__half_to_float(uint16_t h);

/* Converts count elements stored at src (fk__wire_size bytes each, little-endian, no alignment
 * needed) into dst, as tfjs's decodeWeights does:
 *   uint8/uint16, float32 dtype: q * scale + min, computed in double, then rounded to float
 *   uint8/uint16, int32 dtype:   Math.round(q * scale + min) (halves round towards +infinity)
 *   float16: the half's value;  float32: the bits;  int32: the integer (exact up to 2^24);
 *   bool: 1 for any nonzero byte, else 0.
 * The caller has checked the combination (see fk__wquant_valid). */
void fk__dequant(fk__wdtype dtype, fk__wquant quant, double scale, double min, const unsigned char *src,
                 size_t count, float *dst);

/* Whether tfjs accepts this combination: uint8/uint16 for float32 and int32, float16 for
 * float32 only, and no quantization of bool. */
int fk__wquant_valid(fk__wdtype dtype, fk__wquant quant);

#endif
