/* resnet.c: dlib's float ResNet face descriptor (dnn_face_recognition_ex.cpp's anet_type) checked layer by layer and built as our graph. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/pool.h"
#include "face/dlib/dlib_nets.h"

/* anet_type, input to output, as the example defines it:
 *   residual<N>      = add_prev1<block<N, 1, tag1<x>>>
 *   residual_down<N> = add_prev2<avg_pool<2,2,2,2, skip1<tag2<block<N, 2, tag1<x>>>>>>
 *   block<N, s>      = affine<con<N,3,3,1,1, relu<affine<con<N,3,3,s,s, x>>>>>>
 *   ares = relu<residual>, ares_down = relu<residual_down>
 *   con<32,7,7,2,2> affine relu max_pool<3,3,2,2>, 3 ares<32>, ares_down<64> 3 ares<64>,
 *   ares_down<128> 2 ares<128>, ares_down<256> 2 ares<256>, ares_down<256>,
 *   avg_pool_everything, fc_no_bias<128>, loss_metric
 * The file holds every layer but not the tag IDs: those come from here. */

typedef struct expect {
    fk__dlib_kind kind;
    int n, k, s; /* con: filters, kernel side, stride; pool: window (0: everything), stride; fc: outputs */
} expect;

#define MAX_EXPECT 160
typedef struct spec {
    expect e[MAX_EXPECT];
    int n;
    int wrappers[64], n_wrappers;
    int adds[32], n_adds;
} spec;

static void push(spec *s, fk__dlib_kind kind, int n, int k, int st)
{
    if (s->n < MAX_EXPECT)
        s->e[s->n++] = (expect){kind, n, k, st};
}

static void wrap(spec *s, int id)
{
    if (s->n_wrappers < 64)
        s->wrappers[s->n_wrappers++] = id;
    push(s, FK__DLIB_TAG_OR_SKIP, 0, 0, 0);
}

static void block(spec *s, int n, int stride)
{
    push(s, FK__DLIB_CON, n, 3, stride);
    push(s, FK__DLIB_AFFINE, 0, 0, 0);
    push(s, FK__DLIB_RELU, 0, 0, 0);
    push(s, FK__DLIB_CON, n, 3, 1);
    push(s, FK__DLIB_AFFINE, 0, 0, 0);
}

static void add_prev(spec *s, int tag)
{
    if (s->n_adds < 32)
        s->adds[s->n_adds++] = tag;
    push(s, FK__DLIB_ADD_PREV, 0, 0, 0);
    push(s, FK__DLIB_RELU, 0, 0, 0);
}

static void ares(spec *s, int n)
{
    wrap(s, 1);
    block(s, n, 1);
    add_prev(s, 1);
}

static void ares_down(spec *s, int n)
{
    wrap(s, 1);
    block(s, n, 2);
    wrap(s, 2);
    wrap(s, -1);
    push(s, FK__DLIB_AVG_POOL, 0, 2, 2);
    add_prev(s, 2);
}

static void anet_type(spec *s)
{
    memset(s, 0, sizeof *s);
    push(s, FK__DLIB_CON, 32, 7, 2);
    push(s, FK__DLIB_AFFINE, 0, 0, 0);
    push(s, FK__DLIB_RELU, 0, 0, 0);
    push(s, FK__DLIB_MAX_POOL, 0, 3, 2);
    for (int i = 0; i < 3; i++)
        ares(s, 32);
    ares_down(s, 64);
    for (int i = 0; i < 3; i++)
        ares(s, 64);
    ares_down(s, 128);
    for (int i = 0; i < 2; i++)
        ares(s, 128);
    ares_down(s, 256);
    for (int i = 0; i < 2; i++)
        ares(s, 256);
    ares_down(s, 256);
    push(s, FK__DLIB_AVG_POOL, 0, 0, 1);
    push(s, FK__DLIB_FC, FK__DLIB_RESNET_DIM, 0, 0);
}

