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
    float *save;       /* bn: mean, istd; l2: norms; dropout: the mask */
    size_t *arg;       /* max pooling's winners */
} tr_layer;

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
    float *scratch; /* the convolutions' patches, sized for the largest */
    size_t scratch_n;
};

/* fk_tnet_new with a bound on the parameter count, checked before anything is allocated (a model
 * file's reader passes what its bytes can hold) */
fk_status fk__tnet_new_limited(const char *arch, int h, int w, int c, uint64_t seed, size_t max_params, fk_tnet **out,
                               fk_error *err);

#endif
