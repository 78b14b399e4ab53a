/* gallery_pg.c: the gallery on PostgreSQL (libpq), for several processes or machines sharing one: the same tables and operations as the SQLite file, and the matrix kept in step by the change counter. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/models.h"
#include "gallery/gallery_internal.h"

/* Each migration takes the schema from version i to i + 1, as for SQLite. */
static const char *const pg_migrations[] = {
    "CREATE TABLE facekit_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE facekit_people(id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  created TIMESTAMPTZ NOT NULL DEFAULT now());"
    "CREATE TABLE facekit_faces(id BIGSERIAL PRIMARY KEY,"
    "  person_id BIGINT NOT NULL REFERENCES facekit_people(id) ON DELETE CASCADE,"
    "  embedder TEXT NOT NULL, embedder_version TEXT NOT NULL, dim INTEGER NOT NULL,"
    "  descriptor BYTEA NOT NULL, source TEXT, box_x DOUBLE PRECISION, box_y DOUBLE PRECISION,"
    "  box_w DOUBLE PRECISION, box_h DOUBLE PRECISION, thumbnail BYTEA,"
    "  created TIMESTAMPTZ NOT NULL DEFAULT now());"
    "CREATE INDEX facekit_faces_person ON facekit_faces(person_id);"
    "CREATE TABLE facekit_tags(person_id BIGINT NOT NULL REFERENCES facekit_people(id) ON DELETE CASCADE,"
    "  tag TEXT NOT NULL, PRIMARY KEY(person_id, tag));"
    "INSERT INTO facekit_meta VALUES('format', 'facekit-gallery'), ('generation', '0'), ('embedder', ''),"
    "  ('dim', '0');",
};
#define PG_MIGRATIONS (sizeof pg_migrations / sizeof pg_migrations[0])

bool fk__gallery_is_pg(const char *path)
{
    return path && (strncmp(path, "postgresql://", 13) == 0 || strncmp(path, "postgres://", 11) == 0);
}

/* The server's words, on one line. */
static const char *pg_words(const fk_gallery *g)
{
    static _Thread_local char line[400];
    snprintf(line, sizeof line, "%s", PQerrorMessage(g->pg));
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t n = strlen(line);
    while (n && line[n - 1] == ' ')
        line[--n] = 0;
    return line;
}

static fk_status pg_fail(fk_gallery *g, const char *doing, PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    fk_status st = FK_E_IO;
    if (state && strcmp(state, "23505") == 0)
        st = FK_E_INVALID_ARGUMENT; /* unique violation */
    fk__gallery_fail(g, st, "%s: %s: %s", g->path, doing, pg_words(g));
    PQclear(r);
    return st;
}

/* Runs a statement with text parameters; *out keeps the result (PQclear it) when not NULL. */
static fk_status pg_run(fk_gallery *g, const char *doing, PGresult **out, const char *sql, int n,
                        const char *const *params)
{
    PGresult *r = PQexecParams(g->pg, sql, n, NULL, params, NULL, NULL, 0);
    const ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        return pg_fail(g, doing, r);
    if (out)
        *out = r;
    else
        PQclear(r);
    return FK_OK;
}

/* Statements without parameters, several allowed (the migrations). */
static fk_status pg_exec(fk_gallery *g, const char *sql, const char *doing)
{
    PGresult *r = PQexec(g->pg, sql);
    const ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        return pg_fail(g, doing, r);
    PQclear(r);
    return FK_OK;
}

static fk_status pg_begin(fk_gallery *g)
{
    return pg_exec(g, "BEGIN", "starting a change");
}

static fk_status pg_commit(fk_gallery *g)
{
    fk_status st = pg_exec(g, "UPDATE facekit_meta SET value = (value::bigint + 1)::text WHERE key = 'generation'",
                           "counting a change");
    if (st == FK_OK)
        st = pg_exec(g, "COMMIT", "saving a change");
    if (st != FK_OK)
        PQclear(PQexec(g->pg, "ROLLBACK"));
    return st;
}

static fk_status pg_rollback(fk_gallery *g, fk_status st)
{
    PQclear(PQexec(g->pg, "ROLLBACK"));
    return st;
}

