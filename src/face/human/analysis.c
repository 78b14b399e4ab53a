/* analysis.c: fk_face_mesh, fk_face_liveness, fk_face_emotion and fk_face_gear on Human's face crop, with Human's pre- and post-processing. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "face/human/human.h"
#include "face/session.h"

static fk_status check_args(fk_session *s, const fk_image *img, const fk_face *face, const void *out, const char *fn)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || img->width <= 0 || img->height <= 0 || !face || !out)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "%s: NULL argument or empty image", fn);
    return FK_OK;
}

/* Whether a graph model's input is an image of `channels` channels facekit can feed; records why not. */
static bool input_ok(fk_session *s, const fk__tfgraph_info *info, int channels, const char *name)
{
    if (info->input_c == channels && info->input_h >= 1 && info->input_h <= 1024 && info->input_w >= 1 &&
        info->input_w <= 1024)
        return true;
    fk__session_fail(s, FK_E_BAD_FORMAT, "%s: model input %dx%dx%d is not a %d-channel image", name, info->input_h,
                     info->input_w, info->input_c, channels);
    return false;
}

/* The crop resized to the model's input (tf.image.resizeBilinear, as Human does) in the plan's
 * input; the plan is run. NULL on failure. */
static fk__plan *run_resized(fk_session *s, fk__gm_kind kind, const float *crop, float scale)
{
    fk__plan *plan = fk__session_gplan(s, kind);
    if (!plan)
        return NULL;
    const fk__tfgraph_info *info = fk__session_ginfo(s, kind);
    if (!input_ok(s, info, 3, "model"))
        return NULL;
    float *in = fk__plan_input(plan);
    fk__resize_bilinear_tf(crop, FK__HUMAN_CROP, FK__HUMAN_CROP, info->input_h, info->input_w, in);
    if (scale != 1.0f)
        for (size_t i = 0; i < (size_t)info->input_h * info->input_w * 3; i++)
            in[i] *= scale;
    fk__plan_run_pool(plan, s->pool);
    return plan;
}

fk_status fk_face_mesh(fk_session *s, const fk_image *img, const fk_face *face, fk_mesh *out)
{
    fk_status st = check_args(s, img, face, out, "fk_face_mesh");
    if (st != FK_OK)
        return st;
    fk__plan *plan = fk__session_gplan(s, FK__GM_FACEMESH);
    if (!plan)
        return s->err.status;
    const fk__tfgraph_info *info = fk__session_ginfo(s, FK__GM_FACEMESH);
    if (info->input_h != FK__HUMAN_CROP || info->input_w != FK__HUMAN_CROP || info->input_c != 3)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "facemesh: input %dx%dx%d, not 192x192x3", info->input_h,
                                info->input_w, info->input_c);
    fk_box crop;
    const float *x = fk__human_face_crop(s, img, face, &crop);
    if (!x)
        return s->err.status;
    memcpy(fk__plan_input(plan), x, sizeof(float) * FK__HUMAN_CROP * FK__HUMAN_CROP * 3);
    fk__plan_run_pool(plan, s->pool);
    const float *pts = fk__gm_output(plan, info, FK_MESH_POINTS * 3), *score = fk__gm_output(plan, info, 1);
    if (!pts || !score)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "facemesh: the model has no 1404-value and 1-value outputs");
    /* Human's transformRawCoords without rotation: the crop's pixels scaled onto the box */
    double k = crop.width / FK__HUMAN_CROP, cx = crop.x + crop.width / 2, cy = crop.y + crop.height / 2;
    for (int i = 0; i < FK_MESH_POINTS; i++) {
        out->points[i].x = cx + k * (pts[3 * i] - FK__HUMAN_CROP / 2.0);
        out->points[i].y = cy + k * (pts[3 * i + 1] - FK__HUMAN_CROP / 2.0);
        out->points[i].z = k * pts[3 * i + 2];
    }
    out->score = score[0];
    out->crop = crop;
    return FK_OK;
}