static const char *kind_name(fk__dlib_kind k)
{
    static const char *names[FK__DLIB_KIND_COUNT] = {"con_",     "affine_",   "relu_", "max_pool_",
                                                     "avg_pool_", "add_prev_", "fc_",   "tag or skip"};
    return k < FK__DLIB_KIND_COUNT ? names[k] : "?";
}

/* The file's layer l against what the definition has there. */
static fk_status check_layer(const fk__dlib_net *net, const fk__dlib_layer *l, const expect *e, fk_error *err)
{
    char label[80];
    fk__dlib_layer_label(l, label, sizeof label);
    if (l->kind != e->kind)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s: expected %s here (dlib's anet_type), found %s", net->path, label,
                        kind_name(e->kind), kind_name(l->kind));
    switch (l->kind) {
    case FK__DLIB_CON: {
        const fk__dlib_con *c = &l->u.con;
        int pad = e->s == 1 ? e->k / 2 : 0;
        if (c->num_filters != e->n || c->nr != e->k || c->nc != e->k || c->stride_y != e->s || c->stride_x != e->s ||
            c->pad_y != pad || c->pad_x != pad)
            return fk__fail(err, FK_E_BAD_FORMAT,
                            "%s: %s: expected %d filters of %dx%d at stride %d, found %d of %dx%d at stride %dx%d "
                            "padding %dx%d",
                            net->path, label, e->n, e->k, e->k, e->s, c->num_filters, c->nr, c->nc, c->stride_y,
                            c->stride_x, c->pad_y, c->pad_x);
        break;
    }
    case FK__DLIB_AFFINE:
        if (l->u.affine.fc_mode)
            return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s: expected an affine layer in conv mode, found fc mode",
                            net->path, label);
        break;
    case FK__DLIB_MAX_POOL:
    case FK__DLIB_AVG_POOL: {
        const fk__dlib_pool *q = &l->u.pool;
        if (q->nr != e->k || q->nc != e->k || q->stride_y != e->s || q->stride_x != e->s || q->pad_y || q->pad_x)
            return fk__fail(err, FK_E_BAD_FORMAT,
                            "%s: %s: expected a %dx%d window at stride %d, found %dx%d at stride %dx%d padding %dx%d",
                            net->path, label, e->k, e->k, e->s, q->nr, q->nc, q->stride_y, q->stride_x, q->pad_y,
                            q->pad_x);
        break;
    }
    case FK__DLIB_FC:
        if (l->u.fc.num_outputs != e->n || l->u.fc.bias)
            return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s: expected fc_no_bias<%d>, found %d outputs%s", net->path,
                            label, e->n, l->u.fc.num_outputs, l->u.fc.bias ? " with a bias" : "");
        break;
    default:
        break;
    }
    return FK_OK;
}

fk_status fk__dlib_resnet_from_net(const fk__dlib_net *net, fk__graph **out, fk_error *err)
{
    if (!out || !net)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_resnet_from_net: NULL argument");
    *out = NULL;
    const fk__dlib_input *in = &net->input;
    if (net->loss.kind != FK__DLIB_LOSS_METRIC)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: not dlib's ResNet face descriptor (its loss is not loss_metric)",
                        net->path);
    if (in->kind != FK__DLIB_INPUT_RGB_SIZED || in->nr != FK__DLIB_RESNET_SIZE || in->nc != FK__DLIB_RESNET_SIZE)
        return fk__fail(err, FK_E_BAD_FORMAT,
                        "%s: layer %d (input): expected input_rgb_image_sized<150>, found another input or size %dx%d",
                        net->path, net->n_layers + 1, in->nr, in->nc);
    if (in->avg_red != FK__DLIB_AVG_RED || in->avg_green != FK__DLIB_AVG_GREEN || in->avg_blue != FK__DLIB_AVG_BLUE)
        return fk__fail(err, FK_E_UNSUPPORTED,
                        "%s: layer %d (input): its means %g %g %g are not dlib's 122.782 117.001 104.298", net->path,
                        net->n_layers + 1, (double)in->avg_red, (double)in->avg_green, (double)in->avg_blue);
    spec local;
    anet_type(&local);
    if (net->n_layers != local.n)
        return fk__fail(err, FK_E_BAD_FORMAT,
                        "%s: %d layers, but dlib's anet_type has %d (a layer missing, or another network?)", net->path,
                        net->n_layers, local.n);
    for (int i = 0; i < net->n_layers; i++) {
        fk_status st = check_layer(net, &net->layers[i], &local.e[i], err);
        if (st != FK_OK)
            return st;
    }
    fk__dlib_wiring w = {local.wrappers, local.n_wrappers, local.adds, local.n_adds};
    return fk__dlib_graph_build(net, &w, fk__shape_make(1, FK__DLIB_RESNET_SIZE, FK__DLIB_RESNET_SIZE, 3),
                                "dlib-resnet", out, err);
}

