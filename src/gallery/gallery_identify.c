/* gallery_identify.c: 1:N identification: the gallery's faces in an in-memory fk_index, kept in step with the file's change counter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gallery/gallery_internal.h"

fk_status fk_gallery_set_index_type(fk_gallery *g, fk_index_type type)
{
    if ((int)type < 0 || type >= FK_INDEX_TYPE_COUNT)
        return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "fk_gallery_set_index_type: unknown type %d", (int)type);
    if (type != g->ix_type)
        g->ix_valid = false;
    g->ix_type = type;
    return FK_OK;
}

/* Appends the faces with ids above `after` to the index (ids are face ids). */
static fk_status load_rows(fk_gallery *g, long long after)
{
    fk_error e;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(g->db, "SELECT id, dim, descriptor FROM faces WHERE id > ? ORDER BY id", -1, &q, NULL) !=
        SQLITE_OK)
        return fk__gallery_sqlfail(g, "loading the faces");
    sqlite3_bind_int64(q, 1, after);
    enum { BATCH = 1024 };
    float *buf = malloc(sizeof(float) * (size_t)g->dim * BATCH);
    int64_t ids[BATCH];
    if (!buf) {
        sqlite3_finalize(q);
        return fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory loading the faces", g->path);
    }
    size_t n = 0;
    fk_status st = FK_OK;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const int64_t id = sqlite3_column_int64(q, 0);
        const long long dim = sqlite3_column_int64(q, 1);
        const void *blob = sqlite3_column_blob(q, 2);
        const int bytes = sqlite3_column_bytes(q, 2);
        if (dim != g->dim || !blob || (long long)bytes != 4 * dim) {
            st = fk__gallery_fail(g, FK_E_BAD_FORMAT,
                                  "%s: the gallery is damaged: face %lld has a %d-byte descriptor of %lld values, the "
                                  "gallery's are %d",
                                  g->path, (long long)id, bytes, dim, g->dim);
            break;
        }
        memcpy(buf + n * (size_t)g->dim, blob, (size_t)bytes);
        ids[n++] = id;
        if (id > g->ix_max_id)
            g->ix_max_id = id;
        if (n == BATCH) {
            if (fk_index_add(g->ix, buf, n, ids, &e) != FK_OK) {
                st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: %s", g->path, e.message);
                break;
            }
            n = 0;
        }
    }
    if (st == FK_OK && rc != SQLITE_DONE)
        st = fk__gallery_sqlfail(g, "loading the faces");
    if (st == FK_OK && n && fk_index_add(g->ix, buf, n, ids, &e) != FK_OK)
        st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: %s", g->path, e.message);
    sqlite3_finalize(q);
    free(buf);
    return st;
}

/* Brings the matrix in step with the file: new faces only are appended; a removal (the count
 * falls short) or another storage type rebuilds it. Called inside a read transaction, so the
 * rows and the generation come from one snapshot. */
static fk_status refresh(fk_gallery *g, long long generation)
{
    if (g->dim <= 0)
        return FK_OK;
    fk_status st;
    if (g->ix_valid && g->ix && fk_index_dim(g->ix) == g->dim) {
        const long long total = fk__gallery_int(g, "SELECT count(*) FROM faces", 0),
                        fresh = fk__gallery_int(g, "SELECT count(*) FROM faces WHERE id > ?", g->ix_max_id);
        if (total >= 0 && fresh >= 0 && (size_t)(total - fresh) == fk_index_size(g->ix)) {
            g->ix_valid = false;
            if ((st = load_rows(g, g->ix_max_id)) != FK_OK)
                return st;
            g->ix_generation = generation;
            g->ix_valid = true;
            return FK_OK;
        }
    }
    fk_index_free(g->ix);
    g->ix = NULL;
    g->ix_valid = false;
    g->ix_max_id = 0;
    fk_error e;
    if (fk_index_new(g->dim, g->ix_type, &g->ix, &e) != FK_OK)
        return fk__gallery_fail(g, e.status, "%s: %s", g->path, e.message);
    if ((st = load_rows(g, 0)) != FK_OK)
        return st;
    g->ix_generation = generation;
    g->ix_valid = true;
    return FK_OK;
}

