/* net_fast.c: the default forward and backward passes: fast kernels, with each batch split over the training threads in fixed shares so one thread count always gives the same bits.
 *
 * Thread ith of nth takes samples [n*ith/nth, n*(ith+1)/nth). Outputs and input gradients of a
 * share are its own; weight gradients that every sample adds to go to a per-thread buffer (thread
 * 0 adds straight into the net's) and are summed in thread order after the layer. Batch norm runs
 * in two parallel passes around a serial reduction of the per-thread sums, also in thread order. */
#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/pool.h"
#include "train/net_internal.h"
#include "train/ops.h"

static atomic_int g_threads = 1;

void fk__tnet_set_threads(int threads)
{
    atomic_store(&g_threads, threads < 1 ? 1 : threads > 256 ? 256 : threads);
}

void fk__tnet_fast_free(fk_tnet *net)
{
    fk__pool_free(net->pool);
    net->pool = NULL;
    for (int t = 0; t < net->nth && net->t; t++) {
        free(net->t[t].scratch);
        free(net->t[t].grads);
        free(net->t[t].part);
    }
    free(net->t);
    net->t = NULL;
    net->nth = 0;
    free(net->bnbuf);
    net->bnbuf = NULL;
}

fk_status fk__tnet_fast_prepare(fk_tnet *net, fk_error *err)
{
    int want = atomic_load(&g_threads);
    if (net->nth == want)
        return FK_OK;
    fk__tnet_fast_free(net);
    fk_status st = fk__pool_new(want, &net->pool, err);
    if (st != FK_OK)
        return st;
    net->t = calloc((size_t)want, sizeof *net->t);
    net->bnbuf = malloc(5 * (size_t)(net->cmax ? net->cmax : 1) * sizeof(float));
    if (!net->t || !net->bnbuf) {
        fk__tnet_fast_free(net);
        return fk__fail(err, FK_E_NO_MEMORY, "training threads: out of memory");
    }
    net->nth = want;
    for (int t = 0; t < want; t++) {
        tr_thread *th = &net->t[t];
        th->scratch = net->scratch_n ? malloc(net->scratch_n * sizeof(float)) : NULL;
        th->part = malloc(2 * (size_t)(net->cmax ? net->cmax : 1) * sizeof(double));
        th->grads = t > 0 && net->nparams ? malloc(net->nparams * sizeof(float)) : NULL;
        if ((net->scratch_n && !th->scratch) || !th->part || (t > 0 && net->nparams && !th->grads)) {
            fk__tnet_fast_free(net);
            return fk__fail(err, FK_E_NO_MEMORY, "training threads: out of memory for %d threads", want);
        }
    }
    return FK_OK;
}

typedef struct job {
    fk_tnet *net;
    tr_layer *l;
    const float *in, *g; /* the layer's input; backward: the gradient of its output */
    float *y, *dx;       /* forward: its output; backward: its input's gradient (may be NULL) */
    int n, train, phase;
} job;

static void share(int n, int ith, int nth, int *a, int *b)
{
    *a = (int)((int64_t)n * ith / nth);
    *b = (int)((int64_t)n * (ith + 1) / nth);
}

static size_t per_sample_in(const tr_layer *l)
{
    return (size_t)l->in.h * l->in.w * l->in.c;
}

static size_t per_sample_out(const tr_layer *l)
{
    return (size_t)l->out.h * l->out.w * l->out.c;
}

