/* test_gallery.c: the SQLite gallery: enroll, identify, rename, merge, remove, tags, export and import, another embedder refused, damaged files and imports refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "facekit/ann.h"
#include "facekit/gallery.h"
#include "harness.h"

#define DIM 128

static char dir[256];

static const char *path_in(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

/* Person p's face j: a point near the p-th corner of the cube, a little apart per face. */
static void face_of(int p, int j, float *d)
{
    for (int i = 0; i < DIM; i++)
        d[i] = 0;
    d[p % DIM] = 1.0f;
    d[(p + 1) % DIM] = 0.05f * (float)j;
}

static fk_status enroll(fk_gallery *g, const char *name, int p, int j, const char *embedder)
{
    float d[DIM];
    face_of(p, j, d);
    fk_gallery_face_in in = {.descriptor = d, .dim = DIM, .embedder = embedder, .source = "x.jpg",
                             .box = {1, 2, 3, 4}};
    return fk_gallery_enroll(g, name, &in, NULL);
}

static int who(fk_gallery *g, int p, char *name, float *dist)
{
    float d[DIM];
    face_of(p, 1, d);
    fk_gallery_match m[3];
    size_t n = 0;
    if (fk_gallery_identify(g, "dlib-resnet", d, DIM, 3, m, &n) != FK_OK || n == 0)
        return 0;
    snprintf(name, 208, "%s", m[0].name);
    *dist = m[0].distance;
    return (int)n;
}

static void write_file(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(bytes, 1, n, f) == n);
        fclose(f);
    }
}

