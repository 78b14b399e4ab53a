/* cmd_identify.c: `facekit identify IMAGE...` (who is each face, against the gallery) and `facekit who KNOWN UNKNOWN...` (face_recognition's CLI: known people from a folder). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/image_batch.h"
#include "cli/output.h"
#include "facekit/ann.h"
#include "facekit/gallery.h"
#include "facekit/models.h"

#define TOP_MAX 100

/* One face of a query image and the people nearest to it. */
typedef struct face_result {
    fk_box box;
    fk_gallery_match m[TOP_MAX];
    size_t n;
} face_result;

typedef struct image_result {
    char *error; /* NULL when the image was read */
    face_result *faces;
    size_t count;
} image_result;

typedef struct query_ctx {
    fk_gallery *g;
    const char *embedder;
    int top, failed;
    image_result *res;
} query_ctx;

static void on_query(size_t i, const char *path, const fk_image *img, const fk_face *faces, size_t count,
                     const fk_error *err, void *arg)
{
    query_ctx *c = arg;
    image_result *r = &c->res[i];
    if (err) {
        r->error = strdup(err->message);
        return;
    }
    r->faces = calloc(count ? count : 1, sizeof *r->faces);
    if (!r->faces) {
        r->error = strdup("out of memory");
        return;
    }
    for (size_t k = 0; k < count; k++) {
        face_result *fr = &r->faces[r->count];
        if (!faces[k].has_descriptor)
            continue;
        fr->box = faces[k].box;
        if (fk_gallery_identify(c->g, c->embedder, faces[k].descriptor, faces[k].descriptor_dim, c->top, fr->m,
                                &fr->n) != FK_OK) {
            if (!c->failed)
                cli_error("%s", fk_gallery_errmsg(c->g));
            c->failed = 1;
            return;
        }
        r->count++;
    }
}

static const char *decision(const face_result *f, double threshold)
{
    return f->n && f->m[0].distance < threshold ? f->m[0].name : NULL;
}

/* Runs the query images through the gallery and prints: `who` style (file,name,distance lines) or
 * identify's (a block per image, or JSON). */
