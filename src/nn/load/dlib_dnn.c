/* dlib_dnn.c: dlib's DNN serialization (loss, nested layers, input, tensors) parsed from memory with every read bounds-checked. */
#include "nn/load/dlib_dnn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/file.h"
#include "face/ert/dat_reader.h"
#include "nn/load/weights.h"

/* dlib writes a tensor's floats as raw little-endian IEEE singles; this reader copies them as
 * they are, so it needs a little-endian host (every platform facekit builds on). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dlib_dnn.c reads little-endian floats in place"
#endif

#define MAX_NAME 64       /* a layer, input or loss name */
#define MAX_TENSOR ((uint64_t)1 << 28) /* floats in one tensor: 1 GiB */

typedef struct parser {
    fk__dat_reader r;
    const char *name;
    fk__dlib_net *net;
} parser;

/* ---- names and messages ----------------------------------------------------------------- */

/* dlib's name without its version digits: "con_4" -> "con_", "bn_con2" -> "bn_con". */
static void display_name(const char *name, char *buf, size_t n)
{
    size_t len = strlen(name);
    while (len > 0 && name[len - 1] >= '0' && name[len - 1] <= '9')
        len--;
    if (len == 0)
        len = strlen(name);
    snprintf(buf, n, "%.*s", (int)len, name);
}

const char *fk__dlib_layer_label(const fk__dlib_layer *l, char *buf, size_t n)
{
    char d[MAX_NAME];
    display_name(l->name, d, sizeof d);
    snprintf(buf, n, "layer %d (%s)", l->index, d);
    return buf;
}

static void set_ctx(parser *p, int index, const char *name)
{
    if (name && *name) {
        char d[MAX_NAME];
        display_name(name, d, sizeof d);
        snprintf(p->r.ctx, sizeof p->r.ctx, "layer %d (%s)", index, d);
    } else {
        snprintf(p->r.ctx, sizeof p->r.ctx, "layer %d", index);
    }
}

static bool fail(parser *p, fk_status st, const char *what)
{
    return fk__dat_fail(&p->r, st, "%s", what);
}

static bool no_memory(parser *p)
{
    return fail(p, FK_E_NO_MEMORY, "out of memory");
}

/* ---- dlib's encodings --------------------------------------------------------------------- */

static bool rd_int(parser *p, unsigned bytes, int64_t lo, int64_t hi, int64_t *v, const char *what)
{
    if (!fk__dat_int(&p->r, bytes, v, what))
        return false;
    if (*v < lo || *v > hi)
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s is %lld, outside %lld..%lld", what, (long long)*v,
                            (long long)lo, (long long)hi);
    return true;
}

static bool rd_uint(parser *p, unsigned bytes, uint64_t hi, uint64_t *v, const char *what)
{
    if (!fk__dat_uint(&p->r, bytes, v, what))
        return false;
    if (*v > hi)
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s is %llu, more than %llu", what, (unsigned long long)*v,
                            (unsigned long long)hi);
    return true;
}

/* An int (4 bytes) in lo..hi, as an int. */
static bool rd_i32(parser *p, int lo, int hi, int *v, const char *what)
{
    int64_t x;
    if (!rd_int(p, 4, lo, hi, &x, what))
        return false;
    *v = (int)x;
    return true;
}

/* A long (8 bytes) in lo..hi, as an int. */
static bool rd_long(parser *p, int lo, int hi, int *v, const char *what)
{
    int64_t x;
    if (!rd_int(p, 8, lo, hi, &x, what))
        return false;
    *v = (int)x;
    return true;
}

/* dlib's bool: the character '0' or '1'. */
static bool rd_bool(parser *p, bool *v, const char *what)
{
    if (!fk__dat_fill(&p->r, 1, what))
        return false;
    uint8_t c = *p->r.p;
    if (c != '0' && c != '1')
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s is byte 0x%02x, not dlib's bool '0' or '1'", what, c);
    p->r.p++;
    *v = c == '1';
    return true;
}

/* A byte (dlib writes unsigned char raw). */
static bool rd_byte(parser *p, uint8_t *v, const char *what)
{
    if (!fk__dat_fill(&p->r, 1, what))
        return false;
    *v = *p->r.p++;
    return true;
}

/* A double: float_details as for a float (a 64-bit mantissa, a 16-bit exponent), computed as
 * ldexp((double)mantissa, exponent); inf and NaN refused. */
