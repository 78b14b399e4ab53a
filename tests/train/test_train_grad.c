/* test_train_grad.c: every trainable op's and every loss's gradient against central differences, in double. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/train.h"
#include "harness.h"
#include "train/loss.h"
#include "train/ops.h"

#define H 1e-6    /* the central difference's step */
#define TOL 1e-4  /* relative error allowed: |analytic - numeric| / max(|analytic|, |numeric|) over a tensor */
#define MAXT 4

static uint64_t rng = 12345;

static double urand(void)
{
    return (double)(fk__tr_splitmix(&rng) >> 11) / 9007199254740992.0 * 2 - 1; /* [-1, 1) */
}

static double *rnd(size_t n, double scale)
{
    double *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = urand() * scale;
    return p;
}

static double *zeros(size_t n)
{
    return calloc(n, sizeof(double));
}

/* A scalar function of some tensors, and the analytic gradient of each. */
typedef struct gcase {
    const char *name;
    int nt;
    double *t[MAXT], *g[MAXT];
    size_t n[MAXT];
    double (*f)(struct gcase *c); /* the value at the tensors' current contents */
    void *ctx;
} gcase;

static void check_case(gcase *c)
{
    for (int k = 0; k < c->nt; k++) {
        double num2 = 0, ana2 = 0, diff2 = 0;
        for (size_t i = 0; i < c->n[k]; i++) {
            double keep = c->t[k][i];
            c->t[k][i] = keep + H;
            double fp = c->f(c);
            c->t[k][i] = keep - H;
            double fm = c->f(c);
            c->t[k][i] = keep;
            double num = (fp - fm) / (2 * H), ana = c->g[k][i];
            num2 += num * num;
            ana2 += ana * ana;
            diff2 += (num - ana) * (num - ana);
        }
        double den = sqrt(num2 > ana2 ? num2 : ana2);
        double rel = den > 0 ? sqrt(diff2) / den : sqrt(diff2);
        CHECK_MSG(rel <= TOL, "%s: tensor %d: relative error %.3g (|grad| %.3g)", c->name, k, rel, sqrt(ana2));
        CHECK_MSG(den > 0 || c->n[k] == 0, "%s: tensor %d: the gradient is zero everywhere, the check proves nothing",
                  c->name, k);
        printf("  %-28s tensor %d: %6zu values, relative error %.2e\n", c->name, k, c->n[k], rel);
    }
}

/* ---- ops: the scalar is sum(up * y) for a fixed random `up` */

typedef struct opctx {
    int kind;
    tr_conv a;
    int n, k, m, c;
    size_t rows, ycount;
    double *up, *y, *mask, *aux, *aux2;
    size_t *arg;
    double eps, mom;
} opctx;

enum { OP_FC, OP_RELU, OP_PRELU, OP_BN, OP_DROPOUT, OP_L2, OP_CONV, OP_DW, OP_LC, OP_MAX, OP_AVG, OP_GAP, OP_ADD, OP_CAT };

static void op_forward(gcase *c)
{
    opctx *o = c->ctx;
    double **t = c->t;
    switch (o->kind) {
    case OP_FC: fk__trd_fc_fwd(t[0], t[1], t[2], o->y, o->n, o->k, o->m); break;
    case OP_RELU: fk__trd_relu_fwd(t[0], o->y, o->ycount); break;
    case OP_PRELU: fk__trd_prelu_fwd(t[0], t[1], o->y, o->rows, o->c); break;
    case OP_BN:
        fk__trd_bn_fwd(t[0], t[1], t[2], o->y, o->rows, o->c, 1, o->eps, o->mom, o->aux, o->aux2, NULL, NULL);
        break;
    case OP_DROPOUT: fk__trd_mul_fwd(t[0], o->mask, o->y, o->ycount); break;
    case OP_L2: fk__trd_l2norm_fwd(t[0], o->y, o->aux, o->rows, o->c, 1e-12); break;
    case OP_CONV: fk__trd_conv_fwd(t[0], t[1], t[2], o->y, &o->a); break;
    case OP_DW: fk__trd_dwconv_fwd(t[0], t[1], t[2], o->y, &o->a); break;
    case OP_LC: fk__trd_lc_fwd(t[0], t[1], t[2], o->y, &o->a); break;
    case OP_MAX: fk__trd_maxpool_fwd(t[0], o->y, o->arg, &o->a); break;
    case OP_AVG: fk__trd_avgpool_fwd(t[0], o->y, &o->a); break;
    case OP_GAP: fk__trd_gap_fwd(t[0], o->y, o->a.n, o->a.h * o->a.w, o->a.ci); break;
    case OP_ADD: fk__trd_add_fwd(t[0], t[1], o->y, o->ycount); break;
    case OP_CAT: fk__trd_concat_fwd(t[0], o->k, t[1], o->m, o->y, o->rows); break;
    }
}

