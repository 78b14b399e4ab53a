/* gallery_store.c: the gallery's SQLite file: opening and migrating it, enrolling, listing, renaming, merging, removing and tagging. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "facekit/models.h"
#include "gallery/gallery_internal.h"

/* Each migration takes the schema from version i to i + 1; a gallery is never changed by an
 * older facekit than the one that wrote it (open refuses a newer schema). */
static const char *const migrations[] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value NOT NULL);"
    "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    /* AUTOINCREMENT: an id is never reused, so faces above the matrix's largest id are new ones */
    "CREATE TABLE faces(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    "  embedder TEXT NOT NULL, embedder_version TEXT NOT NULL, dim INTEGER NOT NULL,"
    "  descriptor BLOB NOT NULL, source TEXT, box_x REAL, box_y REAL, box_w REAL, box_h REAL,"
    "  thumbnail BLOB, created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE INDEX faces_person ON faces(person_id);"
    "CREATE TABLE tags(person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    "  tag TEXT NOT NULL, PRIMARY KEY(person_id, tag));"
    "INSERT INTO meta VALUES('format', 'facekit-gallery'), ('generation', 0), ('embedder', ''), ('dim', 0);",
};
#define MIGRATIONS (sizeof migrations / sizeof migrations[0])

fk_status fk__gallery_fail(fk_gallery *g, fk_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->msg, sizeof g->msg, fmt, ap);
    va_end(ap);
    return status;
}

fk_status fk__gallery_sqlfail(fk_gallery *g, const char *doing)
{
    const int code = sqlite3_errcode(g->db);
    const int base = code & 0xFF;
    fk_status st = FK_E_IO;
    if (base == SQLITE_CORRUPT || base == SQLITE_NOTADB)
        st = FK_E_BAD_FORMAT;
    else if (base == SQLITE_NOMEM)
        st = FK_E_NO_MEMORY;
    else if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
        st = FK_E_BAD_STATE;
    else if (base == SQLITE_CONSTRAINT)
        st = FK_E_INVALID_ARGUMENT;
    const char *what = base == SQLITE_CORRUPT ? "the gallery is damaged"
                       : base == SQLITE_NOTADB ? "not a facekit gallery (not an SQLite database)"
                       : base == SQLITE_BUSY   ? "the gallery stayed locked by another process"
                                               : sqlite3_errmsg(g->db);
    return fk__gallery_fail(g, st, "%s: %s: %s", g->path, doing, what);
}

fk_status fk__gallery_exec(fk_gallery *g, const char *sql, const char *doing)
{
    if (sqlite3_exec(g->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fk__gallery_sqlfail(g, doing);
    return FK_OK;
}

fk_status fk__gallery_begin(fk_gallery *g)
{
    return fk__gallery_exec(g, "BEGIN IMMEDIATE", "starting a change");
}

fk_status fk__gallery_commit(fk_gallery *g)
{
    fk_status st = fk__gallery_exec(g, "UPDATE meta SET value = value + 1 WHERE key = 'generation'", "counting a change");
    if (st == FK_OK)
        st = fk__gallery_exec(g, "COMMIT", "saving a change");
    if (st != FK_OK)
        fk__gallery_rollback(g);
    return st;
}

void fk__gallery_rollback(fk_gallery *g)
{
    if (!sqlite3_get_autocommit(g->db))
        sqlite3_exec(g->db, "ROLLBACK", NULL, NULL, NULL);
}

long long fk__gallery_int(fk_gallery *g, const char *sql, long long arg)
{
    sqlite3_stmt *q = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(g->db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_bind_parameter_count(q) > 0)
            sqlite3_bind_int64(q, 1, arg);
        if (sqlite3_step(q) == SQLITE_ROW)
            v = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return v;
}

long long fk__gallery_generation(fk_gallery *g)
{
    const long long v = fk__gallery_int(g, "SELECT value FROM meta WHERE key = 'generation'", 0);
    return v < 0 ? 0 : v;
}

fk_status fk__gallery_load_meta(fk_gallery *g)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(g->db, "SELECT key, value FROM meta WHERE key IN ('embedder', 'dim')", -1, &q, NULL) !=
        SQLITE_OK)
        return fk__gallery_sqlfail(g, "reading the gallery's embedder");
    g->embedder[0] = 0;
    g->dim = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(q, 0);
        if (k && strcmp(k, "embedder") == 0) {
            const char *v = (const char *)sqlite3_column_text(q, 1);
            snprintf(g->embedder, sizeof g->embedder, "%s", v ? v : "");
        } else if (k) {
            const long long d = sqlite3_column_int64(q, 1);
            g->dim = d >= 0 && d <= 4096 ? (int)d : -1;
        }
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return fk__gallery_sqlfail(g, "reading the gallery's embedder");
    if (g->dim < 0 || (g->dim == 0) != (g->embedder[0] == 0))
        return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: its embedder record is not valid",
                                g->path);
    return FK_OK;
}