static bool rd_double(parser *p, double *v, const char *what)
{
    if (!fk__dat_fill(&p->r, 1, what))
        return false;
    if (*p->r.p & 0x70u)
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT,
                            "%s is not in dlib's binary float encoding (byte 0x%02x; corrupt, or dlib's old "
                            "text encoding, which is not supported)",
                            what, *p->r.p);
    int64_t m, e;
    if (!fk__dat_int(&p->r, 8, &m, what) || !fk__dat_int(&p->r, 2, &e, what))
        return false;
    if (e >= 32000)
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s is %s", what,
                            e == 32000 ? "inf" : e == 32001 ? "-inf" : "NaN");
    double d = ldexp((double)m, (int)e);
    if (!isfinite(d))
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s overflows a double", what);
    *v = d;
    return true;
}

static bool rd_float(parser *p, float *v, const char *what)
{
    return fk__dat_float(&p->r, v, what);
}

/* A std::string (an unsigned long length, then the bytes) of at most cap - 1 bytes, no NUL. */
static bool rd_string(parser *p, char *buf, size_t cap, const char *what)
{
    uint64_t n;
    buf[0] = 0;
    if (!fk__dat_uint(&p->r, 8, &n, what))
        return false;
    if (n >= cap)
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s is %llu bytes long, more than a name can be", what,
                            (unsigned long long)n);
    if (!fk__dat_fill(&p->r, (size_t)n, what))
        return false;
    if (memchr(p->r.p, 0, (size_t)n))
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s holds a NUL byte", what);
    memcpy(buf, p->r.p, (size_t)n);
    buf[n] = 0;
    p->r.p += n;
    return true;
}

/* A resizable_tensor's header: version 2 and four dims; *count their product, checked against
 * what remains of the file. */
static bool rd_tensor_head(parser *p, int64_t dims[4], size_t *count, const char *what)
{
    int64_t version;
    if (!fk__dat_int(&p->r, 4, &version, what))
        return false;
    if (version != 2)
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s: tensor version %lld, expected 2", what,
                            (long long)version);
    size_t n = 1;
    for (int i = 0; i < 4; i++) {
        if (!rd_int(p, 8, 0, INT32_MAX, &dims[i], what))
            return false;
        if (!fk__mul_size(n, (size_t)dims[i], &n) || n > MAX_TENSOR)
            return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s: a tensor of %lld x %lld x %lld x %lld floats is too large",
                                what, (long long)dims[0], (long long)dims[1], (long long)dims[2],
                                (long long)dims[3]);
    }
    if ((uint64_t)n * 4 > fk__dat_remaining(&p->r))
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT,
                            "%s: a tensor of %zu floats, but only %llu bytes remain (truncated or corrupt)", what, n,
                            (unsigned long long)fk__dat_remaining(&p->r));
    *count = n;
    return true;
}

/* The next count raw floats, copied to dst (NULL: skipped); each must be finite when copied. */
static bool rd_floats(parser *p, size_t count, float *dst, const char *what)
{
    if (!fk__dat_fill(&p->r, count * 4, what))
        return false;
    if (dst) {
        memcpy(dst, p->r.p, count * 4);
        for (size_t i = 0; i < count; i++)
            if (!isfinite(dst[i])) {
                p->r.p += i * 4; /* the message points at the value */
                return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s in %s, value %zu of %zu",
                                    isnan(dst[i]) ? "a NaN" : "an infinity", what, i, count);
            }
    }
    p->r.p += count * 4;
    return true;
}

/* A tensor read and dropped (gradients, cached outputs). */
static bool skip_tensor(parser *p, const char *what)
{
    int64_t dims[4];
    size_t n = 0;
    return rd_tensor_head(p, dims, &n, what) && rd_floats(p, n, NULL, what);
}

/* A tensor whose floats are kept: a new array of *count floats (NULL when empty). */
static bool rd_tensor(parser *p, float **out, size_t *count, const char *what)
{
    int64_t dims[4];
    *out = NULL;
    if (!rd_tensor_head(p, dims, count, what))
        return false;
    if (*count == 0)
        return true;
    *out = malloc(*count * sizeof(float));
    if (!*out)
        return no_memory(p);
    if (!rd_floats(p, *count, *out, what)) {
        free(*out);
        *out = NULL;
        return false;
    }
    return true;
}

/* An alias_tensor: version 1 and four dims; *count their product (within MAX_TENSOR). */
static bool rd_alias(parser *p, int64_t dims[4], size_t *count, const char *what)
{
    int64_t version;
    if (!fk__dat_int(&p->r, 4, &version, what))
        return false;
    if (version != 1)
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s: alias tensor version %lld, expected 1", what,
                            (long long)version);
    size_t n = 1;
    for (int i = 0; i < 4; i++) {
        if (!rd_int(p, 8, 0, INT32_MAX, &dims[i], what))
            return false;
        if (!fk__mul_size(n, (size_t)dims[i], &n) || n > MAX_TENSOR)
            return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s is too large", what);
    }
    *count = n;
    return true;
}

