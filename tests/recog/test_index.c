/* test_index.c: exact k-NN search: every kernel the CPU has against the plain C on odd shapes and all three row types, the half and int8 rounding, ties, remove, and the refusals. */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "facekit/index.h"
#include "gallery/index_internal.h"
#include "harness.h"

#define REL_TOL 1e-5

static const int dims[] = {1, 3, 7, 15, 16, 17, 31, 33, 128, 129, 4096};
static const size_t counts[] = {0, 1, 5, 255, 256, 257, 1000};
static const fk_index_kernels simd[] = {FK_INDEX_KERNELS_AVX2, FK_INDEX_KERNELS_AVX512};
#define NSIMD (sizeof simd / sizeof simd[0])

static int near_rel(double a, double b)
{
    return fabs(a - b) <= REL_TOL * fmax(fabs(a), fabs(b));
}

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---------------------------------------------------------------- rounding */

/* f32 -> f16 of one value through a table's converter. */
static uint16_t set_to_f16(const fk__index_kernel_set *s, float f)
{
    uint16_t h;
    s->to_f16(&f, &h, 1);
    return h;
}

static void test_f16_rounding(void)
{
    /* the portable converter against the IEEE rules at the edges */
    CHECK(fk__index_f32_to_f16(0.0f) == 0x0000 && fk__index_f32_to_f16(-0.0f) == 0x8000);
    CHECK(fk__index_f32_to_f16(1.0f) == 0x3c00 && fk__index_f32_to_f16(-2.0f) == 0xc000);
    CHECK(fk__index_f32_to_f16(65504.0f) == 0x7bff);
    CHECK(fk__index_f32_to_f16(65519.99f) == 0x7bff); /* below the tie */
    CHECK(fk__index_f32_to_f16(65520.0f) == 0x7c00);  /* the tie goes to the even inf */
    CHECK(fk__index_f32_to_f16(INFINITY) == 0x7c00 && fk__index_f32_to_f16(-INFINITY) == 0xfc00);
    CHECK(fk__index_f32_to_f16(0x1p-24f) == 0x0001);  /* the smallest subnormal */
    CHECK(fk__index_f32_to_f16(0x1p-25f) == 0x0000);  /* half of it: ties to even 0 */
    CHECK(fk__index_f32_to_f16(0x1.000002p-25f) == 0x0001);
    CHECK(fk__index_f32_to_f16(0x3p-25f) == 0x0002);  /* 1.5 units: ties to even 2 */
    CHECK(fk__index_f32_to_f16(0x1p-14f) == 0x0400);  /* the smallest normal */
    CHECK(fk__index_f32_to_f16(0x1.ff8p-15f) == 0x03ff); /* the largest subnormal */
    CHECK(fk__index_f32_to_f16(nextafterf(0x1.ffcp-15f, 0.0f)) == 0x03ff);
    CHECK(fk__index_f32_to_f16(0x1.ffcp-15f) == 0x0400); /* a tie carried into the exponent */
    CHECK(fk__index_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00);       /* tie, even stays */
    CHECK(fk__index_f32_to_f16(1.0f + 0x3p-11f) == 0x3c02);       /* tie, odd goes up */
    CHECK(fk__index_f32_to_f16(nextafterf(1.0f + 0x1p-11f, 2.0f)) == 0x3c01); /* just past the tie */
    CHECK(fk__index_f32_to_f16(FLT_MIN / 4) == 0x0000);           /* a float subnormal */

    /* every half back to float exactly, and to itself again */
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        const float f = fk__index_f16_to_f32((uint16_t)h);
        const int e = (h >> 10) & 0x1f;
        if (e != 0x1f && fk__index_f32_to_f16(f) != h)
            bad++;
        if (e == 0x1f && (h & 0x3ff) && !isnan(f))
            bad++;
    }
    CHECK_MSG(bad == 0, "%d halves do not survive f16 -> f32 -> f16", bad);
