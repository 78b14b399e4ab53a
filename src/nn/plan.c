/* plan.c: the executor: plans one arena for a graph at a batch size (buffers reused once dead), then runs it. */
#include "nn/plan.h"

#include <assert.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/pool.h"

#define FK__ALIGN_FLOATS 16 /* 64-byte alignment of every buffer */

struct fk__plan {
    const fk__graph *g;
    int batch;
    int run_n; /* samples the next run computes: the first run_n of the batch (fk__plan_set_run_batch) */
    fk__kernels kernels;
    bool avx2;   /* fast kernels and the CPU has AVX2 + FMA */
    bool avx512; /* ... and AVX-512F, unless the AVX2 tier was asked for */
    int *fused;  /* per node: the add node a convolution's store computes too (its residual), or 0 */
    int *band;   /* per 1x1 convolution: rows per band when it runs with the depthwise node before it, or 0 */
    int *chain;  /* per node: at a chain's last node, its first node; at the nodes before it, -1; else 0 */
    int *rows;   /* per chain node: rows its buffer holds (the last node: rows computed per step) */
    size_t *offset;   /* per node, in floats from arena */
    float *arena;
    float *scratch;   /* im2col for the GEMM convolution, scratch_floats per worker */
    size_t arena_floats, scratch_floats;
    int threads;
    double *node_ms; /* FACEKIT_PROFILE=1: time spent in each node, printed when the plan is freed */
    long runs;
};

fk__kernels fk__kernels_from_env(void)
{
    /* One place reads the switch; a plan keeps its choice, so no global state changes later. */
    const char *k = getenv("FACEKIT_KERNELS");
    if (k && strcmp(k, "reference") == 0)
        return FK__KERNELS_REFERENCE;
    if (k && strcmp(k, "portable") == 0)
        return FK__KERNELS_PORTABLE;
    if (k && strcmp(k, "avx2") == 0)
        return FK__KERNELS_AVX2;
    return FK__KERNELS_FAST;
}

static size_t round_up(size_t n)
{
    return (n + FK__ALIGN_FLOATS - 1) / FK__ALIGN_FLOATS * FK__ALIGN_FLOATS;
}

/* Offsets for buffers with lifetimes [first, last] (node indices): biggest first, each at the
 * lowest offset clear of every already placed buffer whose lifetime overlaps (the greedy-by-size
 * plan of TFLite's arena planner, close to the live-size lower bound for these chain-like nets). */
typedef struct span {
    size_t size, off;
    int first, last, id;
} span;

static int by_size_desc(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->id - y->id;
}

static int by_offset(const void *a, const void *b)
{
    const span *x = *(const span *const *)a, *y = *(const span *const *)b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static size_t place_all(span *sp, int n, const span **scratch)
{
    qsort(sp, (size_t)n, sizeof *sp, by_size_desc);
    size_t high = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        for (int j = 0; j < i; j++)
            if (sp[j].first <= sp[i].last && sp[i].first <= sp[j].last)
                scratch[k++] = &sp[j];
        qsort(scratch, (size_t)k, sizeof *scratch, by_offset);
        size_t off = 0;
        for (int j = 0; j < k; j++) {
            if (scratch[j]->off >= off + sp[i].size)
                break;
            if (scratch[j]->off + scratch[j]->size > off)
                off = scratch[j]->off + scratch[j]->size;
        }
        sp[i].off = off;
        if (off + sp[i].size > high)
            high = off + sp[i].size;
    }
    return high;
}

/* Whether a convolution runs on the direct AVX2 kernel (else im2col + GEMM, with scratch). */
static bool conv_direct(const fk__plan *p, const fk__conv2d_args *a, const fk__view *x, const fk__view *y)
{
    return p->avx2 && fk__conv2d_avx2_fits(a, x, y);
}

static fk__view node_view(const fk__plan *p, int id)
{
    fk__shape s = fk__graph_node(p->g, id)->shape;
    s.n = p->run_n;
    return fk__view_packed(p->arena + p->offset[id], s);
}

/* Floats of a depthwise band in scratch: inside L2 with the rows it reads, and enough rows that
 * the per-band set-up (the flat kernel's weight patterns, a partial pixel block) stays small. */
#define FK__BAND_FLOATS 32768

/* Depthwise outputs above this many floats (512 KB) are not banded: on SSD MobileNet's 2 to 16 MB
 * layers the bands made the net slower on both tiers (AVX-512 42-43 ms unbanded against 45-48 ms
 * banded, AVX2 73-75 against 76-79 ms, in turns); on BlazeFace and FaceMesh, whose layers are
 * smaller, the difference was within the noise. */
