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

/* $FACEKIT_SHARED when set, else the build's ../shared, when that folder exists; else NULL. */
const char *fk_test_shared_dir(void);
/* $FACEKIT_MODELS when set, else the build's model folder, when it holds the models; else NULL. */
const char *fk_test_models_dir(void);
/* A check that cannot run because data is absent (../shared, the fetched models, libdlib-data):
 * prints a visible "SKIP: what: why" line and returns FK_TEST_SKIP_CODE for main to return. With
 * FK_REQUIRE_DATA=1 in the environment (.ci/run sets it) a missing input is a failure instead: it
 * prints a FAIL line, counts a failed check and returns 1, so CI cannot pass with its data tests
 * skipped. Mid-test, the return value may be ignored: the failure is counted either way. */
int fk_test_skip(const char *what, const char *why);
/* A check that does not apply here (the CPU lacks AVX2, the test runs as root, no /dev/full):
 * a visible "SKIP: what: why" line, never a failure. */
void fk_test_not_applicable(const char *what, const char *why);

/* Running maximum and minimum that a NaN cannot slip past: once either argument is NaN the
 * result is NaN for good, so the CHECK(worst <= tol) after the loop fails. (fmax and fmin drop a
 * NaN operand, and `d > m ? d : m` drops it too.) Infinities order as usual. */
double fk_test_max(double worst, double d);
double fk_test_min(double least, double d);
/* max |a[i] - b[i]| over n floats; NaN when any a[i] or b[i] is not finite (an infinite output
 * is as wrong as a NaN, whatever the reference holds). */
double fk_test_max_abs_diff(const float *a, const float *b, size_t n);
/* max |a[i] - b[i]| / (1 + |a[i]|), the kernels' relative error; NaN as above. */
double fk_test_max_rel_diff(const float *a, const float *b, size_t n);
/* A whole file (at most 1 GB), followed by one '\0' not counted in *size, so that text can be
 * parsed in place; NULL (and why on stderr) when it cannot be read. free() it. */
void *fk_test_read_file(const char *path, size_t *size);
/* The nets `nets` (FK_NET_*) loaded from models and a session on them; on failure prints why,
 * counts a failed check and returns NULL with *m NULL. Free with fk_session_free, fk_models_free. */
struct fk_models;
struct fk_session;
struct fk_session *fk_test_session(const char *models, unsigned nets, struct fk_models **m);
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
