/* trainer.c: the training loop: P × K batches, the loss and its class matrices, the optimiser and schedule, validation on pairs, checkpoints and resume.
 *
 * Determinism: every random choice (batches, mining, dropout, initial weights) comes from the
 * seed through splitmix64, epoch by epoch, and the kernels sum in a fixed order; so a seed gives
 * the same weights bit for bit, and a run resumed from the checkpoint of epoch e continues exactly
 * as the uninterrupted run did. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checked.h"
#include "core/error.h"
#include "facekit/train.h"
#include "train/loss.h"
#include "train/net_internal.h"
#include "train/trainer_internal.h"

const char *fk_train_arch(const char *name)
{
    static const char *const names[][2] = {
        {"head", "fc:256,bn,prelu,fc:128,l2"},
        {"small-cnn", "conv:16:3:1:1,bn,relu,max:2:2,conv:32:3:1:1,bn,relu,max:2:2,conv:64:3:1:1,bn,relu,max:2:2,"
                      "conv:128:3:1:1,bn,relu,gap,fc:128,l2"},
        {"deepface-lc", "conv:32:3:1:1,bn,relu,max:2:2,conv:32:3:1:1,bn,relu,max:2:2,lc:32:3,relu,lc:32:3:2,relu,"
                        "flatten,fc:128,l2"},
    };
    for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i][0]))
            return names[i][1];
    return NULL;
}

void fk_train_set_threads(int threads)
{
    /* our workers split the batch; sgemm inside each stays on its thread */
    openblas_set_num_threads(1);
    fk__tnet_set_threads(threads > 0 ? threads : 1);
}

