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
    o->detect.closeup = FK_CLOSEUP_ALWAYS;
    o->retry_min_score = 0.2f;
    o->crop = FK_CROP_DEFAULT;
    o->landmarker = FK_LANDMARKER_CNN;
}

void fk_embed_options_faceapi(fk_embed_options *o)
{
    fk_embed_options_init(o);
    o->detect.closeup = FK_CLOSEUP_OFF;
    o->crop = FK_CROP_FACEAPI;
}

static size_t largest(const fk_face *faces, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (faces[i].box.width * faces[i].box.height > faces[best].box.width * faces[best].box.height)
            best = i;
    return best;
}

static void embed_one(fk_session *s, const char *path, const fk_embed_options *o, fk_image_embedding *e)
{
    memset(e, 0, sizeof *e);
    fk_session_set_descriptor_crop(s, o->crop);
    fk_session_set_landmarker(s, o->landmarker);
    fk_session_set_descriptor_flip(s, o->flip);
    fk_session_set_embedder(s, o->embedder);
    fk_error err = {0};
    if (o->trained && fk_session_set_trained_embedder(s, o->trained, NULL) != FK_OK) {
        snprintf(e->error, sizeof e->error, "%s", fk_session_errmsg(s));
        return;
    }
    if (fk_session_set_jitter(s, o->jitter, o->jitter_seed) != FK_OK) {
        snprintf(e->error, sizeof e->error, "%s: %s", path, fk_session_errmsg(s));
        return;
    }
    fk_image *img = NULL;
    if (fk_image_load(path, NULL, &img, &err) != FK_OK) {
        snprintf(e->error, sizeof e->error, "%s", err.message);
        return;
    }
    fk_face *faces = NULL;
    size_t n = 0;
    fk_detect_options d = o->detect;
    if (d.retry_min_score <= 0)
        d.retry_min_score = o->retry_min_score;
    fk_status st = fk_face_detect(s, img, &d, &faces, &n);
    if (st == FK_OK && n) {
        if (faces[0].detector != (int)d.detector) {
            e->fallback = 1;
        } else if (d.detector == FK_DETECTOR_SSD || d.detector == FK_DETECTOR_TINY) {
            float best = 0;
            for (size_t i = 0; i < n; i++)
                best = faces[i].score > best ? faces[i].score : best;
            e->retried = best <= (d.min_score > 0 ? d.min_score : 0.5f); /* only the retry keeps such faces */
        }
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
