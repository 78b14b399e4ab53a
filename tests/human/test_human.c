/* test_human.c: Human's face pipeline (BlazeFace, facemesh, antispoof, liveness, emotion, GEAR) end to end against Human's own steps re-run in tfjs, and its errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/sha256.h"
#include "facekit/analysis.h"
#include "facekit/face.h"
#include "facekit/image.h"
#include "facekit/models.h"
#include "harness.h"

static double num_at(const cJSON *a, int i)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static unsigned all_nets(void)
{
    return FK_NET_BLAZEFACE | FK_NET_FACEMESH | FK_NET_ANTISPOOF | FK_NET_LIVENESS | FK_NET_EMOTION | FK_NET_GEAR |
           FK_NET_SSD | FK_NET_LANDMARKS | FK_NET_MOBILEFACENET | FK_NET_IRIS;
}

/* The decoded pixels, packed, for the generator (FK_TEST_DUMP_RGB) and the sha256 check. */
static unsigned char *packed_rgb(const fk_image *img)
{
    unsigned char *p = malloc((size_t)img->width * img->height * 3);
    for (int y = 0; p && y < img->height; y++)
        memcpy(p + (size_t)y * img->width * 3, img->data + (size_t)y * img->stride, (size_t)img->width * 3);
    return p;
}

static void check_face(fk_session *s, const fk_image *img, const fk_face *f, const cJSON *g, int i, double *worst)
{
    fk_mesh mesh;
    CHECK_OK(fk_face_mesh(s, img, f, &mesh));
    const cJSON *crop = cJSON_GetObjectItem(g, "crop");
    CHECK_MSG(mesh.crop.x == num_at(crop, 0) && mesh.crop.y == num_at(crop, 1) && mesh.crop.width == num_at(crop, 2),
              "face %d: crop %g,%g,%g vs Human's %g,%g,%g", i, mesh.crop.x, mesh.crop.y, mesh.crop.width,
              num_at(crop, 0), num_at(crop, 1), num_at(crop, 2));
    double w = fabs(mesh.score - fk_test_json_num(g, "mesh_score"));
    const cJSON *pts = cJSON_GetObjectItem(g, "mesh");
    for (const cJSON *p = pts ? pts->child : NULL; p; p = p->next) {
        int k = (int)num_at(p, 0);
        CHECK(k >= 0 && k < FK_MESH_POINTS);
        if (k < 0 || k >= FK_MESH_POINTS)
            continue;
        /* points are pixels: an error in pixels, relative to the crop's side */
        w = fk_test_max(w, fabs(mesh.points[k].x - num_at(p, 1)) / mesh.crop.width);
        w = fk_test_max(w, fabs(mesh.points[k].y - num_at(p, 2)) / mesh.crop.width);
        w = fk_test_max(w, fabs(mesh.points[k].z - num_at(p, 3)) / mesh.crop.width);
    }
    /* the iris model's refinement of the eyes and its 10 points, as Human's augmentIris */
    CHECK(mesh.has_iris);
    const cJSON *eyes = cJSON_GetObjectItem(g, "eyes"), *iris = cJSON_GetObjectItem(g, "iris");
    CHECK_MSG(eyes && iris && cJSON_GetArraySize(iris) == 2 * FK_IRIS_POINTS, "face %d: no eyes/iris in the reference", i);
    for (const cJSON *p = eyes ? eyes->child : NULL; p; p = p->next) {
        int k = (int)num_at(p, 0);
        if (k < 0 || k >= FK_MESH_POINTS)
            continue;
        w = fk_test_max(w, fabs(mesh.points[k].x - num_at(p, 1)) / mesh.crop.width);
        w = fk_test_max(w, fabs(mesh.points[k].y - num_at(p, 2)) / mesh.crop.width);
        w = fk_test_max(w, fabs(mesh.points[k].z - num_at(p, 3)) / mesh.crop.width);
    }
    int ik = 0;
    for (const cJSON *p = iris ? iris->child : NULL; p && ik < 2 * FK_IRIS_POINTS; p = p->next, ik++) {
        w = fk_test_max(w, fabs(mesh.iris[ik].x - num_at(p, 0)) / mesh.crop.width);
        w = fk_test_max(w, fabs(mesh.iris[ik].y - num_at(p, 1)) / mesh.crop.width);
        w = fk_test_max(w, fabs(mesh.iris[ik].z - num_at(p, 2)) / mesh.crop.width);
    }
    fk_liveness live;
    CHECK_OK(fk_face_liveness(s, img, f, &live));
    CHECK(live.has_antispoof && live.has_liveness);
    w = fk_test_max(w, fabs(live.antispoof - fk_test_json_num(g, "antispoof")));
    w = fk_test_max(w, fabs(live.liveness - fk_test_json_num(g, "liveness")));
    CHECK(live.live == (live.antispoof >= FK_ANTISPOOF_THRESHOLD && live.liveness >= FK_LIVENESS_THRESHOLD));
    fk_emotion emo;
    CHECK_OK(fk_face_emotion(s, img, f, &emo));
    const cJSON *e = cJSON_GetObjectItem(g, "emotion");
    double sum = 0;
    for (int k = 0; k < FK_EMOTION_COUNT; k++) {
        w = fk_test_max(w, fabs(emo.p[k] - num_at(e, k)));
        sum += emo.p[k];
        CHECK(emo.p[k] <= emo.p[emo.best]);
    }
    CHECK_MSG(fabs(sum - 1) < 1e-4, "emotion probabilities sum to %g", sum);
    fk_gear gear;
    CHECK_OK(fk_face_gear(s, img, f, &gear));
    const cJSON *gg = cJSON_GetObjectItem(g, "gear");
    const cJSON *race = cJSON_GetObjectItem(gg, "race"), *gender = cJSON_GetObjectItem(gg, "gender");
    for (int k = 0; k < FK_RACE_COUNT; k++)
        w = fk_test_max(w, fabs(gear.race[k] - num_at(race, k)));
    double male = num_at(gender, 0), female = num_at(gender, 1);
    CHECK(gear.gender == (male > female ? FK_GENDER_MALE : FK_GENDER_FEMALE));
    w = fk_test_max(w, fabs(gear.gender_probability - fmax(male, female)));
    CHECK(gear.age > 10 && gear.age < 70);
    *worst = fk_test_max(*worst, w);
}

