/* test_registry.c: the model registry: unique names, every role's enum reachable, aliases, load by name, and descriptors of two embedders refused. */
#include <stdio.h>
#include <string.h>

#include "facekit/face.h"
#include "facekit/models.h"
#include "harness.h"

int main(void)
{
    size_t n = fk_model_count();
    CHECK(n >= 10);
    CHECK(fk_model_at(n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const fk_model_info *m = fk_model_at(i);
        CHECK(m && m->name[0] && m->title[0] && m->licence[0] && m->files[0] && m->input[0] && m->output[0]);
        CHECK(fk_model_find(m->name) == m);
        CHECK(fk_model_by_id(m->role, m->id) == m);
        CHECK_MSG(m->net && !(m->net & (m->net - 1)), "%s: one FK_NET_ bit", m->name);
        for (size_t j = 0; j < i; j++)
            CHECK_MSG(strcmp(fk_model_at(j)->name, m->name) != 0, "%s twice", m->name);
        if (m->role == FK_ROLE_EMBEDDER)
            CHECK_MSG(m->dim >= 64 && m->dim <= FK_DESCRIPTOR_MAX && m->threshold > 0 && m->calibration[0], "%s",
                      m->name);
    }
    for (int d = 0; d < FK_DETECTOR_COUNT; d++)
        CHECK_MSG(fk_model_by_id(FK_ROLE_DETECTOR, d) != NULL, "detector %d has no row", d);
    for (int e = 0; e < FK_EMBEDDER_COUNT; e++)
        CHECK_MSG(fk_model_by_id(FK_ROLE_EMBEDDER, e) != NULL, "embedder %d has no row", e);
    CHECK(fk_model_by_id(FK_ROLE_LANDMARKER, FK_LANDMARKER_CNN) && fk_model_by_id(FK_ROLE_LANDMARKER, FK_LANDMARKER_ERT) &&
          fk_model_by_id(FK_ROLE_LANDMARKER, FK_LANDMARKER_DLIB5));
    /* the CLI's older names still work */
    CHECK(fk_model_find("cnn") == fk_model_find("faceapi68"));
    CHECK(fk_model_find("ert") == fk_model_find("dlib68"));
    CHECK(fk_model_find("nope") == NULL && fk_model_find(NULL) == NULL);
    CHECK(strcmp(fk_model_role_name(FK_ROLE_EMBEDDER), "embedder") == 0);
    CHECK(strcmp(fk_model_role_name(FK_ROLE_LIVENESS), "liveness") == 0 && strcmp(fk_model_role_name(FK_ROLE_COUNT), "?") == 0);
    /* Human's models: a row each, in models/human beside face-api's folder */
    static const char *human[] = {"blazeface", "facemesh", "antispoof", "liveness", "emotion", "gear"};
    for (size_t i = 0; i < sizeof human / sizeof human[0]; i++) {
        const fk_model_info *h = fk_model_find(human[i]);
        CHECK_MSG(h && strcmp(h->folder, "human") == 0, "%s", human[i]);
    }
    CHECK(fk_model_by_id(FK_ROLE_DETECTOR, FK_DETECTOR_BLAZEFACE) == fk_model_find("blazeface"));

    fk_error err = {0};
    fk_models *m = NULL;
    CHECK(fk_models_load_named(NULL, "ssd,bogus", &m, &err) == FK_E_INVALID_ARGUMENT && m == NULL);
    CHECK_MSG(strstr(err.message, "bogus") && strstr(err.message, "dlib-resnet"), "%s", err.message);
    CHECK(fk_models_load_named(NULL, "", &m, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_models_load_named(NULL, "ssd,,tiny", &m, &err) == FK_E_INVALID_ARGUMENT);

    /* descriptors carry their embedder: two spaces are never compared */
    fk_face a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.has_descriptor = b.has_descriptor = 1;
    a.descriptor_dim = b.descriptor_dim = FK_DESCRIPTOR_DIM;
    a.descriptor[0] = 1.0f;
    float dist = -1;
    CHECK_OK(fk_descriptor_compare(&a, &b, &dist, &err));
    CHECK(dist == 1.0f);
    b.embedder = FK_EMBEDDER_DLIB;
    CHECK(fk_descriptor_compare(&a, &b, &dist, &err) == FK_E_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "faceapi-resnet") && strstr(err.message, "dlib-resnet"), "%s", err.message);
    CHECK(strcmp(fk_face_embedder_name(&b), "dlib-resnet") == 0);
    b.has_descriptor = 0;
    CHECK(fk_descriptor_compare(&a, &b, &dist, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(strcmp(fk_face_embedder_name(&b), "") == 0);

    /* installed: a folder without the files says which one is missing */
    char missing[4096];
    unsigned long long bytes = 1;
    CHECK(fk_model_installed(fk_model_find("ssd"), "/nonexistent", missing, sizeof missing, &bytes) == 0);
    CHECK_MSG(strstr(missing, "/nonexistent/ssd_mobilenetv1_model") != NULL, "%s", missing);
    const char *models = fk_test_models_dir();
    if (models) {
        CHECK(fk_model_installed(fk_model_find("ssd"), models, missing, sizeof missing, &bytes) == 1);
        CHECK(bytes > 5000000);
        /* Human's folder is found beside face-api's */
        if (fk_model_installed(fk_model_find("blazeface"), models, missing, sizeof missing, &bytes))
            CHECK(bytes > 100000);
        else
            printf("SKIP: Human's models not installed (%s)\n", missing);
    }
    return fk_test_finish("test_registry");
}
