/* facekit/models.h: the model registry: every model facekit can run, by name, with its role, files, licence, input contract and calibrated threshold. */
#ifndef FACEKIT_MODELS_H
#define FACEKIT_MODELS_H

#include <stddef.h>

#include "facekit/face.h"
#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Usage:
 *     fk_models *m = NULL;
 *     fk_error err;
 *     if (fk_models_load_named(NULL, "hog,dlib5,dlib-resnet", &m, &err) != FK_OK) { puts(err.message); ... }
 *     fk_session *s;  fk_session_new(m, &s, &err);
 *     fk_session_use(s, "dlib5");  fk_session_use(s, "dlib-resnet");
 *     const fk_model_info *det = fk_model_find("hog");   // det->id is FK_DETECTOR_HOG
 *
 * A model is data: a name in this table, the files that hold it (pinned in models/models.lock),
 * the reader of its format and its input contract. Two models of a known format differ only in
 * their row here. */

typedef enum fk_model_role {
    FK_ROLE_DETECTOR = 0, /* image -> face boxes (fk_detector) */
    FK_ROLE_LANDMARKER,   /* face box -> points (fk_landmarker) */
    FK_ROLE_EMBEDDER,     /* aligned face -> descriptor (fk_embedder) */
    FK_ROLE_ATTRIBUTES,   /* face -> age, gender (and race, emotion) */
    FK_ROLE_MESH,         /* face -> 468 points (facekit/analysis.h) */
    FK_ROLE_LIVENESS,     /* face -> a live-face score */
    FK_ROLE_COUNT
} fk_model_role;

typedef struct fk_model_info {
    const char *name;    /* what --detector/--landmarker/--embedder and fk_session_use take */
    fk_model_role role;
    int id;              /* the role's enum value: fk_detector, fk_landmarker or fk_embedder */
    unsigned net;        /* the FK_NET_* bit fk_models_load loads it with */
    const char *title;   /* one line for people */
    const char *source;  /* package and version it comes from */
    const char *licence; /* the model's licence (the weights', not the code's) */
    const char *folder;  /* "face-api", "dlib" or "human": where under the model root its files lie */
    const char *files;   /* its file names, space-separated */
    const char *input;   /* its input contract: crop or alignment, size, normalisation */
    const char *output;  /* what it gives: boxes and score kind, points, dimension and metric */
    int dim;             /* embedders: descriptor length; 0 otherwise */
    float threshold;     /* embedders: the L2 distance under which two faces are taken as one
                            person; detectors: the default score threshold; 0 otherwise */
    const char *calibration; /* embedders: how the threshold was set and its FAR on LFW */
    const char *lfw;         /* embedders: the measured LFW figure (see the README), or "" */
} fk_model_info;

/* The registry's rows, in a stable order; NULL past the end. */
size_t fk_model_count(void);
const fk_model_info *fk_model_at(size_t i);
/* A model by name (case-sensitive); NULL when there is none. */
const fk_model_info *fk_model_find(const char *name);
/* A role's model by its enum value; NULL when there is none. */
const fk_model_info *fk_model_by_id(fk_model_role role, int id);
const char *fk_model_role_name(fk_model_role role);

/* Whether the model's files are present under the model folders of `dir` (as fk_models_load
 * would look for them; NULL: the default): 1 yes, 0 no, with the first missing path in
 * missing (when not NULL). Its size in bytes goes to *bytes when not NULL. */
int fk_model_installed(const fk_model_info *info, const char *dir, char *missing, size_t missing_size,
                       unsigned long long *bytes);

/* fk_models_load with the models named in a comma-separated list ("ssd,faceapi68,faceapi-resnet").
 * An unknown name is FK_E_INVALID_ARGUMENT listing the names there are. */
fk_status fk_models_load_named(const char *dir, const char *names, fk_models **out, fk_error *err);

/* Whether m holds the model named. */
int fk_models_has(const fk_models *m, const char *name);

/* Makes the session use the named landmarker or embedder (a detector is chosen per call, in
 * fk_detect_options.detector = fk_model_find(name)->id). FK_E_INVALID_ARGUMENT for an unknown
 * name or a detector; FK_E_BAD_STATE when the model was not loaded. */
fk_status fk_session_use(fk_session *s, const char *name);

/* The name of the embedder that made a face's descriptor ("" without one). */
const char *fk_face_embedder_name(const fk_face *face);

#ifdef __cplusplus
}
#endif
#endif
