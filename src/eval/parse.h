/* parse.h: the in-memory entries of the pair-list and ground-truth parsers (for the fuzzers and tests) and their shared line reader. */
#ifndef FK_EVAL_PARSE_H
#define FK_EVAL_PARSE_H

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "facekit/eval.h"

/* Parse a whole pair list / ground-truth file held in memory (it need not be NUL-terminated and
 * is not modified). `name` stands for the file in messages; image paths are joined to root (NULL:
 * none). fk_pairs_load and fk_det_truth_load are these after reading the file; errors are theirs:
 * FK_E_BAD_FORMAT naming the file (and line) and the problem, FK_E_NO_MEMORY, FK_E_INVALID_ARGUMENT.
 * On failure *out is NULL. */
fk_status fk__pairs_parse(const void *data, size_t size, const char *name, const char *root, fk_pairs **out,
                          fk_error *err);
fk_status fk__det_truth_parse(const void *data, size_t size, fk_det_format format, const char *name,
                              const char *root, fk_det_truth **out, fk_error *err);

/* Reads text one line at a time into a buffer of its own, so the input stays const and only the
 * longest line is ever copied. Lines end at "\n", "\r\n" or a lone "\r" (old Mac files). */
typedef struct fk__eval_lines {
    const char *p, *end;
    char *buf;
    size_t cap;
    long line; /* 1-based number of the line last returned */
} fk__eval_lines;

static inline void fk__eval_lines_init(fk__eval_lines *l, const void *data, size_t size)
{
    l->p = data;
    l->end = l->p + size;
    l->buf = NULL;
    l->cap = 0;
    l->line = 0;
}

/* *line gets the next line (NUL-terminated, without its end), or NULL at the end of the text. */
static inline fk_status fk__eval_lines_next(fk__eval_lines *l, char **line)
{
    *line = NULL;
    if (l->p >= l->end)
        return FK_OK;
    const char *s = l->p;
    while (l->p < l->end && *l->p != '\n' && *l->p != '\r')
        l->p++;
    size_t n = (size_t)(l->p - s);
    if (l->p < l->end && *l->p++ == '\r' && l->p < l->end && *l->p == '\n')
        l->p++;
    if (n + 1 > l->cap) {
        char *b = realloc(l->buf, n + 1);
        if (!b)
            return FK_E_NO_MEMORY;
        l->buf = b;
        l->cap = n + 1;
    }
    memcpy(l->buf, s, n);
    l->buf[n] = 0;
    l->line++;
    *line = l->buf;
    return FK_OK;
}

static inline void fk__eval_lines_free(fk__eval_lines *l)
{
    free(l->buf);
    l->buf = NULL;
    l->cap = 0;
}

/* A NUL byte would end every string the parsers make of a line, silently dropping the rest of
 * it: such a file is not text, and is refused. */
static inline fk_status fk__eval_check_text(const void *data, size_t size, const char *name, fk_error *err)
{
    const char *z = size ? memchr(data, 0, size) : NULL;
    if (z)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: a NUL byte at offset %zu: not a text file", name,
                        (size_t)(z - (const char *)data));
    return FK_OK;
}

#endif
