/* net.c: a trainable net built from an architecture string (a sequence, with skip/add/cat branches), its forward and backward passes over a batch.
 *
 * Invariants: params and grads share one layout (each layer's weights then bias at its offsets);
 * state holds what is learnt without a gradient (batch norm's running statistics). Activations
 * are sized for the largest batch seen so far and reused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "facekit/train.h"
#include "train/loss.h"
#include "train/net_internal.h"
#include "train/ops.h"

static const char *const kind_names[TL_COUNT] = {"fc",  "conv", "dw",   "lc",      "bn",   "relu", "prelu", "max",
                                                 "avg", "gap",  "drop", "l2",      "flatten", "skip", "add", "cat"};

static int parse_ints(const char *s, int *v, int max)
{
    int n = 0;
    while (*s == ':' && n < max) {
        char *end;
        long x = strtol(s + 1, &end, 10);
        if (end == s + 1 || x < 0 || x > 1 << 20)
            return -1;
        v[n++] = (int)x;
        s = end;
    }
    return *s ? -1 : n;
}

/* One layer's text (up to a comma) into l; its input shape is known, its output is set. */
static fk_status parse_layer(const char *txt, size_t len, tr_layer *l, fk__shape in, fk_error *err)
{
    char buf[64];
    if (len >= sizeof buf)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture: layer '%.*s' is too long", (int)len, txt);
    memcpy(buf, txt, len);
    buf[len] = 0;
    char *colon = strchr(buf, ':');
    size_t nlen = colon ? (size_t)(colon - buf) : len;
    int kind = -1;
    for (int k = 0; k < TL_COUNT; k++)
        if (strlen(kind_names[k]) == nlen && !strncmp(buf, kind_names[k], nlen))
            kind = k;
    if (kind < 0)
        return fk__fail(err, FK_E_INVALID_ARGUMENT,
                        "architecture: unknown layer '%s' (there are fc, conv, dw, lc, bn, relu, prelu, max, avg, "
                        "gap, drop, l2, flatten, skip, add, cat)",
                        buf);
    if ((size_t)in.h * (size_t)in.w * (size_t)in.c > ((size_t)1 << 28))
        return fk__fail(err, FK_E_LIMIT, "architecture: the input of '%s' has more than 2^28 values", buf);
    memset(l, 0, sizeof *l);
    l->kind = (tl_kind)kind;
    l->in = in;
    int v[4] = {0};
    int nv = 0;
    float p = 0;
    if (kind == TL_DROPOUT) {
        char *end;
        p = colon ? strtof(colon + 1, &end) : 0.5f;
        if (colon && (*end || end == colon + 1))
            nv = -1;
        if (!(p >= 0 && p < 1))
            nv = -1;
    } else {
        nv = colon ? parse_ints(colon, v, 4) : 0;
    }
    if (nv < 0)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture: bad arguments in '%s'", buf);
    int need_min = 0, need_max = 0;
    switch (kind) {
    case TL_FC: need_min = 1, need_max = 2; break;
    case TL_CONV: case TL_LC: need_min = 2, need_max = 4; break;
    case TL_DW: case TL_MAX: case TL_AVG: need_min = 1, need_max = 3; break;
    default: break;
    }
    if (kind != TL_DROPOUT && (nv < need_min || nv > need_max))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture: '%s' takes %d to %d numbers after ':'", buf,
                        need_min, need_max);
    l->drop = p;
    fk__shape o = in;
    if (kind == TL_FC) {
        if (v[0] < 1)
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture: '%s': no outputs", buf);
        l->k_in = in.h * in.w * in.c;
        if (nv == 2 && (v[1] > 1 || (v[1] == 1 && v[0] != l->k_in)))
            return fk__fail(err, FK_E_INVALID_ARGUMENT,
                            "architecture: '%s': fc:M:1 starts at the identity, so M must be its %d inputs", buf,
                            l->k_in);
        l->identity = nv == 2 && v[1] == 1;
        o = fk__shape_make(in.n, 1, 1, v[0]);
        l->wcount = (size_t)v[0] * (size_t)l->k_in;
        l->bcount = (size_t)v[0];
    } else if (kind == TL_CONV || kind == TL_LC || kind == TL_DW || kind == TL_MAX || kind == TL_AVG) {
        int co = kind == TL_CONV || kind == TL_LC ? v[0] : in.c;
        const int *g = kind == TL_CONV || kind == TL_LC ? v + 1 : v;
        int gn = kind == TL_CONV || kind == TL_LC ? nv - 1 : nv;
        int k = g[0], s = gn > 1 ? g[1] : 1, pad = gn > 2 ? g[2] : 0;
        if (co < 1 || k < 1 || s < 1 || pad >= k)
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture: '%s': bad kernel, stride or padding", buf);
        if (in.h + 2 * pad < k || in.w + 2 * pad < k)
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture: '%s': a %dx%d kernel on a %dx%d input", buf, k,
                            k, in.h, in.w);
        tr_conv a = {in.n, in.h, in.w, in.c, (in.h + 2 * pad - k) / s + 1, (in.w + 2 * pad - k) / s + 1, co, k, k, s,
                     pad, pad};
        l->g = a;
        o = fk__shape_make(in.n, a.oh, a.ow, co);
        size_t taps = (size_t)k * (size_t)k;
        if (kind == TL_CONV) {
            l->wcount = (size_t)co * taps * (size_t)in.c;
            l->bcount = (size_t)co;
        } else if (kind == TL_LC) {
            size_t pos = (size_t)a.oh * (size_t)a.ow;
            if (!fk__mul4_size(pos, (size_t)co, taps, (size_t)in.c, &l->wcount))
                return fk__fail(err, FK_E_OVERFLOW, "architecture: '%s' is too large", buf);
            l->bcount = pos * (size_t)co;
        } else if (kind == TL_DW) {
            l->wcount = taps * (size_t)in.c;
            l->bcount = (size_t)in.c;
        }
    } else if (kind == TL_BN) {
        l->wcount = l->bcount = (size_t)in.c; /* gamma, beta */
        l->scount = 2 * (size_t)in.c;         /* running mean, running variance */
    } else if (kind == TL_PRELU) {
        l->wcount = (size_t)in.c;
    } else if (kind == TL_GAP || kind == TL_FLATTEN) {
        o = kind == TL_GAP ? fk__shape_make(in.n, 1, 1, in.c) : fk__shape_make(in.n, 1, 1, in.h * in.w * in.c);
    }
    if ((size_t)o.h * (size_t)o.w * (size_t)o.c > ((size_t)1 << 28))
        return fk__fail(err, FK_E_LIMIT, "architecture: '%s' gives %dx%dx%d values a sample, more than 2^28", buf, o.h,
                        o.w, o.c);
    l->out = o;
    return FK_OK;
}

