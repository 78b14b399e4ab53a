/* descriptor.c: fk_face_descriptor: face-api's "dlib" crop or dlib's chip, then the 128-D ResNet, or a model trained by facekit train. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "facekit/train.h"
#include "face/align_internal.h"
#include "face/dlib/dlib_nets.h"
#include "face/jitter.h"
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

static void mirror(float *px, int n)
{
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n / 2; x++)
            for (int c = 0; c < 3; c++) {
                float *l = px + ((size_t)y * (size_t)n + (size_t)x) * 3 + c;
                float *r = px + ((size_t)y * (size_t)n + (size_t)(n - 1 - x)) * 3 + c;
                float t = *l;
                *l = *r;
                *r = t;
            }
}

/* One run of the session's embedder on its RGB input (150x150, 0..255) into out. The net's own
 * input buffer may be reused by its layers, so each run normalises afresh. */
static fk_status run_net(fk_session *s, float out[FK_DESCRIPTOR_DIM])
{
    if (s->embedder == FK_EMBEDDER_DLIB)
        return fk__dlib_embed_run(s, out);
    fk__plan *plan = fk__session_plan(s, FK__NET_RECOGNITION);
    if (!plan)
        return s->err.status;
    fk__net_normalize(FK__NET_RECOGNITION, s->input, fk__plan_input(plan), (size_t)150 * 150);
    fk__plan_run_pool(plan, s->pool);
    memcpy(out, fk__plan_output(plan, 0, NULL), FK_DESCRIPTOR_DIM * sizeof(float));
    return FK_OK;
}

/* run_net, and with the session's flip on, again on the input mirrored left to right, and the
 * mean of the two. */
static fk_status run_descriptor(fk_session *s, float out[FK_DESCRIPTOR_DIM])
{
    fk_status st = run_net(s, out);
    if (st != FK_OK || !s->flip)
        return st;
    float o2[FK_DESCRIPTOR_DIM];
    mirror(s->input, 150);
    if ((st = run_net(s, o2)) != FK_OK)
        return st;
    for (int k = 0; k < FK_DESCRIPTOR_DIM; k++)
        out[k] = (out[k] + o2[k]) * 0.5f;
    return FK_OK;
}

/* The session's embedder ResNet planned for at least n chips and set to run n (kept, and reused for
 * any smaller batch, while the embedder stays). */
static fk__plan *batch_plan(fk_session *s, int n)
{
    if (s->embed_batch && s->embed_batch_n >= n && s->embed_batch_for == s->embedder) {
        fk__plan_set_run_batch(s->embed_batch, n);
        return s->embed_batch;
    }
    const fk__graph *g = NULL;
    if (s->embedder == FK_EMBEDDER_DLIB) {
        if (!(g = s->models->dlib_resnet)) {
            fk__session_fail(s, FK_E_BAD_STATE, "dlib's ResNet (dlib-resnet) was not loaded (FK_NET_DLIB_RESNET)");
            return NULL;
        }
    } else {
        const fk__net *net = s->models->nets[FK__NET_RECOGNITION];
        if (!net || !fk__session_plan(s, FK__NET_RECOGNITION))
            return NULL; /* the error names the missing net */
        g = net->graph;
    }
    fk__plan_free(s->embed_batch);
    s->embed_batch = NULL;
    fk_error e;
    if (fk__plan_new_threads(g, n, s->kernels, s->threads, &s->embed_batch, &e) != FK_OK) {
        fk__session_take(s, e.status, &e);
        return NULL;
    }
    s->embed_batch_n = n;
    s->embed_batch_for = s->embedder;
    return s->embed_batch;
}

/* Value j of a chip's descriptor in a batch output d: with flip on (per 2) the mean of the chip's
 * and its mirror image's, which follow each other. */
static float pair_mean(const float *d, int per, int j)
{
    return per == 2 ? (d[j] + d[FK_DESCRIPTOR_DIM + j]) * 0.5f : d[j];
}

/* The session's 150x150 RGB input (0..255) as the embedder's input at dst. */
static void embed_input(const fk_session *s, float *dst)
{
    if (s->embedder == FK_EMBEDDER_DLIB)
        fk__dlib_resnet_input_f(s->input, dst);
    else
        fk__net_normalize(FK__NET_RECOGNITION, s->input, dst, (size_t)150 * 150);
}

