/* facekit/eval.h: benchmarks: verification (LFW pairs, 10-fold protocol, ROC, AUC, EER, TAR@FAR), 1:N identification, detection AP. */
#ifndef FACEKIT_EVAL_H
#define FACEKIT_EVAL_H

#include <stddef.h>

#include "facekit/face.h"
#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One verification pair: two image paths (root already joined) and whether they show the same person. */
typedef struct fk_pair {
    char *a, *b;
    int same;
    int fold; /* 0-based fold of LFW's View 2; 0 for a CSV list */
} fk_pair;

typedef struct fk_pairs {
    fk_pair *items;
    size_t count;
    int folds; /* 10 for LFW pairs.txt, 1 for a CSV */
} fk_pairs;

/* Reads LFW's pairs.txt format (first line "folds per_class", or View 1's "per_class" alone, then per fold per_class same-person
 * lines "name n1 n2" and per_class different-person lines "name1 n1 name2 n2"; images are
 * root/name/name_NNNN.jpg), or a CSV with a header and columns img1,img2,same (same: 1/0,
 * yes/no, true/false; images are root/img). The format is told apart by the first line. */
fk_status fk_pairs_load(const char *path, const char *root, fk_pairs **out, fk_error *err);
void fk_pairs_free(fk_pairs *pairs);

#define FK_EVAL_FAR_POINTS 2
typedef struct fk_verify_report {
    size_t pairs, failed_pairs;     /* failed: an image without a descriptor (counted wrong) */
    double fixed_threshold, accuracy_at_fixed;
    double accuracy_valid_pairs;    /* at the fixed threshold, over the pairs with both descriptors */
    /* LFW protocol: per fold, the threshold maximising accuracy on the other folds, accuracy on it */
    int folds;
    double fold_accuracy[16], fold_threshold[16];
    double mean_accuracy, std_accuracy;
    double auc, eer, eer_threshold;
    double far[FK_EVAL_FAR_POINTS];         /* 1e-3, 1e-2 */
    double tar_at_far[FK_EVAL_FAR_POINTS];
    double threshold_at_far[FK_EVAL_FAR_POINTS];
} fk_verify_report;

/* Scores a list of pair distances (smaller = more alike; NaN = a pair that could not be compared,
 * which counts as wrong at every threshold and as the worst possible distance in the ROC). */
fk_status fk_verify_evaluate(const fk_pairs *pairs, const double *distances, double fixed_threshold,
                             fk_verify_report *out, fk_error *err);

/* Writes the ROC as CSV "threshold,far,tar" (one row per distinct distance). */
fk_status fk_verify_write_roc(const fk_pairs *pairs, const double *distances, const char *path, fk_error *err);

/* ---- computing one descriptor per image for verification benchmarks */

typedef struct fk_embed_options {
    fk_detect_options detect;
    /* when nothing is found, retry at this lower score (face-api's LFW protocol uses 0.2; 0 = no retry) */
    float retry_min_score;
    /* the crop the descriptor net sees, and the landmarker it is placed by (ERT: load FK_NET_ERT) */
    fk_descriptor_crop crop;
    fk_landmarker landmarker;
    int flip; /* descriptors of the face and its mirror image averaged (fk_session_set_descriptor_flip) */
    fk_embedder embedder; /* which net makes the descriptor (load its FK_NET_* bit) */
    int jitter;           /* dlib's jitter copies (fk_session_set_jitter), 0 or 1: off */
    unsigned jitter_seed;
    const char *trained;  /* a model of facekit train's (FKTN) as the embedder, on top of `embedder`
                             for a head (fk_session_set_trained_embedder); NULL: none */
} fk_embed_options;

/* facekit's protocol: detection with the close-up pass always merged in (portraits often fill the
 * frame), then a retry at score 0.2 when still nothing is found. */
void fk_embed_options_init(fk_embed_options *o);
/* face-api's own LFW protocol: a retry at 0.2 only, no close-up pass. */
void fk_embed_options_faceapi(fk_embed_options *o);

typedef struct fk_image_embedding {
    int ok;       /* a descriptor was computed */
    int faces;    /* faces found */
    int retried;  /* 1: found only by the low-score retry */
    int fallback; /* 1: found only by the fallback detector (fk_detect_options.use_fallback) */
    fk_face face; /* the largest face (by box area) with its descriptor */
    char error[FK_ERROR_MESSAGE_MAX];
} fk_image_embedding;

typedef void (*fk_progress_fn)(size_t done, size_t total, void *ctx);

/* Loads each image, finds its largest face and computes its descriptor, on `threads` threads
 * (each with its own session). An image that fails leaves ok = 0 and a message in error. */