/* A new array holding params[offset, offset + n) (n > 0). */
static float *slice(parser *p, const float *params, size_t offset, size_t n)
{
    float *a = malloc(n * sizeof(float));
    if (!a) {
        no_memory(p);
        return NULL;
    }
    memcpy(a, params + offset, n * sizeof(float));
    return a;
}

/* The four learning-rate and weight-decay multipliers dlib keeps with a layer's parameters. */
static bool skip_multipliers(parser *p)
{
    double d;
    return rd_double(p, &d, "the learning rate multiplier") && rd_double(p, &d, "the weight decay multiplier") &&
           rd_double(p, &d, "the bias learning rate multiplier") &&
           rd_double(p, &d, "the bias weight decay multiplier");
}

/* ---- layers ------------------------------------------------------------------------------- */

static bool parse_con(parser *p, fk__dlib_layer *l)
{
    fk__dlib_con *c = &l->u.con;
    bool v5 = strcmp(l->name, "con_5") == 0;
    float *params = NULL;
    size_t np, nf, nb;
    int64_t fd[4], bd[4];
    int nr, nc;
    bool use_bias = true;
    if (!rd_tensor(p, &params, &np, "its parameters"))
        return false;
    bool ok = rd_long(p, 1, FK__DLIB_MAX_DIM, &c->num_filters, "the filter count") &&
              rd_long(p, 0, FK__DLIB_MAX_DIM, &nr, "the filter rows") &&
              rd_long(p, 0, FK__DLIB_MAX_DIM, &nc, "the filter columns") &&
              rd_i32(p, 1, FK__DLIB_MAX_DIM, &c->stride_y, "the row stride") &&
              rd_i32(p, 1, FK__DLIB_MAX_DIM, &c->stride_x, "the column stride") &&
              rd_i32(p, 0, FK__DLIB_MAX_DIM, &c->pad_y, "the row padding") &&
              rd_i32(p, 0, FK__DLIB_MAX_DIM, &c->pad_x, "the column padding") &&
              rd_alias(p, fd, &nf, "the filters' shape") && rd_alias(p, bd, &nb, "the biases' shape") &&
              skip_multipliers(p) && (!v5 || rd_bool(p, &use_bias, "use_bias"));
    if (!ok)
        goto fail;
    if (np == 0) {
        fail(p, FK_E_BAD_FORMAT, "it has no parameters (a network saved before it was trained?)");
        goto fail;
    }
    if (fd[0] != c->num_filters || fd[1] < 1 || fd[1] > FK__DLIB_MAX_DIM || fd[2] < 1 || fd[3] < 1 ||
        (nr && fd[2] != nr) || (nc && fd[3] != nc)) {
        fk__dat_fail(&p->r, FK_E_BAD_FORMAT,
                     "its filters are %lld x %lld x %lld x %lld, which does not fit %d filters of %d x %d",
                     (long long)fd[0],
                     (long long)fd[1], (long long)fd[2], (long long)fd[3], c->num_filters, nr, nc);
        goto fail;
    }
    c->k = (int)fd[1];
    c->nr = (int)fd[2];
    c->nc = (int)fd[3];
    if (c->pad_y >= c->nr || c->pad_x >= c->nc) {
        fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "its padding %d x %d is not smaller than its %d x %d filters", c->pad_y,
                     c->pad_x, c->nr, c->nc);
        goto fail;
    }
    size_t want = nf + (use_bias ? (size_t)c->num_filters : 0);
    if (use_bias && nb != (size_t)c->num_filters) {
        fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "it has %zu biases for %d filters", nb, c->num_filters);
        goto fail;
    }
    if (np != want) {
        fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "it holds %zu parameters, but %d filters of %d x %d x %d%s need %zu", np,
                     c->num_filters, c->k, c->nr, c->nc, use_bias ? " and their biases" : "", want);
        goto fail;
    }
    c->filters = slice(p, params, 0, nf);
    if (!c->filters)
        goto fail;
    if (use_bias && !(c->bias = slice(p, params, nf, (size_t)c->num_filters)))
        goto fail;
    free(params);
    return true;
fail:
    free(params);
    return false;
}

/* bn_con2 / bn_fc2 turned into an affine layer as dlib's affine_(const bn_&) does, in float:
 * gamma' = gamma / sqrt(running_variance + eps), beta' = beta - gamma' * running_mean. */
