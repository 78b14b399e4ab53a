/* analysis.c: fk_face_mesh, fk_face_liveness, fk_face_emotion and fk_face_gear on Human's face crop, with Human's pre- and post-processing. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "face/align_internal.h"
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

/* Human's iris.ts (augmentIris), on the raw mesh in the 192 x 192 crop's pixels. The mesh's eye
 * annotations (facemeshcoords.ts) and which of the iris model's 76 points each takes. */
#define IRIS_OUT 76
#define IRIS_FIRST 71 /* the last 5 of the 76 are the iris */
static const struct {
    int n, iris[9], left[9], right[9];
} eye_parts[] = {
    {7, {9, 10, 11, 12, 13, 14, 15}, {466, 388, 387, 386, 385, 384, 398}, {246, 161, 160, 159, 158, 157, 173}},
    {7, {25, 26, 27, 28, 29, 30, 31}, {467, 260, 259, 257, 258, 286, 414}, {247, 30, 29, 27, 28, 56, 190}},
    {7, {41, 42, 43, 44, 45, 46, 47}, {342, 445, 444, 443, 442, 441, 413}, {113, 225, 224, 223, 222, 221, 189}},
    {9, {0, 1, 2, 3, 4, 5, 6, 7, 8}, {263, 249, 390, 373, 374, 380, 381, 382, 362}, {33, 7, 163, 144, 145, 153, 154, 155, 133}},
    {9, {16, 17, 18, 19, 20, 21, 22, 23, 24}, {359, 255, 339, 254, 253, 252, 256, 341, 463},
     {130, 25, 110, 24, 23, 22, 26, 112, 243}},
    {9, {32, 33, 34, 35, 36, 37, 38, 39, 40}, {446, 261, 448, 449, 450, 451, 452, 453, 464},
     {226, 31, 228, 229, 230, 231, 232, 233, 244}},
    {9, {54, 55, 56, 57, 58, 59, 60, 61, 62}, {372, 340, 346, 347, 348, 349, 350, 357, 465},
     {143, 111, 117, 118, 119, 120, 121, 128, 245}},
    {8, {63, 64, 65, 66, 67, 68, 69, 70}, {383, 300, 293, 334, 296, 336, 285, 417}, {156, 70, 63, 105, 66, 107, 55, 193}},
    {6, {48, 49, 50, 51, 52, 53}, {265, 353, 276, 283, 282, 295}, {35, 124, 46, 53, 52, 65}},
};
enum { PART_UPPER0 = 0, PART_LOWER0 = 3, PART_COUNT = sizeof eye_parts / sizeof eye_parts[0] };

/* The iris model on one eye: the box of its two corners enlarged 2.3 times and squared (rounded
 * corners, as squarifyBox), cut from the face crop to the model's input (mirrored for the left
 * eye), its 76 points mapped back into the crop's pixels. */
static fk_status one_eye(fk_session *s, const float *face, const float raw[][3], int a, int b, bool flip,
                         float eye[IRIS_OUT][3])
{
    fk__plan *plan = fk__session_gplan(s, FK__GM_IRIS);
    if (!plan)
        return s->err.status;
    const fk__tfgraph_info *info = fk__session_ginfo(s, FK__GM_IRIS);
    if (info->input_c != 3 || info->input_h != info->input_w || info->input_h < 8)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "iris: input %dx%dx%d, not square RGB", info->input_h,
                                info->input_w, info->input_c);
    const float *y = NULL;
    double x0 = fmin(raw[a][0], raw[b][0]), x1 = fmax(raw[a][0], raw[b][0]);
    double y0 = fmin(raw[a][1], raw[b][1]), y1 = fmax(raw[a][1], raw[b][1]);
    double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, hw = 2.3 * (x1 - x0) / 2, hh = 2.3 * (y1 - y0) / 2;
    double half = fmax(hw, hh); /* enlargeBox, then squarifyBox about the same centre */
    double sx = round(cx - half), sy = round(cy - half), ex = round(cx + half), ey = round(cy + half);
    int n = info->input_h;
    float *in = fk__plan_input(plan);
    fk__crop_and_resize_f(face, FK__HUMAN_CROP, FK__HUMAN_CROP, sy / FK__HUMAN_CROP, sx / FK__HUMAN_CROP,
                          ey / FK__HUMAN_CROP, ex / FK__HUMAN_CROP, n, n, in);
    if (flip) /* tf.image.flipLeftRight */
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n / 2; c++)
                for (int k = 0; k < 3; k++) {
                    float *p = in + ((size_t)r * n + c) * 3 + k, *q = in + ((size_t)r * n + (n - 1 - c)) * 3 + k;
                    float t = *p;
                    *p = *q;
                    *q = t;
                }
    fk__plan_run_pool(plan, s->pool);
    y = fk__gm_output(plan, info, IRIS_OUT * 3);
    if (!y)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "iris: the model has no %d-value output", IRIS_OUT * 3);
    double w = ex - sx, h = ey - sy;
    for (int i = 0; i < IRIS_OUT; i++) {
        double u = y[3 * i] / n;
        eye[i][0] = (float)((flip ? 1 - u : u) * w + sx);
        eye[i][1] = (float)(y[3 * i + 1] / n * h + sy);
        eye[i][2] = y[3 * i + 2];
    }
    return FK_OK;
}

/* The eye's contours in raw take the iris model's points (z the mean of both); which contours
 * depends on where the face looks, as Human decides it. */
