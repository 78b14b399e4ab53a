/* manifest.c: TensorFlow.js weight manifests and their shards into one immutable, float32 fk__weights. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/file.h"
#include "nn/load/dequant.h"
#include "nn/load/weights.h"

/* Invariants of a loaded fk__weights: names are unique; by_name is items sorted by name;
 * every items[i].data points into block, 64-byte aligned; nothing changes after loading. */
struct fk__weights {
    char *path;            /* the manifest, for messages */
    fk__weight *items;     /* manifest order */
    size_t count;
    const fk__weight **by_name;
    float *block;          /* all values, one allocation */
};

/* What the loader learns about one weight before the shards are read. */
typedef struct wspec {
    size_t group;      /* index of its group */
    size_t index;      /* index in its group's "weights" */
    fk__wdtype dtype;
    fk__wquant quant;
    double scale, min;
    size_t offset;     /* byte offset in the group's concatenated shards */
    size_t slot;       /* float offset in the block */
} wspec;

/* Floats per alignment unit: each weight starts on a 64-byte boundary, for SIMD kernels. */
#define SLOT_ALIGN 16

/* "[g].weights[i]" for messages about a weight whose name is not known (yet). */
static const char *where(char *buf, size_t n, size_t g, size_t i)
{
    snprintf(buf, n, "[%zu].weights[%zu]", g, i);
    return buf;
}

/* The line and column of a byte offset, for JSON syntax errors. */
static void line_col(const char *text, size_t size, size_t pos, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos && i < size; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static fk_status parse_json(const char *path, const char *text, size_t size, cJSON **root, fk_error *err)
{
    /* The length includes the '\0' fk__file_read_all appends, which is how cJSON's
     * require_null_terminated wants it; end then tells trailing garbage (or an embedded NUL)
     * from a clean end. Note that cJSON also records its last error in a global of its own. */
    const char *end = NULL;
    *root = cJSON_ParseWithLengthOpts(text, size + 1, &end, 1);
    if (*root && end == text + size)
        return FK_OK;
    size_t pos = end && end >= text ? (size_t)(end - text) : 0, line, col;
    line_col(text, size, pos, &line, &col);
    cJSON_Delete(*root);
    *root = NULL;
    return fk__fail(err, FK_E_BAD_FORMAT, "%s: invalid JSON at line %zu, column %zu", path, line, col);
}

/* A JSON number that is a whole number in [0, INT_MAX]; 1 if it is a non-negative whole number
 * beyond INT_MAX (too large), -1 if not a non-negative whole number at all. */
static int json_dim(const cJSON *v, int *out)
{
    if (!cJSON_IsNumber(v))
        return -1;
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0 || d != floor(d))
        return d == INFINITY ? 1 : -1;
    if (d > INT_MAX)
        return 1;
    *out = (int)d;
    return 0;
}

static fk_status parse_shape(const char *path, const cJSON *shape, const char *name, const char *at,
                             fk__weight *w, fk_error *err)
{
    if (!cJSON_IsArray(shape))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s.shape is not an array of non-negative integers", path, at);
    int rank = cJSON_GetArraySize(shape);
    /* a rank-5 shape with bad entries is a format error, not an unsupported one: check entries first */
    int j = 0;
    size_t count = 1;
    bool overflow = false;
    for (const cJSON *d = shape->child; d; d = d->next, j++) {
        int dim = 0;
        int r = json_dim(d, &dim);
        if (r < 0)
            return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s.shape is not an array of non-negative integers", path,
                            at);
        if (r > 0)
            return fk__fail(err, FK_E_LIMIT, "%s: weight '%s': shape[%d] = %.17g is too large (at most %d)", path,
                            name, j, d->valuedouble, INT_MAX);
        if (!overflow && !fk__mul_size(count, (size_t)dim, &count))
            overflow = true;
        if (j < 4)
            w->dims[j] = dim;
    }
    if (rank > 4)
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: weight '%s' has rank %d; facekit handles at most 4", path,
                        name, rank);
    if (overflow)
        return fk__fail(err, FK_E_OVERFLOW, "%s: weight '%s' has more elements than fit in memory", path, name);
    for (j = rank; j < 4; j++)
        w->dims[j] = 1;
    w->rank = rank;
    w->count = count;
    return FK_OK;
}

