/* gallery_json.c: a gallery's export and import as JSON (people, tags, faces with their descriptors, boxes and base64 thumbnails). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "gallery/gallery_internal.h"

#define FK__IMPORT_MAX ((size_t)1 << 30) /* 1 GiB: about 1.5 million 128-D faces with thumbnails */

static int by_person(const void *a, const void *b)
{
    const fk_gallery_face *x = a, *y = b;
    if (x->person_id != y->person_id)
        return x->person_id < y->person_id ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The first face of person id in faces sorted by_person. */
static size_t first_face(const fk_gallery_face *faces, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (faces[mid].person_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

fk_status fk_gallery_export(fk_gallery *g, const char *path)
{
    fk_gallery_person *people = NULL;
    fk_gallery_face *faces = NULL;
    size_t np = 0, nf = 0;
    /* a file's export is one snapshot; a server's reads people, then faces */
    fk_status st = g->pg ? FK_OK : fk__gallery_exec(g, "BEGIN", "exporting");
    if (st != FK_OK)
        return st;
    fk_gallery_stats meta;
    if ((st = g->pg ? fk_gallery_get_stats(g, &meta) : fk__gallery_load_meta(g)) != FK_OK ||
        (st = fk_gallery_people(g, &people, &np)) != FK_OK || (st = fk_gallery_faces(g, NULL, &faces, &nf)) != FK_OK) {
        if (!g->pg)
            sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL);
        fk_gallery_people_free(people, np);
        return st;
    }
    if (!g->pg)
        sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL);
    if (nf > 1)
        qsort(faces, nf, sizeof *faces, by_person);
    cJSON *root = cJSON_CreateObject(), *jp = cJSON_CreateArray();
    bool ok = root && jp;
    cJSON_AddStringToObject(root, "format", "facekit-gallery");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "embedder", g->embedder);
    cJSON_AddNumberToObject(root, "dim", g->dim);
    cJSON_AddItemToObject(root, "people", jp);
    for (size_t i = 0; ok && i < np; i++) {
        cJSON *p = cJSON_CreateObject(), *tags = cJSON_CreateArray(), *jf = cJSON_CreateArray();
        ok = p && tags && jf;
        if (!ok) {
            cJSON_Delete(p);
            cJSON_Delete(tags);
            cJSON_Delete(jf);
            break;
        }
        cJSON_AddItemToArray(jp, p);
        cJSON_AddStringToObject(p, "name", people[i].name);
        cJSON_AddStringToObject(p, "created", people[i].created);
        for (char *t = people[i].tags, *e; t && *t; t = *e ? e + 1 : e) {
            e = strchr(t, ',');
            if (!e)
                e = t + strlen(t);
            char *tag = strndup(t, (size_t)(e - t));
            if (tag)
                cJSON_AddItemToArray(tags, cJSON_CreateString(tag));
            free(tag);
        }
        cJSON_AddItemToObject(p, "tags", tags);
        cJSON_AddItemToObject(p, "faces", jf);
        for (size_t j = first_face(faces, nf, people[i].id); ok && j < nf && faces[j].person_id == people[i].id; j++) {
            const fk_gallery_face *f = &faces[j];
            cJSON *o = cJSON_CreateObject(), *d = cJSON_CreateArray(), *box = cJSON_CreateArray();
            ok = o && d && box;
            if (!ok) {
                cJSON_Delete(o);
                cJSON_Delete(d);
                cJSON_Delete(box);
                break;
            }
            cJSON_AddItemToArray(jf, o);
            cJSON_AddNumberToObject(o, "id", (double)f->id);
            cJSON_AddStringToObject(o, "embedder_version", f->embedder_version);
            cJSON_AddStringToObject(o, "source", f->source);
            cJSON_AddStringToObject(o, "created", f->created);
            const double bx[4] = {f->box.x, f->box.y, f->box.width, f->box.height};
            for (int k = 0; k < 4; k++)
                cJSON_AddItemToArray(box, cJSON_CreateNumber(bx[k]));
            cJSON_AddItemToObject(o, "box", box);
            /* %.9g round-trips a float exactly */
            for (int k = 0; k < f->dim; k++) {
                char num[32];
                snprintf(num, sizeof num, "%.9g", (double)f->descriptor[k]);
                cJSON_AddItemToArray(d, cJSON_CreateRaw(num));
            }
            cJSON_AddItemToObject(o, "descriptor", d);
            if (f->thumbnail_size) {
                char *t = fk__base64_encode(f->thumbnail, f->thumbnail_size);
                if (t)
                    cJSON_AddStringToObject(o, "thumbnail_jpeg", t);
                free(t);
            }
        }
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    fk_gallery_people_free(people, np);
    fk_gallery_faces_free(faces, nf);
    if (!text)
        return fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory exporting", g->path);
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(text);
        return fk__gallery_fail(g, FK_E_IO, "%s: cannot create the export file", path);
    }
    const size_t len = strlen(text);
    const bool bad = fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF;
    free(text);
    if (fclose(f) != 0 || bad) {
        remove(path);
        return fk__gallery_fail(g, FK_E_IO, "%s: write failed (disk full or I/O error)", path);
    }
    return FK_OK;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Checks and adds one face of `person` (inside the import's transaction). */
static fk_status import_face(fk_gallery *g, const char *name, const char *person, const char *embedder, int dim,
                             const cJSON *jf, size_t pi, size_t fi, float *vec)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(jf, "descriptor");
    if (!cJSON_IsObject(jf) || !cJSON_IsArray(d) || cJSON_GetArraySize(d) != dim)
        return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: person %zu face %zu: \"descriptor\" must be %d numbers", name,
                                pi, fi, dim);
    int k = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, d)
    {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > 3.0e38)
            return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: person %zu face %zu: descriptor value %d is not a finite "
                                    "float", name, pi, fi, k);
        vec[k++] = (float)v->valuedouble;
    }
    fk_gallery_face_in in = {.descriptor = vec, .dim = dim, .embedder = embedder};
    in.embedder_version = str_of(jf, "embedder_version");
    in.source = str_of(jf, "source");
    const cJSON *box = cJSON_GetObjectItemCaseSensitive(jf, "box");
    if (box) {
        double b[4];
        if (!cJSON_IsArray(box) || cJSON_GetArraySize(box) != 4)
            return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: person %zu face %zu: \"box\" must be 4 numbers", name, pi,
                                    fi);
        k = 0;
        cJSON_ArrayForEach(v, box)
        {
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
                return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: person %zu face %zu: \"box\" must be 4 numbers", name,
                                        pi, fi);
            b[k++] = v->valuedouble;
        }
        in.box = (fk_box){b[0], b[1], b[2], b[3]};
    }
    unsigned char *thumb = NULL;
    const char *t64 = str_of(jf, "thumbnail_jpeg");
    if (t64) {
        size_t n = 0;
        if (!(thumb = fk__base64_decode(t64, &n)))
            return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: person %zu face %zu: \"thumbnail_jpeg\" is not base64",
                                    name, pi, fi);
        in.thumbnail = thumb;
        in.thumbnail_size = n;
    }
    fk_status st = fk__gallery_insert_face(g, person, &in, NULL);
    free(thumb);
    return st;
}