static bool parse_bn(parser *p, fk__dlib_layer *l, bool fc_mode)
{
    fk__dlib_affine *a = &l->u.affine;
    float *params = NULL, *rmean = NULL, *rvar = NULL;
    size_t np, ng, nb, nm, nv;
    int64_t gd[4], bd[4];
    uint64_t u;
    double eps;
    bool ok = rd_tensor(p, &params, &np, "its parameters") && rd_alias(p, gd, &ng, "gamma's shape") &&
              rd_alias(p, bd, &nb, "beta's shape") && skip_tensor(p, "its batch means") &&
              skip_tensor(p, "its batch inverse deviations") && rd_tensor(p, &rmean, &nm, "its running means") &&
              rd_tensor(p, &rvar, &nv, "its running variances") &&
              rd_uint(p, 8, UINT64_MAX, &u, "its update count") &&
              rd_uint(p, 8, UINT64_MAX, &u, "its running statistics window") && skip_multipliers(p) &&
              rd_double(p, &eps, "its epsilon");
    if (ok && (ng == 0 || ng != nb || np != ng + nb || nm != ng || nv != ng || ng > INT32_MAX)) {
        fk__dat_fail(&p->r, FK_E_BAD_FORMAT,
                     "its sizes disagree: %zu parameters, gamma %zu, beta %zu, %zu running means, %zu variances", np,
                     ng, nb, nm, nv);
        ok = false;
    }
    if (ok && !(eps > 0)) {
        fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "its epsilon %g is not positive", eps);
        ok = false;
    }
    if (ok) {
        a->fc_mode = fc_mode;
        a->from_bn = true;
        a->count = (int)ng;
        a->gamma = malloc(ng * sizeof(float));
        a->beta = malloc(ng * sizeof(float));
        if (!a->gamma || !a->beta) {
            no_memory(p);
            ok = false;
        }
    }
    if (ok) {
        const float e = (float)eps;
        for (size_t i = 0; i < ng; i++) {
            float g = params[i] / sqrtf(rvar[i] + e);
            float b = params[ng + i] - g * rmean[i];
            if (!isfinite(g) || !isfinite(b)) {
                fk__dat_fail(&p->r, FK_E_BAD_FORMAT,
                             "its batch norm %zu gives a non-finite scale or shift (variance %g)", i,
                             (double)rvar[i]);
                ok = false;
                break;
            }
            a->gamma[i] = g;
            a->beta[i] = b;
        }
    }
    free(params);
    free(rmean);
    free(rvar);
    return ok;
}

static bool parse_affine(parser *p, fk__dlib_layer *l)
{
    fk__dlib_affine *a = &l->u.affine;
    bool v2 = strcmp(l->name, "affine_2") == 0;
    float *params = NULL;
    size_t np, ng, nb;
    int64_t gd[4], bd[4];
    int mode = 0;
    bool disabled = false;
    bool ok = rd_tensor(p, &params, &np, "its parameters") && rd_alias(p, gd, &ng, "gamma's shape") &&
              rd_alias(p, bd, &nb, "beta's shape") && rd_i32(p, 0, 1, &mode, "its mode") &&
              (!v2 || rd_bool(p, &disabled, "its disabled flag"));
    if (ok && !disabled && (ng == 0 || ng != nb || np != ng + nb || ng > INT32_MAX)) {
        fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "its sizes disagree: %zu parameters, gamma %zu, beta %zu", np, ng, nb);
        ok = false;
    }
    a->fc_mode = mode == 1;
    if (ok && !disabled) {
        a->count = (int)ng;
        if (!(a->gamma = slice(p, params, 0, ng)) || !(a->beta = slice(p, params, ng, ng)))
            ok = false;
    }
    free(params);
    return ok;
}

static bool parse_pool(parser *p, fk__dlib_layer *l)
{
    fk__dlib_pool *q = &l->u.pool;
    if (!(rd_long(p, 0, FK__DLIB_MAX_DIM, &q->nr, "the window rows") &&
          rd_long(p, 0, FK__DLIB_MAX_DIM, &q->nc, "the window columns") &&
          rd_i32(p, 1, FK__DLIB_MAX_DIM, &q->stride_y, "the row stride") &&
          rd_i32(p, 1, FK__DLIB_MAX_DIM, &q->stride_x, "the column stride") &&
          rd_i32(p, 0, FK__DLIB_MAX_DIM, &q->pad_y, "the row padding") &&
          rd_i32(p, 0, FK__DLIB_MAX_DIM, &q->pad_x, "the column padding")))
        return false;
    if ((q->nr == 0) != (q->nc == 0) || (q->nr && (q->pad_y >= q->nr || q->pad_x >= q->nc)) ||
        (!q->nr && (q->pad_y || q->pad_x)))
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "its window %d x %d and padding %d x %d do not fit", q->nr, q->nc,
                            q->pad_y, q->pad_x);
    return true;
}

