/* netbuild.c: weight lookup with shape checks and the separable/bias conv blocks shared by the face-api nets. */
#include "face/netbuild.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/error.h"

static const float *get(fk__netbuild *b, const char *name, int rank, const int *dims)
{
    if (b->status != FK_OK)
        return NULL;
    const float *data = NULL;
    fk_status st = fk__weights_get(b->w, name, rank, dims, &data, &b->err);
    if (st != FK_OK) {
        b->status = st;
        return NULL;
    }
    return data;
}

const float *fk__nb_weight(fk__netbuild *b, const char *name, int rank, int d0, int d1, int d2, int d3)
{
    int dims[4] = {d0, d1, d2, d3};
    return get(b, name, rank, dims);
}

const float *fk__nb_weightf(fk__netbuild *b, int rank, const int *dims, const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return get(b, name, rank, dims);
}

int fk__nb_channels(const fk__netbuild *b, int node)
{
    return node < 0 ? 0 : fk__graph_node(b->g, node)->shape.c;
}

int fk__nb_sepconv(fk__netbuild *b, int x, const char *prefix, int cout, int stride, fk__act act, float alpha)
{
    int cin = fk__nb_channels(b, x);
    int dw_dims[4] = {3, 3, cin, 1}, pw_dims[4] = {1, 1, cin, cout}, b_dims[1] = {cout};
    const float *dw = fk__nb_weightf(b, 4, dw_dims, "%s/depthwise_filter", prefix);
    const float *pw = fk__nb_weightf(b, 4, pw_dims, "%s/pointwise_filter", prefix);
    const float *bias = fk__nb_weightf(b, 1, b_dims, "%s/bias", prefix);
    if (b->status != FK_OK)
        return -1;
    fk__epilogue none = {0};
    char name[96];
    snprintf(name, sizeof name, "%s/dw", prefix);
    int d = fk__g_dwconv(b->g, x, name, 3, 3, stride, FK__PAD_SAME, dw, none);
    fk__epilogue ep = {.bias = bias, .act = act, .alpha = alpha};
    snprintf(name, sizeof name, "%s/pw", prefix);
    return fk__g_conv2d(b->g, d, name, 1, 1, 1, FK__PAD_VALID, cout, pw, ep);
}

int fk__nb_conv_bias(fk__netbuild *b, int x, const char *prefix, int k, int cout, int stride, fk__padding pad,
                     fk__act act, float alpha)
{
    int cin = fk__nb_channels(b, x);
    int f_dims[4] = {k, k, cin, cout}, b_dims[1] = {cout};
    const float *f = fk__nb_weightf(b, 4, f_dims, "%s/filters", prefix);
    const float *bias = fk__nb_weightf(b, 1, b_dims, "%s/bias", prefix);
    if (b->status != FK_OK)
        return -1;
    fk__epilogue ep = {.bias = bias, .act = act, .alpha = alpha};
    return fk__g_conv2d(b->g, x, prefix, k, k, stride, pad, cout, f, ep);
}

fk_status fk__nb_finish(fk__netbuild *b, fk_error *err)
{
    if (b->status != FK_OK) {
        if (err)
            *err = b->err;
        return b->status;
    }
    return fk__graph_finish(b->g, err);
}