/* dlib's num_jitters: the mean of the descriptors of n jittered copies of the chip in the
 * session's input (the chip itself is not one of them, as in dlib). The copies (and their mirror
 * images with flip on) run as one batch: each descriptor is what run_descriptor gives it alone,
 * bitwise (every kernel computes a sample as it would at batch 1). */
static fk_status run_jittered(fk_session *s, float out[FK_DESCRIPTOR_DIM])
{
    const size_t chip_floats = (size_t)150 * 150 * 3;
    int per = s->flip ? 2 : 1, n = s->jitter * per;
    fk__plan *plan = batch_plan(s, n);
    if (!plan)
        return s->err.status;
    fk_image *chip = NULL;
    fk_error e;
    if (fk_image_new(150, 150, &chip, &e) != FK_OK)
        return fk__session_take(s, e.status, &e);
    for (int y = 0; y < 150; y++)
        for (int x = 0; x < 150 * 3; x++)
            chip->data[(size_t)y * chip->stride + (size_t)x] = (uint8_t)s->input[(size_t)y * 450 + (size_t)x];
    fk__dlib_rand r;
    fk__dlib_rand_init(&r, s->jitter_seed);
    float *in = fk__plan_input(plan);
    fk_status st = FK_OK;
    for (int i = 0; i < s->jitter && st == FK_OK; i++) {
        if ((st = fk__jitter_chip(chip, &r, s->input)) != FK_OK) {
            st = fk__session_fail(s, st, "out of memory jittering a face chip");
            break;
        }
        for (int f = 0; f < per; f++) {
            if (f == 1)
                mirror(s->input, 150);
            embed_input(s, in + (size_t)(i * per + f) * chip_floats);
        }
    }
    fk_image_free(chip);
    if (st != FK_OK)
        return st;
    fk__plan_run_pool(plan, s->pool);
    const float *y = fk__plan_output(plan, 0, NULL);
    double acc[FK_DESCRIPTOR_DIM] = {0};
    for (int i = 0; i < s->jitter; i++) {
        const float *d = y + (size_t)i * per * FK_DESCRIPTOR_DIM;
        for (int k = 0; k < FK_DESCRIPTOR_DIM; k++)
            acc[k] += pair_mean(d, per, k);
    }
    for (int k = 0; k < FK_DESCRIPTOR_DIM; k++)
        out[k] = (float)(acc[k] / s->jitter);
    return FK_OK;
}

/* dlib's aligned chip (150x150, padding 0.25, from the 68 or 5 landmarks) into the session's input. */
static fk_status chip_input(fk_session *s, const fk_image *img, fk_face *face, fk_box *crop)
{
    fk__chip chip;
    fk_error e;
    if (fk__face_dlib_chip(face, &chip, &e) != FK_OK)
        return fk__session_take(s, e.status, &e);
    if (!fk__session_input(s, 150 * 150 * 3))
        return FK_E_NO_MEMORY;
    if (fk__chip_sample(img, &chip, s->input) != FK_OK)
        return fk__session_fail(s, FK_E_NO_MEMORY, "out of memory extracting a face chip");
    fk__chip_footprint(&chip, crop);
    return FK_OK;
}

/* The descriptor of dlib's aligned chip. */
static fk_status describe_chip(fk_session *s, const fk_image *img, fk_face *face)
{
    fk_box crop;
    fk_status st = chip_input(s, img, face, &crop);
    if (st != FK_OK)
        return st;
    st = s->jitter > 1 ? run_jittered(s, face->descriptor) : run_descriptor(s, face->descriptor);
    if (st != FK_OK)
        return st;
    face->has_descriptor = 1;
    face->descriptor_crop = crop;
    return FK_OK;
}

fk_status fk__face_dlib_chip(const fk_face *face, fk__chip *chip, fk_error *err)
{
    if (face->landmark_count == 5)
        return fk__dlib_chip_n(face->landmarks, 5, 150, 0.25, chip, err);
    return fk__dlib_chip(face->landmarks, 150, 0.25, chip, err);
}

