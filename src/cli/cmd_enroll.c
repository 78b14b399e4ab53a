/* cmd_enroll.c: `facekit enroll NAME IMAGE|FOLDER...`: adds a person's faces to the gallery, one face per image, on every core, each face saved as it is made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/image_batch.h"
#include "cli/output.h"
#include "facekit/gallery.h"
#include "facekit/models.h"

static void print_help(void)
{
    char def[1024];
    fputs("Usage: facekit enroll [OPTIONS] NAME IMAGE|FOLDER...\n"
          "       facekit enroll [OPTIONS] --known KNOWN\n"
          "\n"
          "Adds faces of a person to the gallery: one face per image (its descriptor, box, source\n"
          "path and a thumbnail). An image with several faces is skipped with a note unless\n"
          "--largest; an image without a face is skipped too. Folders are read recursively. Each\n"
          "face is saved as soon as it is made, so an interrupted enroll keeps what it had done.\n"
          "With --known, KNOWN holds one folder per person (KNOWN/NAME/*.jpg) or one image per\n"
          "person (KNOWN/NAME.jpg), as `facekit who` reads it.\n"
          "\n"
          "Options:\n",
          stdout);
    printf("  --db PATH            the gallery file [%s]\n", fk_gallery_default_path(def, sizeof def));
    fputs("  --largest            take the largest face of an image with several\n"
          "  --known KNOWN        enroll everyone in KNOWN (see above) instead of NAME IMAGE...\n"
          "  --jobs N             images processed at once, 1 to 64 [the number of CPUs]\n",
          stdout);
    cli_face_opts_help(stdout, 1);
    fputs("  -h, --help           this help\n"
          "\n"
          "Example:\n"
          "  facekit enroll --db people.db \"Ada Lovelace\" photos/ada/\n"
          "\n"
          "Exit status:\n"
          "  0  every image gave a face\n"
          "  1  an image was skipped (listed at the end with the reason) or the gallery failed\n"
          "  2  usage error\n",
          stdout);
}

typedef struct enroll_ctx {
    fk_gallery *g;
    const char *embedder;
    const char *const *names; /* the person of each path */
    int largest, json, failed_gallery;
    size_t enrolled;
    cli_bad_files bad;
    cli_json_stream js;
} enroll_ctx;

static void on_image(size_t i, const char *path, const fk_image *img, const fk_face *faces, size_t count,
                     const fk_error *err, void *arg)
{
    enroll_ctx *c = arg;
    if (c->failed_gallery)
        return;
    if (err) {
        cli_bad_add(&c->bad, "%s", err->message);
        return;
    }
    if (count == 0) {
        cli_bad_add(&c->bad, "%s: no face found", path);
        return;
    }
    if (count > 1 && !c->largest) {
        cli_bad_add(&c->bad, "%s: %zu faces, not one (--largest takes the largest)", path, count);
        return;
    }
    const fk_face *f = &faces[cli_largest_face(faces, count)];
    if (!f->has_descriptor) {
        cli_bad_add(&c->bad, "%s: no descriptor for the face", path);
        return;
    }
    size_t tsize = 0;
    unsigned char *thumb = cli_face_thumbnail(img, &f->box, 96, &tsize);
    fk_gallery_face_in in = {.descriptor = f->descriptor,
                             .dim = f->descriptor_dim,
                             .embedder = c->embedder,
                             .source = path,
                             .box = f->box,
                             .thumbnail = thumb,
                             .thumbnail_size = tsize};
    int64_t id = 0;
    fk_status st = fk_gallery_enroll(c->g, c->names[i], &in, &id);
    free(thumb);
    if (st != FK_OK) {
        cli_error("%s", fk_gallery_errmsg(c->g));
        /* another embedder or a broken file fails every face alike: stop saying so */
        if (st != FK_E_INVALID_ARGUMENT || strstr(fk_gallery_errmsg(c->g), "another space"))
            c->failed_gallery = 1;
        return;
    }
    c->enrolled++;
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "image", cli_json_string(path));
        cJSON_AddItemToObject(o, "person", cli_json_string(c->names[i]));
        cJSON_AddNumberToObject(o, "face_id", (double)id);
        cJSON_AddNumberToObject(o, "faces_in_image", (double)count);
        cli_json_stream_add(&c->js, o);
    }
}

/* KNOWN/NAME/... and KNOWN/NAME.ext into paths, each with its person's name. */
int cli_read_known(const char *known, cli_paths *paths, cli_paths *names)
{
    cli_paths top = {0};
    if (cli_paths_expand(&top, known) != 0)
        return -1;
    const size_t kl = strlen(known);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < top.n; i++) {
        const char *rel = top.v[i] + kl;
        while (*rel == '/')
            rel++;
        char name[256];
        const char *slash = strchr(rel, '/');
        if (slash) {
            snprintf(name, sizeof name, "%.*s", (int)(slash - rel), rel);
        } else {
            snprintf(name, sizeof name, "%s", rel);
            char *dot = strrchr(name, '.');
            if (dot)
                *dot = 0;
        }
        rc = cli_paths_add(paths, top.v[i]) || cli_paths_add(names, name) ? -1 : 0;
    }
    cli_paths_free(&top);
    if (rc == 0 && paths->n == 0) {
        cli_error("%s: no images (want KNOWN/NAME/*.jpg or KNOWN/NAME.jpg)", known);
        return -1;
    }
    return rc;
}