static fk_status import_tree(fk_gallery *g, const cJSON *root, const char *name, const char *only, const char *as,
                             size_t *added)
{
    const char *format = str_of(root, "format"), *embedder = str_of(root, "embedder");
    const cJSON *jdim = cJSON_GetObjectItemCaseSensitive(root, "dim"),
                *ver = cJSON_GetObjectItemCaseSensitive(root, "version"),
                *people = cJSON_GetObjectItemCaseSensitive(root, "people");
    if (!cJSON_IsObject(root) || !format || strcmp(format, "facekit-gallery") != 0)
        return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: not a facekit gallery export (no \"format\": "
                                "\"facekit-gallery\")", name);
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1)
        return fk__gallery_fail(g, FK_E_UNSUPPORTED, "%s: export version %g is not 1", name,
                                cJSON_IsNumber(ver) ? ver->valuedouble : -1.0);
    if (!embedder || !cJSON_IsNumber(jdim) || !cJSON_IsArray(people))
        return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: \"embedder\", \"dim\" and \"people\" are required", name);
    const double dd = jdim->valuedouble;
    const bool empty = cJSON_GetArraySize(people) == 0;
    if (!(dd >= (empty ? 0 : 1) && dd <= 4096 && dd == floor(dd)))
        return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: \"dim\" %g is not in 1..4096", name, dd);
    const int dim = (int)dd;
    if (empty)
        return FK_OK;
    if (g->embedder[0] && (strcmp(g->embedder, embedder) != 0 || g->dim != dim))
        return fk__gallery_fail(g, FK_E_INVALID_ARGUMENT,
                                "%s: the export holds %s descriptors (%d-D), the gallery %s holds %s (%d-D): another "
                                "space",
                                name, embedder, dim, g->path, g->embedder, g->dim);
    float *vec = malloc(sizeof(float) * (size_t)dim);
    if (!vec)
        return fk__gallery_fail(g, FK_E_NO_MEMORY, "%s: out of memory importing", name);
    fk_status st = FK_OK;
    size_t pi = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, people)
    {
        const char *person = str_of(p, "name");
        const cJSON *faces = cJSON_GetObjectItemCaseSensitive(p, "faces"),
                    *tags = cJSON_GetObjectItemCaseSensitive(p, "tags");
        if (!cJSON_IsObject(p) || !person || !fk__gallery_name_ok(person) || !cJSON_IsArray(faces) ||
            (tags && !cJSON_IsArray(tags))) {
            st = fk__gallery_fail(g, FK_E_BAD_FORMAT,
                                  "%s: person %zu needs a \"name\" (1 to %d bytes) and a \"faces\" array", name, pi,
                                  FK__GALLERY_NAME_MAX);
            break;
        }
        if (only && strcmp(person, only) != 0) {
            pi++;
            continue;
        }
        if (as)
            person = as;
        size_t fi = 0;
        const cJSON *jf;
        cJSON_ArrayForEach(jf, faces)
        {
            if ((st = import_face(g, name, person, embedder, dim, jf, pi, fi, vec)) != FK_OK)
                break;
            fi++;
            (*added)++;
        }
        if (st != FK_OK)
            break;
        const cJSON *t;
        cJSON_ArrayForEach(t, tags)
        {
            if (!cJSON_IsString(t) || !fk__gallery_name_ok(t->valuestring) || strchr(t->valuestring, ',')) {
                st = fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: person %zu: a tag is not a short string", name, pi);
                break;
            }
            sqlite3_stmt *q = NULL;
            if (sqlite3_prepare_v2(g->db,
                                   "INSERT OR IGNORE INTO tags SELECT id, ?2 FROM people WHERE name = ?1", -1, &q,
                                   NULL) != SQLITE_OK) {
                st = fk__gallery_sqlfail(g, "importing tags");
                break;
            }
            sqlite3_bind_text(q, 1, person, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(q, 2, t->valuestring, -1, SQLITE_TRANSIENT);
            const int rc = sqlite3_step(q);
            sqlite3_finalize(q);
            if (rc != SQLITE_DONE) {
                st = fk__gallery_sqlfail(g, "importing tags");
                break;
            }
        }
        if (st != FK_OK)
            break;
        pi++;
    }
    free(vec);
    if (st == FK_OK && only && *added == 0)
        st = fk__gallery_fail(g, FK_E_NOT_FOUND, "%s: no person named \"%s\" with faces", name, only);
    return st;
}

