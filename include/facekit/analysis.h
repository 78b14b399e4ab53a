/* facekit/analysis.h: more of the face from Human's graph models: the 468-point mesh, liveness (anti-spoofing), emotion, and GEAR's age, gender and race. */
#ifndef FACEKIT_ANALYSIS_H
#define FACEKIT_ANALYSIS_H

#include "facekit/face.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Usage:
 *     fk_models_load_named(NULL, "blazeface,facemesh,antispoof,liveness,emotion", &m, &err);
 *     fk_detect_options o;  fk_detect_options_init(&o);  o.detector = FK_DETECTOR_BLAZEFACE;
 *     fk_face_detect(s, img, &o, &faces, &n);
 *     fk_mesh mesh;          fk_face_mesh(s, img, &faces[0], &mesh);
 *     fk_liveness live;      fk_face_liveness(s, img, &faces[0], &live);
 *     fk_emotion emo;        fk_face_emotion(s, img, &faces[0], &emo);
 *
 * Every model here sees the face as Human (@vladmandic/human 3.x) feeds it: the face box made
 * square around its centre and enlarged 1.4 times (Human's detector.scale) is cut from the image
 * with tf.image.cropAndResize's bilinear sampling (zeros outside the image) into a 192 x 192
 * crop on the 0..1 scale; each model resizes that crop to its own input (see the registry's
 * `input` line of each). A BlazeFace box is used as it is; a box of another detector is first
 * mapped to BlazeFace's convention (fk_box_blazeface_style). */

/* Another detector's box in BlazeFace's convention (a square about the eyebrows-to-chin face,
 * the mean relation of each detector's boxes to BlazeFace's on LFW, tools/box_relation.py). A BlazeFace box is returned as it is. */
fk_box fk_box_blazeface_style(const fk_face *face);

#define FK_MESH_POINTS 468

typedef struct fk_point3 {
    double x, y, z; /* x, y in source-image pixels; z in the same scale, relative to the face's centre */
} fk_point3;

#define FK_IRIS_POINTS 5 /* per eye: centre, then the iris edge right, above, left, below */
typedef struct fk_mesh {
    fk_point3 points[FK_MESH_POINTS]; /* MediaPipe FaceMesh's 468-point topology */
    float score;                      /* facemesh's face-presence score, 0..1 (Human drops a face below 0.2) */
    fk_box crop;                      /* the square the net saw, in image pixels */
    /* With the iris model loaded (FK_NET_IRIS): the irises of the left eye (the subject's, on the
     * image's right) then the right one, and the eye contours in points[] refined by it, as
     * Human's augmentIris does. */
    int has_iris;
    fk_point3 iris[2 * FK_IRIS_POINTS];
} fk_mesh;

/* The 468 points of a detected face (facemesh, needs FK_NET_FACEMESH; FK_NET_IRIS adds the irises). */
fk_status fk_face_mesh(fk_session *s, const fk_image *img, const fk_face *face, fk_mesh *out);

/* Single-frame liveness. Both scores are 0..1, higher meaning a live face; the decision
 * thresholds below are the ones docs/LIVENESS.md measures. A single frame cannot tell a good
 * print or screen replay from a face: see docs/LIVENESS.md before relying on either. */
typedef struct fk_liveness {
    int has_antispoof, has_liveness; /* which models ran (those loaded) */
    float antispoof;                 /* Human's `real` score (antispoof, 128 x 128) */
    float liveness;                  /* Human's `live` score (liveness, 32 x 32) */
    int live;                        /* the decision: every score that ran at or above its threshold */
    fk_box crop;
} fk_liveness;

#define FK_ANTISPOOF_THRESHOLD 0.5f
#define FK_LIVENESS_THRESHOLD 0.5f

/* Runs whichever of antispoof and liveness (FK_NET_ANTISPOOF, FK_NET_LIVENESS) are loaded;
 * FK_E_BAD_STATE when neither is. */
fk_status fk_face_liveness(fk_session *s, const fk_image *img, const fk_face *face, fk_liveness *out);

#define FK_EMOTION_COUNT 7

typedef struct fk_emotion {
    float p[FK_EMOTION_COUNT]; /* probabilities in fk_emotion_name's order, summing to 1 */
    int best;                  /* the most probable class */
} fk_emotion;

/* "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral" (the emotion model's order);
 * "?" out of range. */
const char *fk_emotion_name(int k);

/* The emotion of a face (Human's `emotion` model, 64 x 64 grey, needs FK_NET_EMOTION). */
fk_status fk_face_emotion(fk_session *s, const fk_image *img, const fk_face *face, fk_emotion *out);

#define FK_EXPRESSION_COUNT 7

typedef struct fk_expression {
    float p[FK_EXPRESSION_COUNT]; /* probabilities in fk_expression_name's order, summing to 1 */
    int best;
} fk_expression;

/* "neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised" (face-api's order). */
const char *fk_expression_name(int k);

/* face-api's FaceExpressionNet on the detection box (padded to a square, as its landmark net sees
 * it; needs FK_NET_EXPRESSION). */
fk_status fk_face_expression(fk_session *s, const fk_image *img, const fk_face *face, fk_expression *out);

#define FK_RACE_COUNT 5

typedef struct fk_gear {
    float age;                /* years: the class ages weighted as Human does */
    fk_gender gender;
    float gender_probability; /* 0.5..1 */
    float race[FK_RACE_COUNT]; /* probabilities in fk_race_name's order */
    int best_race;
} fk_gear;

/* "white", "black", "asian", "indian", "other" (GEAR's classes, as Human names them). */
const char *fk_race_name(int k);

/* GEAR's gender, age and race (needs FK_NET_GEAR). */
fk_status fk_face_gear(fk_session *s, const fk_image *img, const fk_face *face, fk_gear *out);

#ifdef __cplusplus
}
#endif
#endif
