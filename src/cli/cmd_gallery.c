/* cmd_gallery.c: `facekit gallery SUBCOMMAND`: list, show, rename, merge, remove, tag, untag, export, import, stats and check of the gallery file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/output.h"
#include "facekit/gallery.h"

typedef struct sub {
    const char *name, *args, *summary;
    int min, max; /* positional arguments */
} sub;

static const sub subs[] = {
    {"list", "", "every person: faces, tags, when added", 0, 0},
    {"show", "NAME", "one person's faces: id, source image, box, embedder", 1, 1},
    {"rename", "OLD NEW", "renames a person", 2, 2},
    {"merge", "FROM INTO", "moves FROM's faces and tags to INTO and removes FROM", 2, 2},
    {"remove", "NAME | --face ID", "removes a person and their faces, or one face", 0, 1},
    {"tag", "NAME TAG", "adds a free-form tag to a person", 2, 2},
    {"untag", "NAME TAG", "removes a tag", 2, 2},
    {"export", "FILE.json", "writes everything (with the vectors and thumbnails) as JSON", 1, 1},
    {"import", "FILE.json", "adds an export's people and faces (merged by name), all or nothing", 1, 1},
    {"stats", "", "people, faces, tags, embedder, file size", 0, 0},
    {"check", "", "SQLite's integrity check and every descriptor read back", 0, 0},
};
#define SUBS (sizeof subs / sizeof subs[0])

static void print_help(void)
{
    char def[1024];
    fputs("Usage: facekit gallery SUBCOMMAND [OPTIONS] ARGS...\n"
          "\n"
          "Manages the gallery of known people that `facekit enroll` fills and `facekit identify`\n"
          "searches: one SQLite file, safe to share between processes.\n"
          "\n"
          "Subcommands:\n",
          stdout);
    for (size_t i = 0; i < SUBS; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", subs[i].name, subs[i].args);
        printf("  %-28s %s\n", head, subs[i].summary);
    }
    printf("\nOptions:\n"
           "  --db PATH            the gallery file [%s]\n"
           "  --face ID            (remove) one face by its id, from `gallery show`\n"
           "  --json               JSON output (list, show, stats, check)\n"
           "  -h, --help           this help\n"
           "\n"
           "Example:\n"
           "  facekit gallery show --db people.db \"Ada Lovelace\"\n"
           "\n"
           "Exit status:\n"
           "  0  done\n"
           "  1  the gallery or a file failed, or the person or face does not exist\n"
           "  2  usage error\n",
           fk_gallery_default_path(def, sizeof def));
}

static int fail(fk_gallery *g)
{
    cli_error("%s", fk_gallery_errmsg(g));
    return CLI_EXIT_FAIL;
}

static int do_list(fk_gallery *g, int json)
{
    fk_gallery_person *p = NULL;
    size_t n = 0;
    if (fk_gallery_people(g, &p, &n) != FK_OK)
        return fail(g);
    if (json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToObject(o, "name", cli_json_string(p[i].name));
            cJSON_AddNumberToObject(o, "faces", (double)p[i].faces);
            cJSON_AddItemToObject(o, "tags", cli_json_string(p[i].tags));
            cJSON_AddItemToObject(o, "created", cli_json_string(p[i].created));
            cJSON_AddItemToArray(a, o);
        }
        cli_json_write(stdout, a);
        cJSON_Delete(a);
    } else {
        printf("%-32s %6s  %-20s %s\n", "person", "faces", "added", "tags");
        for (size_t i = 0; i < n; i++)
            printf("%-32s %6zu  %-20s %s\n", p[i].name, p[i].faces, p[i].created, p[i].tags);
        printf("%zu %s\n", n, n == 1 ? "person" : "people");
    }
    fk_gallery_people_free(p, n);
    return CLI_EXIT_OK;
}

