/* test_net_parity.c: every face-api net fed the exact golden inputs must reproduce TensorFlow.js's outputs. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "face/nets.h"
#include "harness.h"

static const char *g_shared;
static char g_crops[4096];

static double cosine(const float *a, const float *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return ab / sqrt(aa * bb);
}

/* Loads a net, plans it, and returns the plan (or NULL after a failed check). */
static fk__plan *load(fk__net_kind kind, const char *models, fk__kernels kernels, fk__net **net)
{
    fk_error err = {0};
    if (fk__net_load(kind, models, 0, net, &err) != FK_OK) {
        CHECK_MSG(0, "loading %s: %s", fk__net_title(kind), err.message);
        return NULL;
    }
    fk__plan *plan = NULL;
    if (fk__plan_new((*net)->graph, 1, kernels, &plan, &err) != FK_OK) {
        CHECK_MSG(0, "planning %s: %s", fk__net_title(kind), err.message);
        return NULL;
    }
    return plan;
}

/* Reads <crops>/<base><suffix> expecting n floats. */
static float *read_crop(const char *base, const char *suffix, size_t n)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s%s", g_crops, base, suffix);
    size_t count = 0;
    float *v = fk_test_read_f32(path, &count);
    if (v && count != n) {
        CHECK_MSG(0, "%s has %zu floats, expected %zu", path, count, n);
        free(v);
        return NULL;
    }
    CHECK_MSG(v != NULL, "cannot read %s", path);
    return v;
}

static void run_on(fk__plan *plan, fk__net_kind kind, const float *rgb, int size)
{
    fk__net_normalize(kind, rgb, fk__plan_input(plan), (size_t)size * size);
    fk__plan_run(plan);
}

