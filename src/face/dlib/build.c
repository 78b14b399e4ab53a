/* build.c: a dlib layer list (nn/load/dlib_dnn.h) as our graph: layouts turned into ours, affine and relu fused into the layer before, tags and skips wired. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "face/dlib/dlib_nets.h"

#define MAX_TAGS 64 /* tag ids 1..MAX_TAGS-1 (dlib has tag1..tag10 and user tags) */

typedef struct builder {
    const fk__dlib_net *net;
    fk__graph *g;
    fk_status status;
    fk_error *err;
    int tags[MAX_TAGS]; /* the node each tag id marks now, or -1 */
    float **temps;      /* converted weights the graph reads until it owns its own */
    int n_temps, cap_temps;
} builder;

/* A failure naming the file and the layer; the first one wins. */
static int failf(builder *b, const fk__dlib_layer *l, fk_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int failf(builder *b, const fk__dlib_layer *l, fk_status st, const char *fmt, ...)
{
    if (b->status != FK_OK)
        return -1;
    char what[FK_ERROR_MESSAGE_MAX], label[80];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (l)
        fk__fail(b->err, st, "%s: %s: %s", b->net->path, fk__dlib_layer_label(l, label, sizeof label), what);
    else
        fk__fail(b->err, st, "%s: %s", b->net->path, what);
    b->status = st;
    return -1;
}

static float *temp(builder *b, size_t n)
{
    if (b->status != FK_OK)
        return NULL;
    if (b->n_temps == b->cap_temps) {
        int cap = b->cap_temps ? b->cap_temps * 2 : 32;
        float **grown = realloc(b->temps, sizeof *grown * (size_t)cap);
        if (!grown) {
            failf(b, NULL, FK_E_NO_MEMORY, "out of memory building the graph");
            return NULL;
        }
        b->temps = grown;
        b->cap_temps = cap;
    }
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (!p) {
        failf(b, NULL, FK_E_NO_MEMORY, "out of memory building the graph");
        return NULL;
    }
    b->temps[b->n_temps++] = p;
    return p;
}

static fk__shape shape_of(const builder *b, int node)
{
    return fk__graph_node(b->g, node)->shape;
}

/* A graph builder's result: on -1 the graph's own sticky error, named for the file. */
static int checked(builder *b, const fk__dlib_layer *l, int node)
{
    if (node >= 0 || b->status != FK_OK)
        return node;
    fk_error e;
    fk_status st = fk__graph_finish(b->g, &e);
    return failf(b, l, st != FK_OK ? st : FK_E_INVALID_ARGUMENT, "%s", e.message);
}

/* dlib's padding as ours: none is VALID; k/2 on both sides at stride 1 with odd k is SAME. */
static bool padding_of(int k_y, int k_x, int s_y, int s_x, int p_y, int p_x, fk__padding *pad)
{
    if (p_y == 0 && p_x == 0) {
        *pad = FK__PAD_VALID;
        return true;
    }
    if (s_y == 1 && s_x == 1 && (k_y & 1) && (k_x & 1) && p_y == k_y / 2 && p_x == k_x / 2) {
        *pad = FK__PAD_SAME;
        return true;
    }
    return false;
}

static bool is(const fk__dlib_net *net, int i, fk__dlib_kind kind)
{
    return i < net->n_layers && net->layers[i].kind == kind;
}

/* An affine layer in conv mode (or fc mode on a 1x1 input) over c channels. */
static bool affine_fits(const fk__dlib_affine *a, fk__shape s)
{
    return a->count == 0 || (a->count == s.c && (!a->fc_mode || (s.h == 1 && s.w == 1)));
}

static int build_con(builder *b, int *i, int x)
{
    const fk__dlib_layer *l = &b->net->layers[*i];
    const fk__dlib_con *c = &l->u.con;
    fk__shape in = shape_of(b, x);
    char label[80];
    fk__dlib_layer_label(l, label, sizeof label);
    if (c->k != in.c)
        return failf(b, l, FK_E_BAD_FORMAT, "its filters take %d channels, but its input has %d", c->k, in.c);
    fk__padding pad;
    if (c->stride_y != c->stride_x ||
        !padding_of(c->nr, c->nc, c->stride_y, c->stride_x, c->pad_y, c->pad_x, &pad))
        return failf(b, l, FK_E_UNSUPPORTED,
                     "stride %d x %d with padding %d x %d on %d x %d filters has no equivalent here",
                     c->stride_y, c->stride_x, c->pad_y, c->pad_x, c->nr, c->nc);
    if (in.h + 2 * c->pad_y < c->nr || in.w + 2 * c->pad_x < c->nc)
        return failf(b, l, FK_E_BAD_FORMAT, "its %d x %d filters do not fit its %d x %d input", c->nr, c->nc, in.h,
                     in.w);
    /* [co][ci][ky][kx] -> [ky][kx][ci][co] */
    size_t taps = (size_t)c->nr * c->nc, per = taps * (size_t)c->k;
    float *hwio = temp(b, per * (size_t)c->num_filters);
    if (!hwio)
        return -1;
    for (int co = 0; co < c->num_filters; co++)
        for (int ci = 0; ci < c->k; ci++)
            for (size_t t = 0; t < taps; t++)
                hwio[(t * (size_t)c->k + (size_t)ci) * (size_t)c->num_filters + (size_t)co] =
                    c->filters[(size_t)co * per + (size_t)ci * taps + t];
    fk__epilogue ep = {.bias = c->bias};
    /* dlib computes conv + bias, then gamma * x + beta, then max(0, x): our epilogue's order */
    if (is(b->net, *i + 1, FK__DLIB_AFFINE) && !b->net->layers[*i + 1].u.affine.fc_mode &&
        b->net->layers[*i + 1].u.affine.count == c->num_filters) {
        ++*i;
        ep.scale = b->net->layers[*i].u.affine.gamma;
        ep.shift = b->net->layers[*i].u.affine.beta;
    } else if (is(b->net, *i + 1, FK__DLIB_AFFINE) && b->net->layers[*i + 1].u.affine.count == 0) {
        ++*i; /* a disabled affine layer: the identity */
    }
    if (is(b->net, *i + 1, FK__DLIB_RELU)) {
        ++*i;
        ep.act = FK__ACT_RELU;
    }
    const int f = c->num_filters, rows = f * c->nr;
    if (c->nr > 1 && rows <= 16 && c->stride_y == 1 && c->stride_x == 1) {
        /* A few output channels (the detector's 9x9 conv to 1 score) would leave most of the
         * kernel's 16 lanes idle: first each kernel row as its own output channel (1 x nc filters,
         * f * nr outputs), then the rows summed by a nr x 1 conv of ones; the padding splits the
         * same way (horizontal in the first, vertical in the second). */
        float *w1 = temp(b, (size_t)c->nc * (size_t)c->k * (size_t)rows);
        float *w2 = temp(b, (size_t)c->nr * (size_t)rows * (size_t)f);
        if (!w1 || !w2)
            return -1;
        for (int ky = 0; ky < c->nr; ky++)
            for (int kx = 0; kx < c->nc; kx++)
                for (int ci = 0; ci < c->k; ci++)
                    for (int co = 0; co < f; co++)
                        w1[((size_t)kx * c->k + (size_t)ci) * (size_t)rows + (size_t)(ky * f + co)] =
                            hwio[(((size_t)ky * c->nc + (size_t)kx) * (size_t)c->k + (size_t)ci) * (size_t)f +
                                 (size_t)co];
        memset(w2, 0, sizeof(float) * (size_t)c->nr * (size_t)rows * (size_t)f);
        for (int ky = 0; ky < c->nr; ky++)
            for (int co = 0; co < f; co++)
                w2[((size_t)ky * (size_t)rows + (size_t)(ky * f + co)) * (size_t)f + (size_t)co] = 1.0f;
        char rl[96];
        snprintf(rl, sizeof rl, "%s rows", label);
        fk__epilogue none = {0};
        int r = checked(b, l, fk__g_conv2d(b->g, x, rl, 1, c->nc, 1, pad, rows, w1, none));
        if (r < 0)
            return -1;
        return checked(b, l, fk__g_conv2d(b->g, r, label, c->nr, 1, 1, pad, f, w2, ep));
    }
    int y = fk__g_conv2d(b->g, x, label, c->nr, c->nc, c->stride_y, pad, c->num_filters, hwio, ep);
    return checked(b, l, y);
}

static int build_affine(builder *b, int *i, int x)
{
    const fk__dlib_layer *l = &b->net->layers[*i];
    const fk__dlib_affine *a = &l->u.affine;
    fk__shape in = shape_of(b, x);
    if (!affine_fits(a, in))
        return failf(b, l, a->fc_mode ? FK_E_UNSUPPORTED : FK_E_BAD_FORMAT,
                     "%d values for an input of %d x %d x %d%s", a->count, in.h, in.w, in.c,
                     a->fc_mode ? " (fc mode is supported on 1x1 inputs only)" : "");
    fk__act act = FK__ACT_NONE;
    if (is(b->net, *i + 1, FK__DLIB_RELU)) {
        ++*i;
        act = FK__ACT_RELU;
    }
    if (a->count == 0 && act == FK__ACT_NONE)
        return x;
    char label[80];
    int y = fk__g_affine(b->g, x, fk__dlib_layer_label(l, label, sizeof label), a->count ? a->gamma : NULL,
                         a->count ? a->beta : NULL, act, 0.0f);
    return checked(b, l, y);
}

static int build_pool(builder *b, int i, int x)
{
    const fk__dlib_layer *l = &b->net->layers[i];
    const fk__dlib_pool *q = &l->u.pool;
    fk__shape in = shape_of(b, x);
    char label[80];
    fk__dlib_layer_label(l, label, sizeof label);
    if (q->nr == 0) { /* the whole input: avg_pool_everything */
        if (l->kind == FK__DLIB_MAX_POOL && (in.h != 1 || in.w != 1))
            return failf(b, l, FK_E_UNSUPPORTED, "max pooling over everything is not supported");
        if (l->kind == FK__DLIB_MAX_POOL)
            return x;
        return checked(b, l, fk__g_global_avgpool(b->g, x, label));
    }
    fk__padding pad;
    if (q->nr != q->nc || q->stride_y != q->stride_x || q->pad_y || q->pad_x ||
        !padding_of(q->nr, q->nc, q->stride_y, q->stride_x, q->pad_y, q->pad_x, &pad))
        return failf(b, l, FK_E_UNSUPPORTED, "a %d x %d window at stride %d x %d with padding %d x %d is not supported",
                     q->nr, q->nc, q->stride_y, q->stride_x, q->pad_y, q->pad_x);
    if (in.h < q->nr || in.w < q->nc)
        return failf(b, l, FK_E_BAD_FORMAT, "its %d x %d window does not fit its %d x %d input", q->nr, q->nc, in.h,
                     in.w);
    return checked(b, l,
                   fk__g_pool(b->g, x, label, l->kind == FK__DLIB_MAX_POOL ? FK__POOL_MAX : FK__POOL_AVG, q->nr,
                              q->stride_y, pad));
}

static int build_fc(builder *b, int i, int x)
{
    const fk__dlib_layer *l = &b->net->layers[i];
    const fk__dlib_fc *f = &l->u.fc;
    fk__shape in = shape_of(b, x);
    size_t k;
    if (!fk__mul3_size((size_t)in.h, (size_t)in.w, (size_t)in.c, &k) || k != (size_t)f->num_inputs)
        return failf(b, l, FK_E_BAD_FORMAT, "it takes %d inputs, but gets %d x %d x %d", f->num_inputs, in.h, in.w,
                     in.c);
    const float *w = f->weights;
    if (in.h * in.w > 1) {
        /* dlib flattens (k, r, c), we flatten (r, c, k) */
        float *p = temp(b, (size_t)f->num_inputs * (size_t)f->num_outputs);
        if (!p)
            return -1;
        size_t hw = (size_t)in.h * in.w, m = (size_t)f->num_outputs;
        for (size_t ch = 0; ch < (size_t)in.c; ch++)
            for (size_t s = 0; s < hw; s++)
                memcpy(p + (s * (size_t)in.c + ch) * m, w + (ch * hw + s) * m, m * sizeof(float));
        w = p;
    }
    fk__epilogue ep = {.bias = f->bias};
    char label[80];
    return checked(b, l, fk__g_fc(b->g, x, fk__dlib_layer_label(l, label, sizeof label), f->num_outputs, w, ep));
}

fk_status fk__dlib_graph_build(const fk__dlib_net *net, const fk__dlib_wiring *wiring, fk__shape input,
                               const char *name, fk__graph **out, fk_error *err)
{
    if (!out || !net)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_graph_build: NULL argument");
    *out = NULL;
    static const fk__dlib_wiring none = {0};
    if (!wiring)
        wiring = &none;
    builder b;
    memset(&b, 0, sizeof b);
    b.net = net;
    b.err = err;
    for (int t = 0; t < MAX_TAGS; t++)
        b.tags[t] = -1;
    int n_wrappers = 0, n_adds = 0;
    for (int i = 0; i < net->n_layers; i++) {
        n_wrappers += net->layers[i].kind == FK__DLIB_TAG_OR_SKIP;
        n_adds += net->layers[i].kind == FK__DLIB_ADD_PREV;
    }
    if (n_wrappers != wiring->n_wrappers || n_adds != wiring->n_adds)
        return fk__fail(err, FK_E_BAD_FORMAT,
                        "%s: %d tag or skip layers and %d add_prev layers, but %s's definition has %d and %d "
                        "(a layer missing, or another network?)",
                        net->path, n_wrappers, n_adds, name, wiring->n_wrappers, wiring->n_adds);
    fk_error gerr;
    fk_status st = fk__graph_new(name, input, &b.g, &gerr);
    if (st != FK_OK) {
        if (err)
            *err = gerr;
        return st;
    }
    int x = fk__graph_input(b.g), wi = 0, ai = 0;
    for (int i = 0; i < net->n_layers && b.status == FK_OK; i++) {
        const fk__dlib_layer *l = &net->layers[i];
        switch (l->kind) {
        case FK__DLIB_CON:
            x = build_con(&b, &i, x);
            break;
        case FK__DLIB_AFFINE:
            x = build_affine(&b, &i, x);
            break;
        case FK__DLIB_RELU: {
            char label[80];
            x = checked(&b, l, fk__g_affine(b.g, x, fk__dlib_layer_label(l, label, sizeof label), NULL, NULL,
                                            FK__ACT_RELU, 0.0f));
            break;
        }
        case FK__DLIB_MAX_POOL:
        case FK__DLIB_AVG_POOL:
            x = build_pool(&b, i, x);
            break;
        case FK__DLIB_FC:
            x = build_fc(&b, i, x);
            break;
        case FK__DLIB_TAG_OR_SKIP: {
            int id = wiring->wrappers[wi++];
            int t = id < 0 ? -id : id;
            if (t <= 0 || t >= MAX_TAGS) {
                failf(&b, l, FK_E_INVALID_ARGUMENT, "tag id %d out of 1..%d in %s's definition", t, MAX_TAGS - 1, name);
                break;
            }
            if (id > 0) {
                b.tags[t] = x;
            } else if (b.tags[t] < 0) {
                failf(&b, l, FK_E_BAD_FORMAT, "a skip to tag%d, which no layer below it has", t);
            } else {
                x = b.tags[t];
            }
            break;
        }
        case FK__DLIB_ADD_PREV: {
            int t = wiring->adds[ai++];
            if (t <= 0 || t >= MAX_TAGS || b.tags[t] < 0) {
                failf(&b, l, FK_E_BAD_FORMAT, "it adds tag%d, which no layer below it has", t);
                break;
            }
            fk__act act = FK__ACT_NONE;
            if (is(net, i + 1, FK__DLIB_RELU)) {
                i++;
                act = FK__ACT_RELU;
            }
            char label[80];
            /* dlib: the output is max of both shapes, the missing parts zero (our add's rule) */
            x = checked(&b, l, fk__g_add(b.g, x, b.tags[t], fk__dlib_layer_label(l, label, sizeof label), act));
            break;
        }
        default:
            failf(&b, l, FK_E_UNSUPPORTED, "layer kind %d", (int)l->kind);
            break;
        }
    }
    if (b.status == FK_OK && x == fk__graph_input(b.g))
        failf(&b, NULL, FK_E_BAD_FORMAT, "the network has no computing layer");
    if (b.status == FK_OK) {
        fk__graph_mark_output(b.g, x);
        st = fk__graph_own_weights(b.g, &gerr);
        if (st != FK_OK)
            failf(&b, NULL, st, "%s", gerr.message);
    }
    for (int i = 0; i < b.n_temps; i++)
        free(b.temps[i]);
    free(b.temps);
    if (b.status != FK_OK) {
        fk__graph_free(b.g);
        return b.status;
    }
    *out = b.g;
    return FK_OK;
}