static void fwd_part(void *ctx, int ith, int nth)
{
    job *j = ctx;
    fk_tnet *net = j->net;
    tr_layer *l = j->l;
    int a, b;
    share(j->n, ith, nth, &a, &b);
    if (a == b && !(l->kind == TL_BN && j->phase == 0))
        return;
    int cnt = b - a;
    size_t xs = per_sample_in(l), ys = per_sample_out(l), hw = (size_t)l->in.h * l->in.w;
    const float *x = j->in + (size_t)a * xs, *w = net->params + l->wofs, *bias = net->params + l->bofs;
    float *y = j->y + (size_t)a * ys;
    tr_conv g = l->g;
    g.n = cnt;
    switch (l->kind) {
    case TL_FC: fk__trf_fc_fwd_fast(x, w, bias, y, cnt, l->k_in, l->out.c); break;
    case TL_CONV: fk__trf_conv_fwd_fast(x, w, bias, y, &g, net->t[ith].scratch, cnt < l->sub ? cnt : l->sub); break;
    case TL_DW: fk__trf_dwconv_fwd(x, w, bias, y, &g); break;
    case TL_LC: fk__trf_lc_fwd_fast(x, w, bias, y, &g, net->t[ith].scratch, cnt < l->sub ? cnt : l->sub); break;
    case TL_BN: {
        int c = l->in.c;
        if (j->phase == 0) {
            double *s = net->t[ith].part;
            memset(s, 0, 2 * (size_t)c * sizeof *s);
            fk__trf_bn_sums(x, (size_t)cnt * hw, c, s, s + c);
        } else {
            fk__trf_bn_apply(x, net->bnbuf, net->bnbuf + c, y, (size_t)cnt * hw, c);
        }
        break;
    }
    case TL_RELU: fk__trf_relu_fwd(x, y, (size_t)cnt * xs); break;
    case TL_PRELU: fk__trf_prelu_fwd(x, w, y, (size_t)cnt * hw, l->in.c); break;
    case TL_MAX:
        for (int s = 0; s < cnt; s++)
            fk__trf_maxpool_fwd_fast(x + (size_t)s * xs, y + (size_t)s * ys, l->arg + (size_t)(a + s) * ys, &g);
        break;
    case TL_AVG: fk__trf_avgpool_fwd(x, y, &g); break;
    case TL_GAP: fk__trf_gap_fwd(x, y, cnt, (int)hw, l->in.c); break;
    case TL_L2NORM: fk__trf_l2norm_fwd(x, y, l->save + (size_t)a * hw, (size_t)cnt * hw, l->in.c, 1e-12f); break;
    case TL_FLATTEN: memcpy(y, x, (size_t)cnt * xs * sizeof *y); break;
    default: break;
    }
}

/* the batch's statistics from the threads' sums; the factors of y = x scale + shift */
static void bn_stats(fk_tnet *net, tr_layer *l, int n, int train)
{
    int c = l->in.c;
    size_t rows = (size_t)n * l->in.h * l->in.w;
    float *mean = l->save, *istd = l->save + c, *rm = net->state + l->sofs, *rv = rm + c;
    const float *gamma = net->params + l->wofs, *beta = net->params + l->bofs;
    float *scale = net->bnbuf, *shift = net->bnbuf + c;
    for (int ch = 0; ch < c; ch++) {
        double m, var;
        if (train) {
            double s = 0, q = 0;
            for (int t = 0; t < net->nth; t++) {
                s += net->t[t].part[ch];
                q += net->t[t].part[c + ch];
            }
            m = s / (double)rows;
            var = q / (double)rows - m * m;
            if (var < 0)
                var = 0;
            double unbiased = rows > 1 ? var * (double)rows / (double)(rows - 1) : var;
            rm[ch] = (float)(0.9 * rm[ch] + 0.1 * m);
            rv[ch] = (float)(0.9 * rv[ch] + 0.1 * unbiased);
        } else {
            m = rm[ch];
            var = rv[ch];
        }
        mean[ch] = (float)m;
        istd[ch] = (float)(1.0 / sqrt(var + 1e-5));
        scale[ch] = gamma[ch] * istd[ch];
        shift[ch] = beta[ch] - mean[ch] * scale[ch];
    }
}