static fk_status parse_dtype(const char *path, const cJSON *o, const char *name, const char *at, wspec *s,
                             fk_error *err)
{
    static const char *const dtypes[FK__WDTYPE_COUNT] = {"float32", "int32", "bool"};
    static const char *const quants[FK__WQUANT_COUNT] = {NULL, "uint8", "uint16", "float16"};
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(o, "dtype");
    if (!cJSON_IsString(dt))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s.dtype is missing or not a string", path, at);
    int k = 0;
    while (k < FK__WDTYPE_COUNT && strcmp(dt->valuestring, dtypes[k]) != 0)
        k++;
    if (k == FK__WDTYPE_COUNT)
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: weight '%s' has dtype '%.40s'; facekit reads float32, int32 and bool",
                        path, name, dt->valuestring);
    s->dtype = (fk__wdtype)k;
    s->quant = FK__WQUANT_NONE;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "quantization");
    if (!q || cJSON_IsNull(q))
        return FK_OK;
    if (!cJSON_IsObject(q))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s.quantization is not an object", path, at);
    const cJSON *qd = cJSON_GetObjectItemCaseSensitive(q, "dtype");
    if (!cJSON_IsString(qd))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s.quantization.dtype is missing or not a string", path, at);
    k = 1;
    while (k < FK__WQUANT_COUNT && strcmp(qd->valuestring, quants[k]) != 0)
        k++;
    if (k == FK__WQUANT_COUNT)
        return fk__fail(err, FK_E_UNSUPPORTED,
                        "%s: weight '%s' is quantized as '%.40s'; facekit reads uint8, uint16 and float16", path,
                        name, qd->valuestring);
    s->quant = (fk__wquant)k;
    if (!fk__wquant_valid(s->dtype, s->quant))
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: weight '%s': %s quantization of %s values is not supported",
                        path, name, quants[k], dtypes[s->dtype]);
    if (s->quant == FK__WQUANT_FLOAT16)
        return FK_OK;
    const cJSON *scale = cJSON_GetObjectItemCaseSensitive(q, "scale");
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(q, "min");
    if (!cJSON_IsNumber(scale) || !cJSON_IsNumber(min) || !isfinite(scale->valuedouble) ||
        !isfinite(min->valuedouble))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s.quantization needs finite numbers 'scale' and 'min'", path,
                        at);
    s->scale = scale->valuedouble;
    s->min = min->valuedouble;
    return FK_OK;
}

/* A shard name must stay in the manifest's folder: no absolute path, no ".." part. */
static bool shard_name_ok(const char *s)
{
    if (!*s || *s == '/')
        return false;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n + (e != NULL);
    }
    return true;
}

static fk_status check_group(const char *path, const cJSON *group, size_t g, fk_error *err)
{
    if (!cJSON_IsObject(group))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: [%zu] is not an object with 'paths' and 'weights'", path, g);
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(group, "paths");
    if (!cJSON_IsArray(paths))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: [%zu].paths is missing or not an array of file names", path, g);
    size_t i = 0;
    for (const cJSON *p = paths->child; p; p = p->next, i++) {
        if (!cJSON_IsString(p))
            return fk__fail(err, FK_E_BAD_FORMAT, "%s: [%zu].paths[%zu] is not a string", path, g, i);
        if (!shard_name_ok(p->valuestring))
            return fk__fail(err, FK_E_BAD_FORMAT,
                            "%s: [%zu].paths[%zu] '%.80s' must be a relative file name inside the manifest's folder",
                            path, g, i, p->valuestring);
    }
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(group, "weights")))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: [%zu].weights is missing or not an array", path, g);
    return FK_OK;
}

/* Everything about one weight except its values. group_bytes advances past it; block_floats
 * grows by its aligned slot. */
