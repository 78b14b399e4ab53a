/* graph.c: building a graph node by node with shape inference and a sticky first error. */
#include "nn/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define FK__MAX_OUTPUTS 16

struct fk__graph {
    char name[64];
    fk__node *nodes;
    int n_nodes, cap;
    int outputs[FK__MAX_OUTPUTS];
    int n_outputs;
    float **owned; /* arrays from fk__graph_alloc */
    int n_owned, cap_owned;
    fk_status status; /* sticky first failure */
    fk_error err;
};

static void set_name(char *dst, size_t cap, const char *name)
{
    snprintf(dst, cap, "%s", name ? name : "");
}

static int failf(fk__graph *g, fk_status st, const char *fmt, const char *node, const char *detail)
{
    if (g->status == FK_OK) {
        g->status = st;
        fk__fail(&g->err, st, fmt, g->name, node ? node : "?", detail ? detail : "");
    }
    return -1;
}

fk_status fk__graph_new(const char *name, fk__shape input, fk__graph **out, fk_error *err)
{
    *out = NULL;
    size_t count;
    if (!fk__shape_count(input, &count) || input.n != 1 || count == 0)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: bad input shape", name ? name : "graph");
    fk__graph *g = calloc(1, sizeof *g);
    if (!g)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory building graph");
    set_name(g->name, sizeof g->name, name);
    g->cap = 64;
    g->nodes = calloc((size_t)g->cap, sizeof *g->nodes);
    if (!g->nodes) {
        free(g);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory building graph");
    }
    g->n_nodes = 1;
    g->nodes[0].op = FK__OP_INPUT;
    g->nodes[0].shape = input;
    set_name(g->nodes[0].name, sizeof g->nodes[0].name, "input");
    *out = g;
    return FK_OK;
}

void fk__graph_free(fk__graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_owned; i++)
        free(g->owned[i]);
    free(g->owned);
    free(g->nodes);
    free(g);
}

int fk__graph_input(const fk__graph *g)
{
    (void)g;
    return 0;
}

/* Appends a node after checking its inputs; returns its slot or NULL (sticky error set). */
static fk__node *push(fk__graph *g, fk__op op, const int *inputs, int n_inputs, const char *name)
{
    if (g->status != FK_OK)
        return NULL;
    if (n_inputs > FK__MAX_INPUTS) {
        failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': too many inputs%s", name, NULL);
        return NULL;
    }
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] < 0 || inputs[i] >= g->n_nodes) {
            failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': bad input%s", name, NULL);
            return NULL;
        }
    if (g->n_nodes == g->cap) {
        fk__node *grown = realloc(g->nodes, sizeof *grown * (size_t)g->cap * 2);
        if (!grown) {
            failf(g, FK_E_NO_MEMORY, "%s: node '%s': out of memory%s", name, NULL);
            return NULL;
        }
        g->nodes = grown;
        g->cap *= 2;
    }
    fk__node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->n_inputs = n_inputs;
    memcpy(n->inputs, inputs, sizeof(int) * (size_t)n_inputs);
    set_name(n->name, sizeof n->name, name);
    return n;
}

static int commit(fk__graph *g, fk__node *n, fk__shape shape)
{
    size_t count;
    if (!fk__shape_count(shape, &count) || count == 0)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': empty or overflowing output shape%s", n->name,
                     NULL);
    n->shape = shape;
    return g->n_nodes++;
}

static bool window_shape(fk__graph *g, const char *name, fk__shape in, int kh, int kw, int stride,
                         fk__padding pad, int *oh, int *ow, int *pt, int *pl)
{
    if (kh <= 0 || kw <= 0 || stride <= 0) {
        failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': bad kernel or stride%s", name, NULL);
        return false;
    }
    if (!fk__pad_axis(in.h, kh, stride, pad, oh, pt) || !fk__pad_axis(in.w, kw, stride, pad, ow, pl)) {
        failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': input smaller than the kernel%s", name, NULL);
        return false;
    }
    return true;
}

/* The explicit pads SAME or VALID gives (fk__pad_axis), so both builders share one path. */
static bool rule_pads(fk__graph *g, const char *name, fk__shape in, int kh, int kw, int stride, fk__padding pad,
                      fk__pads *p)
{
    int oh, ow;
    if (!window_shape(g, name, in, kh, kw, stride, pad, &oh, &ow, &p->top, &p->left))
        return false;
    p->bottom = (oh - 1) * stride + kh - in.h - p->top;
    p->right = (ow - 1) * stride + kw - in.w - p->left;
    /* VALID or a stride past the kernel: the last rows are never read, no padding after */
    if (p->bottom < 0)
        p->bottom = 0;
    if (p->right < 0)
        p->right = 0;
    return true;
}

