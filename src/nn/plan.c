/* plan.c: the executor: plans one arena for a graph at a batch size (buffers reused once dead), then runs it. */
#include "nn/plan.h"

#include <cblas.h>
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
    fk__kernels kernels;
    bool avx2; /* fast kernels and the CPU has AVX2 + FMA */
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
    return FK__KERNELS_FAST;
}

static size_t round_up(size_t n)
{
    return (n + FK__ALIGN_FLOATS - 1) / FK__ALIGN_FLOATS * FK__ALIGN_FLOATS;
}

typedef struct block {
    size_t off, size;
    int node;
} block;

/* First-fit placement among live blocks kept sorted by offset. */
static size_t place(block *live, int *n_live, size_t size, int node, size_t *high)
{
    size_t off = 0;
    int at = 0;
    for (; at < *n_live; at++) {
        if (live[at].off >= off + size)
            break;
        if (live[at].off + live[at].size > off)
            off = live[at].off + live[at].size;
    }
    memmove(&live[at + 1], &live[at], sizeof *live * (size_t)(*n_live - at));
    live[at].off = off;
    live[at].size = size;
    live[at].node = node;
    (*n_live)++;
    if (off + size > *high)
        *high = off + size;
    return off;
}

static void release(block *live, int *n_live, int node)
{
    for (int i = 0; i < *n_live; i++)
        if (live[i].node == node) {
            memmove(&live[i], &live[i + 1], sizeof *live * (size_t)(*n_live - i - 1));
            (*n_live)--;
            return;
        }
}

static fk__view node_view(const fk__plan *p, int id)
{
    fk__shape s = fk__graph_node(p->g, id)->shape;
    s.n = p->batch;
    return fk__view_packed(p->arena + p->offset[id], s);
}

fk_status fk__plan_new(const fk__graph *g, int batch, fk__kernels kernels, fk__plan **out, fk_error *err)
{
    return fk__plan_new_threads(g, batch, kernels, 1, out, err);
}

fk_status fk__plan_new_threads(const fk__graph *g, int batch, fk__kernels kernels, int threads, fk__plan **out,
                               fk_error *err)
{
    *out = NULL;
    if (threads < 1 || threads > 256)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: bad thread count %d", fk__graph_name(g), threads);
    if (batch <= 0 || batch > 4096)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: bad batch size %d", fk__graph_name(g), batch);
    /* facekit parallelises across ops and faces itself; OpenBLAS's own threads would only
     * oversubscribe the cores, so every sgemm runs on the calling thread */
    openblas_set_num_threads(1);
    int nn = fk__graph_node_count(g);
    fk_status st = FK_E_NO_MEMORY;
    fk__plan *p = calloc(1, sizeof *p);
    int *last_use = calloc((size_t)nn, sizeof *last_use);
    block *live = calloc((size_t)nn, sizeof *live);
    if (!p || !last_use || !live)
        goto fail;
    p->g = g;
    p->batch = batch;
    p->kernels = kernels;
    p->threads = threads;
    p->avx2 = kernels == FK__KERNELS_FAST && fk__cpu_has_avx2_fma();
    const char *prof = getenv("FACEKIT_PROFILE");
    if (prof && *prof && strcmp(prof, "0") != 0)
        p->node_ms = calloc((size_t)nn, sizeof *p->node_ms); /* best effort: no profile if it fails */
    p->offset = calloc((size_t)nn, sizeof *p->offset);
    if (!p->offset)
        goto fail;

    for (int i = 0; i < nn; i++) {
        const fk__node *n = fk__graph_node(g, i);
        last_use[i] = i;
        for (int k = 0; k < n->n_inputs; k++)
            last_use[n->inputs[k]] = i;
    }
    for (int k = 0; k < fk__graph_output_count(g); k++)
        last_use[fk__graph_output(g, k)] = nn;

    size_t high = 0;
    int n_live = 0;
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
        /* the output is placed before the inputs die: kernels never run in place */
        p->offset[i] = place(live, &n_live, round_up(count), i, &high);
        for (int k = 0; k < n->n_inputs; k++)
            if (last_use[n->inputs[k]] == i)
                release(live, &n_live, n->inputs[k]);
        if (last_use[i] == i) /* a dead end nobody reads */
            release(live, &n_live, i);
        if (n->op == FK__OP_CONV2D) {
            fk__view y = fk__view_packed(NULL, s);
            size_t sc = fk__conv2d_gemm_scratch(&n->u.conv, &y);
            if (sc > p->scratch_floats)
                p->scratch_floats = sc;
        }
    }
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
    free(live);
    *out = p;
    return FK_OK;

