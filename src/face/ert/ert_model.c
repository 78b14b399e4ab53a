/* ert_model.c: loading dlib's shape_predictor (.dat) into an fk_ert, every count and index checked, sha256-pinned files verified. */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include "face/ert/ert_model.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/file.h"
#include "core/sha256.h"
#include "face/ert/dat_reader.h"
#include "nn/load/weights.h"

/* The layout (dlib/image_processing/shape_predictor.h, serialize()):
 *   int version (1)
 *   matrix<float,0,1> initial_shape             2 * parts values
 *   vector<vector<regression_tree>> forests     one vector of trees per cascade level
 *       regression_tree: vector<split_feature> splits (unsigned long idx1, idx2; float thresh),
 *                        vector<matrix<float,0,1>> leaf_values
 *   vector<vector<unsigned long>> anchor_idx    per level, the shape point of each feature pixel
 *   vector<vector<vector<float,2>>> deltas      per level, each feature pixel's offset (x, y)
 * Bytes after the deltas are ignored, as dlib ignores them. */

#define MIN_SPLIT_BYTES (2 * FK__DAT_MIN_INT + FK__DAT_MIN_FLOAT)
#define MIN_MATRIX_HEADER (2 * FK__DAT_MIN_INT)

void fk_ert_free(fk_ert *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->num_blocks; i++)
        free(m->blocks[i]);
    free(m->blocks);
    free(m->arena);
    if (m->forests)
        for (uint32_t f = 0; f < m->num_forests; f++) {
            free(m->forests[f].trees);
            free(m->forests[f].splits);
            free(m->forests[f].anchor);
            free(m->forests[f].deltas);
        }
    free(m->forests);
    free(m->initial);
    free(m->path);
    free(m);
}

int fk_ert_num_parts(const fk_ert *m)
{
    return m ? m->num_parts : 0;
}

const char *fk_ert_path(const fk_ert *m)
{
    return m ? m->path : "";
}

static bool no_memory(fk__dat_reader *r)
{
    return fk__dat_fail(r, FK_E_NO_MEMORY, "out of memory loading the model");
}

/* Keeps a tree's block on the model, growing the list geometrically. */
static bool keep_block(fk__dat_reader *r, fk_ert *m, size_t *cap, void *block)
{
    if (m->num_blocks == *cap) {
        size_t n = *cap ? *cap * 2 : 1024;
        void **b = n <= SIZE_MAX / sizeof *b ? realloc(m->blocks, n * sizeof *b) : NULL;
        if (!b) {
            free(block);
            return no_memory(r);
        }
        m->blocks = b;
        *cap = n;
    }
    m->blocks[m->num_blocks++] = block;
    return true;
}

static bool read_floats(fk__dat_reader *r, float *v, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!fk__dat_float(r, &v[i], what))
            return false;
    return true;
}

/* Room for n more splits in the forest's list. */
static bool reserve_splits(fk__dat_reader *r, fk__ert_forest *fo, size_t n)
{
    if (fo->cap_splits - fo->num_splits >= n)
        return true;
    size_t want = fo->cap_splits ? fo->cap_splits : 1024;
    while (want - fo->num_splits < n)
        if (!fk__mul_size(want, 2, &want))
            return fk__dat_fail(r, FK_E_OVERFLOW, "the level's split count overflows");
    size_t bytes;
    if (!fk__mul_size(want, sizeof *fo->splits, &bytes))
        return fk__dat_fail(r, FK_E_OVERFLOW, "the level's split count overflows");
    fk__ert_split *s = realloc(fo->splits, bytes);
    if (!s)
        return no_memory(r);
    fo->splits = s;
    fo->cap_splits = want;
    return true;
}

