/* batch.c: the loop behind detect, landmarks, embed and attributes: each image in turn, a failure reported and passed over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/draw.h"
#include "cli/extras.h"
#include "cli/output.h"
#include "cli/pipeline.h"

/* The label drawn over face i: "#0 0.99", or "#0 F 26" once age and gender are known. */
static void face_label(const fk_face *f, size_t i, char *buf, size_t size)
{
    if (f->has_attributes)
        snprintf(buf, size, "#%zu %s %.0f", i,
                 f->gender == FK_GENDER_MALE ? "M" : f->gender == FK_GENDER_FEMALE ? "F" : "?", (double)f->age);
    else
        snprintf(buf, size, "#%zu %.2f", i, (double)f->score);
}

/* Draws the faces (and what --with found) onto img and saves it; 0, or -1 after printing the error. */
static int draw_and_save(cli_draw_target *target, const char *path, fk_image *img, const fk_face *faces, size_t n,
                         const cli_extra *extra)
{
    fk_error err = {0};
    char *out = cli_draw_target_path(target, path, &err);
    if (!out) {
        cli_error("%s", err.message);
        return -1;
    }
    char(*text)[64] = n ? calloc(n, sizeof *text) : NULL;
    const char **labels = n ? calloc(n, sizeof *labels) : NULL;
    if (n && (!text || !labels)) {
        cli_error("%s: out of memory for the labels", path);
        free(text);
        free(labels);
        free(out);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        face_label(&faces[i], i, text[i], sizeof text[i]);
        if (extra) {
            char more[40];
            cli_extras_label(&extra[i], more, sizeof more);
            if (more[0])
                snprintf(text[i] + strlen(text[i]), sizeof text[i] - strlen(text[i]), " %s", more);
        }
        labels[i] = text[i];
    }
    if (extra)
        cli_extras_draw(img, extra, n);
    cli_draw_faces(img, faces, n, labels, NULL);
    int rc = 0;
    if (fk_image_save(img, out, 0, &err) != FK_OK) {
        cli_error("%s", err.message);
        rc = -1;
    }
    free(text);
    free(labels);
    free(out);
    return rc;
}

static void print_help(const cli_face_verb *v)
{
    fputs(v->intro, stdout);
    fputs("\nOptions:\n", stdout);
    cli_face_opts_help(stdout, (v->what & FK_ANALYZE_DESCRIPTOR) != 0);
    if (v->what)
        fputs("  --box x,y,w,h        a face given by its box (repeatable): no detection, the stages run\n"
              "                       on these boxes (the same boxes for every image); with --landmarker\n"
              "                       ert the box is taken as dlib's (x = left, w = right - left + 1)\n",
              stdout);
    fputs("  --draw OUT           also write annotated images (boxes, landmarks, labels): a file OUT\n"
          "                       ending in .png, .jpg or .jpeg for one image; for several, a folder\n"
          "                       (made when missing) holding one file per input, named after it\n",
          stdout);
    printf("  --with LIST          also, per face: expression (face-api's 7), emotion (Human's 7),\n"
           "                       gear (age, gender, race),\n"
           "                       liveness (antispoof and liveness scores, a decision), mesh (468\n"
           "                       points); comma-separated, or none (Human's models) [%s]\n",
           v->with ? v->with : "none");
    if (v->full)
        printf("  --full               %s\n", v->full);
    fputs("  -h, --help           this help\n", stdout);
    printf("\nExample:\n  %s\n", v->example);
    fputs("\nExit status:\n"
          "  0  every image was processed (an image without faces is not an error)\n"
          "  1  an image or the models failed; the batch goes on after a bad image, and each\n"
          "     failure is one line `facekit: <message naming the file>` on stderr\n"
          "  2  usage error\n",
          stdout);
}

