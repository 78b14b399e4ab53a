/* test_executor.c: graphs with branches and joins run through the planner match the ops computed one by one; buffers are reused; builder errors are sticky. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "nn/graph.h"
#include "core/pool.h"
#include "nn/plan.h"

static unsigned g_seed = 777u;

static float *rnd(size_t n)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = fk_test_randf(&g_seed);
    return v;
}

static float *buf(fk__shape s)
{
    size_t n;
    fk__shape_count(s, &n);
    return calloc(n, sizeof(float));
}

/* The plan's input set to the first `floats` of x, then a run: on the pool's workers when given. */
static void fill_and_run(fk__plan *p, const float *x, size_t floats, fk__pool *pool)
{
    memcpy(fk__plan_input(p), x, floats * sizeof(float));
    if (pool)
        fk__plan_run_pool(p, pool);
    else
        fk__plan_run(p);
}

/* input 9x9x3 -> conv 3x3 (c1, 8 ch) -> a: dw 3x3 + relu; b: conv 1x1 -> 8; join = relu(a + b);
 * pooled = maxpool 2x2 s2 SAME of c1 (a second reader of c1); cat = concat(join, c1, pooled');
 * outputs: c1 (marked mid-graph), join, fc of global average of cat. */
typedef struct net {
    float *w1, *wdw, *w2, *wfc, *bfc;
} net;

static fk__graph *build(const net *p, fk__graph **out)
{
    fk_error err = {0};
    fk__graph *g = NULL;
    fk__graph_new("test", fk__shape_make(1, 9, 9, 3), &g, &err);
    fk__epilogue none = {0}, relu = {.act = FK__ACT_RELU};
    int c1 = fk__g_conv2d(g, fk__graph_input(g), "c1", 3, 3, 1, FK__PAD_SAME, 8, p->w1, none);
    int a = fk__g_dwconv(g, c1, "a", 3, 3, 1, FK__PAD_SAME, p->wdw, relu);
    int b = fk__g_conv2d(g, c1, "b", 1, 1, 1, FK__PAD_VALID, 8, p->w2, none);
    int join = fk__g_add(g, a, b, "join", FK__ACT_RELU);
    int up = fk__g_affine(g, c1, "copy", NULL, NULL, FK__ACT_NONE, 0);
    int cat_in[3] = {join, c1, up};
    int cat = fk__g_concat(g, cat_in, 3, "cat");
    int gap = fk__g_global_avgpool(g, cat, "gap");
    fk__epilogue efc = {.bias = p->bfc};
    int fc = fk__g_fc(g, gap, "fc", 5, p->wfc, efc);
    fk__graph_mark_output(g, c1);
    fk__graph_mark_output(g, join);
    fk__graph_mark_output(g, fc);
    CHECK_OK(fk__graph_finish(g, &err));
    *out = g;
    return g;
}

/* The same computation op by op with the reference kernels into separate buffers. */
static void direct(const net *p, const float *x, int batch, float *c1o, float *joino, float *fco)
{
    fk__shape s3 = fk__shape_make(batch, 9, 9, 3), s8 = fk__shape_make(batch, 9, 9, 8), s24 = fk__shape_make(batch, 9, 9, 24);
    float *a = buf(s8), *b = buf(s8), *cat = buf(s24), *gap = buf(fk__shape_make(batch, 1, 1, 24));
    fk__view vx = fk__view_packed((float *)x, s3), vc1 = fk__view_packed(c1o, s8), va = fk__view_packed(a, s8);
    fk__view vb = fk__view_packed(b, s8), vj = fk__view_packed(joino, s8), vcat = fk__view_packed(cat, s24);
    fk__conv2d_args ca = {3, 3, 1, 1, 1, 1, 3, 8, p->w1, {0}, NULL};
    fk__conv2d_ref(&ca, &vx, &vc1, 0, 1);
    fk__dwconv_args da = {3, 3, 1, 1, 1, 1, 8, p->wdw, {.act = FK__ACT_RELU}};
    fk__dwconv_ref(&da, &vc1, &va, 0, 1);
    fk__conv2d_args cb = {1, 1, 1, 1, 0, 0, 8, 8, p->w2, {0}, NULL};
    fk__conv2d_ref(&cb, &vc1, &vb, 0, 1);
    fk__add_ref(&va, &vb, &vj, &(fk__epilogue){.act = FK__ACT_RELU}, 0, 1);
    fk__view parts[3] = {vj, vc1, vc1};
    fk__concat_ref(parts, 3, &vcat, 0, 1);
    fk__view vg = fk__view_packed(gap, fk__shape_make(batch, 1, 1, 24));
    fk__global_avgpool_ref(&vcat, &vg, 0, 1);
    fk__fc_args fa = {24, 5, p->wfc, {.bias = p->bfc}};
    fk__view vf = fk__view_packed(fco, fk__shape_make(batch, 1, 1, 5));
    fk__fc_ref(&fa, &vg, &vf, 0, 1);
    free(a);
    free(b);
    free(cat);
    free(gap);
}

