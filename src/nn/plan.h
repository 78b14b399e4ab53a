/* plan.h: a graph planned for one batch size: the arena of activations, the kernel choice, and running it. */
#ifndef FK_NN_PLAN_H
#define FK_NN_PLAN_H

#include "facekit/status.h"
#include "nn/graph.h"

/* Which kernels a plan runs: the fast ones (AVX-512 where the CPU has it, else AVX2/FMA), the
 * AVX2 tier alone, the portable fast ones (plain C the compiler vectorises, no AVX2), or the plain
 * reference loops. FACEKIT_KERNELS=reference|portable|avx2 in the environment forces the choice. */
typedef enum fk__kernels {
    FK__KERNELS_FAST = 0,
    FK__KERNELS_REFERENCE,
    FK__KERNELS_PORTABLE,
    FK__KERNELS_AVX2,
    FK__KERNELS_COUNT
} fk__kernels;

fk__kernels fk__kernels_from_env(void);

/* A plan owns all memory one run needs, so one plan per thread runs a shared graph safely. */
typedef struct fk__plan fk__plan;

fk_status fk__plan_new(const fk__graph *g, int batch, fk__kernels kernels, fk__plan **out, fk_error *err);
/* The same for running on a pool of up to `threads` workers (each gets its own scratch). */
fk_status fk__plan_new_threads(const fk__graph *g, int batch, fk__kernels kernels, int threads, fk__plan **out,
                               fk_error *err);
void fk__plan_free(fk__plan *p);
/* Keeps every sgemm on the calling thread (facekit parallelises across ops and faces itself).
 * Called by each new plan and session: OpenBLAS starts a thread per core when it loads, and
 * until told otherwise they spin in sched_yield next to a HOG scan that uses no plan at all. */
void fk__blas_single_thread(void);

/* The input buffer, [batch, H, W, C] packed: fill it, then run. A run clobbers it (its memory is
 * reused for later activations), so refill it before every run. */
float *fk__plan_input(fk__plan *p);
int fk__plan_batch(const fk__plan *p);
/* Later runs compute only the first n (1..batch) samples of the input, as a batch-n plan would,
 * bitwise, in this plan's memory: one plan serves every batch up to its own. */
void fk__plan_set_run_batch(fk__plan *p, int n);
/* Chains the planner runs row by row (outputs past 4 MB kept as rows in scratch): for tests. */
int fk__plan_chain_count(const fk__plan *p);
/* Bytes of activation and scratch memory this plan holds. */
size_t fk__plan_bytes(const fk__plan *p);

/* Runs every node; cannot fail once planned. */
void fk__plan_run(fk__plan *p);
/* The same with each node's output rows split over the pool's workers (at most the plan's
 * thread count); the results do not depend on the number of workers. */
struct fk__pool;
void fk__plan_run_pool(fk__plan *p, struct fk__pool *pool);

/* Output k (in fk__graph_mark_output order), packed [run batch, h, w, c]; valid until the next run. */
const float *fk__plan_output(const fk__plan *p, int k, fk__shape *shape);

#endif