/* Creates the tables of a new file, or migrates an older schema; refuses a file that holds
 * other tables, or a schema newer than this facekit's. */
static fk_status prepare_schema(fk_gallery *g)
{
    fk_status st = fk__gallery_begin(g);
    if (st != FK_OK)
        return st;
    const long long has_meta = fk__gallery_int(g, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", 0);
    const long long tables = fk__gallery_int(g, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", 0);
    if (has_meta < 0 || tables < 0) {
        st = fk__gallery_sqlfail(g, "reading the schema");
        goto out;
    }
    long long version = 0;
    if (has_meta) {
        sqlite3_stmt *q = NULL;
        const char *format = NULL;
        if (sqlite3_prepare_v2(g->db, "SELECT value FROM meta WHERE key = 'format'", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            format = (const char *)sqlite3_column_text(q, 0);
        const bool ours = format && strcmp(format, "facekit-gallery") == 0;
        sqlite3_finalize(q);
        if (!ours) {
            st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: not a facekit gallery (an SQLite database of something else)",
                                  g->path);
            goto out;
        }
        version = fk__gallery_int(g, "SELECT value FROM meta WHERE key = 'schema'", 0);
        if (version < 1) {
            st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: no schema version", g->path);
            goto out;
        }
        if (version > (long long)MIGRATIONS) {
            st = fk__gallery_fail(g, FK_E_UNSUPPORTED,
                                  "%s: the gallery's schema is version %lld, newer than this facekit's (%zu): "
                                  "upgrade facekit",
                                  g->path, version, MIGRATIONS);
            goto out;
        }
    } else if (tables > 0) {
        st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: not a facekit gallery (an SQLite database of something else)",
                              g->path);
        goto out;
    }
    for (long long v = version; v < (long long)MIGRATIONS; v++)
        if ((st = fk__gallery_exec(g, migrations[v], "creating the gallery's tables")) != FK_OK)
            goto out;
    if (version < (long long)MIGRATIONS) {
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta VALUES('schema', %zu)", MIGRATIONS);
        if ((st = fk__gallery_exec(g, sql, "recording the schema version")) != FK_OK)
            goto out;
        return fk__gallery_commit(g);
    }
    return fk__gallery_exec(g, "COMMIT", "reading the schema");
out:
    fk__gallery_rollback(g);
    return st;
}

/* mkdir -p of the folder that will hold path. */
static void make_parent(const char *path)
{
    char *d = strdup(path);
    if (!d)
        return;
    for (char *p = d + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(d, 0755);
            *p = '/';
        }
    free(d);
}

const char *fk_gallery_default_path(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && *xdg == '/')
        snprintf(buf, size, "%s/facekit/gallery.db", xdg);
    else
        snprintf(buf, size, "%s/.local/share/facekit/gallery.db", home && *home ? home : ".");
    return buf;
}

/* Two enrolls creating one gallery at once: a sanitizer CI run saw one fail with "stayed locked"
 * while opening, despite the 30 s busy timeout. SQLite documents that it may answer SQLITE_BUSY
 * without calling the busy handler where waiting could deadlock; which statement failed was not
 * caught, and the WAL switch (the one that needs an exclusive lock) is retried here for as long
 * as the busy timeout. */
static fk_status set_wal(fk_gallery *g)
{
    for (int tries = 0;; tries++) {
        fk_status st = fk__gallery_exec(g, "PRAGMA journal_mode = WAL", "opening");
        if (st == FK_OK || (sqlite3_errcode(g->db) & 0xff) != SQLITE_BUSY || tries >= 3000)
            return st;
        sqlite3_sleep(10);
    }
}

fk_status fk_gallery_open(const char *path, fk_gallery **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_gallery_open: NULL output");
    *out = NULL;
    char def[1024];
    if (!path)
        path = fk_gallery_default_path(def, sizeof def);
    if (!*path)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_gallery_open: empty path");
    struct stat sb;
    const bool pg = fk__gallery_is_pg(path);
    if (!pg && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: not a regular file", path);
    fk_gallery *g = calloc(1, sizeof *g);
    if (!g || !(g->path = strdup(path))) {
        free(g);
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory opening the gallery", path);
    }
    g->ann_kind = -1;
    fk_status st = FK_OK;
    if (pg) {
        if ((st = fk__pg_open(g)) != FK_OK)
            goto fail;
        *out = g;
        return FK_OK;
    }
    make_parent(path);
    if (sqlite3_open_v2(path, &g->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        st = g->db ? fk__gallery_sqlfail(g, "opening") : fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    sqlite3_extended_result_codes(g->db, 1);
    sqlite3_busy_timeout(g->db, 30000);
    /* WAL: readers never block the writer, and a killed writer leaves the last commit intact */
    if ((st = set_wal(g)) != FK_OK ||
        (st = fk__gallery_exec(g, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", "opening")) != FK_OK ||
        (st = prepare_schema(g)) != FK_OK || (st = fk__gallery_load_meta(g)) != FK_OK)
        goto fail;
    *out = g;
    return FK_OK;
fail:
    fk__fail(err, st, "%s", g->msg);
    fk_gallery_close(g);
    return st;
}

void fk_gallery_close(fk_gallery *g)
{
    if (!g)
        return;
    fk_index_free(g->ix);
    fk_ann_free(g->ann);
    if (g->pg)
        PQfinish(g->pg);
    sqlite3_close_v2(g->db);
    free(g->path);
    free(g);
}

const char *fk_gallery_errmsg(const fk_gallery *g)
{
    return g ? g->msg : "no gallery";
}

const char *fk_gallery_path(const fk_gallery *g)
{
    return g->path;
}

const char *fk_gallery_embedder(const fk_gallery *g)
{
    return g->embedder;
}

int fk_gallery_dim(const fk_gallery *g)
{
    return g->dim;
}

bool fk__gallery_name_ok(const char *name)
{
    if (!name)
        return false;
    const size_t n = strlen(name);
    if (n == 0 || n > FK__GALLERY_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F)
            return false;
    return true;
}

fk_status fk__gallery_check_name(fk_gallery *g, const char *name)
{
    if (fk__gallery_name_ok(name))
        return FK_OK;
    return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT,
                            "%s: a person's name must be 1 to %d bytes without control characters", g->path,
                            FK__GALLERY_NAME_MAX);
}

fk_status fk__gallery_check_tag(fk_gallery *g, const char *tag)
{
    if (fk__gallery_name_ok(tag) && !strchr(tag, ','))
        return FK_OK;
    return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT,
                            "%s: a tag must be 1 to %d bytes without commas or control characters", g->path,
                            FK__GALLERY_NAME_MAX);
}

fk_status fk__gallery_check_face(fk_gallery *g, const char *person, const fk_gallery_face_in *f)
{
    const fk_status st = fk__gallery_check_name(g, person);
    return st != FK_OK ? st : fk__gallery_check_descriptor(g, f->embedder, f->descriptor, f->dim);
}

fk_status fk__gallery_check_descriptor(fk_gallery *g, const char *embedder, const float *d, int dim)
{
    if (!embedder || !*embedder || strlen(embedder) >= sizeof g->embedder)
        return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "%s: a descriptor needs its embedder's name", g->path);
    if (!d || dim < 1 || dim > 4096)
        return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "%s: a descriptor of dimension %d", g->path, dim);
    for (int i = 0; i < dim; i++)
        if (!isfinite(d[i]))
            return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "%s: a descriptor with a non-finite value at %d",
                                    g->path, i);
    if (g->embedder[0] && (strcmp(g->embedder, embedder) != 0 || g->dim != dim))
        return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT,
                                "%s: the gallery holds %s descriptors (%d-D); these are %s (%d-D), another space: "
                                "use --embedder %s, or another gallery",
                                g->path, g->embedder, g->dim, embedder, dim, g->embedder);
    return FK_OK;
}

