/* bench_index.c: `make bench`: exact top-k search over a million random unit descriptors, for each row type and kernel, against one streaming pass over the same float32 matrix timed in the same run. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "facekit/index.h"
#include "gallery/index_internal.h"

#define MAX_QUERIES 1000

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* xorshift64* and Box-Muller: normal coordinates make the unit vectors uniform on the sphere. */
static double gauss(uint64_t *s)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        u[i] = (double)((*s * 2685821657736338717ull) >> 11) * 0x1p-53;
    }
    return sqrt(-2 * log(u[0] + 0x1p-60)) * cos(6.283185307179586 * u[1]);
}

static void unit_vectors(uint64_t *s, float *v, size_t n, int dim)
{
    for (size_t r = 0; r < n; r++) {
        float *x = v + r * (size_t)dim;
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            x[i] = (float)gauss(s);
            norm += (double)x[i] * x[i];
        }
        const float inv = (float)(1 / sqrt(norm));
        for (int i = 0; i < dim; i++)
            x[i] *= inv;
    }
}

/* The yardstick: one pass that reads every float of the matrix and does next to nothing with
 * it, as fast as one core streams memory. */
#if defined(__x86_64__)
__attribute__((target("avx2"))) static float stream_avx2(const float *x, size_t n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(x + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(x + i + 24));
    }
    float t[8], s = 0;
    _mm256_storeu_ps(t, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (int j = 0; j < 8; j++)
        s += t[j];
    for (; i < n; i++)
        s += x[i];
    return s;
}
#endif

static float stream_pass(const float *x, size_t n)
{
#if defined(__x86_64__)
    if (fk__index_cpu_avx2())
        return stream_avx2(x, n);
#endif
    float a[8] = {0}, s = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            a[j] += x[i + j];
    for (; i < n; i++)
        s += x[i];
    for (int j = 0; j < 8; j++)
        s += a[j];
    return s;
}

typedef struct result {
    fk_index_type type;
    const char *kernels;
    double add_ms, query_ms, stream_ms, bytes;
    int mismatches;
} result;

