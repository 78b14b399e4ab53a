/* index.c: fk_index, exact k-nearest-neighbour search over an in-memory matrix: the row store, the int8 and float16 rounding, the top-k selection and the kernels chosen at run time. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "core/checked.h"
#include "core/error.h"
#include "gallery/index_internal.h"
#include "nn/ops/ops.h"

/* Invariants: rows holds n rows of row_bytes (pdim values of the type, those past dim zero) one
 * after the other from a 64-byte aligned base, with room for cap; ids, norm2 and (int8 only)
 * scale hold n entries in the rows' order. A failed add or a failed growth leaves all of it as
 * it was. */
struct fk_index {
    int dim;
    fk_index_type type;
    size_t pdim, row_bytes;
    size_t n, cap;
    unsigned char *rows;
    int64_t *ids;
    /* each stored row's squared norm (of its rounded values), for rankings by inner product or
     * cosine that a caller builds on the index; the L2 kernels do not use it, since
     * ||q||^2 + ||x||^2 - 2 q.x cancels to noise near distance 0 */
    float *norm2;
    float *scale;
    const fk__index_kernel_set *ks;
};

/* 65520 and up round to an infinite half, which no distance survives. */
#define F16_LIMIT 65520.0f

/* ---------------------------------------------------------------- CPU and kernels */

bool fk__index_cpu_avx2(void)
{
#if defined(__x86_64__)
    unsigned a, b, c, d;
    /* F16C through cpuid: not every compiler's __builtin_cpu_supports knows its name; the ymm
     * state it needs is what the AVX2 check already asks the OS about */
    return fk__cpu_has_avx2_fma() && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
#else
    return false;
#endif
}

bool fk__index_cpu_avx512(void)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    return fk__index_cpu_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    return false;
#endif
}

const fk__index_kernel_set *fk__index_kernel_set_for(fk_index_kernels k)
{
    switch (k) {
    case FK_INDEX_KERNELS_AUTO: {
        const fk__index_kernel_set *s = fk__index_kernel_set_for(FK_INDEX_KERNELS_AVX512);
        if (!s)
            s = fk__index_kernel_set_for(FK_INDEX_KERNELS_AVX2);
        return s ? s : fk__index_kernels_ref();
    }
    case FK_INDEX_KERNELS_REFERENCE: return fk__index_kernels_ref();
    case FK_INDEX_KERNELS_AVX2: return fk__index_cpu_avx2() ? fk__index_kernels_avx2() : NULL;
    case FK_INDEX_KERNELS_AVX512: return fk__index_cpu_avx512() ? fk__index_kernels_avx512() : NULL;
    }
    return NULL;
}

/* ---------------------------------------------------------------- names */

static const char *const type_names[FK_INDEX_TYPE_COUNT] = {"float32", "float16", "int8"};

const char *fk_index_type_name(fk_index_type t)
{
    return (unsigned)t < FK_INDEX_TYPE_COUNT ? type_names[t] : "unknown";
}

int fk_index_type_parse(const char *name)
{
    for (int t = 0; name && t < FK_INDEX_TYPE_COUNT; t++)
        if (!strcmp(name, type_names[t]))
            return t;
    return -1;
}

/* ---------------------------------------------------------------- the store */

fk_status fk_index_new(int dim, fk_index_type type, fk_index **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_index_new: NULL out");
    *out = NULL;
    if (dim < 1 || dim > FK__INDEX_MAX_DIM)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "index: dimension %d is not in 1..%d", dim, FK__INDEX_MAX_DIM);
    if ((unsigned)type >= FK_INDEX_TYPE_COUNT)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "index: unknown row type %d", (int)type);
    fk_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return fk__fail(err, FK_E_NO_MEMORY, "index: out of memory");
    ix->dim = dim;
    ix->type = type;
    ix->pdim = ((size_t)dim + FK__INDEX_PAD - 1) / FK__INDEX_PAD * FK__INDEX_PAD;
    ix->row_bytes = ix->pdim * (type == FK_INDEX_F32 ? 4 : type == FK_INDEX_F16 ? 2 : 1);
    ix->ks = fk__index_kernel_set_for(FK_INDEX_KERNELS_AUTO);
    *out = ix;
    return FK_OK;
}

void fk_index_free(fk_index *ix)
{
    if (!ix)
        return;
    free(ix->rows);
    free(ix->ids);
    free(ix->norm2);
    free(ix->scale);
    free(ix);
}

size_t fk_index_size(const fk_index *ix)
{
    assert(ix);
    return ix->n;
}

int fk_index_dim(const fk_index *ix)
{
    assert(ix);
    return ix->dim;
}

fk_index_type fk_index_get_type(const fk_index *ix)
{
    assert(ix);
    return ix->type;
}

