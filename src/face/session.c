/* session.c: a per-thread session: lazily planned nets, the input buffer, and the last error message. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/pool.h"
#include "face/hog/hog.h"
#include "face/session.h"
#include "facekit/models.h"
#include "facekit/train.h"
#include "nn/plan.h"

fk_status fk_session_new(const fk_models *models, fk_session **out, fk_error *err)
{
    if (!out || !models)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_session_new: NULL argument");
    *out = NULL;
    fk_session *s = calloc(1, sizeof *s);
    if (!s)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory creating a session");
    s->models = models;
    s->kernels = fk__kernels_from_env();
    fk__blas_single_thread();
    s->crop = FK_CROP_DEFAULT;
    s->threads = 1;
    *out = s;
    return FK_OK;
}

void fk_session_free(fk_session *s)
{
    if (!s)
        return;
    for (int k = 0; k < FK__NET_COUNT; k++)
        fk__plan_free(s->plans[k]);
    fk__plan_free(s->tiny_plan);
    fk__graph_free(s->tiny_graph);
    fk__plan_free(s->dlib_resnet_plan);
    fk__plan_free(s->embed_batch);
    for (int k = 0; k < FK__GM_COUNT; k++)
        fk__plan_free(s->gplans[k]);
    free(s->hcrop);
    free(s->gin);
    fk__pool_free(s->pool);
    fk__hog_ctx_free(s->hog_ctx);
    fk_tnet_free(s->tnet);
    free(s->tnet_base);
    free(s->tnet_path);
    free(s->input);
    free(s);
}

fk_status fk_session_set_threads(fk_session *s, int threads)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (threads < 1 || threads > 256)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "thread count %d out of 1..256", threads);
    if (threads == s->threads)
        return FK_OK;
    fk__pool *pool = NULL;
    fk_error e;
    if (threads > 1 && fk__pool_new(threads, &pool, &e) != FK_OK)
        return fk__session_take(s, e.status, &e);
    fk__pool_free(s->pool);
    s->pool = pool;
    s->threads = threads;
    /* plans hold scratch per worker: make them again on next use */
    for (int k = 0; k < FK__NET_COUNT; k++) {
        fk__plan_free(s->plans[k]);
        s->plans[k] = NULL;
    }
    fk__plan_free(s->tiny_plan);
    s->tiny_plan = NULL;
    s->tiny_size = 0;
    fk__plan_free(s->dlib_resnet_plan);
    s->dlib_resnet_plan = NULL;
    fk__plan_free(s->embed_batch);
    s->embed_batch = NULL;
    for (int k = 0; k < FK__GM_COUNT; k++) {
        fk__plan_free(s->gplans[k]);
        s->gplans[k] = NULL;
    }
    return FK_OK;
}

int fk_session_threads(const fk_session *s)
{
    return s ? s->threads : 0;
}

void fk_session_set_landmarker(fk_session *s, fk_landmarker landmarker)
{
    if (s && landmarker >= 0 && landmarker < FK_LANDMARKER_COUNT)
        s->landmarker = landmarker;
}

void fk_session_set_embedder(fk_session *s, fk_embedder embedder)
{
    if (s && embedder >= 0 && embedder < FK_EMBEDDER_COUNT)
        s->embedder = embedder;
    /* a trained embedder stays loaded (set again cheaply) but is no longer used */
    if (s)
        s->tnet_active = 0;
}

fk_status fk_session_set_jitter(fk_session *s, int n, unsigned seed)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (n < 0 || n > 1000)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "jitter count %d out of 0..1000", n);
    s->jitter = n;
    s->jitter_seed = seed;
    return FK_OK;
}

void fk_session_set_descriptor_crop(fk_session *s, fk_descriptor_crop crop)
{
    if (s && crop >= 0 && crop < FK_CROP_COUNT)
        s->crop = crop;
}

void fk_session_set_descriptor_flip(fk_session *s, int on)
{
    if (s)
        s->flip = on != 0;
}

const char *fk_session_errmsg(const fk_session *s)
{
    return s ? s->err.message : "no session";
}

fk_status fk__session_fail(fk_session *s, fk_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fk__vfail(&s->err, st, fmt, ap);
    va_end(ap);
    return st;
}

fk_status fk__session_take(fk_session *s, fk_status st, const fk_error *err)
{
    if (st != FK_OK && err)
        s->err = *err;
    return st;
}

fk__plan *fk__session_plan(fk_session *s, fk__net_kind kind)
{
    if (s->plans[kind])
        return s->plans[kind];
    const fk__net *net = s->models->nets[kind];
    if (!net) {
        fk__session_fail(s, FK_E_BAD_STATE, "the %s model was not loaded", fk__net_title(kind));
        return NULL;
    }
    fk_error e;
    if (fk__plan_new_threads(net->graph, 1, s->kernels, s->threads, &s->plans[kind], &e) != FK_OK) {
        s->err = e;
        return NULL;
    }
    return s->plans[kind];
}