static void test_basics(void)
{
    char p[512], e[512];
    fk_error err;
    fk_gallery *g = NULL;
    CHECK_OK(fk_gallery_open(path_in("a/b/g.db", p, sizeof p), &g, &err)); /* folders are made */
    if (!g)
        return;
    CHECK(fk_gallery_dim(g) == 0 && fk_gallery_embedder(g)[0] == 0);
    char name[208];
    float dist = -1;
    CHECK(who(g, 0, name, &dist) == 0); /* an empty gallery knows nobody */
    for (int j = 0; j < 3; j++) {
        CHECK_OK(enroll(g, "Ada", 0, j, "dlib-resnet"));
        CHECK_OK(enroll(g, "Bob", 5, j, "dlib-resnet"));
    }
    CHECK_OK(enroll(g, "Cy", 9, 0, "dlib-resnet"));
    CHECK(fk_gallery_dim(g) == DIM && strcmp(fk_gallery_embedder(g), "dlib-resnet") == 0);

    CHECK(who(g, 5, name, &dist) == 3 && strcmp(name, "Bob") == 0 && dist < 1e-6f);
    /* another embedder: enrolling and querying are refused, naming both */
    CHECK(enroll(g, "Dee", 1, 0, "faceapi-resnet") == FK_E_INVALID_ARGUMENT);
    CHECK(strstr(fk_gallery_errmsg(g), "faceapi-resnet") && strstr(fk_gallery_errmsg(g), "dlib-resnet"));
    float q[DIM] = {0};
    fk_gallery_match m[5];
    size_t n = 9;
    CHECK(fk_gallery_identify(g, "faceapi-resnet", q, DIM, 5, m, &n) == FK_E_INVALID_ARGUMENT && n == 0);
    CHECK(fk_gallery_identify(g, "dlib-resnet", q, 64, 5, m, &n) == FK_E_INVALID_ARGUMENT);
    q[3] = NAN;
    CHECK(fk_gallery_identify(g, "dlib-resnet", q, DIM, 5, m, &n) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_gallery_identify(g, "dlib-resnet", q, DIM, 0, m, &n) == FK_E_INVALID_ARGUMENT);
    CHECK(enroll(g, "", 1, 0, "dlib-resnet") == FK_E_INVALID_ARGUMENT);
    CHECK(enroll(g, "bad\nname", 1, 0, "dlib-resnet") == FK_E_INVALID_ARGUMENT);

    /* people per match: Ada's three faces count once */
    float a[DIM];
    face_of(0, 1, a);
    CHECK_OK(fk_gallery_identify(g, "dlib-resnet", a, DIM, 5, m, &n));
    CHECK(n == 3 && strcmp(m[0].name, "Ada") == 0 && strcmp(m[1].name, "Ada") != 0 &&
          strcmp(m[2].name, m[1].name) != 0);

    /* the float16 and int8 matrices find the same people */
    for (int t = FK_INDEX_F16; t <= FK_INDEX_I8; t++) {
        CHECK_OK(fk_gallery_set_index_type(g, (fk_index_type)t));
        CHECK(who(g, 9, name, &dist) == 3 && strcmp(name, "Cy") == 0);
    }
    CHECK_OK(fk_gallery_set_index_type(g, FK_INDEX_F32));
    /* FAISS's approximate index, where built in: the same people, saved beside the file and
     * rebuilt after a change */
    if (fk_ann_available()) {
        for (int kind = FK_ANN_HNSW; kind <= FK_ANN_IVF; kind++) {
            CHECK_OK(fk_gallery_set_ann(g, kind));
            CHECK(who(g, 9, name, &dist) == 3 && strcmp(name, "Cy") == 0);
            char side[600];
            snprintf(side, sizeof side, "%s.faiss-%s", p, kind == FK_ANN_HNSW ? "hnsw" : "ivf");
            CHECK(access(side, R_OK) == 0);
            CHECK_OK(enroll(g, kind == FK_ANN_HNSW ? "Hana" : "Ivo", 40 + kind, 1, "dlib-resnet"));
            CHECK(who(g, 40 + kind, name, &dist) && strcmp(name, kind == FK_ANN_HNSW ? "Hana" : "Ivo") == 0);
            size_t gone = 0;
            CHECK_OK(fk_gallery_remove_person(g, kind == FK_ANN_HNSW ? "Hana" : "Ivo", &gone));
        }
        CHECK(fk_gallery_set_ann(g, 7) == FK_E_INVALID_ARGUMENT);
        CHECK_OK(fk_gallery_set_ann(g, -1));
    } else {
        CHECK(fk_gallery_set_ann(g, FK_ANN_HNSW) == FK_E_UNSUPPORTED);
    }

    /* a second handle (another process would do the same) sees the change at once */
    fk_gallery *g2 = NULL;
    CHECK_OK(fk_gallery_open(p, &g2, &err));
    if (g2) {
        CHECK(who(g2, 9, name, &dist) && strcmp(name, "Cy") == 0);
        CHECK_OK(fk_gallery_rename(g, "Cy", "Cyrus"));
        CHECK(who(g2, 9, name, &dist) && strcmp(name, "Cyrus") == 0);
        CHECK_OK(enroll(g, "Eve", 20, 0, "dlib-resnet"));
        CHECK(who(g2, 20, name, &dist) && strcmp(name, "Eve") == 0);
        /* the newest face removed and another added: the matrix must not keep the removed one */
        CHECK_OK(enroll(g, "Tmp", 30, 1, "dlib-resnet"));
        CHECK(who(g2, 30, name, &dist) && strcmp(name, "Tmp") == 0 && dist < 1e-6f);
        size_t gone = 0;
        CHECK_OK(fk_gallery_remove_person(g, "Tmp", &gone));
        CHECK_OK(enroll(g, "Eve", 40, 1, "dlib-resnet"));
        CHECK(who(g2, 30, name, &dist) && dist > 0.5f);
        CHECK(who(g2, 40, name, &dist) && strcmp(name, "Eve") == 0 && dist < 1e-6f);
        fk_gallery_close(g2);
    }

    CHECK(fk_gallery_rename(g, "Nobody", "X") == FK_E_NOT_FOUND);
    CHECK(fk_gallery_rename(g, "Ada", "Bob") == FK_E_INVALID_ARGUMENT); /* merge instead */
    CHECK_OK(fk_gallery_tag(g, "Ada", "family"));
    CHECK_OK(fk_gallery_tag(g, "Ada", "friend"));
    CHECK_OK(fk_gallery_tag(g, "Bob", "work"));
    CHECK(fk_gallery_tag(g, "Ada", "a,b") == FK_E_INVALID_ARGUMENT);
    CHECK(fk_gallery_untag(g, "Ada", "none") == FK_E_NOT_FOUND);
    CHECK_OK(fk_gallery_merge(g, "Bob", "Ada"));
    CHECK(fk_gallery_merge(g, "Ada", "Ada") == FK_E_INVALID_ARGUMENT);
    fk_gallery_person *people = NULL;
    size_t np = 0;
    CHECK_OK(fk_gallery_people(g, &people, &np));
    CHECK(np == 3 && strcmp(people[0].name, "Ada") == 0 && people[0].faces == 6 &&
          strcmp(people[0].tags, "family,friend,work") == 0);
    fk_gallery_people_free(people, np);
    CHECK(who(g, 5, name, &dist) && strcmp(name, "Ada") == 0);

    fk_gallery_face *faces = NULL;
    size_t nf = 0;
    CHECK_OK(fk_gallery_faces(g, "Ada", &faces, &nf));
    CHECK(nf == 6);
    const int64_t first = nf ? faces[0].id : 0;
    CHECK(nf && faces[0].dim == DIM && faces[0].descriptor[0] == 1.0f && faces[0].box.width == 3);
    fk_gallery_faces_free(faces, nf);
    CHECK(fk_gallery_faces(g, "Nobody", &faces, &nf) == FK_E_NOT_FOUND);
    CHECK_OK(fk_gallery_remove_face(g, first));
    CHECK(fk_gallery_remove_face(g, first) == FK_E_NOT_FOUND);
    size_t removed = 0;
    CHECK_OK(fk_gallery_remove_person(g, "Eve", &removed));
    CHECK(removed == 2);
    CHECK(fk_gallery_remove_person(g, "Eve", &removed) == FK_E_NOT_FOUND);
    fk_gallery_stats st;
    CHECK_OK(fk_gallery_get_stats(g, &st));
    CHECK(st.people == 2 && st.faces == 6 && st.tags == 3 && st.dim == DIM && st.generation > 10);

    /* export, then import into a new gallery: the same people, faces and answers */
    CHECK_OK(fk_gallery_export(g, path_in("e.json", e, sizeof e)));
    char p2[512];
    fk_gallery *h = NULL;
    CHECK_OK(fk_gallery_open(path_in("h.db", p2, sizeof p2), &h, &err));
    if (h) {
        size_t added = 0;
        CHECK_OK(fk_gallery_import(h, e, &added));
        CHECK(added == 6);
        fk_gallery_stats s2;
        CHECK_OK(fk_gallery_get_stats(h, &s2));
        CHECK(s2.people == 2 && s2.faces == 6 && s2.tags == 3);
        CHECK(who(h, 9, name, &dist) && strcmp(name, "Cyrus") == 0 && fabsf(dist - 0.05f) < 1e-6f);
        /* import into a gallery of another embedder: refused, nothing added */
        fk_gallery *o = NULL;
        char p3[512];
        CHECK_OK(fk_gallery_open(path_in("o.db", p3, sizeof p3), &o, &err));
        if (o) {
            CHECK_OK(enroll(o, "Zed", 1, 0, "faceapi-resnet"));
            CHECK(fk_gallery_import(o, e, &added) == FK_E_INVALID_ARGUMENT && added == 0);
            CHECK_OK(fk_gallery_get_stats(o, &s2));
            CHECK(s2.faces == 1);
            fk_gallery_close(o);
        }
        fk_gallery_close(h);
    }
    fk_gallery_close(g);
}