static int run_queries(const cli_face_opts *o, const fk_models *models, const fk_detect_options *det,
                       const fk_decode_options *dec, const cli_paths *paths, int jobs, query_ctx *c, double threshold,
                       int who_style, const char *verb)
{
    c->res = calloc(paths->n ? paths->n : 1, sizeof *c->res);
    if (!c->res) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    int rc = cli_embed_batch(o, models, det, dec, paths, jobs, verb, on_query, c);
    cli_bad_files bad = {0};
    cli_json_stream js;
    if (o->json)
        cli_json_stream_begin(&js, stdout);
    for (size_t i = 0; rc == 0 && !c->failed && i < paths->n; i++) {
        const image_result *r = &c->res[i];
        const char *path = paths->v[i];
        if (r->error) {
            cli_bad_add(&bad, "%s", r->error);
            if (o->json) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddItemToObject(e, "image", cli_json_string(path));
                cJSON_AddItemToObject(e, "error", cli_json_string(r->error));
                cli_json_stream_add(&js, e);
            }
            continue;
        }
        if (o->json) {
            cJSON *e = cJSON_CreateObject(), *arr = cJSON_CreateArray();
            cJSON_AddItemToObject(e, "image", cli_json_string(path));
            for (size_t k = 0; k < r->count; k++) {
                const face_result *f = &r->faces[k];
                const char *who = decision(f, threshold);
                cJSON *jf = cJSON_CreateObject(), *box = cJSON_CreateArray(), *top = cJSON_CreateArray();
                const double b[4] = {f->box.x, f->box.y, f->box.width, f->box.height};
                for (int j = 0; j < 4; j++)
                    cJSON_AddItemToArray(box, cli_json_double(b[j]));
                cJSON_AddItemToObject(jf, "box", box);
                cJSON_AddItemToObject(jf, "name", who ? cli_json_string(who) : cJSON_CreateString("unknown_person"));
                cJSON_AddBoolToObject(jf, "known", who != NULL);
                if (f->n)
                    cJSON_AddItemToObject(jf, "distance", cli_json_float(f->m[0].distance));
                for (size_t j = 0; j < f->n; j++) {
                    cJSON *m = cJSON_CreateObject();
                    cJSON_AddItemToObject(m, "name", cli_json_string(f->m[j].name));
                    cJSON_AddItemToObject(m, "distance", cli_json_float(f->m[j].distance));
                    cJSON_AddNumberToObject(m, "face_id", (double)f->m[j].face_id);
                    cJSON_AddItemToArray(top, m);
                }
                cJSON_AddItemToObject(jf, "top", top);
                cJSON_AddItemToArray(arr, jf);
            }
            cJSON_AddItemToObject(e, "faces", arr);
            cJSON_AddItemToObject(e, "threshold", cli_json_double(threshold));
            cli_json_stream_add(&js, e);
        } else if (who_style) {
            if (r->count == 0)
                printf("%s,no_persons_found,None\n", path);
            for (size_t k = 0; k < r->count; k++) {
                const face_result *f = &r->faces[k];
                const char *who = decision(f, threshold);
                if (f->n)
                    printf("%s,%s,%.6f\n", path, who ? who : "unknown_person", (double)f->m[0].distance);
                else
                    printf("%s,unknown_person,None\n", path);
            }
        } else {
            printf("%s: %zu face%s\n", path, r->count, r->count == 1 ? "" : "s");
            for (size_t k = 0; k < r->count; k++) {
                const face_result *f = &r->faces[k];
                const char *who = decision(f, threshold);
                printf("  #%zu box %.0f %.0f %.0f %.0f: %s", k, f->box.x, f->box.y, f->box.width, f->box.height,
                       who ? who : "unknown_person");
                if (f->n)
                    printf(" (%.4f %s %g)", (double)f->m[0].distance, who ? "<" : ">=", threshold);
                fputs("\n", stdout);
                for (size_t j = 0; j < f->n; j++)
                    printf("      %zu. %-30s %.4f\n", j + 1, f->m[j].name, (double)f->m[j].distance);
            }
        }
    }
    if (o->json)
        cli_json_stream_end(&js);
    for (size_t i = 0; i < paths->n; i++) {
        free(c->res[i].error);
        free(c->res[i].faces);
    }
    free(c->res);
    const int had_bad = bad.n > 0;
    cli_bad_report(&bad, verb);
    if (rc)
        return rc;
    return c->failed || had_bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static void print_help(int who)
{
    char def[1024];
    if (who)
        fputs("Usage: facekit who [OPTIONS] KNOWN UNKNOWN...\n"
              "\n"
              "face_recognition's command line: the people in KNOWN (one folder per person,\n"
              "KNOWN/NAME/*.jpg, or one image per person, KNOWN/NAME.jpg; one face each, the largest)\n"
              "against every face of the UNKNOWN images and folders. One line per face:\n"
              "`file,name,distance`, `unknown_person` when no known face is nearer than the threshold,\n"
              "`file,no_persons_found,None` for an image without a face. Nothing is saved.\n"
              "\n"
              "Options:\n",
              stdout);
    else {
        fputs("Usage: facekit identify [OPTIONS] IMAGE|FOLDER...\n"
              "\n"
              "Who is each face: every face of every image against the gallery's people, the nearest\n"
              "--top of them with their distances, and the decision: the nearest person when nearer\n"
              "than the threshold, else unknown_person.\n"
              "\n"
              "Options:\n",
              stdout);
        printf("  --db PATH            the gallery file [%s]\n", fk_gallery_default_path(def, sizeof def));
        fputs("  --index TYPE         the in-memory matrix: float32 (exact), float16 or int8; or FAISS's\n"
              "                       approximate faiss-hnsw or faiss-ivf, saved beside the gallery as\n"
              "                       PATH.faiss-KIND and rebuilt after a change [float32]\n",
              stdout);
    }
    fputs("  --top K              people listed per face, 1 to 100 [5]\n"
          "  --threshold T        the distance under which a face is a known person [the embedder's\n"
          "                       calibrated threshold: `facekit models`]\n"
          "  --tolerance T        the same (face_recognition's name)\n"
          "  --jobs N             images processed at once, 1 to 64 [the number of CPUs]\n",
          stdout);
    cli_face_opts_help(stdout, 1);
    fputs("  -h, --help           this help\n\nExample:\n", stdout);
    fputs(who ? "  facekit who known_people/ unknown_pictures/\n" : "  facekit identify --db people.db party.jpg\n",
          stdout);
    fputs("\nExit status:\n"
          "  0  every image was read (faces known or not)\n"
          "  1  an image could not be read (listed at the end), or the gallery or models failed\n"
          "  2  usage error\n",
          stdout);
}