static bool read_tree(fk__dat_reader *r, fk_ert *m, size_t *cap, fk__ert_forest *fo, fk__ert_tree *t)
{
    const size_t vals = 2 * (size_t)m->num_parts;
    const uint64_t max_splits = ((uint64_t)1 << FK__ERT_MAX_DEPTH) - 1;
    uint64_t ns, nl;
    if (!fk__dat_count(r, MIN_SPLIT_BYTES, max_splits, &ns, "the tree's split count"))
        return false;
    if ((ns + 1) & ns)
        return fk__dat_fail(r, FK_E_BAD_FORMAT,
                            "the tree has %llu splits; a complete tree has 2^depth - 1 (1, 3, 7, 15, ...)",
                            (unsigned long long)ns);
    if (fo->num_splits > UINT32_MAX - ns)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "the level has more than 2^32 splits");
    /* the leaves are read after the splits, but must fit in the file before anything is
     * allocated for them: each leaf is a matrix header and `vals` floats */
    const uint64_t per_leaf = MIN_MATRIX_HEADER + (uint64_t)vals * FK__DAT_MIN_FLOAT; /* vals <= 2e4: no overflow */
    uint64_t leaf_min;
    if (__builtin_mul_overflow(per_leaf, ns + 1, &leaf_min) || leaf_min > fk__dat_remaining(r))
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "the tree's %llu leaves cannot fit in the %llu bytes left (truncated "
                            "or corrupt)", (unsigned long long)(ns + 1), (unsigned long long)fk__dat_remaining(r));
    size_t leaf_floats, leaf_bytes;
    if (!fk__mul_size((size_t)ns + 1, vals, &leaf_floats) || !fk__mul_size(leaf_floats, sizeof(float), &leaf_bytes))
        return fk__dat_fail(r, FK_E_OVERFLOW, "the tree's size overflows");
    if (!reserve_splits(r, fo, (size_t)ns))
        return false;
    float *leaves = malloc(leaf_bytes);
    if (!leaves)
        return no_memory(r);
    if (!keep_block(r, m, cap, leaves))
        return false;
    t->num_splits = (uint32_t)ns;
    t->first_split = (uint32_t)fo->num_splits;
    t->leaves = leaves;
    for (uint64_t i = 0; i < ns; i++) {
        uint64_t a, b;
        float th;
        if (!fk__dat_uint(r, 8, &a, "a split's first pixel index") || !fk__dat_uint(r, 8, &b, "a split's second pixel index") ||
            !fk__dat_float(r, &th, "a split threshold"))
            return false;
        if (a >= FK__ERT_MAX_FEATURES || b >= FK__ERT_MAX_FEATURES)
            return fk__dat_fail(r, FK_E_BAD_FORMAT, "split %llu names feature pixel %llu, beyond any level's",
                                (unsigned long long)i, (unsigned long long)(a > b ? a : b));
        fk__ert_split *sp = &fo->splits[fo->num_splits++];
        sp->idx1 = (uint32_t)a;
        sp->idx2 = (uint32_t)b;
        sp->thresh = th;
    }
    if (!fk__dat_count(r, (size_t)per_leaf, max_splits + 1, &nl, "the tree's leaf count"))
        return false;
    if (nl != ns + 1)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "the tree has %llu leaves for %llu splits (a complete tree has one more)",
                            (unsigned long long)nl, (unsigned long long)ns);
    for (uint64_t l = 0; l < nl; l++) {
        uint64_t rows, cols;
        if (!fk__dat_matrix_dims(r, 2 * (uint64_t)FK__ERT_MAX_PARTS, &rows, &cols, "a leaf's size"))
            return false;
        if (rows != vals || cols != 1)
            return fk__dat_fail(r, FK_E_BAD_FORMAT, "leaf %llu is a %llu x %llu matrix, expected %zu x 1 (the shape's size)",
                                (unsigned long long)l, (unsigned long long)rows, (unsigned long long)cols, vals);
        if (!read_floats(r, leaves + l * vals, vals, "a leaf value"))
            return false;
    }
    return true;
}