static void check_errors(fk_session *s, const fk_image *img)
{
    fk_face f;
    memset(&f, 0, sizeof f);
    f.detector = FK_DETECTOR_BLAZEFACE;
    f.box = (fk_box){-5000, -5000, 100, 100};
    fk_mesh mesh;
    CHECK(fk_face_mesh(s, img, &f, &mesh) == FK_E_INVALID_ARGUMENT);
    CHECK_MSG(strstr(fk_session_errmsg(s), "outside the image") != NULL, "%s", fk_session_errmsg(s));
    f.box = (fk_box){NAN, 10, 100, 100};
    CHECK(fk_face_mesh(s, img, &f, &mesh) == FK_E_INVALID_ARGUMENT);
    f.box = (fk_box){10, 10, 0, 0};
    fk_liveness live;
    CHECK(fk_face_liveness(s, img, &f, &live) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_face_mesh(s, NULL, &f, &mesh) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_face_mesh(NULL, img, &f, &mesh) == FK_E_INVALID_ARGUMENT);
    /* a face partly outside the image: Human's crop is zero there, and it still runs */
    f.box = (fk_box){img->width - 60.0, -40, 120, 120};
    CHECK_OK(fk_face_mesh(s, img, &f, &mesh));
    CHECK(strcmp(fk_emotion_name(3), "happy") == 0 && strcmp(fk_emotion_name(7), "?") == 0);
    CHECK(strcmp(fk_race_name(2), "asian") == 0 && strcmp(fk_race_name(-1), "?") == 0);
}

/* MobileFaceNet on the ArcFace chip: a unit 192-D descriptor from 68 landmarks, and a clear error
 * from dlib's 5 points (no mouth corners for the chip). */
