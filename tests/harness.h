/* harness.h: the small test harness every C test uses: checks, tolerances, data paths, visible SKIPs. */
#ifndef FK_TEST_HARNESS_H
#define FK_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

extern int fk_test_failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            fk_test_failures++;                                                      \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                                      \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                         \
            fputc('\n', stderr);                                                  \
            fk_test_failures++;                                                   \
        }                                                                         \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                              \
    do {                                                                                   \
        double fk_a_ = (a), fk_b_ = (b);                                                   \
        if (!(fabs(fk_a_ - fk_b_) <= (tol))) {                                             \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, tol %.3g\n", \
                    __FILE__, __LINE__, #a, fk_a_, #b, fk_b_, (double)(tol));              \
            fk_test_failures++;                                                            \
        }                                                                                  \
    } while (0)

#define CHECK_OK(expr)                                                                      \
    do {                                                                                    \
        int fk_st_ = (int)(expr);                                                           \
        if (fk_st_ != 0) {                                                                  \
            fprintf(stderr, "%s:%d: %s returned status %d\n", __FILE__, __LINE__, #expr, fk_st_); \
            fk_test_failures++;                                                             \
        }                                                                                   \
    } while (0)

/* ../shared (or $FACEKIT_SHARED) when it exists, else NULL. */
const char *fk_test_shared_dir(void);
/* The model folder ($FACEKIT_MODELS or the build's default) when it holds the models, else NULL. */
const char *fk_test_models_dir(void);
/* tests/data of the source tree. */
const char *fk_test_data_dir(void);
/* Prints a visible "SKIP: reason" line. */
void fk_test_skip(const char *what, const char *why);
/* Reads a whole little-endian float32 file; returns NULL (and prints why) on failure. */
float *fk_test_read_f32(const char *path, size_t *count);
/* A whole JSON file parsed (cJSON_Delete it), or NULL when it cannot be read or parsed. */
struct cJSON;
struct cJSON *fk_test_read_json(const char *path);
/* The number at key in a JSON object, NaN when absent or not a number. */
double fk_test_json_num(const struct cJSON *obj, const char *key);
/* Exit code for main: 0 when nothing failed, 1 otherwise; prints a summary line. */
int fk_test_finish(const char *name);
/* Pseudo-random numbers, reproducible (xorshift), for kernel tests. */
float fk_test_randf(unsigned *state); /* uniform in [-1, 1) */

#define FK_TEST_SKIP_CODE 77

#endif
