/* landmarks.c: fk_face_landmarks: the 68-point net on the detection box, mapped back as FaceLandmark68NetBase does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "face/ert/ert_model.h"
#include "face/session.h"
#include "facekit/landmarks.h"
#include "facekit/align.h"

/* The box the ERT runs on: the detection box mapped to dlib's HOG-box convention (see
 * fk_session_set_landmarker), or face->box as it is. */
static fk_status ert_box(fk_session *s, const fk_face *face, fk_box *box)
{
    *box = face->box;
    int dlib_box = face->detector == FK_DETECTOR_HOG || face->detector == FK_DETECTOR_MMOD;
    if (s->landmarker != FK_LANDMARKER_ERT_DLIB_BOX && face->detector == FK_DETECTOR_BLAZEFACE) {
        /* BlazeFace's square against dlib's HOG square on the same LFW faces (tools/box_relation.py):
         * side 0.988 times the HOG box's, centre 0.045 of it lower */
        double side = face->box.width / 0.988;
        double cx = face->box.x + face->box.width / 2, cy = face->box.y + face->box.height / 2 - 0.045 * side;
        *box = (fk_box){cx - side / 2, cy - side / 2, side, side};
    } else if (s->landmarker != FK_LANDMARKER_ERT_DLIB_BOX && !dlib_box) {
        *box = fk_box_dlib_style(face->box);
        if (!(box->width >= 1))
            return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "face box too small for landmarks");
    }
    return FK_OK;
}

static void set_landmarks(fk_face *face, const fk_point *p, int n, fk_box crop)
{
    if (n == 5) {
        memcpy(face->landmarks, p, 5 * sizeof *p);
        for (int i = 5; i < FK_LANDMARK_COUNT; i++)
            face->landmarks[i] = (fk_point){NAN, NAN};
        /* dlib's 5 points: image-right eye corners 0-1, image-left eye corners 2-3, nose 4 */
        face->points5[0] = (fk_point){(p[2].x + p[3].x) / 2, (p[2].y + p[3].y) / 2};
        face->points5[1] = (fk_point){(p[0].x + p[1].x) / 2, (p[0].y + p[1].y) / 2};
        face->points5[2] = p[4];
        face->points5[3] = face->points5[4] = (fk_point){NAN, NAN};
    } else {
        memcpy(face->landmarks, p, sizeof face->landmarks);
        fk_points5_from_68(face->landmarks, face->points5);
    }
    face->landmark_count = n;
    face->has_landmarks = 1;
    face->landmark_crop = crop;
}

/* The session's ERT model: the 5- or the 68-point one. */
static fk_status ert_model(fk_session *s, const fk_ert **m, int *parts)
{
    if (s->landmarker == FK_LANDMARKER_DLIB5) {
        if (!s->models->ert5)
            return fk__session_fail(s, FK_E_BAD_STATE, "dlib's 5-point landmark model was not loaded (FK_NET_DLIB5)");
        *m = s->models->ert5;
        *parts = 5;
        return FK_OK;
    }
    if (!s->models->ert)
        return fk__session_fail(s, FK_E_BAD_STATE, "the ERT landmark model was not loaded (FK_NET_ERT)");
    fk_error e;
    fk_status st = fk__ert_need_68(s->models->ert, &e);
    *m = s->models->ert;
    *parts = FK_LANDMARK_COUNT;
    return st == FK_OK ? FK_OK : fk__session_take(s, st, &e);
}

/* The ERT on n faces at once (fk_ert_predict_many runs them side by side); a face whose box
 * fails keeps has_landmarks 0, and the first failure is returned. */
static fk_status ert_landmarks(fk_session *s, const fk_image *img, fk_face *faces, size_t n)
{
    const fk_ert *model = NULL;
    int parts = 0;
    fk_status st = ert_model(s, &model, &parts);
    if (st != FK_OK)
        return st;
    size_t nb, nw, np;
    fk_box *boxes = NULL;
    size_t *which = NULL;
    fk_point *pts = NULL;
    if (fk__mul_size(n ? n : 1, sizeof *boxes, &nb) && fk__mul_size(n ? n : 1, sizeof *which, &nw) &&
        fk__mul3_size(n ? n : 1, FK_LANDMARK_COUNT, sizeof *pts, &np)) {
        boxes = malloc(nb);
        which = malloc(nw);
        pts = malloc(np);
    }
    if (!boxes || !which || !pts) {
        free(boxes), free(which), free(pts);
        return fk__session_fail(s, FK_E_NO_MEMORY, "out of memory for %zu faces' landmarks", n);
    }
    size_t m = 0;
    fk_status first = FK_OK;
    for (size_t i = 0; i < n; i++) {
        faces[i].has_landmarks = 0;
        fk_status bs = ert_box(s, &faces[i], &boxes[m]);
        if (bs != FK_OK) {
            if (first == FK_OK)
                first = bs;
            continue;
        }
        if (!fk__ert_box_valid(boxes[m])) { /* fails that face alone, as fk_face_landmarks would */
            fk_status fs = fk__session_fail(s, FK_E_INVALID_ARGUMENT, "bad face box (%g, %g, %g x %g) for landmarks",
                                            boxes[m].x, boxes[m].y, boxes[m].width, boxes[m].height);
            if (first == FK_OK)
                first = fs;
            continue;
        }
        which[m++] = i;
    }
    fk_error e;
    st = fk_ert_predict_many(model, img, boxes, m, pts, &e);
    if (st == FK_OK)
        for (size_t k = 0; k < m; k++)
            set_landmarks(&faces[which[k]], pts + k * (size_t)parts, parts, boxes[k]);
    else
        first = fk__session_take(s, st, &e);
    free(boxes), free(which), free(pts);
    return first;
}

fk_status fk_face_landmarks(fk_session *s, const fk_image *img, fk_face *face)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || !face)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_landmarks: NULL argument");
    if (s->landmarker != FK_LANDMARKER_CNN)
        return ert_landmarks(s, img, face, 1);
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
    face->landmark_count = FK_LANDMARK_COUNT;
    fk_points5_from_68(face->landmarks, face->points5);
    fk_box crop = {r.x, r.y, r.w, r.h};
    face->landmark_crop = crop;
    return FK_OK;
}

fk_status fk_faces_landmarks(fk_session *s, const fk_image *img, fk_face *faces, size_t n)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || (n && !faces))
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_faces_landmarks: NULL argument");
    if (n == 0)
        return FK_OK;
    if (s->landmarker != FK_LANDMARKER_CNN)
        return ert_landmarks(s, img, faces, n);
    fk_status first = FK_OK;
    for (size_t i = 0; i < n; i++) {
        faces[i].has_landmarks = 0;
        fk_status st = fk_face_landmarks(s, img, &faces[i]);
        if (st != FK_OK && first == FK_OK)
            first = st;
    }
    return first;
}