int cli_run_face_verb(const cli_face_verb *verb, int argc, char **argv)
{
    cli_face_opts o;
    if (verb->what & FK_ANALYZE_DESCRIPTOR)
        cli_face_opts_init_embed(&o);
    else
        cli_face_opts_init(&o);
    const char *draw = NULL, *with = NULL;
    int full = 0;
    cli_opt table[CLI_FACE_OPTS_COUNT + 4];
    size_t nopts = cli_face_opts_table(&o, table);
    table[nopts++] = (cli_opt){"draw", 0, CLI_ARG_STRING, &draw, 0, 0};
    table[nopts++] = (cli_opt){"with", 0, CLI_ARG_STRING, &with, 0, 0};
    if (verb->what)
        table[nopts++] = (cli_opt){"box", 0, CLI_ARG_BOXES, &o.boxes, 0, 0};
    if (verb->full)
        table[nopts++] = (cli_opt){"full", 0, CLI_ARG_FLAG, &full, 0, 0};

    int npos = 0;
    int rc = cli_parse(verb->name, argc, argv, 1, table, nopts, &npos);
    if (rc == 1) {
        print_help(verb);
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos == 0)
        return cli_usage_error(verb->name, "no image given");
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve(verb->name, &o, &det, &dec)) != 0)
        return rc;
    char **paths = argv + 1;
    size_t n = (size_t)npos;
    unsigned extras = 0;
    if (cli_extras_parse(verb->name, with ? with : verb->with, &extras) != 0)
        return CLI_EXIT_USAGE;
    if (!with)
        extras = cli_extras_installed(extras, cli_models_dir(&o), o.quiet);

    cli_draw_target target;
    memset(&target, 0, sizeof target);
    if (draw && (rc = cli_draw_target_init(&target, verb->name, draw, n, 0)) != 0)
        return rc;

    fk_models *models = NULL;
    fk_session *session = NULL;
    double load_ms = 0;
    unsigned nets = cli_nets_for_opts(&o, det.detector, verb->what) | cli_extras_nets(extras, cli_models_dir(&o));
    if ((rc = cli_open(&o, nets, &models, &session, &load_ms)) != 0) {
        cli_draw_target_free(&target);
        return rc;
    }

    unsigned stages = cli_stages_for(verb->what);
    int progress = cli_want_progress(n, o.quiet), failed = 0;
    cli_times sum;
    memset(&sum, 0, sizeof sum);
    cli_json_stream js;
    if (o.json)
        cli_json_stream_begin(&js, stdout);

    for (size_t i = 0; i < n; i++) {
        const char *path = paths[i];
        if (progress)
            fprintf(stderr, "[%zu/%zu] %s\n", i + 1, n, path);
        fk_image *img = NULL;
        fk_face *faces = NULL;
        size_t count = 0;
        cli_times t;
        fk_error err = {0};
        fk_status st = cli_analyze(session, path, &dec, &det, &o.boxes, verb->what, 0, cli_face_opts_dlib_boxes(&o),
                                   o.quiet, &img, &faces, &count, &t, &err);
        cli_extra *extra = NULL;
        if (st == FK_OK && extras && count) {
            extra = calloc(count, sizeof *extra);
            if (!extra) {
                cli_error("%s: out of memory for the analyses", path);
                failed = 1;
            } else if (cli_extras_run(session, img, faces, count, extras, extra, path, o.quiet)) {
                failed = 1;
            }
        }
        cli_times_add(&sum, &t);
        if (st != FK_OK) {
            failed = 1;
            cli_error("%s", err.message);
            if (o.json)
                cli_json_stream_add(&js, cli_json_image(path, NULL, NULL, 0, err.message, o.timings ? &t : NULL, stages));
        } else {
            if (o.json) {
                cJSON *obj = cli_json_image(path, img, faces, count, NULL, o.timings ? &t : NULL, stages);
                if (extra && obj)
                    cli_extras_json(obj, extra, count);
                cli_json_stream_add(&js, obj);
            } else {
                if (i)
                    fputc('\n', stdout);
                cli_text_image_header(stdout, path, img, count);
                cli_text_faces(stdout, faces, count, verb->what, full);
                if (extra)
                    cli_extras_text(stdout, extra, count);
                fflush(stdout);
            }
            if (draw && draw_and_save(&target, path, img, faces, count, extra) != 0)
                failed = 1;
        }
        free(extra);
        if (o.timings)
            cli_times_print(stderr, path, &t, stages, NULL);
        fk_faces_free(faces);
        fk_image_free(img);
    }

    if (o.json) {
        cli_json_stream_end(&js);
        if (js.failed) {
            cli_error("out of memory writing JSON");
            failed = 1;
        }
    }
    if (o.timings) {
        char label[64], extra[64];
        snprintf(label, sizeof label, "all %zu image%s", n, n == 1 ? "" : "s");
        snprintf(extra, sizeof extra, "models loaded in %.1f ms", load_ms);
        cli_times_print(stderr, label, &sum, stages, extra);
    }
    fk_session_free(session);
    fk_models_free(models);
    cli_draw_target_free(&target);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
