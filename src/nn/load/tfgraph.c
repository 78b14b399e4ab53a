/* tfgraph.c: a TensorFlow.js graph model's GraphDef JSON parsed, pruned, constant-folded and lowered onto the executor's ops. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/checked.h"
#include "core/error.h"
#include "core/file.h"
#include "nn/load/tfgraph.h"
#include "nn/load/weights.h"

/* Invariants while lowering: nodes[] is the file's order; order[] lists the live nodes so that a
 * node's inputs come before it; a node's value is set once, when it is lowered. A tensor value is
 * an executor node (its NHWC shape per sample) plus the TF shape it stands for; a constant is
 * float data (int32 shape operands are exact in float) with its full TF shape. */

#define MAX_RANK 6

typedef struct tnode {
    const char *name, *op;
    const cJSON *attr;
    int nin;
    int *in;      /* data inputs, node indices (control inputs "^x" are dropped) */
    int uses;     /* live data consumers */
    int state;    /* DFS: 0 new, 1 on the stack, 2 done */
    int output;   /* a graph output */
    int form;     /* a Prelu rewritten from a pattern: 1 slopes 2a, 2 slopes 1 + 2a, 3 slopes a (rewrite_patterns) */
} tnode;

typedef enum vkind { V_NONE = 0, V_CONST, V_TENSOR } vkind;

typedef struct val {
    vkind kind;
    int rank;              /* const: full TF rank; tensor: TF rank without the batch axis */
    int dims[MAX_RANK];
    float *data;           /* const: count values (loader-owned) */
    size_t count;
    int id;                /* tensor: executor node */
    int owner;             /* tensor: the tnode whose lowering made node id (fusion needs it alone) */
    int pad_c;             /* tensor: a pending zero extension to this many channels (0: none) */
    int pad[4];            /* tensor: pending spatial zero padding top, bottom, left, right */
    int flat;              /* tensor: its TF shape is a reshape of the node's (data order unchanged) */
} val;

typedef struct ctx {
    const char *path;
    cJSON *root;
    tnode *nodes;
    int n;
    int *order, n_order;
    val *vals;
    const fk__weights *w;
    fk__graph *g;
    fk__tfgraph_options o;
    fk_status st;
    fk_error *err;
    void **owned;          /* loader allocations, freed at the end (constants) */
    size_t n_owned, cap_owned;
} ctx;

static int fail(ctx *c, fk_status st, const char *fmt, ...) FK__PRINTF(3, 4);
static int fail(ctx *c, fk_status st, const char *fmt, ...)
{
    if (c->st == FK_OK) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        c->st = fk__fail(c->err, st, "%s: %s", c->path, msg);
    }
    return -1;
}

static void *cmalloc(ctx *c, size_t count, size_t size)
{
    size_t bytes;
    if (!fk__mul_size(count ? count : 1, size, &bytes)) {
        fail(c, FK_E_OVERFLOW, "an allocation of %zu × %zu bytes overflows", count, size);
        return NULL;
    }
    if (c->n_owned == c->cap_owned) {
        size_t cap = c->cap_owned ? 2 * c->cap_owned : 64;
        void **grown = realloc(c->owned, cap * sizeof *grown);
        if (!grown) {
            fail(c, FK_E_NO_MEMORY, "out of memory");
            return NULL;
        }
        c->owned = grown;
        c->cap_owned = cap;
    }
    void *p = calloc(1, bytes);
    if (!p) {
        fail(c, FK_E_NO_MEMORY, "out of memory for %zu bytes", bytes);
        return NULL;
    }
    c->owned[c->n_owned++] = p;
    return p;
}

/* ---- attributes */

static const cJSON *attr(const tnode *t, const char *key)
{
    return t->attr ? cJSON_GetObjectItemCaseSensitive(t->attr, key) : NULL;
}

/* A number stored as a JSON string ("1") or number; false when neither or out of int range. */
static bool json_int(const cJSON *v, long long *out)
{
    if (cJSON_IsNumber(v)) {
        if (!(v->valuedouble >= -9e15 && v->valuedouble <= 9e15) || v->valuedouble != floor(v->valuedouble))
            return false;
        *out = (long long)v->valuedouble;
        return true;
    }
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end;
        long long x = strtoll(v->valuestring, &end, 10);
        if (*end || x < -((long long)1 << 53) || x > ((long long)1 << 53))
            return false;
        *out = x;
        return true;
    }
    return false;
}

/* attr {"list": {"i": [...]}} of exactly n ints (n 0: any count up to max, count in *n_out). */
static int attr_ints(ctx *c, const tnode *t, const char *key, long long *out, int max, int *n_out)
{
    const cJSON *a = attr(t, key), *l = a ? cJSON_GetObjectItemCaseSensitive(a, "list") : NULL;
    const cJSON *is = l ? cJSON_GetObjectItemCaseSensitive(l, "i") : NULL;
    *n_out = 0;
    if (!a)
        return 0;
    if (l && !is)
        return 0; /* an empty list */
    if (!cJSON_IsArray(is))
        return fail(c, FK_E_BAD_FORMAT, "node '%s': attribute '%s' is not a list of integers", t->name, key);
    int k = 0;
    for (const cJSON *v = is->child; v; v = v->next, k++)
        if (k >= max || !json_int(v, &out[k]))
            return fail(c, FK_E_BAD_FORMAT, "node '%s': attribute '%s' is not a list of at most %d integers",
                        t->name, key, max);
    *n_out = k;
    return 0;
}

/* attr {"s": base64} decoded into buf (NUL-terminated); "" when absent. */
static int attr_str(ctx *c, const tnode *t, const char *key, char *buf, size_t n)
{
    buf[0] = 0;
    const cJSON *a = attr(t, key), *s = a ? cJSON_GetObjectItemCaseSensitive(a, "s") : NULL;
    if (!a)
        return 0;
    size_t len;
    unsigned char *raw = cJSON_IsString(s) ? fk__base64_decode(s->valuestring, &len) : NULL;
    if (!raw || len >= n) {
        free(raw);
        return fail(c, FK_E_BAD_FORMAT, "node '%s': attribute '%s' is not a short base64 string", t->name, key);
    }
    memcpy(buf, raw, len);
    buf[len] = 0;
    free(raw);
    return 0;
}

static bool attr_bool(const tnode *t, const char *key)
{
    const cJSON *a = attr(t, key), *b = a ? cJSON_GetObjectItemCaseSensitive(a, "b") : NULL;
    return cJSON_IsTrue(b);
}

static double attr_float(const tnode *t, const char *key, double dflt)
{
    const cJSON *a = attr(t, key), *f = a ? cJSON_GetObjectItemCaseSensitive(a, "f") : NULL;
    return cJSON_IsNumber(f) ? f->valuedouble : dflt;
}

/* attr {"type": "DT_FLOAT"} */
static bool attr_is_float(const tnode *t, const char *key)
{
    const cJSON *a = attr(t, key), *ty = a ? cJSON_GetObjectItemCaseSensitive(a, "type") : NULL;
    return cJSON_IsString(ty) && !strcmp(ty->valuestring, "DT_FLOAT");
}

/* ---- parsing */

static int find_node(const ctx *c, const char *name, size_t len)
{
    /* linear: graphs here have at most a few thousand nodes and are parsed once */
    for (int i = 0; i < c->n; i++)
        if (strlen(c->nodes[i].name) == len && !memcmp(c->nodes[i].name, name, len))
            return i;
    return -1;
}

static int parse_nodes(ctx *c)
{
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(c->root, "modelTopology");
    const cJSON *list = topo ? cJSON_GetObjectItemCaseSensitive(topo, "node") : NULL;
    if (!cJSON_IsArray(list))
        return fail(c, FK_E_BAD_FORMAT, "not a graph model (no \"modelTopology\": {\"node\": [...]}); a layers "
                                        "model or weight manifest goes through the manifest loader");
    int n = cJSON_GetArraySize(list);
    if (n <= 0 || n > 1000000)
        return fail(c, FK_E_BAD_FORMAT, "the graph has %d nodes", n);
    c->n = n;
    c->nodes = cmalloc(c, (size_t)n, sizeof *c->nodes);
    c->vals = cmalloc(c, (size_t)n, sizeof *c->vals);
    c->order = cmalloc(c, (size_t)n, sizeof *c->order);
    if (!c->nodes || !c->vals || !c->order)
        return -1;
    int i = 0;
    for (const cJSON *o = list->child; o; o = o->next, i++) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name"), *op = cJSON_GetObjectItemCaseSensitive(o, "op");
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "attr");
        if (!cJSON_IsString(nm) || !nm->valuestring[0] || !cJSON_IsString(op))
            return fail(c, FK_E_BAD_FORMAT, "node [%d] has no name or op", i);
        if (at && !cJSON_IsObject(at))
            return fail(c, FK_E_BAD_FORMAT, "node '%s': \"attr\" is not an object", nm->valuestring);
        c->nodes[i].name = nm->valuestring;
        c->nodes[i].op = op->valuestring;
        c->nodes[i].attr = at;
    }
    /* inputs, now that every name is known */
    i = 0;
    for (const cJSON *o = list->child; o; o = o->next, i++) {
        tnode *t = &c->nodes[i];
        const cJSON *ins = cJSON_GetObjectItemCaseSensitive(o, "input");
        if (ins && !cJSON_IsArray(ins))
            return fail(c, FK_E_BAD_FORMAT, "node '%s': \"input\" is not an array", t->name);
        int k = ins ? cJSON_GetArraySize(ins) : 0;
        t->in = cmalloc(c, (size_t)k, sizeof *t->in);
        if (!t->in)
            return -1;
        for (const cJSON *v = ins ? ins->child : NULL; v; v = v->next) {
            if (!cJSON_IsString(v))
                return fail(c, FK_E_BAD_FORMAT, "node '%s': an input is not a string", t->name);
            const char *s = v->valuestring;
            if (s[0] == '^')
                continue; /* a control dependency: no data, nothing to run for it */
            size_t len = strlen(s);
            const char *colon = strrchr(s, ':');
            int port = 0;
            if (colon) {
                char *end;
                long p = strtol(colon + 1, &end, 10);
                if (colon[1] && !*end) {
                    if (p < 0 || p > 1000)
                        return fail(c, FK_E_BAD_FORMAT, "node '%s': input '%s' has a bad output index", t->name, s);
                    port = (int)p;
                    len = (size_t)(colon - s);
                }
            }
            int src = find_node(c, s, len);
            if (src < 0)
                return fail(c, FK_E_BAD_FORMAT, "node '%s': input '%s' names no node", t->name, s);
            if (port != 0)
                return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): input '%s' is output %d of a multi-output op "
                                                 "(%s); only single-output nodes are supported", t->name, t->op, s,
                            port, c->nodes[src].op);
            t->in[t->nin++] = src;
        }
    }
    return 0;
}

