/* ert_predict.c: the ERT cascade as dlib's shape_predictor runs it: feature pixels placed by a similarity transform, tree walks, shape updates. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "face/ert/ert_model.h"
#include "facekit/align.h"

/* Arithmetic follows dlib/image_processing/shape_predictor.h step by step, so that points agree
 * with dlib's to the pixel:
 *  - each level starts from the least-squares similarity transform from the initial shape to
 *    the current one (computed in double, then its 2x2 matrix rounded to float);
 *  - feature pixel f of the level is (t * delta_f) + current[anchor_f] in float, mapped to the
 *    image by the box's affine map (unit square onto the box's corner pixels) in double and
 *    rounded with floor(v + 0.5); outside the image it reads 0, inside it is the pixel's
 *    grayscale (r + g + b) / 3 in integers (dlib's rgb to gray assign_pixel);
 *  - a tree goes left when pixel[idx1] - pixel[idx2] > thresh (floats), and its leaf is added
 *    to the current shape in float, tree after tree. */

typedef struct sampler {
    const uint8_t *data;
    int width, height;
    size_t stride;
    int rgb; /* 3 bytes per pixel (RGB8), else 1 (gray) */
} sampler;

/* The map from the model's unit square to the image: x' = ox + sx * x, y' = oy + sy * y. */
typedef struct box_map {
    double ox, oy, sx, sy;
} box_map;

/* The least-squares similarity from `from` to `to` (n points), as dlib's
 * find_similarity_transform gives it (Umeyama, no reflection), its matrix [a -b; b a] rounded
 * to float. One point, or coinciding points, give dlib's answers (identity, and the identity
 * rotation scaled by 1 around the means). */
static void shape_tform(const float *from, const float *to, int n, float t[4])
{
    t[0] = 1, t[1] = 0, t[2] = 0, t[3] = 1;
    if (n < 2)
        return;
    double fx = 0, fy = 0, tx = 0, ty = 0;
    for (int i = 0; i < n; i++) {
        fx += from[2 * i];
        fy += from[2 * i + 1];
        tx += to[2 * i];
        ty += to[2 * i + 1];
    }
    fx /= n, fy /= n, tx /= n, ty /= n;
    double dot = 0, cross = 0, norm = 0;
    for (int i = 0; i < n; i++) {
        double x = from[2 * i] - fx, y = from[2 * i + 1] - fy, u = to[2 * i] - tx, v = to[2 * i + 1] - ty;
        dot += x * u + y * v;
        cross += x * v - y * u;
        norm += x * x + y * y;
    }
    if (norm == 0)
        return;
    double a = dot / norm, b = cross / norm;
    t[0] = (float)a;
    t[1] = (float)-b;
    t[2] = (float)b;
    t[3] = (float)a;
}

/* The pixel values of one level's features for the current shape. Addresses come first, each
 * pixel prefetched, and the reads after: the pixels lie scattered over the face, mostly outside
 * L1 and L2, and one pass that computes and reads in turn waits on each miss. `addr` has room
 * for num_features pointers. */
static void feature_pixels(const fk_ert *m, const fk__ert_forest *fo, const sampler *s, const box_map *bm,
                           const float *cur, const uint8_t **addr, float *fv)
{
    float t[4];
    shape_tform(m->initial, cur, m->num_parts, t);
    const size_t bpp = s->rgb ? 3 : 1;
    for (uint32_t i = 0; i < fo->num_features; i++) {
        const float dx = fo->deltas[2 * i], dy = fo->deltas[2 * i + 1];
        const uint32_t a = fo->anchor[i];
        /* float, one rounding per operation, as dlib's matrix<float> expression */
        float px = t[0] * dx;
        px = px + t[1] * dy;
        px = px + cur[2 * a];
        float py = t[2] * dx;
        py = py + t[3] * dy;
        py = py + cur[2 * a + 1];
        /* dlib rounds with floor(v + 0.5); inside [0, size) that is the truncation, and the test
         * needs no floor() (a libm call without SSE4.1). NaN fails every comparison. */
        const double X = bm->ox + bm->sx * (double)px + 0.5;
        const double Y = bm->oy + bm->sy * (double)py + 0.5;
        const uint8_t *p = NULL;
        if (X >= 0 && Y >= 0 && X < s->width && Y < s->height) {
            p = s->data + (size_t)Y * s->stride + (size_t)X * bpp;
            __builtin_prefetch(p);
        }
        addr[i] = p;
    }
    /* outside the image reads 0, inside the pixel's grayscale (r + g + b) / 3 in integers (dlib's
     * rgb to gray assign_pixel) */
    if (s->rgb)
        for (uint32_t i = 0; i < fo->num_features; i++) {
            const uint8_t *p = addr[i];
            fv[i] = p ? (float)(((unsigned)p[0] + (unsigned)p[1] + (unsigned)p[2]) / 3u) : 0.0f;
        }
    else
        for (uint32_t i = 0; i < fo->num_features; i++)
            fv[i] = addr[i] ? (float)addr[i][0] : 0.0f;
}

