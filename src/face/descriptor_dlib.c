/* descriptor_dlib.c: dlib's float ResNet run on a session's 150x150 chip. */
#include <string.h>

#include "core/error.h"
#include "face/session.h"

fk_status fk__dlib_embed_run(fk_session *s, float out[FK_DESCRIPTOR_DIM])
{
    (void)out;
    if (!s->models->dlib_resnet)
        return fk__session_fail(s, FK_E_BAD_STATE, "dlib's ResNet (dlib-resnet) was not loaded (FK_NET_DLIB_RESNET)");
    return fk__session_fail(s, FK_E_UNSUPPORTED, "dlib's ResNet is not built in yet");
}