/* The node an output name ("Identity:0", "Identity") refers to. */
static int output_node(ctx *c, const char *name)
{
    size_t len = strlen(name);
    const char *colon = strrchr(name, ':');
    if (colon && colon[1] == '0' && !colon[2])
        len = (size_t)(colon - name);
    int i = find_node(c, name, len);
    if (i < 0)
        return fail(c, FK_E_BAD_FORMAT, "the signature's output '%s' names no node", name);
    return i;
}

static int find_outputs(ctx *c, fk__tfgraph_info *info)
{
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(c->root, "signature");
    if (!sig) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(c->root, "userDefinedMetadata");
        sig = u ? cJSON_GetObjectItemCaseSensitive(u, "signature") : NULL;
    }
    const cJSON *outs = sig ? cJSON_GetObjectItemCaseSensitive(sig, "outputs") : NULL;
    int k = 0;
    if (cJSON_IsObject(outs) && outs->child) {
        for (const cJSON *o = outs->child; o; o = o->next) {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
            if (!cJSON_IsString(nm))
                return fail(c, FK_E_BAD_FORMAT, "the signature's output '%s' has no name", o->string ? o->string : "?");
            if (k == FK__TFGRAPH_MAX_OUTPUTS)
                return fail(c, FK_E_UNSUPPORTED, "more than %d outputs", FK__TFGRAPH_MAX_OUTPUTS);
            int i = output_node(c, nm->valuestring);
            if (i < 0)
                return -1;
            c->nodes[i].output = k + 1;
            snprintf(info->outputs[k].name, sizeof info->outputs[k].name, "%s", o->string ? o->string : c->nodes[i].name);
            k++;
        }
    } else {
        /* no signature: every node nothing reads, except constants */
        int *read = cmalloc(c, (size_t)c->n, sizeof *read);
        if (!read)
            return -1;
        for (int i = 0; i < c->n; i++)
            for (int j = 0; j < c->nodes[i].nin; j++)
                read[c->nodes[i].in[j]] = 1;
        for (int i = 0; i < c->n; i++) {
            if (read[i] || !strcmp(c->nodes[i].op, "Const") || !strcmp(c->nodes[i].op, "Placeholder") ||
                !strcmp(c->nodes[i].op, "NoOp"))
                continue;
            if (k == FK__TFGRAPH_MAX_OUTPUTS)
                return fail(c, FK_E_UNSUPPORTED, "more than %d outputs", FK__TFGRAPH_MAX_OUTPUTS);
            c->nodes[i].output = k + 1;
            snprintf(info->outputs[k].name, sizeof info->outputs[k].name, "%s", c->nodes[i].name);
            k++;
        }
    }
    if (!k)
        return fail(c, FK_E_BAD_FORMAT, "the graph has no outputs");
    info->n_outputs = k;
    return 0;
}

/* ---- patterns: element-wise subgraphs the converter wrote out, rewritten into one op before
 * pruning, so the nodes they replace are dead and never lowered. */

static bool is_op(const ctx *c, int i, const char *op)
{
    return i >= 0 && !strcmp(c->nodes[i].op, op);
}

/* Node i read once (by the pattern) and not an output: the pattern may swallow it. */
static bool inner(const ctx *c, const int *readers, int i)
{
    return readers[i] == 1 && !c->nodes[i].output;
}

/* A Const whose every value is 0 (the clamps of a ReLU written as Maximum / Minimum). */
static bool zero_const(const ctx *c, int i)
{
    if (!is_op(c, i, "Const"))
        return false;
    const fk__weight *w = fk__weights_find(c->w, c->nodes[i].name);
    if (!w || !w->count)
        return false;
    for (size_t k = 0; k < w->count; k++)
        if (w->data[k] != 0.0f)
            return false;
    return true;
}

/* The input of node i other than a zero Const, when i has two inputs and one is (else -1). */
static int other_than_zero(const ctx *c, int i)
{
    const tnode *t = &c->nodes[i];
    if (t->nin != 2)
        return -1;
    return zero_const(c, t->in[1]) ? t->in[0] : zero_const(c, t->in[0]) ? t->in[1] : -1;
}

/* Whether p is relu(x): Relu(x), or Maximum(x, 0) either way round. */
static bool is_relu_of(const ctx *c, int p, int x)
{
    if (is_op(c, p, "Relu"))
        return c->nodes[p].nin == 1 && c->nodes[p].in[0] == x;
    return is_op(c, p, "Maximum") && other_than_zero(c, p) == x;
}

/* PReLU as a converter writes it out, at an Add of p and m, m = Mul(q, a) with a constant a:
 *   form 1: p = relu(x), q = x - |x|  (Sub(x, Abs(x)))   ->  slopes 2a
 *   form 2: p = x,       q = x - |x|                     ->  slopes 1 + 2a
 *   form 3: p = relu(x), q = Minimum(x, 0)               ->  slopes a
 * (relu(x) is Relu or Maximum(x, 0)). The Add becomes Prelu(x, a) with its form; 0 when no match. */
static int match_prelu(const ctx *c, const int *readers, int self, int *x_out, int *a_out)
{
    const tnode *t = &c->nodes[self];
    if (!(is_op(c, self, "Add") || is_op(c, self, "AddV2")) || t->nin != 2)
        return 0;
    for (int k = 0; k < 2; k++) {
        int p = t->in[k], m = t->in[1 - k];
        if (!is_op(c, m, "Mul") || c->nodes[m].nin != 2 || !inner(c, readers, m))
            continue;
        for (int j = 0; j < 2; j++) {
            int a = c->nodes[m].in[j], q = c->nodes[m].in[1 - j];
            if (!is_op(c, a, "Const") || !inner(c, readers, q))
                continue;
            const tnode *tq = &c->nodes[q];
            if (is_op(c, q, "Sub") && tq->nin == 2 && is_op(c, tq->in[1], "Abs") && inner(c, readers, tq->in[1]) &&
                c->nodes[tq->in[1]].nin == 1 && c->nodes[tq->in[1]].in[0] == tq->in[0]) {
                int x = tq->in[0];
                if (p == x || is_relu_of(c, p, x)) {
                    *x_out = x, *a_out = a;
                    return p == x ? 2 : 1;
                }
            }
            if (is_op(c, q, "Minimum")) {
                int x = other_than_zero(c, q);
                if (x >= 0 && is_relu_of(c, p, x)) {
                    *x_out = x, *a_out = a;
                    return 3;
                }
            }
        }
    }
    return 0;
}

/* L2 normalisation written out: Mul(x, Rsqrt(Maximum(Sum(Square(x), axis, keep_dims), eps)));
 * the Mul becomes L2Normalize(x, eps, axis). */
static bool match_l2norm(const ctx *c, const int *readers, int self, int ins[3])
{
    const tnode *t = &c->nodes[self];
    if (!is_op(c, self, "Mul") || t->nin != 2)
        return false;
    for (int k = 0; k < 2; k++) {
        int x = t->in[k], r = t->in[1 - k];
        if (!is_op(c, r, "Rsqrt") || !inner(c, readers, r) || c->nodes[r].nin != 1)
            continue;
        int mx = c->nodes[r].in[0];
        if (!is_op(c, mx, "Maximum") || !inner(c, readers, mx) || c->nodes[mx].nin != 2)
            continue;
        for (int j = 0; j < 2; j++) {
            int sum = c->nodes[mx].in[j], eps = c->nodes[mx].in[1 - j];
            if (!is_op(c, sum, "Sum") || !is_op(c, eps, "Const") || !inner(c, readers, sum) ||
                c->nodes[sum].nin != 2 || !attr_bool(&c->nodes[sum], "keep_dims"))
                continue;
            int sq = c->nodes[sum].in[0];
            if (is_op(c, sq, "Square") && inner(c, readers, sq) && c->nodes[sq].nin == 1 && c->nodes[sq].in[0] == x) {
                ins[0] = x, ins[1] = eps, ins[2] = c->nodes[sum].in[1];
                return true;
            }
        }
    }
    return false;
}