/* Output size of explicit pads; false (sticky error) when a pad is negative or huge, or the
 * kernel is larger than the padded input. */
static bool pads_shape(fk__graph *g, const char *name, fk__shape in, int kh, int kw, int stride, fk__pads p, int *oh,
                       int *ow)
{
    const int lim = 1 << 12;
    if (kh <= 0 || kw <= 0 || stride <= 0 || kh > lim || kw > lim || stride > lim) {
        failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': bad kernel or stride%s", name, NULL);
        return false;
    }
    if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0 || p.top > lim || p.bottom > lim || p.left > lim ||
        p.right > lim) {
        failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': a negative or huge padding%s", name, NULL);
        return false;
    }
    int h = in.h + p.top + p.bottom, w = in.w + p.left + p.right;
    if (h < kh || w < kw) {
        failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': input smaller than the kernel%s", name, NULL);
        return false;
    }
    *oh = (h - kh) / stride + 1;
    *ow = (w - kw) / stride + 1;
    return true;
}

int fk__g_conv2d(fk__graph *g, int x, const char *name, int kh, int kw, int stride, fk__padding pad, int cout,
                 const float *weights, fk__epilogue ep)
{
    fk__pads p;
    if (g->status != FK_OK)
        return -1;
    if (x < 0 || x >= g->n_nodes)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': bad input%s", name, NULL);
    if (!rule_pads(g, name, g->nodes[x].shape, kh, kw, stride, pad, &p))
        return -1;
    return fk__g_conv2d_pads(g, x, name, kh, kw, stride, p, cout, weights, ep);
}

int fk__g_conv2d_pads(fk__graph *g, int x, const char *name, int kh, int kw, int stride, fk__pads pads, int cout,
                      const float *weights, fk__epilogue ep)
{
    fk__node *n = push(g, FK__OP_CONV2D, &x, 1, name);
    if (!n)
        return -1;
    fk__shape in = g->nodes[x].shape;
    int oh, ow;
    if (!pads_shape(g, name, in, kh, kw, stride, pads, &oh, &ow))
        return -1;
    /* the kernels' 1x1 stride-1 paths map output pixels onto input pixels one to one */
    if (kh == 1 && kw == 1 && stride == 1 && (pads.top | pads.bottom | pads.left | pads.right))
        return failf(g, FK_E_UNSUPPORTED, "%s: node '%s': a padded 1x1 convolution of stride 1%s", name, NULL);
    if (!weights || cout <= 0)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': missing weights%s", name, NULL);
    if (ep.act == FK__ACT_PRELU && !ep.slopes)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': PReLU without slopes%s", name, NULL);
    fk__conv2d_args *a = &n->u.conv;
    a->kh = kh;
    a->kw = kw;
    a->stride_h = a->stride_w = stride;
    a->pad_top = pads.top;
    a->pad_left = pads.left;
    a->cin = in.c;
    a->cout = cout;
    a->weights = weights;
    a->ep = ep;
    /* packed once here, so every plan and thread streams the same panels */
    size_t packed_floats = fk__conv2d_packed_floats(a);
    float *packed = packed_floats ? fk__graph_alloc(g, packed_floats) : NULL;
    if (!packed)
        return failf(g, FK_E_NO_MEMORY, "%s: node '%s': out of memory packing weights%s", name, NULL);
    fk__conv2d_pack(a, packed);
    a->packed = packed;
    return commit(g, n, fk__shape_make(1, oh, ow, cout));
}

int fk__g_dwconv(fk__graph *g, int x, const char *name, int kh, int kw, int stride, fk__padding pad,
                 const float *weights, fk__epilogue ep)
{
    fk__pads p;
    if (g->status != FK_OK)
        return -1;
    if (x < 0 || x >= g->n_nodes)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': bad input%s", name, NULL);
    if (!rule_pads(g, name, g->nodes[x].shape, kh, kw, stride, pad, &p))
        return -1;
    return fk__g_dwconv_pads(g, x, name, kh, kw, stride, p, weights, ep);
}

