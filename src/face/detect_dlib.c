/* detect_dlib.c: fk_face_detect with dlib's HOG or MMOD detector: dlib's rectangles as facekit boxes. */
#include "core/error.h"
#include "face/session.h"

fk_status fk__detect_dlib(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                          size_t *count)
{
    (void)img;
    (void)faces;
    (void)count;
    return fk__session_fail(s, FK_E_UNSUPPORTED, "the %s detector is not built in yet",
                            o->detector == FK_DETECTOR_HOG ? "hog" : "mmod");
}
