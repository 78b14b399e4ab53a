/* plan.c: the executor: plans one arena for a graph at a batch size (buffers reused once dead), then runs it. */
#include "nn/plan.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/pool.h"

#define FK__ALIGN_FLOATS 16 /* 64-byte alignment of every buffer */

struct fk__plan {
    const fk__graph *g;
    int batch;
    fk__kernels kernels;
    size_t *offset;   /* per node, in floats from arena */
    float *arena;
    float *scratch;   /* im2col for the GEMM convolution, scratch_floats per worker */
    size_t arena_floats, scratch_floats;
    int threads;
};

fk__kernels fk__kernels_from_env(void)
{
    /* One place reads the switch; a plan keeps its choice, so no global state changes later. */
    const char *k = getenv("FACEKIT_KERNELS");
    if (k && strcmp(k, "reference") == 0)
        return FK__KERNELS_REFERENCE;
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

void fk__plan_free(fk__plan *p)
{
    if (!p)
        return;
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
        else
            fk__conv2d_gemm(&n->u.conv, &x, &y, p->scratch + (size_t)ith * p->scratch_floats, ith, nth);
        break;
    case FK__OP_DWCONV:
        if (ref)
            fk__dwconv_ref(&n->u.dw, &x, &y, ith, nth);
        else
            fk__dwconv_fast(&n->u.dw, &x, &y, ith, nth);
        break;
    case FK__OP_POOL:
        fk__pool_ref(&n->u.pool, &x, &y, ith, nth);
        break;
    case FK__OP_GLOBAL_AVGPOOL:
        fk__global_avgpool_ref(&x, &y, ith, nth);
        break;
    case FK__OP_ADD: {
        fk__view b = node_view(p, n->inputs[1]);
        fk__add_ref(&x, &b, &y, n->u.add.act, n->u.add.alpha, ith, nth);
        break;
    }
    case FK__OP_AFFINE:
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
    for (int i = 1; i < nn; i++)
        run_node(p, i, 0, 1);
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
    for (int i = 1; i < nn; i++) {
        const fk__node *n = fk__graph_node(p->g, i);
        size_t out = (size_t)p->batch * n->shape.h * n->shape.w * n->shape.c;
        if (out < FK__PARALLEL_MIN || workers > p->threads) {
            run_node(p, i, 0, 1);
            continue;
        }
        node_task t = {p, i};
        fk__pool_run(pool, run_task, &t);
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