static void check_mobilefacenet(fk_session *s, const fk_image *img, fk_face *f)
{
    fk_session_set_embedder(s, FK_EMBEDDER_MOBILEFACENET);
    CHECK_OK(fk_face_landmarks(s, img, f));
    CHECK_OK(fk_face_descriptor(s, img, f));
    double norm = 0;
    for (int i = 0; i < f->descriptor_dim; i++)
        norm += (double)f->descriptor[i] * f->descriptor[i];
    CHECK_MSG(f->descriptor_dim == 192 && fabs(sqrt(norm) - 1) < 1e-4 && f->embedder == FK_EMBEDDER_MOBILEFACENET,
              "mobilefacenet: %d values, norm %.6f", f->descriptor_dim, sqrt(norm));
    fk_face five = *f;
    five.landmark_count = 5;
    CHECK(fk_face_descriptor(s, img, &five) == FK_E_BAD_STATE);
    CHECK_MSG(strstr(fk_session_errmsg(s), "68 landmarks") != NULL, "%s", fk_session_errmsg(s));
    fk_session_set_embedder(s, FK_EMBEDDER_FACEAPI);
}

/* Models not loaded: FK_E_BAD_STATE naming the model, never a crash. */
static void check_not_loaded(const char *models, const fk_image *img)
{
    fk_models *m = NULL;
    fk_session *s = fk_test_session(models, FK_NET_SSD, &m);
    if (!s)
        return;
    fk_face f;
    memset(&f, 0, sizeof f);
    f.box = (fk_box){400, 400, 200, 200};
    fk_mesh mesh;
    CHECK(fk_face_mesh(s, img, &f, &mesh) == FK_E_BAD_STATE);
    CHECK_MSG(strstr(fk_session_errmsg(s), "facemesh") != NULL, "%s", fk_session_errmsg(s));
    fk_liveness live;
    CHECK(fk_face_liveness(s, img, &f, &live) == FK_E_BAD_STATE);
    fk_detect_options o;
    fk_detect_options_init(&o);
    o.detector = FK_DETECTOR_BLAZEFACE;
    fk_face *faces = NULL;
    size_t n = 0;
    CHECK(fk_face_detect(s, img, &o, &faces, &n) == FK_E_BAD_STATE && n == 0 && !faces);
    fk_session_free(s);
    fk_models_free(m);
}

