/* ann_none.c: fk_ann where facekit was built without FAISS: every call says so. */
#include "facekit/ann.h"

#ifndef FK_HAVE_FAISS
#include "core/error.h"

#define NO_FAISS(err) fk__fail(err, FK_E_UNSUPPORTED, "approximate search needs FAISS: this facekit was built without it (Debian libfaiss-dev)")

int fk_ann_available(void)
{
    return 0;
}

fk_status fk_ann_new(int dim, fk_ann_kind kind, fk_ann **out, fk_error *err)
{
    (void)dim, (void)kind;
    if (out)
        *out = NULL;
    return NO_FAISS(err);
}

void fk_ann_free(fk_ann *a)
{
    (void)a;
}

fk_status fk_ann_add(fk_ann *a, const float *vectors, size_t n, const int64_t *ids, fk_error *err)
{
    (void)a, (void)vectors, (void)n, (void)ids;
    return NO_FAISS(err);
}

size_t fk_ann_size(const fk_ann *a)
{
    (void)a;
    return 0;
}

fk_status fk_ann_set_effort(fk_ann *a, int effort, fk_error *err)
{
    (void)a, (void)effort;
    return NO_FAISS(err);
}

fk_status fk_ann_search(const fk_ann *a, const float *query, int k, fk_index_hit *hits, size_t *found, fk_error *err)
{
    (void)a, (void)query, (void)k, (void)hits;
    if (found)
        *found = 0;
    return NO_FAISS(err);
}

fk_status fk_ann_save(const fk_ann *a, const char *path, fk_error *err)
{
    (void)a, (void)path;
    return NO_FAISS(err);
}

fk_status fk_ann_load(const char *path, fk_ann **out, fk_error *err)
{
    (void)path;
    if (out)
        *out = NULL;
    return NO_FAISS(err);
}
#endif
