/* test_threads.c: the whole pipeline gives bit for bit the same faces (every field) at 1, 2 and 3 threads. */
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "facekit/face.h"
#include "harness.h"

/* The first field of two faces whose bits differ, or NULL: every field of fk_face, compared
 * field by field because the padding between them is not part of the result. */
static const char *face_differs(const fk_face *a, const fk_face *b)
{
#define FIELD(f)                                   \
    if (memcmp(&a->f, &b->f, sizeof a->f) != 0) \
        return #f;
    FIELD(box)
    FIELD(score)
    FIELD(has_landmarks)
    FIELD(landmarks)
    FIELD(points5)
    FIELD(has_descriptor)
    FIELD(descriptor)
    FIELD(has_attributes)
    FIELD(age)
    FIELD(gender)
    FIELD(gender_probability)
    FIELD(landmark_crop)
    FIELD(descriptor_crop)
    FIELD(attributes_crop)
    FIELD(detector)
    FIELD(landmark_count)
    FIELD(descriptor_dim)
    FIELD(embedder)
    FIELD(keypoint_count)
    FIELD(keypoints)
#undef FIELD
    /* a field added to fk_face must be added above */
    _Static_assert(sizeof(fk_face) == offsetof(fk_face, keypoints) + sizeof(fk_point) * FK_KEYPOINT_COUNT,
                   "fk_face grew");
    return NULL;
}

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
        return fk_test_skip("threads", "models not fetched");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/demo/sample4.jpg", models);
    fk_error err = {0};
    fk_models *m = NULL;
    fk_session *s = fk_test_session(models, FK_NET_ALL, &m);
    fk_image *img = NULL;
    CHECK_OK(fk_image_load(path, NULL, &img, &err));
    if (!s || !img)
        return fk_test_finish("threads");
    fk_face *ref = NULL;
    size_t nref = 0;
    analyze(s, img, 1, &ref, &nref);
    CHECK(nref == 4);
    for (int t = 2; t <= 3; t++) {
        fk_face *f = NULL;
        size_t n = 0;
        analyze(s, img, t, &f, &n);
        CHECK_MSG(n == nref, "%d threads: %zu faces, 1 thread: %zu", t, n, nref);
        for (size_t i = 0; i < n && i < nref; i++) {
            const char *what = face_differs(&f[i], &ref[i]);
            CHECK_MSG(!what, "%d threads, face %zu: %s differs from 1 thread's", t, i, what);
        }
        fk_faces_free(f);
    }
    printf("1 vs 2 and 3 threads: %zu faces, every field bit for bit the same\n", nref);
    CHECK(fk_session_set_threads(s, 0) == FK_E_INVALID_ARGUMENT);
    fk_faces_free(ref);
    fk_image_free(img);
    fk_session_free(s);
    fk_models_free(m);
    return fk_test_finish("threads");
}