static int rewrite_patterns(ctx *c)
{
    int *readers = cmalloc(c, (size_t)c->n, sizeof *readers);
    if (!readers)
        return -1;
    for (int i = 0; i < c->n; i++)
        for (int j = 0; j < c->nodes[i].nin; j++)
            readers[c->nodes[i].in[j]]++;
    for (int i = 0; i < c->n; i++) {
        tnode *t = &c->nodes[i];
        int x, a, ins[3];
        int form = match_prelu(c, readers, i, &x, &a);
        if (form) {
            t->op = "Prelu";
            t->in[0] = x, t->in[1] = a, t->nin = 2;
            t->form = form;
        } else if (match_l2norm(c, readers, i, ins)) {
            int *grown = cmalloc(c, 3, sizeof *grown);
            if (!grown)
                return -1;
            memcpy(grown, ins, sizeof ins);
            t->op = "L2Normalize"; /* not a TF op: only this rewrite makes it */
            t->in = grown, t->nin = 3;
        }
    }
    return 0;
}

/* Live nodes in an order where inputs come first (an iterative DFS from the outputs, so a deep
 * graph cannot overflow the C stack); a cycle is an error. */
static int topo_order(ctx *c)
{
    int *stack = cmalloc(c, (size_t)c->n, sizeof *stack), *next = cmalloc(c, (size_t)c->n, sizeof *next);
    if (!stack || !next)
        return -1;
    for (int r = 0; r < c->n; r++) {
        if (!c->nodes[r].output || c->nodes[r].state)
            continue;
        int sp = 0;
        stack[sp++] = r;
        c->nodes[r].state = 1;
        while (sp) {
            int v = stack[sp - 1];
            tnode *t = &c->nodes[v];
            if (next[v] < t->nin) {
                int u = t->in[next[v]++];
                if (c->nodes[u].state == 1)
                    return fail(c, FK_E_UNSUPPORTED, "node '%s': a cycle through '%s' (control flow is not supported)",
                                t->name, c->nodes[u].name);
                if (!c->nodes[u].state) {
                    c->nodes[u].state = 1;
                    stack[sp++] = u;
                }
            } else {
                t->state = 2;
                c->order[c->n_order++] = v;
                sp--;
            }
        }
    }
    for (int k = 0; k < c->n_order; k++) {
        const tnode *t = &c->nodes[c->order[k]];
        for (int j = 0; j < t->nin; j++)
            c->nodes[t->in[j]].uses++;
    }
    return 0;
}

/* ---- values */

static int need_inputs(ctx *c, const tnode *t, int lo, int hi)
{
    if (t->nin < lo || t->nin > hi)
        return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s) has %d inputs, expected %d%s%d", t->name, t->op, t->nin, lo,
                    hi > lo ? " to " : "", hi > lo ? hi : lo);
    return 0;
}

static val *in_val(ctx *c, const tnode *t, int k)
{
    return &c->vals[t->in[k]];
}

static val *in_const(ctx *c, const tnode *t, int k)
{
    val *v = in_val(c, t, k);
    if (v->kind != V_CONST) {
        fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): input %d must be a constant", t->name, t->op, k);
        return NULL;
    }
    return v;
}

static val *in_tensor(ctx *c, const tnode *t, int k)
{
    val *v = in_val(c, t, k);
    if (v->kind != V_TENSOR) {
        fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): input %d must be a tensor", t->name, t->op, k);
        return NULL;
    }
    if ((v->pad_c || v->pad[0] || v->pad[1] || v->pad[2] || v->pad[3]) && strcmp(t->op, "AddV2") &&
        strcmp(t->op, "Add") && !strstr(t->op, "Conv2D") && !strstr(t->op, "Depthwise")) {
        fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): reads a padded tensor; padding is supported before a "
                                  "convolution or an add", t->name, t->op);
        return NULL;
    }
    return v;
}

static fk__shape node_shape(ctx *c, int id)
{
    return fk__graph_node(c->g, id)->shape;
}

/* A tensor value for executor node id, made by tnode owner; its TF shape is the node's. */
static void set_tensor(ctx *c, int self, int id)
{
    val *v = &c->vals[self];
    memset(v, 0, sizeof *v);
    if (id < 0) {
        /* the builder's own message names the file (the graph's name) and the node */
        fk_error ge;
        fk_status gs = fk__graph_finish(c->g, &ge);
        if (c->st == FK_OK)
            c->st = fk__fail(c->err, gs != FK_OK ? gs : FK_E_INVALID_ARGUMENT, "%s", gs != FK_OK ? ge.message : "?");
        return;
    }
    fk__shape s = node_shape(c, id);
    v->kind = V_TENSOR;
    v->id = id;
    v->owner = self;
    if (s.h == 1 && s.w == 1) {
        v->rank = 1;
        v->dims[0] = s.c;
    } else {
        v->rank = 3;
        v->dims[0] = s.h, v->dims[1] = s.w, v->dims[2] = s.c;
    }
}

/* The last axis of a value's TF shape without the batch (1 for a scalar per sample). */
static int last_dim(const val *v)
{
    return v->rank ? v->dims[v->rank - 1] : 1;
}

/* Gives value v the TF shape (rank, dims) of its node's data in the same order; flat when that
 * is not the shape set_tensor would give the node. */
static void set_tf_shape(ctx *c, val *v, int rank, const int *dims)
{
    fk__shape s = node_shape(c, v->id);
    v->rank = rank;
    memset(v->dims, 0, sizeof v->dims);
    memcpy(v->dims, dims, (size_t)rank * sizeof *dims);
    bool map = rank == 3 && dims[0] == s.h && dims[1] == s.w && dims[2] == s.c;
    bool plain = map || (s.h == 1 && s.w == 1 && rank == 1 && dims[0] == s.c);
    v->flat = !plain;
}

/* set_tensor for an op that keeps its input's TF shape (element-wise ops, fusions): `like`'s
 * rank and dims (copied first: it may be any value, the result's own included). */
static void set_tensor_as(ctx *c, int self, int id, const val *like)
{
    int rank = like->rank, dims[MAX_RANK];
    memcpy(dims, like->dims, sizeof dims);
    set_tensor(c, self, id);
    if (c->vals[self].kind == V_TENSOR)
        set_tf_shape(c, &c->vals[self], rank, dims);
}

/* set_tensor for a spatial op (convolution, pooling): TF's rank 3 without the batch, a 1x1 map
 * included. */
static void set_tensor_map(ctx *c, int self, int id)
{
    set_tensor(c, self, id);
    val *v = &c->vals[self];
    if (v->kind == V_TENSOR && v->rank == 1) {
        int c1 = v->dims[0];
        v->rank = 3, v->dims[0] = 1, v->dims[1] = 1, v->dims[2] = c1;
    }
}

static bool const_float(const val *v, float *out)
{
    if (v->kind != V_CONST || v->count != 1)
        return false;
    *out = v->data[0];
    return true;
}

/* A constant's values as per-channel factors for c channels: a scalar, or c values along its
 * last axis with every other axis 1. NULL (and an error) otherwise. */
static float *per_channel(ctx *c, const tnode *t, const val *k, int ch)
{
    bool ok = k->count == 1 || (k->count == (size_t)ch && k->rank >= 1 && k->dims[k->rank - 1] == ch);
    if (!ok) {
        fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a constant of %zu values broadcast over %d channels (only a "
                                  "scalar or one value per channel is supported)", t->name, t->op, k->count, ch);
        return NULL;
    }
    float *p = fk__graph_alloc(c->g, (size_t)ch);
    if (!p) {
        fail(c, FK_E_NO_MEMORY, "out of memory");
        return NULL;
    }
    for (int i = 0; i < ch; i++)
        p[i] = k->data[k->count == 1 ? 0 : i];
    return p;
}

/* Whether the value's node may take a fused op from tnode self: nothing else reads it. */
static bool fusable(ctx *c, const val *v, int self)
{
    if (v->kind != V_TENSOR || v->pad_c || v->flat || v->id == fk__graph_input(c->g))
        return false;
    const tnode *o = &c->nodes[v->owner];
    const tnode *t = &c->nodes[self];
    bool direct = false;
    for (int k = 0; k < t->nin; k++)
        direct |= t->in[k] == v->owner;
    return o->uses == 1 && !o->output && direct;
}

static fk__epilogue *node_epilogue(fk__node *n)
{
    switch (n->op) {
    case FK__OP_CONV2D: return &n->u.conv.ep;
    case FK__OP_DWCONV: return &n->u.dw.ep;
    case FK__OP_FC: return &n->u.fc.ep;
    case FK__OP_ADD: return &n->u.add;
    default: return NULL;
    }
}

/* x * s + b per channel (s or b NULL: 1 or 0) folded into v's node when it may take it, else a
 * new affine node. */
static void lower_affine(ctx *c, int self, val *x, const float *s, const float *b)
{
    fk__shape sh = node_shape(c, x->id);
    int ch = sh.c;
    if (fusable(c, x, self)) {
        fk__node *n = fk__graph_node_mut(c->g, x->id);
        fk__epilogue *ep = node_epilogue(n);
        if (ep && ep->act == FK__ACT_NONE) {
            float *sc = fk__graph_alloc(c->g, (size_t)ch), *sf = fk__graph_alloc(c->g, (size_t)ch);
            if (!sc || !sf) {
                fail(c, FK_E_NO_MEMORY, "out of memory");
                return;
            }
            for (int i = 0; i < ch; i++) {
                float s0 = ep->scale ? ep->scale[i] : 1.0f, b0 = ep->shift ? ep->shift[i] : 0.0f;
                float s1 = s ? s[i] : 1.0f, b1 = b ? b[i] : 0.0f;
                sc[i] = s0 * s1;
                sf[i] = b0 * s1 + b1;
            }
            ep->scale = sc;
            ep->shift = sf;
            set_tensor_as(c, self, x->id, x);
            return;
        }
        if (n->op == FK__OP_AFFINE && n->u.affine.act == FK__ACT_NONE) {
            float *sc = fk__graph_alloc(c->g, (size_t)ch), *sf = fk__graph_alloc(c->g, (size_t)ch);
            if (!sc || !sf) {
                fail(c, FK_E_NO_MEMORY, "out of memory");
                return;
            }
            for (int i = 0; i < ch; i++) {
                float s0 = n->u.affine.scale ? n->u.affine.scale[i] : 1.0f;
                float b0 = n->u.affine.shift ? n->u.affine.shift[i] : 0.0f;
                float s1 = s ? s[i] : 1.0f, b1 = b ? b[i] : 0.0f;
                sc[i] = s0 * s1;
                sf[i] = b0 * s1 + b1;
            }
            n->u.affine.scale = sc;
            n->u.affine.shift = sf;
            set_tensor_as(c, self, x->id, x);
            return;
        }
    }
    set_tensor_as(c, self, fk__g_affine(c->g, x->id, c->nodes[self].name, s, b, FK__ACT_NONE, 0.0f), x);
}

