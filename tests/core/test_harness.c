/* test_harness.c: the harness's own comparisons fail on NaN and infinity wherever it sits, and a data skip fails under FK_REQUIRE_DATA. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "harness.h"

/* Runs one check of the harness on a value it must reject, and says whether it failed as it
 * should; the failure it counts is taken back, so only a check that passed wrongly stays. */
#define MUST_FAIL(stmt)                                                                \
    do {                                                                               \
        int fk_before_ = fk_test_failures;                                             \
        stmt;                                                                          \
        if (fk_test_failures == fk_before_) {                                          \
            fprintf(stderr, "%s:%d: passed on a bad value: %s\n", __FILE__, __LINE__, #stmt); \
            fk_test_failures++;                                                        \
        } else {                                                                       \
            fk_test_failures = fk_before_;                                             \
        }                                                                              \
    } while (0)

static void test_running_extremes(void)
{
    static const double bad[] = {NAN, -NAN};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        /* NaN first, in the middle and last of a run of finite values: the result stays NaN */
        for (int at = 0; at < 3; at++) {
            double worst = 0, least = 1;
            for (int i = 0; i < 3; i++) {
                double d = i == at ? bad[k] : 0.25 * i;
                worst = fk_test_max(worst, d);
                least = fk_test_min(least, d);
            }
            CHECK_MSG(isnan(worst), "fk_test_max lost a NaN at %d: %g", at, worst);
            CHECK_MSG(isnan(least), "fk_test_min lost a NaN at %d: %g", at, least);
            MUST_FAIL(CHECK(worst <= 1e-5));
            MUST_FAIL(CHECK(least >= 0.99));
        }
    }
    CHECK(fk_test_max(1, INFINITY) == INFINITY && fk_test_min(1, -INFINITY) == -INFINITY);
    CHECK(fk_test_max(0.5, 0.25) == 0.5 && fk_test_min(0.5, 0.25) == 0.25);
    MUST_FAIL(CHECK(fk_test_max(0, INFINITY) <= 1e-5));
}

static void test_diffs(void)
{
    enum { N = 9 };
    float ref[N], out[N];
    for (int i = 0; i < N; i++)
        ref[i] = out[i] = 0.5f * (float)i - 1.0f;
    CHECK(fk_test_max_abs_diff(out, ref, N) == 0 && fk_test_max_rel_diff(out, ref, N) == 0);
    out[3] += 0.125f;
    CHECK_NEAR(fk_test_max_abs_diff(out, ref, N), 0.125, 1e-9);
    CHECK_NEAR(fk_test_max_rel_diff(ref, out, N), 0.125 / 1.5, 1e-9);
    static const float bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        for (int at = 0; at < N; at += 4) { /* first, middle, last */
            for (int side = 0; side < 2; side++) {
                float *v = side ? ref : out, keep = v[at];
                v[at] = bad[k];
                double a = fk_test_max_abs_diff(out, ref, N), r = fk_test_max_rel_diff(out, ref, N);
                CHECK_MSG(isnan(a) && isnan(r), "%g at %d (%s): abs %g rel %g", (double)bad[k], at,
                          side ? "reference" : "output", a, r);
                MUST_FAIL(CHECK_MSG(a <= 1e-4, "abs"));
                MUST_FAIL(CHECK_MSG(r <= 1e-5, "rel"));
                v[at] = keep;
            }
        }
    /* the same value in both is no excuse: NaN == NaN bit for bit is still not a number */
    out[0] = ref[0] = NAN;
    CHECK(isnan(fk_test_max_abs_diff(out, ref, N)));
    MUST_FAIL(CHECK_NEAR(NAN, 0, 1));
    MUST_FAIL(CHECK_NEAR(0, NAN, 1));
    MUST_FAIL(CHECK_NEAR(INFINITY, INFINITY, 1));
}

static void test_skip(void)
{
    /* a data skip is a skip where data may be missing, and a failure where it is required */
    char *saved = getenv("FK_REQUIRE_DATA") ? strdup(getenv("FK_REQUIRE_DATA")) : NULL;
    /* the SKIP and FAIL lines these calls print are not this test's own: out of the log they go
     * (make test lists every SKIP line of the log) */
    fflush(stdout);
    int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
    if (out >= 0 && null >= 0)
        dup2(null, STDOUT_FILENO);
    unsetenv("FK_REQUIRE_DATA");
    int before = fk_test_failures;
    CHECK(fk_test_skip("harness self-test", "no data wanted here") == FK_TEST_SKIP_CODE);
    CHECK(fk_test_failures == before);
    setenv("FK_REQUIRE_DATA", "0", 1);
    CHECK(fk_test_skip("harness self-test", "FK_REQUIRE_DATA=0 is off") == FK_TEST_SKIP_CODE);
    setenv("FK_REQUIRE_DATA", "1", 1);
    MUST_FAIL(CHECK(fk_test_skip("harness self-test", "this FAIL line is expected") == FK_TEST_SKIP_CODE));
    CHECK(fk_test_failures == before);
    fflush(stdout);
    if (out >= 0 && null >= 0)
        dup2(out, STDOUT_FILENO);
    if (out >= 0)
        close(out);
    if (null >= 0)
        close(null);
    if (saved)
        setenv("FK_REQUIRE_DATA", saved, 1);
    else
        unsetenv("FK_REQUIRE_DATA");
    free(saved);
}

int main(void)
{
    printf("each \"CHECK failed\" line below is a bad value the harness rejected, as it must; the verdict is the last line\n");
    test_running_extremes();
    test_diffs();
    test_skip();
    return fk_test_finish("test_harness");
}