static void test_bad_imports(void)
{
    char p[512];
    fk_error err;
    fk_gallery *g = NULL;
    CHECK_OK(fk_gallery_open(path_in("imp.db", p, sizeof p), &g, &err));
    if (!g)
        return;
    CHECK_OK(enroll(g, "Ada", 0, 0, "dlib-resnet"));
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"format\":\"other\"}",
        "{\"format\":\"facekit-gallery\",\"version\":2,\"embedder\":\"dlib-resnet\",\"dim\":128,\"people\":[]}",
        "{\"format\":\"facekit-gallery\",\"version\":1,\"embedder\":\"dlib-resnet\",\"dim\":-1,\"people\":[{}]}",
        "{\"format\":\"facekit-gallery\",\"version\":1,\"embedder\":\"dlib-resnet\",\"dim\":128,\"people\":[{\"name\":"
        "\"X\",\"faces\":[{\"descriptor\":[1,2]}]}]}",
        "{\"format\":\"facekit-gallery\",\"version\":1,\"embedder\":\"dlib-resnet\",\"dim\":2,\"people\":[{\"name\":"
        "\"X\",\"faces\":[{\"descriptor\":[1,\"a\"]}]}]}",
        "{\"format\":\"facekit-gallery\",\"version\":1,\"embedder\":\"dlib-resnet\",\"dim\":128,\"people\":[{\"faces\":"
        "[]}]}",
        "{\"format\":\"facekit-gallery\",\"version\":1,\"embedder\":\"dlib-resnet\",\"dim\":2,\"people\":[{\"name\":"
        "\"X\",\"faces\":[{\"descriptor\":[1,1e999]}]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t added = 7;
        const fk_status s = fk_gallery_import_bytes(g, bad[i], strlen(bad[i]), "bad.json", &added);
        CHECK_MSG(s != FK_OK && added == 0 && strstr(fk_gallery_errmsg(g), "bad.json"), "case %zu: %d %s", i, (int)s,
                  fk_gallery_errmsg(g));
    }
    /* a valid face then a bad one: all or nothing */
    char mixed[4096];
    int at = snprintf(mixed, sizeof mixed, "{\"format\":\"facekit-gallery\",\"version\":1,\"embedder\":\"dlib-resnet\","
                                           "\"dim\":128,\"people\":[{\"name\":\"New\",\"faces\":[{\"descriptor\":[");
    for (int i = 0; i < DIM; i++)
        at += snprintf(mixed + at, sizeof mixed - (size_t)at, "%s0.5", i ? "," : "");
    snprintf(mixed + at, sizeof mixed - (size_t)at, "]},{\"descriptor\":[1]}]}]}");
    size_t added = 0;
    CHECK(fk_gallery_import_bytes(g, mixed, strlen(mixed), "mixed.json", &added) == FK_E_BAD_FORMAT && added == 0);
    fk_gallery_stats st;
    CHECK_OK(fk_gallery_get_stats(g, &st));
    CHECK(st.faces == 1 && st.people == 1);
    char missing[512];
    CHECK(fk_gallery_import(g, path_in("nope.json", missing, sizeof missing), &added) == FK_E_NOT_FOUND);
    fk_gallery_close(g);
}

