/* test_faces_landmarks.c: fk_faces_landmarks on a photo's faces equals one fk_face_landmarks each, for both landmarkers, and a bad face fails alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/face.h"
#include "harness.h"

static void check_landmarker(fk_session *s, const fk_image *img, const fk_face *det, size_t n, fk_landmarker which,
                             const char *name)
{
    fk_session_set_landmarker(s, which);
    /* the detections with a bad face (NaN box) in the middle */
    size_t total = n + 1, bad = n / 2;
    fk_face *all = calloc(total, sizeof *all), *one = calloc(total, sizeof *one);
    if (!all || !one) {
        CHECK(0);
        free(all), free(one);
        return;
    }
    for (size_t i = 0, k = 0; i < total; i++)
        if (i == bad)
            all[i].box = (fk_box){NAN, 10, 50, 50};
        else
            all[i] = det[k++];
    memcpy(one, all, total * sizeof *all);
    fk_status st = fk_faces_landmarks(s, img, all, total);
    CHECK_MSG(st == FK_E_INVALID_ARGUMENT, "%s: the bad face gives %d, not FK_E_INVALID_ARGUMENT", name, (int)st);
    CHECK_MSG(strstr(fk_session_errmsg(s), "box") != NULL, "%s: message \"%s\" does not name the box", name,
              fk_session_errmsg(s));
    for (size_t i = 0; i < total; i++) {
        fk_status one_st = fk_face_landmarks(s, img, &one[i]);
        if (i == bad) {
            CHECK_MSG(one_st != FK_OK && !all[i].has_landmarks, "%s: the bad face got landmarks", name);
            continue;
        }
        CHECK_MSG(one_st == FK_OK && all[i].has_landmarks, "%s: face %zu has no landmarks", name, i);
        CHECK_MSG(!memcmp(all[i].landmarks, one[i].landmarks, sizeof all[i].landmarks) &&
                      !memcmp(all[i].points5, one[i].points5, sizeof all[i].points5),
                  "%s: face %zu: the batch's points differ from one call's", name, i);
    }
    CHECK_OK(fk_faces_landmarks(s, img, all, 0));
    free(all);
    free(one);
}

int main(void)
{
    const char *models = fk_test_models_dir();
    if (!models) {
        return fk_test_skip("faces_landmarks", "models not fetched");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/demo/sample5.jpg", models); /* five faces: a full group of 4 and one more */
    fk_error err = {0};
    fk_models *m = NULL;
    fk_session *s = NULL;
    fk_image *img = NULL;
    unsigned nets = FK_NET_SSD | FK_NET_LANDMARKS;
    int have_ert = fk_models_load(models, nets | FK_NET_ERT, &m, &err) == FK_OK;
    if (!have_ert) {
        fk_test_skip("faces_landmarks with the ERT", err.message);
        CHECK_OK(fk_models_load(models, nets, &m, &err));
    }
    CHECK_OK(fk_session_new(m, &s, &err));
    CHECK_OK(fk_image_load(path, NULL, &img, &err));
    fk_face *det = NULL;
    size_t n = 0;
    if (s && img)
        CHECK_OK(fk_face_detect(s, img, NULL, &det, &n));
    CHECK_MSG(n >= 5, "%zu faces in %s", n, path);
    if (n) {
        check_landmarker(s, img, det, n, FK_LANDMARKER_CNN, "cnn");
        if (have_ert)
            check_landmarker(s, img, det, n, FK_LANDMARKER_ERT, "ert");
    }
    fk_faces_free(det);
    fk_image_free(img);
    fk_session_free(s);
    fk_models_free(m);
    return fk_test_finish("faces_landmarks");
}