int fk__g_dwconv_pads(fk__graph *g, int x, const char *name, int kh, int kw, int stride, fk__pads pads,
                      const float *weights, fk__epilogue ep)
{
    fk__node *n = push(g, FK__OP_DWCONV, &x, 1, name);
    if (!n)
        return -1;
    fk__shape in = g->nodes[x].shape;
    int oh, ow;
    if (!pads_shape(g, name, in, kh, kw, stride, pads, &oh, &ow))
        return -1;
    if (!weights)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': missing weights%s", name, NULL);
    if (ep.act == FK__ACT_PRELU && !ep.slopes)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': PReLU without slopes%s", name, NULL);
    fk__dwconv_args *a = &n->u.dw;
    a->kh = kh;
    a->kw = kw;
    a->stride_h = a->stride_w = stride;
    a->pad_top = pads.top;
    a->pad_left = pads.left;
    a->c = in.c;
    a->weights = weights;
    a->ep = ep;
    return commit(g, n, fk__shape_make(1, oh, ow, in.c));
}

int fk__g_pool(fk__graph *g, int x, const char *name, fk__pool_kind kind, int k, int stride, fk__padding pad)
{
    fk__node *n = push(g, FK__OP_POOL, &x, 1, name);
    if (!n)
        return -1;
    fk__shape in = g->nodes[x].shape;
    int oh, ow, pt, pl;
    if (!window_shape(g, name, in, k, k, stride, pad, &oh, &ow, &pt, &pl))
        return -1;
    fk__pool_args *a = &n->u.pool;
    a->kind = kind;
    a->kh = a->kw = k;
    a->stride_h = a->stride_w = stride;
    a->pad_top = pt;
    a->pad_left = pl;
    return commit(g, n, fk__shape_make(1, oh, ow, in.c));
}

int fk__g_global_avgpool(fk__graph *g, int x, const char *name)
{
    fk__node *n = push(g, FK__OP_GLOBAL_AVGPOOL, &x, 1, name);
    if (!n)
        return -1;
    return commit(g, n, fk__shape_make(1, 1, 1, g->nodes[x].shape.c));
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

int fk__g_add(fk__graph *g, int a, int b, const char *name, fk__act act)
{
    int in[2] = {a, b};
    fk__node *n = push(g, FK__OP_ADD, in, 2, name);
    if (!n)
        return -1;
    fk__shape sa = g->nodes[a].shape, sb = g->nodes[b].shape;
    if (act == FK__ACT_PRELU)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': a PReLU needs its slopes%s", name, NULL);
    n->u.add.act = act;
    return commit(g, n, fk__shape_make(1, imax(sa.h, sb.h), imax(sa.w, sb.w), imax(sa.c, sb.c)));
}

int fk__g_affine(fk__graph *g, int x, const char *name, const float *scale, const float *shift, fk__act act,
                 float alpha)
{
    fk__node *n = push(g, FK__OP_AFFINE, &x, 1, name);
    if (!n)
        return -1;
    if (act == FK__ACT_PRELU)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': a PReLU needs its slopes (fk__g_prelu)%s", name, NULL);
    n->u.affine.scale = scale;
    n->u.affine.shift = shift;
    n->u.affine.act = act;
    n->u.affine.alpha = alpha;
    return commit(g, n, g->nodes[x].shape);
}

int fk__g_prelu(fk__graph *g, int x, const char *name, const float *slopes)
{
    fk__node *n = push(g, FK__OP_AFFINE, &x, 1, name);
    if (!n)
        return -1;
    if (!slopes)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': missing slopes%s", name, NULL);
    n->u.affine.act = FK__ACT_PRELU;
    n->u.affine.slopes = slopes;
    return commit(g, n, g->nodes[x].shape);
}

int fk__g_sigmoid(fk__graph *g, int x, const char *name)
{
    fk__node *n = push(g, FK__OP_SIGMOID, &x, 1, name);
    return n ? commit(g, n, g->nodes[x].shape) : -1;
}

int fk__g_softmax(fk__graph *g, int x, const char *name)
{
    fk__node *n = push(g, FK__OP_SOFTMAX, &x, 1, name);
    return n ? commit(g, n, g->nodes[x].shape) : -1;
}

int fk__g_concat(fk__graph *g, const int *xs, int count, const char *name)
{
    if (count <= 0)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': nothing to concatenate%s", name, NULL);
    fk__node *n = push(g, FK__OP_CONCAT, xs, count, name);
    if (!n)
        return -1;
    fk__shape s = g->nodes[xs[0]].shape;
    int c = 0;
    for (int i = 0; i < count; i++) {
        fk__shape si = g->nodes[xs[i]].shape;
        if (si.h != s.h || si.w != s.w)
            return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': inputs differ in height or width%s", name,
                         NULL);
        c += si.c;
    }
    return commit(g, n, fk__shape_make(1, s.h, s.w, c));
}

