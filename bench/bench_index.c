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

#include "facekit/ann.h"
#include "facekit/gallery.h"
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

typedef struct ann_result {
    int effort;
    double ms, recall_near, recall_random;
} ann_result;

int main(int argc, char **argv)
{
    int with_ann = 1;
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
        else if (!strcmp(argv[i], "--no-ann"))
            with_ann = 0;
        else {
            puts("Usage: bench_index [--rows N] [--dim D] [--k K] [--queries Q] [--kernels NAME] [--json OUT]\n"
                 "Exact top-K search over N random unit vectors of D floats (fixed seed), one thread: the median\n"
                 "ms a query for each row type and kernel, beside the median ms of one streaming pass over the\n"
                 "float32 matrix timed between the queries (defaults 1000000, 128, 5, 20); --kernels: only\n"
                 "those (reference, avx2, avx512), else every one the CPU has. Then FAISS's IVF (when built\n"
                 "in; --no-ann skips it): ms a query and recall@1 against the exact answer, for queries near\n"
                 "stored rows and for the random ones. Run it with OMP_NUM_THREADS=1 for one thread.");
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

    /* the gallery's enroll throughput, descriptors given (the embedding is timed by bench_stages):
     * each enroll is its own committed transaction in a WAL file */
    double enroll_per_s = 0;
    const int enrolls = 2000;
    {
        char dir[] = "/tmp/facekit-bench-XXXXXX";
        if (mkdtemp(dir)) {
            char path[64];
            snprintf(path, sizeof path, "%s/g.db", dir);
            fk_gallery *g = NULL;
            fk_error err = {0};
            if (fk_gallery_open(path, &g, &err) == FK_OK) {
                const double t0 = now_ms();
                int ok = 0;
                for (int i = 0; i < enrolls; i++) {
                    char name[32];
                    snprintf(name, sizeof name, "person %d", i / 4);
                    fk_gallery_face_in in = {.descriptor = v + (size_t)(i % (int)rows) * dim, .dim = dim,
                                             .embedder = "dlib-resnet", .source = "bench.jpg"};
                    ok += fk_gallery_enroll(g, name, &in, NULL) == FK_OK;
                }
                const double ms = now_ms() - t0;
                enroll_per_s = ok == enrolls ? enrolls / (ms / 1000) : 0;
                printf("\ngallery enroll: %d faces (4 a person) into a new SQLite file in %.0f ms: %.0f faces/s\n",
                       enrolls, ms, enroll_per_s);
                fk_gallery_close(g);
            }
            char cmd[96];
            snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
            if (system(cmd) != 0)
                fprintf(stderr, "bench_index: could not remove %s\n", dir);
        }
    }

    /* FAISS's IVF against the exact float32 answers: the random queries above, and queries near
     * stored rows (a face seen again: a row plus noise of norm about 0.1) */
    ann_result ann[8];
    int nann = 0;
    double ann_build_ms = 0;
    size_t ann_lists = 0;
    if (with_ann && fk_ann_available()) {
        fk_error err = {0};
        fk_index *ex = NULL;
        float *qn = malloc((size_t)queries * (size_t)dim * sizeof *qn);
        int64_t *near1 = malloc((size_t)queries * sizeof *near1);
        fk_ann *a = NULL;
        if (!qn || !near1 || fk_index_new(dim, FK_INDEX_F32, &ex, &err) != FK_OK ||
            fk_index_add(ex, v, rows, ids, &err) != FK_OK || fk_ann_new(dim, FK_ANN_IVF, &a, &err) != FK_OK)
            return fprintf(stderr, "bench_index: %s\n", err.message), 1;
        for (int i = 0; i < queries; i++) {
            const size_t r = (size_t)(((uint64_t)i * 2654435761u) % rows);
            for (int d = 0; d < dim; d++)
                qn[(size_t)i * dim + d] = v[r * (size_t)dim + d] + (float)(0.1 / sqrt((double)dim) * gauss(&seed));
            size_t got;
            fk_index_search(ex, qn + (size_t)i * dim, 1, hits, &got, &err);
            near1[i] = hits[0].id;
        }
        fk_index_free(ex);
        const double t0 = now_ms();
        if (fk_ann_add(a, v, rows, ids, &err) != FK_OK)
            return fprintf(stderr, "bench_index: %s\n", err.message), 1;
        ann_build_ms = now_ms() - t0;
        ann_lists = 1;
        while ((ann_lists + 1) * (ann_lists + 1) <= rows && ann_lists + 1 <= rows / 40)
            ann_lists++;
        printf("\nFAISS IVF-Flat (%zu lists), built from the rows in %.0f ms, one thread\n", ann_lists, ann_build_ms);
        printf("%7s %11s %15s %15s\n", "nprobe", "ms/query", "recall@1 near", "recall@1 random");
        const int efforts[] = {4, 8, 16, 32, 64, 128};
        for (size_t e = 0; e < sizeof efforts / sizeof efforts[0]; e++) {
            ann_result *r = &ann[nann++];
            r->effort = efforts[e];
            fk_ann_set_effort(a, efforts[e], &err);
            int ok_near = 0, ok_rand = 0;
            for (int i = 0; i < queries; i++) {
                size_t got = 0;
                double t1 = now_ms();
                fk_ann_search(a, qn + (size_t)i * dim, k, hits, &got, &err);
                qt[i] = now_ms() - t1;
                ok_near += got && hits[0].id == near1[i];
                fk_ann_search(a, q + (size_t)i * dim, k, hits, &got, &err);
                ok_rand += got && hits[0].id == top1[i];
            }
            r->ms = median(qt, queries);
            r->recall_near = (double)ok_near / queries;
            r->recall_random = (double)ok_rand / queries;
            printf("%7d %11.3f %15.3f %15.3f\n", r->effort, r->ms, r->recall_near, r->recall_random);
        }
        fk_ann_free(a);
        free(qn);
        free(near1);
    } else if (with_ann) {
        printf("\nFAISS: not in this build (Debian libfaiss-dev)\n");
    }

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
        fprintf(f, "  ],\n  \"ann\": {\"kind\": \"ivf-flat\", \"lists\": %zu, \"build_ms\": %.0f, \"results\": [", ann_lists,
                ann_build_ms);
        for (int i = 0; i < nann; i++)
            fprintf(f, "%s{\"nprobe\": %d, \"median_ms\": %.3f, \"recall1_near\": %.4f, \"recall1_random\": %.4f}",
                    i ? ", " : "", ann[i].effort, ann[i].ms, ann[i].recall_near, ann[i].recall_random);
        fprintf(f, "]},\n  \"enroll_faces_per_s\": %.0f\n}\n", enroll_per_s);
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
