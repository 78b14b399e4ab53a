/* identify.c: 1:N identification scores (rank-1, rank-5, open-set false accepts) over a labelled set of descriptors. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "facekit/eval.h"
#include "facekit/index.h"

#define RANKS 5 /* the deepest rank reported */

/* One person with two images or more: their images are ord[first .. first + count). */
typedef struct group {
    size_t first, count;
    size_t enrolled; /* image index, or SIZE_MAX: none of their images has a descriptor */
    int known;       /* in the open set's gallery */
} group;

/* An image's sort key; sorting keys (not indices into the caller's array) keeps qsort free of globals. */
typedef struct key {
    size_t person, order, index;
} key;

static int cmp_key(const void *a, const void *b)
{
    const key *x = a, *y = b;
    if (x->person != y->person)
        return x->person < y->person ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index); /* equal keys are rejected; this keeps the sort defined */
}

static double ratio(size_t num, size_t den)
{
    return den ? (double)num / (double)den : NAN;
}

/* One index over the enrolled rows of the groups selected (all, or the known ones), ids = group number. */
static fk_status build_index(const fk_identify_image *images, const group *g, size_t ng, int dim, int known_only,
                             fk_index **out, size_t *rows, fk_error *err)
{
    *out = NULL;
    *rows = 0;
    size_t n = 0;
    for (size_t i = 0; i < ng; i++)
        n += g[i].enrolled != SIZE_MAX && (!known_only || g[i].known);
    fk_index *ix = NULL;
    fk_status st = fk_index_new(dim, FK_INDEX_F32, &ix, err);
    if (st != FK_OK)
        return st;
    if (n == 0) {
        *out = ix;
        return FK_OK;
    }
    size_t floats, bytes, id_bytes;
    if (!fk__mul_size(n, (size_t)dim, &floats) || !fk__mul_size(floats, sizeof(float), &bytes) ||
        !fk__mul_size(n, sizeof(int64_t), &id_bytes)) {
        fk_index_free(ix);
        return fk__fail(err, FK_E_OVERFLOW, "identification: a gallery of %zu faces of %d values is too large", n,
                        dim);
    }
    float *v = malloc(bytes);
    int64_t *ids = malloc(id_bytes);
    if (!v || !ids) {
        free(v);
        free(ids);
        fk_index_free(ix);
        return fk__fail(err, FK_E_NO_MEMORY, "identification: out of memory for a gallery of %zu faces", n);
    }
    size_t r = 0;
    for (size_t i = 0; i < ng; i++) {
        if (g[i].enrolled == SIZE_MAX || (known_only && !g[i].known))
            continue;
        memcpy(v + r * (size_t)dim, images[g[i].enrolled].descriptor, (size_t)dim * sizeof(float));
        ids[r++] = (int64_t)i;
    }
    st = fk_index_add(ix, v, n, ids, err);
    free(v);
    free(ids);
    if (st != FK_OK) {
        fk_index_free(ix);
        return st;
    }
    *out = ix;
    *rows = n;
    return FK_OK;
}