/* The golden JSON of an image (faceapi-cpu-jpegjs), for the age/gender outputs of the fixed inputs. */
static cJSON *load_json(const char *image)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/faceapi-cpu-jpegjs/%s.json", g_shared, image);
    return fk_test_read_json(path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_crops(const char *models, fk__kernels kernels, const char *label)
{
    fk__net *lm = NULL, *rec = NULL, *ag = NULL;
    fk__plan *plm = load(FK__NET_LANDMARK68, models, kernels, &lm);
    fk__plan *prec = load(FK__NET_RECOGNITION, models, kernels, &rec);
    fk__plan *pag = load(FK__NET_AGE_GENDER, models, kernels, &ag);
    if (!plm || !prec || !pag)
        goto done;

    DIR *d = opendir(g_crops);
    CHECK(d != NULL);
    if (!d)
        goto done;
    char *bases[256];
    int nb = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nb < 256) {
        const char *suffix = strstr(e->d_name, "_rec150.f32");
        if (suffix && strcmp(suffix, "_rec150.f32") == 0)
            bases[nb++] = strndup(e->d_name, (size_t)(suffix - e->d_name));
    }
    closedir(d);
    qsort(bases, (size_t)nb, sizeof *bases, cmp_str);
    CHECK_MSG(nb == 22, "expected 22 golden faces, found %d", nb);

    double worst_desc = 0, worst_cos = 1, worst_lm = 0, worst_age = 0, worst_gender = 0;
    for (int i = 0; i < nb; i++) {
        float *rec_in = read_crop(bases[i], "_rec150.f32", 150 * 150 * 3);
        float *rec_ref = read_crop(bases[i], "_rec150.desc.f32", 128);
        float *lm_in = read_crop(bases[i], "_lm112.f32", 112 * 112 * 3);
        float *lm_ref = read_crop(bases[i], "_lm112.out.f32", 136);
        float *ag_in = read_crop(bases[i], "_ag112.f32", 112 * 112 * 3);
        if (rec_in && rec_ref) {
            run_on(prec, FK__NET_RECOGNITION, rec_in, 150);
            const float *desc = fk__plan_output(prec, 0, NULL);
            double diff = fk_test_max_abs_diff(desc, rec_ref, 128), cs = cosine(desc, rec_ref, 128);
            CHECK_MSG(diff <= 1e-5, "%s descriptor max |diff| %.3g > 1e-5", bases[i], diff);
            CHECK_MSG(cs >= 0.99999, "%s descriptor cosine %.8f < 0.99999", bases[i], cs);
            worst_desc = fk_test_max(worst_desc, diff);
            worst_cos = fk_test_min(worst_cos, cs);
        }
        if (lm_in && lm_ref) {
            run_on(plm, FK__NET_LANDMARK68, lm_in, 112);
            double diff = fk_test_max_abs_diff(fk__plan_output(plm, 0, NULL), lm_ref, 136);
            CHECK_MSG(diff <= 1e-5, "%s landmark output max |diff| %.3g > 1e-5", bases[i], diff);
            worst_lm = fk_test_max(worst_lm, diff);
        }
        if (ag_in) {
            run_on(pag, FK__NET_AGE_GENDER, ag_in, 112);
            float age = fk__plan_output(pag, 0, NULL)[0], male = fk__plan_output(pag, 1, NULL)[0];
            char image[64];
            int face = -1;
            const char *us = strstr(bases[i], "_face");
            snprintf(image, sizeof image, "%.*s", (int)(us - bases[i]), bases[i]);
            sscanf(us, "_face%d", &face);
            cJSON *j = load_json(image);
            cJSON *fi = j ? cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "faces"), face),
                                                "fixed_inputs")
                          : NULL;
            cJSON *ref_age = cJSON_GetObjectItem(fi, "ag112_age");
            cJSON *ref_gender = cJSON_GetObjectItem(fi, "ag112_gender");
            cJSON *ref_prob = cJSON_GetObjectItem(fi, "ag112_genderProbability");
            CHECK_MSG(cJSON_IsNumber(ref_age) && cJSON_IsString(ref_gender) && cJSON_IsNumber(ref_prob),
                      "%s: golden age/gender missing", bases[i]);
            if (cJSON_IsNumber(ref_age) && cJSON_IsString(ref_gender) && cJSON_IsNumber(ref_prob)) {
                int ref_male = strcmp(ref_gender->valuestring, "male") == 0;
                double ref_pmale = ref_male ? ref_prob->valuedouble : 1.0 - ref_prob->valuedouble;
                CHECK_MSG(fabs(age - ref_age->valuedouble) <= 1e-4, "%s age %.6f vs %.6f", bases[i], age,
                          ref_age->valuedouble);
                CHECK_MSG(fabs(male - ref_pmale) <= 1e-5, "%s P(male) %.6f vs %.6f", bases[i], male, ref_pmale);
                CHECK_MSG((male > 0.5f) == ref_male, "%s gender differs", bases[i]);
                worst_age = fk_test_max(worst_age, fabs(age - ref_age->valuedouble));
                worst_gender = fk_test_max(worst_gender, fabs(male - ref_pmale));
            }
            cJSON_Delete(j);
        }
        free(rec_in);
        free(rec_ref);
        free(lm_in);
        free(lm_ref);
        free(ag_in);
        free(bases[i]);
    }
    printf("%s kernels, %d faces: descriptor max|diff| %.3g (min cosine %.9f), landmark-net max|diff| %.3g, "
           "age max|diff| %.3g, P(male) max|diff| %.3g\n",
           label, nb, worst_desc, worst_cos, worst_lm, worst_age, worst_gender);
done:
    fk__plan_free(plm);
    fk__plan_free(prec);
    fk__plan_free(pag);
    fk__net_free(lm);
    fk__net_free(rec);
    fk__net_free(ag);
}

