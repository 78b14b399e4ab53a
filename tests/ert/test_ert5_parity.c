/* test_ert5_parity.c: dlib's 5-point model (the dlib5 landmarker) against dlib 19.24's own points (sp5_oracle.txt), directly and through a session. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/face.h"
#include "facekit/image.h"
#include "facekit/landmarks.h"
#include "facekit/models.h"
#include "harness.h"

static long dlib_round(double v)
{
    return (long)floor(v + 0.5);
}

static void image_path(const char *shared, const char *name, char *out, size_t n)
{
    if (strncmp(name, "sample", 6) == 0)
        snprintf(out, n, "%s/data/faceapi-demo/%s", shared, name);
    else
        snprintf(out, n, "%s/peers/face_recognition/tests/test_images/%s", shared, name);
}

int main(void)
{
    const char *shared = fk_test_shared_dir();
    const char *models = fk_test_models_dir();
    if (!shared)
        return fk_test_skip("test_ert5_parity", "no ../shared (demo photos) folder");
    if (!models)
        return fk_test_skip("test_ert5_parity", "models not fetched");
    fk_error err = {0};
    fk_models *m = NULL;
    if (fk_models_load_named(models, "dlib5", &m, &err) != FK_OK) {
        if (err.status == FK_E_NOT_FOUND)
            return fk_test_skip("test_ert5_parity", err.message);
        CHECK_MSG(0, "%s", err.message);
        return fk_test_finish("test_ert5_parity");
    }
    CHECK(fk_models_has(m, "dlib5"));
    CHECK(!fk_models_has(m, "dlib68"));
    fk_session *s = NULL;
    CHECK_OK(fk_session_new(m, &s, &err));
    CHECK_OK(fk_session_use(s, "dlib5"));
    CHECK(fk_session_use(s, "dlib68") == FK_E_BAD_STATE);

    const char *src = getenv("FK_TEST_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/ert/sp5_oracle.txt", src ? src : ".");
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    char line[512], cur[256] = "";
    fk_image *img = NULL;
    int faces = 0, points = 0, same = 0;
    while (f && s && fgets(line, sizeof line, f)) {
        char name[256];
        long l, t, r, b, p[10];
        if (line[0] == '#' || sscanf(line, "%255s %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld", name, &l, &t,
                                     &r, &b, &p[0], &p[1], &p[2], &p[3], &p[4], &p[5], &p[6], &p[7], &p[8], &p[9]) != 15)
            continue;
        if (strcmp(name, cur) != 0) {
            fk_image_free(img);
            img = NULL;
            image_path(shared, name, path, sizeof path);
            CHECK_MSG(fk_image_load(path, NULL, &img, &err) == FK_OK, "%s", err.message);
            snprintf(cur, sizeof cur, "%s", name);
        }
        if (!img)
            continue;
        /* a HOG rectangle goes to the predictor as it is, through the session too */
        fk_face face;
        memset(&face, 0, sizeof face);
        face.box = (fk_box){(double)l, (double)t, (double)(r - l + 1), (double)(b - t + 1)};
        face.detector = FK_DETECTOR_HOG;
        CHECK_MSG(fk_face_landmarks(s, img, &face) == FK_OK, "%s: %s", name, fk_session_errmsg(s));
        CHECK(face.has_landmarks && face.landmark_count == 5);
        faces++;
        for (int k = 0; k < 5; k++) {
            long x = dlib_round(face.landmarks[k].x), y = dlib_round(face.landmarks[k].y);
            points++;
            if (x == p[2 * k] && y == p[2 * k + 1])
                same++;
            else
                printf("  %s face at (%ld, %ld) point %d: facekit (%ld, %ld) [%.4f, %.4f], dlib (%ld, %ld)\n", name, l,
                       t, k, x, y, face.landmarks[k].x, face.landmarks[k].y, p[2 * k], p[2 * k + 1]);
        }
        /* eye centres and nose from the 5 points; no mouth */
        CHECK(fabs(face.points5[0].x - (face.landmarks[2].x + face.landmarks[3].x) / 2) < 1e-9);
        CHECK(isnan(face.points5[3].x) && isnan(face.points5[4].y));
    }
    if (f)
        fclose(f);
    printf("dlib5: %d faces, %d/%d points identical to dlib's\n", faces, same, points);
    CHECK_MSG(faces >= 15, "only %d faces in the oracle file", faces);
    CHECK_MSG(same == points, "%d of %d points differ from dlib's", points - same, points);
    fk_image_free(img);
    fk_session_free(s);
    fk_models_free(m);
    return fk_test_finish("test_ert5_parity");
}