static void test_branches(void)
{
    net p = {rnd(3 * 3 * 3 * 8), rnd(3 * 3 * 8), rnd(8 * 8), rnd(24 * 5), rnd(5)};
    fk__graph *g = NULL;
    build(&p, &g);
    for (int batch = 1; batch <= 3; batch += 2)
        for (int k = 0; k < FK__KERNELS_COUNT; k++) {
            fk__plan *plan = NULL;
            fk_error err = {0};
            CHECK_OK(fk__plan_new(g, batch, (fk__kernels)k, &plan, &err));
            if (!plan)
                continue;
            size_t nin = (size_t)batch * 9 * 9 * 3;
            float *x = rnd(nin);
            fill_and_run(plan, x, nin, NULL);
            float *c1 = buf(fk__shape_make(batch, 9, 9, 8)), *join = buf(fk__shape_make(batch, 9, 9, 8));
            float *fc = buf(fk__shape_make(batch, 1, 1, 5));
            direct(&p, x, batch, c1, join, fc);
            fk__shape s;
            CHECK(fk_test_max_rel_diff(c1, fk__plan_output(plan, 0, &s), (size_t)batch * 9 * 9 * 8) <= 1e-5);
            CHECK(s.n == batch && s.c == 8);
            CHECK(fk_test_max_rel_diff(join, fk__plan_output(plan, 1, NULL), (size_t)batch * 9 * 9 * 8) <= 1e-5);
            CHECK_MSG(fk_test_max_rel_diff(fc, fk__plan_output(plan, 2, NULL), (size_t)batch * 5) <= 1e-5,
                      "fc output differs (batch %d, kernels %d)", batch, k);
            /* a second run on the same plan gives the same answer (no state carried over) */
            float first = fk__plan_output(plan, 2, NULL)[0];
            fill_and_run(plan, x, nin, NULL);
            CHECK(fk__plan_output(plan, 2, NULL)[0] == first);
            free(x);
            free(c1);
            free(join);
            free(fc);
            fk__plan_free(plan);
        }
    fk__graph_free(g);
    free(p.w1);
    free(p.wdw);
    free(p.w2);
    free(p.wfc);
    free(p.bfc);
}

static void test_reuse_and_flops(void)
{
    fk_error err = {0};
    fk__graph *g = NULL;
    CHECK_OK(fk__graph_new("chain", fk__shape_make(1, 32, 32, 16), &g, &err));
    int x = fk__graph_input(g);
    for (int i = 0; i < 20; i++)
        x = fk__g_affine(g, x, "relu", NULL, NULL, FK__ACT_RELU, 0);
    fk__graph_mark_output(g, x);
    CHECK_OK(fk__graph_finish(g, &err));
    fk__plan *plan = NULL;
    CHECK_OK(fk__plan_new(g, 1, FK__KERNELS_FAST, &plan, &err));
    /* 21 buffers of 16 K floats if nothing were reused; a chain needs only two at a time */
    CHECK_MSG(plan && fk__plan_bytes(plan) <= 3 * 32 * 32 * 16 * sizeof(float), "plan holds %zu bytes",
              plan ? fk__plan_bytes(plan) : 0);
    fk__plan_free(plan);
    fk__graph_free(g);

    float w[3 * 3 * 4 * 6] = {0};
    CHECK_OK(fk__graph_new("one conv", fk__shape_make(1, 10, 12, 4), &g, &err));
    int c = fk__g_conv2d(g, fk__graph_input(g), "c", 3, 3, 1, FK__PAD_SAME, 6, w, (fk__epilogue){0});
    fk__graph_mark_output(g, c);
    CHECK_OK(fk__graph_finish(g, &err));
    CHECK_NEAR(fk__graph_flops(g), 2.0 * 10 * 12 * 6 * 3 * 3 * 4, 1e-6);
    fk__graph_free(g);
}

