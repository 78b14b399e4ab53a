/* descriptor.c: fk_face_descriptor: face-api's "dlib" crop from the eyes and mouth, then the 128-D ResNet. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "face/session.h"

static fk_point center(const fk_point *p, int from, int to)
{
    fk_point c = {0, 0};
    for (int i = from; i < to; i++) {
        c.x += p[i].x;
        c.y += p[i].y;
    }
    c.x /= (to - from);
    c.y /= (to - from);
    return c;
}

/* FaceLandmarks.alignDlib: a square of side d / 0.45 around the eyes and mouth, d the mean
 * eye-to-mouth distance; face-api's "alignment" is this axis-aligned crop, no rotation. */
static void dlib_rect(const fk_face *f, int img_w, int img_h, double out[4])
{
    fk_point le = center(f->landmarks, 36, 42), re = center(f->landmarks, 42, 48), mouth = center(f->landmarks, 48, 68);
    double dl = hypot(mouth.x - le.x, mouth.y - le.y), dr = hypot(mouth.x - re.x, mouth.y - re.y);
    double size = floor(((dl + dr) / 2) / 0.45);
    double rx = (le.x + re.x + mouth.x) / 3, ry = (le.y + re.y + mouth.y) / 3;
    double x = floor(fmax(0, rx - 0.5 * size)), y = floor(fmax(0, ry - 0.43 * size));
    out[0] = x;
    out[1] = y;
    out[2] = fmin(size, img_w + x);
    out[3] = fmin(size, img_h + y);
}

fk_status fk_face_descriptor(fk_session *s, const fk_image *img, fk_face *face)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || !face)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_descriptor: NULL argument");
    if (!face->has_landmarks)
        return fk__session_fail(s, FK_E_BAD_STATE, "a descriptor needs the face's landmarks first");
    double rect[4];
    dlib_rect(face, img->width, img->height, rect);
    fk__irect r;
    if (!fk__clip_box(rect[0], rect[1], rect[2], rect[3], img->width, img->height, &r))
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "the face's descriptor crop lies outside the image");
    fk__plan *plan = fk__session_plan(s, FK__NET_RECOGNITION);
    if (!plan)
        return s->err.status;
    const int size = 150;
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__session_run_crop(s, plan, FK__NET_RECOGNITION, img, r, size, true);
    memcpy(face->descriptor, fk__plan_output(plan, 0, NULL), sizeof face->descriptor);
    face->has_descriptor = 1;
    fk_box crop = {r.x, r.y, r.w, r.h};
    face->descriptor_crop = crop;
    return FK_OK;
}