#if defined(__FLT16_MAX__)
    /* and against the compiler's _Float16 (libgcc's soft-fp: another implementation) */
    bad = 0;
    for (uint64_t u = 0; u < 0x100000000ull; u += 4093) {
        const float f = float_of((uint32_t)u);
        if (isnan(f))
            continue;
        const _Float16 c = (_Float16)f;
        uint16_t ch;
        memcpy(&ch, &c, sizeof ch);
        if (ch != fk__index_f32_to_f16(f))
            bad++;
    }
    CHECK_MSG(bad == 0, "%d floats round to another half than _Float16's", bad);
#endif

    /* every SIMD table converts to the same bits: all halves, every tie between neighbouring
     * halves and the floats next to it, and a sweep over the float patterns */
    for (size_t t = 0; t < NSIMD; t++) {
        const fk__index_kernel_set *s = fk__index_kernel_set_for(simd[t]);
        if (!s)
            continue;
        int bad32 = 0, bad16 = 0;
        static uint16_t hs[0x10000];
        static float fs[0x10000];
        for (uint32_t h = 0; h < 0x10000; h++)
            hs[h] = (uint16_t)h;
        s->to_f32(hs, fs, 0x10000);
        for (uint32_t h = 0; h < 0x10000; h++) {
            const float r = fk__index_f16_to_f32((uint16_t)h);
            if (bits_of(fs[h]) != bits_of(r) && !(isnan(fs[h]) && isnan(r)))
                bad32++;
        }
        for (uint32_t h = 0; h < 0x7bff; h++) {
            const float lo = fk__index_f16_to_f32((uint16_t)h), hi = fk__index_f16_to_f32((uint16_t)(h + 1));
            const float mid = (float)(((double)lo + hi) / 2); /* exact: 11-bit mantissas */
            const float probes[] = {mid, nextafterf(mid, 0.0f), nextafterf(mid, INFINITY), -mid, lo, -hi};
            for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++)
                if (set_to_f16(s, probes[p]) != fk__index_f32_to_f16(probes[p]))
                    bad16++;
        }
        /* in batches, odd lengths, so the tails run too */
        float batch[37];
        uint16_t out[37];
        size_t nb = 0;
        for (uint64_t u = 0; u < 0x100000000ull; u += 65537) {
            const float f = float_of((uint32_t)u);
            if (!isfinite(f) || fabsf(f) >= 65520.0f)
                continue;
            batch[nb++] = f;
            if (nb == 37 || u + 65537 >= 0x100000000ull) {
                s->to_f16(batch, out, nb);
                for (size_t i = 0; i < nb; i++)
                    if (out[i] != fk__index_f32_to_f16(batch[i]))
                        bad16++;
                nb = 0;
            }
        }
        CHECK_MSG(bad32 == 0, "%s: %d halves convert to other floats than the plain C's", s->name, bad32);
        CHECK_MSG(bad16 == 0, "%s: %d floats round to other halves than the plain C's", s->name, bad16);
    }
}

static void test_i8_rounding(void)
{
    /* max 127/128, so the scale is 2^-7 exactly and every x / scale below is exact */
    float x[6] = {127 / 128.0f, -64 / 128.0f, 2.5f / 128, 0.0f, 3.5f / 128, -0.3f / 128};
    int8_t q[6];
    const float s = fk__index_quantize_i8(x, 6, q);
    CHECK(s == 1 / 128.0f);
    CHECK(q[0] == 127 && q[1] == -64 && q[3] == 0 && q[5] == 0);
    CHECK(q[2] == 2 && q[4] == 4); /* ties to even */
    float z[3] = {0};
    CHECK(fk__index_quantize_i8(z, 3, q) == 0.0f && q[0] == 0 && q[2] == 0);
    /* the dequantised row is within half a step of the original */
    unsigned seed = 99;
    float v[129];
    int8_t qv[129];
    for (int i = 0; i < 129; i++)
        v[i] = 3.0f * fk_test_randf(&seed);
    const float sv = fk__index_quantize_i8(v, 129, qv);
    double worst = 0;
    for (int i = 0; i < 129; i++)
        worst = fk_test_max(worst, fabs(sv * qv[i] - v[i]) / sv);
    CHECK_MSG(worst <= 0.5 + 1e-5, "int8 rounding off by %g steps", worst);
}