fk_status fk_identify_evaluate(const fk_identify_image *images, size_t count, int dim, double threshold,
                               fk_identify_report *out, int *roles, fk_error *err)
{
    if ((!images && count) || !out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_identify_evaluate: NULL argument");
    if (dim < 1 || dim > 4096)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_identify_evaluate: dimension %d is not in 1..4096", dim);
    if (!(threshold > 0) || !isfinite(threshold))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_identify_evaluate: threshold %g is not a positive number",
                        threshold);
    memset(out, 0, sizeof *out);
    out->threshold = threshold;
    for (size_t i = 0; i < count; i++) {
        const float *d = images[i].descriptor;
        for (int k = 0; d && k < dim; k++)
            if (!isfinite(d[k]))
                return fk__fail(err, FK_E_INVALID_ARGUMENT,
                                "identification: image %zu (person %zu) has a non-finite descriptor value", i,
                                images[i].person);
    }
    size_t key_bytes, group_bytes;
    if (!fk__mul_size(count, sizeof(key), &key_bytes) || !fk__mul_size(count, sizeof(group), &group_bytes))
        return fk__fail(err, FK_E_OVERFLOW, "identification: %zu images are too many", count);
    key *keys = malloc(key_bytes ? key_bytes : 1);
    size_t *ord = malloc(count ? count * sizeof *ord : 1); /* smaller than keys: cannot overflow */
    group *g = malloc(group_bytes ? group_bytes : 1);
    fk_index *closed_ix = NULL, *open_ix = NULL;
    fk_status st = FK_OK;
    if (!keys || !ord || !g) {
        st = fk__fail(err, FK_E_NO_MEMORY, "identification: out of memory for %zu images", count);
        goto done;
    }
    for (size_t i = 0; i < count; i++)
        keys[i] = (key){images[i].person, images[i].order, i};
    qsort(keys, count, sizeof *keys, cmp_key);
    for (size_t i = 0; i < count; i++)
        ord[i] = keys[i].index;
    if (roles)
        for (size_t i = 0; i < count; i++)
            roles[i] = FK_IDENTIFY_UNUSED;

    /* group the images by person; the enrolled image is the first (by order) with a descriptor */
    size_t ng = 0;
    for (size_t a = 0; a < count;) {
        size_t b = a + 1;
        while (b < count && images[ord[b]].person == images[ord[a]].person) {
            if (images[ord[b]].order == images[ord[b - 1]].order) {
                st = fk__fail(err, FK_E_INVALID_ARGUMENT,
                              "identification: images %zu and %zu of person %zu have the same order %zu", ord[b - 1],
                              ord[b], images[ord[b]].person, images[ord[b]].order);
                goto done;
            }
            b++;
        }
        if (b - a >= 2) {
            group *p = &g[ng];
            p->first = a;
            p->count = b - a;
            p->enrolled = SIZE_MAX;
            /* every second person (the 2nd, 4th, ...) is left out of the open set's gallery */
            p->known = ng % 2 == 0;
            for (size_t k = a; k < b && p->enrolled == SIZE_MAX; k++)
                if (images[ord[k]].descriptor)
                    p->enrolled = ord[k];
            size_t gallery_image = p->enrolled != SIZE_MAX ? p->enrolled : ord[a];
            if (roles)
                for (size_t k = a; k < b; k++)
                    roles[ord[k]] = ord[k] == gallery_image ? FK_IDENTIFY_GALLERY : FK_IDENTIFY_PROBE;
            out->images += b - a;
            out->gallery += p->enrolled != SIZE_MAX;
            out->enrolled_later += p->enrolled != SIZE_MAX && p->enrolled != ord[a];
            out->not_enrolled += p->enrolled == SIZE_MAX;
            if (p->known)
                out->known_people++;
            else
                out->unknown_people++;
            ng++;
        }
        a = b;
    }
    out->people = ng;
    if (ng == 0) {
        st = fk__fail(err, FK_E_INVALID_ARGUMENT,
                      "identification: no person has two images or more (%zu images), so there is nothing to "
                      "enroll and search for",
                      count);
        goto done;
    }
    size_t closed_rows = 0;
    if ((st = build_index(images, g, ng, dim, 0, &closed_ix, &closed_rows, err)) != FK_OK ||
        (st = build_index(images, g, ng, dim, 1, &open_ix, &out->open_gallery, err)) != FK_OK)
        goto done;

    int k_closed = closed_rows < RANKS ? (int)closed_rows : RANKS;
    for (size_t gi = 0; gi < ng; gi++) {
        const group *p = &g[gi];
        size_t gallery_image = p->enrolled != SIZE_MAX ? p->enrolled : ord[p->first];
        for (size_t k = p->first; k < p->first + p->count; k++) {
            size_t i = ord[k];
            if (i == gallery_image)
                continue;
            out->probes++;
            if (p->known)
                out->known_probes++;
            else
                out->unknown_probes++;
            const float *d = images[i].descriptor;
            if (!d) {
                out->probes_without_descriptor++;
                if (p->known)
                    out->known_probes_without_descriptor++;
                else
                    out->unknown_probes_without_descriptor++;
                continue;
            }
            fk_index_hit hits[RANKS];
            size_t found = 0;
            if (k_closed > 0) {
                if ((st = fk_index_search(closed_ix, d, k_closed, hits, &found, err)) != FK_OK)
                    goto done;
                for (size_t r = 0; r < found; r++)
                    if (hits[r].id == (int64_t)gi) {
                        out->rank1_hits += r == 0;
                        out->rank5_hits++;
                        break;
                    }
            }
            if (out->open_gallery == 0)
                continue;
            if ((st = fk_index_search(open_ix, d, 1, hits, &found, err)) != FK_OK)
                goto done;
            if (found == 0)
                continue;
            int accepted = (double)hits[0].distance < threshold;
            if (p->known) {
                int right = hits[0].id == (int64_t)gi;
                out->known_rank1_hits += right;
                out->known_accepted_hits += right && accepted;
            } else {
                out->false_accepts += accepted;
            }
        }
    }
    out->rank1 = ratio(out->rank1_hits, out->probes);
    out->rank5 = ratio(out->rank5_hits, out->probes);
    out->far = ratio(out->false_accepts, out->unknown_probes - out->unknown_probes_without_descriptor);
    out->known_rank1 = ratio(out->known_rank1_hits, out->known_probes);
    out->known_rank1_at_threshold = ratio(out->known_accepted_hits, out->known_probes);
done:
    fk_index_free(closed_ix);
    fk_index_free(open_ix);
    free(keys);
    free(ord);
    free(g);
    return st;
}
