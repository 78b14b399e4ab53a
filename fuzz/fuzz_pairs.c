/* fuzz_pairs.c: libFuzzer target for the verification pair-list parser (LFW pairs.txt and CSV), from memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOT "/r"
#define NAME "fuzz_pairs.txt"

/* A path is root, a slash, then something: a pair never points outside the root it was given. */
static int path_ok(const char *p)
{
    return p && strncmp(p, ROOT "/", sizeof ROOT) == 0 && p[sizeof ROOT] != '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fk_pairs *p = NULL;
    fk_error err;
    memset(&err, 0, sizeof err);
    fk_status st = fk__pairs_parse(data, size, NAME, ROOT, &p, &err);
    if (st != FK_OK) {
        /* a failure leaves nothing behind and explains itself on one line that names the file */
        if (p || err.status != st || !err.message[0] || !memchr(err.message, 0, sizeof err.message) ||
            strchr(err.message, '\n') || !strstr(err.message, NAME))
            abort();
        return 0;
    }
    if (!p || p->count == 0 || !p->items || p->folds < 1 || p->folds > 16)
        abort();
    /* the parser tells the formats apart by a comma on the first non-blank line; so does this check */
    const uint8_t *s = data, *e = data + size;
    while (s < e && (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t' || *s == '\v' || *s == '\f'))
        s++;
    const uint8_t *eol = s;
    while (eol < e && *eol != '\n' && *eol != '\r')
        eol++;
    int csv = memchr(s, ',', (size_t)(eol - s)) != NULL;
    if (csv && p->folds != 1)
        abort();
    /* LFW: folds of per same-person pairs then per different-person pairs, in order */
    size_t per_fold = p->count / (size_t)p->folds;
    if (!csv && (p->count % (2 * (size_t)p->folds) != 0))
        abort();
    for (size_t i = 0; i < p->count; i++) {
        const fk_pair *q = &p->items[i];
        if (!path_ok(q->a) || !path_ok(q->b) || (q->same != 0 && q->same != 1) || q->fold < 0 || q->fold >= p->folds)
            abort();
        if (csv && q->fold != 0)
            abort();
        if (!csv) {
            size_t k = i % per_fold;
            if ((size_t)q->fold != i / per_fold || q->same != (k < per_fold / 2))
                abort();
            /* LFW images are root/name/name_NNNN.jpg */
            size_t la = strlen(q->a), lb = strlen(q->b);
            if (la < 4 || lb < 4 || strcmp(q->a + la - 4, ".jpg") || strcmp(q->b + lb - 4, ".jpg"))
                abort();
        }
    }
    fk_pairs_free(p);
    return 0;
}