int main(int argc, char **argv)
{
    size_t rows = 1000000;
    int dim = 128, k = 5, queries = 20;
    const char *json = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dim") && i + 1 < argc)
            dim = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--k") && i + 1 < argc)
            k = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
            queries = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--kernels") && i + 1 < argc)
            only = argv[++i];
        else {
            puts("Usage: bench_index [--rows N] [--dim D] [--k K] [--queries Q] [--kernels NAME] [--json OUT]\n"
                 "Exact top-K search over N random unit vectors of D floats (fixed seed), one thread: the median\n"
                 "ms a query for each row type and kernel, beside the median ms of one streaming pass over the\n"
                 "float32 matrix timed between the queries (defaults 1000000, 128, 5, 20); --kernels: only\n"
                 "those (reference, avx2, avx512), else every one the CPU has.");
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    if (rows < 1 || dim < 1 || dim > FK__INDEX_MAX_DIM || k < 1 || k > FK__INDEX_MAX_K || queries < 1 ||
        queries > MAX_QUERIES)
        return fprintf(stderr, "bench_index: bad option\n"), 2;

    size_t total = rows * (size_t)dim;
    float *v = malloc(total * sizeof *v);
    int64_t *ids = malloc(rows * sizeof *ids);
    float *q = malloc((size_t)queries * (size_t)dim * sizeof *q);
    int64_t *top1 = malloc((size_t)queries * sizeof *top1);
    fk_index_hit *hits = malloc((size_t)k * sizeof *hits);
    if (!v || !ids || !q || !top1 || !hits)
        return fprintf(stderr, "bench_index: out of memory\n"), 1;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unit_vectors(&seed, v, rows, dim);
    unit_vectors(&seed, q, (size_t)queries, dim);
    for (size_t r = 0; r < rows; r++)
        ids[r] = (int64_t)r;

    printf("exact top-%d over %zu random unit vectors of %d floats, one thread, median of %d queries\n", k, rows, dim,
           queries);
    printf("%-8s %-10s %11s %11s %7s %8s %9s\n", "type", "kernels", "ms/query", "stream ms", "ratio", "GB/s", "add ms");
    result res[FK_INDEX_TYPE_COUNT * 3];
    int nres = 0;
    double qt[MAX_QUERIES], stt[MAX_QUERIES];
    volatile float sink = 0;
    int failed = 0, have_top1 = 0;
    const fk_index_kernels kern[3] = {FK_INDEX_KERNELS_REFERENCE, FK_INDEX_KERNELS_AVX2, FK_INDEX_KERNELS_AVX512};
    for (int t = 0; t < FK_INDEX_TYPE_COUNT; t++) {
        fk_error err = {0};
        fk_index *ix = NULL;
        const double t0 = now_ms();
        if (fk_index_new(dim, (fk_index_type)t, &ix, &err) != FK_OK || fk_index_add(ix, v, rows, ids, &err) != FK_OK) {
            fprintf(stderr, "bench_index: %s\n", err.message);
            fk_index_free(ix);
            return 1;
        }
        const double add_ms = now_ms() - t0;
        const size_t pdim = ((size_t)dim + FK__INDEX_PAD - 1) / FK__INDEX_PAD * FK__INDEX_PAD;
        const double bytes = (double)rows * (double)pdim * (t == FK_INDEX_F32 ? 4 : t == FK_INDEX_F16 ? 2 : 1) +
                             (t == FK_INDEX_I8 ? 4.0 * (double)rows : 0);
        for (int kk = 0; kk < 3; kk++) {
            if (fk_index_set_kernels(ix, kern[kk], &err) != FK_OK || (only && strcmp(only, fk_index_kernels_name(ix))))
                continue;
            result *r = &res[nres++];
            r->type = (fk_index_type)t;
            r->kernels = fk_index_kernels_name(ix);
            r->add_ms = add_ms;
            r->bytes = bytes;
            r->mismatches = 0;
            size_t got;
            /* warm-up: page in, train the branch predictors */
            fk_index_search(ix, q, k, hits, &got, &err);
            sink += stream_pass(v, total);
            /* the queries and the streaming passes alternate, so both see the same machine */
            for (int i = 0; i < queries; i++) {
                double a = now_ms();
                if (fk_index_search(ix, q + (size_t)i * (size_t)dim, k, hits, &got, &err) != FK_OK) {
                    fprintf(stderr, "bench_index: %s\n", err.message);
                    return 1;
                }
                qt[i] = now_ms() - a;
                /* every kernel of a type, and float32 and float16 here, find the same nearest row */
                if (t == FK_INDEX_F32 && !have_top1)
                    top1[i] = hits[0].id;
                else if (t != FK_INDEX_I8 && hits[0].id != top1[i])
                    r->mismatches++;
                a = now_ms();
                sink += stream_pass(v, total);
                stt[i] = now_ms() - a;
            }
            if (t == FK_INDEX_F32)
                have_top1 = 1;
            r->query_ms = median(qt, queries);
            r->stream_ms = median(stt, queries);
            printf("%-8s %-10s %11.2f %11.2f %7.2f %8.2f %9.0f", fk_index_type_name(r->type), r->kernels, r->query_ms,
                   r->stream_ms, r->query_ms / r->stream_ms, r->bytes / (r->query_ms * 1e6), r->add_ms);
            if (r->mismatches)
                printf("  (%d queries' nearest row differs from float32's)", r->mismatches);
            putchar('\n');
            fflush(stdout);
            failed |= t == FK_INDEX_F32 && r->mismatches;
        }
        fk_index_free(ix);
    }
    printf("stream: one AVX2 pass summing the %zu floats (%.0f MB) of the float32 matrix\n", total,
           (double)total * 4 / 1e6);

    if (json) {
        FILE *f = fopen(json, "w");
        if (!f)
            return fprintf(stderr, "bench_index: %s: %s\n", json, strerror(errno)), 1;
        fprintf(f, "{\n  \"bench\": \"index\", \"rows\": %zu, \"dim\": %d, \"k\": %d, \"queries\": %d, \"threads\": 1,\n"
                   "  \"results\": [\n", rows, dim, k, queries);
        for (int i = 0; i < nres; i++) {
            const result *r = &res[i];
            fprintf(f,
                    "    {\"type\": \"%s\", \"kernels\": \"%s\", \"median_ms\": %.3f, \"stream_ms\": %.3f, "
                    "\"ratio\": %.3f, \"gb_per_s\": %.2f, \"bytes\": %.0f, \"add_ms\": %.1f, \"top1_mismatches\": %d}%s\n",
                    fk_index_type_name(r->type), r->kernels, r->query_ms, r->stream_ms, r->query_ms / r->stream_ms,
                    r->bytes / (r->query_ms * 1e6), r->bytes, r->add_ms, r->mismatches, i + 1 < nres ? "," : "");
        }
        fprintf(f, "  ]\n}\n");
        fclose(f);
        printf("wrote %s\n", json);
    }
    free(v);
    free(ids);
    free(q);
    free(top1);
    free(hits);
    (void)sink;
    return failed;
}