/* An activation (slopes: PReLU's per-channel slopes, for FK__ACT_PRELU) fused into v's node when
 * it may take it (a convolution, FC, add or affine without one), else a new affine node. */
static void lower_act(ctx *c, int self, val *x, fk__act act, float alpha, const float *slopes)
{
    if (fusable(c, x, self)) {
        fk__node *n = fk__graph_node_mut(c->g, x->id);
        fk__epilogue *ep = node_epilogue(n);
        if (ep && ep->act == FK__ACT_NONE) {
            ep->act = act, ep->alpha = alpha, ep->slopes = slopes;
            set_tensor_as(c, self, x->id, x);
            return;
        }
        if (n->op == FK__OP_AFFINE && n->u.affine.act == FK__ACT_NONE) {
            n->u.affine.act = act, n->u.affine.alpha = alpha, n->u.affine.slopes = slopes;
            set_tensor_as(c, self, x->id, x);
            return;
        }
    }
    const char *name = c->nodes[self].name;
    set_tensor_as(c, self, act == FK__ACT_PRELU ? fk__g_prelu(c->g, x->id, name, slopes)
                                                : fk__g_affine(c->g, x->id, name, NULL, NULL, act, alpha), x);
}

/* ---- constants */

static int make_const(ctx *c, int self, int rank, const int *dims)
{
    val *v = &c->vals[self];
    memset(v, 0, sizeof *v);
    size_t count = 1;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0 || !fk__mul_size(count, (size_t)dims[i], &count) || count > ((size_t)1 << 28))
            return fail(c, FK_E_LIMIT, "node '%s': a constant too large", c->nodes[self].name);
    v->kind = V_CONST;
    v->rank = rank;
    memcpy(v->dims, dims, (size_t)rank * sizeof *dims);
    v->count = count;
    v->data = cmalloc(c, count, sizeof(float));
    return v->data ? 0 : -1;
}

static int lower_const(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    const fk__weight *w = fk__weights_find(c->w, t->name);
    if (!w)
        return fail(c, FK_E_BAD_FORMAT, "node '%s' (Const) has no value in the weights manifest", t->name);
    val *v = &c->vals[self];
    memset(v, 0, sizeof *v);
    v->kind = V_CONST;
    v->rank = w->rank;
    memcpy(v->dims, w->dims, sizeof w->dims);
    v->count = w->count;
    v->data = w->data; /* read-only: folds write new constants */
    return 0;
}

static float unary(const char *op, float x)
{
    if (!strcmp(op, "Neg"))
        return -x;
    if (!strcmp(op, "Rsqrt"))
        return 1.0f / sqrtf(x);
    if (!strcmp(op, "Sqrt"))
        return sqrtf(x);
    if (!strcmp(op, "Square"))
        return x * x;
    if (!strcmp(op, "Abs"))
        return fabsf(x);
    if (!strcmp(op, "Relu"))
        return x > 0 ? x : 0;
    if (!strcmp(op, "Sigmoid"))
        return 1.0f / (1.0f + expf(-x));
    if (!strcmp(op, "Exp"))
        return expf(x);
    if (!strcmp(op, "Tanh"))
        return tanhf(x);
    if (!strcmp(op, "Reciprocal"))
        return 1.0f / x;
    return x; /* Identity, Cast, StopGradient */
}

static float binary(const char *op, float a, float b)
{
    if (!strcmp(op, "Mul"))
        return a * b;
    if (!strcmp(op, "Sub"))
        return a - b;
    if (!strcmp(op, "RealDiv") || !strcmp(op, "Div"))
        return a / b;
    if (!strcmp(op, "Maximum"))
        return a > b ? a : b;
    if (!strcmp(op, "Minimum"))
        return a < b ? a : b;
    return a + b; /* Add, AddV2, BiasAdd */
}

static bool is_unary_fold(const char *op)
{
    static const char *const ops[] = {"Identity", "Cast", "StopGradient", "Neg", "Rsqrt", "Sqrt", "Square",
                                      "Abs", "Relu", "Sigmoid", "Exp", "Reciprocal", "Tanh"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(op, ops[i]))
            return true;
    return false;
}

static bool is_binary(const char *op)
{
    static const char *const ops[] = {"Add", "AddV2", "BiasAdd", "Sub", "Mul", "RealDiv", "Div", "Maximum",
                                      "Minimum"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(op, ops[i]))
            return true;
    return false;
}

/* Folds a node whose data inputs are all constants; 1 when it did, 0 when the op does not fold. */
static int fold(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    for (int k = 0; k < t->nin; k++)
        if (in_val(c, t, k)->kind != V_CONST)
            return 0;
    if (is_unary_fold(t->op) && t->nin == 1) {
        const val *a = in_val(c, t, 0);
        if (make_const(c, self, a->rank, a->dims))
            return -1;
        for (size_t i = 0; i < a->count; i++)
            c->vals[self].data[i] = unary(t->op, a->data[i]);
        return 1;
    }
    if (is_binary(t->op) && t->nin == 2) {
        const val *a = in_val(c, t, 0), *b = in_val(c, t, 1);
        const val *big = a->count >= b->count ? a : b;
        bool same = a->count == b->count && a->rank == b->rank && !memcmp(a->dims, b->dims, sizeof a->dims);
        if (!same && a->count != 1 && b->count != 1)
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): constants of shapes that only broadcast", t->name,
                        t->op);
        if (make_const(c, self, big->rank, big->dims))
            return -1;
        for (size_t i = 0; i < big->count; i++)
            c->vals[self].data[i] = binary(t->op, a->data[a->count == 1 ? 0 : i], b->data[b->count == 1 ? 0 : i]);
        return 1;
    }
    if ((!strcmp(t->op, "Reshape") || !strcmp(t->op, "Squeeze") || !strcmp(t->op, "ExpandDims")) && t->nin >= 1) {
        /* the values stay; only a shape operand of a reshape is honoured, enough for shape constants */
        const val *a = in_val(c, t, 0);
        int dims[MAX_RANK] = {0}, rank = 1;
        dims[0] = (int)a->count;
        if (!strcmp(t->op, "Reshape") && t->nin == 2) {
            const val *s = in_val(c, t, 1);
            if (s->count > MAX_RANK)
                return fail(c, FK_E_UNSUPPORTED, "node '%s': reshape to rank %zu", t->name, s->count);
            size_t known = 1;
            int infer = -1;
            rank = (int)s->count;
            for (int i = 0; i < rank; i++) {
                dims[i] = (int)s->data[i];
                if (dims[i] == -1 && infer < 0)
                    infer = i;
                else if (dims[i] <= 0)
                    return fail(c, FK_E_BAD_FORMAT, "node '%s': reshape to a bad shape", t->name);
                else
                    known *= (size_t)dims[i];
            }
            if (infer >= 0)
                dims[infer] = known ? (int)(a->count / known) : 0;
        }
        if (make_const(c, self, rank, dims))
            return -1;
        if (c->vals[self].count != a->count)
            return fail(c, FK_E_BAD_FORMAT, "node '%s': reshape of %zu values to %zu", t->name, a->count,
                        c->vals[self].count);
        memcpy(c->vals[self].data, a->data, a->count * sizeof(float));
        return 1;
    }
    return 0;
}

/* ---- tensor ops */

static int parse_padding(ctx *c, const tnode *t, fk__padding *pad)
{
    char p[32];
    if (attr_str(c, t, "padding", p, sizeof p))
        return -1;
    if (!strcmp(p, "SAME"))
        *pad = FK__PAD_SAME;
    else if (!strcmp(p, "VALID"))
        *pad = FK__PAD_VALID;
    else
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): padding '%s' (only SAME and VALID are supported)",
                    t->name, t->op, p);
    return 0;
}

/* A [1, s, s, 1] attribute (strides, ksize) as s; every other form is unsupported. */
static int square_attr(ctx *c, const tnode *t, const char *key, int *out, bool required)
{
    long long v[8];
    int n;
    if (attr_ints(c, t, key, v, 8, &n))
        return -1;
    if (n == 0 && !required) {
        *out = 1;
        return 0;
    }
    if (n != 4 || v[0] != 1 || v[3] != 1 || v[1] != v[2] || v[1] < 1 || v[1] > 1024)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): %s must be [1, k, k, 1]", t->name, t->op, key);
    *out = (int)v[1];
    return 0;
}

