/* optim.c: SGD with momentum, Adam and AdamW over a flat parameter array, gradient clipping, and the learning-rate schedules. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "facekit/train.h"

struct fk_optim {
    fk_optim_options o;
    size_t n;
    float *m, *v; /* SGD: velocity in m; Adam: first and second moments */
    long long t;
};

void fk_optim_options_init(fk_optim_options *o, fk_optim_kind kind)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->lr = kind == FK_OPTIM_SGD ? 0.1 : 1e-3;
    o->momentum = 0.9;
    o->weight_decay = kind == FK_OPTIM_ADAMW ? 1e-2 : 5e-4;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
}

fk_status fk_optim_new(const fk_optim_options *o, size_t count, fk_optim **out, fk_error *err)
{
    if (!o || !out || (unsigned)o->kind >= FK_OPTIM_COUNT)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_optim_new: bad argument");
    if (!(o->momentum >= 0 && o->momentum < 1) || !(o->weight_decay >= 0) || !(o->beta1 >= 0 && o->beta1 < 1) ||
        !(o->beta2 >= 0 && o->beta2 < 1) || !(o->eps > 0) || !(o->clip_norm >= 0))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_optim_new: options out of range");
    fk_optim *p = calloc(1, sizeof *p);
    if (p) {
        p->m = calloc(count ? 2 * count : 1, sizeof(float));
        p->v = p->m + count;
    }
    if (!p || !p->m) {
        free(p);
        return fk__fail(err, FK_E_NO_MEMORY, "fk_optim_new: out of memory for %zu parameters", count);
    }
    p->o = *o;
    p->n = count;
    *out = p;
    return FK_OK;
}

void fk_optim_free(fk_optim *opt)
{
    if (opt) {
        free(opt->m);
        free(opt);
    }
}

float *fk_optim_state(fk_optim *opt, size_t *count, long long **step)
{
    *count = 2 * opt->n;
    *step = &opt->t;
    return opt->m;
}

double fk_optim_step(fk_optim *opt, float *params, const float *grads, double lr)
{
    const fk_optim_options *o = &opt->o;
    double ss = 0;
    for (size_t i = 0; i < opt->n; i++)
        ss += (double)grads[i] * grads[i];
    double norm = sqrt(ss), clip = 1;
    if (o->clip_norm > 0 && norm > o->clip_norm)
        clip = o->clip_norm / norm;
    opt->t++;
    double b1t = 1 - pow(o->beta1, (double)opt->t), b2t = 1 - pow(o->beta2, (double)opt->t);
    for (size_t i = 0; i < opt->n; i++) {
        double g = grads[i] * clip, p = params[i];
        if (o->kind != FK_OPTIM_ADAMW)
            g += o->weight_decay * p;
        if (o->kind == FK_OPTIM_SGD) {
            /* PyTorch's form: v = mu v + g; p -= lr v */
            double v = o->momentum * opt->m[i] + g;
            opt->m[i] = (float)v;
            params[i] = (float)(p - lr * v);
        } else {
            double m = o->beta1 * opt->m[i] + (1 - o->beta1) * g;
            double v = o->beta2 * opt->v[i] + (1 - o->beta2) * g * g;
            opt->m[i] = (float)m;
            opt->v[i] = (float)v;
            if (o->kind == FK_OPTIM_ADAMW)
                p -= lr * o->weight_decay * p;
            params[i] = (float)(p - lr * (m / b1t) / (sqrt(v / b2t) + o->eps));
        }
    }
    return norm;
}

double fk_schedule_lr(fk_schedule s, double base, long long t, long long total, long long warmup, long long every,
                      double gamma)
{
    if (warmup > 0 && t < warmup)
        return base * (double)(t + 1) / (double)warmup;
    long long u = t - (warmup > 0 ? warmup : 0), span = total - (warmup > 0 ? warmup : 0);
    switch (s) {
    case FK_SCHEDULE_STEP:
        return every > 0 ? base * pow(gamma, (double)(u / every)) : base;
    case FK_SCHEDULE_COSINE:
        if (span <= 0)
            return base;
        return base * 0.5 * (1 + cos(3.14159265358979323846 * (double)(u < span ? u : span) / (double)span));
    default:
        return base;
    }
}
