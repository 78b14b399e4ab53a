/* pairs.c: reading verification pair lists: LFW's pairs.txt (View 2 folds) and simple CSV files. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/file.h"
#include "eval/parse.h"
#include "facekit/eval.h"

#define FK__PAIRS_MAX_BYTES ((size_t)64 << 20)
#define FK__PAIRS_MAX_FOLDS 16 /* fk_verify_report holds 16 folds */
#define FK__PAIRS_MAX_PER_FOLD 100000

static char *path_join(const char *root, const char *rel)
{
    size_t n = strlen(root) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", root, (*root && root[strlen(root) - 1] != '/') ? "/" : "", rel);
    return p;
}

/* root/name/name_NNNN.jpg, sized to the name: a fixed buffer would cut a long name silently */
static char *lfw_path(const char *root, const char *name, long idx)
{
    int n = snprintf(NULL, 0, "%s/%s_%04ld.jpg", name, name, idx);
    char *rel = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (!rel)
        return NULL;
    snprintf(rel, (size_t)n + 1, "%s/%s_%04ld.jpg", name, name, idx);
    char *p = path_join(root, rel);
    free(rel);
    return p;
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

static int is_blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return !*s;
}

/* The next line with something on it (blank lines separate nothing in either format). */
static fk_status next_line(fk__eval_lines *l, char **line, const char *name, fk_error *err)
{
    do {
        if (fk__eval_lines_next(l, line) != FK_OK)
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", name);
    } while (*line && is_blank(*line));
    return FK_OK;
}

/* Splits a line at tabs/spaces into at most max fields; returns the count (max + 1: too many). */
static int split_ws(char *line, char **f, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        if (n == max)
            return max + 1;
        f[n++] = tok;
    }
    return n;
}

/* A whole decimal number in [lo, hi]; an overflowing or partly numeric field is no number. */
static int parse_long(const char *s, long lo, long hi, long *v)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || errno == ERANGE || x < lo || x > hi)
        return 0;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return 0;
    *v = x;
    return 1;
}

static int parse_same(const char *s)
{
    if (!strcasecmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "same"))
        return 1;
    if (!strcasecmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "different"))
        return 0;
    return -1;
}

static fk_status load_lfw(fk__eval_lines *l, char *header, const char *path, const char *root, fk_pairs *p,
                          fk_error *err)
{
    size_t cap = 0;
    char *h[3];
    long folds = 0, per = 0;
    /* View 2 (pairs.txt) says "folds per_class"; View 1 (pairsDevTrain/DevTest.txt) "per_class" alone */
    int nh = split_ws(header, h, 2);
    if (nh == 1 && parse_long(h[0], 1, FK__PAIRS_MAX_PER_FOLD, &per)) {
        folds = 1;
    } else if (nh != 2 || !parse_long(h[0], 1, FK__PAIRS_MAX_FOLDS, &folds) ||
               !parse_long(h[1], 1, FK__PAIRS_MAX_PER_FOLD, &per)) {
        return fk__fail(err, FK_E_BAD_FORMAT,
                        "%s:%ld: first line must be \"folds pairs_per_class\" (1-%d, 1-%d) or, as View 1, "
                        "\"pairs_per_class\"",
                        path, l->line, FK__PAIRS_MAX_FOLDS, FK__PAIRS_MAX_PER_FOLD);
    }
    p->folds = (int)folds;
    char *line;
    fk_status st;
    for (int fold = 0; fold < folds; fold++)
        for (long k = 0; k < 2 * per; k++) {
            if ((st = next_line(l, &line, path, err)) != FK_OK)
                return st;
            if (!line)
                return fk__fail(err, FK_E_BAD_FORMAT, "%s: ends after %zu pairs, expected %ld folds of %ld pairs",
                                path, p->count, folds, 2 * per);
            char *f[4];
            int n = split_ws(line, f, 4);
            int same = k < per;
            long i1 = 0, i2 = 0;
            if (same && n == 3) {
                if (!parse_long(f[1], 1, 99999999, &i1) || !parse_long(f[2], 1, 99999999, &i2))
                    return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: bad image numbers", path, l->line);
                if (add_pair(p, &cap, lfw_path(root, f[0], i1), lfw_path(root, f[0], i2), 1, fold))
                    return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", path);
            } else if (!same && n == 4) {
                if (!parse_long(f[1], 1, 99999999, &i1) || !parse_long(f[3], 1, 99999999, &i2))
                    return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: bad image numbers", path, l->line);
                if (add_pair(p, &cap, lfw_path(root, f[0], i1), lfw_path(root, f[2], i2), 0, fold))
                    return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", path);
            } else {
                return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: expected a %s-person line", path, l->line,
                                same ? "same" : "different");
            }
        }
    /* more pairs than the first line announces: the count is wrong, and so would the folds be */
    if ((st = next_line(l, &line, path, err)) != FK_OK)
        return st;
    if (line)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: more lines than the %ld folds of %ld pairs the first line announces",
                        path, l->line, folds, 2 * per);
    return FK_OK;
}