static void replace_parts(float raw[][3], const float eye[IRIS_OUT][3], bool left, bool lids_only)
{
    for (int p = 0; p < PART_COUNT; p++) {
        if (lids_only && p != PART_UPPER0 && p != PART_LOWER0)
            continue;
        for (int j = 0; j < eye_parts[p].n; j++) {
            int m = left ? eye_parts[p].left[j] : eye_parts[p].right[j], e = eye_parts[p].iris[j];
            raw[m][0] = eye[e][0];
            raw[m][1] = eye[e][1];
            raw[m][2] = (eye[e][2] + raw[m][2]) / 2;
        }
    }
}

static fk_status augment_iris(fk_session *s, const float *face, float raw[][3], float iris[][3])
{
    float left[IRIS_OUT][3], right[IRIS_OUT][3];
    fk_status st = one_eye(s, face, raw, 263, 362, true, left);
    if (st == FK_OK)
        st = one_eye(s, face, raw, 33, 133, false, right);
    if (st != FK_OK)
        return st;
    double depth = raw[263][2] - raw[33][2]; /* left against right eye corner */
    if (fabs(depth) < 30) { /* looking straight ahead */
        replace_parts(raw, left, true, false);
        replace_parts(raw, right, false, false);
    } else if (depth < 1) { /* looking to the right */
        replace_parts(raw, left, true, true);
    } else {
        replace_parts(raw, right, false, true);
    }
    /* the iris's z from the lids around it (the model's own z is unreliable, Human says) */
    for (int e = 0; e < 2; e++) {
        const float(*src)[3] = e == 0 ? left : right;
        int up = e == 0 ? eye_parts[PART_UPPER0].left[3] : eye_parts[PART_UPPER0].right[3];
        int lo = e == 0 ? eye_parts[PART_LOWER0].left[4] : eye_parts[PART_LOWER0].right[4];
        float zu = raw[up][2], zl = raw[lo][2], zm = (zu + zl) / 2;
        for (int i = 0; i < FK_IRIS_POINTS; i++) {
            float *o = iris[e * FK_IRIS_POINTS + i];
            o[0] = src[IRIS_FIRST + i][0];
            o[1] = src[IRIS_FIRST + i][1];
            o[2] = i == 2 ? zu : i == 4 ? zl : zm;
        }
    }
    return FK_OK;
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
    /* the raw points, in the crop's pixels: the iris model refines some before they are mapped */
    float raw[FK_MESH_POINTS][3], iris[2 * FK_IRIS_POINTS][3];
    memcpy(raw, pts, sizeof raw);
    out->has_iris = 0;
    if (s->models->human[FK__GM_IRIS]) {
        if ((st = augment_iris(s, x, raw, iris)) != FK_OK)
            return st;
        out->has_iris = 1;
    }
    /* Human's transformRawCoords without rotation: the crop's pixels scaled onto the box */
    double k = crop.width / FK__HUMAN_CROP, cx = crop.x + crop.width / 2, cy = crop.y + crop.height / 2;
    for (int i = 0; i < FK_MESH_POINTS; i++) {
        out->points[i].x = cx + k * (raw[i][0] - FK__HUMAN_CROP / 2.0);
        out->points[i].y = cy + k * (raw[i][1] - FK__HUMAN_CROP / 2.0);
        out->points[i].z = k * raw[i][2];
    }
    for (int i = 0; out->has_iris && i < 2 * FK_IRIS_POINTS; i++) {
        out->iris[i].x = cx + k * (iris[i][0] - FK__HUMAN_CROP / 2.0);
        out->iris[i].y = cy + k * (iris[i][1] - FK__HUMAN_CROP / 2.0);
        out->iris[i].z = k * iris[i][2];
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

fk_status fk__mobilefacenet_describe(fk_session *s, const fk_image *img, fk_face *face)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || !face)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_descriptor: NULL argument");
    if (!face->has_landmarks || face->landmark_count != 68)
        return fk__session_fail(s, FK_E_BAD_STATE,
                                "mobilefacenet needs the face's 68 landmarks (its chip is aligned on the eye "
                                "centres, nose tip and mouth corners; dlib's 5 points have no mouth)");
    fk__plan *plan = fk__session_gplan(s, FK__GM_MOBILEFACENET);
    if (!plan)
        return s->err.status;
    const fk__tfgraph_info *info = fk__session_ginfo(s, FK__GM_MOBILEFACENET);
    if (info->input_h != 112 || info->input_w != 112 || info->input_c != 3)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "mobilefacenet: input %dx%dx%d, not 112x112x3", info->input_h,
                                info->input_w, info->input_c);
    fk_point p5[5];
    fk_points5_from_68(face->landmarks, p5);
    fk__chip chip;
    fk_error e;
    fk_status st = fk__arcface_chip(p5, &chip, &e);
    if (st != FK_OK)
        return fk__session_take(s, st, &e);
    float *in = fk__plan_input(plan);
    if ((st = fk__chip_sample(img, &chip, in)) != FK_OK)
        return fk__session_fail(s, st, "mobilefacenet: out of memory sampling the chip");
    for (size_t i = 0; i < 112 * 112 * 3; i++)
        in[i] = (in[i] - 127.5f) / 128.0f;
    fk__plan_run_pool(plan, s->pool);
    const float *d = fk__gm_output(plan, info, 192);
    if (!d)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "mobilefacenet: the model has no 192-value output");
    memcpy(face->descriptor, d, sizeof(float) * 192);
    face->descriptor_dim = 192;
    face->has_descriptor = 1;
    face->embedder = s->embedder;
    fk__chip_footprint(&chip, &face->descriptor_crop);
    return FK_OK;
}
