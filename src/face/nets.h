/* nets.h: the face-api networks: loading a manifest, building its graph, and what each net's input and outputs mean. */
#ifndef FK_FACE_NETS_H
#define FK_FACE_NETS_H

#include "face/netbuild.h"
#include "nn/plan.h"

typedef enum fk__net_kind {
    FK__NET_SSD = 0,     /* SSD MobileNetV1 face detector, 512x512 input */
    FK__NET_TINY,        /* TinyFaceDetector (Tiny YOLO v2, separable), 416x416 by default */
    FK__NET_LANDMARK68,  /* FaceLandmark68Net, 112x112 */
    FK__NET_RECOGNITION, /* FaceRecognitionNet (dlib ResNet-34 port), 150x150 -> 128-D */
    FK__NET_AGE_GENDER,  /* AgeGenderNet (TinyXception), 112x112 */
    FK__NET_EXPRESSION,  /* FaceExpressionNet: FaceLandmark68Net's feature extractor, FC to 7, 112x112 */
    FK__NET_COUNT
} fk__net_kind;

/* A loaded net: its weights and the graph over them; immutable, shareable between threads. */
typedef struct fk__net {
    fk__net_kind kind;
    int input_size;
    fk__weights *weights; /* kept only by nets rebuilt at other input sizes (Tiny); NULL otherwise */
    fk__graph *graph;     /* owns its weights */
    float *ssd_anchors;   /* SSD: Output/extra_dim, [anchors][4] */
} fk__net;

/* "ssd_mobilenetv1_model" etc.: the file stem of the net's manifest and shard. */
const char *fk__net_stem(fk__net_kind kind);
const char *fk__net_title(fk__net_kind kind);

/* Loads dir/<stem>-weights_manifest.json and builds the graph for a square input of the given
 * size (0 = the net's default; only the Tiny detector accepts another, a multiple of 32). */
fk_status fk__net_load(fk__net_kind kind, const char *dir, int input_size, fk__net **out, fk_error *err);
void fk__net_free(fk__net *net);
/* Builds the graph of `kind` over loaded weights for a square input of input_size. */
fk_status fk__net_build_graph(fk__net_kind kind, const fk__weights *w, int input_size, fk__graph **out,
                              fk_error *err);

/* The net's own normalisation of an S*S*3 RGB input on the 0..255 scale, as face-api does it
 * in float32 (SSD: x/127.5 - 1; the others: (x - mean_rgb) / 255). */
void fk__net_normalize(fk__net_kind kind, const float *rgb255, float *out, size_t pixels);

/* Graph builders, one per net (each marks its outputs). */
int fk__build_ssd(fk__netbuild *b);
int fk__build_tiny(fk__netbuild *b);
int fk__build_landmark68(fk__netbuild *b);
int fk__build_recognition(fk__netbuild *b);
int fk__build_age_gender(fk__netbuild *b);
int fk__build_expression(fk__netbuild *b);

/* SSD outputs after a run: the 5118 anchors decoded to [ymin, xmin, ymax, xmax] relative to the
 * 512 input, and their face scores (sigmoid), exactly as face-api's outputLayer. */
#define FK__SSD_ANCHORS 5118
void fk__ssd_decode(const fk__net *net, const fk__plan *plan, float *boxes, float *scores);

/* The Tiny detector's anchors (in grid cells) and mean colour. */
#define FK__TINY_ANCHORS 5
extern const float fk__tiny_anchors[FK__TINY_ANCHORS][2];

#endif