void fk_tnet_free(fk_tnet *net)
{
    if (!net)
        return;
    for (int i = 0; i < net->nl; i++) {
        free(net->l[i].act);
        free(net->l[i].dact);
        free(net->l[i].save);
        free(net->l[i].arg);
    }
    free(net->l);
    fk__tnet_fast_free(net);
    free(net->params);
    free(net->grads);
    free(net->state);
    free(net->arch);
    free(net);
}

/* He initialisation (normal, fan-in), biases zero, batch norm at identity, PReLU slopes 0.25 */
static void init_params(fk_tnet *net, uint64_t seed)
{
    uint64_t s = seed;
    for (int i = 0; i < net->nl; i++) {
        tr_layer *l = &net->l[i];
        float *w = net->params + l->wofs, *st = net->state + l->sofs;
        if (l->kind == TL_BN) {
            for (size_t j = 0; j < l->wcount; j++)
                w[j] = 1, st[j] = 0, st[l->wcount + j] = 1;
            continue;
        }
        if (l->kind == TL_PRELU) {
            for (size_t j = 0; j < l->wcount; j++)
                w[j] = 0.25f;
            continue;
        }
        if (l->identity) {
            for (int r = 0; r < l->out.c; r++)
                w[(size_t)r * l->k_in + r] = 1;
            continue;
        }
        double fan = l->kind == TL_FC ? l->k_in
                     : l->kind == TL_DW ? (double)l->g.kh * l->g.kw
                                        : (double)l->g.kh * l->g.kw * l->g.ci;
        double sd = fan > 0 ? sqrt(2.0 / fan) : 0;
        for (size_t j = 0; j < l->wcount; j++)
            w[j] = (float)(fk__tr_gauss(&s) * sd);
    }
}

