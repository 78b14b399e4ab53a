/* pool.c: the thread pool: workers spin briefly on a generation counter (ops last tens of microseconds), then sleep on a condition variable. */
#include "core/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/error.h"

#define FK__SPIN_ROUNDS 20000 /* about 50 us of polling before a worker sleeps */

struct fk__pool {
    int threads;
    pthread_t *tids;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_uint generation; /* bumped for every run */
    atomic_int pending;     /* workers still running the current job */
    atomic_int stop;
    fk__pool_fn fn;
    void *ctx;
};

typedef struct worker_arg {
    fk__pool *pool;
    int ith;
} worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *worker(void *arg)
{
    worker_arg *wa = arg;
    fk__pool *p = wa->pool;
    int ith = wa->ith;
    free(wa);
    /* Not the current value: a thread that starts late (a loaded machine) would take a run begun
     * before it got here as already seen, and the caller would wait for it forever. */
    unsigned seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&p->generation, memory_order_acquire) == seen && !atomic_load(&p->stop)) {
            if (++spins < FK__SPIN_ROUNDS) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&p->lock);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->lock);
            pthread_mutex_unlock(&p->lock);
        }
        if (atomic_load(&p->stop))
            return NULL;
        seen = atomic_load(&p->generation);
        p->fn(p->ctx, ith, p->threads);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel);
    }
}

fk_status fk__pool_new(int threads, fk__pool **out, fk_error *err)
{
    *out = NULL;
    if (threads < 1 || threads > 256)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "thread count %d out of 1..256", threads);
    fk__pool *p = calloc(1, sizeof *p);
    if (!p)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory for a thread pool");
    p->threads = threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    atomic_init(&p->generation, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->stop, 0);
    if (threads > 1) {
        p->tids = calloc((size_t)threads - 1, sizeof *p->tids);
        if (!p->tids) {
            fk__pool_free(p);
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory for a thread pool");
        }
    }
    for (int t = 1; t < threads; t++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa || (wa->pool = p, wa->ith = t, pthread_create(&p->tids[t - 1], NULL, worker, wa) != 0)) {
            free(wa);
            p->threads = t; /* join only those started */
            fk__pool_free(p);
            return fk__fail(err, FK_E_NO_MEMORY, "cannot start thread %d of %d", t + 1, threads);
        }
    }
    *out = p;
    return FK_OK;
}

void fk__pool_free(fk__pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int t = 1; t < p->threads; t++)
        pthread_join(p->tids[t - 1], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->tids);
    free(p);
}

int fk__pool_size(const fk__pool *p)
{
    return p ? p->threads : 1;
}

void fk__pool_run(fk__pool *p, fk__pool_fn fn, void *ctx)
{
    if (!p || p->threads == 1) {
        fn(ctx, 0, 1);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->pending, p->threads - 1);
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    fn(ctx, 0, p->threads);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0)
        cpu_relax();
}