float fk__index_row_norm2(const fk_index *ix, size_t row)
{
    assert(ix && row < ix->n);
    return ix->norm2[row];
}

/* Room for need rows: the capacity doubles (so n adds of one row copy O(n) rows in all), every
 * byte count checked; all new arrays are allocated before any old one is let go. */
static fk_status reserve(fk_index *ix, size_t need, fk_error *err)
{
    if (need <= ix->cap)
        return FK_OK;
    size_t cap = ix->cap ? ix->cap : 16;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    size_t rb, ib, fb;
    if (!fk__mul_size(cap, ix->row_bytes, &rb) || !fk__add_size(rb, 63, &rb) ||
        !fk__mul_size(cap, sizeof(int64_t), &ib) || !fk__mul_size(cap, sizeof(float), &fb))
        return fk__fail(err, FK_E_OVERFLOW, "index: %zu rows of %zu bytes do not fit in memory", need, ix->row_bytes);
    rb &= ~(size_t)63; /* aligned_alloc wants a whole number of alignments */
    unsigned char *rows = aligned_alloc(64, rb);
    int64_t *ids = malloc(ib);
    float *norm2 = malloc(fb);
    float *scale = ix->type == FK_INDEX_I8 ? malloc(fb) : NULL;
    if (!rows || !ids || !norm2 || (ix->type == FK_INDEX_I8 && !scale)) {
        free(rows);
        free(ids);
        free(norm2);
        free(scale);
        return fk__fail(err, FK_E_NO_MEMORY, "index: out of memory for %zu rows of %zu bytes", cap, ix->row_bytes);
    }
    if (ix->n) {
        memcpy(rows, ix->rows, ix->n * ix->row_bytes);
        memcpy(ids, ix->ids, ix->n * sizeof *ids);
        memcpy(norm2, ix->norm2, ix->n * sizeof *norm2);
        if (scale)
            memcpy(scale, ix->scale, ix->n * sizeof *scale);
    }
    free(ix->rows);
    free(ix->ids);
    free(ix->norm2);
    free(ix->scale);
    ix->rows = rows;
    ix->ids = ids;
    ix->norm2 = norm2;
    ix->scale = scale;
    ix->cap = cap;
    return FK_OK;
}

/* Rounds one row into its slot (the padding zeroed) and returns the stored row's squared norm. */
static float store_row(fk_index *ix, const float *v, size_t row)
{
    unsigned char *dst = ix->rows + row * ix->row_bytes;
    const int dim = ix->dim;
    double s = 0.0;
    switch (ix->type) {
    case FK_INDEX_F32: {
        float *x = (float *)dst;
        memcpy(x, v, (size_t)dim * sizeof *x);
        memset(x + dim, 0, (ix->pdim - (size_t)dim) * sizeof *x);
        for (int i = 0; i < dim; i++)
            s += (double)x[i] * x[i];
        break;
    }
    case FK_INDEX_F16: {
        uint16_t *x = (uint16_t *)dst;
        ix->ks->to_f16(v, x, (size_t)dim);
        memset(x + dim, 0, (ix->pdim - (size_t)dim) * sizeof *x);
        for (int i = 0; i < dim; i++) {
            const double f = fk__index_f16_to_f32(x[i]);
            s += f * f;
        }
        break;
    }
    default: {
        int8_t *x = (int8_t *)dst;
        const float sc = fk__index_quantize_i8(v, dim, x);
        memset(x + dim, 0, ix->pdim - (size_t)dim);
        ix->scale[row] = sc;
        for (int i = 0; i < dim; i++) {
            const double f = (double)(sc * (float)x[i]); /* the value the kernels subtract */
            s += f * f;
        }
        break;
    }
    }
    return (float)s;
}

fk_status fk_index_add(fk_index *ix, const float *vectors, size_t n, const int64_t *ids, fk_error *err)
{
    assert(ix);
    if (n == 0)
        return FK_OK;
    if (!vectors || !ids)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_index_add: NULL %s", vectors ? "ids" : "vectors");
    size_t total, need;
    if (!fk__mul_size(n, (size_t)ix->dim, &total) || !fk__add_size(ix->n, n, &need))
        return fk__fail(err, FK_E_OVERFLOW, "index: %zu more rows of %d values overflow", n, ix->dim);
    /* every value checked before anything is stored, so a refused add adds nothing */
    for (size_t i = 0; i < total; i++) {
        const float v = vectors[i];
        if (!isfinite(v))
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "index: row %zu, value %zu is not finite (%g)",
                            i / (size_t)ix->dim, i % (size_t)ix->dim, (double)v);
        if (ix->type == FK_INDEX_F16 && fabsf(v) >= F16_LIMIT)
            return fk__fail(err, FK_E_INVALID_ARGUMENT,
                            "index: row %zu, value %zu (%g) is beyond float16's range (|x| < 65520)",
                            i / (size_t)ix->dim, i % (size_t)ix->dim, (double)v);
    }
    fk_status st = reserve(ix, need, err);
    if (st != FK_OK)
        return st;
    for (size_t r = 0; r < n; r++) {
        ix->norm2[ix->n + r] = store_row(ix, vectors + r * (size_t)ix->dim, ix->n + r);
        ix->ids[ix->n + r] = ids[r];
    }
    ix->n = need;
    return FK_OK;
}

