/* detect.c: fk_face_detect: the SSD or Tiny detector over a whole image, with face-api's post-processing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "face/detect_post.h"
#include "face/session.h"

void fk_detect_options_init(fk_detect_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->detector = FK_DETECTOR_SSD;
    opt->min_score = 0.5f;
    opt->iou_threshold = 0.5f;
    opt->max_faces = 100;
    opt->tiny_input_size = 416;
}

static fk_status check_image(fk_session *s, const fk_image *img)
{
    if (!img || !img->data || img->width <= 0 || img->height <= 0 || img->stride < (size_t)img->width * 3)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "invalid image");
    return FK_OK;
}

static fk_status detect_ssd(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                            size_t *count)
{
    fk__plan *plan = fk__session_plan(s, FK__NET_SSD);
    if (!plan)
        return s->err.status;
    const int size = 512;
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__irect whole = {0, 0, img->width, img->height};
    fk__session_run_crop(s, plan, FK__NET_SSD, img, whole, size, false);

    size_t n = FK__SSD_ANCHORS;
    float *boxes = malloc(sizeof(float) * 4 * n), *scores = malloc(sizeof(float) * n);
    int *keep = malloc(sizeof(int) * n), *scratch = malloc(sizeof(int) * n);
    fk_status st = FK_OK;
    if (!boxes || !scores || !keep || !scratch) {
        st = fk__session_fail(s, FK_E_NO_MEMORY, "out of memory decoding detections");
        goto done;
    }
    fk__ssd_decode(s->models->nets[FK__NET_SSD], plan, boxes, scores);
    int kept = fk__ssd_nms(boxes, scores, (int)n, o->min_score, o->iou_threshold, o->max_faces, keep, scratch);
    if (kept > 0) {
        *faces = calloc((size_t)kept, sizeof **faces);
        if (!*faces) {
            st = fk__session_fail(s, FK_E_NO_MEMORY, "out of memory for detections");
            goto done;
        }
        for (int i = 0; i < kept; i++) {
            (*faces)[i].box = fk__ssd_box_to_image(boxes + 4 * keep[i], img->width, img->height, size);
            (*faces)[i].score = scores[keep[i]];
        }
    }
    *count = (size_t)kept;
done:
    free(boxes);
    free(scores);
    free(keep);
    free(scratch);
    return st;
}

static fk_status detect_tiny(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                             size_t *count)
{
    int size = o->tiny_input_size;
    fk__plan *plan = fk__session_tiny_plan(s, size);
    if (!plan)
        return s->err.status;
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__irect whole = {0, 0, img->width, img->height};
    fk__session_run_crop(s, plan, FK__NET_TINY, img, whole, size, false);
    fk__shape shape;
    const float *raw = fk__plan_output(plan, 0, &shape);
    int max = o->max_faces;
    fk_face *out = calloc((size_t)max, sizeof *out);
    if (!out)
        return fk__session_fail(s, FK_E_NO_MEMORY, "out of memory for detections");
    int kept = fk__tiny_decode(raw, shape.h, img->width, img->height, size, o->min_score, o->iou_threshold, out, max);
    if (kept < 0) {
        free(out);
        return fk__session_fail(s, FK_E_NO_MEMORY, "out of memory decoding detections");
    }
    if (kept == 0) {
        free(out);
        out = NULL;
    }
    *faces = out;
    *count = (size_t)kept;
    return FK_OK;
}

fk_status fk_face_detect(fk_session *s, const fk_image *img, const fk_detect_options *opt, fk_face **faces,
                         size_t *count)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!faces || !count)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_detect: NULL output");
    *faces = NULL;
    *count = 0;
    fk_status st = check_image(s, img);
    if (st != FK_OK)
        return st;
    fk_detect_options o;
    fk_detect_options_init(&o);
    if (opt) {
        o.detector = opt->detector;
        if (opt->min_score > 0)
            o.min_score = opt->min_score;
        if (opt->max_faces > 0)
            o.max_faces = opt->max_faces;
        if (opt->tiny_input_size > 0)
            o.tiny_input_size = opt->tiny_input_size;
        o.iou_threshold = opt->iou_threshold > 0 ? opt->iou_threshold : (o.detector == FK_DETECTOR_TINY ? 0.4f : 0.5f);
    } else {
        o.iou_threshold = 0.5f;
    }
    if (!(o.min_score < 1.0f) || !(o.iou_threshold <= 1.0f) || o.max_faces > 100000)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "detect options out of range");
    if (o.detector == FK_DETECTOR_SSD)
        return detect_ssd(s, img, &o, faces, count);
    if (o.detector == FK_DETECTOR_TINY) {
        if (o.tiny_input_size % 32 || o.tiny_input_size < 64 || o.tiny_input_size > 2048)
            return fk__session_fail(s, FK_E_INVALID_ARGUMENT,
                                    "tiny input size %d: use a multiple of 32 from 64 to 2048", o.tiny_input_size);
        return detect_tiny(s, img, &o, faces, count);
    }
    return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "unknown detector %d", (int)o.detector);
}

void fk_faces_free(fk_face *faces)
{
    free(faces);
}