static void test_sticky_errors(void)
{
    fk_error err = {0};
    fk__graph *g = NULL;
    float w[16] = {0};
    CHECK_OK(fk__graph_new("bad", fk__shape_make(1, 4, 4, 1), &g, &err));
    int ok = fk__g_conv2d(g, fk__graph_input(g), "fine", 1, 1, 1, FK__PAD_VALID, 1, w, (fk__epilogue){0});
    CHECK(ok > 0);
    /* a 5x5 VALID kernel on a 4x4 input: the first error */
    CHECK(fk__g_conv2d(g, ok, "too big", 5, 5, 1, FK__PAD_VALID, 1, w, (fk__epilogue){0}) == -1);
    /* every later call fails too, even a valid one, and a bad input id is no new error */
    CHECK(fk__g_affine(g, ok, "later", NULL, NULL, FK__ACT_RELU, 0) == -1);
    CHECK(fk__g_add(g, 99, ok, "bad id", FK__ACT_NONE) == -1);
    CHECK(fk__graph_finish(g, &err) == FK_E_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "too big") != NULL, "message: %s", err.message);
    fk__graph_free(g);

    CHECK_OK(fk__graph_new("ids", fk__shape_make(1, 4, 4, 1), &g, &err));
    CHECK(fk__g_add(g, 0, 7, "bad id", FK__ACT_NONE) == -1);
    CHECK(fk__graph_finish(g, &err) != FK_OK && strstr(err.message, "bad id"));
    fk__graph_free(g);

    CHECK(fk__graph_new("empty", fk__shape_make(1, 0, 4, 1), &g, &err) == FK_E_INVALID_ARGUMENT && g == NULL);
    CHECK_OK(fk__graph_new("no outputs", fk__shape_make(1, 2, 2, 1), &g, &err));
    CHECK(fk__graph_finish(g, &err) == FK_E_INVALID_ARGUMENT);
    fk__plan *plan = NULL;
    CHECK(fk__plan_new(g, 0, FK__KERNELS_FAST, &plan, &err) == FK_E_INVALID_ARGUMENT && plan == NULL);
    fk__graph_free(g);
}

/* A MobileNet block the planner fuses (depthwise then 1x1 band by band, the residual summed in the
 * 1x1's store): the fused plan within tolerance of the reference tier, and each sample bitwise
 * the same at batch 1 and 3 and on one or two workers. */