static int do_show(fk_gallery *g, const char *name, int json)
{
    fk_gallery_face *f = NULL;
    size_t n = 0;
    if (fk_gallery_faces(g, name, &f, &n) != FK_OK)
        return fail(g);
    if (json) {
        cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
        cJSON_AddItemToObject(o, "name", cli_json_string(name));
        for (size_t i = 0; i < n; i++) {
            cJSON *e = cJSON_CreateObject(), *box = cJSON_CreateArray();
            cJSON_AddNumberToObject(e, "id", (double)f[i].id);
            cJSON_AddItemToObject(e, "source", cli_json_string(f[i].source));
            const double b[4] = {f[i].box.x, f[i].box.y, f[i].box.width, f[i].box.height};
            for (int k = 0; k < 4; k++)
                cJSON_AddItemToArray(box, cli_json_double(b[k]));
            cJSON_AddItemToObject(e, "box", box);
            cJSON_AddItemToObject(e, "embedder", cli_json_string(f[i].embedder));
            cJSON_AddNumberToObject(e, "dim", f[i].dim);
            cJSON_AddItemToObject(e, "created", cli_json_string(f[i].created));
            cJSON_AddNumberToObject(e, "thumbnail_bytes", (double)f[i].thumbnail_size);
            cJSON_AddItemToArray(a, e);
        }
        cJSON_AddItemToObject(o, "faces", a);
        cli_json_write(stdout, o);
        cJSON_Delete(o);
    } else {
        printf("%s: %zu face%s\n", name, n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++)
            printf("  face %lld  %s  box %.0f %.0f %.0f %.0f  %s %d-D  %s\n", (long long)f[i].id, f[i].source,
                   f[i].box.x, f[i].box.y, f[i].box.width, f[i].box.height, f[i].embedder, f[i].dim, f[i].created);
    }
    fk_gallery_faces_free(f, n);
    return CLI_EXIT_OK;
}

static int do_stats(fk_gallery *g, int json)
{
    fk_gallery_stats s;
    if (fk_gallery_get_stats(g, &s) != FK_OK)
        return fail(g);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "path", cli_json_string(fk_gallery_path(g)));
        cJSON_AddNumberToObject(o, "people", (double)s.people);
        cJSON_AddNumberToObject(o, "faces", (double)s.faces);
        cJSON_AddNumberToObject(o, "tags", (double)s.tags);
        cJSON_AddItemToObject(o, "embedder", cli_json_string(s.embedder));
        cJSON_AddNumberToObject(o, "dim", s.dim);
        cJSON_AddNumberToObject(o, "file_bytes", (double)s.file_bytes);
        cJSON_AddNumberToObject(o, "generation", (double)s.generation);
        cli_json_write(stdout, o);
        cJSON_Delete(o);
    } else {
        printf("gallery    %s\npeople     %zu\nfaces      %zu\ntags       %zu\nembedder   %s\ndimension  %d\n"
               "file       %lld bytes\nchanges    %lld\n",
               fk_gallery_path(g), s.people, s.faces, s.tags, s.embedder[0] ? s.embedder : "(none yet)", s.dim,
               s.file_bytes, s.generation);
    }
    return CLI_EXIT_OK;
}

