/* facekit/gallery.h: a persistent gallery of known people and their face descriptors (one SQLite file), and 1:N identification against it. */
#ifndef FACEKIT_GALLERY_H
#define FACEKIT_GALLERY_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/face.h"
#include "facekit/index.h"
#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Usage:
 *     fk_gallery *g;
 *     if (fk_gallery_open("people.db", &g, &err) != FK_OK) { puts(err.message); ... }
 *     fk_gallery_face_in f = {.descriptor = face.descriptor, .dim = 128, .embedder = "dlib-resnet",
 *                             .source = "alice1.jpg", .box = face.box};
 *     fk_gallery_enroll(g, "Alice", &f, &face_id);
 *     fk_gallery_match m[5]; size_t n;
 *     fk_gallery_identify(g, "dlib-resnet", query, 128, 5, m, &n);   // nearest people first
 *     fk_gallery_close(g);
 *
 * A gallery holds the descriptors of one embedder: the first face enrolled fixes it (name and
 * dimension), and a face or query of another embedder is refused (FK_E_INVALID_ARGUMENT, naming
 * both), because two embedders' descriptors live in different spaces. Every enroll is its own
 * transaction: a process killed mid-batch leaves every face whose enroll returned. Several
 * processes may write one gallery at once (SQLite's WAL; a writer waits up to 30 s for another).
 * A handle is for one thread at a time. */

typedef struct fk_gallery fk_gallery;

/* Opens the gallery at path, creating the file (and its folder) when absent; NULL: the default,
 * fk_gallery_default_path. A file that is not a facekit gallery, or a damaged one, is
 * FK_E_BAD_FORMAT naming the file. */
fk_status fk_gallery_open(const char *path, fk_gallery **out, fk_error *err);
void fk_gallery_close(fk_gallery *g);
/* $XDG_DATA_HOME/facekit/gallery.db, else $HOME/.local/share/facekit/gallery.db. */
const char *fk_gallery_default_path(char *buf, size_t size);
/* The last failure's message on this handle ("" when none). */
const char *fk_gallery_errmsg(const fk_gallery *g);
const char *fk_gallery_path(const fk_gallery *g);
/* The embedder its faces come from ("" while empty) and their dimension (0 while empty). */
const char *fk_gallery_embedder(const fk_gallery *g);
int fk_gallery_dim(const fk_gallery *g);

/* A face to enroll. */
typedef struct fk_gallery_face_in {
    const float *descriptor;
    int dim;
    const char *embedder;         /* registry name, e.g. "dlib-resnet" */
    const char *embedder_version; /* NULL: the registry's source line for it */
    const char *source;           /* the image's path, or NULL */
    fk_box box;
    const unsigned char *thumbnail; /* JPEG bytes of the face, or NULL */
    size_t thumbnail_size;
} fk_gallery_face_in;

/* Adds the face to the person (created when new). Names are 1..200 bytes of UTF-8 without
 * control characters. *face_id (may be NULL) gets the face's id. */
fk_status fk_gallery_enroll(fk_gallery *g, const char *person, const fk_gallery_face_in *face, int64_t *face_id);

typedef struct fk_gallery_person {
    int64_t id;
    char *name;
    size_t faces;
    char *tags; /* comma-separated, sorted ("" for none) */
    char *created;
} fk_gallery_person;

/* Every person, by name. Free with fk_gallery_people_free. */
fk_status fk_gallery_people(fk_gallery *g, fk_gallery_person **people, size_t *count);
void fk_gallery_people_free(fk_gallery_person *people, size_t count);

typedef struct fk_gallery_face {
    int64_t id, person_id;
    char *person;
    char *embedder, *embedder_version, *source, *created;
    fk_box box;
    int dim;
    float *descriptor;
    unsigned char *thumbnail;
    size_t thumbnail_size;
} fk_gallery_face;

/* The faces of one person (NULL: everyone's), by id. Free with fk_gallery_faces_free. */
fk_status fk_gallery_faces(fk_gallery *g, const char *person, fk_gallery_face **faces, size_t *count);
void fk_gallery_faces_free(fk_gallery_face *faces, size_t count);

/* FK_E_NOT_FOUND for an unknown person or face; renaming onto an existing name is
 * FK_E_INVALID_ARGUMENT (merge them instead). */
fk_status fk_gallery_rename(fk_gallery *g, const char *from, const char *to);
/* Moves every face and tag of `from` to `into`, then removes `from`. */
fk_status fk_gallery_merge(fk_gallery *g, const char *from, const char *into);
fk_status fk_gallery_remove_person(fk_gallery *g, const char *person, size_t *faces_removed);
fk_status fk_gallery_remove_face(fk_gallery *g, int64_t face_id);
fk_status fk_gallery_tag(fk_gallery *g, const char *person, const char *tag);
fk_status fk_gallery_untag(fk_gallery *g, const char *person, const char *tag);

typedef struct fk_gallery_stats {
    size_t people, faces, tags;
    long long file_bytes;
    char embedder[64];
    int dim;
    long long generation; /* grows with every change, from any process */
} fk_gallery_stats;
fk_status fk_gallery_get_stats(fk_gallery *g, fk_gallery_stats *st);

/* Writes every person, tag and face (descriptor, box, source, thumbnail in base64) as JSON. */
fk_status fk_gallery_export(fk_gallery *g, const char *path);
/* Adds what an export holds (people merged by name), in one transaction: a damaged file or one
 * of another embedder changes nothing and is FK_E_BAD_FORMAT / FK_E_INVALID_ARGUMENT naming it.
 * *faces_added may be NULL. */
fk_status fk_gallery_import(fk_gallery *g, const char *path, size_t *faces_added);
/* Only the faces of one person of the export, enrolled as `as` (NULL: the same name): how a
 * cluster of `facekit cluster` becomes a person. FK_E_NOT_FOUND when the export has no such
 * person with faces. */
fk_status fk_gallery_import_person(fk_gallery *g, const char *path, const char *person, const char *as,
                                   size_t *faces_added);
/* The same on bytes in memory (`name` names them in messages): what the fuzz target drives. */
fk_status fk_gallery_import_bytes(fk_gallery *g, const char *bytes, size_t size, const char *name,
                                  size_t *faces_added);

/* One person a query matches: their best face's distance. */
typedef struct fk_gallery_match {
    int64_t person_id, face_id;
    char name[208];
    float distance;
} fk_gallery_match;

/* How the in-memory matrix stores descriptors (default FK_INDEX_F32). Takes effect on the next
 * identify. */
fk_status fk_gallery_set_index_type(fk_gallery *g, fk_index_type type);

/* Searches through FAISS's approximate index of this kind (fk_ann_kind) instead of the exact
 * matrix; -1 goes back to exact. The index is built from the file on first use and saved beside
 * it as PATH.faiss-hnsw or PATH.faiss-ivf with the change count it was built at
 * (PATH.faiss-KIND.gen); a later process loads it while the gallery is unchanged, and rebuilds
 * it after a change. FK_E_UNSUPPORTED in a build without FAISS. */
fk_status fk_gallery_set_ann(fk_gallery *g, int kind);

/* The k nearest people (each by its nearest face), nearest first. The in-memory matrix is built
 * on first use and rebuilt when the gallery changed, in this process or another. A query of
 * another embedder than the gallery's is FK_E_INVALID_ARGUMENT. k in 1..1000. */
fk_status fk_gallery_identify(fk_gallery *g, const char *embedder, const float *query, int dim, int k,
                              fk_gallery_match *matches, size_t *count);

#ifdef __cplusplus
}
#endif

#endif