static long long pg_int(fk_gallery *g, const char *sql, int n, const char *const *params)
{
    PGresult *r = NULL;
    long long v = -1;
    if (pg_run(g, "reading", &r, sql, n, params) == FK_OK) {
        if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
            v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    return v;
}

static fk_status pg_load_meta(fk_gallery *g)
{
    PGresult *r = NULL;
    fk_status st = pg_run(g, "reading the gallery's embedder", &r,
                          "SELECT key, value FROM facekit_meta WHERE key IN ('embedder', 'dim')", 0, NULL);
    if (st != FK_OK)
        return st;
    g->embedder[0] = 0;
    g->dim = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 0), "embedder") == 0)
            snprintf(g->embedder, sizeof g->embedder, "%s", PQgetvalue(r, i, 1));
        else {
            const long long d = strtoll(PQgetvalue(r, i, 1), NULL, 10);
            g->dim = d >= 0 && d <= 4096 ? (int)d : -1;
        }
    }
    PQclear(r);
    if (g->dim < 0 || (g->dim == 0) != (g->embedder[0] == 0))
        return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: its embedder record is not valid",
                                g->path);
    return FK_OK;
}

long long fk__pg_generation(fk_gallery *g)
{
    const long long v = pg_int(g, "SELECT value::bigint FROM facekit_meta WHERE key = 'generation'", 0, NULL);
    return v < 0 ? 0 : v;
}

fk_status fk__pg_open(fk_gallery *g)
{
    g->pg = PQconnectdb(g->path);
    if (!g->pg)
        return fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory connecting", g->path);
    if (PQstatus(g->pg) != CONNECTION_OK)
        return fk__gallery_fail(g, FK_E_IO, "%s: cannot connect: %s", g->path, pg_words(g));
    PQclear(PQexec(g->pg, "SET client_min_messages = warning"));
    fk_status st = pg_begin(g);
    if (st != FK_OK)
        return st;
    /* two processes creating the tables at once: the second waits for the first */
    if ((st = pg_exec(g, "SELECT pg_advisory_xact_lock(7364523)", "locking the schema")) != FK_OK)
        return pg_rollback(g, st);
    const long long has = pg_int(g, "SELECT count(*) FROM pg_tables WHERE tablename = 'facekit_meta'", 0, NULL);
    long long version = 0;
    if (has < 0)
        return pg_rollback(g, fk__gallery_fail(g, FK_E_IO, "%s: reading the schema: %s", g->path, pg_words(g)));
    if (has) {
        PGresult *r = NULL;
        if ((st = pg_run(g, "reading the schema", &r, "SELECT value FROM facekit_meta WHERE key = 'format'", 0,
                         NULL)) != FK_OK)
            return pg_rollback(g, st);
        const bool ours = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "facekit-gallery") == 0;
        PQclear(r);
        if (!ours)
            return pg_rollback(g, fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: facekit_meta is not a facekit gallery's",
                                                   g->path));
        version = pg_int(g, "SELECT value::bigint FROM facekit_meta WHERE key = 'schema'", 0, NULL);
        if (version < 1)
            return pg_rollback(g, fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: no schema version",
                                                   g->path));
        if (version > (long long)PG_MIGRATIONS)
            return pg_rollback(g, fk__gallery_fail(g, FK_E_UNSUPPORTED,
                                                   "%s: the gallery's schema is version %lld, newer than this "
                                                   "facekit's (%zu): upgrade facekit",
                                                   g->path, version, PG_MIGRATIONS));
    }
    for (long long v = version; v < (long long)PG_MIGRATIONS; v++)
        if ((st = pg_exec(g, pg_migrations[v], "creating the gallery's tables")) != FK_OK)
            return pg_rollback(g, st);
    if (version < (long long)PG_MIGRATIONS) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "INSERT INTO facekit_meta VALUES('schema', '%zu') ON CONFLICT (key) DO UPDATE SET value = '%zu'",
                 PG_MIGRATIONS, PG_MIGRATIONS);
        if ((st = pg_exec(g, sql, "recording the schema version")) != FK_OK)
            return pg_rollback(g, st);
    }
    if ((st = pg_exec(g, "COMMIT", "creating the gallery's tables")) != FK_OK)
        return st;
    return pg_load_meta(g);
}

