/* expression.c: fk_face_expression: face-api's FaceExpressionNet on the detection box, softmax as tfjs computes it. */
#include <math.h>

#include "core/error.h"
#include "face/session.h"
#include "facekit/analysis.h"

const char *fk_expression_name(int k)
{
    static const char *names[FK_EXPRESSION_COUNT] = {"neutral", "happy", "sad", "angry", "fearful", "disgusted",
                                                     "surprised"};
    return k >= 0 && k < FK_EXPRESSION_COUNT ? names[k] : "?";
}

fk_status fk_face_expression(fk_session *s, const fk_image *img, const fk_face *face, fk_expression *out)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || !face || !out)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_expression: NULL argument");
    fk__irect r;
    if (!fk__clip_box(face->box.x, face->box.y, face->box.width, face->box.height, img->width, img->height, &r))
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "face box lies outside the image");
    fk__plan *plan = fk__session_plan(s, FK__NET_EXPRESSION);
    if (!plan)
        return s->err.status;
    const int size = 112;
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__session_run_crop(s, plan, FK__NET_EXPRESSION, img, r, size, true);
    const float *z = fk__plan_output(plan, 0, NULL);
    /* tf.softmax: exp(x - max) / sum, in float32 */
    float m = z[0], sum = 0;
    for (int k = 1; k < FK_EXPRESSION_COUNT; k++)
        m = z[k] > m ? z[k] : m;
    for (int k = 0; k < FK_EXPRESSION_COUNT; k++)
        sum += out->p[k] = expf(z[k] - m);
    out->best = 0;
    for (int k = 0; k < FK_EXPRESSION_COUNT; k++) {
        out->p[k] /= sum;
        if (out->p[k] > out->p[out->best])
            out->best = k;
    }
    return FK_OK;
}