#define FK__BAND_MAX_FLOATS 131072u

/* A node's view before the arena exists: its shape and strides only. */
static fk__view shape_view(const fk__plan *p, int id)
{
    fk__shape s = fk__graph_node(p->g, id)->shape;
    s.n = p->batch;
    return fk__view_packed(NULL, s);
}

/* A convolution on the direct kernel followed at once by an add of its output and an earlier
 * node's, of the add's shape: the convolution's store does the sum (fk__residual), so its output
 * is never written out and read back. Only where it is read by that add alone. */
static void find_fusions(fk__plan *p, const int *readers, int *last_use)
{
    const fk__graph *g = p->g;
    int nn = fk__graph_node_count(g);
    for (int i = 1; i + 1 < nn; i++) {
        const fk__node *c = fk__graph_node(g, i), *a = fk__graph_node(g, i + 1);
        if (c->op != FK__OP_CONV2D || a->op != FK__OP_ADD || readers[i] != 1 || last_use[i] != i + 1)
            continue;
        int other = a->inputs[0] == i ? a->inputs[1] : a->inputs[1] == i ? a->inputs[0] : -1;
        if (other < 0 || other == i || !fk__shape_eq(c->shape, a->shape))
            continue;
        fk__view x = shape_view(p, c->inputs[0]), y = shape_view(p, i), r = shape_view(p, other);
        if (conv_direct(p, &c->u.conv, &x, &y) && fk__residual_fits(&r, &y))
            p->fused[i] = i + 1;
    }
    /* A depthwise convolution read only by the 1x1 convolution after it: both run band by band of
     * output rows, the depthwise band in per-worker scratch (cache-resident), so the depthwise
     * output never goes out to memory and back (MobileNet-style blocks: BlazeFace, FaceMesh). */
    for (int i = 1; i + 1 < nn; i++) {
        const fk__node *d = fk__graph_node(g, i), *c = fk__graph_node(g, i + 1);
        if (d->op != FK__OP_DWCONV || c->op != FK__OP_CONV2D || c->inputs[0] != i || readers[i] != 1 ||
            last_use[i] != i + 1)
            continue;
        const fk__conv2d_args *a = &c->u.conv;
        if (a->kh != 1 || a->kw != 1 || a->stride_h != 1 || a->stride_w != 1 || a->pad_top != 0 || a->pad_left != 0)
            continue;
        fk__view x = shape_view(p, i), y = shape_view(p, i + 1);
        if (!conv_direct(p, a, &x, &y))
            continue;
        size_t row = (size_t)d->shape.w * d->shape.c;
        if ((size_t)d->shape.h * row > FK__BAND_MAX_FLOATS)
            continue;
        size_t rows = row ? FK__BAND_FLOATS / row : 1;
        p->band[i + 1] = rows < 1 ? 1 : rows > (size_t)d->shape.h ? d->shape.h : (int)rows;
        int src = d->inputs[0];
        if (last_use[src] < i + 1)
            last_use[src] = i + 1; /* the depthwise input is read when the pair runs, at i + 1 */
    }
}

/* Chains: a run of convolutions (direct kernel), depthwise convolutions and poolings, each read only by the
 * next, whose outputs are too big for L2. The chain runs row by row of its last node's output:
 * each earlier node keeps only the rows the node after it still needs, in per-worker scratch,
 * computing new rows when asked, so those outputs never go out to memory and back. Each value
 * is computed by the same kernel from the same inputs as a node-by-node run: bitwise the same. */
#define FK__CHAIN_MIN_FLOATS 1048576u   /* a node output (4 MB) worth buffering */
#define FK__CHAIN_BUDGET_FLOATS 262144u /* all of one chain's row buffers (1 MB): inside L2 */
#define FK__CHAIN_MAX_NODES 64          /* a worker's chain state holds this many */
#define FK__CHAIN_STEP_PIXELS 96        /* the last node's rows per step: at least this many pixels */

/* Floats of one image of a shape (SIZE_MAX past size_t: never small enough to skip). */
static size_t image_floats(fk__shape s)
{
    size_t count;
    s.n = 1;
    return fk__shape_count(s, &count) ? count : SIZE_MAX;
}

