/* cmd_compare.c: `facekit compare A B`: the L2 distance between the descriptors of the largest face in each photo. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/output.h"
#include "cli/pipeline.h"
#include "facekit/models.h"

static void print_help(void)
{
    fputs("Usage: facekit compare [OPTIONS] A B\n"
          "\n"
          "Says whether two photos show the same person: the largest face of each (by box area) gets\n"
          "its landmarks and 128-D descriptor, and the two descriptors' L2 distance is compared with\n"
          "the threshold: below it is `same person`, otherwise `different people`. When a photo has\n"
          "several faces, the output says which one was used.\n"
          "\n"
          "Options:\n",
          stdout);
    cli_face_opts_help(stdout, 1);
    printf("  --threshold T        the distance under which two faces are one person, T > 0 [%g]\n",
           (double)FK_DESCRIPTOR_THRESHOLD);
    fputs("  -h, --help           this help\n"
          "\n"
          "Example:\n"
          "  facekit compare --json passport.jpg selfie.jpg\n"
          "\n"
          "Exit status:\n"
          "  0  the comparison was made (same person or not)\n"
          "  1  a photo could not be read, has no face, or the models failed (one line on stderr\n"
          "     per problem, naming the file)\n"
          "  2  usage error\n",
          stdout);
}

/* One side of the comparison. */
typedef struct side {
    const char *path;
    fk_image *img;
    fk_face *faces;
    size_t count, used;
    cli_times t;
    fk_error err;
    int ok;
} side;

static void run_side(fk_session *s, side *x, const fk_decode_options *dec, const fk_detect_options *det,
                     int dlib_boxes, int quiet)
{
    fk_status st = cli_analyze(s, x->path, dec, det, NULL, FK_ANALYZE_LANDMARKS | FK_ANALYZE_DESCRIPTOR, 1, dlib_boxes,
                               quiet, &x->img, &x->faces, &x->count, &x->t, &x->err);
    if (st != FK_OK)
        return;
    if (x->count == 0) {
        snprintf(x->err.message, sizeof x->err.message, "%s: no face found", x->path);
        return;
    }
    x->used = cli_largest_face(x->faces, x->count);
    if (!x->faces[x->used].has_descriptor) {
        snprintf(x->err.message, sizeof x->err.message, "%s: no descriptor for face #%zu: %s", x->path, x->used,
                 fk_session_errmsg(s));
        return;
    }
    x->ok = 1;
}

static void print_side(const char *name, const side *x)
{
    const fk_face *f = &x->faces[x->used];
    printf("%s: %s: face #%zu", name, x->path, x->used);
    if (x->count > 1)
        printf(" (the largest of %zu)", x->count);
    printf(", box %.0f %.0f %.0f %.0f, score %.3f\n", f->box.x, f->box.y, f->box.width, f->box.height,
           (double)f->score);
}

static cJSON *json_side(const side *x, int timings, unsigned stages)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "image", cli_json_string(x->path));
    if (x->ok) {
        cJSON_AddNumberToObject(o, "faces", (double)x->count);
        cJSON_AddNumberToObject(o, "face_index", (double)x->used);
        cJSON_AddItemToObject(o, "face", cli_json_face_brief(&x->faces[x->used]));
    } else {
        cJSON_AddItemToObject(o, "error", cli_json_string(x->err.message));
    }
    if (timings)
        cJSON_AddItemToObject(o, "timings_ms", cli_json_timings(&x->t, stages));
    return o;
}

int cmd_compare(int argc, char **argv)
{
    cli_face_opts o;
    cli_face_opts_init_embed(&o);
    double threshold = -1; /* not given: the embedder's */
    cli_opt table[CLI_FACE_OPTS_COUNT + 1];
    size_t nopts = cli_face_opts_table(&o, table);
    table[nopts++] = (cli_opt){"threshold", 0, CLI_ARG_FLOAT, &threshold, 0, 1000};
    int npos = 0;
    int rc = cli_parse("compare", argc, argv, 1, table, nopts, &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos != 2)
        return cli_usage_error("compare", "compare takes two images, A and B; %d given", npos);
    if (threshold != -1 && !(threshold > 0))
        return cli_usage_error("compare", "--threshold: %g is not above 0", threshold);
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("compare", &o, &det, &dec)) != 0)
        return rc;
    if (threshold == -1) {
        const fk_model_info *em = fk_model_find(o.embedder); /* the embedder's calibrated threshold */
        threshold = cli_face_opts_threshold(&o, em && em->threshold > 0 ? em->threshold : FK_DESCRIPTOR_THRESHOLD);
    }

    const unsigned what = FK_ANALYZE_LANDMARKS | FK_ANALYZE_DESCRIPTOR;
    fk_models *models = NULL;
    fk_session *session = NULL;
    double load_ms = 0;
    if ((rc = cli_open(&o, cli_nets_for_opts(&o, det.detector, what), &models, &session, &load_ms)) != 0)
        return rc;

    side sides[2];
    memset(sides, 0, sizeof sides);
    sides[0].path = argv[1];
    sides[1].path = argv[2];
    unsigned stages = cli_stages_for(what);
    for (int k = 0; k < 2; k++) {
        run_side(session, &sides[k], &dec, &det, cli_face_opts_dlib_boxes(&o), o.quiet);
        if (!sides[k].ok)
            cli_error("%s", sides[k].err.message);
        if (o.timings)
            cli_times_print(stderr, sides[k].path, &sides[k].t, stages, NULL);
    }

    int made = sides[0].ok && sides[1].ok;
    float distance = 0;
    if (made)
        distance = fk_descriptor_distance(sides[0].faces[sides[0].used].descriptor,
                                          sides[1].faces[sides[1].used].descriptor);
    int same = made && distance < (float)threshold;

    if (o.json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, "a", json_side(&sides[0], o.timings, stages));
        cJSON_AddItemToObject(out, "b", json_side(&sides[1], o.timings, stages));
        if (made)
            cJSON_AddItemToObject(out, "distance", cli_json_float(distance));
        cJSON_AddItemToObject(out, "threshold", cli_json_float((float)threshold));
        if (made)
            cJSON_AddBoolToObject(out, "same", same);
        if (cli_json_write(stdout, out) != 0) {
            cli_error("out of memory writing JSON");
            made = 0;
        }
        cJSON_Delete(out);
    } else if (made) {
        print_side("a", &sides[0]);
        print_side("b", &sides[1]);
        printf("distance %.4f %s threshold %g: %s\n", (double)distance, same ? "<" : ">=", threshold,
               same ? "same person" : "different people");
    }
    if (o.timings) {
        cli_times sum = sides[0].t;
        cli_times_add(&sum, &sides[1].t);
        char extra[64];
        snprintf(extra, sizeof extra, "models loaded in %.1f ms", load_ms);
        cli_times_print(stderr, "both images", &sum, stages, extra);
    }

    for (int k = 0; k < 2; k++) {
        fk_faces_free(sides[k].faces);
        fk_image_free(sides[k].img);
    }
    fk_session_free(session);
    fk_models_free(models);
    return made ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