fk_status fk_tnet_new(const char *arch, int h, int w, int c, uint64_t seed, fk_tnet **out, fk_error *err)
{
    return fk__tnet_new_limited(arch, h, w, c, seed, (size_t)1 << 31, out, err);
}

fk_status fk__tnet_new_limited(const char *arch, int h, int w, int c, uint64_t seed, size_t max_params, fk_tnet **out,
                               fk_error *err)
{
    if (!arch || !out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_tnet_new: NULL argument");
    *out = NULL;
    if (h < 1 || w < 1 || c < 1 || h > 4096 || w > 4096 || c > 1 << 16)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_tnet_new: input %dx%dx%d out of range", h, w, c);
    fk_tnet *net = calloc(1, sizeof *net);
    size_t alen = strlen(arch);
    if (net)
        net->arch = malloc(alen + 1);
    if (!net || !net->arch) {
        fk_tnet_free(net);
        return fk__fail(err, FK_E_NO_MEMORY, "fk_tnet_new: out of memory");
    }
    memcpy(net->arch, arch, alen + 1);
    net->in = fk__shape_make(1, h, w, c);
    fk__shape cur = net->in;
    const char *p = arch;
    fk_status st = FK_OK;
    int open[64], nopen = 0; /* the skips not yet closed, latest last */
    while (st == FK_OK && *p) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            st = fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture '%s': an empty layer", arch);
            break;
        }
        tr_layer *nl = realloc(net->l, (size_t)(net->nl + 1) * sizeof *nl);
        if (!nl) {
            st = fk__fail(err, FK_E_NO_MEMORY, "fk_tnet_new: out of memory");
            break;
        }
        net->l = nl;
        st = parse_layer(p, len, &net->l[net->nl], cur, err);
        if (st != FK_OK)
            break;
        tr_layer *l = &net->l[net->nl++];
        if (l->kind == TL_SKIP) {
            if (nopen == (int)(sizeof open / sizeof *open)) {
                st = fk__fail(err, FK_E_LIMIT, "architecture '%s': more than 64 skips open at once", arch);
                break;
            }
            open[nopen++] = net->nl - 1;
        } else if (l->kind == TL_ADD || l->kind == TL_CAT) {
            if (!nopen) {
                st = fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture '%s': layer %d (%s) has no open skip to take",
                              arch, net->nl, kind_names[l->kind]);
                break;
            }
            tr_layer *s = &net->l[open[--nopen]];
            fk__shape so = s->out;
            int same = so.h == cur.h && so.w == cur.w && (l->kind == TL_CAT || so.c == cur.c);
            if (!same) {
                st = fk__fail(err, FK_E_INVALID_ARGUMENT,
                              "architecture '%s': layer %d (%s) takes %dx%dx%d from its skip on a %dx%dx%d input", arch,
                              net->nl, kind_names[l->kind], so.h, so.w, so.c, cur.h, cur.w, cur.c);
                break;
            }
            if (l->kind == TL_CAT && (size_t)cur.h * cur.w * ((size_t)cur.c + so.c) > ((size_t)1 << 28)) {
                st = fk__fail(err, FK_E_LIMIT, "architecture '%s': layer %d (cat) gives more than 2^28 values a sample",
                              arch, net->nl);
                break;
            }
            if (l->kind == TL_CAT)
                l->out.c = cur.c + so.c;
            l->partner = open[nopen];
            s->partner = net->nl - 1;
        }
        l->wofs = net->nparams;
        l->bofs = l->wofs + l->wcount;
        l->sofs = net->nstate;
        size_t count;
        if (!fk__add_size(net->nparams, l->wcount, &count) || !fk__add_size(count, l->bcount, &net->nparams) ||
            net->nparams > max_params) {
            st = fk__fail(err, FK_E_LIMIT, "architecture '%s': more than %zu parameters", arch, max_params);
            break;
        }
        net->nstate += l->scount;
        cur = l->out;
        p += len;
        if (*p == ',')
            p++;
    }
    if (st == FK_OK && net->nl == 0)
        st = fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture '%s': no layers", arch);
    if (st == FK_OK && nopen)
        st = fk__fail(err, FK_E_INVALID_ARGUMENT, "architecture '%s': the skip at layer %d is never closed by add or cat",
                      arch, open[nopen - 1] + 1);
    if (st == FK_OK) {
        net->params = calloc(net->nparams ? net->nparams : 1, sizeof(float));
        net->grads = calloc(net->nparams ? net->nparams : 1, sizeof(float));
        net->state = calloc(net->nstate ? net->nstate : 1, sizeof(float));
        if (!net->params || !net->grads || !net->state)
            st = fk__fail(err, FK_E_NO_MEMORY, "fk_tnet_new: out of memory for %zu parameters", net->nparams);
    }
    if (st != FK_OK) {
        fk_tnet_free(net);
        return st;
    }
    net->out_dim = cur.h * cur.w * cur.c;
    for (int i = 0; i < net->nl; i++) {
        tr_layer *l = &net->l[i];
        if (l->kind == TL_CONV || l->kind == TL_LC) {
            l->sub = l->kind == TL_CONV ? fk__trf_conv_sub(&l->g) : fk__trf_lc_sub(&l->g);
            if (2 * fk__trf_conv_scratch(&l->g, l->sub) > net->scratch_n)
                net->scratch_n = 2 * fk__trf_conv_scratch(&l->g, l->sub);
        }
        if (l->in.c > net->cmax)
            net->cmax = l->in.c;
    }
    net->rng = seed ^ 0x5DEECE66Dull;
    init_params(net, seed);
    *out = net;
    return FK_OK;
}