static double op_value(gcase *c)
{
    opctx *o = c->ctx;
    op_forward(c);
    double s = 0;
    for (size_t i = 0; i < o->ycount; i++)
        s += o->up[i] * o->y[i];
    return s;
}

static void op_backward(gcase *c)
{
    opctx *o = c->ctx;
    double **t = c->t, **g = c->g;
    op_forward(c); /* the saved statistics, masks and argmaxes of this input */
    switch (o->kind) {
    case OP_FC: fk__trd_fc_bwd(t[0], t[1], o->up, g[0], g[1], g[2], o->n, o->k, o->m); break;
    case OP_RELU: fk__trd_relu_bwd(t[0], o->up, g[0], o->ycount); break;
    case OP_PRELU: fk__trd_prelu_bwd(t[0], t[1], o->up, g[0], g[1], o->rows, o->c); break;
    case OP_BN: fk__trd_bn_bwd(t[0], t[1], o->aux, o->aux2, o->up, g[0], g[1], g[2], o->rows, o->c); break;
    case OP_DROPOUT: fk__trd_mul_bwd(o->mask, o->up, g[0], o->ycount); break;
    case OP_L2: fk__trd_l2norm_bwd(t[0], o->aux, o->up, g[0], o->rows, o->c, 1e-12); break;
    case OP_CONV: fk__trd_conv_bwd(t[0], t[1], o->up, g[0], g[1], g[2], &o->a); break;
    case OP_DW: fk__trd_dwconv_bwd(t[0], t[1], o->up, g[0], g[1], g[2], &o->a); break;
    case OP_LC: fk__trd_lc_bwd(t[0], t[1], o->up, g[0], g[1], g[2], &o->a); break;
    case OP_MAX: fk__trd_maxpool_bwd(o->arg, o->up, g[0], o->ycount); break;
    case OP_AVG: fk__trd_avgpool_bwd(o->up, g[0], &o->a); break;
    case OP_GAP: fk__trd_gap_bwd(o->up, g[0], o->a.n, o->a.h * o->a.w, o->a.ci); break;
    case OP_ADD:
        fk__trd_acc(o->up, g[0], o->ycount);
        fk__trd_acc(o->up, g[1], o->ycount);
        break;
    case OP_CAT: fk__trd_concat_bwd(o->up, g[0], o->k, g[1], o->m, o->rows); break;
    }
}

static void run_op(const char *name, opctx *o, int nt, const size_t *n, double scale)
{
    gcase c = {name, nt, {0}, {0}, {0}, op_value, o};
    for (int k = 0; k < nt; k++) {
        c.n[k] = n[k];
        c.t[k] = rnd(n[k], k == 0 ? scale : 0.7);
        c.g[k] = zeros(n[k]);
    }
    if (o->kind == OP_PRELU)
        for (size_t j = 0; j < n[1]; j++)
            c.t[1][j] = 0.1 + 0.2 * fabs(c.t[1][j]);
    if (o->kind == OP_BN)
        for (size_t j = 0; j < n[1]; j++)
            c.t[1][j] += 1.2; /* gamma away from 0 */
    o->up = rnd(o->ycount, 1);
    o->y = zeros(o->ycount);
    o->arg = calloc(o->ycount, sizeof *o->arg);
    op_backward(&c);
    check_case(&c);
    for (int k = 0; k < nt; k++) {
        free(c.t[k]);
        free(c.g[k]);
    }
    free(o->up);
    free(o->y);
    free(o->arg);
}

static tr_conv geometry(int n, int h, int w, int ci, int co, int kh, int kw, int stride, int pt, int pl, int ph, int pw)
{
    tr_conv a = {n, h, w, ci, 0, 0, co, kh, kw, stride, pt, pl};
    a.oh = (h + pt + ph - kh) / stride + 1;
    a.ow = (w + pl + pw - kw) / stride + 1;
    return a;
}

