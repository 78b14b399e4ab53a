/* index_internal.h: what index.c shares with its kernel files (index_ref.c, index_avx2.c, index_avx512.c) and the tests: the row layout, the kernel table, the CPU checks. */
#ifndef FK_GALLERY_INDEX_INTERNAL_H
#define FK_GALLERY_INDEX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "facekit/index.h"

#define FK__INDEX_MAX_DIM 4096
#define FK__INDEX_MAX_K 1000
/* Rows per kernel call: the block's distances (1 KB) stay in L1 while the selection reads them. */
#define FK__INDEX_BLOCK 256
/* Every row holds a multiple of this many values, the tail zero (and the query's padded with
 * zeros), so that no kernel needs a tail loop or a mask: 16 floats are one AVX-512 register, 16
 * halves or int8 values widen to one. With the row base 64-byte aligned, a float32 row is then
 * a whole number of cache lines. */
#define FK__INDEX_PAD 16

/* Squared L2 distances from the padded query q (pdim floats) to n rows that start at rows, each
 * pdim values of the index's type; scale holds the int8 rows' scales (NULL for the other
 * types). Each value's difference is rounded as the plain C rounds it (q - x for float32 and
 * float16, q - fl(s * x) for int8, never an fma), so kernels differ only in the order of the
 * sum of squares, a sum of non-negative terms, and so agree to a few ulps relative even at
 * distance 0. */
typedef void (*fk__index_dist_fn)(const void *rows, const float *scale, size_t n, const float *q, size_t pdim,
                                  float *d2);
/* n floats to IEEE halves, round to nearest even (finite inputs below 65520 in magnitude: add
 * refuses the rest), and back (exact). Every table's converters give the same bits. */
typedef void (*fk__index_to_f16_fn)(const float *src, uint16_t *dst, size_t n);
typedef void (*fk__index_to_f32_fn)(const uint16_t *src, float *dst, size_t n);

typedef struct fk__index_kernel_set {
    fk_index_kernels id;
    const char *name;
    fk__index_dist_fn dist[FK_INDEX_TYPE_COUNT];
    fk__index_to_f16_fn to_f16;
    fk__index_to_f32_fn to_f32;
} fk__index_kernel_set;

/* Each kernel file's table; the SIMD ones are NULL where the file was built without them (not
 * x86-64). Call a table's functions only where its CPU check below is true. */
const fk__index_kernel_set *fk__index_kernels_ref(void);
const fk__index_kernel_set *fk__index_kernels_avx2(void);
const fk__index_kernel_set *fk__index_kernels_avx512(void);

/* AVX2 + FMA + F16C, with the OS saving the ymm state. */
bool fk__index_cpu_avx2(void);
/* AVX-512 F/BW/VL/DQ + FMA + F16C, with the OS saving the zmm state. */
bool fk__index_cpu_avx512(void);
/* The table for k (AUTO: the fastest this CPU has), or NULL where the CPU lacks it. */
const fk__index_kernel_set *fk__index_kernel_set_for(fk_index_kernels k);

/* Portable IEEE half conversions, one value (round to nearest even; exact). */
uint16_t fk__index_f32_to_f16(float f);
float fk__index_f16_to_f32(uint16_t h);
/* int8 quantisation of one row of dim values: scale = max|x| / 127 (0 for an all-zero row),
 * q[i] = x[i] / scale rounded to nearest (ties to even), in -127..127. */
float fk__index_quantize_i8(const float *x, int dim, int8_t *q);

/* The squared norm of a stored row, as the index holds it (of the rounded values). */
float fk__index_row_norm2(const fk_index *ix, size_t row);

#endif
