/* gallery_internal.h: the gallery handle and the helpers its files share (SQLite statements, the cached matrix). */
#ifndef FK_GALLERY_INTERNAL_H
#define FK_GALLERY_INTERNAL_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "facekit/gallery.h"
#include "facekit/ann.h"
#include "facekit/index.h"

#define FK__GALLERY_SCHEMA 1
#define FK__GALLERY_NAME_MAX 200

struct fk_gallery {
    sqlite3 *db;
    PGconn *pg; /* instead of db for a postgresql:// gallery */
    char *path;
    char embedder[64];
    int dim;
    char msg[FK_ERROR_MESSAGE_MAX];
    /* identify's matrix and what it was built from */
    fk_index *ix;
    fk_index_type ix_type;
    long long ix_generation;
    long long ix_max_id; /* the largest face id in the matrix: faces above it are new */
    /* the approximate index, when asked for: saved beside the file as PATH.faiss-KIND */
    int ann_kind; /* -1: none */
    fk_ann *ann;
    long long ann_generation;
    bool ix_valid;
};

/* Records the message on the handle and returns status. */
fk_status fk__gallery_fail(fk_gallery *g, fk_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same for an SQLite failure: the message names the file, what was being done and SQLite's words. */
fk_status fk__gallery_sqlfail(fk_gallery *g, const char *doing);
/* One integer from a query, binding arg to its parameter when it has one; -1 when no row
 * comes back or on failure. */
long long fk__gallery_int(fk_gallery *g, const char *sql, long long arg);
/* Runs SQL without results. */
fk_status fk__gallery_exec(fk_gallery *g, const char *sql, const char *doing);
/* BEGIN IMMEDIATE (a writer waits for the others first) / COMMIT that bumps the generation / ROLLBACK. */
fk_status fk__gallery_begin(fk_gallery *g);
fk_status fk__gallery_commit(fk_gallery *g);
void fk__gallery_rollback(fk_gallery *g);
/* The change counter every write bumps (0 when it cannot be read). */
long long fk__gallery_generation(fk_gallery *g);
/* Re-reads the embedder and dimension another process may have fixed since open. */
fk_status fk__gallery_load_meta(fk_gallery *g);
/* Checks a name (1..200 bytes, no control characters). */
bool fk__gallery_name_ok(const char *name);
/* The same as an error on the handle: FK_E_INVALID_ARGUMENT with the rule. Tags also may not
 * hold a comma (the lists join them with commas). */
fk_status fk__gallery_check_name(fk_gallery *g, const char *name);
fk_status fk__gallery_check_tag(fk_gallery *g, const char *tag);
/* A face to add: its person's name and its descriptor (fk__gallery_check_descriptor). */
fk_status fk__gallery_check_face(fk_gallery *g, const char *person, const fk_gallery_face_in *f);
/* Refuses a descriptor of another embedder or dimension than the gallery's (empty galleries
 * take any); every value finite. */
fk_status fk__gallery_check_descriptor(fk_gallery *g, const char *embedder, const float *d, int dim);
/* Adds one face in the open transaction, fixing the embedder when the gallery is empty. */
fk_status fk__gallery_insert_face(fk_gallery *g, const char *person, const fk_gallery_face_in *face, int64_t *face_id);

/* Appends the hit as person_id's match to m[0..n) unless the person has one already (hits come
 * nearest first, so the first is the person's nearest face); the new count. */
size_t fk__gallery_add_match(fk_gallery_match *m, size_t n, int64_t person_id, const fk_index_hit *hit,
                             const char *name);

/* PostgreSQL (gallery_pg.c): the same operations on a server. */
bool fk__gallery_is_pg(const char *path);
fk_status fk__pg_open(fk_gallery *g);
long long fk__pg_generation(fk_gallery *g);
fk_status fk__pg_enroll(fk_gallery *g, const char *person, const fk_gallery_face_in *f, int64_t *face_id);
fk_status fk__pg_people(fk_gallery *g, fk_gallery_person **people, size_t *count);
fk_status fk__pg_faces(fk_gallery *g, const char *person, fk_gallery_face **faces, size_t *count);
/* what: 0 rename a to b, 1 merge a into b, 2 remove person a, 3 remove face, 4 tag a b, 5 untag */
fk_status fk__pg_change(fk_gallery *g, int what, const char *a, const char *b, int64_t face, size_t *removed);
fk_status fk__pg_stats(fk_gallery *g, fk_gallery_stats *s);
/* Every face and tag of `from` (an export already read and checked into a gallery in memory) in
 * one server transaction. */
fk_status fk__pg_import(fk_gallery *g, fk_gallery *from, const char *name, size_t *added);
fk_status fk__pg_identify(fk_gallery *g, const char *embedder, const float *query, int dim, int k,
                          fk_gallery_match *m, size_t *count);

#endif