/* sizes every buffer for a batch of n */
static fk_status reserve(fk_tnet *net, int n, fk_error *err)
{
    if (n <= net->cap)
        return FK_OK;
    for (int i = 0; i < net->nl; i++) {
        tr_layer *l = &net->l[i];
        size_t cnt, scnt = 0;
        fk__shape o = l->out;
        o.n = n;
        if (!fk__shape_count(o, &cnt) || cnt > SIZE_MAX / sizeof(float))
            return fk__fail(err, FK_E_OVERFLOW, "batch of %d: activations overflow", n);
        if (l->kind == TL_BN)
            scnt = 2 * (size_t)l->in.c;
        else if (l->kind == TL_L2NORM)
            scnt = (size_t)n * l->out.h * l->out.w;
        else if (l->kind == TL_DROPOUT)
            scnt = cnt;
        else if (l->kind == TL_CAT)
            scnt = (size_t)n * l->out.h * l->out.w * (size_t)(l->out.c - l->in.c);
        float *a = realloc(l->act, cnt * sizeof(float)), *da = a ? realloc(l->dact, cnt * sizeof(float)) : NULL;
        if (a)
            l->act = a;
        if (da)
            l->dact = da;
        if (!a || !da)
            return fk__fail(err, FK_E_NO_MEMORY, "batch of %d: out of memory", n);
        if (scnt) {
            float *s = realloc(l->save, scnt * sizeof(float));
            if (!s)
                return fk__fail(err, FK_E_NO_MEMORY, "batch of %d: out of memory", n);
            l->save = s;
        }
        if (l->kind == TL_MAX) {
            size_t *g = realloc(l->arg, cnt * sizeof *g);
            if (!g)
                return fk__fail(err, FK_E_NO_MEMORY, "batch of %d: out of memory", n);
            l->arg = g;
        }
    }
    net->cap = n;
    return FK_OK;
}

static size_t rows_of(fk__shape s, int n)
{
    return (size_t)n * (size_t)s.h * (size_t)s.w;
}

