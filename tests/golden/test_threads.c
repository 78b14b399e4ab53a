/* test_threads.c: the whole pipeline gives the same faces, points, descriptors and ages at 1, 2 and 3 threads. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "facekit/face.h"
#include "harness.h"

static void analyze(fk_session *s, const fk_image *img, int threads, fk_face **faces, size_t *n)
{
    CHECK_OK(fk_session_set_threads(s, threads));
    CHECK(fk_session_threads(s) == threads);
    CHECK_OK(fk_face_analyze(s, img, NULL, FK_ANALYZE_ALL, faces, n));
}

int main(void)
{
    const char *models = fk_test_models_dir();
    if (!models) {
        fk_test_skip("threads", "models not fetched");
        return FK_TEST_SKIP_CODE;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/demo/sample4.jpg", models);
    fk_error err = {0};
    fk_models *m = NULL;
    fk_session *s = NULL;
    fk_image *img = NULL;
    CHECK_OK(fk_models_load(models, FK_NET_ALL, &m, &err));
    CHECK_OK(fk_session_new(m, &s, &err));
    CHECK_OK(fk_image_load(path, NULL, &img, &err));
    if (!s || !img)
        return fk_test_finish("threads");
    fk_face *ref = NULL;
    size_t nref = 0;
    analyze(s, img, 1, &ref, &nref);
    CHECK(nref == 4);
    double worst = 0;
    for (int t = 2; t <= 3; t++) {
        fk_face *f = NULL;
        size_t n = 0;
        analyze(s, img, t, &f, &n);
        CHECK_MSG(n == nref, "%d threads: %zu faces, 1 thread: %zu", t, n, nref);
        for (size_t i = 0; i < n && i < nref; i++) {
            worst = fmax(worst, fabs(f[i].box.x - ref[i].box.x) + fabs(f[i].score - ref[i].score));
            for (int p = 0; p < FK_LANDMARK_COUNT; p++)
                worst = fmax(worst, fabs(f[i].landmarks[p].x - ref[i].landmarks[p].x) / 100);
            for (int d = 0; d < FK_DESCRIPTOR_DIM; d++)
                worst = fmax(worst, fabs(f[i].descriptor[d] - ref[i].descriptor[d]));
            worst = fmax(worst, fabs(f[i].age - ref[i].age) / 100);
        }
        fk_faces_free(f);
    }
    printf("1 vs 2 and 3 threads: largest difference %.3g (boxes and scores, landmarks/100, descriptors, ages/100)\n",
           worst);
    CHECK(worst <= 1e-5);
    CHECK(fk_session_set_threads(s, 0) == FK_E_INVALID_ARGUMENT);
    fk_faces_free(ref);
    fk_image_free(img);
    fk_session_free(s);
    fk_models_free(m);
    return fk_test_finish("threads");
}
