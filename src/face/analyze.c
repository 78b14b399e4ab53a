/* analyze.c: fk_face_analyze: detection then the requested per-face stages. */
#include "face/session.h"

fk_status fk_face_analyze(fk_session *s, const fk_image *img, const fk_detect_options *opt, unsigned what,
                          fk_face **faces, size_t *count)
{
    fk_status st = fk_face_detect(s, img, opt, faces, count);
    if (st != FK_OK)
        return st;
    if (!(what & FK_ANALYZE_ALL))
        return FK_OK;
    fk_faces_landmarks(s, img, *faces, *count); /* all at once: the ERT runs them side by side */
    for (size_t i = 0; i < *count; i++) {
        fk_face *f = &(*faces)[i];
        if (!f->has_landmarks)
            continue;
        if (what & FK_ANALYZE_DESCRIPTOR)
            fk_face_descriptor(s, img, f);
        if (what & FK_ANALYZE_ATTRIBUTES)
            fk_face_attributes(s, img, f);
    }
    return FK_OK;
}