/* The id of a person, creating them when `create`; 0 when absent. */
static fk_status person_id(fk_gallery *g, const char *name, bool create, int64_t *id)
{
    *id = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(g->db, "SELECT id FROM people WHERE name = ?", -1, &q, NULL) != SQLITE_OK)
        return fk__gallery_sqlfail(g, "finding a person");
    sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fk__gallery_sqlfail(g, "finding a person");
    if (*id || !create)
        return FK_OK;
    if (sqlite3_prepare_v2(g->db, "INSERT INTO people(name) VALUES(?)", -1, &q, NULL) != SQLITE_OK)
        return fk__gallery_sqlfail(g, "adding a person");
    sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return fk__gallery_sqlfail(g, "adding a person");
    *id = sqlite3_last_insert_rowid(g->db);
    return FK_OK;
}

fk_status fk__gallery_insert_face(fk_gallery *g, const char *person, const fk_gallery_face_in *f, int64_t *face_id)
{
    fk_status st = fk__gallery_check_face(g, person, f);
    if (st != FK_OK)
        return st;
    if (!g->embedder[0]) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(g->db, "UPDATE meta SET value = CASE key WHEN 'embedder' THEN ?1 ELSE ?2 END "
                                      "WHERE key IN ('embedder', 'dim')",
                               -1, &q, NULL) != SQLITE_OK)
            return fk__gallery_sqlfail(g, "recording the embedder");
        sqlite3_bind_text(q, 1, f->embedder, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(q, 2, f->dim);
        const int rc = sqlite3_step(q);
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE)
            return fk__gallery_sqlfail(g, "recording the embedder");
        snprintf(g->embedder, sizeof g->embedder, "%s", f->embedder);
        g->dim = f->dim;
    }
    int64_t pid;
    if ((st = person_id(g, person, true, &pid)) != FK_OK)
        return st;
    const char *version = f->embedder_version;
    if (!version) {
        const fk_model_info *mi = fk_model_find(f->embedder);
        version = mi ? mi->source : "";
    }
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(g->db,
                           "INSERT INTO faces(person_id, embedder, embedder_version, dim, descriptor, source, box_x, "
                           "box_y, box_w, box_h, thumbnail) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &q, NULL) != SQLITE_OK)
        return fk__gallery_sqlfail(g, "adding a face");
    sqlite3_bind_int64(q, 1, pid);
    sqlite3_bind_text(q, 2, f->embedder, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, version, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(q, 4, f->dim);
    /* little-endian float32, the layout of the x86 and ARM hosts facekit runs on */
    sqlite3_bind_blob(q, 5, f->descriptor, (int)(sizeof(float) * (size_t)f->dim), SQLITE_TRANSIENT);
    if (f->source)
        sqlite3_bind_text(q, 6, f->source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(q, 7, f->box.x);
    sqlite3_bind_double(q, 8, f->box.y);
    sqlite3_bind_double(q, 9, f->box.width);
    sqlite3_bind_double(q, 10, f->box.height);
    if (f->thumbnail && f->thumbnail_size > 0 && f->thumbnail_size < (1u << 24))
        sqlite3_bind_blob(q, 11, f->thumbnail, (int)f->thumbnail_size, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return fk__gallery_sqlfail(g, "adding a face");
    if (face_id)
        *face_id = sqlite3_last_insert_rowid(g->db);
    return FK_OK;
}

fk_status fk_gallery_enroll(fk_gallery *g, const char *person, const fk_gallery_face_in *face, int64_t *face_id)
{
    if (!g || !face)
        return g ? fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "fk_gallery_enroll: NULL face") : FK_E_INVALID_ARGUMENT;
    if (g->pg)
        return fk__pg_enroll(g, person, face, face_id);
    fk_status st = fk__gallery_begin(g);
    if (st != FK_OK)
        return st;
    /* another process may have fixed the embedder since this one opened the file */
    if ((st = fk__gallery_load_meta(g)) != FK_OK || (st = fk__gallery_insert_face(g, person, face, face_id)) != FK_OK) {
        fk__gallery_rollback(g);
        return st;
    }
    return fk__gallery_commit(g);
}

static char *dup_text(sqlite3_stmt *q, int col)
{
    const char *t = (const char *)sqlite3_column_text(q, col);
    return strdup(t ? t : "");
}

fk_status fk_gallery_people(fk_gallery *g, fk_gallery_person **people, size_t *count)
{
    *people = NULL;
    *count = 0;
    if (g->pg)
        return fk__pg_people(g, people, count);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(g->db,
                           "SELECT p.id, p.name, p.created, (SELECT count(*) FROM faces f WHERE f.person_id = p.id), "
                           "(SELECT group_concat(tag, ',') FROM (SELECT tag FROM tags t WHERE t.person_id = p.id "
                           "ORDER BY tag)) FROM people p ORDER BY p.name",
                           -1, &q, NULL) != SQLITE_OK)
        return fk__gallery_sqlfail(g, "listing people");
    fk_gallery_person *v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    fk_status st = FK_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            const size_t nc = cap ? 2 * cap : 16;
            fk_gallery_person *nv = realloc(v, nc * sizeof *v);
            if (!nv) {
                st = fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory listing people", g->path);
                break;
            }
            v = nv;
            cap = nc;
        }
        fk_gallery_person *p = &v[n++];
        p->id = sqlite3_column_int64(q, 0);
        p->name = dup_text(q, 1);
        p->created = dup_text(q, 2);
        p->faces = (size_t)sqlite3_column_int64(q, 3);
        p->tags = dup_text(q, 4);
        if (!p->name || !p->created || !p->tags) {
            st = fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory listing people", g->path);
            break;
        }
    }
    if (st == FK_OK && rc != SQLITE_DONE)
        st = fk__gallery_sqlfail(g, "listing people");
    sqlite3_finalize(q);
    if (st != FK_OK) {
        fk_gallery_people_free(v, n);
        return st;
    }
    *people = v;
    *count = n;
    return FK_OK;
}

