/* pairs.c: reading verification pair lists: LFW's pairs.txt (View 2 folds) and simple CSV files. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/file.h"
#include "facekit/eval.h"

#define FK__PAIRS_MAX_BYTES ((size_t)64 << 20)

static char *path_join(const char *root, const char *rel)
{
    size_t n = strlen(root) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", root, (*root && root[strlen(root) - 1] != '/') ? "/" : "", rel);
    return p;
}

static char *lfw_path(const char *root, const char *name, long idx)
{
    char rel[600];
    snprintf(rel, sizeof rel, "%s/%s_%04ld.jpg", name, name, idx);
    return path_join(root, rel);
}

static int add_pair(fk_pairs *p, size_t *cap, char *a, char *b, int same, int fold)
{
    if (!a || !b) {
        free(a);
        free(b);
        return -1;
    }
    if (p->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        fk_pair *grown = realloc(p->items, nc * sizeof *grown);
        if (!grown) {
            free(a);
            free(b);
            return -1;
        }
        p->items = grown;
        *cap = nc;
    }
    fk_pair *q = &p->items[p->count++];
    q->a = a;
    q->b = b;
    q->same = same;
    q->fold = fold;
    return 0;
}

/* Splits a line at tabs/spaces (or commas) into at most max fields; returns the count. */
static int split(char *line, char **f, int max, const char *seps)
{
    int n = 0;
    for (char *tok = strtok(line, seps); tok && n < max; tok = strtok(NULL, seps))
        f[n++] = tok;
    return n;
}

static int parse_same(const char *s)
{
    if (!strcasecmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "same"))
        return 1;
    if (!strcasecmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "different"))
        return 0;
    return -1;
}

static fk_status load_lfw(char *text, const char *path, const char *root, fk_pairs *p, fk_error *err)
{
    size_t cap = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\r\n", &save);
    int folds = 0, per = 0;
    if (!line || sscanf(line, "%d %d", &folds, &per) != 2 || folds <= 0 || folds > 16 || per <= 0 || per > 100000)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: first line must be \"folds pairs_per_class\"", path);
    p->folds = folds;
    long lineno = 1;
    for (int fold = 0; fold < folds; fold++)
        for (int k = 0; k < 2 * per; k++) {
            line = strtok_r(NULL, "\r\n", &save);
            lineno++;
            if (!line)
                return fk__fail(err, FK_E_BAD_FORMAT, "%s: ends after %ld lines, expected %d folds of %d pairs",
                                path, lineno - 1, folds, 2 * per);
            char *f[5];
            int n = split(line, f, 5, " \t");
            char *end1 = NULL, *end2 = NULL;
            int same = k < per;
            if (same && n == 3) {
                long i1 = strtol(f[1], &end1, 10), i2 = strtol(f[2], &end2, 10);
                if (*end1 || *end2 || i1 <= 0 || i2 <= 0)
                    return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: bad image numbers", path, lineno);
                if (add_pair(p, &cap, lfw_path(root, f[0], i1), lfw_path(root, f[0], i2), 1, fold))
                    return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", path);
            } else if (!same && n == 4) {
                long i1 = strtol(f[1], &end1, 10), i2 = strtol(f[3], &end2, 10);
                if (*end1 || *end2 || i1 <= 0 || i2 <= 0)
                    return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: bad image numbers", path, lineno);
                if (add_pair(p, &cap, lfw_path(root, f[0], i1), lfw_path(root, f[2], i2), 0, fold))
                    return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", path);
            } else {
                return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: expected a %s-person line", path, lineno,
                                same ? "same" : "different");
            }
        }
    return FK_OK;
}

static fk_status load_csv(char *text, const char *path, const char *root, fk_pairs *p, fk_error *err)
{
    size_t cap = 0;
    char *save = NULL;
    p->folds = 1;
    long lineno = 1;
    strtok_r(text, "\r\n", &save); /* header */
    for (char *line = strtok_r(NULL, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        lineno++;
        char *f[4];
        int n = split(line, f, 4, ",");
        if (n == 0)
            continue;
        for (int i = 0; i < n; i++)
            while (isspace((unsigned char)*f[i]))
                f[i]++;
        int same = n == 3 ? parse_same(f[2]) : -1;
        if (same < 0)
            return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: expected img1,img2,same", path, lineno);
        if (add_pair(p, &cap, path_join(root, f[0]), path_join(root, f[1]), same, 0))
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", path);
    }
    if (p->count == 0)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: no pairs", path);
    return FK_OK;
}

fk_status fk_pairs_load(const char *path, const char *root, fk_pairs **out, fk_error *err)
{
    if (!path || !out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_pairs_load: NULL argument");
    *out = NULL;
    void *data = NULL;
    size_t size = 0;
    fk_status st = fk__file_read_all(path, FK__PAIRS_MAX_BYTES, &data, &size, err);
    if (st != FK_OK)
        return st;
    char *text = realloc(data, size + 1);
    if (!text) {
        free(data);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", path);
    }
    text[size] = 0;
    fk_pairs *p = calloc(1, sizeof *p);
    if (!p) {
        free(text);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", path);
    }
    /* LFW's first line is two numbers; a CSV's is a header with commas */
    size_t first = strcspn(text, "\r\n");
    int is_csv = memchr(text, ',', first) != NULL;
    st = is_csv ? load_csv(text, path, root ? root : "", p, err) : load_lfw(text, path, root ? root : "", p, err);
    free(text);
    if (st != FK_OK) {
        fk_pairs_free(p);
        return st;
    }
    *out = p;
    return FK_OK;
}

void fk_pairs_free(fk_pairs *pairs)
{
    if (!pairs)
        return;
    for (size_t i = 0; i < pairs->count; i++) {
        free(pairs->items[i].a);
        free(pairs->items[i].b);
    }
    free(pairs->items);
    free(pairs);
}