fk_status fk_face_liveness(fk_session *s, const fk_image *img, const fk_face *face, fk_liveness *out)
{
    fk_status st = check_args(s, img, face, out, "fk_face_liveness");
    if (st != FK_OK)
        return st;
    memset(out, 0, sizeof *out);
    int has_a = s->models->human[FK__GM_ANTISPOOF] != NULL, has_l = s->models->human[FK__GM_LIVENESS] != NULL;
    if (!has_a && !has_l)
        return fk__session_fail(s, FK_E_BAD_STATE, "liveness needs the antispoof or the liveness model loaded");
    const float *x = fk__human_face_crop(s, img, face, &out->crop);
    if (!x)
        return s->err.status;
    out->live = 1;
    if (has_a) {
        fk__plan *p = run_resized(s, FK__GM_ANTISPOOF, x, 1.0f);
        const float *y = p ? fk__gm_output(p, fk__session_ginfo(s, FK__GM_ANTISPOOF), 1) : NULL;
        if (!y)
            return p ? fk__session_fail(s, FK_E_BAD_FORMAT, "antispoof: no 1-value output") : s->err.status;
        out->antispoof = y[0];
        out->has_antispoof = 1;
        out->live &= y[0] >= FK_ANTISPOOF_THRESHOLD;
    }
    if (has_l) {
        fk__plan *p = run_resized(s, FK__GM_LIVENESS, x, 1.0f);
        const float *y = p ? fk__gm_output(p, fk__session_ginfo(s, FK__GM_LIVENESS), 2) : NULL;
        if (!y)
            return p ? fk__session_fail(s, FK_E_BAD_FORMAT, "liveness: no 2-value output") : s->err.status;
        out->liveness = y[0]; /* Human's `live`: the first of the two probabilities */
        out->has_liveness = 1;
        out->live &= y[0] >= FK_LIVENESS_THRESHOLD;
    }
    return FK_OK;
}

const char *fk_emotion_name(int k)
{
    static const char *names[FK_EMOTION_COUNT] = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"};
    return k >= 0 && k < FK_EMOTION_COUNT ? names[k] : "?";
}

fk_status fk_face_emotion(fk_session *s, const fk_image *img, const fk_face *face, fk_emotion *out)
{
    fk_status st = check_args(s, img, face, out, "fk_face_emotion");
    if (st != FK_OK)
        return st;
    fk__plan *plan = fk__session_gplan(s, FK__GM_EMOTION);
    if (!plan)
        return s->err.status;
    const fk__tfgraph_info *info = fk__session_ginfo(s, FK__GM_EMOTION);
    int h = info->input_h, w = info->input_w;
    if (!input_ok(s, info, 1, "emotion"))
        return s->err.status;
    const float *x = fk__human_face_crop(s, img, face, NULL);
    if (!x)
        return s->err.status;
    float *rgb = fk__session_input(s, (size_t)h * w * 3);
    if (!rgb)
        return FK_E_NO_MEMORY;
    fk__resize_bilinear_tf(x, FK__HUMAN_CROP, FK__HUMAN_CROP, h, w, rgb);
    float *in = fk__plan_input(plan);
    for (size_t i = 0; i < (size_t)h * w; i++) {
        /* in float32 as tfjs: mul by constants.rgb, sum over channels, - 0.5, * 2 */
        float g = rgb[3 * i] * 0.2989f + rgb[3 * i + 1] * 0.5870f + rgb[3 * i + 2] * 0.1140f;
        in[i] = (g - 0.5f) * 2.0f;
    }
    fk__plan_run_pool(plan, s->pool);
    const float *y = fk__gm_output(plan, info, FK_EMOTION_COUNT);
    if (!y)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "emotion: no 7-value output");
    out->best = 0;
    for (int k = 0; k < FK_EMOTION_COUNT; k++) {
        out->p[k] = y[k];
        if (y[k] > y[out->best])
            out->best = k;
    }
    return FK_OK;
}

