/* net_internal.h: the trainable net's layers and buffers, shared by net.c and the model file's reader and writer. */
#ifndef FK_TRAIN_NET_INTERNAL_H
#define FK_TRAIN_NET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/train.h"
#include "nn/tensor.h"
#include "train/ops.h"

typedef enum tl_kind {
    TL_FC = 0,
    TL_CONV,
    TL_DW,
    TL_LC,
    TL_BN,
    TL_RELU,
    TL_PRELU,
    TL_MAX,
    TL_AVG,
    TL_GAP,
    TL_DROPOUT,
    TL_L2NORM,
    TL_FLATTEN,
    TL_SKIP,
    TL_ADD,
    TL_CAT,
    TL_COUNT
} tl_kind;

typedef struct tr_layer {
    tl_kind kind;
    fk__shape in, out; /* n is 1 here: the batch is the forward pass's */
    tr_conv g;         /* conv, dw, lc, max, avg */
    int k_in;          /* fc: inputs per sample */
    int identity;      /* fc:M:1: starts as the identity map */
    float drop;        /* dropout's p */
    size_t wofs, wcount, bofs, bcount; /* in params and grads */
    size_t sofs, scount;               /* in state */
    float *act, *dact; /* this layer's output and its gradient, for the batch */
    float *save;       /* bn: mean, istd; l2: norms; dropout: the mask; cat: the skip's share of the gradient */
    size_t *arg;       /* max pooling's winners */
    int sub;           /* conv: samples per sgemm in the fast path */
    int partner;       /* skip: its add or cat; add, cat: its skip */
} tr_layer;

/* one training thread's own buffers (net_fast.c) */
typedef struct tr_thread {
    float *scratch; /* the convolutions' patches and their gradient */
    float *grads;   /* weight gradients of its samples, summed into the net's in thread order (not thread 0's) */
    double *part;   /* batch norm's partial sums: 2 × the widest layer */
} tr_thread;

struct fk_tnet {
    char *arch;
    fk__shape in;
    tr_layer *l;
    int nl, out_dim;
    float *params, *grads, *state;
    size_t nparams, nstate;
    int cap;        /* the batch the buffers hold */
    const float *x; /* the last forward pass's input */
    int n, train;
    uint64_t rng; /* dropout */
    int reference; /* 1: the plain kernels only (tests compare the two) */
    size_t scratch_n; /* floats of scratch per thread, for the largest convolution */
    int cmax;         /* the most channels of any layer */
    struct fk__pool *pool; /* the fast path's workers (net_fast.c), made for nth threads */
    int nth;
    tr_thread *t;
    float *bnbuf; /* batch norm's per-channel factors: 5 × cmax */
};

/* The fast path (net_fast.c): fk__tnet_fast_prepare makes the workers for the current thread
 * count; the layer calls return 0 for a layer they leave to the reference code. */
fk_status fk__tnet_fast_prepare(fk_tnet *net, fk_error *err);
int fk__tnet_fast_fwd(fk_tnet *net, tr_layer *l, const float *in, float *y, int n, int train);
int fk__tnet_fast_bwd(fk_tnet *net, tr_layer *l, const float *in, const float *g, float *dx, int n);
void fk__tnet_fast_free(fk_tnet *net);
void fk__tnet_set_threads(int threads);

/* fk_tnet_new with a bound on the parameter count, checked before anything is allocated (a model
 * file's reader passes what its bytes can hold) */
fk_status fk__tnet_new_limited(const char *arch, int h, int w, int c, uint64_t seed, size_t max_params, fk_tnet **out,
                               fk_error *err);

#endif