/* The fused ops list ("BiasAdd", then an activation) of _FusedConv2D / _FusedMatMul. */
static int fused_act(ctx *c, const tnode *t, int *has_bias, fk__act *act, float *alpha, int *prelu)
{
    const cJSON *a = attr(t, "fused_ops"), *l = a ? cJSON_GetObjectItemCaseSensitive(a, "list") : NULL;
    const cJSON *ss = l ? cJSON_GetObjectItemCaseSensitive(l, "s") : NULL;
    *has_bias = 0, *act = FK__ACT_NONE, *alpha = 0, *prelu = 0;
    int k = 0;
    for (const cJSON *v = cJSON_IsArray(ss) ? ss->child : NULL; v; v = v->next, k++) {
        size_t len;
        unsigned char *raw = cJSON_IsString(v) ? fk__base64_decode(v->valuestring, &len) : NULL;
        char op[32] = "";
        if (raw && len < sizeof op)
            memcpy(op, raw, len);
        free(raw);
        if (k == 0 && !strcmp(op, "BiasAdd"))
            *has_bias = 1;
        else if (k == 1 && !strcmp(op, "Relu"))
            *act = FK__ACT_RELU;
        else if (k == 1 && !strcmp(op, "Relu6"))
            *act = FK__ACT_RELU6;
        else if (k == 1 && !strcmp(op, "LeakyRelu"))
            *act = FK__ACT_LEAKY, *alpha = (float)attr_float(t, "leakyrelu_alpha", 0.2);
        else if (k == 1 && !strcmp(op, "Prelu"))
            *prelu = 1;
        else
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): fused op '%s' at position %d is not supported",
                        t->name, t->op, op, k);
    }
    return 0;
}

/* PReLU slopes: one for every channel is a leaky ReLU (*slopes NULL, the slope in *alpha); else
 * *slopes is the per-channel array, for a PReLU node after the op. */
static int prelu_slopes(ctx *c, const tnode *t, const val *a, int ch, float *alpha, const float **slopes)
{
    *slopes = NULL;
    bool uniform = a->count >= 1;
    for (size_t i = 1; i < a->count; i++)
        uniform &= a->data[i] == a->data[0];
    if (uniform) {
        *alpha = a->data[0];
        return 0;
    }
    if (a->count != (size_t)ch || a->dims[a->rank - 1] != ch)
        return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): %zu PReLU slopes for %d channels", t->name, t->op, a->count,
                    ch);
    *slopes = a->data;
    return 0;
}

/* The epilogue of a _FusedConv2D or _FusedMatMul over `count` output channels: its bias (input 2)
 * and activation, a PReLU's per-channel slopes included. */
static int fused_epilogue(ctx *c, const tnode *t, int count, const char *noun, fk__epilogue *ep)
{
    int has_bias = 0, prelu = 0;
    if (fused_act(c, t, &has_bias, &ep->act, &ep->alpha, &prelu))
        return -1;
    if (has_bias + prelu != t->nin - 2)
        return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): %d extra inputs for its fused ops", t->name, t->op, t->nin - 2);
    if (has_bias) {
        val *b = in_const(c, t, 2);
        if (!b)
            return -1;
        if (b->count != (size_t)count)
            return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): bias of %zu values for %d %s", t->name, t->op, b->count,
                        count, noun);
        ep->bias = b->data;
    }
    if (prelu) {
        val *a = in_const(c, t, 2 + has_bias);
        if (!a || prelu_slopes(c, t, a, count, &ep->alpha, &ep->slopes))
            return -1;
        ep->act = ep->slopes ? FK__ACT_PRELU : FK__ACT_LEAKY;
    }
    return 0;
}

/* A convolution's zero padding on each side: a pending Pad of its input (x->pad) plus its own
 * padding: SAME (TensorFlow's rule on the padded size), VALID, or EXPLICIT (explicit_paddings,
 * NHWC pairs). */
static int conv_pads(ctx *c, const tnode *t, const val *x, int kh, int kw, int s, fk__pads *p)
{
    char mode[32];
    if (attr_str(c, t, "padding", mode, sizeof mode))
        return -1;
    fk__shape sh = node_shape(c, x->id);
    *p = (fk__pads){x->pad[0], x->pad[1], x->pad[2], x->pad[3]};
    if (!strcmp(mode, "EXPLICIT")) {
        long long e[8];
        int n;
        if (attr_ints(c, t, "explicit_paddings", e, 8, &n))
            return -1;
        if (n != 8 || e[0] || e[1] || e[6] || e[7])
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): explicit_paddings other than 8 values padding only "
                                             "height and width", t->name, t->op);
        for (int i = 2; i < 6; i++)
            if (e[i] < 0 || e[i] > 4096)
                return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): a negative or huge explicit padding", t->name, t->op);
        p->top += (int)e[2], p->bottom += (int)e[3], p->left += (int)e[4], p->right += (int)e[5];
    } else if (!strcmp(mode, "SAME")) {
        int h = sh.h + p->top + p->bottom, w = sh.w + p->left + p->right, oh, ow, bt, bl;
        if (!fk__pad_axis(h, kh, s, FK__PAD_SAME, &oh, &bt) || !fk__pad_axis(w, kw, s, FK__PAD_SAME, &ow, &bl))
            return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): an empty output", t->name, t->op);
        int bb = (oh - 1) * s + kh - h - bt, br = (ow - 1) * s + kw - w - bl;
        p->top += bt, p->left += bl, p->bottom += bb > 0 ? bb : 0, p->right += br > 0 ? br : 0;
    } else if (strcmp(mode, "VALID")) {
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): padding '%s' (only SAME, VALID and EXPLICIT are supported)",
                    t->name, t->op, mode);
    }
    return 0;
}

static int check_dilations(ctx *c, const tnode *t)
{
    long long d[8];
    int n;
    if (attr_ints(c, t, "dilations", d, 8, &n))
        return -1;
    for (int i = 0; i < n; i++)
        if (d[i] != 1)
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): dilated convolution", t->name, t->op);
    return 0;
}

static int lower_conv(ctx *c, int self, int depthwise)
{
    const tnode *t = &c->nodes[self];
    bool fused = t->op[0] == '_' || !strncmp(t->op, "Fused", 5);
    if (need_inputs(c, t, 2, fused ? 4 : 2))
        return -1;
    val *x = in_tensor(c, t, 0), *w = x ? in_const(c, t, 1) : NULL;
    if (!w || check_dilations(c, t))
        return -1;
    fk__shape in = node_shape(c, x->id);
    int cin = x->pad_c ? x->pad_c : in.c;
    if (w->rank != 4 || w->dims[2] != cin || (depthwise && w->dims[3] != 1))
            return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): filter of shape [%d,%d,%d,%d] for %d input channels%s",
                        t->name, t->op, w->dims[0], w->dims[1], w->dims[2], w->dims[3], cin,
                        depthwise ? " (a depthwise channel multiplier other than 1 is not supported)" : "");
    if (x->pad_c)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a convolution of channel-padded input", t->name, t->op);
    int s;
    fk__pads pads;
    if (square_attr(c, t, "strides", &s, false) || conv_pads(c, t, x, w->dims[0], w->dims[1], s, &pads))
        return -1;
    fk__epilogue ep = {0};
    if (fused && fused_epilogue(c, t, depthwise ? in.c : w->dims[3], "channels", &ep))
        return -1;
    int id = depthwise ? fk__g_dwconv_pads(c->g, x->id, t->name, w->dims[0], w->dims[1], s, pads, w->data, ep)
                       : fk__g_conv2d_pads(c->g, x->id, t->name, w->dims[0], w->dims[1], s, pads, w->dims[3], w->data, ep);
    set_tensor_map(c, self, id);
    return 0;
}

static int lower_matmul(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    bool fused = t->op[0] == '_';
    if (need_inputs(c, t, 2, fused ? 4 : 2))
        return -1;
    val *x = in_tensor(c, t, 0), *w = x ? in_const(c, t, 1) : NULL;
    if (!w)
        return -1;
    if (attr_bool(t, "transpose_a"))
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): transpose_a", t->name, t->op);
    fk__shape in = node_shape(c, x->id);
    size_t k = (size_t)in.h * in.w * in.c;
    bool tb = attr_bool(t, "transpose_b");
    if (x->rank != 1 || w->rank != 2 || (size_t)w->dims[tb ? 1 : 0] != k)
        return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): a [%zu] input against weights of shape [%d,%d]%s", t->name,
                    t->op, k, w->dims[0], w->dims[1], x->rank != 1 ? " (the input is not a vector)" : "");
    int m = w->dims[tb ? 0 : 1];
    const float *wt = w->data;
    if (tb) {
        float *tr = cmalloc(c, w->count, sizeof *tr);
        if (!tr)
            return -1;
        for (size_t i = 0; i < (size_t)m; i++)
            for (size_t j = 0; j < k; j++)
                tr[j * (size_t)m + i] = w->data[i * k + j];
        wt = tr;
    }
    fk__epilogue ep = {0};
    if (fused && fused_epilogue(c, t, m, "outputs", &ep))
        return -1;
    set_tensor(c, self, fk__g_fc(c->g, x->id, t->name, m, wt, ep));
    return 0;
}

static int lower_pool(ctx *c, int self, fk__pool_kind kind)
{
    const tnode *t = &c->nodes[self];
    if (need_inputs(c, t, 1, 1))
        return -1;
    val *x = in_tensor(c, t, 0);
    int k = 0, s = 1;
    fk__padding pad = FK__PAD_VALID;
    if (!x || square_attr(c, t, "ksize", &k, true) || square_attr(c, t, "strides", &s, false) ||
        parse_padding(c, t, &pad))
        return -1;
    if (x->rank != 3)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): pooling a vector", t->name, t->op);
    set_tensor_map(c, self, fk__g_pool(c->g, x->id, t->name, kind, k, s, pad));
    return 0;
}

