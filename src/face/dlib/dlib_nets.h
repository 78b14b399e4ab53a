/* dlib_nets.h: dlib's DNN models on facekit's engine: a dlib layer list as our graph, the float ResNet descriptor and the MMOD CNN face detector. */
#ifndef FK_FACE_DLIB_DLIB_NETS_H
#define FK_FACE_DLIB_DLIB_NETS_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/image.h"
#include "facekit/status.h"
#include "nn/graph.h"
#include "nn/load/dlib_dnn.h"
#include "nn/plan.h"

struct fk__pool;

/* ---- a dlib layer list as a graph ----------------------------------------------------------
 * What a file cannot say (dlib_dnn.h): which wrapper is a tag and which a skip, and which tag each
 * add_prev reads. The network's definition gives it, in file order (input -> output):
 *   wrappers[i]: the i-th tag-or-skip layer: +id a tag<id>, -id a skip<id>
 *   adds[i]:     the i-th add_prev layer reads tag<adds[i]>
 * A chain without tags (the MMOD detector) has none. */
typedef struct fk__dlib_wiring {
    const int *wrappers;
    int n_wrappers;
    const int *adds;
    int n_adds;
} fk__dlib_wiring;

/* Builds the graph of net's layers for one input of `input` (n 1, h, w, c) (the input layer
 * itself, normalisation included, is the caller's: the graph takes its output). Layouts are
 * turned into ours (filters [co][ci][ky][kx] -> HWIO, fc inputs (k, r, c) -> (r, c, k)); a
 * convolution absorbs an affine layer right after it (x * gamma + beta as the epilogue's scale
 * and shift, dlib's own order of operations) and a relu after either; an add_prev absorbs a
 * relu after it. dlib's paddings map to ours: 0 is VALID, k/2 at stride 1 (odd k) is SAME;
 * others are FK_E_UNSUPPORTED. The graph owns its weights (net may be freed after) and has one
 * output, the last layer's. Errors name net's file and the layer: FK_E_BAD_FORMAT for a file that
 * does not fit the wiring or whose sizes do not chain (channels, fc inputs, kernels larger than
 * their input), FK_E_UNSUPPORTED, FK_E_NO_MEMORY. */
fk_status fk__dlib_graph_build(const fk__dlib_net *net, const fk__dlib_wiring *wiring, fk__shape input,
                               const char *name, fk__graph **out, fk_error *err);

/* ---- the ResNet descriptor (dnn_face_recognition_ex.cpp's anet_type) ----------------------- */

#define FK__DLIB_RESNET_SIZE 150 /* its input: a 150x150 RGB chip (dlib's get_face_chip_details) */
#define FK__DLIB_RESNET_DIM 128
/* input_rgb_image_sized's means, which the file must hold: the net sees (pixel - avg) / 256 */
#define FK__DLIB_AVG_RED 122.782f
#define FK__DLIB_AVG_GREEN 117.001f
#define FK__DLIB_AVG_BLUE 104.298f

/* Loads dlib_face_recognition_resnet_model_v1.dat (sha256-checked when pinned) into a graph for
 * one 150x150 chip, output [1, 1, 1, 128]. The file must be anet_type: input_rgb_image_sized<150>
 * with dlib's means, loss_metric, and the layers of the example's definition (checked layer by
 * layer: "layer 12 (con_): expected 64 filters of 3x3 stride 1, found 32 of 3x3 stride 2").
 * Errors as fk__dlib_dnn_load's and fk__dlib_graph_build's. */
fk_status fk__dlib_resnet_load(const char *path, fk__graph **out, fk_error *err);
/* The same from a parsed net (tests, fuzzing). */
fk_status fk__dlib_resnet_from_net(const fk__dlib_net *net, fk__graph **out, fk_error *err);

/* A 150x150 chip into the net's input (one sample, [150][150][3]): (pixel - avg) / 256 per
 * channel in float, as dlib's input_rgb_image_sized::to_tensor computes it. rgb: 8-bit RGB rows
 * `stride` bytes apart; rgbf: 0..255 values as floats (fk__chip_sample's), rows packed. */
void fk__dlib_resnet_input(const uint8_t *rgb, size_t stride, float *dst);
void fk__dlib_resnet_input_f(const float *rgbf, float *dst);

/* The 128-D descriptor of a chip (8-bit RGB, 150x150, rows `stride` bytes apart) on a plan of
 * the ResNet graph at batch 1, run on the pool when not NULL. FK_E_INVALID_ARGUMENT for a plan
 * of another batch size or graph shape. dlib's loss_metric returns the fc output as it is. */
fk_status fk__dlib_resnet_describe(fk__plan *plan, struct fk__pool *pool, const uint8_t *rgb, size_t stride,
                                   float out[FK__DLIB_RESNET_DIM], fk_error *err);

/* ---- dlib's image pyramids ------------------------------------------------------------------ */

/* dlib's pyramid_up(img, pyramid_down<2>): an image of 2h+1 rows and 2w+2 columns (the up-mapped
 * rectangle), resampled with resize_image's bilinear RGB path, bit for bit (its 4-pixel float
 * steps, truncation to 8 bits, and the double-precision tail). FK_E_LIMIT past the default image
 * limits, FK_E_NO_MEMORY. */
fk_status fk__dlib_pyramid_up(const fk_image *in, fk_image **out, fk_error *err);