void fk_gallery_people_free(fk_gallery_person *people, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(people[i].name);
        free(people[i].tags);
        free(people[i].created);
    }
    free(people);
}

fk_status fk_gallery_faces(fk_gallery *g, const char *person, fk_gallery_face **faces, size_t *count)
{
    *faces = NULL;
    *count = 0;
    if (g->pg)
        return fk__pg_faces(g, person, faces, count);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(g->db,
                           "SELECT f.id, f.person_id, p.name, f.embedder, f.embedder_version, f.source, f.created, "
                           "f.box_x, f.box_y, f.box_w, f.box_h, f.dim, f.descriptor, f.thumbnail FROM faces f "
                           "JOIN people p ON p.id = f.person_id WHERE ?1 IS NULL OR p.name = ?1 ORDER BY f.id",
                           -1, &q, NULL) != SQLITE_OK)
        return fk__gallery_sqlfail(g, "listing faces");
    if (person)
        sqlite3_bind_text(q, 1, person, -1, SQLITE_TRANSIENT);
    fk_gallery_face *v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    fk_status st = FK_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            const size_t nc = cap ? 2 * cap : 64;
            fk_gallery_face *nv = realloc(v, nc * sizeof *v);
            if (!nv) {
                st = fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory listing faces", g->path);
                break;
            }
            v = nv;
            cap = nc;
        }
        fk_gallery_face *f = &v[n++];
        memset(f, 0, sizeof *f);
        f->id = sqlite3_column_int64(q, 0);
        f->person_id = sqlite3_column_int64(q, 1);
        f->person = dup_text(q, 2);
        f->embedder = dup_text(q, 3);
        f->embedder_version = dup_text(q, 4);
        f->source = dup_text(q, 5);
        f->created = dup_text(q, 6);
        f->box = (fk_box){sqlite3_column_double(q, 7), sqlite3_column_double(q, 8), sqlite3_column_double(q, 9),
                          sqlite3_column_double(q, 10)};
        const long long dim = sqlite3_column_int64(q, 11);
        const void *blob = sqlite3_column_blob(q, 12);
        const int bytes = sqlite3_column_bytes(q, 12);
        if (!f->person || !f->embedder || !f->embedder_version || !f->source || !f->created) {
            st = fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory listing faces", g->path);
            break;
        }
        if (dim < 1 || dim > 4096 || !blob || (long long)bytes != 4 * dim) {
            st = fk__gallery_fail(g, FK_E_BAD_FORMAT,
                                  "%s: the gallery is damaged: face %lld's descriptor has %d bytes for %lld values",
                                  g->path, (long long)f->id, bytes, dim);
            break;
        }
        f->dim = (int)dim;
        f->descriptor = malloc((size_t)bytes);
        if (!f->descriptor) {
            st = fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory listing faces", g->path);
            break;
        }
        memcpy(f->descriptor, blob, (size_t)bytes);
        for (int i = 0; i < f->dim; i++)
            if (!isfinite(f->descriptor[i])) {
                st = fk__gallery_fail(g, FK_E_BAD_FORMAT,
                                      "%s: the gallery is damaged: face %lld's descriptor has a non-finite value",
                                      g->path, (long long)f->id);
                break;
            }
        if (st != FK_OK)
            break;
        const int tb = sqlite3_column_bytes(q, 13);
        const void *t = sqlite3_column_blob(q, 13);
        if (t && tb > 0 && (f->thumbnail = malloc((size_t)tb))) {
            memcpy(f->thumbnail, t, (size_t)tb);
            f->thumbnail_size = (size_t)tb;
        }
    }
    if (st == FK_OK && rc != SQLITE_DONE)
        st = fk__gallery_sqlfail(g, "listing faces");
    sqlite3_finalize(q);
    if (st != FK_OK) {
        fk_gallery_faces_free(v, n);
        return st;
    }
    if (person && n == 0) {
        int64_t pid;
        if ((st = person_id(g, person, false, &pid)) != FK_OK)
            return st;
        if (!pid)
            return fk__gallery_fail(g, FK_E_NOT_FOUND, "%s: no person named \"%s\"", g->path, person);
    }
    *faces = v;
    *count = n;
    return FK_OK;
}