static fk_status parse_weight(const char *path, const cJSON *o, size_t g, size_t i, fk__weight *w, wspec *s,
                              size_t *group_bytes, size_t *block_floats, size_t max_bytes, fk_error *err)
{
    char at[64];
    where(at, sizeof at, g, i);
    if (!cJSON_IsObject(o))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s is not an object", path, at);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    if (!cJSON_IsString(name) || !*name->valuestring)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: %s.name is missing or not a non-empty string", path, at);
    w->name = strdup(name->valuestring);
    if (!w->name)
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory", path);
    s->group = g;
    s->index = i;
    fk_status st = parse_shape(path, cJSON_GetObjectItemCaseSensitive(o, "shape"), w->name, at, w, err);
    if (st != FK_OK)
        return st;
    st = parse_dtype(path, o, w->name, at, s, err);
    if (st != FK_OK)
        return st;
    size_t bytes, slot, floats_end, float_bytes;
    if (!fk__mul_size(w->count, fk__wire_size(s->dtype, s->quant), &bytes) ||
        !fk__add_size(w->count, SLOT_ALIGN - 1, &slot) || !fk__add_size(*group_bytes, bytes, &s->offset))
        return fk__fail(err, FK_E_OVERFLOW, "%s: weight '%s' has more bytes than fit in memory", path, w->name);
    slot -= slot % SLOT_ALIGN;
    if (!fk__add_size(*block_floats, slot, &floats_end) || !fk__mul_size(floats_end, sizeof(float), &float_bytes))
        return fk__fail(err, FK_E_OVERFLOW, "%s: the weights up to '%s' need more bytes than fit in memory", path,
                        w->name);
    if (s->offset > max_bytes || float_bytes > max_bytes)
        return fk__fail(err, FK_E_LIMIT, "%s: the weights up to '%s' need more than the limit of %zu bytes", path,
                        w->name, max_bytes);
    /* s->offset holds the end for the moment; turn it into the start */
    *group_bytes = s->offset;
    s->offset -= bytes;
    s->slot = *block_floats;
    *block_floats = floats_end;
    return FK_OK;
}

static int cmp_name(const void *a, const void *b)
{
    const fk__weight *x = *(const fk__weight *const *)a, *y = *(const fk__weight *const *)b;
    return strcmp(x->name, y->name);
}

/* manifest folder + "/" + shard name (or the name alone when the manifest has no folder). */
static char *shard_path(const char *manifest, const char *name)
{
    const char *slash = strrchr(manifest, '/');
    size_t dir = slash ? (size_t)(slash - manifest) + 1 : 0, n = strlen(name);
    char *p = malloc(dir + n + 1);
    if (!p)
        return NULL;
    memcpy(p, manifest, dir);
    memcpy(p + dir, name, n + 1);
    return p;
}

/* Reads, verifies and concatenates one group's shards; checks the total against need.
 * On FK_OK *bytes holds need bytes (or is a 1-byte buffer when need is 0); caller frees it. */
static fk_status read_group(const fk__weights *w, const cJSON *paths, size_t g, size_t need,
                            const fk__weights_options *o, unsigned char **bytes, fk_error *err)
{
    *bytes = NULL;
    int nshards = cJSON_GetArraySize(paths);
    fk_status st = FK_OK;
    char *first = NULL, *sp = NULL;
    unsigned char *buf = NULL, *part = NULL;
    size_t total = 0;
    for (const cJSON *p = paths->child; p; p = p->next) {
        sp = shard_path(w->path, p->valuestring);
        if (!sp) {
            st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory", w->path);
            goto done;
        }
        size_t n = 0;
        st = fk__file_read_all(sp, o->max_bytes, (void **)&part, &n, err);
        if (st == FK_E_NOT_FOUND) {
            /* a missing face-api shard means the models were not fetched; say how to get them */
            st = fk__model_pin(sp) ? fk__model_not_found(sp, st, err)
                                   : fk__fail(err, st, "%s: weights shard not found (listed in %s)", sp, w->path);
            goto done;
        }
        if (st != FK_OK)
            goto done;
        if (o->verify && (st = fk__model_bytes_verify(sp, part, n, err)) != FK_OK)
            goto done;
        if (nshards == 1) {
            buf = part; /* used as read */
            part = NULL;
        } else if (total <= need && n <= need - total && n > 0) {
            /* several shards are appended to one buffer that grows with what was read, never to
             * what the manifest claims: a lying manifest costs no more memory than its files */
            unsigned char *grown = realloc(buf, total + n);
            if (!grown) {
                st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for %zu bytes of weights", w->path, total + n);
                goto done;
            }
            buf = grown;
            memcpy(buf + total, part, n);
        }
        free(part);
        part = NULL;
        if (!fk__add_size(total, n, &total))
            total = SIZE_MAX;
        if (!first) {
            first = sp;
            sp = NULL;
        } else {
            free(sp);
            sp = NULL;
        }
    }
    if (total != need) {
        if (nshards == 0)
            st = fk__fail(err, FK_E_BAD_FORMAT, "%s: [%zu] lists no shard files but its weights need %zu bytes",
                          w->path, g, need);
        else if (nshards == 1)
            st = fk__fail(err, FK_E_BAD_FORMAT, "%s: %zu bytes, the manifest needs %zu (truncated or wrong file)",
                          first, total, need);
        else
            st = fk__fail(err, FK_E_BAD_FORMAT,
                          "%s and the %d shards after it: %zu bytes in all, the manifest needs %zu (truncated or "
                          "wrong files)",
                          first, nshards - 1, total, need);
        goto done;
    }
    if (!buf && !(buf = malloc(1))) { /* no shards, or only empty ones, and nothing needed */
        st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory", w->path);
        goto done;
    }
    *bytes = buf;
    buf = NULL;
done:
    free(part);
    free(buf);
    free(sp);
    free(first);
    return st;
}