static void test_detectors(const char *models, fk__kernels kernels, const char *label)
{
    char path[4096];
    size_t n = 0;
    fk__net *ssd = NULL, *tiny = NULL;
    fk__plan *pssd = load(FK__NET_SSD, models, kernels, &ssd);
    fk__plan *ptiny = load(FK__NET_TINY, models, kernels, &tiny);
    float *in = NULL, *ref_boxes = NULL, *ref_scores = NULL, *tin = NULL, *tref = NULL;
    if (!pssd || !ptiny)
        goto done;

    snprintf(path, sizeof path, "%s/golden/faceapi-cpu-jpegjs/sample1_ssd512.f32", g_shared);
    in = fk_test_read_f32(path, &n);
    CHECK(in && n == 512 * 512 * 3);
    snprintf(path, sizeof path, "%s/golden/faceapi-cpu-jpegjs/sample1_ssd512.boxes.f32", g_shared);
    ref_boxes = fk_test_read_f32(path, &n);
    CHECK(ref_boxes && n == FK__SSD_ANCHORS * 4);
    snprintf(path, sizeof path, "%s/golden/faceapi-cpu-jpegjs/sample1_ssd512.scores.f32", g_shared);
    ref_scores = fk_test_read_f32(path, &n);
    CHECK(ref_scores && n == FK__SSD_ANCHORS);
    if (in && ref_boxes && ref_scores) {
        run_on(pssd, FK__NET_SSD, in, 512);
        static float boxes[FK__SSD_ANCHORS * 4], scores[FK__SSD_ANCHORS];
        fk__ssd_decode(ssd, pssd, boxes, scores);
        double db = fk_test_max_abs_diff(boxes, ref_boxes, FK__SSD_ANCHORS * 4);
        double ds = fk_test_max_abs_diff(scores, ref_scores, FK__SSD_ANCHORS);
        CHECK_MSG(db <= 1e-5, "SSD decoded boxes max |diff| %.3g > 1e-5", db);
        CHECK_MSG(ds <= 1e-5, "SSD scores max |diff| %.3g > 1e-5", ds);
        printf("%s kernels: SSD boxes max|diff| %.3g, scores max|diff| %.3g over %d anchors\n", label, db, ds,
               FK__SSD_ANCHORS);
    }

    snprintf(path, sizeof path, "%s/golden/faceapi-cpu-jpegjs/sample1_tiny416.f32", g_shared);
    tin = fk_test_read_f32(path, &n);
    CHECK(tin && n == 416 * 416 * 3);
    snprintf(path, sizeof path, "%s/golden/faceapi-cpu-jpegjs/sample1_tiny416.out.f32", g_shared);
    tref = fk_test_read_f32(path, &n);
    CHECK(tref && n == 13 * 13 * 25);
    if (tin && tref) {
        run_on(ptiny, FK__NET_TINY, tin, 416);
        fk__shape s;
        const float *out = fk__plan_output(ptiny, 0, &s);
        CHECK(s.h == 13 && s.w == 13 && s.c == 25);
        double d = fk_test_max_abs_diff(out, tref, 13 * 13 * 25);
        CHECK_MSG(d <= 1e-4, "Tiny raw output max |diff| %.3g > 1e-4", d);
        printf("%s kernels: Tiny raw output max|diff| %.3g\n", label, d);
    }
done:
    free(in);
    free(ref_boxes);
    free(ref_scores);
    free(tin);
    free(tref);
    fk__plan_free(pssd);
    fk__plan_free(ptiny);
    fk__net_free(ssd);
    fk__net_free(tiny);
}

int main(void)
{
    g_shared = fk_test_shared_dir();
    const char *models = fk_test_models_dir();
    if (!g_shared || !models) {
        return fk_test_skip("net parity", !g_shared ? "../shared (golden outputs) not found" : "models not fetched");
    }
    snprintf(g_crops, sizeof g_crops, "%s/golden/faceapi-cpu-jpegjs/crops", g_shared);
    test_crops(models, FK__KERNELS_FAST, "fast");
    test_detectors(models, FK__KERNELS_FAST, "fast");
    /* the non-AVX2 path (im2col + sgemm on the packed panels) as a CPU without AVX2 runs it */
    test_crops(models, FK__KERNELS_PORTABLE, "portable");
    test_detectors(models, FK__KERNELS_PORTABLE, "portable");
    /* the reference kernels take about 30 s on the five nets: on request only
     * (FK_TEST_REFERENCE_NETS=1); tests/nn/test_kernels.c checks them against the fast ones */
    if (getenv("FK_TEST_REFERENCE_NETS")) {
        test_crops(models, FK__KERNELS_REFERENCE, "reference");
        test_detectors(models, FK__KERNELS_REFERENCE, "reference");
    }
    return fk_test_finish("net parity");
}
