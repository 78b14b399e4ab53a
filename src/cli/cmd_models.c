/* cmd_models.c: `facekit models`: the model registry, what is installed, where, its licence, size, threshold and LFW figure. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/output.h"
#include "facekit/face.h"
#include "facekit/models.h"

static void print_help(void)
{
    printf("Usage: facekit models [--all] [--json] [--models DIR]\n"
           "\n"
           "Lists the models facekit knows, by role: detectors (--detector NAME), landmarkers\n"
           "(--landmarker NAME), embedders (--embedder NAME) and the attribute net, with whether each\n"
           "is installed, its size, its licence, its threshold and its LFW figure (README). `make\n"
           "models` fetches them all (pinned in models/models.lock).\n"
           "\n"
           "  --all         also the input contract, output and source of each model\n"
           "  --json        one JSON array of objects instead of the table\n"
           "  --models DIR  the face-api model folder [$FACEKIT_MODELS, else the built-in folder; now %s];\n"
           "                dlib's models are in $FACEKIT_DLIB_MODELS, else dlib/ beside it\n"
           "\n"
           "Exit status: 0 listed, 2 bad arguments.\n"
           "Example: facekit models --all\n",
           fk_models_default_dir());
}

int cmd_models(int argc, char **argv)
{
    int all = 0, json = 0;
    const char *dir = NULL;
    cli_opt table[] = {{"all", 0, CLI_ARG_FLAG, &all, 0, 0},
                       {"json", 0, CLI_ARG_FLAG, &json, 0, 0},
                       {"models", 0, CLI_ARG_STRING, &dir, 0, 0}};
    int npos = 0;
    int rc = cli_parse("models", argc, argv, 1, table, sizeof table / sizeof table[0], &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos)
        return cli_usage_error("models", "takes no file arguments");
    if (!dir)
        dir = fk_models_default_dir();
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (!json)
        printf("%-15s %-10s %-9s %8s %-35s %-9s %s\n", "name", "role", "installed", "MB", "licence", "threshold",
               "LFW (10-fold, README)");
    for (size_t i = 0; i < fk_model_count(); i++) {
        const fk_model_info *m = fk_model_at(i);
        char missing[4096];
        unsigned long long bytes = 0;
        int ok = fk_model_installed(m, dir, missing, sizeof missing, &bytes);
        char thr[32] = "-";
        if (m->role == FK_ROLE_EMBEDDER || m->role == FK_ROLE_DETECTOR)
            snprintf(thr, sizeof thr, "%g", m->threshold);
        if (arr) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", m->name);
            cJSON_AddStringToObject(o, "role", fk_model_role_name(m->role));
            cJSON_AddStringToObject(o, "title", m->title);
            cJSON_AddBoolToObject(o, "installed", ok);
            if (!ok)
                cJSON_AddItemToObject(o, "missing", cli_json_string(missing));
            cJSON_AddNumberToObject(o, "bytes", (double)bytes);
            cJSON_AddStringToObject(o, "licence", m->licence);
            cJSON_AddStringToObject(o, "source", m->source);
            cJSON_AddStringToObject(o, "files", m->files);
            cJSON_AddStringToObject(o, "input", m->input);
            cJSON_AddStringToObject(o, "output", m->output);
            if (m->dim)
                cJSON_AddNumberToObject(o, "dim", m->dim);
            if (m->role == FK_ROLE_EMBEDDER || m->role == FK_ROLE_DETECTOR)
                cJSON_AddItemToObject(o, "threshold", cli_json_float(m->threshold));
            if (m->calibration[0])
                cJSON_AddStringToObject(o, "calibration", m->calibration);
            if (m->lfw[0])
                cJSON_AddStringToObject(o, "lfw", m->lfw);
            cJSON_AddItemToArray(arr, o);
            continue;
        }
        printf("%-15s %-10s %-9s %8.1f %-35s %-9s %s\n", m->name, fk_model_role_name(m->role), ok ? "yes" : "no",
               (double)bytes / 1e6, m->licence, thr, m->lfw[0] ? m->lfw : "-");
        if (all) {
            printf("    %s\n    from: %s (%s)\n    input: %s\n    output: %s\n", m->title, m->source, m->files,
                   m->input, m->output);
            if (!ok)
                printf("    missing: %s\n", missing);
        }
    }
    if (arr) {
        char *s = cJSON_PrintUnformatted(arr);
        if (s)
            puts(s);
        cJSON_free(s);
        cJSON_Delete(arr);
    }
    return CLI_EXIT_OK;
}