void fk_gallery_faces_free(fk_gallery_face *faces, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(faces[i].person);
        free(faces[i].embedder);
        free(faces[i].embedder_version);
        free(faces[i].source);
        free(faces[i].created);
        free(faces[i].descriptor);
        free(faces[i].thumbnail);
    }
    free(faces);
}

/* Runs one statement with up to two text and one integer parameter inside a change; *changed
 * gets sqlite3_changes. */
static fk_status change(fk_gallery *g, const char *sql, const char *a, const char *b, int64_t i, const char *doing,
                        int *changed)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(g->db, sql, -1, &q, NULL) != SQLITE_OK)
        return fk__gallery_sqlfail(g, doing);
    const int np = sqlite3_bind_parameter_count(q);
    if (np >= 1 && a)
        sqlite3_bind_text(q, 1, a, -1, SQLITE_TRANSIENT);
    if (np >= 2 && b)
        sqlite3_bind_text(q, 2, b, -1, SQLITE_TRANSIENT);
    if (np >= 3)
        sqlite3_bind_int64(q, 3, i);
    const int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return fk__gallery_sqlfail(g, doing);
    if (changed)
        *changed = sqlite3_changes(g->db);
    return FK_OK;
}

static fk_status need_person(fk_gallery *g, const char *name, int64_t *id)
{
    fk_status st = person_id(g, name, false, id);
    if (st == FK_OK && !*id)
        st = fk__gallery_fail(g, FK_E_NOT_FOUND, "%s: no person named \"%s\"", g->path, name);
    return st;
}

