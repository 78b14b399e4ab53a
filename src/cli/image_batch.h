/* image_batch.h: what the gallery verbs share: image lists from files and folders, the embed pipeline over them on every core, a progress bar, the bad-file list. */
#ifndef FK_CLI_IMAGE_BATCH_H
#define FK_CLI_IMAGE_BATCH_H

#include <stddef.h>

#include "cli/pipeline.h"
#include "facekit/face.h"
#include "facekit/gallery.h"
#include "facekit/image.h"

/* A list of image paths. */
typedef struct cli_paths {
    char **v;
    size_t n, cap;
} cli_paths;
void cli_paths_free(cli_paths *p);
int cli_paths_add(cli_paths *p, const char *path);
/* Whether a file name ends in an image extension facekit decodes (jpg, jpeg, png, webp, gif,
 * bmp, tif, tiff, pgm, ppm, pnm). */
int cli_is_image_name(const char *name);
/* Adds path: a file as it is, a folder's image files (recursively, sorted). 0, or -1 after an
 * error line naming the path. */
int cli_paths_expand(cli_paths *p, const char *path);

/* A progress bar on stderr: `done/total, rate, ETA`, redrawn at most 10 times a second, only on a
 * terminal and not when quiet. */
typedef struct cli_progress {
    int on;
    size_t total;
    double t0, last;
    const char *what;
} cli_progress;
void cli_progress_begin(cli_progress *p, const char *what, size_t total, int quiet);
void cli_progress_update(cli_progress *p, size_t done);
void cli_progress_end(cli_progress *p);

/* The files a batch could not use, with the reason, printed together at the end. */
typedef struct cli_bad_files {
    char **lines;
    size_t n, cap;
} cli_bad_files;
void cli_bad_add(cli_bad_files *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* "facekit: N files were skipped:" and one line each on stderr; frees the list. */
void cli_bad_report(cli_bad_files *b, const char *verb);

/* One image's result, as the batch hands it over (in any order, one at a time). faces and img
 * belong to the batch; a callback that wants a thumbnail makes it then. err is NULL on success. */
typedef void (*cli_image_done_fn)(size_t index, const char *path, const fk_image *img, const fk_face *faces,
                                  size_t count, const fk_error *err, void *ctx);

/* Runs the verb's pipeline (detection, landmarks, descriptor) over every path on `jobs` threads,
 * each with its own session set up as cli_open sets one, calling done() serialised. */
int cli_embed_batch(const cli_face_opts *o, const fk_models *models, const fk_detect_options *det,
                    const fk_decode_options *dec, const cli_paths *paths, int jobs, const char *what,
                    cli_image_done_fn done, void *ctx);

/* A square JPEG thumbnail (side px) of a face box, grown by a fifth on each side; NULL on failure. */
unsigned char *cli_face_thumbnail(const fk_image *img, const fk_box *box, int side, size_t *size);

/* KNOWN/NAME/... and KNOWN/NAME.ext: the images and each one's person. 0, or -1 after an error line. */
int cli_read_known(const char *known, cli_paths *paths, cli_paths *names);

/* Enrolls one face per image (names->v[i] for paths->v[i]; the largest when `largest`, else an
 * image with several is skipped) into g as they are made; `what` names the batch ("enroll"
 * prints its summary, JSON and skipped files; others print only the skipped files). */
int cli_enroll_paths(const cli_face_opts *o, const fk_models *models, const fk_detect_options *det,
                     const fk_decode_options *dec, const cli_paths *paths, const cli_paths *names, int jobs,
                     int largest, fk_gallery *g, const char *embedder, const char *what);

/* The number of online CPUs (at least 1). */
int cli_cpu_count(void);

#endif