int main(void)
{
    const char *models = fk_test_models_dir();
    if (!models)
        return fk_test_skip("test_human", "the models are not fetched (make models)");
    char path[4200];
    snprintf(path, sizeof path, "%s/demo/sample1.jpg", models);
    fk_error err = {0};
    fk_image *img = NULL;
    if (fk_image_load(path, NULL, &img, &err) != FK_OK)
        return fk_test_skip("test_human", err.message);
    if (!fk_model_installed(fk_model_find("blazeface"), models, path, sizeof path, NULL)) {
        fk_image_free(img);
        return fk_test_skip("test_human", "Human's models are not fetched (make models)");
    }
    unsigned char *rgb = packed_rgb(img);
    const char *dump = getenv("FK_TEST_DUMP_RGB");
    if (dump && rgb) {
        FILE *f = fopen(dump, "wb");
        if (f) {
            fwrite(rgb, 1, (size_t)img->width * img->height * 3, f);
            fclose(f);
        }
        printf("wrote %s (%dx%d)\n", dump, img->width, img->height);
    }
    char hex[65] = {0};
    if (rgb) {
        unsigned char d[32];
        fk__sha256 h;
        fk__sha256_init(&h);
        fk__sha256_update(&h, rgb, (size_t)img->width * img->height * 3);
        fk__sha256_final(&h, d);
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
    free(rgb);

    const char *src = getenv("FK_TEST_SRC");
    char gp[4200];
    snprintf(gp, sizeof gp, "%s/tests/human/sample1.json", src ? src : ".");
    cJSON *gold = fk_test_read_json(gp);
    CHECK_MSG(gold != NULL, "%s: no reference", gp);
    const cJSON *sha = gold ? cJSON_GetObjectItem(gold, "rgb_sha256") : NULL;
    fk_models *m = NULL;
    fk_session *s = gold ? fk_test_session(models, all_nets(), &m) : NULL;
    if (s && (!cJSON_IsString(sha) || strcmp(sha->valuestring, hex) != 0)) {
        /* another JPEG decoder: the reference's pixels are not these, only the errors can be checked */
        fk_test_not_applicable("test_human parity", "this build decodes sample1.jpg to other pixels than the reference's");
    } else if (s) {
        fk_detect_options o;
        fk_detect_options_init(&o);
        o.detector = FK_DETECTOR_BLAZEFACE;
        o.closeup = FK_CLOSEUP_OFF;
        fk_face *faces = NULL;
        size_t n = 0;
        CHECK_OK(fk_face_detect(s, img, &o, &faces, &n));
        const cJSON *gf = cJSON_GetObjectItem(gold, "faces");
        CHECK_MSG((int)n == cJSON_GetArraySize(gf), "%zu faces, Human %d", n, cJSON_GetArraySize(gf));
        double box_err = 0, worst = 0;
        int i = 0;
        for (const cJSON *g = gf ? gf->child : NULL; g && i < (int)n; g = g->next, i++) {
            const fk_face *f = &faces[i];
            const cJSON *b = cJSON_GetObjectItem(g, "box"), *kp = cJSON_GetObjectItem(g, "keypoints");
            double bv[4] = {f->box.x, f->box.y, f->box.width, f->box.height};
            for (int k = 0; k < 4; k++)
                box_err = fk_test_max(box_err, fabs(bv[k] - num_at(b, k)) / f->box.width);
            CHECK(f->keypoint_count == 6 && f->detector == FK_DETECTOR_BLAZEFACE);
            for (int k = 0; k < 6; k++) {
                const cJSON *p = cJSON_GetArrayItem(kp, k);
                box_err = fk_test_max(box_err, fabs(f->keypoints[k].x - num_at(p, 0)) / f->box.width);
                box_err = fk_test_max(box_err, fabs(f->keypoints[k].y - num_at(p, 1)) / f->box.width);
            }
            box_err = fk_test_max(box_err, fabs(f->score - fk_test_json_num(g, "score")));
            check_face(s, img, f, g, i, &worst);
        }
        CHECK_MSG(box_err <= 1e-4, "BlazeFace boxes differ from Human's by %g (of the box)", box_err);
        CHECK_MSG(worst <= 1e-4, "mesh/liveness/emotion/GEAR differ from Human's by %g", worst);
        printf("sample1: %zu faces; boxes within %.2g of Human's, mesh/scores within %.2g\n", n, box_err, worst);

        /* an SSD box mapped to BlazeFace's convention gives nearly the same mesh as BlazeFace's own (measured:
         * two faces within 1 px, the turned one 0.11 of its box) */
        fk_detect_options so;
        fk_detect_options_init(&so);
        fk_face *ssd = NULL;
        size_t ns = 0;
        CHECK_OK(fk_face_detect(s, img, &so, &ssd, &ns));
        double nose = 0;
        int matched = 0;
        for (size_t a = 0; a < ns; a++)
            for (size_t b = 0; b < n; b++) {
                fk_mesh ma, mb;
                if (fk_face_mesh(s, img, &ssd[a], &ma) != FK_OK || fk_face_mesh(s, img, &faces[b], &mb) != FK_OK)
                    continue;
                double d = hypot(ma.points[1].x - mb.points[1].x, ma.points[1].y - mb.points[1].y) / faces[b].box.width;
                if (d < 0.5) {
                    nose = fk_test_max(nose, d);
                    matched++;
                }
            }
        CHECK_MSG(matched == (int)n && nose < 0.15, "SSD faces: %d matched, nose tips %.3f of the box apart", matched,
                  nose);
        printf("SSD boxes through fk_box_blazeface_style: nose tip within %.3f of the box of BlazeFace's mesh\n", nose);
        fk_faces_free(ssd);
        check_errors(s, img);
        if (n > 0)
            check_mobilefacenet(s, img, &faces[0]);
        fk_faces_free(faces);
    }
    fk_session_free(s);
    fk_models_free(m);
    check_not_loaded(models, img);
    cJSON_Delete(gold);
    fk_image_free(img);
    return fk_test_finish("test_human");
}