/* Mean, Max or Sum over the spatial axes (1 and 2 of NHWC). */
static int lower_reduce(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    if (need_inputs(c, t, 2, 2))
        return -1;
    val *x = in_tensor(c, t, 0), *ax = x ? in_const(c, t, 1) : NULL;
    if (!ax)
        return -1;
    bool spatial = x->rank == 3 && ax->count == 2 && ((ax->data[0] == 1 && ax->data[1] == 2) ||
                                                       (ax->data[0] == 2 && ax->data[1] == 1));
    if (!spatial)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a reduction over axes other than height and width",
                    t->name, t->op);
    fk__shape sh = node_shape(c, x->id);
    int id;
    if (!strcmp(t->op, "Max")) {
        if (sh.h != sh.w)
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (Max): a global max over a %dx%d map", t->name, sh.h, sh.w);
        id = fk__g_pool(c->g, x->id, t->name, FK__POOL_MAX, sh.h, 1, FK__PAD_VALID);
    } else {
        id = fk__g_global_avgpool(c->g, x->id, t->name);
        if (!strcmp(t->op, "Sum") && id >= 0) {
            float *s = fk__graph_alloc(c->g, (size_t)sh.c);
            if (!s)
                return fail(c, FK_E_NO_MEMORY, "out of memory");
            for (int i = 0; i < sh.c; i++)
                s[i] = (float)sh.h * (float)sh.w;
            id = fk__g_affine(c->g, id, t->name, s, NULL, FK__ACT_NONE, 0.0f);
        }
    }
    set_tensor(c, self, id);
    if (attr_bool(t, "keep_dims") && c->vals[self].kind == V_TENSOR)
        set_tf_shape(c, &c->vals[self], 3, (int[]){1, 1, sh.c});
    return 0;
}

/* Sub, Mul or Div of two tensors of one TF shape (no broadcasting). */
static int lower_binary_tensors(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    const char *op = t->op;
    fk__binop bop = !strcmp(op, "Sub") ? FK__BIN_SUB : !strcmp(op, "Mul") ? FK__BIN_MUL
                  : (!strcmp(op, "RealDiv") || !strcmp(op, "Div")) ? FK__BIN_DIV : FK__BIN_COUNT;
    if (bop == FK__BIN_COUNT)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s) of two tensors (Add, Sub, Mul and Div are supported)",
                    t->name, op);
    val *a = in_tensor(c, t, 0), *b = a ? in_tensor(c, t, 1) : NULL;
    if (!b)
        return -1;
    fk__shape sa = node_shape(c, a->id), sb = node_shape(c, b->id);
    bool pads = a->pad_c || b->pad_c || (a->pad[0] | a->pad[1] | a->pad[2] | a->pad[3]) ||
                (b->pad[0] | b->pad[1] | b->pad[2] | b->pad[3]);
    if (pads || !fk__shape_eq(sa, sb) || a->rank != b->rank || memcmp(a->dims, b->dims, (size_t)a->rank * sizeof *a->dims))
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): operands of %dx%dx%d and %dx%dx%d, or of different TF "
                                         "shapes (broadcasting is not supported)", t->name, op, sa.h, sa.w, sa.c,
                    sb.h, sb.w, sb.c);
    set_tensor_as(c, self, fk__g_binary(c->g, a->id, b->id, t->name, bop), a);
    return 0;
}

/* attr {"i": "2"} as an int (0 when absent). */
static int attr_int(ctx *c, const tnode *t, const char *key, int *out)
{
    const cJSON *a = attr(t, key), *i = a ? cJSON_GetObjectItemCaseSensitive(a, "i") : NULL;
    long long v = 0;
    if (a && (!json_int(i, &v) || v < INT_MIN || v > INT_MAX))
        return fail(c, FK_E_BAD_FORMAT, "node '%s': attribute '%s' is not an integer", t->name, key);
    *out = (int)v;
    return 0;
}

/* StridedSlice along the channel axis only (the batch and every other axis whole): a slice node;
 * shrink_axis_mask on it drops the axis. */
static int lower_strided_slice(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    if (need_inputs(c, t, 4, 4))
        return -1;
    val *x = in_tensor(c, t, 0), *vb = x ? in_const(c, t, 1) : NULL, *ve = vb ? in_const(c, t, 2) : NULL;
    val *vs = ve ? in_const(c, t, 3) : NULL;
    if (!vs)
        return -1;
    int bm, em, ell, nam, shr;
    if (attr_int(c, t, "begin_mask", &bm) || attr_int(c, t, "end_mask", &em) || attr_int(c, t, "ellipsis_mask", &ell) ||
        attr_int(c, t, "new_axis_mask", &nam) || attr_int(c, t, "shrink_axis_mask", &shr))
        return -1;
    int tf_rank = x->rank + 1, n = (int)vb->count;
    if (ell || nam || n < 1 || n > tf_rank || ve->count != (size_t)n || vs->count != (size_t)n)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): an ellipsis, a new axis or %d bounds for a rank-%d tensor",
                    t->name, t->op, n, tf_rank);
    fk__shape sh = node_shape(c, x->id);
    for (int i = 0; i < n; i++) {
        int dim = i == 0 ? 1 : x->dims[i - 1];
        float b = vb->data[i], e = ve->data[i], st = vs->data[i];
        bool last = i == tf_rank - 1 && i > 0;
        if (st != 1.0f && !(last && st > 0.0f && st <= 1 << 20))
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a stride of %g on axis %d", t->name, t->op, st, i);
        if (last)
            continue;
        bool whole = (bm >> i & 1 || b == 0) && (em >> i & 1 || (i > 0 && e >= dim)) && !(shr >> i & 1);
        if (!whole)
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a slice of axis %d (only the channel axis may be sliced)",
                        t->name, t->op, i);
    }
    if (n < tf_rank) {
        c->vals[self] = *x; /* the channels untouched: the same tensor */
        return 0;
    }
    int ch = last_dim(x), i = n - 1;
    if (x->flat && ch != sh.c)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a slice of a reshaped tensor", t->name, t->op);
    double b = vb->data[i], e = ve->data[i];
    int st = (int)vs->data[i];
    if (b < 0)
        b += ch;
    if (e < 0)
        e += ch;
    if (bm >> i & 1)
        b = 0;
    if (em >> i & 1)
        e = ch;
    if (shr >> i & 1)
        e = b + 1, st = 1;
    b = b < 0 ? 0 : b > ch ? ch : b;
    e = e < 0 ? 0 : e > ch ? ch : e;
    int count = e > b ? (int)((e - b + st - 1) / st) : 0;
    if (count < 1 || (shr >> i & 1 && vb->data[i] != floor(vb->data[i])))
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): an empty or fractional channel range", t->name, t->op);
    int rank = x->rank, dims[MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[rank - 1] = count;
    if (shr >> i & 1)
        rank--;
    set_tensor(c, self, fk__g_slice(c->g, x->id, t->name, (int)b, st, count));
    if (c->vals[self].kind == V_TENSOR)
        set_tf_shape(c, &c->vals[self], rank, dims);
    return 0;
}

/* ExpandDims: a 1 inserted into the TF shape (never before the batch); the data stays. */
static int lower_expand_dims(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    if (need_inputs(c, t, 2, 2))
        return -1;
    val *x = in_tensor(c, t, 0), *ax = x ? in_const(c, t, 1) : NULL;
    float a;
    if (!ax)
        return -1;
    int tf_rank = x->rank + 1;
    if (!const_float(ax, &a) || a != floor(a) || a < -tf_rank - 1 || a > tf_rank)
        return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): a bad axis", t->name, t->op);
    int axis = a < 0 ? (int)a + tf_rank + 1 : (int)a;
    if (axis == 0 || x->rank + 1 > MAX_RANK)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): an axis before the batch, or rank %d", t->name, t->op,
                    tf_rank + 1);
    int dims[MAX_RANK] = {0}, k = 0;
    for (int i = 0; i <= x->rank; i++)
        dims[i] = i == axis - 1 ? 1 : x->dims[k++];
    val v = *x;
    set_tf_shape(c, &v, x->rank + 1, dims);
    c->vals[self] = v;
    return 0;
}

/* L2Normalize(x, eps, axis) from rewrite_patterns: the channel axis, a scalar eps. */
static int lower_l2norm(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    if (need_inputs(c, t, 3, 3))
        return -1;
    val *x = in_tensor(c, t, 0), *eps = x ? in_const(c, t, 1) : NULL, *ax = eps ? in_const(c, t, 2) : NULL;
    float e, a;
    if (!ax)
        return -1;
    if (!const_float(eps, &e) || !const_float(ax, &a) || !(a == -1 || a == x->rank) || !x->rank ||
        (x->flat && last_dim(x) != node_shape(c, x->id).c))
        return fail(c, FK_E_UNSUPPORTED, "node '%s': an L2 normalisation (Sum, Maximum, Rsqrt, Mul) over an axis "
                                         "other than the channels", t->name);
    set_tensor_as(c, self, fk__g_l2norm(c->g, x->id, t->name, e), x);
    return 0;
}