fk_status fk_gallery_rename(fk_gallery *g, const char *from, const char *to)
{
    fk_status st = fk__gallery_check_name(g, from);
    if (st == FK_OK)
        st = fk__gallery_check_name(g, to);
    if (st != FK_OK)
        return st;
    if (g->pg)
        return fk__pg_change(g, 0, from, to, 0, NULL);
    st = fk__gallery_begin(g);
    if (st != FK_OK)
        return st;
    int64_t a, b;
    if ((st = need_person(g, from, &a)) == FK_OK && (st = person_id(g, to, false, &b)) == FK_OK) {
        if (b && b != a)
            st = fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "%s: \"%s\" already exists: merge the two instead",
                                  g->path, to);
        else
            st = change(g, "UPDATE people SET name = ?2 WHERE name = ?1", from, to, 0, "renaming", NULL);
    }
    if (st != FK_OK) {
        fk__gallery_rollback(g);
        return st;
    }
    return fk__gallery_commit(g);
}

fk_status fk_gallery_merge(fk_gallery *g, const char *from, const char *into)
{
    if (g->pg)
        return fk__pg_change(g, 1, from, into, 0, NULL);
    fk_status st = fk__gallery_begin(g);
    if (st != FK_OK)
        return st;
    int64_t a = 0, b = 0;
    if ((st = need_person(g, from, &a)) == FK_OK && (st = need_person(g, into, &b)) == FK_OK && a == b)
        st = fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "%s: cannot merge \"%s\" into itself", g->path, from);
    if (st == FK_OK) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "UPDATE faces SET person_id = %lld WHERE person_id = %lld;"
                 "INSERT OR IGNORE INTO tags SELECT %lld, tag FROM tags WHERE person_id = %lld;"
                 "DELETE FROM people WHERE id = %lld",
                 (long long)b, (long long)a, (long long)b, (long long)a, (long long)a);
        st = fk__gallery_exec(g, sql, "merging");
    }
    if (st != FK_OK) {
        fk__gallery_rollback(g);
        return st;
    }
    return fk__gallery_commit(g);
}