static bool chain_op(const fk__plan *p, int i)
{
    const fk__node *n = fk__graph_node(p->g, i);
    if (n->n_inputs != 1 || p->fused[i] || p->band[i] || (i + 1 < fk__graph_node_count(p->g) && p->band[i + 1]))
        return false;
    fk__view x = shape_view(p, n->inputs[0]), y = shape_view(p, i);
    switch (n->op) {
    case FK__OP_DWCONV: return p->avx2;
    case FK__OP_POOL: return fk__pool_fast_fits(&n->u.pool, &x, &y);
    case FK__OP_CONV2D: return conv_direct(p, &n->u.conv, &x, &y);
    default: return false;
    }
}

/* A chain node's window rows, row stride and top padding. */
static void node_geometry(const fk__node *n, int *kh, int *stride, int *pad)
{
    if (n->op == FK__OP_CONV2D)
        *kh = n->u.conv.kh, *stride = n->u.conv.stride_h, *pad = n->u.conv.pad_top;
    else if (n->op == FK__OP_DWCONV)
        *kh = n->u.dw.kh, *stride = n->u.dw.stride_h, *pad = n->u.dw.pad_top;
    else
        *kh = n->u.pool.kh, *stride = n->u.pool.stride_h, *pad = n->u.pool.pad_top;
}

/* Rows each node of the chain s..e holds (p->rows), and their floats in all. */
static size_t chain_rows(fk__plan *p, int s, int e)
{
    const fk__node *last = fk__graph_node(p->g, e);
    int k = (FK__CHAIN_STEP_PIXELS + last->shape.w - 1) / last->shape.w;
    p->rows[e] = k < last->shape.h ? k : last->shape.h;
    size_t floats = 0;
    for (int i = e - 1; i >= s; i--) {
        const fk__node *n = fk__graph_node(p->g, i), *next = fk__graph_node(p->g, i + 1);
        int kh, stride, pad;
        node_geometry(next, &kh, &stride, &pad);
        long r = (long)(p->rows[i + 1] - 1) * stride + kh;
        p->rows[i] = r < n->shape.h ? (int)r : n->shape.h;
        floats += round_up((size_t)p->rows[i] * n->shape.w * n->shape.c);
    }
    return floats;
}

/* Chains by the same test of readers and last use as find_fusions' (a graph output's last use is
 * past every node, so it always ends a chain). */
static void find_chains(fk__plan *p, const int *readers, int *last_use, size_t *scratch)
{
    const fk__graph *g = p->g;
    int nn = fk__graph_node_count(g);
    if (!p->avx2)
        return;
    for (int s = 1; s < nn; s++) {
        const fk__node *first = fk__graph_node(g, s);
        if (!chain_op(p, s))
            continue;
        int e = s;
        size_t floats = 0;
        while (e + 1 < nn && e + 1 - s < FK__CHAIN_MAX_NODES && chain_op(p, e + 1) &&
               fk__graph_node(g, e + 1)->inputs[0] == e && readers[e] == 1 && last_use[e] == e + 1 &&
               image_floats(fk__graph_node(g, e)->shape) >= FK__CHAIN_MIN_FLOATS) {
            size_t f = chain_rows(p, s, e + 1);
            if (f > FK__CHAIN_BUDGET_FLOATS)
                break;
            e++;
            floats = f;
        }
        if (e == s)
            continue;
        chain_rows(p, s, e);
        for (int i = s; i < e; i++)
            p->chain[i] = -1;
        p->chain[e] = s;
        int src = first->inputs[0];
        if (last_use[src] < e)
            last_use[src] = e; /* the chain's input is read until its last node has run */
        if (floats > *scratch)
            *scratch = floats;
        s = e;
    }
}

fk_status fk__plan_new(const fk__graph *g, int batch, fk__kernels kernels, fk__plan **out, fk_error *err)
{
    return fk__plan_new_threads(g, batch, kernels, 1, out, err);
}

void fk__blas_single_thread(void)
{
    openblas_set_num_threads(1);
}