fk__plan *fk__session_tiny_plan(fk_session *s, int size)
{
    const fk__net *net = s->models->nets[FK__NET_TINY];
    if (!net) {
        fk__session_fail(s, FK_E_BAD_STATE, "the %s model was not loaded", fk__net_title(FK__NET_TINY));
        return NULL;
    }
    if (size == net->input_size)
        return fk__session_plan(s, FK__NET_TINY);
    if (s->tiny_plan && s->tiny_size == size)
        return s->tiny_plan;
    fk__plan_free(s->tiny_plan);
    fk__graph_free(s->tiny_graph);
    s->tiny_plan = NULL;
    s->tiny_graph = NULL;
    fk_error e;
    fk_status st = fk__net_build_graph(FK__NET_TINY, net->weights, size, &s->tiny_graph, &e);
    if (st == FK_OK)
        st = fk__plan_new_threads(s->tiny_graph, 1, s->kernels, s->threads, &s->tiny_plan, &e);
    if (st != FK_OK) {
        s->err = e;
        return NULL;
    }
    s->tiny_size = size;
    return s->tiny_plan;
}

float *fk__session_input(fk_session *s, size_t n)
{
    if (n > s->input_floats) {
        float *grown = realloc(s->input, n * sizeof(float));
        if (!grown) {
            fk__session_fail(s, FK_E_NO_MEMORY, "out of memory for a net input");
            return NULL;
        }
        s->input = grown;
        s->input_floats = n;
    }
    return s->input;
}

void fk__session_run_crop(fk_session *s, fk__plan *plan, fk__net_kind kind, const fk_image *img, fk__irect r,
                          int size, bool centered)
{
    size_t pixels = (size_t)size * size;
    fk__net_input(img, r, size, centered, s->input);
    fk__net_normalize(kind, s->input, fk__plan_input(plan), pixels);
    fk__plan_run_pool(plan, s->pool);
}

fk_status fk_session_set_trained_embedder(fk_session *s, const char *path, float *threshold)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!path)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_session_set_trained_embedder: NULL path");
    if (s->tnet && s->tnet_path && !strcmp(s->tnet_path, path)) {
        const fk_model_info *bi = s->tnet_base[0] ? fk_model_find(s->tnet_base) : NULL;
        if (bi)
            s->embedder = (fk_embedder)bi->id;
        s->tnet_active = 1;
        if (threshold)
            *threshold = s->tnet_threshold;
        return FK_OK;
    }
    fk_tnet *net = NULL;
    char *base = NULL;
    float thr = 0;
    fk_error e = {0};
    fk_status st = fk_tnet_load(path, &net, &base, &thr, &e);
    if (st != FK_OK)
        return fk__session_take(s, st, &e);
    int h, w, c;
    fk_tnet_input(net, &h, &w, &c);
    const fk_model_info *bi = base[0] ? fk_model_find(base) : NULL;
    if (fk_tnet_out_dim(net) != FK_DESCRIPTOR_DIM)
        st = fk__session_fail(s, FK_E_INVALID_ARGUMENT, "%s: the net gives %d values; a descriptor has %d", path,
                              fk_tnet_out_dim(net), FK_DESCRIPTOR_DIM);
    else if (base[0] && (!bi || bi->role != FK_ROLE_EMBEDDER))
        st = fk__session_fail(s, FK_E_INVALID_ARGUMENT, "%s: its base embedder '%s' is not one facekit knows", path,
                              base);
    else if (base[0] && (h != 1 || w != 1 || c != FK_DESCRIPTOR_DIM))
        st = fk__session_fail(s, FK_E_INVALID_ARGUMENT, "%s: a head on %s takes %d values, not %dx%dx%d", path, base,
                              FK_DESCRIPTOR_DIM, h, w, c);
    else if (!base[0] && (c != 3 || h != w || h < 8 || h > 1024))
        st = fk__session_fail(s, FK_E_INVALID_ARGUMENT, "%s: a net on chips takes square RGB chips, not %dx%dx%d", path,
                              h, w, c);
    if (st != FK_OK) {
        fk_tnet_free(net);
        free(base);
        return st;
    }
    char *pcopy = malloc(strlen(path) + 1);
    if (!pcopy) {
        fk_tnet_free(net);
        free(base);
        return fk__session_fail(s, FK_E_NO_MEMORY, "out of memory loading %s", path);
    }
    strcpy(pcopy, path);
    if (bi)
        s->embedder = (fk_embedder)bi->id;
    fk_tnet_free(s->tnet);
    free(s->tnet_base);
    free(s->tnet_path);
    s->tnet = net;
    s->tnet_base = base;
    s->tnet_path = pcopy;
    s->tnet_threshold = thr;
    s->tnet_active = 1;
    if (threshold)
        *threshold = thr;
    return FK_OK;
}