fk_status fk_gallery_remove_person(fk_gallery *g, const char *person, size_t *faces_removed)
{
    if (g->pg)
        return fk__pg_change(g, 2, person, NULL, 0, faces_removed);
    fk_status st = fk__gallery_begin(g);
    if (st != FK_OK)
        return st;
    int64_t a = 0;
    int n = 0;
    if ((st = need_person(g, person, &a)) == FK_OK &&
        (st = change(g, "DELETE FROM faces WHERE person_id = (SELECT id FROM people WHERE name = ?1)", person, NULL, 0,
                     "removing", &n)) == FK_OK)
        st = change(g, "DELETE FROM people WHERE name = ?1", person, NULL, 0, "removing", NULL);
    if (st != FK_OK) {
        fk__gallery_rollback(g);
        return st;
    }
    if (faces_removed)
        *faces_removed = (size_t)n;
    return fk__gallery_commit(g);
}

fk_status fk_gallery_remove_face(fk_gallery *g, int64_t face_id)
{
    if (g->pg)
        return fk__pg_change(g, 3, NULL, NULL, face_id, NULL);
    fk_status st = fk__gallery_begin(g);
    if (st != FK_OK)
        return st;
    int n = 0;
    st = change(g, "DELETE FROM faces WHERE id = ?3", NULL, NULL, face_id, "removing a face", &n);
    if (st == FK_OK && n == 0)
        st = fk__gallery_fail(g, FK_E_NOT_FOUND, "%s: no face %lld", g->path, (long long)face_id);
    if (st != FK_OK) {
        fk__gallery_rollback(g);
        return st;
    }
    return fk__gallery_commit(g);
}

static fk_status tag_change(fk_gallery *g, const char *person, const char *tag, bool add)
{
    fk_status st = fk__gallery_check_tag(g, tag);
    if (st != FK_OK)
        return st;
    if (g->pg)
        return fk__pg_change(g, add ? 4 : 5, person, tag, 0, NULL);
    if ((st = fk__gallery_begin(g)) != FK_OK)
        return st;
    int64_t a = 0;
    int n = 0;
    if ((st = need_person(g, person, &a)) == FK_OK)
        st = change(g,
                    add ? "INSERT OR IGNORE INTO tags VALUES(?3, ?2)"
                        : "DELETE FROM tags WHERE person_id = ?3 AND tag = ?2",
                    person, tag, a, "tagging", &n);
    if (st == FK_OK && !add && n == 0)
        st = fk__gallery_fail(g, FK_E_NOT_FOUND, "%s: \"%s\" has no tag \"%s\"", g->path, person, tag);
    if (st != FK_OK) {
        fk__gallery_rollback(g);
        return st;
    }
    return fk__gallery_commit(g);
}

fk_status fk_gallery_tag(fk_gallery *g, const char *person, const char *tag)
{
    return tag_change(g, person, tag, true);
}

fk_status fk_gallery_untag(fk_gallery *g, const char *person, const char *tag)
{
    return tag_change(g, person, tag, false);
}

fk_status fk_gallery_get_stats(fk_gallery *g, fk_gallery_stats *s)
{
    memset(s, 0, sizeof *s);
    if (g->pg)
        return fk__pg_stats(g, s);
    fk_status st = fk__gallery_load_meta(g);
    if (st != FK_OK)
        return st;
    const long long p = fk__gallery_int(g, "SELECT count(*) FROM people", 0), f = fk__gallery_int(g, "SELECT count(*) FROM faces", 0),
                    t = fk__gallery_int(g, "SELECT count(*) FROM tags", 0);
    if (p < 0 || f < 0 || t < 0)
        return fk__gallery_sqlfail(g, "counting");
    s->people = (size_t)p;
    s->faces = (size_t)f;
    s->tags = (size_t)t;
    s->generation = fk__gallery_generation(g);
    snprintf(s->embedder, sizeof s->embedder, "%s", g->embedder);
    s->dim = g->dim;
    struct stat sb;
    s->file_bytes = stat(g->path, &sb) == 0 ? (long long)sb.st_size : -1;
    return FK_OK;
}
