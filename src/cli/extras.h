/* extras.h: the face verbs' --with analyses (expression, emotion, GEAR, liveness, mesh): running them per face, their JSON, text and drawing. */
#ifndef FK_CLI_EXTRAS_H
#define FK_CLI_EXTRAS_H

#include <stdio.h>

#include <cjson/cJSON.h>
#include "facekit/analysis.h"

enum {
    CLI_X_EMOTION = 1u << 0,
    CLI_X_GEAR = 1u << 1,
    CLI_X_LIVENESS = 1u << 2,
    CLI_X_MESH = 1u << 3,
    CLI_X_EXPRESSION = 1u << 4,
};

/* What was found for one face; each has_ says that analysis ran and succeeded. */
typedef struct cli_extra {
    int has_emotion, has_gear, has_liveness, has_mesh, has_expression;
    fk_expression expression;
    fk_emotion emotion;
    fk_gear gear;
    fk_liveness liveness;
    fk_mesh mesh;
} cli_extra;

/* "emotion,gear" to CLI_X_* bits; -1 after a usage error line naming the bad entry. */
int cli_extras_parse(const char *verb, const char *list, unsigned *out);
/* The nets the analyses need (FK_NET_*): liveness loads both of its models when installed. */
unsigned cli_extras_nets(unsigned x, const char *models_dir);
/* Drops the analyses whose models are not installed from a verb's default set, with a note
 * (an explicit --with keeps them, so that loading fails with the file to fetch). */
unsigned cli_extras_installed(unsigned x, const char *models_dir, int quiet);

/* Runs the analyses on each face; a face whose analysis fails keeps the rest, with a note
 * naming the image unless quiet. Returns the number of failures. */
int cli_extras_run(fk_session *s, const fk_image *img, const fk_face *faces, size_t n, unsigned x, cli_extra *out,
                   const char *path, int quiet);

/* Adds the analyses' fields to the face objects of an image object of cli_json_image. */
void cli_extras_json(cJSON *image, const cli_extra *e, size_t n);
/* One line per face and analysis under the verb's table. */
void cli_extras_text(FILE *f, const cli_extra *e, size_t n);
/* The mesh points (and nothing else) onto img. */
void cli_extras_draw(fk_image *img, const cli_extra *e, size_t n);
/* A short label for the face: "live 0.93" or "happy" etc.; "" when nothing ran. */
void cli_extras_label(const cli_extra *e, char *buf, size_t size);

#endif