static void test_damaged_files(void)
{
    char p[512];
    fk_error err;
    fk_gallery *g = NULL;
    /* not SQLite at all */
    static const char junk[] = "this is not a database, it is text, long enough to look like one";
    write_file(path_in("junk.db", p, sizeof p), junk, sizeof junk - 1);
    CHECK(fk_gallery_open(p, &g, &err) == FK_E_BAD_FORMAT && !g && strstr(err.message, "junk.db"));
    /* an SQLite database of something else */
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path_in("other.db", p, sizeof p), &db) == SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(fk_gallery_open(p, &g, &err) == FK_E_BAD_FORMAT && !g && strstr(err.message, "something else"));
    /* a gallery from a newer facekit */
    CHECK_OK(fk_gallery_open(path_in("new.db", p, sizeof p), &g, &err));
    fk_gallery_close(g);
    g = NULL;
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    sqlite3_exec(db, "UPDATE meta SET value = 99 WHERE key = 'schema'", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(fk_gallery_open(p, &g, &err) == FK_E_UNSUPPORTED && !g && strstr(err.message, "newer"));
    /* a descriptor blob cut short: listing and identify say so */
    CHECK_OK(fk_gallery_open(path_in("cut.db", p, sizeof p), &g, &err));
    if (g) {
        CHECK_OK(enroll(g, "Ada", 0, 0, "dlib-resnet"));
        CHECK_OK(enroll(g, "Bob", 3, 0, "dlib-resnet"));
        fk_gallery_close(g);
        g = NULL;
    }
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    sqlite3_exec(db, "UPDATE faces SET descriptor = x'00010203' WHERE id = 2", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK_OK(fk_gallery_open(p, &g, &err));
    if (g) {
        float q[DIM] = {1};
        fk_gallery_match m[2];
        size_t n;
        CHECK(fk_gallery_identify(g, "dlib-resnet", q, DIM, 2, m, &n) == FK_E_BAD_FORMAT);
        CHECK(strstr(fk_gallery_errmsg(g), "damaged") && strstr(fk_gallery_errmsg(g), "cut.db"));
        fk_gallery_face *f;
        size_t nf;
        CHECK(fk_gallery_faces(g, NULL, &f, &nf) == FK_E_BAD_FORMAT);
        fk_gallery_close(g);
        g = NULL;
    }
    /* a gallery file cut in half: an error, never a crash */
    CHECK_OK(fk_gallery_open(path_in("half.db", p, sizeof p), &g, &err));
    if (g) {
        for (int i = 0; i < 200; i++)
            CHECK_OK(enroll(g, i % 2 ? "Ada" : "Bob", i % 7, i, "dlib-resnet"));
        fk_gallery_close(g);
        g = NULL;
    }
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(truncate(p, 12288) == 0);
    fk_status s = fk_gallery_open(p, &g, &err);
    if (s == FK_OK) {
        float q[DIM] = {1};
        fk_gallery_match m[2];
        size_t n;
        s = fk_gallery_identify(g, "dlib-resnet", q, DIM, 2, m, &n);
        CHECK_MSG(s == FK_E_BAD_FORMAT, "identify on a cut file: %d %s", (int)s, fk_gallery_errmsg(g));
        fk_gallery_close(g);
    } else {
        CHECK_MSG(s == FK_E_BAD_FORMAT && strstr(err.message, "half.db"), "%s", err.message);
    }
    /* a folder where the file should be */
    CHECK(fk_gallery_open(dir, &g, &err) == FK_E_INVALID_ARGUMENT && !g);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/facekit-gallery-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_basics();
    test_bad_imports();
    test_damaged_files();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return fk_test_finish("gallery");
}