static fk_status pg_person(fk_gallery *g, const char *name, bool create, long long *id)
{
    const char *p[1] = {name};
    *id = pg_int(g, "SELECT id FROM facekit_people WHERE name = $1", 1, p);
    if (*id > 0 || !create) {
        if (*id < 0)
            *id = 0;
        return FK_OK;
    }
    *id = pg_int(g, "INSERT INTO facekit_people(name) VALUES($1) RETURNING id", 1, p);
    if (*id <= 0)
        return fk__gallery_fail(g, FK_E_IO, "%s: adding a person: %s", g->path, pg_words(g));
    return FK_OK;
}

/* One face, inside the caller's transaction (which holds the meta row locked). */
static fk_status pg_insert_face(fk_gallery *g, const char *person, const fk_gallery_face_in *f, int64_t *face_id)
{
    fk_status st = fk__gallery_check_face(g, person, f);
    if (st != FK_OK)
        return st;
    char dim[16];
    snprintf(dim, sizeof dim, "%d", f->dim);
    if (!g->embedder[0]) {
        const char *p[2] = {f->embedder, dim};
        if ((st = pg_run(g, "recording the embedder", NULL,
                         "UPDATE facekit_meta SET value = CASE key WHEN 'embedder' THEN $1 ELSE $2 END "
                         "WHERE key IN ('embedder', 'dim')",
                         2, p)) != FK_OK)
            return st;
        snprintf(g->embedder, sizeof g->embedder, "%s", f->embedder);
        g->dim = f->dim;
    }
    long long pid = 0;
    if ((st = pg_person(g, person, true, &pid)) != FK_OK)
        return st;
    const char *version = f->embedder_version;
    if (!version) {
        const fk_model_info *mi = fk_model_find(f->embedder);
        version = mi ? mi->source : "";
    }
    char spid[32], bx[4][40];
    snprintf(spid, sizeof spid, "%lld", pid);
    const double b[4] = {f->box.x, f->box.y, f->box.width, f->box.height};
    for (int i = 0; i < 4; i++)
        snprintf(bx[i], sizeof bx[i], "%.17g", b[i]);
    const char *vals[11] = {spid, f->embedder, version, dim, (const char *)f->descriptor, f->source,
                            bx[0], bx[1], bx[2], bx[3], (const char *)f->thumbnail};
    int lens[11] = {0}, fmts[11] = {0};
    lens[4] = (int)(sizeof(float) * (size_t)f->dim);
    fmts[4] = 1;
    if (f->thumbnail && f->thumbnail_size > 0 && f->thumbnail_size < (1u << 24)) {
        lens[10] = (int)f->thumbnail_size;
        fmts[10] = 1;
    } else {
        vals[10] = NULL;
    }
    PGresult *r = PQexecParams(g->pg,
                               "INSERT INTO facekit_faces(person_id, embedder, embedder_version, dim, descriptor, "
                               "source, box_x, box_y, box_w, box_h, thumbnail) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,"
                               "$11) RETURNING id",
                               11, NULL, vals, lens, fmts, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(g, "adding a face", r);
    if (face_id)
        *face_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return FK_OK;
}

/* BEGIN with the meta row locked: writers that may fix the embedder go one at a time. */
static fk_status pg_begin_locked(fk_gallery *g)
{
    fk_status st = pg_begin(g);
    if (st != FK_OK)
        return st;
    if ((st = pg_exec(g, "SELECT value FROM facekit_meta WHERE key = 'embedder' FOR UPDATE", "locking")) != FK_OK ||
        (st = pg_load_meta(g)) != FK_OK)
        return pg_rollback(g, st);
    return FK_OK;
}

fk_status fk__pg_enroll(fk_gallery *g, const char *person, const fk_gallery_face_in *f, int64_t *face_id)
{
    fk_status st = pg_begin_locked(g);
    if (st != FK_OK)
        return st;
    if ((st = pg_insert_face(g, person, f, face_id)) != FK_OK) {
        pg_rollback(g, st);
        pg_load_meta(g); /* the embedder the rollback undid */
        return st;
    }
    return pg_commit(g);
}

fk_status fk__pg_import(fk_gallery *g, fk_gallery *from, const char *name, size_t *added)
{
    fk_gallery_face *faces = NULL;
    fk_gallery_person *people = NULL;
    size_t nf = 0, np = 0;
    fk_status st = fk_gallery_faces(from, NULL, &faces, &nf);
    if (st == FK_OK)
        st = fk_gallery_people(from, &people, &np);
    if (st != FK_OK) {
        fk_gallery_faces_free(faces, nf);
        return fk__gallery_fail(g, st, "%s: %s", name, fk_gallery_errmsg(from));
    }
    if ((st = pg_begin_locked(g)) != FK_OK)
        goto out;
    /* all in one transaction: a refused face (another embedder) leaves the server as it was */
    for (size_t i = 0; i < nf && st == FK_OK; i++) {
        const fk_gallery_face *f = &faces[i];
        fk_gallery_face_in in = {.descriptor = f->descriptor, .dim = f->dim, .embedder = f->embedder,
                                 .embedder_version = f->embedder_version, .source = f->source, .box = f->box,
                                 .thumbnail = f->thumbnail, .thumbnail_size = f->thumbnail_size};
        st = pg_insert_face(g, f->person, &in, NULL);
    }
    for (size_t i = 0; i < np && st == FK_OK; i++)
        for (char *t = people[i].tags, *e; st == FK_OK && t && *t; t = *e ? e + 1 : e) {
            e = strchr(t, ',');
            if (!e)
                e = t + strlen(t);
            char tag[256];
            snprintf(tag, sizeof tag, "%.*s", (int)(e - t), t);
            const char *p[2] = {people[i].name, tag};
            st = pg_run(g, "importing tags", NULL,
                        "INSERT INTO facekit_tags SELECT id, $2 FROM facekit_people WHERE name = $1 "
                        "ON CONFLICT DO NOTHING",
                        2, p);
        }
    if (st != FK_OK) {
        pg_rollback(g, st);
        pg_load_meta(g);
    } else if ((st = pg_commit(g)) == FK_OK && added) {
        *added = nf;
    }
out:
    fk_gallery_faces_free(faces, nf);
    fk_gallery_people_free(people, np);
    return st;
}

static char *dup_value(PGresult *r, int row, int col)
{
    return strdup(PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

fk_status fk__pg_people(fk_gallery *g, fk_gallery_person **people, size_t *count)
{
    PGresult *r = NULL;
    fk_status st = pg_run(g, "listing people", &r,
                          "SELECT p.id, p.name, to_char(p.created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                          " (SELECT count(*) FROM facekit_faces f WHERE f.person_id = p.id),"
                          " (SELECT string_agg(tag, ',' ORDER BY tag) FROM facekit_tags t WHERE t.person_id = p.id)"
                          " FROM facekit_people p ORDER BY p.name COLLATE \"C\"",
                          0, NULL);
    if (st != FK_OK)
        return st;
    const int n = PQntuples(r);
    fk_gallery_person *v = calloc(n ? (size_t)n : 1, sizeof *v);
    for (int i = 0; v && i < n; i++) {
        v[i].id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        v[i].name = dup_value(r, i, 1);
        v[i].created = dup_value(r, i, 2);
        v[i].faces = (size_t)strtoull(PQgetvalue(r, i, 3), NULL, 10);
        v[i].tags = dup_value(r, i, 4);
    }
    PQclear(r);
    if (!v)
        return fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory listing people", g->path);
    *people = v;
    *count = (size_t)n;
    return FK_OK;
}

/* A bytea column in text form ("\x0a1b...") as bytes. */
static unsigned char *bytea_of(PGresult *r, int row, int col, size_t *n)
{
    *n = 0;
    if (PQgetisnull(r, row, col))
        return NULL;
    return PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), n);
}

fk_status fk__pg_faces(fk_gallery *g, const char *person, fk_gallery_face **faces, size_t *count)
{
    const char *p[1] = {person};
    PGresult *r = NULL;
    fk_status st = pg_run(g, "listing faces", &r,
                          "SELECT f.id, f.person_id, p.name, f.embedder, f.embedder_version, f.source,"
                          " to_char(f.created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), f.box_x, f.box_y,"
                          " f.box_w, f.box_h, f.dim, f.descriptor, f.thumbnail FROM facekit_faces f"
                          " JOIN facekit_people p ON p.id = f.person_id WHERE $1::text IS NULL OR p.name = $1"
                          " ORDER BY f.id",
                          1, p);
    if (st != FK_OK)
        return st;
    const int n = PQntuples(r);
    fk_gallery_face *v = calloc(n ? (size_t)n : 1, sizeof *v);
    if (!v) {
        PQclear(r);
        return fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory listing faces", g->path);
    }
    int i = 0;
    for (; i < n && st == FK_OK; i++) {
        fk_gallery_face *f = &v[i];
        f->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        f->person_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        f->person = dup_value(r, i, 2);
        f->embedder = dup_value(r, i, 3);
        f->embedder_version = dup_value(r, i, 4);
        f->source = dup_value(r, i, 5);
        f->created = dup_value(r, i, 6);
        f->box = (fk_box){atof(PQgetvalue(r, i, 7)), atof(PQgetvalue(r, i, 8)), atof(PQgetvalue(r, i, 9)),
                          atof(PQgetvalue(r, i, 10))};
        const long long dim = strtoll(PQgetvalue(r, i, 11), NULL, 10);
        size_t bytes = 0;
        unsigned char *d = bytea_of(r, i, 12, &bytes);
        if (dim < 1 || dim > 4096 || !d || bytes != 4 * (size_t)dim) {
            PQfreemem(d);
            st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: face %lld's descriptor has %zu bytes",
                                  g->path, (long long)f->id, bytes);
            break;
        }
        f->dim = (int)dim;
        f->descriptor = malloc(bytes);
        if (f->descriptor)
            memcpy(f->descriptor, d, bytes);
        PQfreemem(d);
        size_t tb = 0;
        unsigned char *t = bytea_of(r, i, 13, &tb);
        if (t && tb && (f->thumbnail = malloc(tb))) {
            memcpy(f->thumbnail, t, tb);
            f->thumbnail_size = tb;
        }
        PQfreemem(t);
        if (!f->person || !f->embedder || !f->embedder_version || !f->source || !f->created || !f->descriptor)
            st = fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory listing faces", g->path);
        for (int k = 0; st == FK_OK && k < f->dim; k++)
            if (!isfinite(f->descriptor[k]))
                st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: face %lld's descriptor has a "
                                      "non-finite value", g->path, (long long)f->id);
    }
    PQclear(r);
    if (st != FK_OK) {
        fk_gallery_faces_free(v, (size_t)(i < n ? i + 1 : n));
        return st;
    }
    if (person && n == 0) {
        long long pid = 0;
        if ((st = pg_person(g, person, false, &pid)) != FK_OK) {
            free(v);
            return st;
        }
        if (!pid) {
            free(v);
            return fk__gallery_fail(g, FK_E_NOT_FOUND, "%s: no person named \"%s\"", g->path, person);
        }
    }
    *faces = v;
    *count = (size_t)n;
    return FK_OK;
}