int fk__tnet_fast_fwd(fk_tnet *net, tr_layer *l, const float *in, float *y, int n, int train)
{
    if (l->kind == TL_DROPOUT)
        return 0; /* its mask follows one generator through the batch: the reference code's */
    if (l->kind == TL_SKIP || l->kind == TL_ADD || l->kind == TL_CAT)
        return 0; /* copies: the reference code's, which knows the branch */
    job j = {.net = net, .l = l, .in = in, .y = y, .n = n, .train = train};
    if (l->kind == TL_BN) {
        if (train)
            fk__pool_run(net->pool, fwd_part, &j);
        bn_stats(net, l, n, train);
        j.phase = 1;
    }
    fk__pool_run(net->pool, fwd_part, &j);
    return 1;
}

/* the layer's weight gradients this thread adds to */
static float *grads_of(fk_tnet *net, const tr_layer *l, int ith)
{
    if (ith == 0)
        return net->grads;
    float *g = net->t[ith].grads;
    memset(g + l->wofs, 0, (l->wcount + l->bcount) * sizeof *g);
    return g;
}

static void bwd_part(void *ctx, int ith, int nth)
{
    job *j = ctx;
    fk_tnet *net = j->net;
    tr_layer *l = j->l;
    int a, b;
    share(j->n, ith, nth, &a, &b);
    int cnt = b - a;
    size_t xs = per_sample_in(l), ys = per_sample_out(l), hw = (size_t)l->in.h * l->in.w;
    const float *x = j->in + (size_t)a * xs, *dy = j->g + (size_t)a * ys, *w = net->params + l->wofs;
    float *dx = j->dx ? j->dx + (size_t)a * xs : NULL;
    tr_conv g = l->g;
    g.n = cnt;
    if (l->kind == TL_FC) {
        /* the input gradient's rows by sample, the weight gradient's by output */
        int m = l->out.c, k = l->k_in, m0, m1;
        if (dx && cnt)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cnt, k, m, 1.0f, dy, m, w, k, 0.0f, dx, k);
        share(m, ith, nth, &m0, &m1);
        if (m1 > m0) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m1 - m0, k, j->n, 1.0f, j->g + m0, m, j->in, k, 1.0f,
                        net->grads + l->wofs + (size_t)m0 * k, k);
            if (l->bcount) {
                float *db = net->grads + l->bofs;
                for (int i = 0; i < j->n; i++)
                    for (int o = m0; o < m1; o++)
                        db[o] += j->g[(size_t)i * m + o];
            }
        }
        return;
    }
    if (l->kind == TL_BN) {
        int c = l->in.c;
        const float *mean = l->save, *istd = l->save + c;
        if (j->phase == 0) {
            double *s = net->t[ith].part;
            memset(s, 0, 2 * (size_t)c * sizeof *s);
            fk__trf_bn_bwd_sums(x, mean, istd, dy, (size_t)cnt * hw, c, s, s + c);
        } else if (dx) {
            const float *f = net->bnbuf + 2 * (size_t)c;
            fk__trf_bn_bwd_apply(x, mean, istd, dy, f, f + c, f + 2 * c, (float)((size_t)j->n * hw), dx,
                                 (size_t)cnt * hw, c);
        }
        return;
    }
    if (l->kind == TL_RELU) {
        if (dx)
            fk__trf_relu_bwd_set(x, dy, dx, (size_t)cnt * xs);
        return;
    }
    if (l->kind == TL_FLATTEN) {
        if (dx)
            memcpy(dx, dy, (size_t)cnt * xs * sizeof *dx);
        return;
    }
    /* the rest add into dx */
    if (dx)
        memset(dx, 0, (size_t)cnt * xs * sizeof *dx);
    float *gb = l->wcount + l->bcount ? grads_of(net, l, ith) : NULL;
    float *dw = gb ? gb + l->wofs : NULL, *db = gb && l->bcount ? gb + l->bofs : NULL;
    if (!cnt)
        return;
    switch (l->kind) {
    case TL_CONV:
        fk__trf_conv_bwd_fast(x, w, dy, dx, dw, db, &g, net->t[ith].scratch, cnt < l->sub ? cnt : l->sub);
        break;
    case TL_DW: fk__trf_dwconv_bwd(x, w, dy, dx, dw, db, &g); break;
    case TL_LC:
        fk__trf_lc_bwd_fast(x, w, dy, dx, dw, db, &g, net->t[ith].scratch, cnt < l->sub ? cnt : l->sub);
        break;
    case TL_PRELU:
        if (dx)
            fk__trf_prelu_bwd(x, w, dy, dx, dw, (size_t)cnt * hw, l->in.c);
        else {
            /* the slopes' gradient needs somewhere to put the input's */
            float *tmp = net->t[ith].scratch;
            size_t rows = (size_t)cnt * hw, chunk = net->scratch_n / (size_t)l->in.c;
            for (size_t r = 0; tmp && chunk && r < rows; r += chunk) {
                size_t rr = rows - r < chunk ? rows - r : chunk;
                memset(tmp, 0, rr * l->in.c * sizeof *tmp);
                fk__trf_prelu_bwd(x + r * l->in.c, w, dy + r * l->in.c, tmp, dw, rr, l->in.c);
            }
        }
        break;
    case TL_MAX:
        if (dx)
            for (int s = 0; s < cnt; s++)
                fk__trf_maxpool_bwd(l->arg + (size_t)(a + s) * ys, dy + (size_t)s * ys, dx + (size_t)s * xs, ys);
        break;
    case TL_AVG:
        if (dx)
            fk__trf_avgpool_bwd(dy, dx, &g);
        break;
    case TL_GAP:
        if (dx)
            fk__trf_gap_bwd(dy, dx, cnt, (int)hw, l->in.c);
        break;
    case TL_L2NORM:
        if (dx)
            fk__trf_l2norm_bwd(x, l->save + (size_t)a * hw, dy, dx, (size_t)cnt * hw, l->in.c, 1e-12f);
        break;
    default: break;
    }
}