static void add_leaf(float *restrict cur, const float *restrict leaf, size_t n)
{
    for (size_t k = 0; k < n; k++)
        cur[k] += leaf[k];
}

/* The leaf one tree's walk ends in. */
static inline const float *walk(const fk__ert_forest *fo, uint32_t t, const float *fv, size_t vals)
{
    const fk__ert_tree *tr = &fo->trees[t];
    uint32_t i = 0;
    /* indexed from the forest's list, not from a pointer offset first: a forest of trees without
     * splits has no list at all (splits is NULL) */
    while (i < tr->num_splits) {
        const fk__ert_split *sp = &fo->splits[tr->first_split + i];
        i = 2 * i + 2 - (uint32_t)(fv[sp->idx1] - fv[sp->idx2] > sp->thresh); /* no branch to mispredict */
    }
    return tr->leaves + (size_t)(i - tr->num_splits) * vals;
}

static inline void prefetch_leaf(const float *leaf, size_t bytes)
{
    for (size_t b = 0; b < bytes; b += 64)
        __builtin_prefetch((const char *)leaf + b);
    __builtin_prefetch((const char *)leaf + bytes - 1);
}

/* Faces in a group run the cascade side by side, level by level: the leaf loads of one face are
 * in flight while another's are added, which hides more of the memory latency than one face can
 * (a prediction reads about 7500 leaves of 544 bytes, scattered over 65 MB). */
#define GROUP 4

/* One face's state in a group: its box map, its current shape, and its feature values and their
 * pixel addresses. */
typedef struct face_run {
    box_map bm;
    float *cur, *fv;
    const uint8_t **addr;
} face_run;

/* A level runs in two passes over CHUNK trees at a time: first every tree is walked (the walks
 * read the level's splits in order, which the hardware prefetches), then the leaves are added,
 * each prefetched AHEAD additions before it is needed. The additions stay in tree order for each
 * face, so the float sums are dlib's. */
#define CHUNK 128
#define AHEAD 8

static void run_forest(const fk__ert_forest *fo, size_t vals, face_run *fr, int nf)
{
    const size_t bytes = vals * sizeof(float);
    const float *leaf[GROUP * CHUNK]; /* tree k of face j at k * nf + j: the order of the additions */
    for (uint32_t t0 = 0; t0 < fo->num_trees; t0 += CHUNK) {
        const uint32_t n = fo->num_trees - t0 < CHUNK ? fo->num_trees - t0 : CHUNK;
        const uint32_t total = n * (uint32_t)nf;
        for (int j = 0; j < nf; j++)
            for (uint32_t k = 0; k < n; k++) {
                const uint32_t at = k * (uint32_t)nf + (uint32_t)j;
                leaf[at] = walk(fo, t0 + k, fr[j].fv, vals);
                if (at < AHEAD)
                    prefetch_leaf(leaf[at], bytes);
            }
        for (uint32_t k = 0; k < total; k++) {
            if (k + AHEAD < total)
                prefetch_leaf(leaf[k + AHEAD], bytes);
            add_leaf(fr[k % (uint32_t)nf].cur, leaf[k], vals);
        }
    }
}

static void cascade(const fk_ert *m, const sampler *s, face_run *fr, int nf)
{
    const size_t vals = 2 * (size_t)m->num_parts;
    for (int j = 0; j < nf; j++)
        memcpy(fr[j].cur, m->initial, vals * sizeof(float));
    for (uint32_t f = 0; f < m->num_forests; f++) {
        for (int j = 0; j < nf; j++)
            feature_pixels(m, &m->forests[f], s, &fr[j].bm, fr[j].cur, fr[j].addr, fr[j].fv);
        run_forest(&m->forests[f], vals, fr, nf);
    }
}

#define COORD_MAX 1e7

bool fk__ert_box_valid(fk_box box)
{
    return isfinite(box.x) && isfinite(box.y) && isfinite(box.width) && isfinite(box.height) && box.width >= 1 &&
           box.height >= 1 && fabs(box.x) <= COORD_MAX && fabs(box.y) <= COORD_MAX && box.width <= COORD_MAX &&
           box.height <= COORD_MAX;
}

static fk_status check_box(fk_box box, fk_error *err)
{
    if (!fk__ert_box_valid(box))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ert_predict: bad box (%g, %g, %g x %g)", box.x, box.y,
                        box.width, box.height);
    return FK_OK;
}

