/* models.c: loading the face-api nets once, from an explicit folder, $FACEKIT_MODELS, or the built-in default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "face/session.h"
#include "facekit/landmarks.h"

#ifndef FK_MODEL_DIR_DEFAULT
#define FK_MODEL_DIR_DEFAULT "models/face-api"
#endif
#ifndef FK_INSTALLED_MODEL_DIR
#define FK_INSTALLED_MODEL_DIR "/usr/local/share/facekit/models/face-api"
#endif

static int is_dir(const char *p)
{
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *fk_models_default_dir(void)
{
    const char *env = getenv("FACEKIT_MODELS");
    if (env && *env)
        return env;
    if (is_dir(FK_MODEL_DIR_DEFAULT))
        return FK_MODEL_DIR_DEFAULT;
    if (is_dir(FK_INSTALLED_MODEL_DIR))
        return FK_INSTALLED_MODEL_DIR;
    return FK_MODEL_DIR_DEFAULT;
}

fk_status fk_models_load(const char *dir, unsigned nets, fk_models **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_models_load: out is NULL");
    *out = NULL;
    if (!nets || (nets & ~(unsigned)FK_NET_EVERY))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_models_load: bad set of nets 0x%x", nets);
    if (!dir)
        dir = fk_models_default_dir();
    if (!is_dir(dir))
        return fk__fail(err, FK_E_NOT_FOUND,
                        "%s: model folder not found; run `make models` (fetches @vladmandic/face-api@1.7.15 "
                        "with npm pack) or set FACEKIT_MODELS=DIR",
                        dir);
    fk_models *m = calloc(1, sizeof *m);
    if (!m)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory loading models");
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    static const unsigned bit[FK__NET_COUNT] = {FK_NET_SSD,        FK_NET_TINY,       FK_NET_LANDMARKS,
                                                FK_NET_DESCRIPTOR, FK_NET_AGE_GENDER, FK_NET_EXPRESSION};
    for (int k = 0; k < FK__NET_COUNT; k++) {
        if (!(nets & bit[k]))
            continue;
        fk_status st = fk__net_load((fk__net_kind)k, dir, 0, &m->nets[k], err);
        if (st != FK_OK) {
            fk_models_free(m);
            return st;
        }
    }
    if (nets & FK_NET_ERT) {
        fk_status st = fk_ert_load(NULL, &m->ert, err);
        if (st != FK_OK) {
            fk_models_free(m);
            return st;
        }
    }
    snprintf(m->dlib_dir, sizeof m->dlib_dir, "%s", fk__models_dlib_dir_for(dir));
    fk_status st = fk__models_load_dlib(m, nets, err);
    if (st == FK_OK)
        st = fk__models_load_human(m, nets, err);
    if (st != FK_OK) {
        fk_models_free(m);
        return st;
    }
    m->loaded = nets;
    *out = m;
    return FK_OK;
}

void fk_models_free(fk_models *m)
{
    if (!m)
        return;
    for (int k = 0; k < FK__NET_COUNT; k++)
        fk__net_free(m->nets[k]);
    fk_ert_free(m->ert);
    fk__models_free_dlib(m);
    fk__models_free_human(m);
    free(m);
}

const char *fk_models_dir(const fk_models *m)
{
    return m ? m->dir : NULL;
}

const char *fk_models_dlib_dir(const fk_models *m)
{
    return m ? m->dlib_dir : fk__models_dlib_dir_for(fk_models_default_dir());
}