fk_status fk__weights_load_opts(const char *manifest_path, const fk__weights_options *opts, fk__weights **out,
                                fk_error *err)
{
    if (out)
        *out = NULL;
    if (!manifest_path || !*manifest_path || !out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__weights_load: no manifest path or no place for the result");
    fk__weights_options o = opts ? *opts : (fk__weights_options){.verify = true, .max_bytes = FK__WEIGHTS_MAX_BYTES};

    fk_status st;
    char *text = NULL;
    size_t text_size = 0;
    cJSON *root = NULL;
    wspec *specs = NULL;
    size_t *group_need = NULL;
    unsigned char **shards = NULL; /* each group's concatenated shard bytes */
    size_t ngroups = 0;
    fk__weights *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(manifest_path))) {
        st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory", manifest_path);
        goto done;
    }

    st = fk__file_read_all(w->path, FK__MANIFEST_MAX_BYTES, (void **)&text, &text_size, err);
    if (st != FK_OK) {
        st = fk__model_not_found(w->path, st, err);
        goto done;
    }
    if (o.verify && (st = fk__model_bytes_verify(w->path, text, text_size, err)) != FK_OK)
        goto done;
    if ((st = parse_json(w->path, text, text_size, &root, err)) != FK_OK)
        goto done;
    free(text);
    text = NULL;
    /* a graph model's model.json holds the same array under "weightsManifest" */
    cJSON *groups = root;
    if (cJSON_IsObject(root))
        groups = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest");
    if (!cJSON_IsArray(groups)) {
        st = fk__fail(err, FK_E_BAD_FORMAT,
                      "%s: not a weights manifest (expected a JSON array of groups, or an object with "
                      "\"weightsManifest\")", w->path);
        goto done;
    }

    /* Pass 1: structure, shapes, dtypes; where each weight's bytes and floats go. */
    ngroups = (size_t)cJSON_GetArraySize(groups);
    size_t g = 0, total = 0, block_floats = 0;
    for (const cJSON *grp = groups->child; grp; grp = grp->next, g++) {
        if ((st = check_group(w->path, grp, g, err)) != FK_OK)
            goto done;
        total += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(grp, "weights"));
    }
    /* calloc checks count * size itself; +1 keeps an empty manifest from a zero-size request */
    w->items = calloc(total + 1, sizeof *w->items);
    specs = calloc(total + 1, sizeof *specs);
    group_need = calloc(ngroups + 1, sizeof *group_need);
    w->by_name = calloc(total + 1, sizeof *w->by_name);
    shards = calloc(ngroups + 1, sizeof *shards);
    if (!w->items || !specs || !group_need || !w->by_name || !shards) {
        st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for %zu weights", w->path, total);
        goto done;
    }
    g = 0;
    for (const cJSON *grp = groups->child; grp; grp = grp->next, g++) {
        size_t i = 0;
        for (const cJSON *o_w = cJSON_GetObjectItemCaseSensitive(grp, "weights")->child; o_w; o_w = o_w->next, i++) {
            size_t k = w->count;
            st = parse_weight(w->path, o_w, g, i, &w->items[k], &specs[k], &group_need[g], &block_floats,
                              o.max_bytes, err);
            w->count++; /* counted even on failure: its name (if any) is freed with the rest */
            if (st != FK_OK)
                goto done;
        }
    }

    /* Names must be unique, or a lookup would silently pick one of them. */
    for (size_t k = 0; k < w->count; k++)
        w->by_name[k] = &w->items[k];
    qsort(w->by_name, w->count, sizeof *w->by_name, cmp_name);
    for (size_t k = 1; k < w->count; k++) {
        if (strcmp(w->by_name[k - 1]->name, w->by_name[k]->name) == 0) {
            const wspec *a = &specs[w->by_name[k - 1] - w->items], *b = &specs[w->by_name[k] - w->items];
            if (a > b) {
                const wspec *t = a;
                a = b;
                b = t;
            }
            st = fk__fail(err, FK_E_BAD_FORMAT, "%s: weight name '%s' appears twice ([%zu].weights[%zu] and [%zu].weights[%zu])",
                          w->path, w->by_name[k]->name, a->group, a->index, b->group, b->index);
            goto done;
        }
    }

    /* Pass 2: every group's shards, read and checked against the manifest before the float
     * block is allocated, so that a manifest claiming more than its files hold fails cheaply. */
    g = 0;
    for (const cJSON *grp = groups->child; grp; grp = grp->next, g++) {
        st = read_group(w, cJSON_GetObjectItemCaseSensitive(grp, "paths"), g, group_need[g], &o, &shards[g], err);
        if (st != FK_OK)
            goto done;
    }

    /* Pass 3: the values. aligned_alloc wants a size that is a multiple of the alignment;
     * every slot is, and an empty block still gets one slot. */
    size_t block_bytes = (block_floats ? block_floats : SLOT_ALIGN) * sizeof(float);
    w->block = aligned_alloc(SLOT_ALIGN * sizeof(float), block_bytes);
    if (!w->block) {
        st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for %zu bytes of weights", w->path, block_bytes);
        goto done;
    }
    for (size_t k = 0; k < w->count; k++) {
        const wspec *s = &specs[k];
        w->items[k].data = w->block + s->slot;
        fk__dequant(s->dtype, s->quant, s->scale, s->min, shards[s->group] + s->offset, w->items[k].count,
                    w->items[k].data);
    }

    st = FK_OK;