/* The points of n faces, GROUP at a time; points holds n * num_parts. */
static fk_status run(const fk_ert *m, const sampler *s, const fk_box *boxes, size_t n, fk_point *points,
                     fk_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (check_box(boxes[i], err) != FK_OK)
            return FK_E_INVALID_ARGUMENT;
    /* per face: the shape and the feature values in floats, then the pixel addresses */
    const size_t vals = 2 * (size_t)m->num_parts;
    const size_t nfloat = (vals + m->max_features + 1) & ~(size_t)1; /* 8-byte aligned pointers next */
    const size_t per_face = nfloat * sizeof(float) + m->max_features * sizeof(uint8_t *); /* loader bounds: no overflow */
    const size_t need = GROUP * per_face;
    _Alignas(max_align_t) unsigned char stack[4 * 8192];
    unsigned char *scratch = stack;
    if (need > sizeof stack) {
        scratch = malloc(need);
        if (!scratch)
            return fk__fail(err, FK_E_NO_MEMORY, "fk_ert_predict: out of memory");
    }
    face_run fr[GROUP];
    for (int j = 0; j < GROUP; j++) {
        unsigned char *base = scratch + (size_t)j * per_face;
        fr[j].cur = (float *)(void *)base;
        fr[j].fv = fr[j].cur + vals;
        fr[j].addr = (const uint8_t **)(void *)(base + nfloat * sizeof(float));
    }
    for (size_t i0 = 0; i0 < n; i0 += GROUP) {
        const int nf = n - i0 < GROUP ? (int)(n - i0) : GROUP;
        for (int j = 0; j < nf; j++) {
            const fk_box b = boxes[i0 + (size_t)j];
            /* dlib's unnormalizing_tform: (0,0) to the top-left corner pixel, (1,1) to the bottom-right */
            fr[j].bm = (box_map){b.x, b.y, b.width - 1, b.height - 1};
        }
        cascade(m, s, fr, nf);
        for (int j = 0; j < nf; j++) {
            fk_point *pt = points + (i0 + (size_t)j) * (size_t)m->num_parts;
            for (int i = 0; i < m->num_parts; i++) {
                pt[i].x = fr[j].bm.ox + fr[j].bm.sx * (double)fr[j].cur[2 * i];
                pt[i].y = fr[j].bm.oy + fr[j].bm.sy * (double)fr[j].cur[2 * i + 1];
            }
        }
    }
    if (scratch != stack)
        free(scratch);
    return FK_OK;
}

/* The points of n faces on an RGB image; `fn` names the caller in messages. */
static fk_status run_rgb(const char *fn, const fk_ert *m, const fk_image *img, const fk_box *boxes, size_t n,
                         fk_point *points, fk_error *err)
{
    if (!m || !img || (n && (!boxes || !points)))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (!img->data || img->width <= 0 || img->height <= 0 || img->stride < (size_t)img->width * 3)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: invalid image", fn);
    sampler s = {img->data, img->width, img->height, img->stride, 1};
    return run(m, &s, boxes, n, points, err);
}

fk_status fk_ert_predict(const fk_ert *m, const fk_image *img, fk_box box, fk_point *points, fk_error *err)
{
    return run_rgb("fk_ert_predict", m, img, &box, 1, points, err);
}

fk_status fk_ert_predict_many(const fk_ert *m, const fk_image *img, const fk_box *boxes, size_t n,
                              fk_point *points, fk_error *err)
{
    return run_rgb("fk_ert_predict_many", m, img, boxes, n, points, err);
}

fk_status fk__ert_need_68(const fk_ert *m, fk_error *err)
{
    if (m->num_parts != FK_LANDMARK_COUNT)
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: a %d-point model; face landmarks need a 68-point one", m->path,
                        m->num_parts);
    return FK_OK;
}

fk_status fk_ert_predict_gray(const fk_ert *m, const uint8_t *gray, int width, int height, size_t stride,
                              fk_box box, fk_point *points, fk_error *err)
{
    if (!m || !gray || !points)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ert_predict_gray: NULL argument");
    if (width <= 0 || height <= 0 || stride < (size_t)width)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ert_predict_gray: invalid image %dx%d, stride %zu", width,
                        height, stride);
    sampler s = {gray, width, height, stride, 0};
    return run(m, &s, &box, 1, points, err);
}

fk_status fk_ert_face_landmarks(const fk_ert *m, const fk_image *img, fk_face *face, fk_error *err)
{
    if (!m || !face)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_ert_face_landmarks: NULL argument");
    fk_status st = fk__ert_need_68(m, err);
    if (st != FK_OK)
        return st;
    fk_point p[FK_LANDMARK_COUNT];
    st = fk_ert_predict(m, img, face->box, p, err);
    if (st != FK_OK)
        return st;
    memcpy(face->landmarks, p, sizeof p);
    fk_points5_from_68(face->landmarks, face->points5);
    face->has_landmarks = 1;
    face->landmark_count = FK_LANDMARK_COUNT;
    face->landmark_crop = face->box;
    return FK_OK;
}
