/* session.h: internals shared by the face stages: the loaded models and a session's per-net plans. */
#ifndef FK_FACE_SESSION_H
#define FK_FACE_SESSION_H

#include "facekit/face.h"
#include "face/nets.h"
#include "face/preprocess.h"
#include "face/human/human.h"

struct fk_ert;
struct fk__hog;
struct fk__mmod;
struct fk__hog_ctx;

struct fk_models {
    char dir[4096];
    char dlib_dir[4096]; /* dlib's models (fk_models_dlib_dir) */
    unsigned loaded;     /* FK_NET_* bits of what is loaded */
    fk__net *nets[FK__NET_COUNT];
    struct fk_ert *ert;  /* dlib's 68-point predictor */
    struct fk_ert *ert5; /* dlib's 5-point predictor */
    struct fk__hog *hog;
    struct fk__mmod *mmod;
    fk__graph *dlib_resnet;
    fk__gmodel *human[FK__GM_COUNT]; /* Human's graph models */
};

/* The dlib model folder for a face-api folder: $FACEKIT_DLIB_MODELS, else dir/../dlib, else the
 * build's or the installed default (a static buffer per thread). */
const char *fk__models_dlib_dir_for(const char *faceapi_dir);
/* A model folder beside face-api's: $env_name, else sub/ beside faceapi_dir, else build_default,
 * else installed (when they exist; else build_default). buf (n bytes) holds a joined path. */
const char *fk__models_sibling_dir(const char *faceapi_dir, const char *env_name, const char *sub,
                                   const char *build_default, const char *installed, char *buf, size_t n);
/* The names of a comma-separated model list to FK_NET_* bits. */
fk_status fk__models_names_to_nets(const char *names, unsigned *nets, fk_error *err);
/* Loads dlib's models named in nets (FK_NET_HOG, _MMOD, _DLIB5, _DLIB_RESNET) into m. */
fk_status fk__models_load_dlib(fk_models *m, unsigned nets, fk_error *err);
void fk__models_free_dlib(fk_models *m);

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
    fk_embedder embedder;
    struct fk_tnet *tnet; /* a trained embedder (NULL: none) */
    char *tnet_base;      /* its base embedder's name ("": it takes chips) */
    char *tnet_path;      /* the file it came from (set again with the same path: kept) */
    float tnet_threshold;
    int tnet_active;      /* 0 after fk_session_set_embedder */
    int jitter;             /* dlib jitter copies; 0 or 1 off */
    unsigned jitter_seed;
    fk__plan *dlib_resnet_plan;
    /* the embedder's ResNet at a batch of embed_batch_n chips (jittered copies run as one batch,
     * so the weights are streamed once for all of them), made for embed_batch_for */
    fk__plan *embed_batch;
    int embed_batch_n;
    fk_embedder embed_batch_for;
    fk__plan *gplans[FK__GM_COUNT]; /* Human's graph models */
    float *hcrop;                   /* Human's 192x192 face crop */
    float *gin;                     /* a graph model's input before it is copied into the plan */
    size_t gin_floats;
    int threads;
    struct fk__pool *pool; /* NULL with one thread */
    /* the HOG scan's buffers (image pyramid, features), kept for the next photo as dlib's detector
     * keeps its feature pyramid: made on first use, as large as the largest photo scanned */
    struct fk__hog_ctx *hog_ctx;
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

struct fk__chip;
/* dlib's 150x150 chip (padding 0.25) from the face's 68 or 5 landmarks. */
fk_status fk__face_dlib_chip(const fk_face *face, struct fk__chip *chip, fk_error *err);
/* The bounding box of a chip's footprint in the image. */
void fk__chip_footprint(const struct fk__chip *chip, fk_box *crop);
/* fk_face_detect with dlib's HOG or MMOD detector (detect_dlib.c); options already checked. */
fk_status fk__detect_dlib(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                          size_t *count);
/* dlib's float ResNet on the session's input (a 150x150 chip, RGB 0..255) into out (descriptor_dlib.c). */
fk_status fk__dlib_embed_run(fk_session *s, float out[FK_DESCRIPTOR_DIM]);

#endif