static bool parse_fc(parser *p, fk__dlib_layer *l)
{
    fk__dlib_fc *f = &l->u.fc;
    bool v3 = strcmp(l->name, "fc_3") == 0;
    float *params = NULL;
    size_t np, nw, nb;
    int64_t wd[4], bd[4];
    uint64_t outs = 0, ins = 0;
    int mode = 0;
    bool use_bias = true;
    bool ok = rd_uint(p, 8, FK__DLIB_MAX_DIM, &outs, "the output count") &&
              rd_uint(p, 8, (uint64_t)1 << 30, &ins, "the input count") &&
              rd_tensor(p, &params, &np, "its parameters") &&
              rd_alias(p, wd, &nw, "the weights' shape") && rd_alias(p, bd, &nb, "the biases' shape") &&
              rd_i32(p, 0, 1, &mode, "its bias mode") && skip_multipliers(p) &&
              (!v3 || rd_bool(p, &use_bias, "use_bias"));
    if (!ok)
        goto fail;
    bool has_bias = mode == 0 && use_bias;
    size_t w;
    if (outs == 0 || ins == 0 || !fk__mul_size((size_t)ins, (size_t)outs, &w) || w > MAX_TENSOR ||
        wd[0] != (int64_t)ins || wd[1] != (int64_t)outs || wd[2] != 1 || wd[3] != 1 || nw != w ||
        np != w + (has_bias ? (size_t)outs : 0) || (has_bias && nb != (size_t)outs)) {
        fk__dat_fail(&p->r, FK_E_BAD_FORMAT,
                     "its sizes disagree: %llu inputs, %llu outputs, %zu parameters, weights %lld x %lld, %zu biases",
                     (unsigned long long)ins, (unsigned long long)outs, np, (long long)wd[0], (long long)wd[1], nb);
        goto fail;
    }
    f->num_outputs = (int)outs;
    f->num_inputs = (int)ins;
    if (!(f->weights = slice(p, params, 0, w)))
        goto fail;
    if (has_bias && !(f->bias = slice(p, params, w, (size_t)outs)))
        goto fail;
    free(params);
    return true;
fail:
    free(params);
    return false;
}

/* dlib layers this reader knows but does not handle: named as unsupported rather than corrupt. */
static const char *const other_layers[] = {
    "cont_", "upsample_", "resize_to_", "layer_norm_", "dropout_", "multiply_", "mult_prev_",
    "resize_prev_to_tagged_", "scale_", "scale_prev_", "prelu_", "leaky_relu_", "sig_", "mish_", "htan_",
    "clipped_relu_", "elu_", "gelu_", "smelu_", "silu_", "softmax_", "softmax_all_", "concat_", "l2normalize_",
    "extract_", "reorg_", "transpose_", "embeddings_", "positional_encodings_", "tril_", "linear_", "rms_norm_",
    "bn_con", "bn_fc", "con_", "fc_", "affine_", "max_pool_", "avg_pool_",
};

static bool unknown(parser *p, const char *name, const char *what)
{
    char d[MAX_NAME];
    display_name(name, d, sizeof d);
    for (size_t i = 0; i < sizeof other_layers / sizeof other_layers[0]; i++)
        if (strcmp(d, other_layers[i]) == 0)
            return fk__dat_fail(&p->r, FK_E_UNSUPPORTED, "dlib's %s \"%s\" is not supported by facekit", what, name);
    return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "\"%s\" is not a dlib %s (corrupt?)", name, what);
}

/* One layer's details: its name, then its fields. */
static bool parse_layer_details(parser *p, fk__dlib_layer *l)
{
    set_ctx(p, l->index, NULL);
    if (!rd_string(p, l->name, sizeof l->name, "the layer's name"))
        return false;
    set_ctx(p, l->index, l->name);
    const char *n = l->name;
    if (strcmp(n, "con_4") == 0 || strcmp(n, "con_5") == 0) {
        l->kind = FK__DLIB_CON;
        return parse_con(p, l);
    }
    if (strcmp(n, "affine_") == 0 || strcmp(n, "affine_2") == 0) {
        l->kind = FK__DLIB_AFFINE;
        return parse_affine(p, l);
    }
    if (strcmp(n, "bn_con2") == 0 || strcmp(n, "bn_fc2") == 0) {
        l->kind = FK__DLIB_AFFINE;
        return parse_bn(p, l, n[3] == 'f');
    }
    if (strcmp(n, "relu_") == 0) {
        l->kind = FK__DLIB_RELU;
        return true;
    }
    if (strcmp(n, "max_pool_2") == 0 || strcmp(n, "avg_pool_2") == 0) {
        l->kind = n[0] == 'm' ? FK__DLIB_MAX_POOL : FK__DLIB_AVG_POOL;
        return parse_pool(p, l);
    }
    if (strcmp(n, "add_prev_") == 0) {
        l->kind = FK__DLIB_ADD_PREV;
        return true;
    }
    if (strcmp(n, "fc_2") == 0 || strcmp(n, "fc_3") == 0) {
        l->kind = FK__DLIB_FC;
        return parse_fc(p, l);
    }
    return unknown(p, n, "layer");
}

