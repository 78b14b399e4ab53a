/* descriptor_dlib.c: fk_face_descriptor with dlib's float ResNet on dlib's chip, with dlib-style jitter. */
#include <string.h>

#include "core/error.h"
#include "face/align_internal.h"
#include "face/session.h"

fk_status fk__describe_dlib(fk_session *s, const fk_image *img, fk_face *face)
{
    (void)img;
    (void)face;
    if (!s->models->dlib_resnet)
        return fk__session_fail(s, FK_E_BAD_STATE, "dlib's ResNet (dlib-resnet) was not loaded (FK_NET_DLIB_RESNET)");
    return fk__session_fail(s, FK_E_UNSUPPORTED, "dlib's ResNet is not built in yet");
}
