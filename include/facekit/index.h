/* facekit/index.h: exact nearest-neighbour search over an in-memory matrix of descriptors (float32, float16 or int8 rows). */
#ifndef FACEKIT_INDEX_H
#define FACEKIT_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Usage:
 *     fk_index *ix;
 *     fk_index_new(128, FK_INDEX_F32, &ix, &err);
 *     fk_index_add(ix, vectors, n, ids, &err);          // rows of 128 floats, one id each
 *     fk_index_hit hits[5]; size_t got;
 *     fk_index_search(ix, query, 5, hits, &got, &err);  // the 5 nearest rows, nearest first
 *
 * Distances are Euclidean (L2), the metric of dlib's and face-api's descriptors. The search is
 * exact for FK_INDEX_F32; FK_INDEX_F16 and FK_INDEX_I8 store the rows in less memory (2 and 1 bytes
 * a value, int8 with one scale per row) and rank by the distance to the stored, rounded rows.
 * An index is not thread-safe for writing; searches may run in parallel once no add or remove
 * is running. */

typedef enum fk_index_type {
    FK_INDEX_F32 = 0,
    FK_INDEX_F16,
    FK_INDEX_I8,
    FK_INDEX_TYPE_COUNT
} fk_index_type;

/* The kernels the search uses: the fastest the CPU has (AUTO), or one chosen for tests and
 * benchmarks. Asking for one the CPU lacks is FK_E_UNSUPPORTED. */
typedef enum fk_index_kernels {
    FK_INDEX_KERNELS_AUTO = 0,
    FK_INDEX_KERNELS_REFERENCE, /* plain C */
    FK_INDEX_KERNELS_AVX2,      /* AVX2 + FMA + F16C */
    FK_INDEX_KERNELS_AVX512     /* AVX-512 F/BW/VL */
} fk_index_kernels;

typedef struct fk_index fk_index;

typedef struct fk_index_hit {
    int64_t id;
    float distance; /* L2 */
} fk_index_hit;

/* dim in 1..4096. */
fk_status fk_index_new(int dim, fk_index_type type, fk_index **out, fk_error *err);
void fk_index_free(fk_index *ix);

/* Appends n rows (n * dim floats, all finite) with their ids (ids need not be unique, the index
 * does not look at them). A non-finite value is FK_E_INVALID_ARGUMENT and adds nothing. */
fk_status fk_index_add(fk_index *ix, const float *vectors, size_t n, const int64_t *ids, fk_error *err);
/* Removes every row with this id; how many went to *removed (may be NULL). Order is not kept. */
fk_status fk_index_remove(fk_index *ix, int64_t id, size_t *removed, fk_error *err);
size_t fk_index_size(const fk_index *ix);
int fk_index_dim(const fk_index *ix);
fk_index_type fk_index_get_type(const fk_index *ix);
/* "float32", "float16", "int8"; and the reverse (-1 for an unknown name). */
const char *fk_index_type_name(fk_index_type t);
int fk_index_type_parse(const char *name);

/* Chooses the kernels (default AUTO); FK_E_UNSUPPORTED where the CPU lacks them. */
fk_status fk_index_set_kernels(fk_index *ix, fk_index_kernels k, fk_error *err);
/* The kernels a search runs now ("reference", "avx2", "avx512"). */
const char *fk_index_kernels_name(const fk_index *ix);

/* The k nearest rows to query (dim floats), nearest first (ties: the earlier row first);
 * *found = min(k, size). k in 1..1000. */
fk_status fk_index_search(const fk_index *ix, const float *query, int k, fk_index_hit *hits, size_t *found,
                          fk_error *err);

#ifdef __cplusplus
}
#endif

#endif