/* The three bools an add_layer keeps about its state; dlib writes each as '0' or '1'. */
static bool skip_state(parser *p)
{
    bool b;
    return rd_bool(p, &b, "this_layer_setup_called") && rd_bool(p, &b, "gradient_input_is_stale") &&
           rd_bool(p, &b, "get_output_and_gradient_input_disabled");
}

/* An add_layer's details and state; on_input: the innermost one (its version 2 or 3). */
static bool parse_add_layer(parser *p, fk__dlib_layer *l, int version, bool on_input)
{
    if (!parse_layer_details(p, l) || !skip_state(p) || !skip_tensor(p, "its x_grad") ||
        !skip_tensor(p, "its cached output"))
        return false;
    if (!on_input)
        return skip_tensor(p, "its params_grad");
    if (!skip_tensor(p, "its grad_final"))
        return false;
    uint64_t sef = 1;
    if (version == 3 && !rd_uint(p, 4, UINT32_MAX, &sef, "its sample expansion factor"))
        return false;
    if (sef != 1)
        return fk__dat_fail(&p->r, FK_E_UNSUPPORTED, "a sample expansion factor of %llu (only 1 is supported)",
                            (unsigned long long)sef);
    return true;
}

/* ---- input and loss ----------------------------------------------------------------------- */

static bool parse_input(parser *p, int index)
{
    fk__dlib_input *in = &p->net->input;
    char name[MAX_NAME];
    set_ctx(p, index, NULL);
    if (!rd_string(p, name, sizeof name, "the input layer's name"))
        return false;
    set_ctx(p, index, name);
    if (strcmp(name, "input_rgb_image_sized") == 0) {
        in->kind = FK__DLIB_INPUT_RGB_SIZED;
        uint64_t nr, nc;
        if (!rd_float(p, &in->avg_red, "avg_red") || !rd_float(p, &in->avg_green, "avg_green") ||
            !rd_float(p, &in->avg_blue, "avg_blue") || !rd_uint(p, 8, 100000, &nr, "its rows") ||
            !rd_uint(p, 8, 100000, &nc, "its columns"))
            return false;
        if (nr == 0 || nc == 0)
            return fail(p, FK_E_BAD_FORMAT, "its image size is 0");
        in->nr = (int)nr;
        in->nc = (int)nc;
        return true;
    }
    if (strcmp(name, "input_rgb_image_pyramid") == 0 || strcmp(name, "input_rgb_image_pyramid2") == 0) {
        in->kind = FK__DLIB_INPUT_RGB_PYRAMID;
        in->pyramid_padding = 10; /* what dlib uses for the first version, which did not store them */
        in->pyramid_outer_padding = 11;
        if (!rd_float(p, &in->avg_red, "avg_red") || !rd_float(p, &in->avg_green, "avg_green") ||
            !rd_float(p, &in->avg_blue, "avg_blue"))
            return false;
        if (name[strlen(name) - 1] == '2') {
            uint64_t a, b;
            if (!rd_uint(p, 8, 100000, &a, "the pyramid padding") ||
                !rd_uint(p, 8, 100000, &b, "the pyramid outer padding"))
                return false;
            in->pyramid_padding = (int)a;
            in->pyramid_outer_padding = (int)b;
        }
        return true;
    }
    if (strncmp(name, "input", 5) == 0)
        return fk__dat_fail(&p->r, FK_E_UNSUPPORTED, "dlib's input layer \"%s\" is not supported by facekit", name);
    return unknown(p, name, "input layer");
}

static bool parse_overlap(parser *p, double *iou, double *covered, const char *what)
{
    if (!rd_double(p, iou, what) || !rd_double(p, covered, what))
        return false;
    if (!(*iou >= 0 && *iou <= 1 && *covered >= 0 && *covered <= 1))
        return fk__dat_fail(&p->r, FK_E_BAD_FORMAT, "%s (%g, %g) is outside 0..1", what, *iou, *covered);
    return true;
}

static bool parse_window(parser *p, fk__dlib_window *w, int version)
{
    uint64_t a, b;
    if (!rd_uint(p, 8, 100000, &a, "a detector window's width") ||
        !rd_uint(p, 8, 100000, &b, "a detector window's height"))
        return false;
    if (a == 0 || b == 0)
        return fail(p, FK_E_BAD_FORMAT, "a detector window is empty");
    w->width = (int)a;
    w->height = (int)b;
    w->label[0] = 0;
    return version < 2 || rd_string(p, w->label, sizeof w->label, "a detector window's label");
}

