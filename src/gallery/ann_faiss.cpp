/* ann_faiss.cpp: fk_ann on FAISS's C++ classes (Debian's libfaiss-dev has the C API's headers but not its code): HNSW or IVF-Flat under an id map, no exception past this file. */
#include <cmath>
#include <cstring>
#include <new>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>

#include "facekit/ann.h"

extern "C" {
#include "core/error.h"
}

/* faiss::idx_t from 1.7.4 on; Debian 12 has 1.7.3 */
using fk_idx_t = faiss::Index::idx_t;

struct fk_ann {
    faiss::IndexIDMap *map; /* owns the index below it */
    faiss::IndexFlatL2 *quantizer; /* IVF only: the lists' centroids */
    fk_ann_kind kind;
    int dim;
    int effort;
};

static void drop(fk_ann *a)
{
    if (!a)
        return;
    delete a->map; /* own_fields: the inner index too */
    delete a->quantizer;
    delete a;
}

extern "C" int fk_ann_available(void)
{
    return 1;
}

extern "C" fk_status fk_ann_new(int dim, fk_ann_kind kind, fk_ann **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ann_new: NULL output");
    *out = nullptr;
    if (dim < 1 || dim > 4096 || (kind != FK_ANN_HNSW && kind != FK_ANN_IVF))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ann_new: dimension %d or kind %d out of range", dim, (int)kind);
    fk_ann *a = new (std::nothrow) fk_ann();
    if (!a)
        return fk__fail(err, FK_E_NO_MEMORY, "fk_ann_new: out of memory");
    a->kind = kind;
    a->dim = dim;
    try {
        if (kind == FK_ANN_HNSW) {
            auto *h = new faiss::IndexHNSWFlat(dim, 32);
            h->hnsw.efConstruction = 80;
            a->effort = 128;
            a->map = new faiss::IndexIDMap(h);
        } else {
            /* the list count is chosen on the first add, when the data's size is known */
            a->effort = 16;
        }
        if (a->map)
            a->map->own_fields = true;
    } catch (const std::exception &e) {
        drop(a);
        return fk__fail(err, FK_E_NO_MEMORY, "fk_ann_new: %s", e.what());
    }
    *out = a;
    return FK_OK;
}

extern "C" void fk_ann_free(fk_ann *a)
{
    drop(a);
}

extern "C" fk_status fk_ann_add(fk_ann *a, const float *vectors, size_t n, const int64_t *ids, fk_error *err)
{
    if (!a || (n && (!vectors || !ids)))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ann_add: bad argument");
    if (n == 0)
        return FK_OK;
    for (size_t i = 0; i < n * (size_t)a->dim; i++)
        if (!std::isfinite(vectors[i]))
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ann_add: row %zu has a non-finite value", i / a->dim);
    try {
        if (!a->map) {
            /* IVF: about sqrt(n) lists, each trained on at least 40 rows as FAISS advises */
            size_t lists = 1;
            while ((lists + 1) * (lists + 1) <= n)
                lists++;
            if (lists > n / 40)
                lists = n / 40 ? n / 40 : 1;
            a->quantizer = new faiss::IndexFlatL2(a->dim);
            auto *ivf = new faiss::IndexIVFFlat(a->quantizer, a->dim, lists, faiss::METRIC_L2);
            /* a small gallery has few rows per list; FAISS would warn on stderr about each */
            ivf->cp.min_points_per_centroid = 1;
            ivf->train((fk_idx_t)n, vectors);
            ivf->nprobe = (size_t)a->effort;
            a->map = new faiss::IndexIDMap(ivf);
            a->map->own_fields = true;
        }
        static_assert(sizeof(fk_idx_t) == sizeof(int64_t), "FAISS ids are 64-bit");
        a->map->add_with_ids((fk_idx_t)n, vectors, reinterpret_cast<const fk_idx_t *>(ids));
    } catch (const std::bad_alloc &) {
        return fk__fail(err, FK_E_NO_MEMORY, "fk_ann_add: out of memory for %zu rows", n);
    } catch (const std::exception &e) {
        return fk__fail(err, FK_E_BAD_STATE, "fk_ann_add: FAISS: %s", e.what());
    }
    return FK_OK;
}