void fk__chip_footprint(const fk__chip *chip, fk_box *crop)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int k = 0; k < 4; k++) {
        fk_point p = fk_affine_apply(&chip->to_image, (fk_point){(k & 1) ? chip->size - 1 : 0, (k & 2) ? chip->size - 1 : 0});
        x0 = fmin(x0, p.x), y0 = fmin(y0, p.y), x1 = fmax(x1, p.x), y1 = fmax(y1, p.y);
    }
    *crop = (fk_box){x0, y0, x1 - x0, y1 - y0};
}

static fk_status describe(fk_session *s, const fk_image *img, fk_face *face);

/* A trained embedder: its head on the base's descriptor, or its CNN on dlib's chip at its size. */
static fk_status describe_trained(fk_session *s, const fk_image *img, fk_face *face)
{
    int h, w, c;
    size_t n = (size_t)fk_tnet_input(s->tnet, &h, &w, &c);
    fk_error e = {0};
    fk_status st;
    if (s->tnet_base[0]) {
        if ((st = describe(s, img, face)) != FK_OK)
            return st;
        face->has_descriptor = 0;
        if (!fk__session_input(s, n))
            return FK_E_NO_MEMORY;
        memcpy(s->input, face->descriptor, n * sizeof(float));
    } else {
        if (!fk__session_input(s, n))
            return FK_E_NO_MEMORY;
        int np = face->landmark_count == 5 ? 5 : 68;
        if ((st = fk_train_chip(img, face->landmarks, np, h, s->input, &e)) != FK_OK)
            return fk__session_take(s, st, &e);
        fk__chip chip;
        if (fk__face_dlib_chip(face, &chip, &e) == FK_OK)
            fk__chip_footprint(&chip, &face->descriptor_crop);
    }
    const float *out;
    if ((st = fk_tnet_forward(s->tnet, s->input, 1, 0, &out, &e)) != FK_OK)
        return fk__session_take(s, st, &e);
    memcpy(face->descriptor, out, FK_DESCRIPTOR_DIM * sizeof(float));
    face->has_descriptor = 1;
    return FK_OK;
}

fk_status fk_face_descriptor(fk_session *s, const fk_image *img, fk_face *face)
{
    fk_status st;
    if (s && !s->tnet_active && s->embedder == FK_EMBEDDER_FACERES)
        return fk__human_describe(s, img, face); /* Human's crop from the box: no landmarks needed */
    if (s && !s->tnet_active && s->embedder == FK_EMBEDDER_MOBILEFACENET)
        return fk__mobilefacenet_describe(s, img, face); /* the ArcFace chip from the landmarks */
    if (s && s->tnet_active && img && img->data && face && face->has_landmarks)
        st = describe_trained(s, img, face);
    else
        st = describe(s, img, face);
    if (st == FK_OK) {
        face->descriptor_dim = FK_DESCRIPTOR_DIM;
        face->embedder = s->tnet_active ? FK_EMBEDDER_TRAINED : s->embedder;
    }
    return st;
}

/* face-api's "dlib" crop (axis-aligned, from the eyes and mouth) into the session's input. */
static fk_status crop_input(fk_session *s, const fk_image *img, const fk_face *face, fk_box *crop)
{
    double rect[4];
    dlib_rect(face, img->width, img->height, rect);
    fk__irect r;
    if (!fk__clip_box(rect[0], rect[1], rect[2], rect[3], img->width, img->height, &r))
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "the face's descriptor crop lies outside the image");
    const int size = 150;
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__net_input(img, r, size, true, s->input);
    *crop = (fk_box){r.x, r.y, r.w, r.h};
    return FK_OK;
}

/* Whether the face is described on dlib's chip (else on face-api's crop). */
static bool on_chip(const fk_session *s, const fk_face *face)
{
    return s->crop == FK_CROP_DLIB_CHIP || s->embedder == FK_EMBEDDER_DLIB || face->landmark_count == 5;
}