static void test_fusions(void)
{
    const int hw = 37, c = 24; /* odd rows and a width the flat depthwise runs do not divide */
    float *w0 = rnd(3 * 3 * 3 * c), *wd = rnd(3 * 3 * c), *wp = rnd(c * c), *bp = rnd(c), *wf = rnd(c * 7);
    fk_error err = {0};
    fk__graph *g = NULL;
    CHECK_OK(fk__graph_new("fused", fk__shape_make(1, hw, hw, 3), &g, &err));
    fk__epilogue none = {0}, relu = {.act = FK__ACT_RELU}, bias = {.bias = bp};
    int x1 = fk__g_conv2d(g, fk__graph_input(g), "x1", 3, 3, 1, FK__PAD_SAME, c, w0, relu);
    int d = fk__g_dwconv(g, x1, "dw", 3, 3, 1, FK__PAD_SAME, wd, none);
    int pw = fk__g_conv2d(g, d, "pw", 1, 1, 1, FK__PAD_VALID, c, wp, bias);
    int sum = fk__g_add(g, pw, x1, "sum", FK__ACT_RELU);
    int gap = fk__g_global_avgpool(g, sum, "gap");
    int fc = fk__g_fc(g, gap, "fc", 7, wf, none);
    fk__graph_mark_output(g, sum);
    fk__graph_mark_output(g, fc);
    CHECK_OK(fk__graph_finish(g, &err));
    size_t per = (size_t)hw * hw * 3, outn = (size_t)hw * hw * c;
    float *x = rnd(3 * per);
    fk__pool *pool = NULL;
    CHECK_OK(fk__pool_new(2, &pool, &err));
    float *ref = malloc(3 * outn * sizeof(float));
    static const fk__kernels order[] = {FK__KERNELS_REFERENCE, FK__KERNELS_FAST, FK__KERNELS_PORTABLE,
                                        FK__KERNELS_AVX2};
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
        fk__kernels k = order[o];
        fk__plan *b3 = NULL, *b1 = NULL, *t2 = NULL;
        CHECK_OK(fk__plan_new(g, 3, k, &b3, &err));
        CHECK_OK(fk__plan_new(g, 1, k, &b1, &err));
        CHECK_OK(fk__plan_new_threads(g, 3, k, 2, &t2, &err));
        if (!b3 || !b1 || !t2)
            break;
        fill_and_run(b3, x, 3 * per, NULL);
        fill_and_run(t2, x, 3 * per, pool);
        const float *y3 = fk__plan_output(b3, 0, NULL), *f3 = fk__plan_output(b3, 1, NULL);
        if (k == FK__KERNELS_REFERENCE)
            memcpy(ref, y3, 3 * outn * sizeof(float));
        CHECK_MSG(fk_test_max_rel_diff(ref, y3, 3 * outn) <= 1e-5, "fused block vs reference (kernels %d)", k);
        CHECK_MSG(!memcmp(y3, fk__plan_output(t2, 0, NULL), 3 * outn * sizeof(float)) &&
                      !memcmp(f3, fk__plan_output(t2, 1, NULL), 3 * 7 * sizeof(float)),
                  "two workers differ from one (kernels %d)", k);
        for (int n = 0; n < 3; n++) {
            fill_and_run(b1, x + n * per, per, NULL);
            CHECK_MSG(!memcmp(fk__plan_output(b1, 0, NULL), y3 + n * outn, outn * sizeof(float)) &&
                          !memcmp(fk__plan_output(b1, 1, NULL), f3 + n * 7, 7 * sizeof(float)),
                      "sample %d at batch 1 differs from batch 3 (kernels %d)", n, k);
        }
        fk__plan_free(b3);
        fk__plan_free(b1);
        fk__plan_free(t2);
    }
    fk__pool_free(pool);
    fk__graph_free(g);
    free(ref);
    free(x);
    free(w0);
    free(wd);
    free(wp);
    free(bp);
    free(wf);
}

/* The SSD-like chain (3x3 conv, average pool, depthwise, 1x1, strided depthwise) whose outputs pass 4 MB: the
 * planner runs it row by row with the rows in scratch. The same graph with those outputs marked as
 * graph outputs runs node by node; the chained result must be bitwise that, at batch 2, on one or
 * two workers, and within tolerance of the reference tier. */
static fk__graph *chain_graph(bool whole, const float *w0, const float *wd, const float *wp, const float *wd2,
                              const float *wp2, const float *bp)
{
    const int hw = 183, c = 32;
    fk_error err = {0};
    fk__graph *g = NULL;
    CHECK_OK(fk__graph_new(whole ? "unchained" : "chained", fk__shape_make(1, hw, hw, 3), &g, &err));
    fk__epilogue relu6 = {.bias = bp, .act = FK__ACT_RELU6}, none = {0};
    int x1 = fk__g_conv2d(g, fk__graph_input(g), "x1", 3, 3, 1, FK__PAD_SAME, c, w0, relu6);
    int av = fk__g_pool(g, x1, "avg", FK__POOL_AVG, 3, 1, FK__PAD_SAME); /* fewer taps at the edges */
    int d = fk__g_dwconv(g, av, "dw", 3, 3, 1, FK__PAD_SAME, wd, relu6);
    int pw = fk__g_conv2d(g, d, "pw", 1, 1, 1, FK__PAD_VALID, c, wp, relu6);
    int d2 = fk__g_dwconv(g, pw, "dw2", 3, 3, 2, FK__PAD_SAME, wd2, relu6);
    int pw2 = fk__g_conv2d(g, d2, "pw2", 1, 1, 1, FK__PAD_VALID, 48, wp2, none);
    fk__graph_mark_output(g, pw2);
    if (whole) {
        fk__graph_mark_output(g, x1);
        fk__graph_mark_output(g, av);
        fk__graph_mark_output(g, d);
        fk__graph_mark_output(g, pw);
    }
    CHECK_OK(fk__graph_finish(g, &err));
    return g;
}

