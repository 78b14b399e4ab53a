/* pool.h: a fixed thread pool running one parallel-for at a time: fn(ctx, ith, nth) for every worker. */
#ifndef FK_CORE_POOL_H
#define FK_CORE_POOL_H

#include "facekit/status.h"

typedef struct fk__pool fk__pool;
typedef void (*fk__pool_fn)(void *ctx, int ith, int nth);

/* A pool of `threads` workers in all: the caller of fk__pool_run is worker 0, so threads - 1
 * threads are started. threads == 1 starts none. */
fk_status fk__pool_new(int threads, fk__pool **out, fk_error *err);
/* Stops and joins the workers; NULL-safe. */
void fk__pool_free(fk__pool *p);
int fk__pool_size(const fk__pool *p);

/* Runs fn(ctx, ith, nth) for ith in [0, nth) on the workers and returns when all are done.
 * Not reentrant: one run at a time per pool (a pool belongs to one session). */
void fk__pool_run(fk__pool *p, fk__pool_fn fn, void *ctx);

#endif