static fk_status need(fk_gallery *g, const char *name, long long *id)
{
    fk_status st = pg_person(g, name, false, id);
    if (st == FK_OK && !*id)
        st = fk__gallery_fail(g, FK_E_NOT_FOUND, "%s: no person named \"%s\"", g->path, name);
    return st;
}

fk_status fk__pg_change(fk_gallery *g, int what, const char *a, const char *b, int64_t face, size_t *removed)
{
    fk_status st = pg_begin(g);
    if (st != FK_OK)
        return st;
    long long x = 0, y = 0;
    char sx[32], sy[32], sf[32];
    PGresult *r = NULL;
    switch (what) {
    case 0: /* rename a to b */
        if ((st = need(g, a, &x)) == FK_OK && (st = pg_person(g, b, false, &y)) == FK_OK) {
            const char *p[2] = {a, b};
            st = y && y != x ? fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "%s: \"%s\" already exists: merge the two "
                                                "instead", g->path, b)
                             : pg_run(g, "renaming", NULL, "UPDATE facekit_people SET name = $2 WHERE name = $1", 2, p);
        }
        break;
    case 1: /* merge a into b */
        if ((st = need(g, a, &x)) == FK_OK && (st = need(g, b, &y)) == FK_OK) {
            snprintf(sx, sizeof sx, "%lld", x);
            snprintf(sy, sizeof sy, "%lld", y);
            const char *p[2] = {sx, sy};
            if (x == y)
                st = fk__gallery_fail(g, FK_E_INVALID_ARGUMENT, "%s: cannot merge \"%s\" into itself", g->path, a);
            else if ((st = pg_run(g, "merging", NULL, "UPDATE facekit_faces SET person_id = $2 WHERE person_id = $1", 2,
                                  p)) == FK_OK &&
                     (st = pg_run(g, "merging", NULL,
                                  "INSERT INTO facekit_tags SELECT $2::bigint, tag FROM facekit_tags WHERE person_id = "
                                  "$1::bigint ON CONFLICT DO NOTHING",
                                  2, p)) == FK_OK)
                st = pg_run(g, "merging", NULL, "DELETE FROM facekit_people WHERE id = $1", 1, p);
        }
        break;
    case 2: /* remove person a */
        if ((st = need(g, a, &x)) == FK_OK) {
            snprintf(sx, sizeof sx, "%lld", x);
            const char *p[1] = {sx};
            if ((st = pg_run(g, "removing", &r, "DELETE FROM facekit_faces WHERE person_id = $1", 1, p)) == FK_OK) {
                if (removed)
                    *removed = (size_t)strtoull(PQcmdTuples(r), NULL, 10);
                PQclear(r);
                st = pg_run(g, "removing", NULL, "DELETE FROM facekit_people WHERE id = $1", 1, p);
            }
        }
        break;
    case 3: /* remove face */
        snprintf(sf, sizeof sf, "%lld", (long long)face);
        {
            const char *p[1] = {sf};
            if ((st = pg_run(g, "removing a face", &r, "DELETE FROM facekit_faces WHERE id = $1", 1, p)) == FK_OK) {
                const bool none = strcmp(PQcmdTuples(r), "0") == 0;
                PQclear(r);
                if (none)
                    st = fk__gallery_fail(g, FK_E_NOT_FOUND, "%s: no face %lld", g->path, (long long)face);
            }
        }
        break;
    default: /* 4: tag a with b, 5: untag (the tag checked by the caller) */
        if ((st = need(g, a, &x)) == FK_OK) {
            snprintf(sx, sizeof sx, "%lld", x);
            const char *p[2] = {sx, b};
            if (what == 4)
                st = pg_run(g, "tagging", NULL, "INSERT INTO facekit_tags VALUES($1, $2) ON CONFLICT DO NOTHING", 2, p);
            else if ((st = pg_run(g, "tagging", &r, "DELETE FROM facekit_tags WHERE person_id = $1 AND tag = $2", 2,
                                  p)) == FK_OK) {
                const bool none = strcmp(PQcmdTuples(r), "0") == 0;
                PQclear(r);
                if (none)
                    st = fk__gallery_fail(g, FK_E_NOT_FOUND, "%s: \"%s\" has no tag \"%s\"", g->path, a, b);
            }
        }
        break;
    }
    if (st != FK_OK)
        return pg_rollback(g, st);
    return pg_commit(g);
}

