/* preprocess.h: face-api's exact net-input preparation: crop, pad to square, tf.image.resizeBilinear. */
#ifndef FK_FACE_PREPROCESS_H
#define FK_FACE_PREPROCESS_H

#include <stdbool.h>

#include "facekit/image.h"

/* An integer pixel rectangle inside an image. */
typedef struct fk__irect {
    int x, y, w, h;
} fk__irect;

/* face-api's Box.clipAtImageBorders followed by floor: the box actually sliced from the image.
 * Returns false when nothing of the box is left inside the image. */
bool fk__clip_box(double x, double y, double w, double h, int img_w, int img_h, fk__irect *out);

/* Writes size*size*3 floats (RGB, 0..255 scale): the region r of img (inside img) padded with
 * zeros to a square (centered: face-api's padToSquare(isCenterImage = true), else all padding at
 * the bottom/right) and resized with tf.image.resizeBilinear(alignCorners = false,
 * halfPixelCenters = false), computed in double as TensorFlow.js's CPU backend does, so the
 * result is bit-identical to face-api's NetInput.toBatchTensor. */
void fk__net_input(const fk_image *img, fk__irect r, int size, bool centered, float *out);

/* Same resize from a float HWC source (for tests and the golden inputs). */
void fk__resize_bilinear_tf(const float *src, int src_h, int src_w, int size_h, int size_w, float *out);

#endif