static bool read_forests(fk__dat_reader *r, fk_ert *m)
{
    const size_t vals = 2 * (size_t)m->num_parts;
    uint64_t nf;
    if (!fk__dat_count(r, FK__DAT_MIN_INT, FK__ERT_MAX_FORESTS, &nf, "the number of cascade levels"))
        return false;
    m->forests = calloc(nf ? nf : 1, sizeof *m->forests);
    if (!m->forests)
        return no_memory(r);
    m->num_forests = (uint32_t)nf;
    /* smallest tree: two counts and one leaf (header and values) */
    const uint64_t min_tree = 2 * FK__DAT_MIN_INT + MIN_MATRIX_HEADER + (uint64_t)vals * FK__DAT_MIN_FLOAT;
    size_t cap = 0;
    for (uint32_t f = 0; f < nf; f++) {
        fk__ert_forest *fo = &m->forests[f];
        uint64_t nt;
        snprintf(r->ctx, sizeof r->ctx, "cascade level %u", f);
        if (!fk__dat_count(r, (size_t)min_tree, UINT32_MAX, &nt, "the level's tree count"))
            return false;
        fo->trees = calloc(nt ? nt : 1, sizeof *fo->trees);
        if (!fo->trees)
            return no_memory(r);
        fo->num_trees = (uint32_t)nt;
        for (uint32_t t = 0; t < nt; t++) {
            snprintf(r->ctx, sizeof r->ctx, "cascade level %u, tree %u", f, t);
            if (!read_tree(r, m, &cap, fo, &fo->trees[t]))
                return false;
        }
    }
    r->ctx[0] = '\0';
    return true;
}

static bool read_features(fk__dat_reader *r, fk_ert *m)
{
    uint64_t n;
    if (!fk__dat_count(r, FK__DAT_MIN_INT, FK__ERT_MAX_FORESTS, &n, "the number of anchor lists"))
        return false;
    if (n != m->num_forests)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%llu anchor lists for %u cascade levels", (unsigned long long)n,
                            m->num_forests);
    for (uint32_t f = 0; f < m->num_forests; f++) {
        fk__ert_forest *fo = &m->forests[f];
        uint64_t nfeat;
        snprintf(r->ctx, sizeof r->ctx, "anchors of cascade level %u", f);
        if (!fk__dat_count(r, FK__DAT_MIN_INT, FK__ERT_MAX_FEATURES, &nfeat, "the feature pixel count"))
            return false;
        fo->num_features = (uint32_t)nfeat;
        fo->anchor = malloc((size_t)(nfeat ? nfeat : 1) * sizeof *fo->anchor);
        if (!fo->anchor)
            return no_memory(r);
        for (uint64_t i = 0; i < nfeat; i++) {
            uint64_t a;
            if (!fk__dat_uint(r, 8, &a, "an anchor index"))
                return false;
            if (a >= (uint64_t)m->num_parts)
                return fk__dat_fail(r, FK_E_BAD_FORMAT, "feature pixel %llu is anchored to point %llu of %d",
                                    (unsigned long long)i, (unsigned long long)a, m->num_parts);
            fo->anchor[i] = (uint32_t)a;
        }
        if (fo->num_features > m->max_features)
            m->max_features = fo->num_features;
    }
    r->ctx[0] = '\0';
    if (!fk__dat_count(r, FK__DAT_MIN_INT, FK__ERT_MAX_FORESTS, &n, "the number of delta lists"))
        return false;
    if (n != m->num_forests)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%llu delta lists for %u cascade levels", (unsigned long long)n,
                            m->num_forests);
    for (uint32_t f = 0; f < m->num_forests; f++) {
        fk__ert_forest *fo = &m->forests[f];
        uint64_t nd;
        snprintf(r->ctx, sizeof r->ctx, "deltas of cascade level %u", f);
        if (!fk__dat_count(r, 2 * FK__DAT_MIN_FLOAT, FK__ERT_MAX_FEATURES, &nd, "the delta count"))
            return false;
        if (nd != fo->num_features)
            return fk__dat_fail(r, FK_E_BAD_FORMAT, "%llu deltas for %u anchors", (unsigned long long)nd,
                                fo->num_features);
        fo->deltas = malloc((size_t)(nd ? 2 * nd : 1) * sizeof *fo->deltas);
        if (!fo->deltas)
            return no_memory(r);
        if (!read_floats(r, fo->deltas, 2 * (size_t)nd, "a feature pixel offset"))
            return false;
    }
    r->ctx[0] = '\0';
    return true;
}