static int lower_binary(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    if (need_inputs(c, t, 2, 2))
        return -1;
    val *a = in_val(c, t, 0), *b = in_val(c, t, 1);
    const char *op = t->op;
    bool add = !strcmp(op, "Add") || !strcmp(op, "AddV2") || !strcmp(op, "BiasAdd");
    if (a->kind == V_TENSOR && b->kind == V_TENSOR) {
        if (!add)
            return lower_binary_tensors(c, self);
        if (!in_tensor(c, t, 0) || !in_tensor(c, t, 1))
            return -1;
        if ((a->pad[0] | a->pad[1] | a->pad[2] | a->pad[3] | b->pad[0] | b->pad[1] | b->pad[2] | b->pad[3]))
            return fail(c, FK_E_UNSUPPORTED, "node '%s': an add of a spatially padded tensor", t->name);
        fk__shape sa = node_shape(c, a->id), sb = node_shape(c, b->id);
        int ca = a->pad_c ? a->pad_c : sa.c, cb = b->pad_c ? b->pad_c : sb.c;
        if (sa.h != sb.h || sa.w != sb.w || ca != cb || (a->flat != b->flat))
            return fail(c, FK_E_UNSUPPORTED, "node '%s': an add of %dx%dx%d and %dx%dx%d (broadcasting is not "
                                             "supported)", t->name, sa.h, sa.w, ca, sb.h, sb.w, cb);
        set_tensor_as(c, self, fk__g_add(c->g, a->id, b->id, t->name, FK__ACT_NONE), a);
        return 0;
    }
    /* one tensor, one constant: a per-channel affine map, or a clamp */
    bool tensor_first = a->kind == V_TENSOR;
    val *x = tensor_first ? a : b, *k = tensor_first ? b : a;
    if (!in_tensor(c, t, tensor_first ? 0 : 1))
        return -1;
    if (k->kind != V_CONST)
        return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): an operand has no value", t->name, op);
    fk__shape sh = node_shape(c, x->id);
    if (x->flat && last_dim(x) != sh.c && k->count != 1)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): per-channel constants on a reshaped tensor", t->name, op);
    if (!strcmp(op, "Maximum") || !strcmp(op, "Minimum")) {
        float v;
        if (!const_float(k, &v))
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s) with a non-scalar constant", t->name, op);
        /* the clamps of a ReLU6 or a ReLU, as TF writes them out */
        if (!strcmp(op, "Maximum") && v == 0.0f) {
            lower_act(c, self, x, FK__ACT_RELU, 0.0f, NULL);
            return 0;
        }
        if (!strcmp(op, "Minimum") && v == 6.0f && fusable(c, x, self)) {
            fk__node *n = fk__graph_node_mut(c->g, x->id);
            fk__epilogue *ep = node_epilogue(n);
            fk__act *act = ep ? &ep->act : n->op == FK__OP_AFFINE ? &n->u.affine.act : NULL;
            if (act && *act == FK__ACT_RELU) {
                *act = FK__ACT_RELU6;
                set_tensor_as(c, self, x->id, x);
                return 0;
            }
        }
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s %g): a clamp other than ReLU or ReLU6", t->name, op, v);
    }
    float *vals = per_channel(c, t, k, sh.c);
    if (!vals)
        return -1;
    if (add) {
        lower_affine(c, self, x, NULL, vals);
    } else if (!strcmp(op, "Mul")) {
        lower_affine(c, self, x, vals, NULL);
    } else if (!strcmp(op, "Sub")) {
        if (tensor_first) {
            for (int i = 0; i < sh.c; i++)
                vals[i] = -vals[i];
            lower_affine(c, self, x, NULL, vals);
        } else {
            float *m1 = per_channel(c, t, &(val){.kind = V_CONST, .count = 1, .data = (float[]){-1.0f}}, sh.c);
            if (!m1)
                return -1;
            lower_affine(c, self, x, m1, vals);
        }
    } else if (!strcmp(op, "RealDiv") || !strcmp(op, "Div")) {
        if (!tensor_first)
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a constant divided by a tensor", t->name, op);
        for (int i = 0; i < sh.c; i++)
            vals[i] = 1.0f / vals[i];
        lower_affine(c, self, x, vals, NULL);
    } else {
        return fail(c, FK_E_UNSUPPORTED, "node '%s': op '%s' is not supported", t->name, op);
    }
    return 0;
}

static int lower_pad(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    if (need_inputs(c, t, 2, 3))
        return -1;
    val *x = in_tensor(c, t, 0), *p = x ? in_const(c, t, 1) : NULL;
    if (!p)
        return -1;
    if (t->nin == 3) {
        float v;
        if (!const_float(in_val(c, t, 2), &v) || v != 0.0f)
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): padding with a value other than 0", t->name, t->op);
    }
    if (x->rank != 3 || p->count != 8 || p->data[0] != 0 || p->data[1] != 0 || p->data[6] != 0)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): padding other than height, width and trailing channels",
                    t->name, t->op);
    for (int i = 2; i < 8; i++)
        if (!(p->data[i] >= 0 && p->data[i] <= 4096))
            return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): a negative or huge padding", t->name, t->op);
    val v = *x;
    fk__shape sh = node_shape(c, x->id);
    v.pad[0] += (int)p->data[2], v.pad[1] += (int)p->data[3], v.pad[2] += (int)p->data[4], v.pad[3] += (int)p->data[5];
    if (p->data[7] > 0)
        v.pad_c = (x->pad_c ? x->pad_c : sh.c) + (int)p->data[7];
    v.dims[0] += (int)(p->data[2] + p->data[3]);
    v.dims[1] += (int)(p->data[4] + p->data[5]);
    v.dims[2] = v.pad_c ? v.pad_c : v.dims[2];
    c->vals[self] = v;
    return 0;
}

static int lower_reshape(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    bool squeeze = !strcmp(t->op, "Squeeze");
    if (need_inputs(c, t, squeeze ? 1 : 2, squeeze ? 1 : 2))
        return -1;
    val *x = in_tensor(c, t, 0);
    if (!x)
        return -1;
    fk__shape sh = node_shape(c, x->id);
    size_t count = (size_t)sh.h * sh.w * sh.c;
    int dims[MAX_RANK] = {0}, rank = 0;
    if (squeeze) {
        for (int i = 0; i < x->rank; i++)
            if (x->dims[i] != 1)
                dims[rank++] = x->dims[i];
        if (!rank)
            dims[rank++] = 1;
    } else {
        val *s = in_const(c, t, 1);
        if (!s)
            return -1;
        if (s->count < 1 || s->count > MAX_RANK || !(s->data[0] == -1 || s->data[0] == 1))
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a reshape that does not keep the batch axis first",
                        t->name, t->op);
        size_t known = 1;
        int infer = -1;
        for (size_t i = 1; i < s->count; i++) {
            int d = (int)s->data[i];
            if (d == -1 && infer < 0)
                infer = rank;
            else if (d <= 0)
                return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): reshape to a bad shape", t->name, t->op);
            else
                known *= (size_t)d;
            dims[rank++] = d;
        }
        if (infer >= 0)
            dims[infer] = known && count % known == 0 ? (int)(count / known) : -1;
        size_t got = 1;
        for (int i = 0; i < rank; i++)
            got *= (size_t)(dims[i] > 0 ? dims[i] : 0);
        if (!rank || got != count)
            return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s): reshape of %zu values to a shape of %zu", t->name,
                        t->op, count, got);
    }
    val v = *x;
    v.rank = rank;
    memcpy(v.dims, dims, sizeof dims);
    /* the node's own shape read as TF would: no reinterpretation needed */
    bool same = (rank == 1 && sh.h == 1 && sh.w == 1) || (rank == 3 && dims[0] == sh.h && dims[1] == sh.w);
    v.flat = !same;
    c->vals[self] = v;
    return 0;
}

static int lower_concat(ctx *c, int self)
{
    const tnode *t = &c->nodes[self];
    if (t->nin < 2 || t->nin - 1 > FK__MAX_INPUTS)
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): %d inputs", t->name, t->op, t->nin);
    val *ax = in_const(c, t, t->nin - 1);
    if (!ax)
        return -1;
    int ids[FK__MAX_INPUTS];
    int rank = -1;
    val like = {0};
    for (int k = 0; k < t->nin - 1; k++) {
        val *x = in_tensor(c, t, k);
        if (!x)
            return -1;
        if (x->flat || !x->rank || (rank >= 0 && x->rank != rank))
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a concat of reshaped, scalar or unlike tensors", t->name,
                        t->op);
        if (k == 0)
            like = *x, like.dims[like.rank - 1] = 0;
        like.dims[like.rank - 1] += last_dim(x);
        rank = x->rank;
        ids[k] = x->id;
    }
    float a;
    if (!const_float(ax, &a) || !(a == -1 || a == rank))
        return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s): a concat along an axis other than channels", t->name, t->op);
    set_tensor_as(c, self, fk__g_concat(c->g, ids, t->nin - 1, t->name), &like);
    return 0;
}

static int lower_placeholder(ctx *c, int self, fk__tfgraph_info *info)
{
    const tnode *t = &c->nodes[self];
    if (c->g)
        return fail(c, FK_E_UNSUPPORTED, "node '%s': a second input (only one Placeholder is supported)", t->name);
    const cJSON *a = attr(t, "shape"), *sh = a ? cJSON_GetObjectItemCaseSensitive(a, "shape") : NULL;
    const cJSON *dim = sh ? cJSON_GetObjectItemCaseSensitive(sh, "dim") : NULL;
    long long d[4];
    int k = 0;
    for (const cJSON *v = cJSON_IsArray(dim) ? dim->child : NULL; v; v = v->next, k++) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "size");
        if (k >= 4 || !json_int(s, &d[k]))
            return fail(c, FK_E_BAD_FORMAT, "input '%s': its shape is not [N, H, W, C]", t->name);
    }
    if (k != 4 || !(d[0] == -1 || d[0] == 1) || d[3] <= 0 || d[3] > 64)
        return fail(c, FK_E_UNSUPPORTED, "input '%s': its shape is not [N, H, W, C] with 1 to 64 channels", t->name);
    if (d[1] == -1)
        d[1] = c->o.input_h;
    if (d[2] == -1)
        d[2] = c->o.input_w;
    if (d[1] <= 0 || d[2] <= 0 || d[1] > 8192 || d[2] > 8192)
        return fail(c, FK_E_UNSUPPORTED, "input '%s': height and width %lld x %lld (an open size needs one given)",
                    t->name, d[1], d[2]);
    fk_error gerr;
    fk_status st = fk__graph_new(c->path, fk__shape_make(1, (int)d[1], (int)d[2], (int)d[3]), &c->g, &gerr);
    if (st != FK_OK)
        return fail(c, st, "%s", gerr.message);
    snprintf(info->input_name, sizeof info->input_name, "%s", t->name);
    info->input_h = (int)d[1], info->input_w = (int)d[2], info->input_c = (int)d[3];
    set_tensor_map(c, self, fk__graph_input(c->g));
    return 0;
}