static void test_chains(void)
{
    const int hw = 183, c = 32, oh = 92;
    float *w0 = rnd(3 * 3 * 3 * c), *wd = rnd(3 * 3 * c), *wp = rnd(c * c), *wd2 = rnd(3 * 3 * c);
    float *wp2 = rnd(c * 48), *bp = rnd(c);
    fk__graph *ga = chain_graph(false, w0, wd, wp, wd2, wp2, bp), *gb = chain_graph(true, w0, wd, wp, wd2, wp2, bp);
    size_t per = (size_t)hw * hw * 3, outn = (size_t)oh * oh * 48;
    float *x = rnd(2 * per), *ref = malloc(2 * outn * sizeof(float));
    fk_error err = {0};
    fk__pool *pool = NULL;
    CHECK_OK(fk__pool_new(2, &pool, &err));
    static const fk__kernels order[] = {FK__KERNELS_REFERENCE, FK__KERNELS_FAST, FK__KERNELS_AVX2};
    for (size_t o = 0; ga && gb && ref && pool && o < sizeof order / sizeof order[0]; o++) {
        fk__kernels k = order[o];
        fk__plan *a1 = NULL, *a2 = NULL, *b1 = NULL;
        CHECK_OK(fk__plan_new(ga, 2, k, &a1, &err));
        CHECK_OK(fk__plan_new_threads(ga, 2, k, 2, &a2, &err));
        CHECK_OK(fk__plan_new(gb, 2, k, &b1, &err));
        if (!a1 || !a2 || !b1)
            break;
        fill_and_run(a1, x, 2 * per, NULL);
        fill_and_run(a2, x, 2 * per, pool);
        fill_and_run(b1, x, 2 * per, NULL);
        CHECK_MSG(fk__plan_chain_count(a1) == (k == FK__KERNELS_REFERENCE || !fk__cpu_has_avx2_fma() ? 0 : 1) &&
                      fk__plan_chain_count(b1) == 0,
                  "chains planned: %d and %d (kernels %d)", fk__plan_chain_count(a1), fk__plan_chain_count(b1), k);
        const float *ya = fk__plan_output(a1, 0, NULL);
        if (k == FK__KERNELS_REFERENCE)
            memcpy(ref, ya, 2 * outn * sizeof(float));
        CHECK_MSG(fk_test_max_rel_diff(ref, ya, 2 * outn) <= 1e-4, "chain vs reference (kernels %d)", k);
        CHECK_MSG(!memcmp(ya, fk__plan_output(b1, 0, NULL), 2 * outn * sizeof(float)),
                  "chained differs from node by node (kernels %d)", k);
        CHECK_MSG(!memcmp(ya, fk__plan_output(a2, 0, NULL), 2 * outn * sizeof(float)),
                  "chained on two workers differs from one (kernels %d)", k);
        fk__plan_free(a1);
        fk__plan_free(a2);
        fk__plan_free(b1);
    }
    fk__pool_free(pool);
    fk__graph_free(ga);
    fk__graph_free(gb);
    free(ref);
    free(x);
    free(w0);
    free(wd);
    free(wp);
    free(wd2);
    free(wp2);
    free(bp);
}

int main(void)
{
    test_branches();
    test_fusions();
    test_chains();
    test_reuse_and_flops();
    test_sticky_errors();
    return fk_test_finish("executor");
}