/* Every split must name feature pixels of its own level. */
static bool check_splits(fk__dat_reader *r, const fk_ert *m)
{
    for (uint32_t f = 0; f < m->num_forests; f++) {
        const fk__ert_forest *fo = &m->forests[f];
        for (uint32_t t = 0; t < fo->num_trees; t++)
            for (uint32_t s = 0; s < fo->trees[t].num_splits; s++) {
                const fk__ert_split *sp = &fo->splits[fo->trees[t].first_split + s];
                if (sp->idx1 >= fo->num_features || sp->idx2 >= fo->num_features)
                    return fk__dat_fail(r, FK_E_BAD_FORMAT,
                                        "cascade level %u, tree %u, split %u names feature pixel %u of %u", f, t, s,
                                        sp->idx1 >= fo->num_features ? sp->idx1 : sp->idx2, fo->num_features);
            }
    }
    return true;
}

/* The first bytes of the stream in hex, for "not a shape_predictor" messages. */
static void first_bytes(const uint8_t *p, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0, len = 0; i < n && i < 8 && len + 4 < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, i ? " %02x" : "%02x", p[i]);
}

#define HUGE_PAGE ((size_t)2 << 20)

/* Moves every tree's leaves into one block on transparent huge pages. A prediction reads about
 * 7500 leaves scattered over the model's 65 MB: on 4 KB pages nearly each one misses the TLB,
 * which costs more than the read itself. Best effort: on any failure the leaves stay put. */
