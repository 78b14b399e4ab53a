/* descriptor_dlib.c: dlib's float ResNet run on a session's 150x150 chip. */
#include <string.h>

#include "core/error.h"
#include "face/dlib/dlib_nets.h"
#include "face/session.h"

fk_status fk__dlib_embed_run(fk_session *s, float out[FK_DESCRIPTOR_DIM])
{
    if (!s->models->dlib_resnet)
        return fk__session_fail(s, FK_E_BAD_STATE, "dlib's ResNet (dlib-resnet) was not loaded (FK_NET_DLIB_RESNET)");
    if (!s->dlib_resnet_plan) {
        fk_error e;
        if (fk__plan_new_threads(s->models->dlib_resnet, 1, s->kernels, s->threads, &s->dlib_resnet_plan, &e) !=
            FK_OK)
            return fk__session_take(s, e.status, &e);
    }
    fk__plan *plan = s->dlib_resnet_plan;
    fk__dlib_resnet_input_f(s->input, fk__plan_input(plan));
    fk__plan_run_pool(plan, s->pool);
    memcpy(out, fk__plan_output(plan, 0, NULL), FK_DESCRIPTOR_DIM * sizeof(float));
    return FK_OK;
}
