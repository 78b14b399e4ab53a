/* detect_post.h: turning detector outputs into face boxes: face-api's SSD and Tiny YOLO post-processing. */
#ifndef FK_FACE_DETECT_POST_H
#define FK_FACE_DETECT_POST_H

#include <stddef.h>

#include "facekit/face.h"

/* SSD: keeps anchors scoring above min_score, best first, dropping any whose IoU with a kept one
 * exceeds iou (face-api's ssdMobilenetv1/nonMaxSuppression.ts); writes at most max_out indices
 * into keep (scratch: n ints) and returns how many. */
int fk__ssd_nms(const float *boxes, const float *scores, int n, float min_score, float iou, int max_out,
                int *keep, int *scratch);

/* SSD: the box of anchor i in image pixels, as SsdMobilenetv1.locateFaces computes it for an
 * image of img_w x img_h padded at the bottom/right and resized to input_size. */
fk_box fk__ssd_box_to_image(const float *box, int img_w, int img_h, int input_size);

/* Tiny: decodes the [grid, grid, anchors * 5] output into boxes (image pixels) and scores above
 * min_score, then non-maximum suppression at iou (TinyYolov2Base.detect). Returns the number of
 * faces written to out (at most max_out, best first); -1 when out of memory. */
int fk__tiny_decode(const float *raw, int grid, int img_w, int img_h, int input_size, float min_score, float iou,
                    fk_face *out, int max_out);

#endif
