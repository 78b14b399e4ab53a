/* parallel.h: running a per-item job over many images on several threads, one session per thread. */
#ifndef FK_EVAL_PARALLEL_H
#define FK_EVAL_PARALLEL_H

#include <stddef.h>

#include "facekit/eval.h"

/* Calls fn(session, i, ctx) for every i in [0, n) on `threads` threads (the caller's included),
 * each with its own session on `models`, and reports progress (serialised) after each item. */
fk_status fk__eval_parallel(const fk_models *models, size_t n, int threads,
                            void (*fn)(fk_session *s, size_t i, void *ctx), void *ctx, fk_progress_fn progress,
                            void *progress_ctx, fk_error *err);

#endif
