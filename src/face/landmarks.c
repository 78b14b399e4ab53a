/* landmarks.c: fk_face_landmarks: the 68-point net on the detection box, mapped back as FaceLandmark68NetBase does. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "face/session.h"
#include "facekit/landmarks.h"
#include "facekit/align.h"

/* The ERT on the detection box mapped to dlib's HOG-box convention (see fk_session_set_landmarker). */
static fk_status ert_landmarks(fk_session *s, const fk_image *img, fk_face *face)
{
    if (!s->models->ert)
        return fk__session_fail(s, FK_E_BAD_STATE, "the ERT landmark model was not loaded (FK_NET_ERT)");
    fk_face f = *face;
    if (s->landmarker == FK_LANDMARKER_ERT) {
        double side = 0.98 * sqrt(face->box.width * face->box.height);
        double cx = face->box.x + face->box.width / 2;
        double cy = face->box.y + face->box.height / 2 + 0.08 * face->box.height;
        if (!(side >= 1))
            return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "face box too small for landmarks");
        f.box = (fk_box){cx - side / 2, cy - side / 2, side, side};
    }
    fk_error e;
    fk_status st = fk_ert_face_landmarks(s->models->ert, img, &f, &e);
    if (st != FK_OK)
        return fk__session_take(s, st, &e);
    memcpy(face->landmarks, f.landmarks, sizeof face->landmarks);
    memcpy(face->points5, f.points5, sizeof face->points5);
    face->has_landmarks = 1;
    face->landmark_crop = f.box;
    return FK_OK;
}

fk_status fk_face_landmarks(fk_session *s, const fk_image *img, fk_face *face)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || !face)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_landmarks: NULL argument");
    if (s->landmarker == FK_LANDMARKER_ERT || s->landmarker == FK_LANDMARKER_ERT_DLIB_BOX)
        return ert_landmarks(s, img, face);
    fk__irect r;
    if (!fk__clip_box(face->box.x, face->box.y, face->box.width, face->box.height, img->width, img->height, &r))
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "face box lies outside the image");
    fk__plan *plan = fk__session_plan(s, FK__NET_LANDMARK68);
    if (!plan)
        return s->err.status;
    const int size = 112;
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__session_run_crop(s, plan, FK__NET_LANDMARK68, img, r, size, true);
    const float *out = fk__plan_output(plan, 0, NULL);

    /* face-api's postProcess, in float32 like its tensors: undo the centred padding of the
     * square input, then scale to the crop and shift by the (unfloored) detection corner */
    double scale = (double)size / (r.w > r.h ? r.w : r.h);
    float sw = (float)(r.w * scale), sh = (float)(r.h * scale);
    float pad_x = r.w < r.h ? (float)fabs((double)r.w * scale - (double)r.h * scale) / 2.0f : 0.0f;
    float pad_y = r.h < r.w ? (float)fabs((double)r.w * scale - (double)r.h * scale) / 2.0f : 0.0f;
    for (int i = 0; i < FK_LANDMARK_COUNT; i++) {
        float rx = (out[2 * i] * (float)size - pad_x) / sw;
        float ry = (out[2 * i + 1] * (float)size - pad_y) / sh;
        face->landmarks[i].x = (double)rx * r.w + face->box.x;
        face->landmarks[i].y = (double)ry * r.h + face->box.y;
    }
    face->has_landmarks = 1;
    fk_points5_from_68(face->landmarks, face->points5);
    fk_box crop = {r.x, r.y, r.w, r.h};
    face->landmark_crop = crop;
    return FK_OK;
}