static bool parse_mmod(parser *p)
{
    fk__dlib_mmod_options *o = &p->net->loss.mmod;
    int version;
    if (!rd_i32(p, 1, 4, &version, "the mmod options' version"))
        return false;
    if (version == 1) {
        o->n_windows = 1;
        if (!parse_window(p, &o->windows[0], 1))
            return false;
    } else {
        uint64_t n;
        if (!fk__dat_count(&p->r, 6, FK__DLIB_MAX_WINDOWS, &n, "the detector window count"))
            return false;
        if (n == 0)
            return fail(p, FK_E_BAD_FORMAT, "it has no detector windows");
        o->n_windows = (int)n;
        for (uint64_t i = 0; i < n; i++) {
            int wv;
            if (!rd_i32(p, 1, 2, &wv, "a detector window's version") || !parse_window(p, &o->windows[i], wv))
                return false;
        }
    }
    o->assume_image_pyramid = 1;
    o->use_bbr = false;
    o->bbr_lambda = 100;
    if (!rd_double(p, &o->loss_per_false_alarm, "loss_per_false_alarm") ||
        !rd_double(p, &o->loss_per_missed_target, "loss_per_missed_target") ||
        !rd_double(p, &o->truth_match_iou_threshold, "truth_match_iou_threshold") ||
        !parse_overlap(p, &o->nms_iou, &o->nms_covered, "overlaps_nms") ||
        !parse_overlap(p, &o->ignore_iou, &o->ignore_covered, "overlaps_ignore"))
        return false;
    if (version >= 3) {
        uint8_t b;
        if (!rd_byte(p, &b, "assume_image_pyramid"))
            return false;
        o->assume_image_pyramid = b;
    }
    if (version >= 4 && (!rd_bool(p, &o->use_bbr, "use_bounding_box_regression") ||
                         !rd_double(p, &o->bbr_lambda, "bbr_lambda")))
        return false;
    return true;
}

static bool parse_loss(parser *p)
{
    char name[MAX_NAME];
    set_ctx(p, 0, NULL);
    if (!rd_string(p, name, sizeof name, "the loss layer's name"))
        return false;
    set_ctx(p, 0, name);
    fk__dlib_loss *l = &p->net->loss;
    if (strcmp(name, "loss_metric_") == 0) {
        l->kind = FK__DLIB_LOSS_METRIC;
        l->margin = 0.1f; /* the values dlib used before it stored them */
        l->dist_thresh = 0.75f;
        return true;
    }
    if (strcmp(name, "loss_metric_2") == 0) {
        l->kind = FK__DLIB_LOSS_METRIC;
        return rd_float(p, &l->margin, "margin") && rd_float(p, &l->dist_thresh, "distance threshold");
    }
    if (strcmp(name, "loss_mmod_") == 0) {
        l->kind = FK__DLIB_LOSS_MMOD;
        return parse_mmod(p);
    }
    if (strncmp(name, "loss_", 5) == 0)
        return fk__dat_fail(&p->r, FK_E_UNSUPPORTED, "dlib's loss layer \"%s\" is not supported by facekit", name);
    return unknown(p, name, "loss layer");
}

/* ---- the whole net ------------------------------------------------------------------------ */

void fk__dlib_net_free(fk__dlib_net *net)
{
    if (!net)
        return;
    for (int i = 0; i < net->n_layers; i++) {
        fk__dlib_layer *l = &net->layers[i];
        switch (l->kind) {
        case FK__DLIB_CON:
            free(l->u.con.filters);
            free(l->u.con.bias);
            break;
        case FK__DLIB_AFFINE:
            free(l->u.affine.gamma);
            free(l->u.affine.beta);
            break;
        case FK__DLIB_FC:
            free(l->u.fc.weights);
            free(l->u.fc.bias);
            break;
        default:
            break;
        }
    }
    free(net->layers);
    free(net->path);
    free(net);
}

/* The first bytes as hex, for "not a dlib file" messages. */
static void first_bytes(const uint8_t *d, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && i < 8 && k + 4 < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%02x", i ? " " : "", d[i]);
}