fk_status fk__dlib_resnet_load(const char *path, fk__graph **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_resnet_load: NULL out");
    *out = NULL;
    fk__dlib_net *net = NULL;
    fk_status st = fk__dlib_dnn_load(path, &net, err);
    if (st != FK_OK)
        return st;
    st = fk__dlib_resnet_from_net(net, out, err);
    fk__dlib_net_free(net);
    return st;
}

/* (pixel - avg) / 256: dlib subtracts in float (an int minus a float), divides by the double
 * 256.0 and stores a float; dividing by a power of two is exact, so float arithmetic matches. */
void fk__dlib_resnet_input(const uint8_t *rgb, size_t stride, float *dst)
{
    const int n = FK__DLIB_RESNET_SIZE;
    for (int y = 0; y < n; y++) {
        const uint8_t *row = rgb + (size_t)y * stride;
        float *d = dst + (size_t)y * n * 3;
        for (int x = 0; x < n; x++) {
            d[3 * x] = ((float)row[3 * x] - FK__DLIB_AVG_RED) / 256.0f;
            d[3 * x + 1] = ((float)row[3 * x + 1] - FK__DLIB_AVG_GREEN) / 256.0f;
            d[3 * x + 2] = ((float)row[3 * x + 2] - FK__DLIB_AVG_BLUE) / 256.0f;
        }
    }
}

void fk__dlib_resnet_input_f(const float *rgbf, float *dst)
{
    const size_t n = (size_t)FK__DLIB_RESNET_SIZE * FK__DLIB_RESNET_SIZE;
    for (size_t i = 0; i < n; i++) {
        dst[3 * i] = (rgbf[3 * i] - FK__DLIB_AVG_RED) / 256.0f;
        dst[3 * i + 1] = (rgbf[3 * i + 1] - FK__DLIB_AVG_GREEN) / 256.0f;
        dst[3 * i + 2] = (rgbf[3 * i + 2] - FK__DLIB_AVG_BLUE) / 256.0f;
    }
}

fk_status fk__dlib_resnet_describe(fk__plan *plan, struct fk__pool *pool, const uint8_t *rgb, size_t stride,
                                   float out[FK__DLIB_RESNET_DIM], fk_error *err)
{
    if (!plan || !rgb || !out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_resnet_describe: NULL argument");
    fk__shape s;
    const float *o = fk__plan_output(plan, 0, &s);
    (void)o;
    if (fk__plan_batch(plan) != 1 || s.h != 1 || s.w != 1 || s.c != FK__DLIB_RESNET_DIM)
        return fk__fail(err, FK_E_INVALID_ARGUMENT,
                        "fk__dlib_resnet_describe: a plan of batch %d giving %dx%dx%d, not the ResNet's at batch 1",
                        fk__plan_batch(plan), s.h, s.w, s.c);
    fk__dlib_resnet_input(rgb, stride, fk__plan_input(plan));
    if (pool)
        fk__plan_run_pool(plan, pool);
    else
        fk__plan_run(plan);
    memcpy(out, fk__plan_output(plan, 0, NULL), sizeof(float) * FK__DLIB_RESNET_DIM);
    return FK_OK;
}