fk_status fk_tnet_forward(fk_tnet *net, const float *x, int n, int train, const float **out, fk_error *err)
{
    if (!net || !x || !out || n < 1)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_tnet_forward: bad argument");
    fk_status st = reserve(net, n, err);
    if (st == FK_OK && !net->reference)
        st = fk__tnet_fast_prepare(net, err);
    if (st != FK_OK)
        return st;
    net->x = x;
    net->n = n;
    net->train = train;
    const float *in = x;
    for (int i = 0; i < net->nl; i++) {
        tr_layer *l = &net->l[i];
        float *y = l->act, *w = net->params + l->wofs, *b = net->params + l->bofs, *s = net->state + l->sofs;
        size_t cnt = rows_of(l->out, n) * (size_t)l->out.c;
        tr_conv g = l->g;
        g.n = n;
        if (!net->reference && fk__tnet_fast_fwd(net, l, in, y, n, train)) {
            in = y;
            continue;
        }
        switch (l->kind) {
        case TL_FC: fk__trf_fc_fwd(in, w, b, y, n, l->k_in, l->out.c); break;
        case TL_CONV: fk__trf_conv_fwd(in, w, b, y, &g); break;
        case TL_DW: fk__trf_dwconv_fwd(in, w, b, y, &g); break;
        case TL_LC: fk__trf_lc_fwd(in, w, b, y, &g); break;
        case TL_BN:
            fk__trf_bn_fwd(in, w, b, y, rows_of(l->in, n), l->in.c, train, 1e-5f, 0.1f, l->save, l->save + l->in.c, s,
                           s + l->in.c);
            break;
        case TL_RELU: fk__trf_relu_fwd(in, y, cnt); break;
        case TL_PRELU: fk__trf_prelu_fwd(in, w, y, rows_of(l->in, n), l->in.c); break;
        case TL_MAX: fk__trf_maxpool_fwd(in, y, l->arg, &g); break;
        case TL_AVG: fk__trf_avgpool_fwd(in, y, &g); break;
        case TL_GAP: fk__trf_gap_fwd(in, y, n, l->in.h * l->in.w, l->in.c); break;
        case TL_DROPOUT:
            if (train) {
                float keep = 1 / (1 - l->drop);
                for (size_t j = 0; j < cnt; j++)
                    l->save[j] = (double)(fk__tr_splitmix(&net->rng) >> 11) / 9007199254740992.0 < l->drop ? 0 : keep;
                fk__trf_mul_fwd(in, l->save, y, cnt);
            } else {
                memcpy(y, in, cnt * sizeof(float));
            }
            break;
        case TL_L2NORM: fk__trf_l2norm_fwd(in, y, l->save, rows_of(l->in, n), l->in.c, 1e-12f); break;
        case TL_FLATTEN: case TL_SKIP: memcpy(y, in, cnt * sizeof(float)); break;
        case TL_ADD: fk__trf_add_fwd(in, net->l[l->partner].act, y, cnt); break;
        case TL_CAT:
            fk__trf_concat_fwd(in, l->in.c, net->l[l->partner].act, l->out.c - l->in.c, y, rows_of(l->out, n));
            break;
        default: break;
        }
        in = y;
    }
    *out = in;
    return FK_OK;
}