static fk_status import_bytes(fk_gallery *g, const char *bytes, size_t size, const char *name, const char *only,
                              const char *as, size_t *faces_added);

fk_status fk_gallery_import_bytes(fk_gallery *g, const char *bytes, size_t size, const char *name, size_t *faces_added)
{
    return import_bytes(g, bytes, size, name, NULL, NULL, faces_added);
}

static fk_status import_bytes(fk_gallery *g, const char *bytes, size_t size, const char *name, const char *only,
                              const char *as, size_t *faces_added)
{
    size_t added = 0;
    if (faces_added)
        *faces_added = 0;
    if (g->pg) {
        /* read and check the whole export into a gallery in memory first, then copy it over */
        fk_gallery *mem = NULL;
        fk_error e;
        if (fk_gallery_open(":memory:", &mem, &e) != FK_OK)
            return fk__gallery_fail(g, e.status, "%s: %s", name, e.message);
        fk_status st = import_bytes(mem, bytes, size, name, only, as, NULL);
        if (st != FK_OK)
            fk__gallery_fail(g, st, "%s", fk_gallery_errmsg(mem));
        else
            st = fk__pg_import(g, mem, name, faces_added);
        fk_gallery_close(mem);
        return st;
    }
    cJSON *root = cJSON_ParseWithLength(bytes, size);
    if (!root)
        return fk__gallery_fail(g, FK_E_BAD_FORMAT, "%s: not valid JSON (near byte %td)", name,
                                cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - bytes : (ptrdiff_t)0);
    fk_status st = fk__gallery_begin(g);
    if (st == FK_OK) {
        if ((st = fk__gallery_load_meta(g)) == FK_OK)
            st = import_tree(g, root, name, only, as, &added);
        if (st == FK_OK)
            st = fk__gallery_commit(g);
        else
            fk__gallery_rollback(g);
        if (st != FK_OK) {
            added = 0;
            fk__gallery_load_meta(g); /* the embedder the rollback undid */
        }
    }
    cJSON_Delete(root);
    if (faces_added)
        *faces_added = added;
    return st;
}

static fk_status import_file(fk_gallery *g, const char *path, const char *only, const char *as, size_t *faces_added)
{
    if (faces_added)
        *faces_added = 0;
    void *bytes = NULL;
    size_t size = 0;
    fk_error e;
    if (fk__file_read_all(path, FK__IMPORT_MAX, &bytes, &size, &e) != FK_OK)
        return fk__gallery_fail(g, e.status, "%s", e.message);
    fk_status st = import_bytes(g, bytes, size, path, only, as, faces_added);
    free(bytes);
    return st;
}

fk_status fk_gallery_import(fk_gallery *g, const char *path, size_t *faces_added)
{
    return import_file(g, path, NULL, NULL, faces_added);
}

fk_status fk_gallery_import_person(fk_gallery *g, const char *path, const char *person, const char *as,
                                   size_t *faces_added)
{
    if (as) {
        const fk_status st = fk__gallery_check_name(g, as);
        if (st != FK_OK)
            return st;
    }
    return import_file(g, path, person, as, faces_added);
}
