/* test_e2e_parity.c: the whole pipeline on the six demo photos against face-api on libjpeg-turbo pixels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "facekit/face.h"
#include "facekit/image.h"
#include "harness.h"

static fk_box json_box(const cJSON *b)
{
    fk_box r = {fk_test_json_num(b, "x"), fk_test_json_num(b, "y"), fk_test_json_num(b, "width"),
                fk_test_json_num(b, "height")};
    return r;
}

static double iou(fk_box a, fk_box b)
{
    double x0 = fk_test_max(a.x, b.x), y0 = fk_test_max(a.y, b.y);
    double x1 = fk_test_min(a.x + a.width, b.x + b.width), y1 = fk_test_min(a.y + a.height, b.y + b.height);
    double inter = fk_test_max(0, x1 - x0) * fk_test_max(0, y1 - y0);
    return inter / (a.width * a.height + b.width * b.height - inter);
}

typedef struct worst {
    double iou, lm, desc, age, score;
    int faces, tiny_faces;
} worst;

static void check_image(fk_session *s, const char *shared, int k, worst *w)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/faceapi-demo/sample%d.jpg", shared, k);
    fk_error err = {0};
    fk_image *img = NULL;
    if (fk_image_load(path, NULL, &img, &err) != FK_OK) {
        CHECK_MSG(0, "%s", err.message);
        return;
    }
    snprintf(path, sizeof path, "%s/golden/faceapi-cpu-libjpegturbo/sample%d.json", shared, k);
    cJSON *j = fk_test_read_json(path);
    CHECK_MSG(j != NULL, "cannot parse %s", path);
    fk_face *faces = NULL;
    size_t n = 0;
    fk_status st = fk_face_analyze(s, img, NULL, FK_ANALYZE_ALL, &faces, &n);
    CHECK_MSG(st == FK_OK, "sample%d: %s", k, fk_session_errmsg(s));
    const cJSON *ref = cJSON_GetObjectItem(j, "faces");
    int nref = cJSON_GetArraySize(ref);
    CHECK_MSG((int)n == nref, "sample%d: %zu faces, face-api finds %d", k, n, nref);
    for (int i = 0; i < nref && i < (int)n; i++) {
        const cJSON *rf = cJSON_GetArrayItem(ref, i);
        const cJSON *det = cJSON_GetObjectItem(rf, "detection");
        fk_face *f = &faces[i];
        double o = iou(f->box, json_box(cJSON_GetObjectItem(det, "box")));
        CHECK_MSG(o >= 0.9999, "sample%d face %d: box IoU %.6f < 0.9999", k, i, o);
        w->iou = fk_test_min(w->iou, o);
        double ds = fabs(f->score - fk_test_json_num(det, "score"));
        CHECK_MSG(ds <= 1e-5, "sample%d face %d: score differs by %.3g > 1e-5", k, i, ds);
        w->score = fk_test_max(w->score, ds);
        const cJSON *lm = cJSON_GetObjectItem(rf, "landmarks68");
        double lmax = 0;
        for (int p = 0; p < FK_LANDMARK_COUNT; p++) {
            const cJSON *pt = cJSON_GetArrayItem(lm, p);
            double dx = f->landmarks[p].x - cJSON_GetArrayItem(pt, 0)->valuedouble;
            double dy = f->landmarks[p].y - cJSON_GetArrayItem(pt, 1)->valuedouble;
            lmax = fk_test_max(lmax, hypot(dx, dy));
        }
        CHECK_MSG(f->has_landmarks && lmax <= 0.0005, "sample%d face %d: landmark off by %.5f px > 0.0005", k, i, lmax);
        w->lm = fk_test_max(w->lm, lmax);
        const cJSON *desc = cJSON_GetObjectItem(rf, "descriptor");
        double d2 = 0;
        for (int c = 0; c < FK_DESCRIPTOR_DIM; c++) {
            double d = f->descriptor[c] - cJSON_GetArrayItem(desc, c)->valuedouble;
            d2 += d * d;
        }
        CHECK_MSG(f->has_descriptor && sqrt(d2) <= 1e-5, "sample%d face %d: descriptor L2 %.3g > 1e-5", k, i,
                  sqrt(d2));
        w->desc = fk_test_max(w->desc, sqrt(d2));
        double age = fk_test_json_num(rf, "age");
        CHECK_MSG(fabs(f->age - age) <= 1e-4, "sample%d face %d: age differs by %.3g > 1e-4 years", k, i,
                  fabs(f->age - age));
        w->age = fk_test_max(w->age, fabs(f->age - age));
        const cJSON *g = cJSON_GetObjectItem(rf, "gender");
        CHECK_MSG(f->has_attributes && cJSON_IsString(g) &&
                      (f->gender == FK_GENDER_MALE) == (strcmp(g->valuestring, "male") == 0),
                  "sample%d face %d: gender differs", k, i);
    }
    w->faces += (int)n;
    fk_faces_free(faces);

    /* the Tiny detector: same faces as face-api's, boxes as tight */
    fk_detect_options opt;
    fk_detect_options_init(&opt);
    opt.detector = FK_DETECTOR_TINY;
    st = fk_face_detect(s, img, &opt, &faces, &n);
    CHECK_MSG(st == FK_OK, "sample%d tiny: %s", k, fk_session_errmsg(s));
    const cJSON *tref = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "tiny_face_detector"), "detections");
    int ntref = cJSON_GetArraySize(tref);
    CHECK_MSG((int)n == ntref, "sample%d: Tiny finds %zu faces, face-api %d", k, n, ntref);
    for (int i = 0; i < ntref && i < (int)n; i++) {
        const cJSON *rd = cJSON_GetArrayItem(tref, i);
        double o = iou(faces[i].box, json_box(cJSON_GetObjectItem(rd, "box")));
        CHECK_MSG(o >= 0.9999, "sample%d tiny face %d: box IoU %.6f < 0.9999", k, i, o);
        w->iou = fk_test_min(w->iou, o);
    }
    w->tiny_faces += (int)n;
    fk_faces_free(faces);
    cJSON_Delete(j);
    fk_image_free(img);
}

int main(void)
{
    const char *shared = fk_test_shared_dir();
    const char *models = fk_test_models_dir();
    if (!shared || !models) {
        return fk_test_skip("end-to-end parity", !shared ? "../shared (golden outputs) not found" : "models not fetched");
    }
    fk_models *m = NULL;
    fk_session *s = fk_test_session(models, FK_NET_ALL, &m);
    if (!s)
        return fk_test_finish("end-to-end parity");
    /* face-api's own crop for the descriptor: this test is about parity with face-api */
    fk_session_set_descriptor_crop(s, FK_CROP_FACEAPI);
    worst w = {1.0, 0, 0, 0, 0, 0, 0};
    for (int k = 1; k <= 6; k++)
        check_image(s, shared, k, &w);
    /* face-api finds 22 faces with SSD and 20 with Tiny on these photos */
    CHECK_MSG(w.faces == 22 && w.tiny_faces == 20, "%d SSD and %d Tiny faces, want 22 and 20", w.faces, w.tiny_faces);
    printf("6 photos, %d SSD faces, %d Tiny faces: min box IoU %.7f, max landmark error %.3g px, max descriptor "
           "L2 %.3g, max score diff %.2g, max age diff %.3g years\n",
           w.faces, w.tiny_faces, w.iou, w.lm, w.desc, w.score, w.age);
    fk_session_free(s);
    fk_models_free(m);
    return fk_test_finish("end-to-end parity");
}
