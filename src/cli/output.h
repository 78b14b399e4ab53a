/* output.h: the CLI's two output forms: JSON (output_json.c, schema in docs/cli-json.md) and text tables (output_text.c). */
#ifndef FK_CLI_OUTPUT_H
#define FK_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli/timing.h"
#include "facekit/face.h"

/* ---- JSON ---- */

/* A number that reads back as the same float / double (shortest such "%.Ng"); null when not finite. */
cJSON *cli_json_float(float v);
cJSON *cli_json_double(double v);
/* A string, with bytes that are not valid UTF-8 replaced by U+FFFD so the output stays valid JSON. */
cJSON *cli_json_string(const char *s);

/* One face: box, score, and whatever its has_ flags say was computed. */
cJSON *cli_json_face(const fk_face *f);
/* {"box": [...], "score": ...} only (compare's summary of the face it used). */
cJSON *cli_json_face_brief(const fk_face *f);
/* {"decode": ms, ...} for the stages in `stages` that ran. */
cJSON *cli_json_timings(const cli_times *t, unsigned stages);

/* One image's object: {"image", "width", "height", "faces": [...]} or, when `error` is not NULL,
 * {"image", "error"}; "timings_ms" when t is not NULL. */
cJSON *cli_json_image(const char *path, const fk_image *img, const fk_face *faces, size_t count, const char *error,
                      const cli_times *t, unsigned stages);

/* Writes item compactly on one line followed by a newline; 0 or -1 (out of memory or write error). */
int cli_json_write(FILE *f, const cJSON *item);

/* A JSON array streamed one element at a time: "[\n" elem ",\n" elem "\n]\n". The stream
 * state belongs to the caller. Elements are consumed (deleted) by cli_json_stream_add. */
typedef struct cli_json_stream {
    FILE *f;
    size_t count;
    int failed; /* an element could not be printed or written */
} cli_json_stream;
void cli_json_stream_begin(cli_json_stream *js, FILE *f);
void cli_json_stream_add(cli_json_stream *js, cJSON *item);
void cli_json_stream_end(cli_json_stream *js);

/* ---- text ---- */

/* "path: WxH, N faces" */
void cli_text_image_header(FILE *f, const char *path, const fk_image *img, size_t count);
/* The face table of one image: #, box x y w h, score, then the columns of the stages in `what`
 * (FK_ANALYZE_*): landmarks show the five points, descriptors their norm and first values,
 * attributes age and gender. `full` adds under each row all 68 points (when the landmarks are
 * the last stage) or all 128 descriptor values. */
void cli_text_faces(FILE *f, const fk_face *faces, size_t count, unsigned what, int full);
/* The L2 norm of a descriptor. */
double cli_descriptor_norm(const float *d, int dim);

#endif