extern "C" size_t fk_ann_size(const fk_ann *a)
{
    return a && a->map ? (size_t)a->map->ntotal : 0;
}

static void apply_effort(fk_ann *a)
{
    if (!a->map)
        return;
    if (auto *h = dynamic_cast<faiss::IndexHNSW *>(a->map->index))
        h->hnsw.efSearch = a->effort;
    else if (auto *v = dynamic_cast<faiss::IndexIVF *>(a->map->index))
        v->nprobe = (size_t)a->effort;
}

extern "C" fk_status fk_ann_set_effort(fk_ann *a, int effort, fk_error *err)
{
    if (!a || effort < 1 || effort > 100000)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ann_set_effort: effort %d is not in 1..100000", effort);
    a->effort = effort;
    apply_effort(a);
    return FK_OK;
}

extern "C" fk_status fk_ann_search(const fk_ann *a, const float *query, int k, fk_index_hit *hits, size_t *found,
                                   fk_error *err)
{
    if (found)
        *found = 0;
    if (!a || !query || !hits || !found || k < 1 || k > 1000)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ann_search: bad argument (k %d)", k);
    for (int i = 0; i < a->dim; i++)
        if (!std::isfinite(query[i]))
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ann_search: the query has a non-finite value");
    if (!a->map || a->map->ntotal == 0)
        return FK_OK;
    float dist[1000];
    fk_idx_t lab[1000];
    try {
        a->map->search(1, query, k, dist, lab);
    } catch (const std::exception &e) {
        return fk__fail(err, FK_E_BAD_STATE, "fk_ann_search: FAISS: %s", e.what());
    }
    size_t n = 0;
    for (int i = 0; i < k; i++) {
        if (lab[i] < 0)
            break; /* fewer than k reachable */
        hits[n].id = lab[i];
        hits[n].distance = std::sqrt(dist[i] > 0 ? dist[i] : 0.0f);
        n++;
    }
    *found = n;
    return FK_OK;
}

extern "C" fk_status fk_ann_save(const fk_ann *a, const char *path, fk_error *err)
{
    if (!a || !path || !a->map)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ann_save: %s: nothing to save", path ? path : "(null)");
    try {
        faiss::write_index(a->map, path);
    } catch (const std::exception &e) {
        return fk__fail(err, FK_E_IO, "%s: cannot write the index (%s)", path, e.what());
    }
    return FK_OK;
}

extern "C" fk_status fk_ann_load(const char *path, fk_ann **out, fk_error *err)
{
    if (!out || !path)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ann_load: bad argument");
    *out = nullptr;
    faiss::Index *ix = nullptr;
    try {
        ix = faiss::read_index(path);
    } catch (const std::exception &e) {
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: not a readable FAISS index (%s)", path, e.what());
    }
    auto *map = dynamic_cast<faiss::IndexIDMap *>(ix);
    const bool known = map && (dynamic_cast<faiss::IndexHNSW *>(map->index) || dynamic_cast<faiss::IndexIVF *>(map->index));
    if (!known || ix->d < 1 || ix->d > 4096 || ix->metric_type != faiss::METRIC_L2) {
        delete ix;
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: a FAISS index, but not one facekit writes (an id map over L2 HNSW or IVF)",
                        path);
    }
    fk_ann *a = new (std::nothrow) fk_ann();
    if (!a) {
        delete ix;
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory", path);
    }
    a->map = map;
    a->map->own_fields = true;
    a->dim = (int)ix->d;
    a->kind = dynamic_cast<faiss::IndexHNSW *>(map->index) ? FK_ANN_HNSW : FK_ANN_IVF;
    a->effort = a->kind == FK_ANN_HNSW ? 128 : 16;
    apply_effort(a);
    *out = a;
    return FK_OK;
}