static int lower_node(ctx *c, int self, fk__tfgraph_info *info)
{
    const tnode *t = &c->nodes[self];
    const char *op = t->op;
    if (!strcmp(op, "Const"))
        return lower_const(c, self);
    if (!strcmp(op, "Placeholder"))
        return lower_placeholder(c, self, info);
    int f = fold(c, self);
    if (f)
        return f < 0 ? -1 : 0;
    if (!c->g)
        return fail(c, FK_E_BAD_FORMAT, "node '%s' (%s) comes before the input", t->name, op);
    if (!strcmp(op, "Identity") || !strcmp(op, "StopGradient") || (!strcmp(op, "Cast") && attr_is_float(t, "DstT"))) {
        if (need_inputs(c, t, 1, 1))
            return -1;
        c->vals[self] = *in_val(c, t, 0);
        return 0;
    }
    if (!strcmp(op, "Conv2D") || !strcmp(op, "_FusedConv2D"))
        return lower_conv(c, self, 0);
    if (!strcmp(op, "DepthwiseConv2dNative") || !strcmp(op, "FusedDepthwiseConv2dNative") ||
        !strcmp(op, "_FusedDepthwiseConv2dNative"))
        return lower_conv(c, self, 1);
    if (!strcmp(op, "MatMul") || !strcmp(op, "_FusedMatMul"))
        return lower_matmul(c, self);
    if (!strcmp(op, "MaxPool"))
        return lower_pool(c, self, FK__POOL_MAX);
    if (!strcmp(op, "AvgPool"))
        return lower_pool(c, self, FK__POOL_AVG);
    if (!strcmp(op, "Mean") || !strcmp(op, "Max") || !strcmp(op, "Sum"))
        return lower_reduce(c, self);
    if (is_binary(op))
        return lower_binary(c, self);
    if (!strcmp(op, "Pad") || !strcmp(op, "PadV2"))
        return lower_pad(c, self);
    if (!strcmp(op, "Reshape") || !strcmp(op, "Squeeze"))
        return lower_reshape(c, self);
    if (!strcmp(op, "ExpandDims"))
        return lower_expand_dims(c, self);
    if (!strcmp(op, "ConcatV2"))
        return lower_concat(c, self);
    if (!strcmp(op, "Relu") || !strcmp(op, "Relu6") || !strcmp(op, "LeakyRelu") || !strcmp(op, "Prelu")) {
        if (need_inputs(c, t, 1, !strcmp(op, "Prelu") ? 2 : 1))
            return -1;
        val *x = in_tensor(c, t, 0);
        if (!x)
            return -1;
        float alpha = 0;
        const float *slopes = NULL;
        fk__act act = !strcmp(op, "Relu") ? FK__ACT_RELU : !strcmp(op, "Relu6") ? FK__ACT_RELU6 : FK__ACT_LEAKY;
        if (!strcmp(op, "LeakyRelu"))
            alpha = (float)attr_float(t, "alpha", 0.2);
        if (!strcmp(op, "Prelu")) {
            val *a = in_const(c, t, 1);
            if (!a)
                return -1;
            val k = *a;
            if (t->form) {
                /* a PReLU the converter wrote out (rewrite_patterns): its slopes from a */
                if (!(k.data = cmalloc(c, k.count, sizeof *k.data)))
                    return -1;
                for (size_t i = 0; i < k.count; i++)
                    k.data[i] = t->form == 3 ? a->data[i] : (t->form == 2 ? 1.0f : 0.0f) + 2.0f * a->data[i];
            }
            if (prelu_slopes(c, t, &k, node_shape(c, x->id).c, &alpha, &slopes))
                return -1;
            if (slopes && x->flat)
                return fail(c, FK_E_UNSUPPORTED, "node '%s' (Prelu) of a reshaped tensor", t->name);
            if (slopes)
                act = FK__ACT_PRELU;
        }
        lower_act(c, self, x, act, alpha, slopes);
        return 0;
    }
    if (!strcmp(op, "Tanh") || !strcmp(op, "Sigmoid")) {
        if (need_inputs(c, t, 1, 1))
            return -1;
        val *x = in_tensor(c, t, 0);
        if (!x)
            return -1;
        lower_act(c, self, x, op[0] == 'T' ? FK__ACT_TANH : FK__ACT_SIGMOID, 0.0f, NULL);
        return 0;
    }
    if (!strcmp(op, "L2Normalize"))
        return lower_l2norm(c, self);
    if (!strcmp(op, "StridedSlice"))
        return lower_strided_slice(c, self);
    if (!strcmp(op, "Softmax")) {
        if (need_inputs(c, t, 1, 1))
            return -1;
        val *x = in_tensor(c, t, 0);
        if (!x)
            return -1;
        if (x->flat && last_dim(x) != node_shape(c, x->id).c)
            return fail(c, FK_E_UNSUPPORTED, "node '%s' (%s) of a reshaped tensor", t->name, op);
        set_tensor_as(c, self, fk__g_softmax(c->g, x->id, t->name), x);
        return 0;
    }
    return fail(c, FK_E_UNSUPPORTED, "node '%s': op '%s' is not supported", t->name, op);
}

fk_status fk__tfgraph_load(const char *path, const fk__tfgraph_options *opts, fk__graph **out,
                           fk__tfgraph_info *info, fk_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !*path || !out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__tfgraph_load: no path or no place for the result");
    fk__tfgraph_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    ctx c = {.path = path, .err = err, .st = FK_OK};
    c.o = opts ? *opts
               : (fk__tfgraph_options){.verify = fk__model_verify_enabled(), .max_bytes = FK__WEIGHTS_MAX_BYTES};
    char *text = NULL;
    size_t size = 0;
    fk__weights *w = NULL;
    fk__weights_options wo = {.verify = c.o.verify, .max_bytes = c.o.max_bytes ? c.o.max_bytes : FK__WEIGHTS_MAX_BYTES};
    /* the weights first: the same file, checked against its pin, its JSON and shards validated */
    fk_status st = fk__weights_load_opts(path, &wo, &w, err);
    if (st != FK_OK)
        return st;
    c.w = w;
    st = fk__file_read_all(path, FK__MANIFEST_MAX_BYTES, (void **)&text, &size, err);
    if (st != FK_OK)
        goto done;
    c.root = cJSON_ParseWithLength(text, size);
    if (!cJSON_IsObject(c.root)) {
        st = fk__fail(err, FK_E_BAD_FORMAT, "%s: not a graph model (a JSON object with \"modelTopology\")", path);
        goto done;
    }
    if (parse_nodes(&c) || find_outputs(&c, info) || rewrite_patterns(&c) || topo_order(&c))
        goto done;
    for (int k = 0; k < c.n_order && c.st == FK_OK; k++)
        if (lower_node(&c, c.order[k], info))
            break;
    if (c.st != FK_OK)
        goto done;
    if (!c.g) {
        fail(&c, FK_E_BAD_FORMAT, "the outputs do not depend on an input (no Placeholder)");
        goto done;
    }
    for (int i = 0; i < c.n && c.st == FK_OK; i++) {
        if (!c.nodes[i].output)
            continue;
        val *v = &c.vals[i];
        fk__tfgraph_output *o = &info->outputs[c.nodes[i].output - 1];
        if (v->kind != V_TENSOR || v->pad_c || v->pad[0] || v->pad[1] || v->pad[2] || v->pad[3] ||
            v->id == fk__graph_input(c.g)) {
            fail(&c, FK_E_UNSUPPORTED, "output '%s' is a constant, the input or a padded tensor", c.nodes[i].name);
            break;
        }
        o->rank = v->rank;
        memcpy(o->dims, v->dims, sizeof o->dims);
    }
    if (c.st != FK_OK)
        goto done;
    /* outputs in signature order */
    for (int k = 1; k <= info->n_outputs; k++)
        for (int i = 0; i < c.n; i++)
            if (c.nodes[i].output == k)
                fk__graph_mark_output(c.g, c.vals[i].id);
    if ((st = fk__graph_own_weights(c.g, err)) != FK_OK) {
        c.st = st;
        goto done;
    }
    info->n_nodes = c.n;
    info->n_lowered = fk__graph_node_count(c.g);
    *out = c.g;
    c.g = NULL;
done:
    if (st == FK_OK)
        st = c.st;
    fk__graph_free(c.g);
    if (st != FK_OK && *out) {
        fk__graph_free(*out);
        *out = NULL;
    }
    for (size_t i = 0; i < c.n_owned; i++)
        free(c.owned[i]);
    free(c.owned);
    cJSON_Delete(c.root);
    free(text);
    fk__weights_free(w);
    return st;
}