static int run(int argc, char **argv, int who)
{
    const char *verb = who ? "who" : "identify";
    cli_face_opts o;
    cli_face_opts_init_embed(&o);
    const char *db = NULL, *index = "float32";
    int top = 5, jobs = cli_cpu_count();
    double threshold = 0, tolerance = 0;
    cli_opt table[CLI_FACE_OPTS_COUNT + 6];
    size_t nopts = cli_face_opts_table(&o, table);
    if (!who) {
        table[nopts++] = (cli_opt){"db", 0, CLI_ARG_STRING, &db, 0, 0};
        table[nopts++] = (cli_opt){"index", 0, CLI_ARG_STRING, &index, 0, 0};
    }
    table[nopts++] = (cli_opt){"top", 0, CLI_ARG_INT, &top, 1, TOP_MAX};
    table[nopts++] = (cli_opt){"threshold", 0, CLI_ARG_FLOAT, &threshold, 0, 1000};
    table[nopts++] = (cli_opt){"tolerance", 0, CLI_ARG_FLOAT, &tolerance, 0, 1000};
    table[nopts++] = (cli_opt){"jobs", 0, CLI_ARG_INT, &jobs, 1, 64};
    int npos = 0;
    int rc = cli_parse(verb, argc, argv, 1, table, nopts, &npos);
    if (rc == 1) {
        print_help(who);
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos < (who ? 2 : 1))
        return cli_usage_error(verb, who ? "who takes KNOWN and at least one image or folder"
                                         : "identify takes at least one image or folder");
    const int ann = strcmp(index, "faiss-hnsw") == 0 ? FK_ANN_HNSW : strcmp(index, "faiss-ivf") == 0 ? FK_ANN_IVF : -1;
    const int itype = ann >= 0 ? FK_INDEX_F32 : fk_index_type_parse(index);
    if (itype < 0)
        return cli_usage_error(verb, "--index: \"%s\" is not float32, float16, int8, faiss-hnsw or faiss-ivf", index);
    if (tolerance > 0)
        threshold = tolerance;
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve(verb, &o, &det, &dec)) != 0)
        return rc;
    const fk_model_info *emb = fk_model_by_id(FK_ROLE_EMBEDDER, cli_face_opts_embedder(&o));
    if (!(threshold > 0))
        threshold = cli_face_opts_threshold(&o, emb && emb->threshold > 0 ? emb->threshold : FK_DESCRIPTOR_THRESHOLD);

    cli_paths paths = {0};
    for (int i = who ? 2 : 1; i <= npos; i++)
        if (cli_paths_expand(&paths, argv[i]) != 0) {
            cli_paths_free(&paths);
            return CLI_EXIT_FAIL;
        }
    fk_error err = {0};
    query_ctx c = {.top = top, .embedder = cli_face_opts_embedder_name(&o)};
    if (fk_gallery_open(who ? ":memory:" : db, &c.g, &err) != FK_OK) {
        cli_error("%s", err.message);
        cli_paths_free(&paths);
        return CLI_EXIT_FAIL;
    }
    fk_gallery_set_index_type(c.g, (fk_index_type)itype);
    if (ann >= 0 && fk_gallery_set_ann(c.g, ann) != FK_OK) {
        cli_error("%s", fk_gallery_errmsg(c.g));
        fk_gallery_close(c.g);
        cli_paths_free(&paths);
        return CLI_EXIT_FAIL;
    }
    fk_models *models = NULL;
    double load_ms = 0;
    const unsigned what = FK_ANALYZE_LANDMARKS | FK_ANALYZE_DESCRIPTOR;
    if ((rc = cli_open(&o, cli_nets_for_opts(&o, det.detector, what), &models, NULL, &load_ms)) != 0)
        goto out;
    if (who) {
        /* the known people, as `enroll --known --largest` adds them, into a gallery in memory */
        cli_paths kp = {0}, kn = {0};
        if (cli_read_known(argv[1], &kp, &kn) != 0) {
            cli_paths_free(&kp);
            cli_paths_free(&kn);
            rc = CLI_EXIT_FAIL;
            goto out;
        }
        rc = cli_enroll_paths(&o, models, &det, &dec, &kp, &kn, jobs, 1, c.g, c.embedder, "known");
        cli_paths_free(&kp);
        cli_paths_free(&kn);
        if (rc)
            goto out;
    }
    rc = run_queries(&o, models, &det, &dec, &paths, jobs, &c, threshold, who, verb);
out:
    fk_models_free(models);
    fk_gallery_close(c.g);
    cli_paths_free(&paths);
    return rc;
}

int cmd_identify(int argc, char **argv)
{
    return run(argc, argv, 0);
}

int cmd_who(int argc, char **argv)
{
    return run(argc, argv, 1);
}