int fk__g_fc(fk__graph *g, int x, const char *name, int m, const float *weights, fk__epilogue ep)
{
    fk__node *n = push(g, FK__OP_FC, &x, 1, name);
    if (!n)
        return -1;
    fk__shape in = g->nodes[x].shape;
    size_t k;
    if (!fk__mul3_size((size_t)in.h, (size_t)in.w, (size_t)in.c, &k) || k > (size_t)1 << 30)
        return failf(g, FK_E_OVERFLOW, "%s: node '%s': input too large%s", name, NULL);
    if (!weights || m <= 0)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': missing weights%s", name, NULL);
    if (ep.act == FK__ACT_PRELU && !ep.slopes)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': PReLU without slopes%s", name, NULL);
    n->u.fc.k = (int)k;
    n->u.fc.m = m;
    n->u.fc.weights = weights;
    n->u.fc.ep = ep;
    return commit(g, n, fk__shape_make(1, 1, 1, m));
}

int fk__g_binary(fk__graph *g, int a, int b, const char *name, fk__binop op)
{
    int in[2] = {a, b};
    fk__node *n = push(g, FK__OP_BINARY, in, 2, name);
    if (!n)
        return -1;
    if (!fk__shape_eq(g->nodes[a].shape, g->nodes[b].shape) || op < 0 || op >= FK__BIN_COUNT)
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': operands of different shapes or a bad op%s", name, NULL);
    n->u.bin = op;
    return commit(g, n, g->nodes[a].shape);
}

int fk__g_slice(fk__graph *g, int x, const char *name, int c0, int step, int count)
{
    fk__node *n = push(g, FK__OP_SLICE, &x, 1, name);
    if (!n)
        return -1;
    fk__shape s = g->nodes[x].shape;
    if (c0 < 0 || step <= 0 || count <= 0 || c0 >= s.c || (long long)(count - 1) * step >= (long long)(s.c - c0))
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': a channel range outside the input%s", name, NULL);
    n->u.slice = (fk__slice_args){c0, step};
    s.c = count;
    return commit(g, n, s);
}

int fk__g_l2norm(fk__graph *g, int x, const char *name, float eps)
{
    fk__node *n = push(g, FK__OP_L2NORM, &x, 1, name);
    if (!n)
        return -1;
    if (!(eps >= 0.0f))
        return failf(g, FK_E_INVALID_ARGUMENT, "%s: node '%s': a negative or NaN epsilon%s", name, NULL);
    n->u.eps = eps;
    return commit(g, n, g->nodes[x].shape);
}

float *fk__graph_alloc(fk__graph *g, size_t count)
{
    if (g->status != FK_OK)
        return NULL;
    if (g->n_owned == g->cap_owned) {
        int cap = g->cap_owned ? g->cap_owned * 2 : 16;
        float **grown = realloc(g->owned, sizeof *grown * (size_t)cap);
        if (!grown) {
            failf(g, FK_E_NO_MEMORY, "%s: %s: out of memory%s", "alloc", NULL);
            return NULL;
        }
        g->owned = grown;
        g->cap_owned = cap;
    }
    float *p = calloc(count ? count : 1, sizeof(float));
    if (!p) {
        failf(g, FK_E_NO_MEMORY, "%s: %s: out of memory%s", "alloc", NULL);
        return NULL;
    }
    g->owned[g->n_owned++] = p;
    return p;
}

void fk__graph_mark_output(fk__graph *g, int node)
{
    if (g->status != FK_OK)
        return;
    if (node < 0 || node >= g->n_nodes || g->n_outputs == FK__MAX_OUTPUTS) {
        failf(g, FK_E_INVALID_ARGUMENT, "%s: %s: bad output%s", "output", NULL);
        return;
    }
    g->outputs[g->n_outputs++] = node;
}

fk_status fk__graph_finish(fk__graph *g, fk_error *err)
{
    if (g->status != FK_OK) {
        if (err)
            *err = g->err;
        return g->status;
    }
    if (g->n_outputs == 0)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: graph has no outputs", g->name);
    return FK_OK;
}

int fk__graph_node_count(const fk__graph *g)
{
    return g->n_nodes;
}