static fk_status describe(fk_session *s, const fk_image *img, fk_face *face)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || !face)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_descriptor: NULL argument");
    if (!face->has_landmarks)
        return fk__session_fail(s, FK_E_BAD_STATE, "a descriptor needs the face's landmarks first");
    if (on_chip(s, face))
        return describe_chip(s, img, face);
    if (s->jitter > 1)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "jitter needs dlib's chip (not face-api's crop)");
    fk_box crop;
    fk_status st = crop_input(s, img, face, &crop);
    if (st != FK_OK || (st = run_descriptor(s, face->descriptor)) != FK_OK)
        return st;
    face->has_descriptor = 1;
    face->descriptor_crop = crop;
    return FK_OK;
}

/* Faces a batch of fk_faces_descriptors holds at most: bench_stages's table of the net alone at
 * batch 1/4/8/16 gave 5.48/4.89/4.77/4.71 ms a face (one thread), so little is left past 8, and a
 * batch's activations grow with it. */
#define FK__DESCRIBE_BATCH 8

/* Runs the batch of the faces at idx[0..k) whose inputs fill the plan (per inputs each). */
static void finish_batch(fk_session *s, fk__plan *plan, fk_face *faces, const size_t *idx, const fk_box *crops,
                         int k, int per)
{
    fk__plan_set_run_batch(plan, k * per);
    fk__plan_run_pool(plan, s->pool);
    const float *y = fk__plan_output(plan, 0, NULL);
    for (int i = 0; i < k; i++) {
        fk_face *f = &faces[idx[i]];
        const float *d = y + (size_t)i * per * FK_DESCRIPTOR_DIM;
        for (int j = 0; j < FK_DESCRIPTOR_DIM; j++)
            f->descriptor[j] = pair_mean(d, per, j);
        f->has_descriptor = 1;
        f->descriptor_crop = crops[i];
        f->descriptor_dim = FK_DESCRIPTOR_DIM;
        f->embedder = s->embedder;
    }
}

fk_status fk_faces_descriptors(fk_session *s, const fk_image *img, fk_face *faces, size_t n)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!img || !img->data || (n && !faces))
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_faces_descriptors: NULL argument");
    fk_status first = FK_OK, st;
    size_t ready = 0;
    for (size_t i = 0; i < n; i++)
        ready += faces[i].has_landmarks != 0;
    /* one face, jitter (already a batch per face), a trained net or Human's embedders: one at a time */
    bool batched = ready > 1 && !s->tnet_active && s->jitter <= 1 &&
                   (s->embedder == FK_EMBEDDER_FACEAPI || s->embedder == FK_EMBEDDER_DLIB);
    int per = s->flip ? 2 : 1, cap = ready < FK__DESCRIBE_BATCH ? (int)ready : FK__DESCRIBE_BATCH;
    fk__plan *plan = batched ? batch_plan(s, cap * per) : NULL;
    if (batched && !plan)
        return s->err.status; /* the net is missing: every face would fail the same */
    size_t idx[FK__DESCRIBE_BATCH];
    fk_box crops[FK__DESCRIBE_BATCH];
    fk_error first_err = {0};
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        fk_face *f = &faces[i];
        f->has_descriptor = 0;
        bool in_batch = plan && f->has_landmarks; /* else fk_face_descriptor does it all, or says why not */
        if (!in_batch)
            st = fk_face_descriptor(s, img, f);
        else
            st = on_chip(s, f) ? chip_input(s, img, f, &crops[k]) : crop_input(s, img, f, &crops[k]);
        if (st != FK_OK && first == FK_OK) {
            first = st;
            first_err = s->err; /* later failures must not replace its message */
        }
        if (!in_batch || st != FK_OK)
            continue;
        float *in = fk__plan_input(plan) + (size_t)k * per * 150 * 150 * 3;
        embed_input(s, in);
        if (per == 2) {
            mirror(s->input, 150);
            embed_input(s, in + (size_t)150 * 150 * 3);
        }
        idx[k++] = i;
        if (k == cap) {
            finish_batch(s, plan, faces, idx, crops, k, per);
            k = 0;
        }
    }
    if (k)
        finish_batch(s, plan, faces, idx, crops, k, per);
    if (first != FK_OK)
        s->err = first_err;
    return first;
}