static void gather_leaves(fk_ert *m)
{
    const size_t vals = 2 * (size_t)m->num_parts;
    size_t total = 0;
    for (uint32_t f = 0; f < m->num_forests; f++)
        for (uint32_t t = 0; t < m->forests[f].num_trees; t++)
            total += ((size_t)m->forests[f].trees[t].num_splits + 1) * vals; /* all of it was allocated: no overflow */
    size_t bytes = (total * sizeof(float) + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *arena = NULL;
    if (total == 0 || posix_memalign(&arena, HUGE_PAGE, bytes) != 0)
        return;
#ifdef MADV_HUGEPAGE
    madvise(arena, bytes, MADV_HUGEPAGE);
#endif
    float *dst = arena;
    for (uint32_t f = 0; f < m->num_forests; f++)
        for (uint32_t t = 0; t < m->forests[f].num_trees; t++) {
            fk__ert_tree *tr = &m->forests[f].trees[t];
            size_t n = ((size_t)tr->num_splits + 1) * vals;
            memcpy(dst, tr->leaves, n * sizeof(float));
            tr->leaves = dst;
            dst += n;
        }
    for (size_t i = 0; i < m->num_blocks; i++)
        free(m->blocks[i]);
    m->num_blocks = 0;
    m->arena = arena;
}

static fk_status parse(fk__dat_reader *r, const char *name, fk_ert **out)
{
    fk_ert *m = calloc(1, sizeof *m);
    if (!m) {
        no_memory(r);
        return r->status;
    }
    size_t nlen = strlen(name);
    m->path = malloc(nlen + 1);
    if (!m->path) {
        no_memory(r);
        goto fail;
    }
    memcpy(m->path, name, nlen + 1);

    int64_t version;
    if (fk__dat_fill(r, 1, "the version")) {
        char head[40];
        first_bytes(r->p, (size_t)(r->end - r->p), head, sizeof head);
        bool ok = fk__dat_int(r, 4, &version, "the version") && version == 1;
        if (!ok && r->status != FK_OK && r->status != FK_E_BAD_FORMAT)
            goto fail;
        if (!ok) {
            r->status = FK_E_BAD_FORMAT;
            fk__fail(r->err, FK_E_BAD_FORMAT,
                     "%s: not a dlib shape_predictor file (it starts with bytes %s; a shape_predictor starts with "
                     "dlib's version 1, bytes 01 01)",
                     name, head);
            goto fail;
        }
    } else {
        goto fail;
    }

    uint64_t rows, cols;
    if (!fk__dat_matrix_dims(r, 2 * (uint64_t)FK__ERT_MAX_PARTS, &rows, &cols, "the initial shape's size"))
        goto fail;
    if (cols != 1 || rows == 0 || rows % 2) {
        fk__dat_fail(r, FK_E_BAD_FORMAT, "the initial shape is a %llu x %llu matrix, expected 2 * parts x 1",
                     (unsigned long long)rows, (unsigned long long)cols);
        goto fail;
    }
    if (rows * FK__DAT_MIN_FLOAT > fk__dat_remaining(r)) {
        fk__dat_fail(r, FK_E_BAD_FORMAT, "the initial shape's %llu values cannot fit in the %llu bytes left",
                     (unsigned long long)rows, (unsigned long long)fk__dat_remaining(r));
        goto fail;
    }
    m->num_parts = (int)(rows / 2);
    m->initial = malloc((size_t)rows * sizeof *m->initial);
    if (!m->initial) {
        no_memory(r);
        goto fail;
    }
    if (!read_floats(r, m->initial, (size_t)rows, "an initial shape value") || !read_forests(r, m) ||
        !read_features(r, m) || !check_splits(r, m))
        goto fail;
    gather_leaves(m);
    *out = m;
    return FK_OK;
fail:
    fk_ert_free(m);
    return r->status != FK_OK ? r->status : FK_E_BAD_FORMAT;
}

fk_status fk__ert_load_mem(const void *data, size_t size, const char *name, fk_ert **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__ert_load_mem: NULL out");
    *out = NULL;
    if (!data && size)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__ert_load_mem: NULL data");
    if (!name)
        name = "(memory)";
    if ((uint64_t)size > FK__ERT_MAX_BYTES)
        return fk__fail(err, FK_E_LIMIT, "%s: %zu bytes, more than the %llu a shape_predictor may have", name, size,
                        (unsigned long long)FK__ERT_MAX_BYTES);
    fk__dat_reader r;
    fk__dat_init_mem(&r, data, size, name, err);
    return parse(&r, name, out);
}

#define ERT_HINT "install Debian's libdlib-data (apt-get install libdlib-data) or set FACEKIT_ERT_MODEL=FILE"

fk_status fk_ert_load(const char *path, fk_ert **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ert_load: NULL out");
    *out = NULL;
    if (!path) {
        const char *env = getenv("FACEKIT_ERT_MODEL");
        path = env && *env ? env : FK_ERT_DEFAULT_PATH;
    }
    int fd = -1;
    size_t size = 0;
    fk_status st = fk__file_open_read(path, &fd, &size, err);
    if (st == FK_E_NOT_FOUND)
        return fk__fail(err, st, "%s: ERT landmark model not found; " ERT_HINT, path);
    if (st != FK_OK)
        return st;
    if ((uint64_t)size > FK__ERT_MAX_BYTES) {
        close(fd);
        return fk__fail(err, FK_E_LIMIT, "%s: %zu bytes, more than the %llu a shape_predictor may have", path, size,
                        (unsigned long long)FK__ERT_MAX_BYTES);
    }
    const char *pin = fk__model_verify_enabled() ? fk__model_pin(path) : NULL;
    const size_t cap = (size_t)1 << 20;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for a read buffer", path);
    }
    fk__sha256 sha;
    fk__sha256_init(&sha);
    fk__dat_reader r;
    fk__dat_init_fd(&r, fd, size, FK__ERT_MAX_BYTES, buf, cap, pin ? &sha : NULL, path, err);
    fk_ert *m = NULL;
    st = parse(&r, path, &m);
    if (pin && st != FK_E_IO && st != FK_E_NO_MEMORY) {
        /* hash what the parser did not read, then let a differing sha256 explain a parse failure
         * (a damaged or other version of a pinned file) or refuse a file that parsed */
        fk_error e;
        fk_status dst = fk__dat_drain(&r, &e);
        if (dst != FK_OK) {
            fk_ert_free(m);
            m = NULL;
            st = dst;
            if (err)
                *err = e;
        } else {
            uint8_t digest[FK__SHA256_SIZE];
            char hex[FK__SHA256_HEX_SIZE];
            fk__sha256_final(&sha, digest);
            fk__sha256_to_hex(digest, hex);
            if (strcasecmp(hex, pin) != 0) {
                fk_ert_free(m);
                m = NULL;
                st = fk__fail(err, FK_E_BAD_FORMAT,
                              "%s: sha256 %s differs from the pinned %s (damaged or a different version); "
                              "reinstall libdlib-data, or set FACEKIT_MODELS_NOVERIFY=1 for a retrained model",
                              path, hex, pin);
            }
        }
    }
    close(fd);
    free(buf);
    *out = m;
    return st;
}