fk_status fk_eval_embed_images(const fk_models *models, const char *const *paths, size_t count,
                               const fk_embed_options *opt, int threads, fk_progress_fn progress, void *ctx,
                               fk_image_embedding *out, fk_error *err);

/* ---- identification (1:N): rank-1 and rank-5 with one face per person enrolled, and an open set
 *
 * Closed set: every person with two images or more is enrolled with their first image (the lowest
 * `order`); when it has no descriptor, with their first image that has one (enrolled_later). The
 * person's other images are the probes; the first image is then a probe too, without a descriptor,
 * so the probe count does not depend on what the embedder found. A probe is rank-r correct when its
 * person is among the r nearest gallery faces (one face a person, so the r nearest people). A probe
 * without a descriptor is a miss at every rank. A person none of whose images has a descriptor is
 * not enrolled, and their probes are misses.
 *
 * Open set: of the people with two images or more, taken in label order, the 2nd, 4th, 6th, ...
 * are left out of the gallery (deterministic, and with labels in name order it splits a list of
 * names evenly); the same probes are searched against the known half's gallery. A probe is accepted
 * when its nearest gallery face is nearer than the threshold (distance < threshold). */

/* One image of a labelled set. */
typedef struct fk_identify_image {
    size_t person; /* its person; the open set's rule reads people in the order of these labels */
    size_t order;  /* its place among its person's images, e.g. by file name (NAME_0001 first) */
    const float *descriptor; /* dim floats, or NULL when it has none (no face found) */
} fk_identify_image;

/* What the evaluation made of each image (the optional roles output). */
typedef enum fk_identify_role {
    FK_IDENTIFY_UNUSED = 0, /* its person has one image only */
    FK_IDENTIFY_GALLERY,    /* its person's enrolled image (not enrolled: their first, without a descriptor) */
    FK_IDENTIFY_PROBE       /* searched for */
} fk_identify_role;

typedef struct fk_identify_report {
    /* closed set */
    size_t images;          /* of the people with two images or more */
    size_t people;          /* with two images or more */
    size_t gallery;         /* of them enrolled (one face each) */
    size_t enrolled_later;  /* enrolled with a later image: their first has no descriptor */
    size_t not_enrolled;    /* no image with a descriptor */
    size_t probes;          /* images - people */
    size_t probes_without_descriptor; /* counted as misses */
    size_t rank1_hits, rank5_hits;
    double rank1, rank5;    /* hits / probes */
    /* open set (ratios are NaN when their count is 0) */
    double threshold;
    size_t known_people, unknown_people;
    size_t open_gallery; /* the known people enrolled */
    size_t known_probes, known_probes_without_descriptor;      /* the latter: misses */
    size_t unknown_probes, unknown_probes_without_descriptor;  /* the latter: not in the FAR */
    size_t false_accepts;   /* unknown probes whose nearest gallery face is nearer than the threshold */
    double far;             /* false_accepts / (unknown_probes - unknown_probes_without_descriptor) */
    size_t known_rank1_hits;    /* known probes whose nearest gallery face is their person's */
    size_t known_accepted_hits; /* ... and nearer than the threshold */
    double known_rank1, known_rank1_at_threshold; /* over known_probes */
} fk_identify_report;

/* Scores a labelled set of descriptors (dim in 1..4096, threshold > 0). roles (may be NULL): count
 * entries, one fk_identify_role each. FK_E_INVALID_ARGUMENT when no person has two images, when
 * two images of one person share an order, or for a descriptor with a non-finite value. */
fk_status fk_identify_evaluate(const fk_identify_image *images, size_t count, int dim, double threshold,
                               fk_identify_report *out, int *roles, fk_error *err);

/* ---- detection benchmarks: AFW, FDDB and WIDER FACE ground truth, VOC average precision */

typedef enum fk_det_format {
    FK_DET_FORMAT_AFW = 0, /* afw_boxes.txt: name, count, then count lines "x1 y1 x2 y2" */
    FK_DET_FORMAT_WIDER,   /* wider_face_*_bbx_gt.txt: name, count, then "x y w h blur expr illum invalid occl pose" */
    FK_DET_FORMAT_FDDB,    /* FDDB-fold-*-ellipseList.txt: name (no extension), count, "ra rb theta cx cy 1" */
    FK_DET_FORMAT_COUNT
} fk_det_format;

typedef struct fk_gt_face {
    fk_box box;     /* for FDDB: the ellipse's bounding box */
    int ignore;     /* WIDER's invalid faces: neither a miss nor a false alarm when detected */
    double ellipse[5]; /* FDDB: ra, rb, theta, cx, cy (zeros otherwise) */
} fk_gt_face;

