/* detect_images.c: running a detector over many images on several threads for detection benchmarks. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "eval/parallel.h"

typedef struct detect_job {
    const char *const *paths;
    const fk_detect_options *opt;
    fk_image_detections *out;
} detect_job;

static void detect_item(fk_session *s, size_t i, void *ctx)
{
    detect_job *j = ctx;
    fk_image_detections *d = &j->out[i];
    memset(d, 0, sizeof *d);
    fk_error err = {0};
    fk_image *img = NULL;
    if (fk_image_load(j->paths[i], NULL, &img, &err) != FK_OK) {
        snprintf(d->error, sizeof d->error, "%s", err.message);
        return;
    }
    if (fk_face_detect(s, img, j->opt, &d->faces, &d->count) != FK_OK)
        snprintf(d->error, sizeof d->error, "%s: %s", j->paths[i], fk_session_errmsg(s));
    else
        d->ok = 1;
    fk_image_free(img);
}

fk_status fk_eval_detect_images(const fk_models *models, const char *const *paths, size_t count,
                                const fk_detect_options *opt, int threads, fk_progress_fn progress, void *ctx,
                                fk_image_detections *out, fk_error *err)
{
    if (!models || (!paths && count) || (!out && count))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_eval_detect_images: NULL argument");
    detect_job j = {paths, opt, out};
    return fk__eval_parallel(models, count, threads, detect_item, &j, progress, ctx, err);
}

void fk_image_detections_free(fk_image_detections *d, size_t count)
{
    if (!d)
        return;
    for (size_t i = 0; i < count; i++) {
        fk_faces_free(d[i].faces);
        d[i].faces = NULL;
        d[i].count = 0;
    }
}