void fk_train_options_init(fk_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->arch = "fc:256,bn,prelu,fc:128,l2";
    fk_loss_options_init(&o->loss, FK_LOSS_TRIPLET);
    fk_optim_options_init(&o->optim, FK_OPTIM_ADAM);
    o->schedule = FK_SCHEDULE_COSINE;
    o->warmup_epochs = 1;
    o->step_every = 10;
    o->step_gamma = 0.1;
    o->epochs = 20;
    o->p = 32;
    o->k = 4;
    o->seed = 1;
    o->center_weight = 0.01;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t epoch_seed(uint64_t seed, int epoch)
{
    uint64_t s = seed ^ ((uint64_t)(epoch + 1) * 0xD1B54A32D192ED03ull);
    return fk__tr_splitmix(&s);
}

/* ---- pair validation */

static fk_status embed_all(fk_tnet *net, const float *x, size_t n, float **out, fk_error *err)
{
    size_t in = (size_t)net->in.h * net->in.w * net->in.c, d = (size_t)net->out_dim, bytes;
    if (!fk__mul3_size(n, d, sizeof(float), &bytes))
        return fk__fail(err, FK_E_OVERFLOW, "validation: too many pairs");
    float *e = malloc(bytes ? bytes : 1);
    if (!e)
        return fk__fail(err, FK_E_NO_MEMORY, "validation: out of memory");
    for (size_t i = 0; i < n; i += 256) {
        int m = (int)(n - i < 256 ? n - i : 256);
        const float *y;
        fk_status st = fk_tnet_forward(net, x + i * in, m, 0, &y, err);
        if (st != FK_OK) {
            free(e);
            return st;
        }
        memcpy(e + i * d, y, (size_t)m * d * sizeof(float));
    }
    *out = e; /* pair_distances compares them as unit vectors */
    return FK_OK;
}

typedef struct scored {
    double d;
    int same;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    return (x->d > y->d) - (x->d < y->d);
}

/* distances of the pairs as unit vectors, under the net (NULL: of the inputs themselves) */
static fk_status pair_distances(fk_tnet *net, const fk_pair_set *ps, scored **out, fk_error *err)
{
    float *ea = NULL, *eb = NULL;
    size_t d;
    fk_status st = FK_OK;
    if (net) {
        d = (size_t)net->out_dim;
        if ((st = embed_all(net, ps->a, ps->n, &ea, err)) != FK_OK || (st = embed_all(net, ps->b, ps->n, &eb, err)) != FK_OK) {
            free(ea);
            return st;
        }
    } else {
        d = (size_t)ps->dim;
    }
    scored *s = malloc((ps->n ? ps->n : 1) * sizeof *s);
    if (!s) {
        free(ea);
        free(eb);
        return fk__fail(err, FK_E_NO_MEMORY, "validation: out of memory");
    }
    for (size_t i = 0; i < ps->n; i++) {
        const float *a = net ? ea + i * d : ps->a + i * d, *b = net ? eb + i * d : ps->b + i * d;
        double na = 0, nb = 0, t = 0;
        for (size_t k = 0; k < d; k++)
            na += (double)a[k] * a[k], nb += (double)b[k] * b[k];
        na = na > 0 ? 1 / sqrt(na) : 0;
        nb = nb > 0 ? 1 / sqrt(nb) : 0;
        for (size_t k = 0; k < d; k++) {
            double u = a[k] * na - b[k] * nb;
            t += u * u;
        }
        s[i].d = sqrt(t);
        s[i].same = ps->same[i] != 0;
    }
    free(ea);
    free(eb);
    *out = s;
    return FK_OK;
}

/* the threshold that classifies the most pairs right (same: distance < threshold), midway between neighbours */
static double best_threshold(scored *s, size_t n, double *acc)
{
    qsort(s, n, sizeof *s, cmp_scored);
    size_t diff_total = 0;
    for (size_t i = 0; i < n; i++)
        diff_total += !s[i].same;
    size_t best = diff_total, same_below = 0, diff_below = 0; /* threshold below everything */
    double thr = n ? s[0].d - 1e-6 : 0;
    for (size_t i = 0; i < n; i++) {
        same_below += s[i].same;
        diff_below += !s[i].same;
        size_t right = same_below + (diff_total - diff_below);
        if (right > best && (i + 1 == n || s[i + 1].d > s[i].d)) {
            best = right;
            thr = i + 1 < n ? (s[i].d + s[i + 1].d) / 2 : s[i].d + 1e-6;
        }
    }
    *acc = n ? (double)best / (double)n : 0;
    return thr;
}

static double accuracy_at(const scored *s, size_t n, double thr)
{
    size_t right = 0;
    for (size_t i = 0; i < n; i++)
        right += (s[i].d < thr) == (s[i].same != 0);
    return n ? (double)right / (double)n : 0;
}

fk_status fk_train_pair_eval(fk_tnet *net, const fk_pair_set *val, const fk_pair_set *tune, double *accuracy,
                             double *threshold, fk_error *err)
{
    if (!val || !accuracy || !threshold)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_train_pair_eval: NULL argument");
    scored *sv = NULL, *st_ = NULL;
    fk_status st = pair_distances(net, val, &sv, err);
    if (st != FK_OK)
        return st;
    if (tune && tune->n) {
        if ((st = pair_distances(net, tune, &st_, err)) != FK_OK) {
            free(sv);
            return st;
        }
        double ta;
        *threshold = best_threshold(st_, tune->n, &ta);
        *accuracy = accuracy_at(sv, val->n, *threshold);
    } else {
        *threshold = best_threshold(sv, val->n, accuracy);
    }
    free(sv);
    free(st_);
    return FK_OK;
}

/* ---- batches */

typedef struct sampler {
    size_t *order; /* sample indices grouped by class */
    size_t *first, *count; /* per class, into order */
    int *eligible;         /* classes a batch draws from */
    int neligible, classes;
    size_t eligible_samples;
} sampler;

static void sampler_free(sampler *s)
{
    free(s->order);
    free(s->first);
    free(s->count);
    free(s->eligible);
}

static fk_status sampler_init(sampler *s, const fk_train_set *d, int k, fk_error *err)
{
    memset(s, 0, sizeof *s);
    int classes = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->y[i] < 0)
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "training data: sample %zu has label %d", i, d->y[i]);
        if (d->y[i] >= classes)
            classes = d->y[i] + 1;
    }
    s->classes = classes;
    s->order = malloc((d->n ? d->n : 1) * sizeof *s->order);
    s->first = calloc((size_t)classes + 1, sizeof *s->first);
    s->count = calloc((size_t)classes + 1, sizeof *s->count);
    s->eligible = malloc(((size_t)classes + 1) * sizeof *s->eligible);
    if (!s->order || !s->first || !s->count || !s->eligible) {
        sampler_free(s);
        return fk__fail(err, FK_E_NO_MEMORY, "training data: out of memory");
    }
    for (size_t i = 0; i < d->n; i++)
        s->count[d->y[i]]++;
    for (int c = 1; c < classes; c++)
        s->first[c] = s->first[c - 1] + s->count[c - 1];
    size_t *fill = calloc((size_t)classes + 1, sizeof *fill);
    if (!fill) {
        sampler_free(s);
        return fk__fail(err, FK_E_NO_MEMORY, "training data: out of memory");
    }
    for (size_t i = 0; i < d->n; i++)
        s->order[s->first[d->y[i]] + fill[d->y[i]]++] = i;
    free(fill);
    /* a metric batch needs two samples of a person; softmax batches (k == 1) take everyone */
    for (int c = 0; c < classes; c++)
        if (s->count[c] >= (k > 1 ? 2u : 1u)) {
            s->eligible[s->neligible++] = c;
            s->eligible_samples += s->count[c];
        }
    return FK_OK;
}

