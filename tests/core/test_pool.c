/* test_pool.c: the thread pool: every worker runs every job exactly once, including jobs started the moment a pool is made. */
#include <stdatomic.h>
#include <unistd.h>

#include "core/pool.h"
#include "harness.h"

typedef struct job {
    atomic_int calls;
    atomic_int mask; /* bit ith set by worker ith */
    int nth_seen;
} job;

static void count(void *ctx, int ith, int nth)
{
    job *j = ctx;
    atomic_fetch_add(&j->calls, 1);
    atomic_fetch_or(&j->mask, 1 << ith);
    j->nth_seen = nth;
}

int main(void)
{
    alarm(120); /* a lost wakeup hangs: fail instead of waiting for ctest's timeout */
    /* A run right after creation, before the workers have even started: a worker that took the
     * generation it found at start as "seen" would skip this run and the caller would hang. More
     * threads than cores make late starts likely. */
    for (int round = 0; round < 300; round++) {
        int threads = 2 + round % 7;
        fk__pool *p = NULL;
        fk_error err;
        if (fk__pool_new(threads, &p, &err) != FK_OK) {
            CHECK_MSG(0, "pool of %d: %s", threads, err.message);
            break;
        }
        for (int r = 0; r < 3; r++) {
            job j = {0};
            fk__pool_run(p, count, &j);
            CHECK_MSG(atomic_load(&j.calls) == threads && atomic_load(&j.mask) == (1 << threads) - 1,
                      "round %d run %d: %d calls, mask %x with %d threads", round, r, atomic_load(&j.calls),
                      atomic_load(&j.mask), threads);
        }
        fk__pool_free(p);
    }
    job j = {0};
    fk__pool_run(NULL, count, &j); /* no pool: the caller runs the job alone */
    CHECK(atomic_load(&j.calls) == 1 && j.nth_seen == 1);
    return fk_test_finish("pool");
}
