/* harness.c: data paths, float file reading and the summary for the test programs. */
#include "harness.h"

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "core/file.h"
#include "facekit/face.h"

int fk_test_failures = 0;

static int is_dir(const char *p)
{
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* $NAME when it is set, else the build's default: as the shell tests read them, so a wrong
 * FACEKIT_SHARED or FACEKIT_MODELS means no data, never quietly the default's. */
static const char *env_or_default(const char *name, const char *fallback)
{
    const char *p = getenv(name);
    return p && *p ? p : getenv(fallback);
}

const char *fk_test_shared_dir(void)
{
    const char *p = env_or_default("FACEKIT_SHARED", "FK_TEST_SHARED_DEFAULT");
    return is_dir(p) ? p : NULL;
}

const char *fk_test_models_dir(void)
{
    static char buf[4096];
    const char *p = env_or_default("FACEKIT_MODELS", "FK_TEST_MODELS_DEFAULT");
    if (!is_dir(p))
        return NULL;
    snprintf(buf, sizeof buf, "%s/face_recognition_model.bin", p);
    struct stat st;
    return stat(buf, &st) == 0 ? p : NULL;
}

int fk_test_skip(const char *what, const char *why)
{
    const char *req = getenv("FK_REQUIRE_DATA");
    if (req && strcmp(req, "0") != 0 && *req) {
        printf("FAIL: %s: %s (FK_REQUIRE_DATA=%s: a data test may not skip)\n", what, why, req);
        fflush(stdout);
        fk_test_failures++;
        return 1;
    }
    printf("SKIP: %s: %s\n", what, why);
    fflush(stdout);
    return FK_TEST_SKIP_CODE;
}

void fk_test_not_applicable(const char *what, const char *why)
{
    printf("SKIP: %s: %s (not applicable here)\n", what, why);
    fflush(stdout);
}

double fk_test_max(double worst, double d)
{
    if (isnan(worst) || isnan(d))
        return NAN;
    return d > worst ? d : worst;
}

double fk_test_min(double least, double d)
{
    if (isnan(least) || isnan(d))
        return NAN;
    return d < least ? d : least;
}

double fk_test_max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i]) || !isfinite(b[i]))
            return NAN;
        m = fk_test_max(m, fabs((double)a[i] - b[i]));
    }
    return m;
}

double fk_test_max_rel_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i]) || !isfinite(b[i]))
            return NAN;
        m = fk_test_max(m, fabs((double)a[i] - b[i]) / (1 + fabs((double)a[i])));
    }
    return m;
}

void *fk_test_read_file(const char *path, size_t *size)
{
    void *bytes = NULL;
    fk_error err;
    if (fk__file_read_all(path, (size_t)1 << 30, &bytes, size, &err) != FK_OK) {
        fprintf(stderr, "%s\n", err.message);
        return NULL;
    }
    return bytes;
}

fk_session *fk_test_session(const char *models, unsigned nets, fk_models **m)
{
    fk_error err = {0};
    fk_session *s = NULL;
    *m = NULL;
    if (fk_models_load(models, nets, m, &err) == FK_OK && fk_session_new(*m, &s, &err) == FK_OK)
        return s;
    fprintf(stderr, "%s: %s\n", models, err.message);
    fk_test_failures++;
    fk_models_free(*m);
    *m = NULL;
    return NULL;
}

float *fk_test_read_f32(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || n % 4) {
        fclose(f);
        fprintf(stderr, "%s: size %ld is not a multiple of 4\n", path, n);
        return NULL;
    }
    float *v = malloc(n ? (size_t)n : 1);
    if (!v || fread(v, 1, (size_t)n, f) != (size_t)n) {
        free(v);
        fclose(f);
        fprintf(stderr, "%s: read failed\n", path);
        return NULL;
    }
    fclose(f);
    *count = (size_t)n / 4;
    return v;
}

int fk_test_finish(const char *name)
{
    if (fk_test_failures) {
        printf("FAIL: %s: %d check(s) failed\n", name, fk_test_failures);
        return 1;
    }
    printf("PASS: %s\n", name);
    return 0;
}

float fk_test_randf(unsigned *state)
{
    unsigned x = *state ? *state : 2463534242u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return (float)((double)x / 2147483648.0 - 1.0);
}

#define FK_TEST_JSON_MAX ((size_t)64 << 20) /* golden files are a few MB */

cJSON *fk_test_read_json(const char *path)
{
    void *bytes = NULL;
    size_t size = 0;
    fk_error err;
    if (fk__file_read_all(path, FK_TEST_JSON_MAX, &bytes, &size, &err) != FK_OK)
        return NULL;
    cJSON *j = cJSON_ParseWithLength(bytes, size);
    free(bytes);
    return j;
}

double fk_test_json_num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}