/* ---------------------------------------------------------------- search */

/* The float values the kernels subtract from the query, for n rows of dim. */
static void stored_rows(fk_index_type type, const float *v, size_t n, int dim, float *out)
{
    int8_t q[FK__INDEX_MAX_DIM];
    for (size_t r = 0; r < n; r++) {
        const float *x = v + r * (size_t)dim;
        float *o = out + r * (size_t)dim;
        if (type == FK_INDEX_F32)
            memcpy(o, x, (size_t)dim * sizeof *o);
        else if (type == FK_INDEX_F16)
            for (int i = 0; i < dim; i++)
                o[i] = fk__index_f16_to_f32(fk__index_f32_to_f16(x[i]));
        else {
            const float s = fk__index_quantize_i8(x, dim, q);
            for (int i = 0; i < dim; i++)
                o[i] = s * (float)q[i];
        }
    }
}

static double dist_double(const float *q, const float *x, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++) {
        const double d = (double)q[i] - x[i];
        s += d * d;
    }
    return sqrt(s);
}

/* got against want (both from searches of one index): the same ids in the same order, the
 * distances within REL_TOL; a swap only where the two rows' distances (by exact[], the double
 * distance of each id) are a near tie. */
static void compare_hits(const fk_index_hit *got, size_t ngot, const fk_index_hit *want, size_t nwant,
                         const double *exact, const char *what)
{
    CHECK_MSG(ngot == nwant, "%s: %zu hits, want %zu", what, ngot, nwant);
    for (size_t i = 0; i < ngot && i < nwant; i++) {
        if (got[i].id == want[i].id) {
            CHECK_MSG(near_rel(got[i].distance, want[i].distance), "%s: hit %zu (id %lld): distance %.9g, want %.9g",
                      what, i, (long long)got[i].id, got[i].distance, want[i].distance);
            continue;
        }
        const double eg = exact[got[i].id], ew = exact[want[i].id];
        CHECK_MSG(fabs(eg - ew) <= 2 * REL_TOL * fmax(eg, ew) && near_rel(got[i].distance, eg),
                  "%s: hit %zu is id %lld at %.9g, want id %lld at %.9g (exact %.9g and %.9g)", what, i,
                  (long long)got[i].id, got[i].distance, (long long)want[i].id, want[i].distance, eg, ew);
    }
}

