/* test_batch_descriptors.c: fk_faces_descriptors (the faces of a photo as batches through one plan) gives each face bitwise fk_face_descriptor's descriptor, on every crop, embedder, flip and thread count, and fails face by face. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/face.h"
#include "harness.h"

#define NF 19 /* two full batches of 8 and a remainder */

/* The photo's faces with landmarks, repeated (with the faces in another order) up to NF. */
static size_t faces_of(fk_session *s, const fk_image *img, fk_face out[NF])
{
    fk_face *f = NULL;
    size_t n = 0;
    if (fk_face_detect(s, img, NULL, &f, &n) != FK_OK || n == 0) {
        fk_faces_free(f);
        return 0;
    }
    fk_faces_landmarks(s, img, f, n);
    for (size_t i = 0; i < NF; i++)
        out[i] = f[(i * 7) % n];
    fk_faces_free(f);
    return n;
}

/* Every face through fk_face_descriptor, then all through fk_faces_descriptors: the same bits. */
static void compare(fk_session *s, const fk_image *img, const fk_face *faces, const char *what)
{
    fk_face one[NF], many[NF];
    memcpy(one, faces, sizeof one);
    memcpy(many, faces, sizeof many);
    for (int i = 0; i < NF; i++)
        CHECK_MSG(fk_face_descriptor(s, img, &one[i]) == FK_OK, "%s: face %d: %s", what, i, fk_session_errmsg(s));
    CHECK_MSG(fk_faces_descriptors(s, img, many, NF) == FK_OK, "%s: %s", what, fk_session_errmsg(s));
    int same = 0;
    for (int i = 0; i < NF; i++)
        same += many[i].has_descriptor && many[i].descriptor_dim == one[i].descriptor_dim &&
                many[i].embedder == one[i].embedder &&
                !memcmp(many[i].descriptor, one[i].descriptor, sizeof one[i].descriptor) &&
                !memcmp(&many[i].descriptor_crop, &one[i].descriptor_crop, sizeof(fk_box));
    printf("%s: %d of %d faces bitwise the same batched\n", what, same, NF);
    CHECK_MSG(same == NF, "%s: %d of %d batched descriptors differ from one at a time", what, NF - same, NF);
}

int main(void)
{
    const char *models = fk_test_models_dir();
    if (!models)
        return fk_test_skip("batch_descriptors", "models not fetched");
    char path[4200];
    snprintf(path, sizeof path, "%s/demo/sample1.jpg", models); /* several faces */
    fk_error err = {0};
    fk_models *m = NULL;
    fk_session *s = fk_test_session(models, FK_NET_SSD | FK_NET_LANDMARKS | FK_NET_DESCRIPTOR, &m);
    fk_image *img = NULL;
    CHECK_OK(fk_image_load(path, NULL, &img, &err));
    fk_face faces[NF];
    size_t found = s && img ? faces_of(s, img, faces) : 0;
    CHECK_MSG(found >= 2, "sample1.jpg: %zu faces", found);
    if (found < 2)
        return fk_test_finish("batch_descriptors");
    char what[128];
    for (int threads = 1; threads <= 2; threads++) {
        CHECK_OK(fk_session_set_threads(s, threads));
        for (int crop = 0; crop < FK_CROP_COUNT; crop++)
            for (int flip = 0; flip < 2; flip++) {
                fk_session_set_descriptor_crop(s, (fk_descriptor_crop)crop);
                fk_session_set_descriptor_flip(s, flip);
                snprintf(what, sizeof what, "face-api ResNet, crop %d, flip %d, %d thread%s", crop, flip, threads,
                         threads > 1 ? "s" : "");
                compare(s, img, faces, what);
            }
    }
    fk_session_set_descriptor_flip(s, 0);
    fk_session_set_descriptor_crop(s, FK_CROP_FACEAPI);

    /* a face without landmarks and one whose crop lies outside the image fail alone */
    fk_face bad[NF];
    memcpy(bad, faces, sizeof bad);
    bad[3].has_landmarks = 0;
    for (int k = 0; k < bad[11].landmark_count; k++)
        bad[11].landmarks[k].x += 1e5;
    CHECK(fk_faces_descriptors(s, img, bad, NF) == FK_E_BAD_STATE); /* the first failure: face 3 */
    CHECK_MSG(strstr(fk_session_errmsg(s), "landmarks") != NULL, "the message is not the first failure's: %s",
              fk_session_errmsg(s));
    int ok = 0;
    for (int i = 0; i < NF; i++)
        ok += bad[i].has_descriptor;
    CHECK_MSG(ok == NF - 2 && !bad[3].has_descriptor && !bad[11].has_descriptor, "%d of %d described", ok, NF);
    CHECK(fk_faces_descriptors(s, NULL, bad, NF) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_faces_descriptors(s, img, NULL, 0) == FK_OK);

    /* dlib's float ResNet on its chip, when fetched */
    fk_models *md = NULL;
    fk_session *sd = NULL;
    if (fk_models_load(models, FK_NET_DLIB_RESNET, &md, &err) != FK_OK || fk_session_new(md, &sd, &err) != FK_OK) {
        fk_test_skip("batch_descriptors: dlib's ResNet", err.message);
    } else {
        fk_session_set_embedder(sd, FK_EMBEDDER_DLIB);
        for (int threads = 1; threads <= 2; threads++)
            for (int flip = 0; flip < 2; flip++) {
                CHECK_OK(fk_session_set_threads(sd, threads));
                fk_session_set_descriptor_flip(sd, flip);
                snprintf(what, sizeof what, "dlib's ResNet, flip %d, %d thread%s", flip, threads, threads > 1 ? "s" : "");
                compare(sd, img, faces, what);
            }
    }
    fk_session_free(sd);
    fk_models_free(md);
    fk_image_free(img);
    fk_session_free(s);
    fk_models_free(m);
    return fk_test_finish("batch_descriptors");
}
