/* human.h: Human's graph models inside facekit: which file each is, loading them into fk_models, and the face crop they share. */
#ifndef FK_FACE_HUMAN_H
#define FK_FACE_HUMAN_H

#include "facekit/analysis.h"
#include "nn/load/tfgraph.h"
#include "nn/plan.h"

struct fk_models;
struct fk_session;

typedef enum fk__gm_kind {
    FK__GM_BLAZEFACE = 0,
    FK__GM_FACEMESH,
    FK__GM_ANTISPOOF,
    FK__GM_LIVENESS,
    FK__GM_EMOTION,
    FK__GM_GEAR,
    FK__GM_FACERES,
    FK__GM_MOBILEFACENET,
    FK__GM_IRIS,
    FK__GM_COUNT
} fk__gm_kind;

/* A loaded graph model: immutable, shared by sessions. */
typedef struct fk__gmodel {
    fk__graph *graph;
    fk__tfgraph_info info;
} fk__gmodel;

/* The folder Human's models are read from: $FACEKIT_HUMAN_MODELS, else human/ beside the face-api
 * folder, else the build's or the installed default (a static buffer per thread). */
const char *fk__models_human_dir_for(const char *faceapi_dir);
/* Loads the graph models named in nets (FK_NET_BLAZEFACE ...) into m. */
fk_status fk__models_load_human(struct fk_models *m, unsigned nets, fk_error *err);
void fk__models_free_human(struct fk_models *m);

/* The session's plan of a graph model (made on first use); NULL with the error recorded. */
fk__plan *fk__session_gplan(struct fk_session *s, fk__gm_kind kind);
const fk__tfgraph_info *fk__session_ginfo(const struct fk_session *s, fk__gm_kind kind);
/* The first output of the plan with `count` values (Human picks outputs by shape too); NULL when
 * there is none. */
const float *fk__gm_output(const fk__plan *p, const fk__tfgraph_info *info, size_t count);

/* tf.image.cropAndResize (bilinear, extrapolation 0) of the box (x0, y0, x1, y1 in image pixels,
 * sampled as TensorFlow maps a normalised box onto pixel centres) from img into out (h*w*3 floats,
 * RGB, the 0..255 values times `scale`). */
void fk__crop_and_resize(const fk_image *img, double x0, double y0, double x1, double y1, int h, int w,
                         double scale, float *out);
/* Same from a float HWC RGB source. */
void fk__crop_and_resize_f(const float *src, int src_h, int src_w, double y0, double x0, double y1, double x1,
                           int h, int w, float *out);

/* BlazeFace over the whole image (fk_face_detect with FK_DETECTOR_BLAZEFACE). */
fk_status fk__detect_blazeface(struct fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                               size_t *count);

/* fk_face_descriptor for FK_EMBEDDER_FACERES: Human's crop of the box, resized to 224x224, on the
 * 0..255 scale. */
fk_status fk__human_describe(struct fk_session *s, const fk_image *img, fk_face *face);
/* fk_face_descriptor for FK_EMBEDDER_MOBILEFACENET: the ArcFace 112x112 chip from the face's 68
 * landmarks (5 points: eye centres, nose tip, mouth corners), RGB, (x - 127.5) / 128, as
 * sirius-ai's MobileFaceNet_TF was trained (InsightFace's aligned faces). */
fk_status fk__mobilefacenet_describe(struct fk_session *s, const fk_image *img, fk_face *face);

#define FK__HUMAN_CROP 192     /* facemesh's input: the crop every other model resizes from */
#define FK__HUMAN_ENLARGE 1.4  /* Human's config.face.detector.scale */

/* Human's face crop of `face`: the square Human cuts (its box in *crop) sampled into
 * FK__HUMAN_CROP^2 x 3 floats on the 0..1 scale in the session's input buffer; NULL (with the
 * error recorded) when the face is outside the image or memory ran out. */
const float *fk__human_face_crop(struct fk_session *s, const fk_image *img, const fk_face *face, fk_box *crop);

#endif
