/* loss_f32.c: the losses in float, and their public entry point with its argument checks. */
#include <math.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#define R float
#define TRL(name) fk__trf_##name
#include "train/loss_impl.h"

static const char *const loss_names[FK_LOSS_COUNT] = {"softmax",         "focal",  "ohem",    "contrastive", "triplet",
                                                      "coupled-cluster", "center", "arcface", "cosface"};
static const char *const mining_names[FK_MINING_COUNT] = {"random", "semi-hard", "batch-hard"};

void fk_loss_options_init(fk_loss_options *o, fk_loss loss)
{
    memset(o, 0, sizeof *o);
    o->loss = loss;
    o->mining = FK_MINING_SEMIHARD;
    o->margin = loss == FK_LOSS_CONTRASTIVE ? 1.0 : loss == FK_LOSS_ARCFACE ? 0.5 : loss == FK_LOSS_COSFACE ? 0.35 : 0.2;
    o->scale = loss == FK_LOSS_ARCFACE || loss == FK_LOSS_COSFACE ? 64 : 1;
    o->gamma = 2;
    o->alpha = 1;
    o->keep = 0.5;
    o->seed = 1;
}

int fk_loss_from_name(const char *name)
{
    for (int i = 0; name && i < FK_LOSS_COUNT; i++)
        if (!strcmp(name, loss_names[i]))
            return i;
    return -1;
}

const char *fk_loss_name(fk_loss loss)
{
    return (unsigned)loss < FK_LOSS_COUNT ? loss_names[loss] : "?";
}

int fk_mining_from_name(const char *name)
{
    for (int i = 0; name && i < FK_MINING_COUNT; i++)
        if (!strcmp(name, mining_names[i]))
            return i;
    return -1;
}

const char *fk_mining_name(fk_mining mining)
{
    return (unsigned)mining < FK_MINING_COUNT ? mining_names[mining] : "?";
}

int fk_loss_has_classes(fk_loss loss)
{
    return loss == FK_LOSS_SOFTMAX || loss == FK_LOSS_FOCAL || loss == FK_LOSS_OHEM || loss == FK_LOSS_CENTER ||
           loss == FK_LOSS_ARCFACE || loss == FK_LOSS_COSFACE;
}

fk_status fk_loss_eval(const fk_loss_options *o, const float *x, int batch, int dim, const int *y, const float *w,
                       int classes, float *dx, float *dw, fk_loss_result *out, fk_error *err)
{
    if (!o || !x || !y || !dx || !out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_loss_eval: NULL argument");
    if ((unsigned)o->loss >= FK_LOSS_COUNT || (unsigned)o->mining >= FK_MINING_COUNT)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_loss_eval: unknown loss %d or mining %d", (int)o->loss,
                        (int)o->mining);
    if (batch < 1 || dim < 1 || batch > (1 << 16) || dim > (1 << 16))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_loss_eval: batch %d × dim %d out of range", batch, dim);
    if (!(o->margin >= 0) || !(o->scale > 0) || !(o->gamma >= 0) || !(o->alpha > 0) || !(o->keep > 0 && o->keep <= 1))
        return fk__fail(err, FK_E_INVALID_ARGUMENT,
                        "fk_loss_eval: options out of range (margin %g >= 0, scale %g > 0, gamma %g >= 0, alpha %g > 0, "
                        "0 < keep %g <= 1)",
                        o->margin, o->scale, o->gamma, o->alpha, o->keep);
    if (fk_loss_has_classes(o->loss)) {
        if (!w || classes < 1 || classes > (1 << 24))
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_loss_eval: %s needs its class matrix (classes >= 1)",
                            fk_loss_name(o->loss));
        for (int i = 0; i < batch; i++)
            if (y[i] < 0 || y[i] >= classes)
                return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_loss_eval: label %d of sample %d is not in 0..%d", y[i],
                                i, classes - 1);
    }
    size_t n;
    if (!fk__mul_size((size_t)batch, (size_t)batch, &n) || !fk__mul_size((size_t)batch, (size_t)dim, &n) ||
        (w && !fk__mul_size((size_t)classes, (size_t)dim, &n)))
        return fk__fail(err, FK_E_OVERFLOW, "fk_loss_eval: sizes overflow");
    float v = 0;
    int rc = fk__trf_loss_eval(o, x, batch, dim, y, fk_loss_has_classes(o->loss) ? w : NULL, classes, dx,
                               fk_loss_has_classes(o->loss) ? dw : NULL, &v, &out->active, &out->terms);
    if (rc == -1)
        return fk__fail(err, FK_E_NO_MEMORY, "fk_loss_eval: out of memory");
    if (rc)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_loss_eval: unknown loss");
    out->value = v;
    return FK_OK;
}