const fk__node *fk__graph_node(const fk__graph *g, int id)
{
    return &g->nodes[id];
}

fk__node *fk__graph_node_mut(fk__graph *g, int id)
{
    return &g->nodes[id];
}

int fk__graph_output_count(const fk__graph *g)
{
    return g->n_outputs;
}

int fk__graph_output(const fk__graph *g, int k)
{
    return g->outputs[k];
}

const char *fk__graph_name(const fk__graph *g)
{
    return g->name;
}

double fk__graph_flops(const fk__graph *g)
{
    double total = 0.0;
    for (int i = 1; i < g->n_nodes; i++) {
        const fk__node *n = &g->nodes[i];
        double pixels = (double)n->shape.h * n->shape.w;
        switch (n->op) {
        case FK__OP_CONV2D:
            total += 2.0 * pixels * n->shape.c * n->u.conv.kh * n->u.conv.kw * n->u.conv.cin;
            break;
        case FK__OP_DWCONV:
            total += 2.0 * pixels * n->shape.c * n->u.dw.kh * n->u.dw.kw;
            break;
        case FK__OP_FC:
            total += 2.0 * n->u.fc.k * n->u.fc.m;
            break;
        default:
            total += pixels * n->shape.c; /* one op per output element */
            break;
        }
    }
    return total;
}

double fk__graph_weight_bytes(const fk__graph *g)
{
    double total = 0.0;
    for (int i = 1; i < g->n_nodes; i++) {
        const fk__node *n = &g->nodes[i];
        switch (n->op) {
        case FK__OP_CONV2D: /* the packed panels, zero lanes of a last partial panel included */
            total += 4.0 * ((n->u.conv.cout + 15) / 16 * 16) * n->u.conv.kh * n->u.conv.kw * n->u.conv.cin;
            break;
        case FK__OP_DWCONV:
            total += 4.0 * n->u.dw.c * n->u.dw.kh * n->u.dw.kw;
            break;
        case FK__OP_FC:
            total += 4.0 * n->u.fc.k * n->u.fc.m;
            break;
        default:
            break;
        }
    }
    return total;
}

static bool is_owned(const fk__graph *g, const float *p)
{
    for (int i = 0; i < g->n_owned; i++)
        if (g->owned[i] == p)
            return true;
    return false;
}

/* *p (n floats) moved into graph-owned memory unless it is there already. */
static bool own(fk__graph *g, const float **p, size_t n)
{
    if (!*p || is_owned(g, *p))
        return true;
    float *copy = fk__graph_alloc(g, n);
    if (!copy)
        return false;
    memcpy(copy, *p, n * sizeof *copy);
    *p = copy;
    return true;
}

static bool own_epilogue(fk__graph *g, fk__epilogue *e, size_t n)
{
    return own(g, &e->bias, n) && own(g, &e->scale, n) && own(g, &e->shift, n) && own(g, &e->slopes, n);
}

fk_status fk__graph_own_weights(fk__graph *g, fk_error *err)
{
    if (g->status != FK_OK)
        return fk__graph_finish(g, err);
    for (int i = 1; i < g->n_nodes; i++) {
        fk__node *n = &g->nodes[i];
        size_t c = (size_t)n->shape.c;
        bool ok = true;
        switch (n->op) {
        case FK__OP_CONV2D:
            ok = n->u.conv.packed && own_epilogue(g, &n->u.conv.ep, c);
            n->u.conv.weights = NULL; /* the packed panels hold the same values */
            break;
        case FK__OP_DWCONV:
            ok = own(g, &n->u.dw.weights, (size_t)n->u.dw.kh * n->u.dw.kw * c) && own_epilogue(g, &n->u.dw.ep, c);
            break;
        case FK__OP_ADD:
            ok = own_epilogue(g, &n->u.add, c);
            break;
        case FK__OP_AFFINE:
            ok = own(g, &n->u.affine.scale, c) && own(g, &n->u.affine.shift, c) && own(g, &n->u.affine.slopes, c);
            break;
        case FK__OP_FC:
            ok = own(g, &n->u.fc.weights, (size_t)n->u.fc.k * n->u.fc.m) && own_epilogue(g, &n->u.fc.ep, c);
            break;
        default:
            break;
        }
        if (!ok && g->status == FK_OK)
            failf(g, FK_E_NO_MEMORY, "%s: node '%s': out of memory copying weights%s", n->name, NULL);
    }
    return fk__graph_finish(g, err);
}
