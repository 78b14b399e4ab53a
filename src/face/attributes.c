/* attributes.c: fk_face_attributes: age and gender from the landmarks' bounding box padded by 20 %. */
#include <math.h>

#include "core/error.h"
#include "face/session.h"

fk_status fk_face_attributes(fk_session *s, const fk_image *img, fk_face *face)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || !face)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_attributes: NULL argument");
    if (!face->has_landmarks)
        return fk__session_fail(s, FK_E_BAD_STATE, "age and gender need the face's landmarks first");
    /* face-api's minBbox starts its maxima at 0, harmless for points inside the image */
    double x0 = INFINITY, y0 = INFINITY, x1 = 0, y1 = 0;
    for (int i = 0; i < FK_LANDMARK_COUNT; i++) {
        x0 = fmin(x0, face->landmarks[i].x);
        y0 = fmin(y0, face->landmarks[i].y);
        x1 = fmax(x1, face->landmarks[i].x);
        y1 = fmax(y1, face->landmarks[i].y);
    }
    double w = x1 - x0, h = y1 - y0;
    fk__irect r;
    if (!fk__clip_box(x0 - 0.1 * w, y0 - 0.1 * h, w + 0.2 * w, h + 0.2 * h, img->width, img->height, &r))
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "the face's attribute crop lies outside the image");
    fk__plan *plan = fk__session_plan(s, FK__NET_AGE_GENDER);
    if (!plan)
        return s->err.status;
    const int size = 112;
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__session_run_crop(s, plan, FK__NET_AGE_GENDER, img, r, size, true);
    float age = fk__plan_output(plan, 0, NULL)[0];
    float male = fk__plan_output(plan, 1, NULL)[0];
    face->age = age;
    face->gender = male > 0.5f ? FK_GENDER_MALE : FK_GENDER_FEMALE;
    face->gender_probability = male > 0.5f ? male : 1.0f - male;
    face->has_attributes = 1;
    fk_box crop = {r.x, r.y, r.w, r.h};
    face->attributes_crop = crop;
    return FK_OK;
}
