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
    if (what & FK_ANALYZE_DESCRIPTOR)
        fk_faces_descriptors(s, img, *faces, *count); /* all at once: batches through one plan */
    for (size_t i = 0; i < *count && (what & FK_ANALYZE_ATTRIBUTES); i++)
        if ((*faces)[i].has_landmarks)
            fk_face_attributes(s, img, &(*faces)[i]);
    return FK_OK;
}