/* The levels of dlib's tiled image pyramid for an nr x nc image (compute_tiled_image_pyramid_details):
 * each level's rectangle in the tiled image, and the tiled image's size. pyramid_n: the N of
 * pyramid_down<N> (2..20; the MMOD detector uses 6). */
#define FK__DLIB_MAX_LEVELS 128
typedef struct fk__dlib_rect {
    long left, top, right, bottom; /* inclusive, as dlib::rectangle */
} fk__dlib_rect;
typedef struct fk__dlib_tiling {
    int n_levels;
    fk__dlib_rect levels[FK__DLIB_MAX_LEVELS];
    long nr, nc; /* the tiled image */
} fk__dlib_tiling;
fk_status fk__dlib_tiling_compute(long nr, long nc, int pyramid_n, int padding, int outer_padding,
                                  fk__dlib_tiling *t, fk_error *err);
/* The tiled pyramid image as dlib's input_rgb_image_pyramid::to_tensor makes it: the image as
 * (pixel - avg) / 256 at level 0, each later level resize_bilinear of the one before, in float,
 * zero elsewhere. fk__dlib_pyramid_levels computes levels 1.. (level 0 is the image itself),
 * packed one after the other, each [h][w][3] (*levels: free() it; NULL with one level);
 * fk__dlib_tiled_rows then writes rows [y0, y0 + rows) of the tiled image, packed NHWC
 * [rows][t->nc][3], into dst; fk__dlib_tiled_pyramid writes the whole of it (t->nr rows).
 * So a detector assembles each band's rows from the levels, never holding the tiled image. */
fk_status fk__dlib_pyramid_levels(const fk_image *img, const fk__dlib_tiling *t, const float avg[3], float **levels,
                                  fk_error *err);
void fk__dlib_tiled_rows(const fk_image *img, const fk__dlib_tiling *t, const float avg[3], const float *levels,
                         long y0, long rows, float *dst);
fk_status fk__dlib_tiled_pyramid(const fk_image *img, const fk__dlib_tiling *t, const float avg[3], float *dst,
                                 fk_error *err);

/* ---- the MMOD detector (dnn_mmod_face_detection_ex.cpp's net_type) ------------------------- */

typedef struct fk__mmod fk__mmod;

/* One detection: dlib's rectangle (inclusive corners, in the caller's image) and its score. */
typedef struct fk__mmod_rect {
    long left, top, right, bottom;
    double score;
} fk__mmod_rect;

/* Loads mmod_human_face_detector.dat (sha256-checked when pinned): a chain of con, affine/bn_con,
 * relu layers on input_rgb_image_pyramid, with loss_mmod (no bounding box regression). The
 * pyramid is pyramid_down<6>, as the file's definition says (N is not stored in the file). A
 * loaded model is immutable: detect on it from many threads at once. */
fk_status fk__mmod_load(const char *path, fk__mmod **out, fk_error *err);
/* The same from a parsed net, which the model takes (freed with it, or at once on failure). */
fk_status fk__mmod_from_net(fk__dlib_net *net, int pyramid_n, fk__mmod **out, fk_error *err);
void fk__mmod_free(fk__mmod *m);
/* The loss's options as read (windows, NMS thresholds). */
const fk__dlib_mmod_options *fk__mmod_options(const fk__mmod *m);

/* How a detection runs; zeroed means the defaults. */
typedef struct fk__mmod_run {
    double adjust_threshold; /* dlib's to_label adjust_threshold: scores above it are kept (0) */
    struct fk__pool *pool;   /* run the net's bands on these workers (NULL: the calling thread) */
    fk__kernels kernels;     /* FK__KERNELS_FAST unless told otherwise (tests); the environment's
                                FACEKIT_KERNELS is read when kernels_from_env is set */
    int kernels_from_env;
    size_t band_bytes;       /* activation memory of one band (0: 384 MiB) */
} fk__mmod_run;

/* dlib's cnn_face_detection_model_v1(img, upsample) (the python binding, face_recognition's
 * cnn face_locations): the image upsampled `upsample` (0..4) times with pyramid_up, the tiled
 * pyramid, the net, loss_mmod's to_label (every output above the threshold, mapped through the
 * tiling, sorted by score, greedy NMS with the file's overlaps_nms), then each rectangle mapped
 * back down the upsampling with pyramid_down<2>::rect_down and rounded as dlib does. The net runs
 * over the tiled image in horizontal bands whose overlap covers its receptive field, so every
 * score is the one a whole-image run gives, bit for bit; each band's rows are assembled from the
 * pyramid's levels, so the tiled image is never held whole. Memory: the levels (2.3 times the
 * upsampled image in floats), one band (run->band_bytes) and the score map: a peak of 650-730 MB
 * for the 1920-pixel demo photos at upsample 1 (dlib: 11.5 GB).
 * *dets (free() it; NULL when none) gets *count detections, best first. Thread-safe: all scratch
 * is the call's. Errors: FK_E_INVALID_ARGUMENT, FK_E_LIMIT (an image too large to upsample),
 * FK_E_NO_MEMORY. */
fk_status fk__mmod_detect(const fk__mmod *m, const fk_image *img, int upsample, const fk__mmod_run *run,
                          fk__mmod_rect **dets, size_t *count, fk_error *err);

#endif