int cli_enroll_paths(const cli_face_opts *o, const fk_models *models, const fk_detect_options *det,
                     const fk_decode_options *dec, const cli_paths *paths, const cli_paths *names, int jobs,
                     int largest, fk_gallery *g, const char *embedder, const char *what)
{
    const int report = strcmp(what, "enroll") == 0;
    enroll_ctx c = {.g = g,
                    .embedder = embedder,
                    .largest = largest,
                    .json = o->json && report,
                    .names = (const char *const *)names->v};
    if (c.json)
        cli_json_stream_begin(&c.js, stdout);
    int rc = cli_embed_batch(o, models, det, dec, paths, jobs, what, on_image, &c);
    if (c.json)
        cli_json_stream_end(&c.js);
    else if (report && !o->quiet)
        printf("enrolled %zu face%s of %zu image%s into %s\n", c.enrolled, c.enrolled == 1 ? "" : "s", paths->n,
               paths->n == 1 ? "" : "s", fk_gallery_path(g));
    const int bad = c.bad.n > 0 || c.failed_gallery;
    cli_bad_report(&c.bad, what);
    if (rc)
        return rc;
    if (c.failed_gallery || (report && bad) || c.enrolled == 0)
        return CLI_EXIT_FAIL;
    return CLI_EXIT_OK;
}

int cmd_enroll(int argc, char **argv)
{
    cli_face_opts o;
    cli_face_opts_init_embed(&o);
    const char *db = NULL, *known = NULL;
    int largest = 0, jobs = cli_cpu_count();
    cli_opt table[CLI_FACE_OPTS_COUNT + 4];
    size_t nopts = cli_face_opts_table(&o, table);
    table[nopts++] = (cli_opt){"db", 0, CLI_ARG_STRING, &db, 0, 0};
    table[nopts++] = (cli_opt){"largest", 0, CLI_ARG_FLAG, &largest, 0, 0};
    table[nopts++] = (cli_opt){"known", 0, CLI_ARG_STRING, &known, 0, 0};
    table[nopts++] = (cli_opt){"jobs", 0, CLI_ARG_INT, &jobs, 1, 64};
    int npos = 0;
    int rc = cli_parse("enroll", argc, argv, 1, table, nopts, &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (known && npos)
        return cli_usage_error("enroll", "--known takes no NAME or images");
    if (!known && npos < 2)
        return cli_usage_error("enroll", "enroll takes a NAME and at least one image or folder");
    if (db && !*db)
        return cli_usage_error("enroll", "--db: an empty path");
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("enroll", &o, &det, &dec)) != 0)
        return rc;

    cli_paths paths = {0}, names = {0};
    if (known) {
        if (cli_read_known(known, &paths, &names) != 0) {
            cli_paths_free(&paths);
            cli_paths_free(&names);
            return CLI_EXIT_FAIL;
        }
    } else {
        for (int i = 2; i <= npos; i++)
            if (cli_paths_expand(&paths, argv[i]) != 0) {
                cli_paths_free(&paths);
                return CLI_EXIT_FAIL;
            }
        for (size_t i = 0; i < paths.n; i++)
            if (cli_paths_add(&names, argv[1]) != 0) {
                cli_paths_free(&paths);
                cli_paths_free(&names);
                return CLI_EXIT_FAIL;
            }
    }
    fk_error err = {0};
    struct {
        fk_gallery *g;
        const char *embedder;
    } c = {0};
    if (fk_gallery_open(db, &c.g, &err) != FK_OK) {
        cli_error("%s", err.message);
        cli_paths_free(&paths);
        cli_paths_free(&names);
        return CLI_EXIT_FAIL;
    }
    c.embedder = cli_face_opts_embedder_name(&o);
    if (fk_gallery_embedder(c.g)[0] && strcmp(fk_gallery_embedder(c.g), c.embedder) != 0) {
        cli_error("%s: the gallery holds %s descriptors; these would be %s, another space: use --embedder %s",
                  fk_gallery_path(c.g), fk_gallery_embedder(c.g), c.embedder, fk_gallery_embedder(c.g));
        fk_gallery_close(c.g);
        cli_paths_free(&paths);
        cli_paths_free(&names);
        return CLI_EXIT_FAIL;
    }
    fk_models *models = NULL;
    double load_ms = 0;
    const unsigned what = FK_ANALYZE_LANDMARKS | FK_ANALYZE_DESCRIPTOR;
    if ((rc = cli_open(&o, cli_nets_for_opts(&o, det.detector, what), &models, NULL, &load_ms)) != 0) {
        fk_gallery_close(c.g);
        cli_paths_free(&paths);
        cli_paths_free(&names);
        return rc;
    }
    rc = cli_enroll_paths(&o, models, &det, &dec, &paths, &names, jobs, largest, c.g, c.embedder, "enroll");
    fk_models_free(models);
    fk_gallery_close(c.g);
    cli_paths_free(&paths);
    cli_paths_free(&names);
    return rc;
}
