/* test_flip.c: descriptors with the mirror-image average (fk_session_set_descriptor_flip): off changes nothing, on is repeatable and nearly mirror-invariant. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "facekit/face.h"
#include "harness.h"
#include "image/image_internal.h"

static double l2(const float *a, const float *b)
{
    double s = 0;
    for (int k = 0; k < FK_DESCRIPTOR_DIM; k++)
        s += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
    return sqrt(s);
}

/* The descriptor of the largest face (the photo's main subject). */
static int describe(fk_session *s, const fk_image *img, float out[FK_DESCRIPTOR_DIM])
{
    fk_face *f = NULL;
    size_t n = 0;
    if (fk_face_analyze(s, img, NULL, FK_ANALYZE_DESCRIPTOR, &f, &n) != FK_OK || n == 0) {
        fk_faces_free(f);
        return 0;
    }
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (f[i].box.width * f[i].box.height > f[best].box.width * f[best].box.height)
            best = i;
    int ok = f[best].has_descriptor;
    memcpy(out, f[best].descriptor, FK_DESCRIPTOR_DIM * sizeof(float));
    fk_faces_free(f);
    return ok;
}

int main(void)
{
    const char *models = fk_test_models_dir();
    if (!models) {
        return fk_test_skip("flip", "models not fetched");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/demo/sample2.jpg", models); /* one face */
    fk_error err = {0};
    fk_models *m = NULL;
    fk_session *s = fk_test_session(models, FK_NET_SSD | FK_NET_LANDMARKS | FK_NET_DESCRIPTOR, &m);
    fk_image *img = NULL, *mirror = NULL;
    CHECK_OK(fk_image_load(path, NULL, &img, &err));
    if (img)
        CHECK_OK(fk__image_orient(img, 2, &mirror, &err)); /* EXIF orientation 2: mirrored left to right */
    if (!s || !img || !mirror)
        return fk_test_finish("flip");
    for (int crop = 0; crop < FK_CROP_COUNT; crop++) {
        fk_session_set_descriptor_crop(s, (fk_descriptor_crop)crop);
        float plain[FK_DESCRIPTOR_DIM], plain_m[FK_DESCRIPTOR_DIM], again[FK_DESCRIPTOR_DIM];
        float flip[FK_DESCRIPTOR_DIM], flip2[FK_DESCRIPTOR_DIM], flip_m[FK_DESCRIPTOR_DIM];
        fk_session_set_descriptor_flip(s, 0);
        CHECK(describe(s, img, plain) && describe(s, mirror, plain_m));
        fk_session_set_descriptor_flip(s, 1);
        CHECK(describe(s, img, flip) && describe(s, img, flip2) && describe(s, mirror, flip_m));
        fk_session_set_descriptor_flip(s, 0);
        CHECK(describe(s, img, again));
        double d_flip = l2(plain, flip), d_mirror_plain = l2(plain, plain_m), d_mirror_flip = l2(flip, flip_m);
        printf("crop %d: |plain - flip| %.4f, mirror image: plain %.4f apart, flip %.4f apart\n", crop, d_flip,
               d_mirror_plain, d_mirror_flip);
        CHECK_MSG(!memcmp(plain, again, sizeof plain), "crop %d: turning flip off does not restore the descriptor", crop);
        CHECK_MSG(!memcmp(flip, flip2, sizeof flip), "crop %d: flip is not repeatable", crop);
        /* the average moves the descriptor a little, never to another person; averaging a face with
         * its mirror image makes the photo and its mirror image agree more. The figures are those
         * measured (face-api crop, then dlib chip), within 0.001: less than a descriptor moves for
         * any change a test elsewhere would let pass */
        static const double want[FK_CROP_COUNT][3] = {{0.1449, 0.2981, 0.1125}, {0.0784, 0.1807, 0.0649}};
        CHECK_MSG(fabs(d_flip - want[crop][0]) <= 0.001, "crop %d: flip moved the descriptor by %.4f, measured %.4f",
                  crop, d_flip, want[crop][0]);
        CHECK_MSG(fabs(d_mirror_plain - want[crop][1]) <= 0.001 && fabs(d_mirror_flip - want[crop][2]) <= 0.001,
                  "crop %d: mirror images %.4f apart with flip, %.4f without; measured %.4f and %.4f", crop,
                  d_mirror_flip, d_mirror_plain, want[crop][2], want[crop][1]);
        CHECK(d_mirror_flip < d_mirror_plain);
    }

    /* dlib's jitter: repeatable for a seed, another seed another mean, off restores the plain
     * descriptor, and the mean of jittered copies stays near the face's descriptor */
    fk_session_set_descriptor_crop(s, FK_CROP_DLIB_CHIP);
    fk_session_set_descriptor_flip(s, 0);
    float plain[FK_DESCRIPTOR_DIM], j0[FK_DESCRIPTOR_DIM], j0b[FK_DESCRIPTOR_DIM], j7[FK_DESCRIPTOR_DIM];
    float back[FK_DESCRIPTOR_DIM];
    CHECK(describe(s, img, plain));
    CHECK_OK(fk_session_set_jitter(s, 4, 0));
    CHECK(describe(s, img, j0) && describe(s, img, j0b));
    CHECK_OK(fk_session_set_jitter(s, 4, 7));
    CHECK(describe(s, img, j7));
    CHECK_OK(fk_session_set_jitter(s, 0, 0));
    CHECK(describe(s, img, back));
    printf("jitter 4: %.4f from the plain descriptor (seed 0), %.4f (seed 7)\n", l2(plain, j0), l2(plain, j7));
    CHECK(!memcmp(j0, j0b, sizeof j0));
    CHECK(memcmp(j0, j7, sizeof j0) != 0);
    CHECK(!memcmp(plain, back, sizeof plain));
    CHECK(l2(plain, j0) > 0.005 && l2(plain, j0) < 0.25 && l2(plain, j7) < 0.25); /* 0.104 and 0.158 measured */
    CHECK(fk_session_set_jitter(s, -1, 0) == FK_E_INVALID_ARGUMENT && fk_session_set_jitter(s, 1001, 0) != FK_OK);
    fk_session_set_descriptor_crop(s, FK_CROP_FACEAPI);
    CHECK_OK(fk_session_set_jitter(s, 3, 0));
    CHECK(!describe(s, img, j0)); /* face-api's crop is not a chip to jitter */
    fk_image_free(img);
    fk_image_free(mirror);
    fk_session_free(s);
    fk_models_free(m);
    return fk_test_finish("flip");
}