static void test_ops(void)
{
    printf("ops:\n");
    opctx o;
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_FC, o.n = 5, o.k = 7, o.m = 3, o.ycount = 15;
        size_t n[] = {35, 21, 3};
        run_op("fc 5x7 -> 3", &o, 3, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_RELU, o.ycount = 60;
        size_t n[] = {60};
        run_op("relu", &o, 1, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_PRELU, o.rows = 12, o.c = 5, o.ycount = 60;
        size_t n[] = {60, 5};
        run_op("prelu (per channel)", &o, 2, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_BN, o.rows = 9, o.c = 4, o.ycount = 36, o.eps = 1e-5, o.mom = 0.1;
        o.aux = zeros(4), o.aux2 = zeros(4);
        size_t n[] = {36, 4, 4};
        run_op("batch norm (training)", &o, 3, n, 2);
        free(o.aux), free(o.aux2);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_DROPOUT, o.ycount = 40;
        o.mask = zeros(40);
        for (int i = 0; i < 40; i++)
            o.mask[i] = urand() > -0.4 ? 1 / (1 - 0.3) : 0;
        size_t n[] = {40};
        run_op("dropout p=0.3", &o, 1, n, 1);
        free(o.mask);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_L2, o.rows = 6, o.c = 9, o.ycount = 54;
        o.aux = zeros(6);
        size_t n[] = {54};
        run_op("l2 normalise", &o, 1, n, 1);
        free(o.aux);
    }
    /* odd shapes: stride 2 with uneven padding, a non-square kernel */
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_CONV, o.a = geometry(2, 7, 6, 3, 4, 3, 2, 2, 1, 0, 1, 1);
        o.ycount = (size_t)o.a.n * o.a.oh * o.a.ow * o.a.co;
        size_t n[] = {2 * 7 * 6 * 3, 4 * 3 * 2 * 3, 4};
        run_op("conv 3x2 s2 pad 1,0", &o, 3, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_DW, o.a = geometry(2, 6, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1);
        o.ycount = (size_t)o.a.n * o.a.oh * o.a.ow * o.a.ci;
        size_t n[] = {2 * 6 * 5 * 3, 3 * 3 * 3, 3};
        run_op("depthwise 3x3 s1 pad 1", &o, 3, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_LC, o.a = geometry(2, 5, 5, 2, 3, 2, 2, 1, 0, 0, 0, 0);
        o.ycount = (size_t)o.a.n * o.a.oh * o.a.ow * o.a.co;
        size_t pos = (size_t)o.a.oh * o.a.ow;
        size_t n[] = {2 * 5 * 5 * 2, pos * 3 * 2 * 2 * 2, pos * 3};
        run_op("locally connected 2x2", &o, 3, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_MAX, o.a = geometry(2, 7, 7, 3, 3, 3, 3, 2, 1, 1, 1, 1);
        o.ycount = (size_t)o.a.n * o.a.oh * o.a.ow * o.a.ci;
        size_t n[] = {2 * 7 * 7 * 3};
        run_op("max pool 3x3 s2 pad 1", &o, 1, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_AVG, o.a = geometry(2, 7, 6, 3, 3, 3, 3, 2, 1, 1, 1, 1);
        o.ycount = (size_t)o.a.n * o.a.oh * o.a.ow * o.a.ci;
        size_t n[] = {2 * 7 * 6 * 3};
        run_op("avg pool 3x3 s2 pad 1", &o, 1, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_GAP, o.a = geometry(3, 4, 5, 6, 6, 1, 1, 1, 0, 0, 0, 0);
        o.ycount = 3 * 6;
        size_t n[] = {3 * 4 * 5 * 6};
        run_op("global average pool", &o, 1, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_ADD, o.ycount = 30;
        size_t n[] = {30, 30};
        run_op("add (residual)", &o, 2, n, 1);
    }
    {
        memset(&o, 0, sizeof o);
        o.kind = OP_CAT, o.k = 3, o.m = 5, o.rows = 4, o.ycount = 32;
        size_t n[] = {12, 20};
        run_op("concat 3 + 5 channels", &o, 2, n, 1);
    }
}

/* ---- losses */

typedef struct lossctx {
    fk_loss_options o;
    int b, d, c;
    int *y;
} lossctx;

static double loss_value(gcase *g)
{
    lossctx *l = g->ctx;
    double *dx = zeros((size_t)l->b * l->d), *dw = l->c ? zeros((size_t)l->c * l->d) : NULL;
    double v = 0;
    size_t act, terms;
    int rc = fk__trd_loss_eval(&l->o, g->t[0], l->b, l->d, l->y, g->nt > 1 ? g->t[1] : NULL, l->c, dx, dw, &v, &act,
                               &terms);
    CHECK(rc == 0);
    free(dx);
    free(dw);
    return v;
}

static void run_loss(fk_loss loss, fk_mining mining, double scale_x, int normalise)
{
    lossctx l;
    fk_loss_options_init(&l.o, loss);
    l.o.mining = mining;
    if (loss == FK_LOSS_ARCFACE || loss == FK_LOSS_COSFACE)
        l.o.scale = 8; /* a milder scale keeps the softmax away from saturation, so the check has signal */
    else
        l.o.scale = 3; /* the plain softmax family's s, where 1 would hide a missing factor */
    if (loss == FK_LOSS_TRIPLET || loss == FK_LOSS_COUPLED_CLUSTER)
        l.o.margin = 0.8;
    l.b = 12, l.d = 6;
    l.c = fk_loss_has_classes(loss) ? 4 : 0;
    int labels[12] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}; /* P = 4 people × K = 3 */
    l.y = labels;
    gcase g = {fk_loss_name(loss), l.c ? 2 : 1, {0}, {0}, {0}, loss_value, &l};
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", fk_loss_name(loss), loss == FK_LOSS_TRIPLET ? " " : "",
             loss == FK_LOSS_TRIPLET ? fk_mining_name(mining) : "");
    g.name = name;
    g.n[0] = (size_t)l.b * l.d;
    g.t[0] = rnd(g.n[0], scale_x);
    if (normalise)
        for (int i = 0; i < l.b; i++) {
            double s = 0;
            for (int k = 0; k < l.d; k++)
                s += g.t[0][i * l.d + k] * g.t[0][i * l.d + k];
            for (int k = 0; k < l.d; k++)
                g.t[0][i * l.d + k] /= sqrt(s);
        }
    g.g[0] = zeros(g.n[0]);
    if (l.c) {
        g.n[1] = (size_t)l.c * l.d;
        g.t[1] = rnd(g.n[1], 1);
        g.g[1] = zeros(g.n[1]);
    }
    double v = 0;
    size_t act = 0, terms = 0;
    CHECK(fk__trd_loss_eval(&l.o, g.t[0], l.b, l.d, l.y, l.c ? g.t[1] : NULL, l.c, g.g[0], l.c ? g.g[1] : NULL, &v,
                            &act, &terms) == 0);
    CHECK_MSG(v > 0 && act > 0, "%s: loss %g with %zu of %zu terms active: nothing to check", name, v, act, terms);
    check_case(&g);
    for (int k = 0; k < g.nt; k++) {
        free(g.t[k]);
        free(g.g[k]);
    }
}

static void test_losses(void)
{
    printf("losses:\n");
    run_loss(FK_LOSS_SOFTMAX, 0, 1, 0);
    run_loss(FK_LOSS_FOCAL, 0, 1, 0);
    run_loss(FK_LOSS_OHEM, 0, 1, 0);
    run_loss(FK_LOSS_CENTER, 0, 1, 0);
    run_loss(FK_LOSS_ARCFACE, 0, 1, 0);
    run_loss(FK_LOSS_COSFACE, 0, 1, 0);
    run_loss(FK_LOSS_CONTRASTIVE, 0, 0.5, 0);
    run_loss(FK_LOSS_TRIPLET, FK_MINING_RANDOM, 1, 1);
    run_loss(FK_LOSS_TRIPLET, FK_MINING_SEMIHARD, 1, 1);
    run_loss(FK_LOSS_TRIPLET, FK_MINING_BATCH_HARD, 1, 1);
    run_loss(FK_LOSS_COUPLED_CLUSTER, 0, 1, 1);
}

/* the public float entry refuses what it cannot compute, with a reason */
static void test_errors(void)
{
    fk_loss_options o;
    fk_loss_options_init(&o, FK_LOSS_SOFTMAX);
    float x[8] = {0}, dx[8], w[8] = {0}, dw[8];
    int y[2] = {0, 5};
    fk_loss_result r;
    fk_error err = {0};
    CHECK(fk_loss_eval(&o, x, 2, 4, y, w, 2, dx, dw, &r, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "label 5") != NULL);
    CHECK(fk_loss_eval(&o, x, 2, 4, y, NULL, 2, dx, dw, &r, &err) == FK_E_INVALID_ARGUMENT);
    o.keep = 0;
    y[1] = 1;
    CHECK(fk_loss_eval(&o, x, 2, 4, y, w, 2, dx, dw, &r, &err) == FK_E_INVALID_ARGUMENT);
    fk_loss_options_init(&o, FK_LOSS_SOFTMAX);
    CHECK_OK(fk_loss_eval(&o, x, 2, 4, y, w, 2, dx, dw, &r, &err));
    CHECK_NEAR(r.value, log(2.0), 1e-6); /* zero logits: uniform over 2 classes */
    CHECK(fk_loss_from_name("coupled-cluster") == FK_LOSS_COUPLED_CLUSTER && fk_loss_from_name("nope") == -1);
    CHECK(fk_mining_from_name("batch-hard") == FK_MINING_BATCH_HARD);
}

int main(void)
{
    test_ops();
    test_losses();
    test_errors();
    return fk_test_finish("train gradients");
}
