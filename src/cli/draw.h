/* draw.h: annotated images for --draw and demo: where they go (a file or a folder) and what is drawn on them. */
#ifndef FK_CLI_DRAW_H
#define FK_CLI_DRAW_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/face.h"

/* Where annotated images are written: one file, or a folder holding one file per input named
 * after it. The names handed out are remembered so that two inputs called a.jpg (from different
 * folders) give a.jpg and a-2.jpg rather than one overwriting the other. */
typedef struct cli_draw_target {
    const char *out;
    int is_dir;
    char **used;
    size_t nused, cap;
} cli_draw_target;

/* Decides how `out` is used: a folder when `always_dir`, when there are several inputs, when it
 * is an existing folder or ends in '/'; otherwise a file whose name must end in .png, .jpg or
 * .jpeg. A folder is created (with its parents) when missing. Returns 0, CLI_EXIT_USAGE after a
 * usage error line (a file name for several images, a bad extension), or CLI_EXIT_FAIL after an
 * error line (the folder cannot be made). */
int cli_draw_target_init(cli_draw_target *t, const char *verb, const char *out, size_t ninputs, int always_dir);

/* The file to write the annotated `input` to: malloc'd, for the caller to free; NULL when out of
 * memory or when it would overwrite the input itself (message in err). */
char *cli_draw_target_path(cli_draw_target *t, const char *input, fk_error *err);

/* NULL-safe on a zeroed target. */
void cli_draw_target_free(cli_draw_target *t);

/* Draws each face: its box, its 68 landmarks when it has them, and labels[i] (when labels and
 * labels[i] are not NULL) above the box. colors[i] is the box colour (NULL: all green). Sizes
 * follow the image's size. */
void cli_draw_faces(fk_image *img, const fk_face *faces, size_t count, const char *const *labels,
                    const uint32_t *colors);

/* A colour per person number, distinct for the first dozen and repeating after. */
uint32_t cli_person_color(size_t person);

#endif