fk_status fk__plan_new_threads(const fk__graph *g, int batch, fk__kernels kernels, int threads, fk__plan **out,
                               fk_error *err)
{
    *out = NULL;
    if (threads < 1 || threads > 256)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: bad thread count %d", fk__graph_name(g), threads);
    if (batch <= 0 || batch > 4096)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: bad batch size %d", fk__graph_name(g), batch);
    fk__blas_single_thread();
    int nn = fk__graph_node_count(g);
    fk_status st = FK_E_NO_MEMORY;
    fk__plan *p = calloc(1, sizeof *p);
    int *last_use = calloc((size_t)nn, sizeof *last_use);
    span *spans = calloc((size_t)nn, sizeof *spans);
    const span **conflicts = calloc((size_t)nn, sizeof *conflicts);
    if (!p || !last_use || !spans || !conflicts)
        goto fail;
    p->g = g;
    p->batch = batch;
    p->run_n = batch;
    p->kernels = kernels;
    p->threads = threads;
    p->avx2 = (kernels == FK__KERNELS_FAST || kernels == FK__KERNELS_AVX2) && fk__cpu_has_avx2_fma();
    p->avx512 = kernels == FK__KERNELS_FAST && fk__cpu_has_avx512();
    const char *prof = getenv("FACEKIT_PROFILE");
    if (prof && *prof && strcmp(prof, "0") != 0)
        p->node_ms = calloc((size_t)nn, sizeof *p->node_ms); /* best effort: no profile if it fails */
    p->offset = calloc((size_t)nn, sizeof *p->offset);
    p->fused = calloc((size_t)nn, sizeof *p->fused);
    p->band = calloc((size_t)nn, sizeof *p->band);
    p->chain = calloc((size_t)nn, sizeof *p->chain);
    p->rows = calloc((size_t)nn, sizeof *p->rows);
    if (!p->offset || !p->fused || !p->band || !p->chain || !p->rows)
        goto fail;

    for (int i = 0; i < nn; i++) {
        const fk__node *n = fk__graph_node(g, i);
        last_use[i] = i;
        for (int k = 0; k < n->n_inputs; k++)
            last_use[n->inputs[k]] = i;
    }
    for (int k = 0; k < fk__graph_output_count(g); k++)
        last_use[fk__graph_output(g, k)] = nn;
    size_t chain_scratch = 0;
    int *readers = calloc((size_t)nn, sizeof *readers);
    if (readers) { /* best effort: unfused and unchained runs the same */
        for (int i = 0; i < nn; i++) {
            const fk__node *n = fk__graph_node(g, i);
            for (int k = 0; k < n->n_inputs; k++)
                readers[n->inputs[k]]++;
        }
        find_fusions(p, readers, last_use);
        find_chains(p, readers, last_use, &chain_scratch);
        free(readers);
    }

    for (int i = 0; i < nn; i++) {
        const fk__node *n = fk__graph_node(g, i);
        fk__shape s = n->shape;
        s.n = batch;
        size_t count;
        if (!fk__shape_count(s, &count) || count > ((size_t)1 << 34)) {
            st = fk__fail(err, FK_E_OVERFLOW, "%s: node '%s' too large at batch %d", fk__graph_name(g), n->name,
                          batch);
            goto fail_msg;
        }
        /* a node's output lives from its own run (kernels never run in place, so it overlaps its
         * inputs) to its last reader's */
        spans[i] = (span){round_up(count), 0, i, last_use[i], i};
        /* never written: a later node's buffer, or scratch (a band's, a chain's rows) */
        if (p->fused[i] || (i + 1 < nn && p->band[i + 1]) || p->chain[i] < 0)
            spans[i] = (span){0, 0, i, i, i};
        if (i > 0 && p->fused[i - 1] == i)
            spans[i].first = i - 1;
        if (n->op == FK__OP_CONV2D) {
            fk__shape xs = fk__graph_node(g, n->inputs[0])->shape;
            xs.n = batch;
            fk__view x = fk__view_packed(NULL, xs), y = fk__view_packed(NULL, s);
            /* im2col scratch only where the GEMM path runs */
            size_t sc = conv_direct(p, &n->u.conv, &x, &y) ? 0 : fk__conv2d_gemm_scratch(&n->u.conv, &y);
            if (p->band[i])
                sc = (size_t)p->band[i] * xs.w * xs.c;
            if (sc > p->scratch_floats)
                p->scratch_floats = sc;
        }
    }
    if (chain_scratch > p->scratch_floats)
        p->scratch_floats = chain_scratch;
    size_t high = place_all(spans, nn, conflicts);
    for (int i = 0; i < nn; i++)
        p->offset[spans[i].id] = spans[i].off;
    p->arena_floats = high;
    p->arena = aligned_alloc(64, round_up(high ? high : 1) * sizeof(float));
    if (!p->arena)
        goto fail;
    if (p->scratch_floats) {
        p->scratch_floats = round_up(p->scratch_floats);
        p->scratch = aligned_alloc(64, p->scratch_floats * (size_t)threads * sizeof(float));
        if (!p->scratch)
            goto fail;
    }
    free(last_use);
    free(spans);
    free(conflicts);
    *out = p;
    return FK_OK;

fail:
    st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory planning batch %d", fk__graph_name(g), batch);
fail_msg:
    free(last_use);
    free(spans);
    free(conflicts);
    fk__plan_free(p);
    return st;
}