fk_status fk__pg_stats(fk_gallery *g, fk_gallery_stats *s)
{
    fk_status st = pg_load_meta(g);
    if (st != FK_OK)
        return st;
    const long long p = pg_int(g, "SELECT count(*) FROM facekit_people", 0, NULL),
                    f = pg_int(g, "SELECT count(*) FROM facekit_faces", 0, NULL),
                    t = pg_int(g, "SELECT count(*) FROM facekit_tags", 0, NULL);
    if (p < 0 || f < 0 || t < 0)
        return fk__gallery_fail(g, FK_E_IO, "%s: counting: %s", g->path, pg_words(g));
    s->people = (size_t)p;
    s->faces = (size_t)f;
    s->tags = (size_t)t;
    s->generation = fk__pg_generation(g);
    snprintf(s->embedder, sizeof s->embedder, "%s", g->embedder);
    s->dim = g->dim;
    s->file_bytes = pg_int(g, "SELECT pg_total_relation_size('facekit_faces')", 0, NULL);
    return FK_OK;
}

/* The matrix in step with the server: new faces appended, a rebuild after a removal. */
static fk_status pg_refresh(fk_gallery *g, long long generation)
{
    fk_error e;
    char after[32];
    bool append = g->ix_valid && g->ix && fk_index_dim(g->ix) == g->dim;
    if (append) {
        snprintf(after, sizeof after, "%lld", g->ix_max_id);
        const char *p[1] = {after};
        const long long total = pg_int(g, "SELECT count(*) FROM facekit_faces", 0, NULL),
                        fresh = pg_int(g, "SELECT count(*) FROM facekit_faces WHERE id > $1", 1, p);
        append = total >= 0 && fresh >= 0 && (size_t)(total - fresh) == fk_index_size(g->ix);
    }
    if (!append) {
        fk_index_free(g->ix);
        g->ix = NULL;
        g->ix_max_id = 0;
        if (fk_index_new(g->dim, g->ix_type, &g->ix, &e) != FK_OK)
            return fk__gallery_fail(g, e.status, "%s: %s", g->path, e.message);
    }
    g->ix_valid = false;
    snprintf(after, sizeof after, "%lld", g->ix_max_id);
    const char *p[1] = {after};
    PGresult *r = NULL;
    fk_status st = pg_run(g, "loading the faces", &r,
                          "SELECT id, dim, descriptor FROM facekit_faces WHERE id > $1 ORDER BY id", 1, p);
    if (st != FK_OK)
        return st;
    for (int i = 0; i < PQntuples(r) && st == FK_OK; i++) {
        const int64_t id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        size_t bytes = 0;
        unsigned char *d = bytea_of(r, i, 2, &bytes);
        if (!d || bytes != 4 * (size_t)g->dim || strtoll(PQgetvalue(r, i, 1), NULL, 10) != g->dim)
            st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: face %lld's descriptor", g->path,
                                  (long long)id);
        else if (fk_index_add(g->ix, (const float *)(const void *)d, 1, &id, &e) != FK_OK)
            st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: the gallery is damaged: %s", g->path, e.message);
        else if (id > g->ix_max_id)
            g->ix_max_id = id;
        PQfreemem(d);
    }
    PQclear(r);
    if (st == FK_OK) {
        g->ix_generation = generation;
        g->ix_valid = true;
    }
    return st;
}

