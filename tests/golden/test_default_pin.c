/* test_default_pin.c: the default pipeline (SSD, CNN-68 landmarks, dlib chip, ResNet) on the six demo photos against its pinned boxes and descriptors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "facekit/face.h"
#include "facekit/image.h"
#include "harness.h"

/* No peer runs this exact path (face-api describes its own box; dlib has its float ResNet and its
 * own landmarks), so its outputs are pinned here: tests/golden/default_pin.json was written by
 * this test with FK_TEST_WRITE_PIN=1 after the chip was checked byte for byte against dlib's
 * (test_dlib_chip_parity) and the nets against TensorFlow.js (test_net_parity). A change that
 * moves a descriptor by more than the kernels' own spread fails here first. Rewrite the pin only
 * for a change that is meant to move the descriptors, and say why in its commit. */
#define DESC_TOL 1e-5 /* fast vs portable kernels differ by 4e-7 at most on the golden crops */
#define BOX_TOL 1e-3  /* pixels */

static double pin_num(const cJSON *a, int i)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static cJSON *face_json(const fk_face *f)
{
    cJSON *o = cJSON_CreateObject();
    double box[4] = {f->box.x, f->box.y, f->box.width, f->box.height};
    cJSON_AddItemToObject(o, "box", cJSON_CreateDoubleArray(box, 4));
    cJSON_AddItemToObject(o, "descriptor", cJSON_CreateFloatArray(f->descriptor, FK_DESCRIPTOR_DIM));
    return o;
}

/* Compares one photo's faces with its pin; returns the largest descriptor difference. */
static double check_photo(const char *name, const fk_face *faces, size_t n, const cJSON *pin, double *box_worst)
{
    double worst = 0;
    CHECK_MSG(cJSON_GetArraySize(pin) == (int)n, "%s: %zu faces, the pin has %d", name, n, cJSON_GetArraySize(pin));
    for (int i = 0; i < (int)n && i < cJSON_GetArraySize(pin); i++) {
        const cJSON *pf = cJSON_GetArrayItem(pin, i);
        const cJSON *pb = cJSON_GetObjectItem(pf, "box"), *pd = cJSON_GetObjectItem(pf, "descriptor");
        double box[4] = {faces[i].box.x, faces[i].box.y, faces[i].box.width, faces[i].box.height}, bw = 0;
        for (int k = 0; k < 4; k++)
            bw = fk_test_max(bw, fabs(box[k] - pin_num(pb, k)));
        CHECK_MSG(bw <= BOX_TOL, "%s face %d: box moved by %.3g px", name, i, bw);
        *box_worst = fk_test_max(*box_worst, bw);
        CHECK_MSG(faces[i].has_descriptor && cJSON_GetArraySize(pd) == FK_DESCRIPTOR_DIM, "%s face %d: no descriptor",
                  name, i);
        float want[FK_DESCRIPTOR_DIM];
        for (int c = 0; c < FK_DESCRIPTOR_DIM; c++)
            want[c] = (float)pin_num(pd, c);
        double d = fk_test_max_abs_diff(faces[i].descriptor, want, FK_DESCRIPTOR_DIM);
        CHECK_MSG(d <= DESC_TOL, "%s face %d: descriptor max |diff| %.3g > %.0e", name, i, d, DESC_TOL);
        worst = fk_test_max(worst, d);
    }
    return worst;
}

int main(void)
{
    const char *models = fk_test_models_dir();
    const char *src = getenv("FK_TEST_SRC");
    if (!models)
        return fk_test_skip("default-path pin", "models not fetched");
    char pin_path[4200];
    snprintf(pin_path, sizeof pin_path, "%s/tests/golden/default_pin.json", src ? src : ".");
    int write = getenv("FK_TEST_WRITE_PIN") != NULL;
    cJSON *pin = write ? cJSON_CreateObject() : fk_test_read_json(pin_path);
    CHECK_MSG(pin != NULL, "cannot read %s", pin_path);

    fk_error err = {0};
    fk_models *m = NULL;
    fk_session *s = fk_test_session(models, FK_NET_ALL, &m);
    if (!s || !pin) {
        fk_session_free(s);
        cJSON_Delete(pin);
        fk_models_free(m);
        return fk_test_finish("default-path pin");
    }
    /* the defaults, set out loud so that a change of default is not silently pinned */
    fk_session_set_landmarker(s, FK_LANDMARKER_CNN);
    fk_session_set_descriptor_crop(s, FK_CROP_DLIB_CHIP);
    double worst = 0, box_worst = 0;
    int faces_total = 0;
    for (int k = 1; k <= 6; k++) {
        char path[4300], name[32];
        snprintf(path, sizeof path, "%s/demo/sample%d.jpg", models, k);
        snprintf(name, sizeof name, "sample%d", k);
        fk_image *img = NULL;
        fk_face *faces = NULL;
        size_t n = 0;
        if (fk_image_load(path, NULL, &img, &err) != FK_OK) {
            CHECK_MSG(0, "%s", err.message);
            continue;
        }
        CHECK_MSG(fk_face_analyze(s, img, NULL, FK_ANALYZE_LANDMARKS | FK_ANALYZE_DESCRIPTOR, &faces, &n) == FK_OK,
                  "%s: %s", name, fk_session_errmsg(s));
        faces_total += (int)n;
        if (write) {
            cJSON *arr = cJSON_AddArrayToObject(pin, name);
            for (size_t i = 0; i < n; i++)
                cJSON_AddItemToArray(arr, face_json(&faces[i]));
        } else {
            worst = fk_test_max(worst, check_photo(name, faces, n, cJSON_GetObjectItem(pin, name), &box_worst));
        }
        fk_faces_free(faces);
        fk_image_free(img);
    }
    CHECK_MSG(faces_total == 22, "%d faces in the six photos, want 22", faces_total);
    if (write) {
        char *text = cJSON_Print(pin);
        FILE *f = text ? fopen(pin_path, "w") : NULL;
        CHECK_MSG(f && fputs(text, f) >= 0 && fputc('\n', f) != EOF && fclose(f) == 0, "cannot write %s", pin_path);
        printf("wrote %s: %d faces\n", pin_path, faces_total);
        free(text);
    } else {
        printf("default path (SSD, CNN-68, dlib chip), 6 photos, %d faces: descriptor max|diff| %.3g (tolerance "
               "%.0e), box max|diff| %.3g px against %s\n",
               faces_total, worst, DESC_TOL, box_worst, pin_path);
    }
    cJSON_Delete(pin);
    fk_session_free(s);
    fk_models_free(m);
    return fk_test_finish("default-path pin");
}
