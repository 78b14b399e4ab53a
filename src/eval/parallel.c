/* parallel.c: a shared work counter over items, worker threads with their own sessions, serialised progress. */
#include "eval/parallel.h"

#include <pthread.h>
#include <stdatomic.h>

#include "core/error.h"

typedef struct job {
    const fk_models *models;
    size_t n;
    void (*fn)(fk_session *s, size_t i, void *ctx);
    void *ctx;
    atomic_size_t next, done;
    fk_progress_fn progress;
    void *progress_ctx;
    pthread_mutex_t lock;
    atomic_int failed;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    fk_session *s = NULL;
    if (fk_session_new(j->models, &s, NULL) != FK_OK) {
        atomic_store(&j->failed, 1);
        return NULL;
    }
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n)
            break;
        j->fn(s, i, j->ctx);
        size_t done = atomic_fetch_add(&j->done, 1) + 1;
        if (j->progress) {
            pthread_mutex_lock(&j->lock);
            j->progress(done, j->n, j->progress_ctx);
            pthread_mutex_unlock(&j->lock);
        }
    }
    fk_session_free(s);
    return NULL;
}

fk_status fk__eval_parallel(const fk_models *models, size_t n, int threads,
                            void (*fn)(fk_session *s, size_t i, void *ctx), void *ctx, fk_progress_fn progress,
                            void *progress_ctx, fk_error *err)
{
    if (threads < 1)
        threads = 1;
    if (threads > 64)
        threads = 64;
    job j = {.models = models, .n = n, .fn = fn, .ctx = ctx, .progress = progress, .progress_ctx = progress_ctx};
    atomic_init(&j.next, 0);
    atomic_init(&j.done, 0);
    atomic_init(&j.failed, 0);
    pthread_mutex_init(&j.lock, NULL);
    pthread_t tid[64];
    int started = 0;
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid[started], NULL, worker, &j) == 0)
            started++;
    worker(&j);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&j.lock);
    if (atomic_load(&j.done) < n || atomic_load(&j.failed))
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory starting evaluation sessions");
    return FK_OK;
}