fk_status fk_gallery_set_ann(fk_gallery *g, int kind)
{
    if (kind < -1 || kind >= FK_ANN_KIND_COUNT)
        return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "fk_gallery_set_ann: unknown kind %d", kind);
    if (kind >= 0 && g->pg)
        return fk__gallery_fail(g, FK_E_UNSUPPORTED, "%s: the approximate index is for gallery files; on PostgreSQL "
                                "the exact matrix is used", g->path);
    if (kind >= 0 && !fk_ann_available())
        return fk__gallery_fail(g, FK_E_UNSUPPORTED, "%s: approximate search needs FAISS: this facekit was built "
                                "without it (Debian libfaiss-dev)", g->path);
    if (kind != g->ann_kind) {
        fk_ann_free(g->ann);
        g->ann = NULL;
    }
    g->ann_kind = kind;
    return FK_OK;
}

static void ann_paths(const fk_gallery *g, char *idx, char *gen, size_t n)
{
    const char *kind = g->ann_kind == FK_ANN_HNSW ? "hnsw" : "ivf";
    snprintf(idx, n, "%s.faiss-%s", g->path, kind);
    snprintf(gen, n, "%s.faiss-%s.gen", g->path, kind);
}

/* The saved index when it was built at this generation; else one built from every face, saved
 * for the next process (a gallery in memory keeps it in memory only). */
static fk_status ann_refresh(fk_gallery *g, long long generation)
{
    if (g->ann && g->ann_generation == generation)
        return FK_OK;
    fk_ann_free(g->ann);
    g->ann = NULL;
    char idx[1100], gen[1100];
    ann_paths(g, idx, gen, sizeof idx);
    const bool on_disk = strcmp(g->path, ":memory:") != 0;
    fk_error e;
    if (on_disk) {
        FILE *f = fopen(gen, "r");
        long long saved = -1;
        if (f) {
            if (fscanf(f, "%lld", &saved) != 1)
                saved = -1;
            fclose(f);
        }
        if (saved == generation && fk_ann_load(idx, &g->ann, &e) == FK_OK && fk_ann_size(g->ann) > 0) {
            g->ann_generation = generation;
            return FK_OK;
        }
        fk_ann_free(g->ann);
        g->ann = NULL;
    }
    /* from the file's rows (the exact matrix may hold them rounded to float16 or int8) */
    const size_t n = g->ix ? fk_index_size(g->ix) : 0;
    if (n == 0)
        return FK_OK;
    if (fk_ann_new(g->dim, (fk_ann_kind)g->ann_kind, &g->ann, &e) != FK_OK)
        return fk__gallery_fail(g, e.status, "%s: %s", g->path, e.message);
    float *rows = malloc(sizeof(float) * (size_t)g->dim * n);
    int64_t *ids = malloc(sizeof(int64_t) * n);
    fk_status st = FK_OK;
    size_t got = 0;
    sqlite3_stmt *q = NULL;
    if (!rows || !ids)
        st = fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory building the approximate index", g->path);
    else if (sqlite3_prepare_v2(g->db, "SELECT id, descriptor FROM faces ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        st = fk__gallery_sqlfail(g, "building the approximate index");
    while (st == FK_OK && got < n && sqlite3_step(q) == SQLITE_ROW) {
        /* the matrix was filled from these rows in this transaction: their sizes were checked */
        if (sqlite3_column_bytes(q, 1) != (int)(4 * g->dim)) {
            st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: a descriptor's size", g->path);
            break;
        }
        ids[got] = sqlite3_column_int64(q, 0);
        memcpy(rows + got * (size_t)g->dim, sqlite3_column_blob(q, 1), sizeof(float) * (size_t)g->dim);
        got++;
    }
    sqlite3_finalize(q);
    if (st == FK_OK && fk_ann_add(g->ann, rows, got, ids, &e) != FK_OK)
        st = fk__gallery_fail(g, FK_E_BAD_STATE, "%s: building the approximate index: %s", g->path, e.message);
    free(rows);
    free(ids);
    if (st != FK_OK) {
        fk_ann_free(g->ann);
        g->ann = NULL;
        return st;
    }
    g->ann_generation = generation;
    if (on_disk && fk_ann_save(g->ann, idx, &e) == FK_OK) {
        FILE *f = fopen(gen, "w");
        if (f) {
            fprintf(f, "%lld\n", generation);
            fclose(f);
        }
    }
    return FK_OK;
}

size_t fk__gallery_add_match(fk_gallery_match *m, size_t n, int64_t person_id, const fk_index_hit *hit,
                             const char *name)
{
    for (size_t j = 0; j < n; j++)
        if (m[j].person_id == person_id)
            return n;
    m[n].person_id = person_id;
    m[n].face_id = hit->id;
    m[n].distance = hit->distance;
    snprintf(m[n].name, sizeof m[n].name, "%s", name);
    return n + 1;
}

/* The person of each face id, for the hits of one search. */
static fk_status people_of(fk_gallery *g, const fk_index_hit *hits, size_t n, int64_t *pid, char (*names)[208])
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(g->db, "SELECT p.id, p.name FROM faces f JOIN people p ON p.id = f.person_id WHERE f.id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return fk__gallery_sqlfail(g, "finding the people");
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, hits[i].id);
        const int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            pid[i] = sqlite3_column_int64(q, 0);
            const char *t = (const char *)sqlite3_column_text(q, 1);
            snprintf(names[i], sizeof names[i], "%s", t ? t : "");
        } else if (rc == SQLITE_DONE) {
            pid[i] = 0; /* removed since the matrix was built (in this transaction it cannot be) */
        } else {
            sqlite3_finalize(q);
            return fk__gallery_sqlfail(g, "finding the people");
        }
    }
    sqlite3_finalize(q);
    return FK_OK;
}

