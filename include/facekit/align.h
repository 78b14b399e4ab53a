/* facekit/align.h: face alignment: similarity transforms from landmarks to a template, and aligned face chips (dlib 150x150, ArcFace 112x112). */
#ifndef FACEKIT_ALIGN_H
#define FACEKIT_ALIGN_H

#include "facekit/face.h"
#include "facekit/image.h"
#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Usage:
 *     fk_image *chip = NULL;
 *     fk_error err;
 *     // face.landmarks from fk_face_landmarks or fk_ert_face_landmarks
 *     if (fk_align_dlib_chip(img, face.landmarks, 150, 0.25, &chip, NULL, &err) == FK_OK) {
 *         ... chip is 150x150, the face where dlib's face recognition net expects it ...
 *         fk_image_free(chip);
 *     }
 *     fk_point p5[5];
 *     fk_points5_from_68(face.landmarks, p5);
 *     fk_align_arcface(img, p5, &chip, NULL, &err);   // 112x112, InsightFace's template
 */

/* A 2-D affine map as x' = m[0] x + m[1] y + m[2], y' = m[3] x + m[4] y + m[5]. */
typedef struct fk_affine {
    double m[6];
} fk_affine;

/* The least-squares similarity transform (rotation, uniform scale, translation) taking from[i]
 * to to[i], i < n: Umeyama's (1991) solution with its reflection guard, so the result is never
 * a mirror image even when mirrored points would fit better (the same transform as dlib's
 * find_similarity_transform). n >= 2. Errors: FK_E_INVALID_ARGUMENT for NULL pointers, n < 2,
 * non-finite points, or `from` points that all coincide. */
fk_status fk_similarity_estimate(const fk_point *from, const fk_point *to, int n, fk_affine *out, fk_error *err);

/* Applies t to p. */
fk_point fk_affine_apply(const fk_affine *t, fk_point p);

/* The inverse map; FK_E_INVALID_ARGUMENT when t is singular or not finite. */
fk_status fk_affine_invert(const fk_affine *t, fk_affine *out, fk_error *err);

/* Rotation (radians, counter-clockwise in image coordinates where y points down) and scale of a
 * similarity transform. */
double fk_affine_angle(const fk_affine *t);
double fk_affine_scale(const fk_affine *t);

/* The 5 points from the 68: left eye centre (mean of 36-41), right eye centre (42-47), nose tip
 * (30), mouth corners (48, 54); left and right as seen in the image. */
void fk_points5_from_68(const fk_point *p68, fk_point out[5]);

/* dlib's face chip from 68 landmarks, as get_face_chip_details + extract_image_chip compute it:
 * the similarity transform that puts landmarks 27-35, 36-47, 48-54 and 60-64 (nose, eyes, outer
 * mouth and upper lip; not the jaw, brows or lower lip) onto dlib's mean face in a size x size
 * square with `padding` (a fraction of the face's width) around it; then the same rectangle,
 * the same image pyramid for faces more than twice the chip's size, and the same bilinear
 * interpolation, truncated to 8 bits. dlib's face recognition net expects size 150, padding
 * 0.25. *chip_to_image (may be NULL) receives the map from chip pixels to image pixels.
 * size is 2..4096, padding 0..10. Errors: FK_E_INVALID_ARGUMENT, FK_E_NO_MEMORY. */
fk_status fk_align_dlib_chip(const fk_image *img, const fk_point *p68, int size, double padding, fk_image **chip,
                             fk_affine *chip_to_image, fk_error *err);

/* The same from the 5 points of dlib's 5-point model (shape_predictor_5_face_landmarks), in its
 * order: outer and inner corner of the eye on the image's right, outer and inner corner of the
 * other eye, then the point under the nose. (Not fk_points5_from_68's points.) */
fk_status fk_align_dlib_chip5(const fk_image *img, const fk_point p5[5], int size, double padding, fk_image **chip,
                              fk_affine *chip_to_image, fk_error *err);

/* The ArcFace / InsightFace 112x112 chip from 5 points in fk_points5_from_68's order: the
 * similarity transform onto InsightFace's template (38.2946, 51.6963), (73.5318, 51.5014),
 * (56.0252, 71.7366), (41.5493, 92.3655), (70.7299, 92.2041), sampled as fk_image_warp_affine. */
fk_status fk_align_arcface(const fk_image *img, const fk_point p5[5], fk_image **chip, fk_affine *chip_to_image,
                           fk_error *err);

/* A width x height image whose pixel (x, y) is img sampled bilinearly at dst_to_src(x, y) and
 * rounded (OpenCV's warpAffine with the inverse map, INTER_LINEAR, a black constant border:
 * neighbours outside the image count as black). Sizes 1..16384. */
fk_status fk_image_warp_affine(const fk_image *img, const fk_affine *dst_to_src, int width, int height,
                               fk_image **out, fk_error *err);

#ifdef __cplusplus
}
#endif
#endif
