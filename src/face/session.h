/* session.h: internals shared by the face stages: the loaded models and a session's per-net plans. */
#ifndef FK_FACE_SESSION_H
#define FK_FACE_SESSION_H

#include "facekit/face.h"
#include "face/nets.h"
#include "face/preprocess.h"

struct fk_ert;

struct fk_models {
    char dir[4096];
    fk__net *nets[FK__NET_COUNT];
    struct fk_ert *ert;
};

struct fk_session {
    const fk_models *models;
    fk__kernels kernels;
    fk__plan *plans[FK__NET_COUNT];
    /* a Tiny detector graph for a non-default input size, built from the shared weights */
    fk__graph *tiny_graph;
    fk__plan *tiny_plan;
    int tiny_size;
    float *input;        /* RGB 0..255 net input before normalisation */
    size_t input_floats;
    fk_descriptor_crop crop;
    int flip; /* descriptors average the face's and its mirror image's */
    fk_landmarker landmarker;
    int threads;
    struct fk__pool *pool; /* NULL with one thread */
    fk_error err;        /* the last failure */
};

/* Records a failure on the session and returns its status. */
fk_status fk__session_fail(fk_session *s, fk_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
fk_status fk__session_take(fk_session *s, fk_status st, const fk_error *err);

/* The session's plan for a loaded net (made on first use); NULL (with the error recorded) when the
 * net was not loaded or memory ran out. */
fk__plan *fk__session_plan(fk_session *s, fk__net_kind kind);
/* Same for the Tiny detector at a given input size. */
fk__plan *fk__session_tiny_plan(fk_session *s, int size);
/* A buffer of at least n floats for a net input. */
float *fk__session_input(fk_session *s, size_t n);

/* Crops region r of img as the net `kind` expects (pad mode, size), normalises it into the plan's
 * input and runs the plan. */
void fk__session_run_crop(fk_session *s, fk__plan *plan, fk__net_kind kind, const fk_image *img, fk__irect r,
                          int size, bool centered);

#endif