static fk_status identify_locked(fk_gallery *g, const char *embedder, const float *query, int dim, int k,
                                 fk_gallery_match *m, size_t *count)
{
    fk_status st = fk__gallery_load_meta(g);
    if (st != FK_OK)
        return st;
    if (!g->embedder[0])
        return FK_OK; /* an empty gallery knows nobody */
    if ((st = fk__gallery_check_descriptor(g, embedder, query, dim)) != FK_OK)
        return st;
    const long long gen = fk__gallery_generation(g);
    if (!g->ix_valid || gen != g->ix_generation || !g->ix)
        if ((st = refresh(g, gen)) != FK_OK)
            return st;
    if (g->ann_kind >= 0 && (st = ann_refresh(g, gen)) != FK_OK)
        return st;
    const size_t rows = fk_index_size(g->ix);
    /* a person may own many of the nearest faces: widen the search until k people are found */
    size_t want = (size_t)k * 4 < 64 ? 64 : (size_t)k * 4;
    for (;;) {
        if (want > rows)
            want = rows;
        if (want == 0)
            return FK_OK;
        fk_index_hit *hits = malloc(want * sizeof *hits);
        int64_t *pid = malloc(want * sizeof *pid);
        char(*names)[208] = malloc(want * sizeof *names);
        size_t got = 0;
        fk_error e;
        if (!hits || !pid || !names) {
            st = fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory identifying", g->path);
        } else if (g->ann ? fk_ann_search(g->ann, query, want > 1000 ? 1000 : (int)want, hits, &got, &e) != FK_OK
                          : fk_index_search(g->ix, query, want > 1000 ? 1000 : (int)want, hits, &got, &e) != FK_OK) {
            st = fk__gallery_fail(g, e.status, "%s: %s", g->path, e.message);
        } else if ((st = people_of(g, hits, got, pid, names)) == FK_OK) {
            size_t n = 0;
            for (size_t i = 0; i < got && n < (size_t)k; i++) {
                if (pid[i])
                    n = fk__gallery_add_match(m, n, pid[i], &hits[i], names[i]);
            }
            *count = n;
            const bool done = n == (size_t)k || got < want || want >= rows || want >= 1000;
            free(hits);
            free(pid);
            free(names);
            if (done)
                return FK_OK;
            want *= 4;
            continue;
        }
        free(hits);
        free(pid);
        free(names);
        return st;
    }
}

fk_status fk_gallery_identify(fk_gallery *g, const char *embedder, const float *query, int dim, int k,
                              fk_gallery_match *matches, size_t *count)
{
    *count = 0;
    if (k < 1 || k > 1000 || !matches)
        return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "fk_gallery_identify: k %d is not in 1..1000", k);
    if (g->pg)
        return fk__pg_identify(g, embedder, query, dim, k, matches, count);
    /* one read transaction: the matrix, the counter and the names all come from one snapshot */
    fk_status st = fk__gallery_exec(g, "BEGIN", "identifying");
    if (st != FK_OK)
        return st;
    st = identify_locked(g, embedder, query, dim, k, matches, count);
    sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL);
    return st;
}
