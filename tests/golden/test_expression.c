/* test_expression.c: face-api's FaceExpressionNet on a fixed input against face-api on tfjs (cpu), and fk_face_expression on a photo. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "face/nets.h"
#include "facekit/analysis.h"
#include "facekit/models.h"
#include "harness.h"
#include "nn/plan.h"

int main(void)
{
    const char *models = fk_test_models_dir();
    if (!models)
        return fk_test_skip("test_expression", "the models are not fetched (make models)");
    if (!fk_model_installed(fk_model_find("expression"), models, NULL, 0, NULL))
        return fk_test_skip("test_expression", "face_expression_model is not fetched (make models)");
    const char *src = getenv("FK_TEST_SRC");
    char gp[4200];
    snprintf(gp, sizeof gp, "%s/tests/golden/expression.json", src ? src : ".");
    cJSON *gold = fk_test_read_json(gp);
    CHECK_MSG(gold != NULL, "%s: no reference", gp);
    fk__net *net = NULL;
    fk_error err = {0};
    CHECK_OK(fk__net_load(FK__NET_EXPRESSION, models, 0, &net, &err));
    fk__plan *p = NULL;
    if (net)
        CHECK_OK(fk__plan_new(net->graph, 1, fk__kernels_from_env(), &p, &err));
    if (p && gold) {
        static float rgb[112 * 112 * 3];
        for (int i = 0; i < 112 * 112 * 3; i++)
            rgb[i] = (float)(sin(0.007 * i) * 127.5 + 127.5);
        fk__net_normalize(FK__NET_EXPRESSION, rgb, fk__plan_input(p), 112 * 112);
        fk__plan_run(p);
        const float *z = fk__plan_output(p, 0, NULL);
        float m = z[0], sum = 0, e[FK_EXPRESSION_COUNT];
        for (int k = 1; k < FK_EXPRESSION_COUNT; k++)
            m = fmaxf(m, z[k]);
        for (int k = 0; k < FK_EXPRESSION_COUNT; k++)
            sum += e[k] = expf(z[k] - m);
        const cJSON *ex = cJSON_GetObjectItem(gold, "expressions");
        double worst = 0;
        for (int k = 0; k < FK_EXPRESSION_COUNT; k++)
            worst = fk_test_max(worst, fabs(e[k] / sum - fk_test_json_num(ex, fk_expression_name(k))));
        CHECK_MSG(worst <= 1e-5, "expression probabilities differ from face-api's by %g", worst);
        printf("FaceExpressionNet: probabilities within %.2g of face-api on tfjs\n", worst);
    }
    fk__plan_free(p);
    fk__net_free(net);
    cJSON_Delete(gold);

    /* on a photo: each face's probabilities sum to 1; a box outside the image is an error */
    fk_models *m = NULL;
    fk_session *s = fk_test_session(models, FK_NET_SSD | FK_NET_EXPRESSION, &m);
    char path[4200];
    snprintf(path, sizeof path, "%s/demo/sample1.jpg", models);
    fk_image *img = NULL;
    if (s && fk_image_load(path, NULL, &img, &err) == FK_OK) {
        fk_face *faces = NULL;
        size_t n = 0;
        CHECK_OK(fk_face_detect(s, img, NULL, &faces, &n));
        for (size_t i = 0; i < n; i++) {
            fk_expression x;
            CHECK_OK(fk_face_expression(s, img, &faces[i], &x));
            double t = 0;
            for (int k = 0; k < FK_EXPRESSION_COUNT; k++)
                t += x.p[k];
            CHECK(fabs(t - 1) < 1e-5 && x.p[x.best] >= x.p[0]);
        }
        fk_face f = {0};
        f.box = (fk_box){-900, -900, 10, 10};
        fk_expression x;
        CHECK(fk_face_expression(s, img, &f, &x) == FK_E_INVALID_ARGUMENT);
        CHECK(strcmp(fk_expression_name(1), "happy") == 0 && strcmp(fk_expression_name(9), "?") == 0);
        fk_faces_free(faces);
    }
    fk_image_free(img);
    fk_session_free(s);
    fk_models_free(m);
    return fk_test_finish("test_expression");
}