static const char *op_name(fk__op op)
{
    static const char *names[FK__OP_COUNT] = {"input", "conv2d", "dwconv", "pool", "global_avgpool", "add",
                                              "affine", "sigmoid", "softmax", "concat", "fc", "binary",
                                              "slice", "l2norm"};
    return op < FK__OP_COUNT ? names[op] : "?";
}

/* Per node and per op kind, ms per run: a developer's view of where a net spends its time. */
static void print_profile(const fk__plan *p)
{
    int nn = fk__graph_node_count(p->g);
    double by_op[FK__OP_COUNT] = {0}, total = 0;
    long runs = p->runs ? p->runs : 1;
    fprintf(stderr, "profile: %d nodes, %ld runs, batch %d, %d threads, %.1f MB of activations and scratch\n", nn,
            p->runs, p->batch, p->threads, (double)fk__plan_bytes(p) / 1e6);
    for (int i = 1; i < nn; i++) {
        const fk__node *n = fk__graph_node(p->g, i);
        double ms = p->node_ms[i] / runs;
        by_op[n->op] += ms;
        total += ms;
        /* a chain's time is its last node's; the nodes before it say so */
        const char *where = p->chain[i] < 0 ? "  (in the chain below)" : p->chain[i] > 0 ? "  (a chain from " : "";
        fprintf(stderr, "  %-8s %-32s %3dx%3dx%4d %8.3f ms%s", op_name(n->op), n->name, n->shape.h, n->shape.w,
                n->shape.c, ms, where);
        if (p->chain[i] > 0)
            fprintf(stderr, "%s, %d rows a step)", fk__graph_node(p->g, p->chain[i])->name, p->rows[i]);
        fputc('\n', stderr);
    }
    for (int o = 0; o < FK__OP_COUNT; o++)
        if (by_op[o] > 0)
            fprintf(stderr, "  total %-14s %8.3f ms (%4.1f%%)\n", op_name((fk__op)o), by_op[o],
                    total > 0 ? 100 * by_op[o] / total : 0);
    fprintf(stderr, "  total %-14s %8.3f ms\n", "all", total);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

void fk__plan_free(fk__plan *p)
{
    if (!p)
        return;
    if (p->node_ms)
        print_profile(p);
    free(p->node_ms);
    free(p->offset);
    free(p->fused);
    free(p->band);
    free(p->chain);
    free(p->rows);
    free(p->arena);
    free(p->scratch);
    free(p);
}

float *fk__plan_input(fk__plan *p)
{
    return p->arena + p->offset[0];
}

int fk__plan_batch(const fk__plan *p)
{
    return p->batch;
}

void fk__plan_set_run_batch(fk__plan *p, int n)
{
    assert(n >= 1 && n <= p->batch);
    p->run_n = n;
}

int fk__plan_chain_count(const fk__plan *p)
{
    int count = 0;
    for (int i = 0; i < fk__graph_node_count(p->g); i++)
        count += p->chain[i] > 0;
    return count;
}

size_t fk__plan_bytes(const fk__plan *p)
{
    return (p->arena_floats + p->scratch_floats) * sizeof(float);
}

static void conv_direct_run(const fk__plan *p, const fk__conv2d_args *a, const fk__view *x, const fk__view *y,
                            const fk__residual *res, int ith, int nth)
{
    if (p->avx512)
        fk__conv2d_avx512(a, x, y, res, ith, nth);
    else
        fk__conv2d_avx2(a, x, y, res, ith, nth);
}

/* The depthwise kernel of the plan's tier, wherever a depthwise convolution runs (alone, in a
 * band, in a chain). */
static void dwconv_run(const fk__plan *p, const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith,
                       int nth)
{
    bool packed = x->sc == 1 && y->sc == 1;
    if (p->kernels == FK__KERNELS_REFERENCE)
        fk__dwconv_ref(a, x, y, ith, nth);
    else if (p->avx512 && packed)
        fk__dwconv_avx512(a, x, y, ith, nth);
    else if (p->avx2 && packed)
        fk__dwconv_avx2(a, x, y, ith, nth);
    else
        fk__dwconv_fast(a, x, y, ith, nth);
}

/* Pooling on the widest tier this plan may use; packed channels only past the reference. */
static void pool_run(const fk__plan *p, const fk__pool_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    if (p->kernels == FK__KERNELS_REFERENCE || !fk__pool_fast_fits(a, x, y))
        fk__pool_ref(a, x, y, ith, nth);
    else if (p->avx512)
        fk__pool_avx512(a, x, y, ith, nth);
    else if (p->avx2)
        fk__pool_avx2(a, x, y, ith, nth);
    else
        fk__pool_fast(a, x, y, ith, nth);
}

/* Rows r0 .. r0 + rows of image n of a view. */
static fk__view rows_of(const fk__view *v, int n, int r0, int rows)
{
    fk__view b = *v;
    b.data = fk__at(v, n, r0, 0, 0);
    b.n = 1;
    b.h = rows;
    return b;
}

/* The depthwise node id - 1 and the 1x1 convolution id, band by band: each band of the depthwise
 * output is computed into this worker's scratch, then the convolution (and its fused residual)
 * over it. Every value is computed as the two nodes compute it one after the other. */
static void run_dw_pw(const fk__plan *p, int id, const fk__residual *res, const fk__view *y, int ith, int nth)
{
    const fk__node *c = fk__graph_node(p->g, id), *d = fk__graph_node(p->g, id - 1);
    fk__view x = node_view(p, d->inputs[0]);
    int band = p->band[id], per_image = (y->h + band - 1) / band, b0, b1;
    fk__split_rows(y->n * per_image, ith, nth, &b0, &b1);
    float *buf = p->scratch + (size_t)ith * p->scratch_floats;
    for (int b = b0; b < b1; b++) {
        int n = b / per_image, r0 = (b % per_image) * band, rows = band < y->h - r0 ? band : y->h - r0;
        /* the band's rows as rows 0.. of a one-image output: shift the top padding instead */
        fk__dwconv_args da = d->u.dw;
        da.pad_top -= r0 * da.stride_h;
        fk__view xi = x, t = fk__view_packed(buf, fk__shape_make(1, rows, d->shape.w, d->shape.c));
        xi.data = fk__at(&x, n, 0, 0, 0);
        xi.n = 1;
        dwconv_run(p, &da, &xi, &t, 0, 1);
        fk__view yb = rows_of(y, n, r0, rows);
        if (res) {
            fk__residual rb = *res;
            rb.r = rows_of(&res->r, n, r0, rows);
            conv_direct_run(p, &c->u.conv, &t, &yb, &rb, 0, 1);
        } else {
            conv_direct_run(p, &c->u.conv, &t, &yb, NULL, 0, 1);
        }
    }
}

/* One node of a chain on the rows of y (its output from row r0), from x (its input from row lo). */
static void chain_kernel(const fk__plan *p, const fk__node *n, const fk__view *x, int lo, int r0, const fk__view *y)
{
    if (n->op == FK__OP_CONV2D) {
        fk__conv2d_args a = n->u.conv;
        a.pad_top -= r0 * a.stride_h - lo; /* output row 0 of y is row r0; input row 0 of x is row lo */
        conv_direct_run(p, &a, x, y, NULL, 0, 1);
    } else if (n->op == FK__OP_DWCONV) {
        fk__dwconv_args a = n->u.dw;
        a.pad_top -= r0 * a.stride_h - lo;
        dwconv_run(p, &a, x, y, 0, 1);
    } else {
        fk__pool_args a = n->u.pool;
        a.pad_top -= r0 * a.stride_h - lo;
        pool_run(p, &a, x, y, 0, 1);
    }
}

/* Where one worker's chain stands: the chain's k-th node holds rows [base[k], end[k]) of its
 * output at buf[k]. */
typedef struct chain_state {
    const fk__plan *p;
    int s, e, n;
    float *buf[FK__CHAIN_MAX_NODES];
    int base[FK__CHAIN_MAX_NODES], end[FK__CHAIN_MAX_NODES];
} chain_state;

/* Rows [a, b) of chain node i: those of the last node written into the arena, the others kept in
 * its buffer (dropping the rows before a, which no later step reads). */
static void chain_rows_run(chain_state *cs, int i, int a, int b)
{
    const fk__plan *p = cs->p;
    const fk__node *n = fk__graph_node(p->g, i);
    bool last = i == cs->e;
    int k = i - cs->s;
    int c0 = a;
    if (!last) {
        int keep0 = a > cs->base[k] ? a : cs->base[k];
        if (keep0 >= cs->end[k]) {
            cs->base[k] = cs->end[k] = a;
        } else if (keep0 > cs->base[k]) {
            size_t row = (size_t)n->shape.w * n->shape.c;
            memmove(cs->buf[k], cs->buf[k] + (size_t)(keep0 - cs->base[k]) * row,
                    (size_t)(cs->end[k] - keep0) * row * sizeof(float));
            cs->base[k] = keep0;
        }
        c0 = cs->end[k];
        if (c0 >= b)
            return;
    }
    int kh, stride, pad;
    node_geometry(n, &kh, &stride, &pad);
    const fk__node *src = fk__graph_node(p->g, n->inputs[0]);
    int lo = c0 * stride - pad, hi = (b - 1) * stride - pad + kh;
    lo = lo < 0 ? 0 : lo;
    hi = hi > src->shape.h ? src->shape.h : hi < lo ? lo : hi;
    fk__view x;
    if (i == cs->s) {
        x = node_view(p, n->inputs[0]);
        x.data = fk__at(&x, cs->n, lo, 0, 0);
    } else {
        chain_rows_run(cs, i - 1, lo, hi);
        x = fk__view_packed(cs->buf[k - 1] + (size_t)(lo - cs->base[k - 1]) * src->shape.w * src->shape.c,
                            fk__shape_make(1, src->shape.h, src->shape.w, src->shape.c));
    }
    x.n = 1;
    x.h = hi - lo;
    fk__view y;
    if (last) {
        y = node_view(p, i);
        y.data = fk__at(&y, cs->n, c0, 0, 0);
    } else {
        assert(b - cs->base[k] <= p->rows[i]); /* the rows planned for this node's buffer */
        y = fk__view_packed(cs->buf[k] + (size_t)(c0 - cs->base[k]) * n->shape.w * n->shape.c, n->shape);
        cs->end[k] = b;
    }
    y.n = 1;
    y.h = b - c0;
    chain_kernel(p, n, &x, lo, c0, &y);
}

/* The chain ending at node e, this worker's share of its output rows, step by step. */
static void run_chain(const fk__plan *p, int e, int ith, int nth)
{
    chain_state cs = {p, p->chain[e], e, 0, {0}, {0}, {0}};
    assert(e - cs.s < FK__CHAIN_MAX_NODES);
    float *buf = p->scratch + (size_t)ith * p->scratch_floats;
    for (int i = cs.s; i < e; i++) {
        const fk__node *n = fk__graph_node(p->g, i);
        cs.buf[i - cs.s] = buf;
        buf += round_up((size_t)p->rows[i] * n->shape.w * n->shape.c);
    }
    int h = fk__graph_node(p->g, e)->shape.h, r0, r1;
    fk__split_rows(p->run_n * h, ith, nth, &r0, &r1);
    for (int r = r0; r < r1;) {
        int n = r / h, oy = r % h, rows = p->rows[e];
        if (rows > h - oy)
            rows = h - oy;
        if (rows > r1 - r)
            rows = r1 - r;
        if (n != cs.n || r == r0) { /* a new image: nothing held */
            cs.n = n;
            for (int k = 0; k < e - cs.s; k++)
                cs.base[k] = cs.end[k] = 0;
        }
        chain_rows_run(&cs, e, oy, oy + rows);
        r += rows;
    }
}

static void run_node(const fk__plan *p, int id, int ith, int nth)
{
    if (p->chain[id] < 0)
        return; /* computed row by row inside the chain's last node */
    if (p->chain[id] > 0) {
        run_chain(p, id, ith, nth);
        return;
    }
    const fk__node *n = fk__graph_node(p->g, id);
    fk__view y = node_view(p, id);
    fk__view x = n->n_inputs > 0 ? node_view(p, n->inputs[0]) : y;
    bool ref = p->kernels == FK__KERNELS_REFERENCE;
    switch (n->op) {
    case FK__OP_INPUT:
        break;
    case FK__OP_CONV2D:
        if (ref) {
            fk__conv2d_ref(&n->u.conv, &x, &y, ith, nth);
        } else if (conv_direct(p, &n->u.conv, &x, &y)) {
            fk__residual res, *rp = NULL;
            if (p->fused[id]) {
                const fk__node *add = fk__graph_node(p->g, p->fused[id]);
                res.r = node_view(p, add->inputs[0] == id ? add->inputs[1] : add->inputs[0]);
                res.ep = add->u.add;
                rp = &res;
                y = node_view(p, p->fused[id]);
            }
            if (p->band[id])
                run_dw_pw(p, id, rp, &y, ith, nth);
            else
                conv_direct_run(p, &n->u.conv, &x, &y, rp, ith, nth);
        } else
            fk__conv2d_gemm(&n->u.conv, &x, &y, p->scratch + (size_t)ith * p->scratch_floats, ith, nth);
        break;
    case FK__OP_DWCONV:
        if (id + 1 < fk__graph_node_count(p->g) && p->band[id + 1])
            break; /* run band by band with the convolution after it */
        dwconv_run(p, &n->u.dw, &x, &y, ith, nth);
        break;
    case FK__OP_POOL:
        pool_run(p, &n->u.pool, &x, &y, ith, nth);
        break;
    case FK__OP_GLOBAL_AVGPOOL:
        fk__global_avgpool_ref(&x, &y, ith, nth);
        break;
    case FK__OP_ADD: {
        if (id > 0 && p->fused[id - 1] == id)
            break; /* done by the convolution before it */
        fk__view b = node_view(p, n->inputs[1]);
        if (p->avx2 && fk__add_avx2_fits(&x, &b, &y))
            fk__add_avx2(&x, &b, &y, &n->u.add, ith, nth);
        else if (!ref && fk__add_fast_fits(&x, &b, &y))
            fk__add_fast(&x, &b, &y, &n->u.add, ith, nth);
        else
            fk__add_ref(&x, &b, &y, &n->u.add, ith, nth);
        break;
    }
    case FK__OP_AFFINE:
        if (!ref && x.sc == 1 && y.sc == 1)
            fk__affine_fast(&n->u.affine, &x, &y, ith, nth);
        else
            fk__affine_ref(&n->u.affine, &x, &y, ith, nth);
        break;
    case FK__OP_SIGMOID:
        fk__sigmoid_ref(&x, &y, ith, nth);
        break;
    case FK__OP_SOFTMAX:
        fk__softmax_ref(&x, &y, ith, nth);
        break;
    case FK__OP_CONCAT: {
        fk__view xs[FK__MAX_INPUTS];
        for (int k = 0; k < n->n_inputs; k++)
            xs[k] = node_view(p, n->inputs[k]);
        fk__concat_ref(xs, n->n_inputs, &y, ith, nth);
        break;
    }
    case FK__OP_FC:
        if (ref)
            fk__fc_ref(&n->u.fc, &x, &y, ith, nth);
        else
            fk__fc_blas(&n->u.fc, &x, &y, ith, nth);
        break;
    case FK__OP_BINARY: {
        fk__view b = node_view(p, n->inputs[1]);
        fk__binary_ref(n->u.bin, &x, &b, &y, ith, nth);
        break;
    }
    case FK__OP_SLICE:
        fk__slice_ref(&n->u.slice, &x, &y, ith, nth);
        break;
    case FK__OP_L2NORM:
        fk__l2norm_ref(n->u.eps, &x, &y, ith, nth);
        break;
    case FK__OP_COUNT:
        break;
    }
}

void fk__plan_run(fk__plan *p)
{
    int nn = fk__graph_node_count(p->g);
    p->runs++;
    for (int i = 1; i < nn; i++) {
        double t0 = p->node_ms ? now_ms() : 0;
        run_node(p, i, 0, 1);
        if (p->node_ms)
            p->node_ms[i] += now_ms() - t0;
    }
}

typedef struct node_task {
    const fk__plan *p;
    int id;
} node_task;

static void run_task(void *ctx, int ith, int nth)
{
    const node_task *t = ctx;
    run_node(t->p, t->id, ith, nth);
}

/* Below this many output values an op is cheaper than waking the other workers. */
#define FK__PARALLEL_MIN 8192

void fk__plan_run_pool(fk__plan *p, fk__pool *pool)
{
    int workers = fk__pool_size(pool);
    if (!pool || workers < 2 || p->threads < 2) {
        fk__plan_run(p);
        return;
    }
    int nn = fk__graph_node_count(p->g);
    p->runs++;
    for (int i = 1; i < nn; i++) {
        const fk__node *n = fk__graph_node(p->g, i);
        size_t out = (size_t)p->run_n * n->shape.h * n->shape.w * n->shape.c;
        double t0 = p->node_ms ? now_ms() : 0;
        if (p->chain[i] < 0)
            continue; /* inside a chain: nothing to wake the workers for */
        if (out < FK__PARALLEL_MIN || workers > p->threads) {
            run_node(p, i, 0, 1);
        } else {
            node_task t = {p, i};
            fk__pool_run(pool, run_task, &t);
        }
        if (p->node_ms)
            p->node_ms[i] += now_ms() - t0;
    }
}

const float *fk__plan_output(const fk__plan *p, int k, fk__shape *shape)
{
    int id = fk__graph_output(p->g, k);
    if (shape) {
        *shape = fk__graph_node(p->g, id)->shape;
        shape->n = p->run_n;
    }
    return p->arena + p->offset[id];
}
