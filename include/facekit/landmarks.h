/* facekit/landmarks.h: dlib's ERT landmark predictor (ensemble of regression trees) read from its shape_predictor .dat file. */
#ifndef FACEKIT_LANDMARKS_H
#define FACEKIT_LANDMARKS_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/face.h"
#include "facekit/image.h"
#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Usage:
 *     fk_ert *ert = NULL;
 *     fk_error err;
 *     if (fk_ert_load(NULL, &ert, &err) != FK_OK) { puts(err.message); ... }
 *     fk_point pts[68];                         // fk_ert_num_parts(ert) points
 *     fk_box box = {left, top, width, height};  // e.g. a dlib HOG detection
 *     fk_ert_predict(ert, img, box, pts, &err);
 *     fk_ert_free(ert);
 *
 * The predictor is Kazemi & Sullivan's cascade of regression-tree forests (CVPR 2014) as dlib's
 * shape_predictor runs it, and gives dlib's points: the same feature pixels (dlib's grayscale,
 * (r + g + b) / 3 truncated), the same float arithmetic, the same trees. dlib rounds each point
 * to the nearest integer (floor(x + 0.5)); facekit keeps the fraction.
 *
 * dlib's 68-point model (shape_predictor_68_face_landmarks.dat, Debian's libdlib-data) was
 * trained on the iBUG 300-W data set, whose licence excludes commercial use: so does the model's.
 * It was trained on boxes from dlib's HOG face detector; boxes from another detector work best
 * when adjusted to cover the face as those do (brows to chin, ear to ear). */

/* A loaded predictor: immutable, shared by any number of threads. */
typedef struct fk_ert fk_ert;

/* The default model file: $FACEKIT_ERT_MODEL when set (and not empty), else this. */
#define FK_ERT_DEFAULT_PATH "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

/* Loads a dlib shape_predictor file (path NULL: the default above). The file is read once,
 * streamed (memory is the model's, about 65 MB for the 68-point one); its sha256 is checked
 * against models/models.lock when its name is pinned there, unless FACEKIT_MODELS_NOVERIFY is
 * set (to anything but "" or "0"). On failure *out is NULL. Errors, each naming the file:
 *   FK_E_NOT_FOUND    no such file (the message says how to install it)
 *   FK_E_BAD_FORMAT   not a shape_predictor, truncated, corrupt (the byte offset and what was
 *                     wrong), or a pinned file whose sha256 differs
 *   FK_E_LIMIT        a file over 1 GiB
 *   FK_E_IO, FK_E_NO_MEMORY, FK_E_INVALID_ARGUMENT (NULL out) */
fk_status fk_ert_load(const char *path, fk_ert **out, fk_error *err);

/* NULL-safe. */
void fk_ert_free(fk_ert *m);

/* The number of points the model predicts (68 for the default model, 5 for dlib's 5-point one);
 * 0 for NULL. */
int fk_ert_num_parts(const fk_ert *m);

/* The path the model was loaded from ("(memory)" style names for in-memory loads). */
const char *fk_ert_path(const fk_ert *m);

/* Predicts the model's points for the face in `box` (x, y, width, height in image pixels),
 * writing fk_ert_num_parts(m) points. The box is taken as dlib's inclusive rectangle: its
 * corner pixels are (x, y) and (x + width - 1, y + height - 1), onto which the model's unit
 * square is mapped; a dlib rectangle (left, top, right, bottom) is the box
 * {left, top, right - left + 1, bottom - top + 1}. Pixels the model looks up outside the image
 * read as 0, as in dlib, so a box may overlap the border. Thread-safe on a shared model; the
 * only allocation is a small scratch buffer for models with very many features.
 * Errors: FK_E_INVALID_ARGUMENT (NULL argument, an empty image, a box with a non-finite value,
 * a side < 1 or a coordinate beyond +-1e7), FK_E_NO_MEMORY. */
fk_status fk_ert_predict(const fk_ert *m, const fk_image *img, fk_box box, fk_point *points, fk_error *err);

/* fk_ert_predict for n faces of one image: points[i * fk_ert_num_parts(m) + k] is point k of
 * boxes[i]. The points equal n calls of fk_ert_predict; the faces run side by side, a few at a
 * time, so one face's tree leaves load from memory while another's are added (about twice as
 * fast per face on a photo with several faces). A bad box fails the call before any work. */
fk_status fk_ert_predict_many(const fk_ert *m, const fk_image *img, const fk_box *boxes, size_t n,
                              fk_point *points, fk_error *err);

/* The same on an 8-bit grayscale image (width x height, rows `stride` bytes apart), for callers
 * that already have one: the results equal fk_ert_predict's on an RGB image whose
 * (r + g + b) / 3 is this image. */
fk_status fk_ert_predict_gray(const fk_ert *m, const uint8_t *gray, int width, int height, size_t stride,
                              fk_box box, fk_point *points, fk_error *err);

/* Fills face->landmarks (and points5, has_landmarks, landmark_crop) with a 68-point model's
 * points for face->box. FK_E_UNSUPPORTED when the model does not have 68 points. */
fk_status fk_ert_face_landmarks(const fk_ert *m, const fk_image *img, fk_face *face, fk_error *err);

#ifdef __cplusplus
}
#endif
#endif