fk_status fk__pg_identify(fk_gallery *g, const char *embedder, const float *query, int dim, int k,
                          fk_gallery_match *m, size_t *count)
{
    /* one snapshot for the counter, the rows and the names */
    fk_status st = pg_exec(g, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "identifying");
    if (st != FK_OK)
        return st;
    if ((st = pg_load_meta(g)) != FK_OK)
        return pg_rollback(g, st);
    if (!g->embedder[0])
        return pg_rollback(g, FK_OK);
    if ((st = fk__gallery_check_descriptor(g, embedder, query, dim)) != FK_OK)
        return pg_rollback(g, st);
    const long long gen = fk__pg_generation(g);
    if (!g->ix_valid || gen != g->ix_generation || !g->ix)
        if ((st = pg_refresh(g, gen)) != FK_OK)
            return pg_rollback(g, st);
    const size_t rows = fk_index_size(g->ix);
    size_t want = (size_t)k * 4 < 64 ? 64 : (size_t)k * 4;
    for (;;) {
        if (want > rows)
            want = rows;
        if (want == 0)
            break;
        if (want > 1000)
            want = 1000;
        fk_index_hit hits[1000];
        size_t got = 0;
        fk_error e;
        if (fk_index_search(g->ix, query, (int)want, hits, &got, &e) != FK_OK)
            return pg_rollback(g, fk__gallery_fail(g, e.status, "%s: %s", g->path, e.message));
        size_t n = 0;
        for (size_t i = 0; i < got && n < (size_t)k; i++) {
            char sid[32];
            snprintf(sid, sizeof sid, "%lld", (long long)hits[i].id);
            const char *p[1] = {sid};
            PGresult *r = NULL;
            if ((st = pg_run(g, "finding the people", &r,
                             "SELECT p.id, p.name FROM facekit_faces f JOIN facekit_people p ON p.id = f.person_id "
                             "WHERE f.id = $1",
                             1, p)) != FK_OK)
                return pg_rollback(g, st);
            if (PQntuples(r) == 1) {
                const int64_t pid = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
                n = fk__gallery_add_match(m, n, pid, &hits[i], PQgetvalue(r, 0, 1));
            }
            PQclear(r);
        }
        *count = n;
        if (n == (size_t)k || got < want || want >= rows || want >= 1000)
            break;
        want *= 4;
    }
    return pg_rollback(g, FK_OK); /* read only: nothing to keep */
}