/* SQLite's own integrity check on a second connection, then every descriptor read back. */
static int do_check(fk_gallery *g, int json)
{
    sqlite3 *db = NULL;
    char result[512] = "";
    int ok = 0;
    if (sqlite3_open_v2(fk_gallery_path(g), &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(q, 0);
            snprintf(result, sizeof result, "%s", t ? t : "");
            ok = t && strcmp(t, "ok") == 0;
        } else {
            snprintf(result, sizeof result, "%s", sqlite3_errmsg(db));
        }
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    fk_gallery_face *f = NULL;
    size_t n = 0;
    const int read_ok = fk_gallery_faces(g, NULL, &f, &n) == FK_OK;
    fk_gallery_faces_free(f, n);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "integrity_check", cli_json_string(result));
        cJSON_AddBoolToObject(o, "descriptors_ok", read_ok);
        if (!read_ok)
            cJSON_AddItemToObject(o, "error", cli_json_string(fk_gallery_errmsg(g)));
        cJSON_AddNumberToObject(o, "faces", (double)n);
        cJSON_AddBoolToObject(o, "ok", ok && read_ok);
        cli_json_write(stdout, o);
        cJSON_Delete(o);
    } else {
        printf("integrity_check: %s\n", result);
        if (read_ok)
            printf("descriptors: %zu read back\n", n);
    }
    if (!read_ok)
        cli_error("%s", fk_gallery_errmsg(g));
    if (!ok)
        cli_error("%s: SQLite's integrity check: %s", fk_gallery_path(g), result);
    return ok && read_ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_gallery(int argc, char **argv)
{
    const char *db = NULL;
    int json = 0, quiet = 0;
    uint64_t face = 0;
    cli_opt table[] = {
        {"db", 0, CLI_ARG_STRING, &db, 0, 0},
        {"json", 0, CLI_ARG_FLAG, &json, 0, 0},
        {"quiet", 'q', CLI_ARG_FLAG, &quiet, 0, 0},
        {"face", 0, CLI_ARG_U64, &face, 1, 0},
    };
    int npos = 0;
    int rc = cli_parse("gallery", argc, argv, 1, table, sizeof table / sizeof table[0], &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos < 1)
        return cli_usage_error("gallery", "gallery takes a subcommand (list, show, rename, merge, remove, tag, "
                                          "untag, export, import, stats, check)");
    const sub *s = NULL;
    for (size_t i = 0; i < SUBS; i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            s = &subs[i];
    if (!s)
        return cli_usage_error("gallery", "unknown subcommand \"%s\"", argv[1]);
    const int nargs = npos - 1;
    char **a = argv + 2;
    if (nargs < s->min || nargs > s->max)
        return cli_usage_error("gallery", "gallery %s takes %s", s->name, s->args[0] ? s->args : "no arguments");
    if (face && strcmp(s->name, "remove") != 0)
        return cli_usage_error("gallery", "--face is for gallery remove");
    if (strcmp(s->name, "remove") == 0 && (nargs == 1) == (face != 0))
        return cli_usage_error("gallery", "gallery remove takes a NAME or --face ID");

    fk_error err = {0};
    fk_gallery *g = NULL;
    if (fk_gallery_open(db, &g, &err) != FK_OK) {
        cli_error("%s", err.message);
        return CLI_EXIT_FAIL;
    }
    rc = CLI_EXIT_OK;
    const char *name = s->name;
    if (strcmp(name, "list") == 0)
        rc = do_list(g, json);
    else if (strcmp(name, "show") == 0)
        rc = do_show(g, a[0], json);
    else if (strcmp(name, "stats") == 0)
        rc = do_stats(g, json);
    else if (strcmp(name, "check") == 0)
        rc = do_check(g, json);
    else if (strcmp(name, "rename") == 0)
        rc = fk_gallery_rename(g, a[0], a[1]) == FK_OK ? CLI_EXIT_OK : fail(g);
    else if (strcmp(name, "merge") == 0)
        rc = fk_gallery_merge(g, a[0], a[1]) == FK_OK ? CLI_EXIT_OK : fail(g);
    else if (strcmp(name, "tag") == 0)
        rc = fk_gallery_tag(g, a[0], a[1]) == FK_OK ? CLI_EXIT_OK : fail(g);
    else if (strcmp(name, "untag") == 0)
        rc = fk_gallery_untag(g, a[0], a[1]) == FK_OK ? CLI_EXIT_OK : fail(g);
    else if (strcmp(name, "export") == 0)
        rc = fk_gallery_export(g, a[0]) == FK_OK ? CLI_EXIT_OK : fail(g);
    else if (strcmp(name, "remove") == 0) {
        size_t removed = 0;
        if (face) {
            rc = fk_gallery_remove_face(g, (int64_t)face) == FK_OK ? CLI_EXIT_OK : fail(g);
            removed = 1;
        } else {
            rc = fk_gallery_remove_person(g, a[0], &removed) == FK_OK ? CLI_EXIT_OK : fail(g);
        }
        if (rc == CLI_EXIT_OK && !quiet)
            printf("removed %zu face%s\n", removed, removed == 1 ? "" : "s");
    } else if (strcmp(name, "import") == 0) {
        size_t added = 0;
        rc = fk_gallery_import(g, a[0], &added) == FK_OK ? CLI_EXIT_OK : fail(g);
        if (rc == CLI_EXIT_OK && !quiet)
            printf("imported %zu face%s from %s\n", added, added == 1 ? "" : "s", a[0]);
    }
    fk_gallery_close(g);
    return rc;
}