/* One shape and type: every kernel against the plain C, the plain C against double. */
static void check_shape(int dim, size_t n, fk_index_type type, unsigned *seed)
{
    char what[128];
    fk_error err = {0};
    float *v = malloc((n ? n : 1) * (size_t)dim * sizeof *v);
    float *st = malloc((n ? n : 1) * (size_t)dim * sizeof *st);
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    double *exact = malloc((n ? n : 1) * sizeof *exact);
    fk_index_hit *want = malloc(FK__INDEX_MAX_K * sizeof *want), *got = malloc(FK__INDEX_MAX_K * sizeof *got);
    float q[FK__INDEX_MAX_DIM];
    fk_index *ix = NULL;
    if (!v || !st || !ids || !exact || !want || !got) {
        CHECK_MSG(0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n * (size_t)dim; i++)
        v[i] = fk_test_randf(seed);
    for (size_t r = 0; r < n; r++)
        ids[r] = (int64_t)r;
    stored_rows(type, v, n, dim, st);
    CHECK_OK(fk_index_new(dim, type, &ix, &err));
    if (!ix)
        goto done;
    CHECK_OK(fk_index_add(ix, v, n, ids, &err));
    CHECK(fk_index_size(ix) == n);
    for (size_t r = 0; r < n; r++) {
        double s = 0;
        for (int i = 0; i < dim; i++)
            s += (double)st[r * (size_t)dim + i] * st[r * (size_t)dim + i];
        if (!near_rel(fk__index_row_norm2(ix, r), s)) {
            CHECK_MSG(0, "dim %d %s: row %zu norm %.9g, want %.9g", dim, fk_index_type_name(type), r,
                      fk__index_row_norm2(ix, r), s);
            break;
        }
    }

    /* queries: a random one, a stored row itself (distance 0 in every kernel), and one between
     * two rows, far from the rows' values' grid */
    for (int qi = 0; qi < 3; qi++) {
        for (int i = 0; i < dim; i++) {
            if (qi == 0 || n == 0)
                q[i] = fk_test_randf(seed);
            else if (qi == 1)
                q[i] = st[(n / 2) * (size_t)dim + i];
            else
                q[i] = 0.5f * (v[i] + v[(n - 1) * (size_t)dim + i]) + 0.01f * fk_test_randf(seed);
        }
        for (size_t r = 0; r < n; r++)
            exact[r] = dist_double(q, st + r * (size_t)dim, dim);
        const int all = n ? (int)(n < FK__INDEX_MAX_K ? n : FK__INDEX_MAX_K) : 1;
        size_t nwant = 0, ngot = 0;
        CHECK_OK(fk_index_set_kernels(ix, FK_INDEX_KERNELS_REFERENCE, &err));
        CHECK_OK(fk_index_search(ix, q, all, want, &nwant, &err));
        CHECK(nwant == n);
        /* the plain C against double, and sorted */
        for (size_t i = 0; i < nwant; i++) {
            snprintf(what, sizeof what, "dim %d, %zu rows, %s, query %d, reference", dim, n, fk_index_type_name(type), qi);
            CHECK_MSG(near_rel(want[i].distance, exact[want[i].id]), "%s: id %lld: %.9g, exact %.9g", what,
                      (long long)want[i].id, want[i].distance, exact[want[i].id]);
            if (i)
                CHECK_MSG(want[i - 1].distance <= want[i].distance, "%s: not sorted at %zu", what, i);
        }
        if (qi == 1 && n)
            CHECK_MSG(want[0].distance == 0.0f && exact[want[0].id] == 0.0, "dim %d %s: a stored row is not at 0",
                      dim, fk_index_type_name(type));
        /* exact top-1 for float32: the double brute force's best (a near tie is either) */
        if (type == FK_INDEX_F32 && n) {
            size_t best = 0;
            for (size_t r = 1; r < n; r++)
                if (exact[r] < exact[best])
                    best = r;
            CHECK_MSG(want[0].id == (int64_t)best || near_rel(exact[want[0].id], exact[best]),
                      "dim %d, %zu rows: top-1 is %lld, brute force says %zu", dim, n, (long long)want[0].id, best);
        }
        const int ks[] = {1, 5, (int)n + 3};
        for (size_t t = 0; t < NSIMD; t++) {
            fk_status stt = fk_index_set_kernels(ix, simd[t], &err);
            if (stt == FK_E_UNSUPPORTED)
                continue;
            CHECK_OK(stt);
            for (size_t kj = 0; kj < 3; kj++) {
                const int k = ks[kj] < FK__INDEX_MAX_K ? ks[kj] : FK__INDEX_MAX_K;
                snprintf(what, sizeof what, "dim %d, %zu rows, %s, query %d, %s, k %d", dim, n,
                         fk_index_type_name(type), qi, fk_index_kernels_name(ix), k);
                CHECK_OK(fk_index_search(ix, q, k, got, &ngot, &err));
                compare_hits(got, ngot, want, nwant < (size_t)k ? nwant : (size_t)k, exact, what);
            }
        }
    }
done:
    fk_index_free(ix);
    free(v);
    free(st);
    free(ids);
    free(exact);
    free(want);
    free(got);
}

static void test_shapes(void)
{
    unsigned seed = 12345;
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
            for (int t = 0; t < FK_INDEX_TYPE_COUNT; t++)
                check_shape(dims[d], counts[c], (fk_index_type)t, &seed);
}

/* Equal rows come out in the order they were added, in every kernel. */
static void test_ties(void)
{
    fk_error err = {0};
    enum { D = 33, N = 600 };
    static float v[N * D];
    int64_t ids[N];
    unsigned seed = 7;
    for (int r = 0; r < N; r++) {
        ids[r] = 1000 + r;
        for (int i = 0; i < D; i++)
            v[r * D + i] = fk_test_randf(&seed);
    }
    /* rows 3, 300 and 599 (three blocks) equal row 3, and the query is 0.1 away from them */
    for (int i = 0; i < D; i++)
        v[300 * D + i] = v[599 * D + i] = v[3 * D + i];
    float q[D];
    for (int i = 0; i < D; i++)
        q[i] = v[3 * D + i] + (i == 0 ? 0.1f : 0.0f);
    const fk_index_kernels all[] = {FK_INDEX_KERNELS_REFERENCE, FK_INDEX_KERNELS_AVX2, FK_INDEX_KERNELS_AVX512};
    for (int t = 0; t < FK_INDEX_TYPE_COUNT; t++) {
        fk_index *ix = NULL;
        CHECK_OK(fk_index_new(D, (fk_index_type)t, &ix, &err));
        if (!ix)
            continue;
        CHECK_OK(fk_index_add(ix, v, N, ids, &err));
        for (int k = 0; k < 3; k++) {
            if (fk_index_set_kernels(ix, all[k], &err) != FK_OK)
                continue;
            fk_index_hit h[4];
            size_t got = 0;
            CHECK_OK(fk_index_search(ix, q, 2, h, &got, &err));
            CHECK_MSG(got == 2 && h[0].id == 1003 && h[1].id == 1300 && h[0].distance == h[1].distance,
                      "%s %s: ties: %lld %lld", fk_index_type_name((fk_index_type)t), fk_index_kernels_name(ix),
                      (long long)h[0].id, (long long)h[1].id);
            CHECK_OK(fk_index_search(ix, q, 4, h, &got, &err));
            CHECK(got == 4 && h[2].id == 1599 && h[3].distance > h[2].distance);
        }
        fk_index_free(ix);
    }
}

/* remove: every row of the id goes, the last rows fill the holes, the search stays exact. */
static void test_remove(void)
{
    fk_error err = {0};
    enum { D = 17, N = 300 };
    static float v[N * D];
    int64_t ids[N];
    unsigned seed = 3;
    for (int r = 0; r < N; r++) {
        ids[r] = r % 7; /* many rows a person */
        for (int i = 0; i < D; i++)
            v[r * D + i] = fk_test_randf(&seed);
    }
    for (int t = 0; t < FK_INDEX_TYPE_COUNT; t++) {
        fk_index *ix = NULL;
        CHECK_OK(fk_index_new(D, (fk_index_type)t, &ix, &err));
        if (!ix)
            continue;
        CHECK_OK(fk_index_add(ix, v, N, ids, &err));
        size_t removed = 99;
        CHECK_OK(fk_index_remove(ix, 3, &removed, &err));
        CHECK(removed == 43 && fk_index_size(ix) == N - 43); /* rows 3, 10, ..., 297 */
        CHECK_OK(fk_index_remove(ix, 3, &removed, &err));
        CHECK(removed == 0 && fk_index_size(ix) == N - 43);
        CHECK_OK(fk_index_remove(ix, 12345, NULL, &err));
        /* the nearest of the rest, brute force over the rows not removed */
        float q[D];
        for (int i = 0; i < D; i++)
            q[i] = v[3 * D + i]; /* a removed row: it must not come back */
        float st[N * D];
        stored_rows((fk_index_type)t, v, N, D, st);
        double best = INFINITY;
        for (int r = 0; r < N; r++)
            if (ids[r] != 3)
                best = fmin(best, dist_double(q, st + r * D, D));
        static fk_index_hit h[FK__INDEX_MAX_K];
        size_t got = 0;
        CHECK_OK(fk_index_search(ix, q, 1000, h, &got, &err));
        CHECK(got == N - 43);
        int seen3 = 0;
        for (size_t i = 0; i < got; i++)
            seen3 += h[i].id == 3;
        CHECK(seen3 == 0);
        CHECK_MSG(near_rel(h[0].distance, best), "%s: nearest after remove %.9g, want %.9g",
                  fk_index_type_name((fk_index_type)t), h[0].distance, best);
        /* remove everything, then search an empty index; add again */
        for (int64_t id = 0; id < 7; id++)
            CHECK_OK(fk_index_remove(ix, id, NULL, &err));
        CHECK(fk_index_size(ix) == 0);
        CHECK_OK(fk_index_search(ix, q, 5, h, &got, &err));
        CHECK(got == 0);
        CHECK_OK(fk_index_add(ix, v, 2, ids, &err));
        CHECK_OK(fk_index_search(ix, q, 5, h, &got, &err));
        CHECK(got == 2);
        fk_index_free(ix);
    }
}

/* One row at a time (every growth step) gives the index one bulk add gives. */
static void test_growth(void)
{
    fk_error err = {0};
    enum { D = 129, N = 1000 };
    static float v[N * D];
    int64_t ids[N];
    unsigned seed = 11;
    for (int r = 0; r < N; r++) {
        ids[r] = r;
        for (int i = 0; i < D; i++)
            v[r * D + i] = fk_test_randf(&seed);
    }
    for (int t = 0; t < FK_INDEX_TYPE_COUNT; t++) {
        fk_index *a = NULL, *b = NULL;
        CHECK_OK(fk_index_new(D, (fk_index_type)t, &a, &err));
        CHECK_OK(fk_index_new(D, (fk_index_type)t, &b, &err));
        if (!a || !b) {
            fk_index_free(a);
            fk_index_free(b);
            continue;
        }
        CHECK_OK(fk_index_add(a, v, N, ids, &err));
        for (int r = 0; r < N; r++)
            CHECK_OK(fk_index_add(b, v + r * D, 1, ids + r, &err));
        CHECK(fk_index_size(b) == N);
        fk_index_hit ha[10], hb[10];
        size_t na = 0, nb = 0;
        CHECK_OK(fk_index_search(a, v + 500 * D, 10, ha, &na, &err));
        CHECK_OK(fk_index_search(b, v + 500 * D, 10, hb, &nb, &err));
        CHECK(na == 10 && nb == 10);
        for (int i = 0; i < 10; i++)
            CHECK(ha[i].id == hb[i].id && ha[i].distance == hb[i].distance);
        CHECK(ha[0].id == 500);
        fk_index_free(a);
        fk_index_free(b);
    }
}

static void test_refusals(void)
{
    fk_error err = {0};
    fk_index *ix = NULL;
    CHECK(fk_index_new(0, FK_INDEX_F32, &ix, &err) == FK_E_INVALID_ARGUMENT && !ix);
    CHECK(fk_index_new(-1, FK_INDEX_F32, &ix, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_index_new(4097, FK_INDEX_F32, &ix, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_index_new(8, FK_INDEX_TYPE_COUNT, &ix, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_index_new(8, FK_INDEX_F32, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK_OK(fk_index_new(4096, FK_INDEX_F32, &ix, &err));
    fk_index_free(ix);
    fk_index_free(NULL);

    for (int t = 0; t < FK_INDEX_TYPE_COUNT; t++) {
        CHECK_OK(fk_index_new(4, (fk_index_type)t, &ix, &err));
        if (!ix)
            continue;
        CHECK(fk_index_dim(ix) == 4 && fk_index_get_type(ix) == (fk_index_type)t);
        float v[3][4] = {{1, 2, 3, 4}, {0, 0, 0, 0}, {5, 6, 7, 8}};
        int64_t ids[3] = {1, 2, 3};
        /* a NaN or an infinity anywhere refuses the whole add */
        v[2][1] = NAN;
        CHECK(fk_index_add(ix, &v[0][0], 3, ids, &err) == FK_E_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "row 2") != NULL);
        v[2][1] = -INFINITY;
        CHECK(fk_index_add(ix, &v[0][0], 3, ids, &err) == FK_E_INVALID_ARGUMENT);
        CHECK(fk_index_size(ix) == 0);
        v[2][1] = 70000.0f; /* fine for float32 and int8, beyond float16 */
        CHECK(fk_index_add(ix, &v[0][0], 3, ids, &err) == (t == FK_INDEX_F16 ? FK_E_INVALID_ARGUMENT : FK_OK));
        v[2][1] = 65504.0f;
        if (t == FK_INDEX_F16)
            CHECK_OK(fk_index_add(ix, &v[0][0], 3, ids, &err));
        CHECK(fk_index_size(ix) == 3);
        CHECK(fk_index_add(ix, NULL, 1, ids, &err) == FK_E_INVALID_ARGUMENT);
        CHECK(fk_index_add(ix, &v[0][0], 1, NULL, &err) == FK_E_INVALID_ARGUMENT);
        CHECK_OK(fk_index_add(ix, NULL, 0, NULL, &err));
        CHECK(fk_index_size(ix) == 3);

        /* k bounds, k above the size, a bad query */
        fk_index_hit h[1000];
        size_t got = 7;
        float q[4] = {0, 0, 0, 0.5f};
        CHECK(fk_index_search(ix, q, 0, h, &got, &err) == FK_E_INVALID_ARGUMENT && got == 0);
        CHECK(fk_index_search(ix, q, 1001, h, &got, &err) == FK_E_INVALID_ARGUMENT);
        CHECK(fk_index_search(ix, q, -3, h, &got, &err) == FK_E_INVALID_ARGUMENT);
        CHECK_OK(fk_index_search(ix, q, 1000, h, &got, &err));
        CHECK(got == 3 && h[0].id == 2 && h[0].distance == 0.5f);
        CHECK_OK(fk_index_search(ix, q, 1, h, &got, &err));
        CHECK(got == 1 && h[0].id == 2);
        q[2] = NAN;
        got = 7;
        CHECK(fk_index_search(ix, q, 1, h, &got, &err) == FK_E_INVALID_ARGUMENT && got == 0);
        q[2] = INFINITY;
        CHECK(fk_index_search(ix, q, 1, h, &got, &err) == FK_E_INVALID_ARGUMENT);
        CHECK(fk_index_search(ix, NULL, 1, h, &got, &err) == FK_E_INVALID_ARGUMENT);
        CHECK(fk_index_search(ix, q, 1, NULL, &got, &err) == FK_E_INVALID_ARGUMENT);
        CHECK(fk_index_set_kernels(ix, (fk_index_kernels)9, &err) == FK_E_INVALID_ARGUMENT);
        fk_index_free(ix);
    }

    /* names */
    CHECK(!strcmp(fk_index_type_name(FK_INDEX_F16), "float16"));
    CHECK(fk_index_type_parse("int8") == FK_INDEX_I8 && fk_index_type_parse("float32") == FK_INDEX_F32);
    CHECK(fk_index_type_parse("double") == -1 && fk_index_type_parse(NULL) == -1);
    CHECK_OK(fk_index_new(3, FK_INDEX_F32, &ix, &err));
    if (ix) {
        CHECK_OK(fk_index_set_kernels(ix, FK_INDEX_KERNELS_REFERENCE, &err));
        CHECK(!strcmp(fk_index_kernels_name(ix), "reference"));
        for (size_t t = 0; t < NSIMD; t++) {
            const int has = t == 0 ? fk__index_cpu_avx2() : fk__index_cpu_avx512();
            const fk_status st = fk_index_set_kernels(ix, simd[t], &err);
            CHECK(st == (has ? FK_OK : FK_E_UNSUPPORTED));
            if (has)
                CHECK(!strcmp(fk_index_kernels_name(ix), t == 0 ? "avx2" : "avx512"));
            else
                fk_test_not_applicable(t == 0 ? "index AVX2 kernels" : "index AVX-512 kernels",
                                       "this CPU lacks them");
        }
        CHECK_OK(fk_index_set_kernels(ix, FK_INDEX_KERNELS_AUTO, &err));
        CHECK(!strcmp(fk_index_kernels_name(ix), fk__index_cpu_avx512() ? "avx512"
                                                 : fk__index_cpu_avx2()   ? "avx2"
                                                                          : "reference"));
        fk_index_free(ix);
    }
}

int main(void)
{
    test_f16_rounding();
    test_i8_rounding();
    test_refusals();
    test_ties();
    test_remove();
    test_growth();
    test_shapes();
    return fk_test_finish("index");
}