/* the eligible classes back in label order: each epoch's draws then depend on its seed alone */
static void sampler_reset(sampler *s, int k)
{
    s->neligible = 0;
    for (int c = 0; c < s->classes; c++)
        if (s->count[c] >= (k > 1 ? 2u : 1u))
            s->eligible[s->neligible++] = c;
}

/* one P × K batch into idx (p*k entries) and labels */
static void sampler_draw(sampler *s, int p, int k, uint64_t *rng, size_t *idx, int *labels)
{
    /* P distinct classes: a partial Fisher-Yates over a copy of the eligible list */
    int *pool = s->eligible;
    int n = s->neligible;
    for (int i = 0; i < p; i++) {
        int j = i + (int)(fk__tr_splitmix(rng) % (uint64_t)(n - i));
        int t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
        int c = pool[i];
        size_t cnt = s->count[c];
        /* K of its samples: without repeats while a small class has enough, else independent draws */
        size_t pick[64];
        size_t m = cnt <= 64 ? cnt : 0;
        for (size_t q = 0; q < m; q++)
            pick[q] = q;
        for (int q = 0; q < k; q++) {
            size_t r;
            if ((size_t)q < m) {
                size_t jj = (size_t)q + (size_t)(fk__tr_splitmix(rng) % (uint64_t)(m - (size_t)q));
                size_t tt = pick[q];
                pick[q] = pick[jj];
                pick[jj] = tt;
                r = pick[q];
            } else {
                r = (size_t)(fk__tr_splitmix(rng) % (uint64_t)cnt);
            }
            idx[i * k + q] = s->order[s->first[c] + r];
            labels[i * k + q] = c;
        }
    }
}

/* ---- the loop */