fk_status fk_tnet_backward(fk_tnet *net, const float *dy, fk_error *err)
{
    if (!net || !dy || !net->n)
        return fk__fail(err, FK_E_BAD_STATE, "fk_tnet_backward: no forward pass to go back through");
    if (!net->train)
        return fk__fail(err, FK_E_BAD_STATE, "fk_tnet_backward: the forward pass was not in training mode");
    int n = net->n;
    for (int i = net->nl - 1; i >= 0; i--) {
        tr_layer *l = &net->l[i];
        const float *g = i == net->nl - 1 ? dy : l->dact; /* dL/d(this output), written by the layer above */
        const float *in = i == 0 ? net->x : net->l[i - 1].act;
        float *dx = i == 0 ? NULL : net->l[i - 1].dact; /* the input image needs no gradient */
        size_t icnt = rows_of(l->in, n) * (size_t)l->in.c;
        if (!net->reference && fk__tnet_fast_bwd(net, l, in, g, dx, n))
            continue;
        if (dx)
            memset(dx, 0, icnt * sizeof(float));
        float *w = net->params + l->wofs, *dw = net->grads + l->wofs, *db = net->grads + l->bofs;
        tr_conv c = l->g;
        c.n = n;
        switch (l->kind) {
        case TL_FC: fk__trf_fc_bwd(in, w, g, dx, dw, db, n, l->k_in, l->out.c); break;
        case TL_CONV: fk__trf_conv_bwd(in, w, g, dx, dw, db, &c); break;
        case TL_DW: fk__trf_dwconv_bwd(in, w, g, dx, dw, db, &c); break;
        case TL_LC: fk__trf_lc_bwd(in, w, g, dx, dw, db, &c); break;
        case TL_BN: {
            /* the input's gradient is needed for gamma's and beta's even on the first layer */
            float *tmp = dx;
            if (!tmp && !(tmp = calloc(icnt, sizeof(float))))
                return fk__fail(err, FK_E_NO_MEMORY, "fk_tnet_backward: out of memory");
            fk__trf_bn_bwd(in, w, l->save, l->save + l->in.c, g, tmp, dw, db, rows_of(l->in, n), l->in.c);
            if (!dx)
                free(tmp);
            break;
        }
        default:
            if (!dx)
                break;
            switch (l->kind) {
            case TL_RELU: fk__trf_relu_bwd(in, g, dx, icnt); break;
            case TL_MAX: fk__trf_maxpool_bwd(l->arg, g, dx, rows_of(l->out, n) * (size_t)l->out.c); break;
            case TL_AVG: fk__trf_avgpool_bwd(g, dx, &c); break;
            case TL_GAP: fk__trf_gap_bwd(g, dx, n, l->in.h * l->in.w, l->in.c); break;
            case TL_DROPOUT: fk__trf_mul_bwd(l->save, g, dx, icnt); break;
            case TL_L2NORM: fk__trf_l2norm_bwd(in, l->save, g, dx, rows_of(l->in, n), l->in.c, 1e-12f); break;
            case TL_FLATTEN: case TL_ADD: fk__trf_acc(g, dx, icnt); break;
            case TL_SKIP: {
                /* both of its consumers: the next layer (its dact) and its add or cat */
                const tr_layer *q = &net->l[l->partner];
                fk__trf_acc(g, dx, icnt);
                const float *qg = q->kind == TL_CAT ? q->save : l->partner == net->nl - 1 ? dy : q->dact;
                fk__trf_acc(qg, dx, icnt);
                break;
            }
            default: break;
            }
        }
        if (l->kind == TL_CAT) {
            /* the skip's share waits in save until the skip's own turn (layers between overwrite dacts) */
            size_t rows = rows_of(l->out, n), cb = (size_t)(l->out.c - l->in.c);
            memset(l->save, 0, rows * cb * sizeof(float));
            float *tmp = dx;
            if (!tmp && !(tmp = calloc(icnt, sizeof(float))))
                return fk__fail(err, FK_E_NO_MEMORY, "fk_tnet_backward: out of memory");
            fk__trf_concat_bwd(g, tmp, l->in.c, l->save, (int)cb, rows);
            if (!dx)
                free(tmp);
        }
        if (l->kind == TL_PRELU) {
            float *tmp = dx;
            if (!tmp && !(tmp = calloc(icnt, sizeof(float))))
                return fk__fail(err, FK_E_NO_MEMORY, "fk_tnet_backward: out of memory");
            fk__trf_prelu_bwd(in, w, g, tmp, dw, rows_of(l->in, n), l->in.c);
            if (!dx)
                free(tmp);
        }
    }
    return FK_OK;
}

void fk_tnet_set_reference(fk_tnet *net, int on)
{
    if (net)
        net->reference = on != 0;
}

void fk_tnet_zero_grad(fk_tnet *net)
{
    if (net)
        memset(net->grads, 0, net->nparams * sizeof(float));
}

size_t fk_tnet_param_count(const fk_tnet *net)
{
    return net ? net->nparams : 0;
}

float *fk_tnet_params(fk_tnet *net)
{
    return net ? net->params : NULL;
}

float *fk_tnet_grads(fk_tnet *net)
{
    return net ? net->grads : NULL;
}

int fk_tnet_out_dim(const fk_tnet *net)
{
    return net ? net->out_dim : 0;
}

int fk_tnet_layer_count(const fk_tnet *net)
{
    return net ? net->nl : 0;
}

fk_status fk_tnet_layer(const fk_tnet *net, int i, fk_tnet_layer_info *info)
{
    if (!net || !info || i < 0 || i >= net->nl)
        return FK_E_INVALID_ARGUMENT;
    const tr_layer *l = &net->l[i];
    info->kind = kind_names[l->kind];
    info->weights = l->wofs;
    info->weight_count = l->wcount;
    info->bias = l->bofs;
    info->bias_count = l->bcount;
    info->out_h = l->out.h;
    info->out_w = l->out.w;
    info->out_c = l->out.c;
    return FK_OK;
}

double fk_tnet_flops(const fk_tnet *net)
{
    double f = 0;
    for (int i = 0; net && i < net->nl; i++) {
        const tr_layer *l = &net->l[i];
        double outs = (double)l->out.h * l->out.w * l->out.c;
        if (l->kind == TL_FC)
            f += 2.0 * l->k_in * l->out.c;
        else if (l->kind == TL_CONV || l->kind == TL_LC)
            f += 2.0 * outs * l->g.kh * l->g.kw * l->g.ci;
        else if (l->kind == TL_DW)
            f += 2.0 * outs * l->g.kh * l->g.kw;
    }
    return f;
}
