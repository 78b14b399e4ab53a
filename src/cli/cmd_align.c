/* cmd_align.c: `facekit align`: aligned face chips (dlib 150x150 or ArcFace 112x112) of every face, written as PNG files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "cli/cmd.h"
#include "cli/output.h"
#include "cli/pipeline.h"
#include "facekit/align.h"

static void print_help(void)
{
    fputs("Usage: facekit align [OPTIONS] --out DIR IMG...\n"
          "\n"
          "Finds the faces in each image, their 68 landmarks, and writes each face as an aligned chip:\n"
          "rotated, scaled and translated by the least-squares similarity transform that puts the\n"
          "landmarks on a template. Templates: dlib (dlib's mean face, the chip dlib's face descriptor\n"
          "expects: 150x150 with padding 0.25 by default, as dlib's get_face_chip_details and\n"
          "extract_image_chip) and arcface (InsightFace's five-point 112x112 template: eye centres,\n"
          "nose tip, mouth corners). Chips are DIR/<image name>_<face #>.png.\n"
          "\n"
          "Options:\n"
          "  --out DIR            the folder for the chips, made when missing (required)\n"
          "  --template T         dlib or arcface [dlib]\n"
          "  --size N             the dlib chip's side in pixels, 16 to 1024 [150]\n"
          "  --padding P          the dlib chip's padding around the mean face, 0 to 2 [0.25]\n"
          "  --box x,y,w,h        a face given by its box (repeatable) instead of detection\n",
          stdout);
    cli_face_opts_help(stdout, 0);
    fputs("  -h, --help           this help\n"
          "\n"
          "Example:\n"
          "  facekit align --out chips --landmarker ert photo.jpg\n"
          "\n"
          "Exit status: 0 every image was processed, 1 an image, a chip or the models failed (the batch\n"
          "goes on), 2 usage error.\n",
          stdout);
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
    }
    cli_error("%s: cannot make the folder (%s)", dir, strerror(errno == EEXIST ? ENOTDIR : errno));
    return -1;
}

/* The image's file name without its extension. */
static void stem(const char *path, char *out, size_t size)
{
    snprintf(out, size, "%s", cli_basename(path));
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = 0;
}

int cmd_align(int argc, char **argv)
{
    cli_face_opts o;
    cli_face_opts_init(&o);
    const char *out = NULL, *tmpl = "dlib";
    int size = 150;
    double padding = 0.25;
    cli_opt table[CLI_FACE_OPTS_COUNT + 5];
    size_t nopts = cli_face_opts_table(&o, table);
    table[nopts++] = (cli_opt){"out", 0, CLI_ARG_STRING, &out, 0, 0};
    table[nopts++] = (cli_opt){"template", 0, CLI_ARG_STRING, &tmpl, 0, 0};
    table[nopts++] = (cli_opt){"size", 0, CLI_ARG_INT, &size, 16, 1024};
    table[nopts++] = (cli_opt){"padding", 0, CLI_ARG_FLOAT, &padding, 0, 2};
    table[nopts++] = (cli_opt){"box", 0, CLI_ARG_BOXES, &o.boxes, 0, 0};
    int npos = 0;
    int rc = cli_parse("align", argc, argv, 1, table, nopts, &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (!out)
        return cli_usage_error("align", "--out DIR is required");
    if (strcmp(tmpl, "dlib") && strcmp(tmpl, "arcface"))
        return cli_usage_error("align", "--template: '%s' is not dlib or arcface", tmpl);
    if (npos == 0)
        return cli_usage_error("align", "no image given");
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("align", &o, &det, &dec)) != 0)
        return rc;
    if (make_dir(out) != 0)
        return CLI_EXIT_FAIL;
    fk_models *models = NULL;
    fk_session *session = NULL;
    double load_ms = 0;
    if ((rc = cli_open(&o, cli_nets_for_opts(&o, det.detector, FK_ANALYZE_LANDMARKS), &models, &session, &load_ms)))
        return rc;
    int failed = 0, progress = cli_want_progress((size_t)npos, o.quiet);
    size_t written = 0;
    cli_json_stream js;
    if (o.json)
        cli_json_stream_begin(&js, stdout);
    for (int i = 0; i < npos; i++) {
        const char *path = argv[1 + i];
        if (progress)
            fprintf(stderr, "[%d/%d] %s\n", i + 1, npos, path);
        fk_image *img = NULL;
        fk_face *faces = NULL;
        size_t count = 0;
        cli_times t;
        fk_error err = {0};
        cJSON *obj = o.json ? cJSON_CreateObject() : NULL, *chips = NULL;
        if (obj)
            cJSON_AddItemToObject(obj, "image", cli_json_string(path));
        if (cli_analyze(session, path, &dec, &det, &o.boxes, FK_ANALYZE_LANDMARKS, 0, 0, o.quiet, &img, &faces, &count,
                        &t, &err) != FK_OK) {
            failed = 1;
            cli_error("%s", err.message);
            if (obj) {
                cJSON_AddItemToObject(obj, "error", cli_json_string(err.message));
                cli_json_stream_add(&js, obj);
            }
            continue;
        }
        char base[512];
        stem(path, base, sizeof base);
        if (obj) {
            chips = cJSON_CreateArray();
            cJSON_AddItemToObject(obj, "chips", chips);
        }
        for (size_t k = 0; k < count; k++) {
            if (!faces[k].has_landmarks)
                continue;
            fk_image *chip = NULL;
            fk_affine map;
            int five = faces[k].landmark_count == 5;
            fk_status st;
            if (strcmp(tmpl, "dlib") == 0)
                st = five ? fk_align_dlib_chip5(img, faces[k].landmarks, size, padding, &chip, &map, &err)
                          : fk_align_dlib_chip(img, faces[k].landmarks, size, padding, &chip, &map, &err);
            else if (five)
                st = fk__fail(&err, FK_E_INVALID_ARGUMENT, "the arcface template needs the mouth corners, which "
                                                           "dlib5 does not give (use a 68-point landmarker)");
            else
                st = fk_align_arcface(img, faces[k].points5, &chip, &map, &err);
            char file[4700];
            snprintf(file, sizeof file, "%s/%s_%zu.png", out, base, k);
            if (st == FK_OK)
                st = fk_image_save(chip, file, 0, &err);
            fk_image_free(chip);
            if (st != FK_OK) {
                failed = 1;
                cli_error("%s: face %zu: %s", path, k, err.message);
                continue;
            }
            written++;
            if (chips) {
                cJSON *c = cJSON_CreateObject();
                cJSON_AddNumberToObject(c, "face", (double)k);
                cJSON_AddItemToObject(c, "file", cli_json_string(file));
                cJSON_AddItemToObject(c, "angle_degrees", cli_json_double(fk_affine_angle(&map) * 57.29577951308232));
                cJSON_AddItemToObject(c, "scale", cli_json_double(fk_affine_scale(&map)));
                cJSON_AddItemToArray(chips, c);
            } else if (!o.quiet)
                printf("%s face %zu -> %s (rotation %.1f degrees, %.3f image px per chip px)\n", path, k, file,
                       fk_affine_angle(&map) * 57.29577951308232, fk_affine_scale(&map));
        }
        if (obj)
            cli_json_stream_add(&js, obj);
        fk_faces_free(faces);
        fk_image_free(img);
    }
    if (o.json)
        cli_json_stream_end(&js);
    else if (!o.quiet)
        printf("%zu chip%s written to %s\n", written, written == 1 ? "" : "s", out);
    fk_session_free(session);
    fk_models_free(models);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