/* Splits a CSV row at every comma (empty fields count, so "a,,1" is not "a,1") and trims each
 * field of spaces and of one pair of surrounding double quotes; returns the count, max + 1: too many. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    for (char *s = line;; ) {
        if (n == max)
            return max + 1;
        char *c = strchr(s, ',');
        if (c)
            *c = 0;
        while (isspace((unsigned char)*s))
            s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = 0;
        if (e - s >= 2 && *s == '"' && e[-1] == '"') {
            e[-1] = 0;
            s++;
        }
        f[n++] = s;
        if (!c)
            return n;
        s = c + 1;
    }
}

static fk_status load_csv(fk__eval_lines *l, const char *path, const char *root, fk_pairs *p, fk_error *err)
{
    size_t cap = 0;
    p->folds = 1;
    char *line;
    fk_status st;
    /* the header line was read by the caller */
    for (;;) {
        if ((st = next_line(l, &line, path, err)) != FK_OK)
            return st;
        if (!line)
            break;
        char *f[3];
        int n = split_csv(line, f, 3);
        int same = n == 3 ? parse_same(f[2]) : -1;
        if (same < 0)
            return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: expected img1,img2,same", path, l->line);
        if (!*f[0] || !*f[1])
            return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: an empty image name", path, l->line);
        if (add_pair(p, &cap, path_join(root, f[0]), path_join(root, f[1]), same, 0))
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", path);
    }
    if (p->count == 0)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: no pairs", path);
    return FK_OK;
}

fk_status fk__pairs_parse(const void *data, size_t size, const char *name, const char *root, fk_pairs **out,
                          fk_error *err)
{
    if (!out || (!data && size))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__pairs_parse: NULL argument");
    *out = NULL;
    name = name ? name : "pair list";
    root = root ? root : "";
    fk_status st = fk__eval_check_text(data, size, name, err);
    if (st != FK_OK)
        return st;
    fk_pairs *p = calloc(1, sizeof *p);
    if (!p)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", name);
    fk__eval_lines l;
    fk__eval_lines_init(&l, data, size);
    char *first = NULL;
    st = next_line(&l, &first, name, err);
    if (st == FK_OK && !first)
        st = fk__fail(err, FK_E_BAD_FORMAT, "%s: empty: no pairs", name);
    /* LFW's first line is two numbers; a CSV's is a header with commas */
    if (st == FK_OK)
        st = strchr(first, ',') ? load_csv(&l, name, root, p, err) : load_lfw(&l, first, name, root, p, err);
    fk__eval_lines_free(&l);
    if (st != FK_OK) {
        fk_pairs_free(p);
        return st;
    }
    *out = p;
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
    st = fk__pairs_parse(data, size, path, root, out, err);
    free(data);
    return st;
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