static fk_status parse(parser *p)
{
    fk__dlib_net *net = p->net;
    fk__dat_reader *r = &p->r;
    int *versions = NULL;
    int64_t v;
    char head[40];
    first_bytes(r->p, (size_t)(r->end - r->p), head, sizeof head);
    if (!fk__dat_fill(r, 1, "the loss layer's version"))
        goto done;
    if (!fk__dat_int(r, 4, &v, "the loss layer's version") || v != 1) {
        r->status = FK_OK; /* say what it is not, instead of the encoding detail */
        fk__dat_fail(r, FK_E_BAD_FORMAT,
                     "not a dlib DNN file (it starts with bytes %s; a network saved by dlib starts with the loss "
                     "layer's version 1, bytes 01 01)",
                     head);
        goto done;
    }
    if (!parse_loss(p))
        goto done;

    /* the wrappers' versions, outermost first, until the input layer's name */
    int cap = 0, n = 0;
    for (;;) {
        snprintf(r->ctx, sizeof r->ctx, "layer %d (its version)", n + 1);
        const uint8_t *mark = r->p;
        int64_t x;
        if (!fk__dat_int(r, 8, &x, "a layer's version"))
            goto done;
        if (x < 1 || x > 3) {
            r->p = mark; /* the input layer's name starts here */
            break;
        }
        if (n == FK__DLIB_MAX_LAYERS) {
            fk__dat_fail(r, FK_E_LIMIT, "more than %d layers", FK__DLIB_MAX_LAYERS);
            goto done;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            int *grown = realloc(versions, sizeof *grown * (size_t)cap);
            if (!grown) {
                no_memory(p);
                goto done;
            }
            versions = grown;
        }
        versions[n++] = (int)x;
    }
    if (n == 0) {
        fail(p, FK_E_BAD_FORMAT, "the network has no layers");
        goto done;
    }
    for (int i = 0; i < n - 1; i++)
        if (versions[i] == 3) {
            snprintf(r->ctx, sizeof r->ctx, "layer %d", i + 1);
            fail(p, FK_E_BAD_FORMAT, "version 3 (a layer on the input) before the innermost layer");
            goto done;
        }
    if (versions[n - 1] == 1) {
        snprintf(r->ctx, sizeof r->ctx, "layer %d", n);
        fail(p, FK_E_UNSUPPORTED, "a tag layer directly on the input layer is not supported");
        goto done;
    }
    net->layers = calloc((size_t)n, sizeof *net->layers);
    if (!net->layers) {
        no_memory(p);
        goto done;
    }
    net->n_layers = n;
    for (int i = 0; i < n; i++) {
        fk__dlib_layer *l = &net->layers[i];
        l->index = n - i;
        l->kind = FK__DLIB_TAG_OR_SKIP;
        snprintf(l->name, sizeof l->name, "tag/skip");
    }
    if (!parse_input(p, n + 1))
        goto done;
    /* details from the input outward: layers[i] is the wrapper whose version came n-1-i-th */
    for (int i = 0; i < n; i++) {
        fk__dlib_layer *l = &net->layers[i];
        int ver = versions[n - 1 - i];
        if (i == 0) {
            if (!parse_add_layer(p, l, ver, true))
                goto done;
        } else if (ver == 2) {
            l->kind = FK__DLIB_RELU; /* set for real by the details */
            if (!parse_add_layer(p, l, ver, false))
                goto done;
        }
        /* ver 1: a tag or skip, which writes nothing of its own */
    }
    r->ctx[0] = 0;
done:
    free(versions);
    return r->status;
}

fk_status fk__dlib_dnn_parse(const void *data, size_t size, const char *name, fk__dlib_net **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_dnn_parse: NULL out");
    *out = NULL;
    if (!data && size)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_dnn_parse: NULL data");
    if (!name)
        name = "(memory)";
    if (size > FK__DLIB_MAX_BYTES)
        return fk__fail(err, FK_E_LIMIT, "%s: %zu bytes, more than the %zu a dlib network may have here", name, size,
                        FK__DLIB_MAX_BYTES);
    parser p;
    memset(&p, 0, sizeof p);
    p.name = name;
    fk__dat_init_mem(&p.r, data, size, name, err);
    p.net = calloc(1, sizeof *p.net);
    size_t len = strlen(name);
    if (p.net)
        p.net->path = malloc(len + 1);
    if (!p.net || !p.net->path) {
        fk__dlib_net_free(p.net);
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory", name);
    }
    memcpy(p.net->path, name, len + 1);
    fk_status st = parse(&p);
    if (st != FK_OK) {
        fk__dlib_net_free(p.net);
        return st;
    }
    *out = p.net;
    return FK_OK;
}

fk_status fk__dlib_dnn_load(const char *path, fk__dlib_net **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_dnn_load: NULL out");
    *out = NULL;
    if (!path)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__dlib_dnn_load: NULL path");
    void *data = NULL;
    size_t size = 0;
    fk_status st = fk__file_read_all(path, FK__DLIB_MAX_BYTES, &data, &size, err);
    if (st != FK_OK)
        return fk__model_not_found(path, st, err);
    /* the pin first: a damaged pinned file is best explained by its sha256, whatever the parser
     * would trip over */
    if (fk__model_verify_enabled() && (st = fk__model_bytes_verify(path, data, size, err)) != FK_OK) {
        free(data);
        return st;
    }
    st = fk__dlib_dnn_parse(data, size, path, out, err);
    free(data);
    return st;
}
