/* facekit/ann.h: approximate nearest-neighbour search for very large galleries, through FAISS (HNSW or IVF), saved beside the gallery. */
#ifndef FACEKIT_ANN_H
#define FACEKIT_ANN_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/index.h"
#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Usage:
 *     fk_ann *a;
 *     fk_ann_new(128, FK_ANN_HNSW, &a, &err);
 *     fk_ann_add(a, vectors, n, ids, &err);     // IVF trains on the first add (>= 40 x lists rows)
 *     fk_ann_search(a, query, 5, hits, &got, &err);
 *     fk_ann_save(a, "gallery.db.hnsw", &err);
 *
 * L2 distances (not squared), as fk_index. Only in builds with FAISS (Debian libfaiss-dev):
 * elsewhere fk_ann_available() is 0 and every call is FK_E_UNSUPPORTED. Debian's libfaiss-dev
 * ships the C API's headers but not its compiled functions, so facekit reaches FAISS through a
 * small C++ file of its own (src/gallery/ann_faiss.cpp). */

typedef enum fk_ann_kind {
    FK_ANN_HNSW = 0, /* IndexHNSWFlat, M 32: no training, the best recall per millisecond */
    FK_ANN_IVF,      /* IndexIVFFlat over a k-means of sqrt(n) lists, trained on the first add */
    FK_ANN_KIND_COUNT
} fk_ann_kind;

typedef struct fk_ann fk_ann;

int fk_ann_available(void);
fk_status fk_ann_new(int dim, fk_ann_kind kind, fk_ann **out, fk_error *err);
void fk_ann_free(fk_ann *a);
fk_status fk_ann_add(fk_ann *a, const float *vectors, size_t n, const int64_t *ids, fk_error *err);
size_t fk_ann_size(const fk_ann *a);
/* The effort of a search: HNSW's efSearch, IVF's nprobe (defaults 128 and 16). */
fk_status fk_ann_set_effort(fk_ann *a, int effort, fk_error *err);
fk_status fk_ann_search(const fk_ann *a, const float *query, int k, fk_index_hit *hits, size_t *found,
                        fk_error *err);
fk_status fk_ann_save(const fk_ann *a, const char *path, fk_error *err);
/* A damaged or foreign file is FK_E_BAD_FORMAT naming it. */
fk_status fk_ann_load(const char *path, fk_ann **out, fk_error *err);

#ifdef __cplusplus
}
#endif

#endif
