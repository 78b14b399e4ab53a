/* embed_images.c: one descriptor per image (largest face), on several threads, for verification benchmarks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "eval/parallel.h"
#include "facekit/eval.h"

void fk_embed_options_init(fk_embed_options *o)
{
    memset(o, 0, sizeof *o);
    fk_detect_options_init(&o->detect);
    o->pad_fraction = 0.5f;
    o->retry_min_score = 0.2f;
}

void fk_embed_options_faceapi(fk_embed_options *o)
{
    fk_embed_options_init(o);
    o->pad_fraction = 0.0f;
}

static size_t largest(const fk_face *faces, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (faces[i].box.width * faces[i].box.height > faces[best].box.width * faces[best].box.height)
            best = i;
    return best;
}

/* The image centred in a black border of `border` pixels on every side. */
static fk_image *padded(const fk_image *img, int border)
{
    fk_image *p = NULL;
    if (fk_image_new(img->width + 2 * border, img->height + 2 * border, &p, NULL) != FK_OK)
        return NULL;
    for (int y = 0; y < img->height; y++)
        memcpy(p->data + (size_t)(y + border) * p->stride + (size_t)border * 3, img->data + (size_t)y * img->stride,
               (size_t)img->width * 3);
    return p;
}

static void embed_one(fk_session *s, const char *path, const fk_embed_options *o, fk_image_embedding *e)
{
    memset(e, 0, sizeof *e);
    fk_error err = {0};
    fk_image *img = NULL;
    if (fk_image_load(path, NULL, &img, &err) != FK_OK) {
        snprintf(e->error, sizeof e->error, "%s", err.message);
        return;
    }
    fk_face *faces = NULL;
    size_t n = 0;
    fk_status st = fk_face_detect(s, img, &o->detect, &faces, &n);
    if (st == FK_OK && n == 0 && o->pad_fraction > 0) {
        int side = img->width > img->height ? img->width : img->height;
        int border = (int)(side * o->pad_fraction);
        fk_image *p = padded(img, border);
        if (p) {
            st = fk_face_detect(s, p, &o->detect, &faces, &n);
            for (size_t i = 0; i < n; i++) {
                faces[i].box.x -= border;
                faces[i].box.y -= border;
            }
            e->retried = n ? 1 : 0;
            fk_image_free(p);
        }
    }
    if (st == FK_OK && n == 0 && o->retry_min_score > 0) {
        fk_detect_options lower = o->detect;
        lower.min_score = o->retry_min_score;
        st = fk_face_detect(s, img, &lower, &faces, &n);
        e->retried = n ? 2 : 0;
    }
    if (st != FK_OK) {
        snprintf(e->error, sizeof e->error, "%s: %s", path, fk_session_errmsg(s));
    } else if (n == 0) {
        snprintf(e->error, sizeof e->error, "%s: no face found", path);
    } else {
        e->faces = (int)n;
        e->face = faces[largest(faces, n)];
        if (fk_face_landmarks(s, img, &e->face) == FK_OK && fk_face_descriptor(s, img, &e->face) == FK_OK)
            e->ok = 1;
        else
            snprintf(e->error, sizeof e->error, "%s: %s", path, fk_session_errmsg(s));
    }
    fk_faces_free(faces);
    fk_image_free(img);
}

typedef struct embed_job {
    const char *const *paths;
    const fk_embed_options *opt;
    fk_image_embedding *out;
} embed_job;

static void embed_item(fk_session *s, size_t i, void *ctx)
{
    embed_job *j = ctx;
    embed_one(s, j->paths[i], j->opt, &j->out[i]);
}

fk_status fk_eval_embed_images(const fk_models *models, const char *const *paths, size_t count,
                               const fk_embed_options *opt, int threads, fk_progress_fn progress, void *ctx,
                               fk_image_embedding *out, fk_error *err)
{
    if (!models || (!paths && count) || (!out && count))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_eval_embed_images: NULL argument");
    fk_embed_options defaults;
    if (!opt) {
        fk_embed_options_init(&defaults);
        opt = &defaults;
    }
    embed_job j = {paths, opt, out};
    return fk__eval_parallel(models, count, threads, embed_item, &j, progress, ctx, err);
}