typedef struct fk_det_image {
    char *path; /* root joined */
    size_t first, count; /* its faces in fk_det_truth.faces */
} fk_det_image;

typedef struct fk_det_truth {
    fk_det_format format;
    fk_det_image *images;
    size_t n_images;
    fk_gt_face *faces;
    size_t n_faces;
} fk_det_truth;

/* Reads a ground-truth file; image paths are joined to root (FDDB names get ".jpg"). */
fk_status fk_det_truth_load(const char *path, fk_det_format format, const char *root, fk_det_truth **out,
                            fk_error *err);
void fk_det_truth_free(fk_det_truth *t);

/* One detection to score. */
typedef struct fk_det_result {
    size_t image; /* index into fk_det_truth.images */
    fk_box box;
    float score;
} fk_det_result;

typedef struct fk_det_report {
    double iou;            /* the matching threshold */
    size_t faces, ignored, detections;
    double ap;             /* VOC all-point interpolated average precision */
    double max_recall;     /* recall with every detection kept */
    double best_f1, best_f1_score; /* the F1-best operating point and its score threshold */
    /* FDDB's scores at 1000 false positives (ellipse/rectangle overlap; other formats use boxes) */
    double fddb_discrete_tpr, fddb_continuous_tpr;
} fk_det_report;

/* Matches detections to faces greedily by descending score (each face once, IoU >= iou) and scores
 * them. tp (may be NULL) receives per detection 1 (true positive), 0 (false alarm) or -1 (matched an
 * ignored face); matched (may be NULL) per face the index of its detection or -1 (a miss). */
fk_status fk_det_evaluate(const fk_det_truth *t, const fk_det_result *dets, size_t n, double iou,
                          fk_det_report *out, int *tp, long *matched, fk_error *err);

typedef struct fk_image_detections {
    int ok;
    fk_face *faces; /* free with fk_faces_free */
    size_t count;
    char error[FK_ERROR_MESSAGE_MAX];
} fk_image_detections;

/* Loads each image and detects its faces on `threads` threads; fk_image_detections_free releases them. */
fk_status fk_eval_detect_images(const fk_models *models, const char *const *paths, size_t count,
                                const fk_detect_options *opt, int threads, fk_progress_fn progress, void *ctx,
                                fk_image_detections *out, fk_error *err);
void fk_image_detections_free(fk_image_detections *d, size_t count);

/* Writes the precision-recall curve as CSV "score,recall,precision" (one row per detection). */
fk_status fk_det_write_pr(const fk_det_truth *t, const fk_det_result *dets, size_t n, double iou, const char *path,
                          fk_error *err);

/* ---- presentation attacks, to measure liveness models against (facekit eval liveness) */

typedef enum fk_attack {
    FK_ATTACK_NONE = 0,   /* the real photo, copied */
    FK_ATTACK_TILT,       /* a print held at 25-40 degrees: the perspective of a plane, a background */
    FK_ATTACK_SCREEN,     /* a screen replay: RGB subpixel grid (moire), raised black level, blue cast */
    FK_ATTACK_GLARE,      /* one or two specular highlights and a veil of reflected light */
    FK_ATTACK_RECOMPRESS, /* shrunk to half, JPEG quality 15, enlarged, JPEG quality 30 */
    FK_ATTACK_PAPER,      /* a matte print: narrow ink range, washed colour, warm cast, paper grain */
    FK_ATTACK_COUNT
} fk_attack;

/* "real", "tilt", "screen", "glare", "recompress", "paper"; "?" out of range. */
const char *fk_attack_name(fk_attack a);

/* The attack made from img (same size), drawn from `seed` so it is repeatable. These are
 * simulations of what a capture of a print or a screen does to an image, not captures: see
 * docs/LIVENESS.md for what they stand for and what they leave out. */
fk_status fk_attack_make(const fk_image *img, fk_attack kind, unsigned seed, fk_image **out, fk_error *err);

/* ---- plots */

typedef struct fk_plot_series {
    const char *label;
    const double *x, *y;
    size_t n;
} fk_plot_series;

/* Writes an SVG line chart of several series (ROC: x = FAR on a log axis, y = TAR; PR: x = recall,
 * y = precision), with axes, grid, ticks and a legend. x_log: a logarithmic x axis from x_min. */
fk_status fk_plot_svg(const char *path, const char *title, const char *xlabel, const char *ylabel,
                      const fk_plot_series *series, size_t count, int x_log, double x_min, fk_error *err);

#ifdef __cplusplus
}
#endif
#endif