fk_status fk_train_run(const fk_train_options *o, const fk_train_set *data, fk_tnet **out, fk_train_result *res,
                       fk_error *err)
{
    if (!o || !data || !out || !data->x || !data->y)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_train_run: NULL argument");
    *out = NULL;
    if (o->epochs < 1 || o->p < 2 || o->k < 1 || o->p * o->k > 4096)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "training: --epochs %d >= 1 and a batch of P %d >= 2 × K %d >= 1 (at most 4096)",
                        o->epochs, o->p, o->k);
    fk_loss loss = o->loss.loss;
    int metric = o->distill || !fk_loss_has_classes(loss);
    if (o->distill && !data->targets)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "training: distillation needs the teacher's targets");
    if (!o->distill && metric && o->k < 2)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "training: %s needs K >= 2 images of each person in a batch",
                        fk_loss_name(loss));
    fk_train_set_threads(o->threads);
    sampler sm;
    fk_status st = sampler_init(&sm, data, o->k, err);
    if (st != FK_OK)
        return st;
    int p = o->p;
    if (sm.neligible < 2) {
        sampler_free(&sm);
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "training data: %d people with %s: too few to train on",
                        sm.neligible, o->k > 1 ? "two images or more" : "an image");
    }
    if (p > sm.neligible)
        p = sm.neligible;
    fk_tnet *net = NULL;
    fk_optim *opt_net = NULL, *opt_cls = NULL;
    float *cls = NULL, *dcls = NULL, *xb = NULL, *dx = NULL, *dx2 = NULL;
    size_t *idx = NULL;
    int *lab = NULL;
    fk__train_ckpt ck = {0};
    int start_epoch = 0;
    size_t in_dim = (size_t)data->h * data->w * data->c;
    int b = p * o->k;

    if (o->resume && o->checkpoint) {
        float thr;
        st = fk__train_read(o->checkpoint, &net, NULL, &thr, &ck, err);
        if (st != FK_OK)
            goto done;
        const char *lname = o->distill ? "distill" : fk_loss_name(loss);
        if (strcmp(net->arch, o->arch) || strcmp(ck.loss ? ck.loss : "", lname) ||
            net->in.h != data->h || net->in.w != data->w || net->in.c != data->c) {
            st = fk__fail(err, FK_E_INVALID_ARGUMENT,
                          "%s: a checkpoint of '%s' with %s on %dx%dx%d inputs; this run is '%s' with %s on %dx%dx%d",
                          o->checkpoint, net->arch, ck.loss ? ck.loss : "?", net->in.h, net->in.w, net->in.c, o->arch,
                          lname, data->h, data->w, data->c);
            goto done;
        }
        start_epoch = ck.epochs_done;
    } else {
        st = fk_tnet_new(o->arch, data->h, data->w, data->c, o->seed, &net, err);
        if (st != FK_OK)
            goto done;
    }
    int d = net->out_dim;
    if (o->distill && data->target_dim != d) {
        st = fk__fail(err, FK_E_INVALID_ARGUMENT, "distillation: the teacher gives %d values, the net '%s' %d",
                      data->target_dim, o->arch, d);
        goto done;
    }
    /* the loss's own parameters: a class matrix, and for center loss the centres beside a softmax's */
    size_t ncls = 0;
    if (!metric) {
        size_t per;
        if (!fk__mul_size((size_t)sm.classes, (size_t)d, &per)) {
            st = fk__fail(err, FK_E_OVERFLOW, "training: classes × dim overflows");
            goto done;
        }
        ncls = loss == FK_LOSS_CENTER ? 2 * per : per;
    }
    fk_optim_options oo = o->optim;
    if ((st = fk_optim_new(&oo, net->nparams, &opt_net, err)) != FK_OK)
        goto done;
    fk_optim_options oc = oo;
    oc.weight_decay = 0; /* the class matrix is normalised (margins) or free (softmax): no decay */
    if (ncls && (st = fk_optim_new(&oc, ncls, &opt_cls, err)) != FK_OK)
        goto done;
    cls = calloc(ncls ? ncls : 1, sizeof *cls);
    dcls = calloc(ncls ? ncls : 1, sizeof *dcls);
    xb = malloc((size_t)b * in_dim * sizeof *xb);
    dx = malloc((size_t)b * d * sizeof *dx);
    dx2 = malloc((size_t)b * d * sizeof *dx2);
    idx = malloc((size_t)b * sizeof *idx);
    lab = malloc((size_t)b * sizeof *lab);
    if (!cls || !dcls || !xb || !dx || !dx2 || !idx || !lab) {
        st = fk__fail(err, FK_E_NO_MEMORY, "training: out of memory");
        goto done;
    }
    if (start_epoch > 0) {
        size_t mc;
        long long *sp;
        float *mn = fk_optim_state(opt_net, &mc, &sp);
        size_t mcc = 0;
        long long *spc = NULL;
        float *mcls = opt_cls ? fk_optim_state(opt_cls, &mcc, &spc) : NULL;
        if (ck.class_count != ncls || ck.moment_count != mc + mcc || ck.classes != sm.classes) {
            st = fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: its training state does not fit this data (%d classes here, %d there)",
                          o->checkpoint, sm.classes, ck.classes);
            goto done;
        }
        memcpy(cls, ck.class_w, ncls * sizeof *cls);
        memcpy(mn, ck.moments, mc * sizeof *mn);
        if (mcls)
            memcpy(mcls, ck.moments + mc, mcc * sizeof *mcls);
        *sp = ck.steps[0];
        if (spc)
            *spc = ck.steps[1];
    } else if (ncls) {
        uint64_t s = o->seed ^ 0xC1A55E5ull;
        double sd = 1 / sqrt((double)d);
        for (size_t i = 0; i < (size_t)sm.classes * d; i++)
            cls[i] = (float)(fk__tr_gauss(&s) * sd);
    }
    long long steps_per_epoch = (long long)((sm.eligible_samples + (size_t)b - 1) / (size_t)b);
    if (o->max_steps > 0 && steps_per_epoch > o->max_steps)
        steps_per_epoch = o->max_steps;
    long long total = steps_per_epoch * o->epochs, warm = (long long)(o->warmup_epochs * (double)steps_per_epoch);
    if (res) {
        memset(res, 0, sizeof *res);
        res->initial_accuracy = res->val_accuracy = NAN;
    }
    if (res && o->val && o->val->n && start_epoch == 0) {
        double thr0;
        if ((st = fk_train_pair_eval(net, o->val, o->tune, &res->initial_accuracy, &thr0, err)) != FK_OK)
            goto done;
    }
    int aug = fk_augment_active(&o->augment) && data->h > 1 && data->w > 1;
    double t0 = now_s(), last_loss = 0, last_active = 0;
    size_t images = 0;
    int end_epoch = o->stop_after > 0 && start_epoch + o->stop_after < o->epochs ? start_epoch + o->stop_after : o->epochs;
    for (int e = start_epoch; e < end_epoch; e++) {
        uint64_t rng = epoch_seed(o->seed, e);
        sampler_reset(&sm, o->k);
        double eloss = 0, eact = 0;
        for (long long s = 0; s < steps_per_epoch; s++) {
            long long t = (long long)e * steps_per_epoch + s;
            sampler_draw(&sm, p, o->k, &rng, idx, lab);
            if (aug) {
                /* its own stream per step, so the sampler's draws and a resumed run are unchanged */
                uint64_t ar = o->seed ^ 0xA5A5F00DULL ^ ((uint64_t)(t + 1) * 0xD1B54A32D192ED03ull);
                for (int i = 0; i < b; i++)
                    fk_train_augment(data->x + idx[i] * in_dim, xb + (size_t)i * in_dim, data->h, data->w, data->c,
                                     &o->augment, &ar);
            } else {
                for (int i = 0; i < b; i++)
                    memcpy(xb + (size_t)i * in_dim, data->x + idx[i] * in_dim, in_dim * sizeof *xb);
            }
            const float *emb;
            if ((st = fk_tnet_forward(net, xb, b, 1, &emb, err)) != FK_OK)
                goto done;
            fk_loss_options lo = o->loss;
            lo.seed = o->seed ^ ((uint64_t)t * 0x9E3779B97F4A7C15ull);
            fk_loss_result lr;
            size_t per = (size_t)sm.classes * d;
            if (o->distill) {
                /* the teacher's unit vector for each sample; the student's output against it */
                lr.value = 0;
                lr.active = lr.terms = (size_t)b;
                for (int i = 0; i < b; i++) {
                    const float *tg = data->targets + idx[i] * (size_t)d;
                    double nt = 0;
                    for (int q = 0; q < d; q++)
                        nt += (double)tg[q] * tg[q];
                    float inv = nt > 0 ? (float)(1 / sqrt(nt)) : 0;
                    for (int q = 0; q < d; q++) {
                        float diff = emb[(size_t)i * d + q] - tg[q] * inv;
                        dx[(size_t)i * d + q] = diff / (float)b;
                        lr.value += 0.5 * (double)diff * diff / b;
                    }
                }
            } else if (loss == FK_LOSS_CENTER) {
                /* softmax on the first matrix, plus center_weight × the center loss on the second */
                fk_loss_options so = lo;
                so.loss = FK_LOSS_SOFTMAX;
                fk_loss_result cr;
                if ((st = fk_loss_eval(&so, emb, b, d, lab, cls, sm.classes, dx, dcls, &lr, err)) != FK_OK ||
                    (st = fk_loss_eval(&lo, emb, b, d, lab, cls + per, sm.classes, dx2, dcls + per, &cr, err)) != FK_OK)
                    goto done;
                for (size_t i = 0; i < (size_t)b * d; i++)
                    dx[i] += (float)o->center_weight * dx2[i];
                for (size_t i = 0; i < per; i++)
                    dcls[per + i] *= (float)o->center_weight;
                lr.value += o->center_weight * cr.value;
            } else if ((st = fk_loss_eval(&lo, emb, b, d, lab, ncls ? cls : NULL, sm.classes, dx, ncls ? dcls : NULL,
                                          &lr, err)) != FK_OK) {
                goto done;
            }
            if (!isfinite(lr.value)) {
                st = fk__fail(err, FK_E_BAD_STATE,
                              "training diverged at epoch %d step %lld (the loss is %g): try a lower --lr", e + 1, s + 1,
                              lr.value);
                goto done;
            }
            fk_tnet_zero_grad(net);
            if ((st = fk_tnet_backward(net, dx, err)) != FK_OK)
                goto done;
            double rate = fk_schedule_lr(o->schedule, oo.lr, t, total, warm, o->step_every * steps_per_epoch, o->step_gamma);
            fk_optim_step(opt_net, net->params, net->grads, rate);
            if (opt_cls)
                fk_optim_step(opt_cls, cls, dcls, rate);
            eloss += lr.value;
            eact += lr.terms ? (double)lr.active / (double)lr.terms : 0;
            images += (size_t)b;
            if (o->progress) {
                fk_train_progress pr = {e + 1, o->epochs, s + 1, steps_per_epoch, eloss / (double)(s + 1),
                                        eact / (double)(s + 1), NAN, (double)images / (now_s() - t0 + 1e-9), 0};
                o->progress(&pr, o->ctx);
            }
        }
        last_loss = eloss / (double)steps_per_epoch;
        last_active = eact / (double)steps_per_epoch;
        double vacc = NAN, vthr = 0;
        if (o->val && o->val->n && (st = fk_train_pair_eval(net, o->val, o->tune, &vacc, &vthr, err)) != FK_OK)
            goto done;
        if (o->checkpoint) {
            size_t mc, mcc = 0;
            long long *sp, *spc = NULL;
            float *mn = fk_optim_state(opt_net, &mc, &sp);
            float *mcls = opt_cls ? fk_optim_state(opt_cls, &mcc, &spc) : NULL;
            float *mom = malloc((mc + mcc ? mc + mcc : 1) * sizeof *mom);
            if (!mom) {
                st = fk__fail(err, FK_E_NO_MEMORY, "checkpoint: out of memory");
                goto done;
            }
            memcpy(mom, mn, mc * sizeof *mom);
            if (mcls)
                memcpy(mom + mc, mcls, mcc * sizeof *mom);
            fk__train_ckpt w = {(char *)(o->distill ? "distill" : fk_loss_name(loss)), sm.classes, cls, ncls, mom, mc + mcc,
                                {*sp, spc ? *spc : 0}, e + 1, net->rng};
            st = fk__train_write(o->checkpoint, net, o->base, (float)vthr, &w, err);
            free(mom);
            if (st != FK_OK)
                goto done;
        }
        if (o->progress) {
            fk_train_progress pr = {e + 1, o->epochs, steps_per_epoch, steps_per_epoch, last_loss, last_active, vacc,
                                    (double)images / (now_s() - t0 + 1e-9), 1};
            o->progress(&pr, o->ctx);
        }
        if (res) {
            res->val_accuracy = vacc;
            res->threshold = vthr;
        }
    }
    if (res) {
        res->epochs = end_epoch - start_epoch;
        res->seconds = now_s() - t0;
        res->loss = last_loss;
        res->active = last_active;
        res->steps_per_epoch = steps_per_epoch;
        res->batch = b;
    }
    *out = net;
    net = NULL;
    st = FK_OK;
done:
    fk_tnet_free(net);
    fk_optim_free(opt_net);
    fk_optim_free(opt_cls);
    fk__train_ckpt_free(&ck);
    free(cls);
    free(dcls);
    free(xb);
    free(dx);
    free(dx2);
    free(idx);
    free(lab);
    sampler_free(&sm);
    return st;
}

fk_status fk_tnet_save(const fk_tnet *net, const char *path, const char *base, float threshold, fk_error *err)
{
    if (!net || !path)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_tnet_save: NULL argument");
    return fk__train_write(path, net, base, threshold, NULL, err);
}

fk_status fk_tnet_load(const char *path, fk_tnet **net, char **base, float *threshold, fk_error *err)
{
    if (!path || !net || !threshold)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_tnet_load: NULL argument");
    return fk__train_read(path, net, base, threshold, NULL, err);
}

int fk_tnet_input(const fk_tnet *net, int *h, int *w, int *c)
{
    *h = net->in.h;
    *w = net->in.w;
    *c = net->in.c;
    return net->in.h * net->in.w * net->in.c;
}

const char *fk_tnet_arch(const fk_tnet *net)
{
    return net->arch;
}
