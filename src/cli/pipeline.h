/* pipeline.h: what the face verbs share: their common options, loading only the nets needed, and one image's analysis. */
#ifndef FK_CLI_PIPELINE_H
#define FK_CLI_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/args.h"
#include "cli/timing.h"
#include "facekit/eval.h"
#include "facekit/face.h"
#include "facekit/image.h"

/* The options every face verb takes (detect, landmarks, embed, attributes, compare, demo). */
typedef struct cli_face_opts {
    const char *detector; /* a detector's registry name: ssd, tiny, hog, mmod */
    double min_score;
    int max_faces;
    int tiny_size;
    const char *models; /* NULL: $FACEKIT_MODELS, else fk_models_default_dir() */
    uint64_t max_pixels; /* 0: the library's default */
    const char *closeup; /* "off", "if-none", "always" */
    int tiles;           /* 0: off; n >= 2: an n x n grid of tiles as well */
    const char *crop;    /* "faceapi", "dlib" (descriptor crop) */
    const char *landmarker; /* a landmarker's registry name (faceapi68, dlib68, dlib5; cnn and ert too) */
    const char *embedder;   /* an embedder's registry name (faceapi-resnet, dlib-resnet); for a
                               trained model, its base's (cli_face_opts_resolve sets it) */
    const char *trained;    /* --embedder FILE.fktn: a model of facekit train's (NULL: none) */
    int trained_chips;      /* it is a CNN on chips (no ResNet needed) */
    float trained_threshold; /* its calibrated threshold (0: none) */
    char trained_name[300];  /* the space its descriptors live in: fktn:FILENAME */
    int upsample;           /* hog, mmod: times the image is doubled first */
    int jitter;             /* dlib's jitter copies */
    int seed;               /* the jitter's seed */
    const char *box_style;  /* "detector", "dlib": the style of the boxes reported */
    int flip;               /* descriptors averaged with the mirror image's */
    double retry;           /* ssd, tiny: the lower score tried when nothing is found (0: off) */
    const char *fallback;   /* the detector run when still nothing is found, or "none" */
    int fallback_default;   /* the fallback is the verb's default (dropped with a note when absent) */
    int embedder_default;   /* the embedder is the verb's default (face-api's when dlib's is absent) */
    int no_flip;            /* --no-flip: the verb's default flip off */
    int threads;         /* the session's threads */
    cli_boxes boxes;     /* --box: given faces instead of detection (landmarks verb) */
    int json, timings, quiet;
} cli_face_opts;

/* Defaults: ssd, fk_detect_options_init's min score / max faces / tiny size. */
void cli_face_opts_init(cli_face_opts *o);
/* The defaults of the verbs that make descriptors (embed, compare, eval verify), the most accurate
 * measured on LFW: the close-up pass always merged in, a retry at score 0.2, then dlib's MMOD
 * detector; dlib's float ResNet, averaged over 4 jittered copies of the chip (face-api's ResNet,
 * and no MMOD, where dlib's models are not installed: cli_face_opts_resolve says so). */
void cli_face_opts_init_embed(cli_face_opts *o);

/* Appends the common entries (--detector, --min-score, --max-faces, --tiny-size, --models,
 * --max-pixels, --json, --timings, --quiet/-q) pointing into o; returns how many were written
 * (at most CLI_FACE_OPTS_COUNT). */
#define CLI_FACE_OPTS_COUNT 23
size_t cli_face_opts_table(cli_face_opts *o, cli_opt *table);

/* Prints the help lines of the common options, with their defaults (cli_face_opts_init's, or
 * cli_face_opts_init_embed's when `embed`), two spaces in (not -h). */
void cli_face_opts_help(FILE *f, int embed);

/* Checks the parsed options and turns them into library options; CLI_EXIT_USAGE after an error line.
 * A default embedder or fallback whose files are missing is replaced in o (with a note). */
int cli_face_opts_resolve(const char *verb, cli_face_opts *o, fk_detect_options *det, fk_decode_options *dec);

/* The descriptor crop the options name (checked by cli_face_opts_resolve). */
fk_descriptor_crop cli_face_opts_crop(const cli_face_opts *o);
/* The landmarker and embedder the options name (checked by cli_face_opts_resolve). */
fk_landmarker cli_face_opts_landmarker(const cli_face_opts *o);
fk_embedder cli_face_opts_embedder(const cli_face_opts *o);
/* The name of the descriptors' space, as galleries and reports record it: the embedder's registry
 * name, or fktn:FILENAME for a trained model. */
const char *cli_face_opts_embedder_name(const cli_face_opts *o);
/* The trained model's calibrated threshold when there is one, else fallback. */
double cli_face_opts_threshold(const cli_face_opts *o, double fallback);
/* Gives a session the trained embedder the options name, if any; 0, or an error printed. */
int cli_session_trained(fk_session *s, const cli_face_opts *o);

/* Whether detected boxes are reported in dlib's style (--box-style dlib; fk_box_dlib_style). */
int cli_face_opts_dlib_boxes(const cli_face_opts *o);

/* The model folder in use: --models, else $FACEKIT_MODELS, else fk_models_default_dir(). */
const char *cli_models_dir(const cli_face_opts *o);

/* Stage mask (FK_ANALYZE_*) to the nets to load (FK_NET_*), with the chosen detector. */
unsigned cli_nets_for(fk_detector detector, unsigned what);
/* The same, for the options given (the landmarker, no detector when boxes are given). */
unsigned cli_nets_for_opts(const cli_face_opts *o, fk_detector detector, unsigned what);

/* Loads the nets and opens a session; prints the library's message and returns CLI_EXIT_FAIL
 * on failure. *load_ms receives the time it took. session NULL: the nets only (batch verbs make
 * one session per worker thread, cli_embed_batch). */
int cli_open(const cli_face_opts *o, unsigned nets, fk_models **models, fk_session **session, double *load_ms);

/* Stage mask (FK_ANALYZE_*) to the timed stages (CLI_STAGE_BIT) it runs, decode and detect included. */
unsigned cli_stages_for(unsigned what);

/* One image through the pipeline: decode `path`, detect (or take the boxes `given`, when not NULL
 * and not empty), then the stages in `what` (FK_ANALYZE_*)
 * on every face, or only on the largest one (by box area) when `only_largest` is set. Each stage
 * is timed into *t (zeroed first). A face whose later stage fails keeps what it has, and a note
 * is printed unless `quiet`. On failure returns the status with err->message naming the file;
 * *img and *faces are then NULL. On success the caller frees *img and *faces. */
fk_status cli_analyze(fk_session *s, const char *path, const fk_decode_options *dec, const fk_detect_options *det,
                      const cli_boxes *given, unsigned what, int only_largest, int dlib_boxes, int quiet,
                      fk_image **img, fk_face **faces, size_t *count, cli_times *t, fk_error *err);

/* Index of the face with the largest box area (0 when count is 0). */
size_t cli_largest_face(const fk_face *faces, size_t count);

/* The file name part of a path ("dir/a.jpg" -> "a.jpg"); never NULL, points into path. */
const char *cli_basename(const char *path);

/* Whether progress lines `[i/n]` should go to stderr: a TTY, more than 10 inputs, not quiet. */
int cli_want_progress(size_t n, int quiet);

/* The embed options of a protocol ("facekit": as `facekit embed`, or "faceapi": face-api's LFW
 * protocol) from the parsed face options: what eval verify, eval identify and train describe with. */
void cli_embed_options(const char *protocol, const cli_face_opts *fo, const fk_detect_options *det,
                       fk_embed_options *eo);

#endif