fail:
    st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory planning batch %d", fk__graph_name(g), batch);
fail_msg:
    free(last_use);
    free(live);
    fk__plan_free(p);
    return st;
}

static const char *op_name(fk__op op)
{
    static const char *names[FK__OP_COUNT] = {"input", "conv2d", "dwconv", "pool", "global_avgpool", "add",
                                              "affine", "sigmoid", "softmax", "concat", "fc"};
    return op < FK__OP_COUNT ? names[op] : "?";
}

/* Per node and per op kind, ms per run: a developer's view of where a net spends its time. */
static void print_profile(const fk__plan *p)
{
    int nn = fk__graph_node_count(p->g);
    double by_op[FK__OP_COUNT] = {0}, total = 0;
    long runs = p->runs ? p->runs : 1;
    fprintf(stderr, "profile: %d nodes, %ld runs, batch %d, %d threads\n", nn, p->runs, p->batch, p->threads);
    for (int i = 1; i < nn; i++) {
        const fk__node *n = fk__graph_node(p->g, i);
        double ms = p->node_ms[i] / runs;
        by_op[n->op] += ms;
        total += ms;
        fprintf(stderr, "  %-8s %-32s %3dx%3dx%4d %8.3f ms\n", op_name(n->op), n->name, n->shape.h, n->shape.w,
                n->shape.c, ms);
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

size_t fk__plan_bytes(const fk__plan *p)
{
    return (p->arena_floats + p->scratch_floats) * sizeof(float);
}

static void run_node(const fk__plan *p, int id, int ith, int nth)
{
    const fk__node *n = fk__graph_node(p->g, id);
    fk__view y = node_view(p, id);
    fk__view x = n->n_inputs > 0 ? node_view(p, n->inputs[0]) : y;
    bool ref = p->kernels == FK__KERNELS_REFERENCE;
    switch (n->op) {
    case FK__OP_INPUT:
        break;
    case FK__OP_CONV2D:
        if (ref)
            fk__conv2d_ref(&n->u.conv, &x, &y, ith, nth);
        else if (p->avx2 && fk__conv2d_avx2_fits(&n->u.conv, &x, &y))
            fk__conv2d_avx2(&n->u.conv, &x, &y, ith, nth);
        else
            fk__conv2d_gemm(&n->u.conv, &x, &y, p->scratch + (size_t)ith * p->scratch_floats, ith, nth);
        break;
    case FK__OP_DWCONV:
        if (ref)
            fk__dwconv_ref(&n->u.dw, &x, &y, ith, nth);
        else if (p->avx2 && x.sc == 1 && y.sc == 1)
            fk__dwconv_avx2(&n->u.dw, &x, &y, ith, nth);
        else
            fk__dwconv_fast(&n->u.dw, &x, &y, ith, nth);
        break;
    case FK__OP_POOL:
        if (!ref && fk__pool_fast_fits(&n->u.pool, &x, &y))
            fk__pool_fast(&n->u.pool, &x, &y, ith, nth);
        else
            fk__pool_ref(&n->u.pool, &x, &y, ith, nth);
        break;
    case FK__OP_GLOBAL_AVGPOOL:
        fk__global_avgpool_ref(&x, &y, ith, nth);
        break;
    case FK__OP_ADD: {
        fk__view b = node_view(p, n->inputs[1]);
        if (!ref && fk__add_fast_fits(&x, &b, &y))
            fk__add_fast(&x, &b, &y, n->u.add.act, n->u.add.alpha, ith, nth);
        else
            fk__add_ref(&x, &b, &y, n->u.add.act, n->u.add.alpha, ith, nth);
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
        size_t out = (size_t)p->batch * n->shape.h * n->shape.w * n->shape.c;
        double t0 = p->node_ms ? now_ms() : 0;
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
        shape->n = p->batch;
    }
    return p->arena + p->offset[id];
}