const char *fk_race_name(int k)
{
    static const char *names[FK_RACE_COUNT] = {"white", "black", "asian", "indian", "other"};
    return k >= 0 && k < FK_RACE_COUNT ? names[k] : "?";
}

fk_status fk_face_gear(fk_session *s, const fk_image *img, const fk_face *face, fk_gear *out)
{
    fk_status st = check_args(s, img, face, out, "fk_face_gear");
    if (st != FK_OK)
        return st;
    fk__plan *plan = fk__session_gplan(s, FK__GM_GEAR);
    if (!plan)
        return s->err.status;
    const fk__tfgraph_info *info = fk__session_ginfo(s, FK__GM_GEAR);
    if (!input_ok(s, info, 3, "gear"))
        return s->err.status;
    const float *x = fk__human_face_crop(s, img, face, NULL);
    if (!x)
        return s->err.status;
    /* Human's empirical box: top 0, left 0.1, bottom 0.9, right 0.9 of the crop */
    fk__crop_and_resize_f(x, FK__HUMAN_CROP, FK__HUMAN_CROP, 0.0, 0.10, 0.90, 0.90, info->input_h, info->input_w,
                          fk__plan_input(plan));
    fk__plan_run_pool(plan, s->pool);
    const float *age = fk__gm_output(plan, info, 7), *gender = fk__gm_output(plan, info, 2);
    const float *race = fk__gm_output(plan, info, FK_RACE_COUNT);
    if (!age || !gender || !race)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "gear: the model has no 7-, 2- and 5-value outputs");
    out->gender = gender[0] > gender[1] ? FK_GENDER_MALE : FK_GENDER_FEMALE;
    out->gender_probability = gender[0] > gender[1] ? gender[0] : gender[1];
    out->best_race = 0;
    for (int k = 0; k < FK_RACE_COUNT; k++) {
        out->race[k] = race[k];
        if (race[k] > race[out->best_race])
            out->best_race = k;
    }
    /* Human: start at the likeliest class's age, then move towards each other class by its weight,
     * most likely first */
    static const float weights[7] = {15, 23, 28, 35.5f, 45.5f, 55.5f, 65};
    int order[7] = {0, 1, 2, 3, 4, 5, 6};
    for (int i = 1; i < 7; i++)
        for (int j = i; j > 0 && age[order[j]] > age[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double a = weights[order[0]];
    for (int i = 1; i < 7; i++)
        a += age[order[i]] * (weights[order[i]] - a);
    out->age = (float)a;
    return FK_OK;
}

fk_status fk__human_describe(fk_session *s, const fk_image *img, fk_face *face)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || !face)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_descriptor: NULL argument");
    fk__gm_kind kind = FK__GM_FACERES;
    fk_box crop;
    const float *x = fk__human_face_crop(s, img, face, &crop);
    if (!x)
        return s->err.status;
    fk__plan *plan = run_resized(s, kind, x, kind == FK__GM_FACERES ? 255.0f : 1.0f);
    if (!plan)
        return s->err.status;
    const fk__tfgraph_info *info = fk__session_ginfo(s, kind);
    /* FaceRes gives gender (1), age (100) and the descriptor (1024); MobileFaceNet one vector */
    const float *d = NULL;
    int dim = 0;
    for (int k = 0; k < info->n_outputs; k++) {
        fk__shape sh;
        const float *y = fk__plan_output(plan, k, &sh);
        int n = sh.h * sh.w * sh.c;
        if (n > dim && n <= FK_DESCRIPTOR_MAX && n != 100) {
            d = y;
            dim = n;
        }
    }
    if (!d || dim < 64)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "the embedder has no descriptor output (64 to %d values)",
                                FK_DESCRIPTOR_MAX);
    memcpy(face->descriptor, d, sizeof(float) * (size_t)dim);
    face->descriptor_dim = dim;
    face->has_descriptor = 1;
    face->embedder = s->embedder;
    face->descriptor_crop = crop;
    return FK_OK;
}