int fk__tnet_fast_bwd(fk_tnet *net, tr_layer *l, const float *in, const float *g, float *dx, int n)
{
    if (l->kind == TL_DROPOUT || l->kind == TL_SKIP || l->kind == TL_ADD || l->kind == TL_CAT)
        return 0;
    if (l->kind == TL_PRELU && !dx && !net->scratch_n)
        return 0; /* no scratch to put the unused input gradient in */
    job j = {.net = net, .l = l, .in = in, .g = g, .dx = dx, .n = n};
    if (l->kind == TL_BN) {
        int c = l->in.c;
        fk__pool_run(net->pool, bwd_part, &j);
        float *dgamma = net->grads + l->wofs, *dbeta = net->grads + l->bofs;
        float *k = net->bnbuf + 2 * (size_t)c, *sa = k + c, *sb = sa + c;
        double rows = (double)n * l->in.h * l->in.w;
        for (int ch = 0; ch < c; ch++) {
            double s = 0, q = 0;
            for (int t = 0; t < net->nth; t++) {
                s += net->t[t].part[ch];
                q += net->t[t].part[c + ch];
            }
            dbeta[ch] += (float)s;
            dgamma[ch] += (float)q;
            k[ch] = (float)(net->params[l->wofs + ch] * l->save[c + ch] / rows);
            sa[ch] = (float)s;
            sb[ch] = (float)q;
        }
        if (dx) {
            j.phase = 1;
            fk__pool_run(net->pool, bwd_part, &j);
        }
        return 1;
    }
    fk__pool_run(net->pool, bwd_part, &j);
    int shared = l->kind == TL_CONV || l->kind == TL_DW || l->kind == TL_LC || l->kind == TL_PRELU;
    if (shared && l->wcount + l->bcount)
        for (int t = 1; t < net->nth; t++) {
            const float *src = net->t[t].grads + l->wofs;
            float *dst = net->grads + l->wofs;
            for (size_t i = 0; i < l->wcount + l->bcount; i++)
                dst[i] += src[i];
        }
    return 1;
}