done:
    for (size_t i = 0; shards && i < ngroups; i++)
        free(shards[i]);
    free(shards);
    free(text);
    cJSON_Delete(root);
    free(specs);
    free(group_need);
    if (st != FK_OK) {
        fk__weights_free(w);
        w = NULL;
    }
    *out = w;
    return st;
}

fk_status fk__weights_load(const char *manifest_path, fk__weights **out, fk_error *err)
{
    fk__weights_options o = {.verify = fk__model_verify_enabled(), .max_bytes = FK__WEIGHTS_MAX_BYTES};
    return fk__weights_load_opts(manifest_path, &o, out, err);
}

void fk__weights_free(fk__weights *w)
{
    if (!w)
        return;
    for (size_t k = 0; k < w->count; k++)
        free(w->items[k].name);
    free(w->items);
    free(w->by_name);
    free(w->block);
    free(w->path);
    free(w);
}

const fk__weight *fk__weights_find(const fk__weights *w, const char *name)
{
    if (!w || !name)
        return NULL;
    size_t lo = 0, hi = w->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, w->by_name[mid]->name);
        if (c == 0)
            return w->by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* "[256,128]" into buf (truncated if need be). */
static const char *shape_text(char *buf, size_t n, int rank, const int *dims)
{
    size_t len = 0;
    buf[0] = '\0';
    len += (size_t)snprintf(buf, n, "[");
    for (int j = 0; j < rank && len < n; j++)
        len += (size_t)snprintf(buf + len, n - len, j ? ",%d" : "%d", dims[j]);
    if (len < n)
        snprintf(buf + len, n - len, "]");
    return buf;
}

fk_status fk__weights_get(const fk__weights *w, const char *name, int rank, const int *dims, const float **data,
                          fk_error *err)
{
    if (data)
        *data = NULL;
    if (!w || !name || !data || rank < 0 || rank > 4 || (rank > 0 && !dims))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__weights_get: bad arguments for weight '%s'",
                        name ? name : "(null)");
    const fk__weight *x = fk__weights_find(w, name);
    if (!x)
        return fk__fail(err, FK_E_NOT_FOUND, "%s has no weight '%s'", w->path, name);
    bool same = x->rank == rank;
    for (int j = 0; same && j < rank; j++)
        same = x->dims[j] == dims[j];
    if (!same) {
        char have[64], want[64];
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: weight '%s' has shape %s, expected %s", w->path, name,
                        shape_text(have, sizeof have, x->rank, x->dims), shape_text(want, sizeof want, rank, dims));
    }
    *data = x->data;
    return FK_OK;
}

size_t fk__weights_count(const fk__weights *w)
{
    return w ? w->count : 0;
}

const fk__weight *fk__weights_at(const fk__weights *w, size_t i)
{
    return w && i < w->count ? &w->items[i] : NULL;
}

const char *fk__weights_path(const fk__weights *w)
{
    return w ? w->path : NULL;
}