fk_status fk_index_remove(fk_index *ix, int64_t id, size_t *removed, fk_error *err)
{
    assert(ix);
    size_t count = 0;
    /* the last row fills each hole: O(1) a row, and the order was never promised */
    for (size_t i = 0; i < ix->n;) {
        if (ix->ids[i] != id) {
            i++;
            continue;
        }
        const size_t last = ix->n - 1;
        if (i != last) {
            memcpy(ix->rows + i * ix->row_bytes, ix->rows + last * ix->row_bytes, ix->row_bytes);
            ix->ids[i] = ix->ids[last];
            ix->norm2[i] = ix->norm2[last];
            if (ix->scale)
                ix->scale[i] = ix->scale[last];
        }
        ix->n--;
        count++;
    }
    if (removed)
        *removed = count;
    return FK_OK;
}

fk_status fk_index_set_kernels(fk_index *ix, fk_index_kernels k, fk_error *err)
{
    assert(ix);
    if ((unsigned)k > FK_INDEX_KERNELS_AVX512)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "index: unknown kernels %d", (int)k);
    const fk__index_kernel_set *s = fk__index_kernel_set_for(k);
    if (!s)
        return fk__fail(err, FK_E_UNSUPPORTED, "index: this CPU cannot run the %s kernels",
                        k == FK_INDEX_KERNELS_AVX2 ? "AVX2/FMA/F16C" : "AVX-512 F/BW/VL/DQ");
    /* the rows need no conversion: every table rounds a half to the same bits */
    ix->ks = s;
    return FK_OK;
}

const char *fk_index_kernels_name(const fk_index *ix)
{
    assert(ix);
    return ix->ks->name;
}

/* ---------------------------------------------------------------- search */

fk_status fk_index_search(const fk_index *ix, const float *query, int k, fk_index_hit *hits, size_t *found,
                          fk_error *err)
{
    assert(ix);
    if (found)
        *found = 0;
    if (!query || !hits || !found)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_index_search: NULL %s",
                        !query ? "query" : !hits ? "hits" : "found");
    if (k < 1 || k > FK__INDEX_MAX_K)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "index: k = %d is not in 1..%d", k, FK__INDEX_MAX_K);
    for (int i = 0; i < ix->dim; i++)
        if (!isfinite(query[i]))
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "index: query value %d is not finite (%g)", i,
                            (double)query[i]);
    if (ix->n == 0)
        return FK_OK;

    /* the query padded with zeros like the rows, and the block's distances: on the stack, so
     * searches allocate nothing and may run side by side */
    _Alignas(64) float q[FK__INDEX_MAX_DIM];
    _Alignas(64) float d2[FK__INDEX_BLOCK];
    memcpy(q, query, (size_t)ix->dim * sizeof *q);
    memset(q + ix->dim, 0, (ix->pdim - (size_t)ix->dim) * sizeof *q);

    /* hits, kept sorted, hold squared distances until the end. A row goes in only when it
     * beats the k-th (strictly: of equal distances the earlier row stays), after the hits it
     * does not beat; with k far below n that is rare after the first blocks, so the selection
     * costs a compare a row. */
    const fk__index_dist_fn dist = ix->ks->dist[ix->type];
    const size_t kk = (size_t)k < ix->n ? (size_t)k : ix->n;
    size_t got = 0;
    float worst = INFINITY;
    for (size_t r0 = 0; r0 < ix->n; r0 += FK__INDEX_BLOCK) {
        const size_t nb = ix->n - r0 < FK__INDEX_BLOCK ? ix->n - r0 : FK__INDEX_BLOCK;
        dist(ix->rows + r0 * ix->row_bytes, ix->scale ? ix->scale + r0 : NULL, nb, q, ix->pdim, d2);
        for (size_t i = 0; i < nb; i++) {
            const float d = d2[i];
            if (got == kk && !(d < worst))
                continue;
            size_t p = got < kk ? got : kk - 1;
            for (; p > 0 && hits[p - 1].distance > d; p--)
                hits[p] = hits[p - 1];
            hits[p].id = ix->ids[r0 + i];
            hits[p].distance = d;
            if (got < kk)
                got++;
            if (got == kk)
                worst = hits[kk - 1].distance;
        }
    }
    for (size_t i = 0; i < got; i++)
        hits[i].distance = sqrtf(hits[i].distance);
    *found = got;
    return FK_OK;
}
