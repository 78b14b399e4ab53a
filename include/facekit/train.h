/* facekit/train.h: training embeddings: the losses of the field (value and gradient), their mining, and the optimisers. */
#ifndef FACEKIT_TRAIN_H
#define FACEKIT_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/face.h"
#include "facekit/image.h"
#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The losses. The classification ones own a class matrix w (classes × dim):
 *   SOFTMAX   cross-entropy on x w^T
 *   FOCAL     -alpha (1 - p_t)^gamma log p_t on x w^T (Lin et al.)
 *   OHEM      cross-entropy on the hardest `keep` share of the batch only
 *   ARCFACE   s cos(theta_y + m) for the true class, s cos(theta_j) for the others, x and w normalised
 *             (past theta + m = pi the target logit is s (cos theta - m sin m), as InsightFace)
 *   COSFACE   s (cos theta_y - m)
 *   CENTER    1/(2B) sum |x_i - c_{y_i}|^2 with w the centres (trained beside a softmax, see fk_train)
 * The metric ones act on the batch's embeddings (L2-normalise them in the net first):
 *   CONTRASTIVE  every pair: |a - b|^2 / 2 for the same person, max(0, m - |a - b|)^2 / 2 for two; the
 *                mean over the positive pairs plus the mean over the negative ones
 *   TRIPLET      max(0, |a - p|^2 - |a - n|^2 + margin), squared L2 as FaceNet, the negatives by `mining`;
 *                the mean over every triplet formed (active or not)
 *   COUPLED_CLUSTER  Liu et al.'s: for each class with two samples or more, its centre c (the mean of
 *                its samples; the gradient flows through it) and the nearest other-class sample n to it; 1/(2K) sum_i max(0, |x_i - c|^2 + margin
 *                - |n - c|^2), averaged over the classes */
typedef enum fk_loss {
    FK_LOSS_SOFTMAX = 0,
    FK_LOSS_FOCAL,
    FK_LOSS_OHEM,
    FK_LOSS_CONTRASTIVE,
    FK_LOSS_TRIPLET,
    FK_LOSS_COUPLED_CLUSTER,
    FK_LOSS_CENTER,
    FK_LOSS_ARCFACE,
    FK_LOSS_COSFACE,
    FK_LOSS_COUNT
} fk_loss;

/* The triplet loss's negatives. For every anchor-positive pair:
 *   RANDOM      a negative drawn uniformly (the options' seed)
 *   SEMIHARD    the nearest negative farther than the positive; when there is none, the farthest
 *               (FaceNet's rule as TensorFlow Addons implements it)
 *   BATCH_HARD  one triplet per anchor: its farthest positive and nearest negative (Hermans et al.) */
typedef enum fk_mining { FK_MINING_RANDOM = 0, FK_MINING_SEMIHARD, FK_MINING_BATCH_HARD, FK_MINING_COUNT } fk_mining;

typedef struct fk_loss_options {
    fk_loss loss;
    fk_mining mining; /* TRIPLET only */
    double margin;    /* triplet, contrastive, coupled cluster: alpha; ArcFace/CosFace: m */
    double scale;     /* the logits' factor s: s·cos for ArcFace/CosFace, s·W·x for softmax, focal, OHEM */
    double gamma, alpha; /* focal */
    double keep;      /* OHEM: the share of the batch kept, 0 < keep <= 1 */
    uint64_t seed;    /* random mining */
} fk_loss_options;

/* The field's usual values for `loss`: triplet margin 0.2 (FaceNet), contrastive 1.0, coupled
 * cluster 0.2; ArcFace m 0.5 s 64 and CosFace m 0.35 s 64 (their papers), s 1 for
 * the plain softmax family; focal gamma 2 alpha 1
 * (alpha 0.25 is the detection setting); OHEM keeps 0.5; mining semi-hard. */
void fk_loss_options_init(fk_loss_options *o, fk_loss loss);

/* "softmax", "focal", "ohem", "contrastive", "triplet", "coupled-cluster", "center", "arcface",
 * "cosface"; and "random", "semi-hard", "batch-hard". -1 for an unknown name. */
int fk_loss_from_name(const char *name);
const char *fk_loss_name(fk_loss loss);
int fk_mining_from_name(const char *name);
const char *fk_mining_name(fk_mining mining);
/* whether the loss owns a class matrix (classes × dim) */
int fk_loss_has_classes(fk_loss loss);

typedef struct fk_loss_result {
    double value;
    size_t active; /* terms carrying gradient: triplets or pairs with a positive hinge, OHEM's kept samples */
    size_t terms;  /* terms formed (triplets, negative pairs, samples) */
} fk_loss_result;

/* The loss of a batch x (batch × dim, labels 0 <= y[i] < classes when the loss has classes, any
 * int otherwise) and its gradient: dx (batch × dim) always, dw (classes × dim) when w is given
 * (classification losses need w; the metric ones ignore w, classes and dw). Gradients are written,
 * not added. FK_E_INVALID_ARGUMENT for bad sizes, options or labels. */
fk_status fk_loss_eval(const fk_loss_options *o, const float *x, int batch, int dim, const int *y, const float *w,
                       int classes, float *dx, float *dw, fk_loss_result *out, fk_error *err);

/* ---- a trainable net
 *
 * The architecture is a string of comma-separated layers, NHWC, applied in order to an input of
 * h × w × c (descriptors: 1 × 1 × dim):
 *   fc:M[:1]          fully connected with bias, M outputs (flattens its input); fc:M:1 starts as
 *                     the identity map (M must be its inputs), so a head starts where its base is
 *   conv:CO:K[:S[:P]] K×K convolution with bias, stride S (1), zero padding P (0) on every side
 *   dw:K[:S[:P]]      depthwise K×K convolution with bias
 *   lc:CO:K[:S[:P]]   locally connected (DeepFace): a K×K filter of its own at every output position
 *   bn                batch norm (batch statistics in training, running ones otherwise; eps 1e-5,
 *                     momentum 0.1, as PyTorch)
 *   relu, prelu       PReLU has one slope per channel (0.25 at first)
 *   max:K[:S[:P]], avg:K[:S[:P]]  pooling (the average over the taps inside the input)
 *   gap               global average pooling
 *   drop[:P]          dropout with probability P (0.5), inverted (scaled at training)
 *   l2                L2 normalisation of each position's channels
 *   flatten
 *   skip              marks a branch point: the identity, whose output a later add or cat takes
 *   add               adds the output of the nearest open skip (a residual block; the shapes must
 *                     be equal) and closes it
 *   cat               appends the nearest open skip's channels after its input's (same height and
 *                     width) and closes it
 * Skips nest: add and cat close the latest skip still open; every skip must be closed.
 * Example: "conv:16:3:1:1,bn,relu,max:2:2,conv:32:3:1:1,bn,relu,gap,fc:128,l2"; with a residual
 * block: "conv:16:3:1:1,bn,relu,skip,conv:16:3:1:1,bn,relu,conv:16:3:1:1,bn,add,relu,gap,fc:128". */
typedef struct fk_tnet fk_tnet;

/* Weights: He-normal from seed (biases 0, batch norm at identity). FK_E_INVALID_ARGUMENT names the
 * layer that is wrong. */
fk_status fk_tnet_new(const char *arch, int h, int w, int c, uint64_t seed, fk_tnet **out, fk_error *err);
void fk_tnet_free(fk_tnet *net);

/* The net on a batch of n inputs (n × h × w × c floats); *out: n × out_dim floats, valid until the
 * next call. train: batch statistics and dropout (and what backward needs is kept). x must stay
 * valid until fk_tnet_backward. */
fk_status fk_tnet_forward(fk_tnet *net, const float *x, int n, int train, const float **out, fk_error *err);
/* Adds the gradient of the last training forward pass, given dL/dout (n × out_dim), to the grads. */
fk_status fk_tnet_backward(fk_tnet *net, const float *dy, fk_error *err);
void fk_tnet_zero_grad(fk_tnet *net);
/* on: the plain reference kernels only, on the calling thread; off (the default): the fast kernels
 * (sgemm for fully connected and convolution layers), the batch split over fk_train_set_threads */
void fk_tnet_set_reference(fk_tnet *net, int on);

/* Every parameter in one array, and the gradient in the same layout (see fk_tnet_layer). */
size_t fk_tnet_param_count(const fk_tnet *net);
float *fk_tnet_params(fk_tnet *net);
float *fk_tnet_grads(fk_tnet *net);
int fk_tnet_out_dim(const fk_tnet *net);
double fk_tnet_flops(const fk_tnet *net); /* multiply-adds × 2 for one input */

typedef struct fk_tnet_layer_info {
    const char *kind; /* "fc", "conv", ... */
    size_t weights, weight_count; /* offset and count in the parameter array. fc: out × in (PyTorch's
                                     Linear); conv: out × kh × kw × in; dw: kh × kw × c; lc: oh × ow ×
                                     out × kh × kw × in; bn: gamma; prelu: slopes */
    size_t bias, bias_count;      /* lc: oh × ow × out; bn: beta */
    int out_h, out_w, out_c;
} fk_tnet_layer_info;
int fk_tnet_layer_count(const fk_tnet *net);
fk_status fk_tnet_layer(const fk_tnet *net, int i, fk_tnet_layer_info *info);

/* The named architectures: "head" (fc:256,bn,prelu,fc:128,l2, on descriptors), "small-cnn" (four
 * 3×3 conv-bn-relu stages, 16 to 128 channels, with max pooling, then global pooling and fc:128,
 * for 64×64 chips) and "deepface-lc" (two conv stages, then two locally connected layers as
 * DeepFace, then fc:128, for 64×64 chips). NULL for another name (an architecture string is taken
 * as it is). */
const char *fk_train_arch(const char *name);
/* The threads fk_tnet_forward and fk_tnet_backward split each batch over (fk_train_run sets it
 * from its options). Each thread takes a fixed share of the samples and the shares' weight
 * gradients are summed in thread order, so one thread count always gives the same bits; another
 * count can differ in the last bits. */
void fk_train_set_threads(int threads);

/* ---- optimisers over a parameter array */

typedef enum fk_optim_kind { FK_OPTIM_SGD = 0, FK_OPTIM_ADAM, FK_OPTIM_ADAMW, FK_OPTIM_COUNT } fk_optim_kind;

typedef struct fk_optim_options {
    fk_optim_kind kind;
    double lr;
    double momentum;     /* SGD (0.9) */
    double weight_decay; /* SGD and Adam: added to the gradient (L2); AdamW: decoupled */
    double beta1, beta2, eps; /* Adam (0.9, 0.999, 1e-8) */
    double clip_norm;    /* > 0: the gradient's global L2 norm is clipped to it first */
} fk_optim_options;

void fk_optim_options_init(fk_optim_options *o, fk_optim_kind kind);

typedef struct fk_optim fk_optim;
fk_status fk_optim_new(const fk_optim_options *o, size_t count, fk_optim **out, fk_error *err);
void fk_optim_free(fk_optim *opt);
/* One update of params by grads at learning rate lr (the schedule's value for this step; the
 * options' lr is not read here). Returns the gradient's norm before clipping. */
double fk_optim_step(fk_optim *opt, float *params, const float *grads, double lr);
/* The optimiser's moments, for checkpoints: 2 × count floats and the step count. */
float *fk_optim_state(fk_optim *opt, size_t *count, long long **step);

/* Learning-rate schedules: the rate at step t of total, after `warmup` linear warm-up steps.
 *   constant; step (× gamma every `every` steps); cosine (to 0 at total) */
typedef enum fk_schedule { FK_SCHEDULE_CONSTANT = 0, FK_SCHEDULE_STEP, FK_SCHEDULE_COSINE, FK_SCHEDULE_COUNT } fk_schedule;
double fk_schedule_lr(fk_schedule s, double base, long long t, long long total, long long warmup, long long every,
                      double gamma);

/* ---- training */

/* Inputs (n × h × w × c floats, row-major) with a label each (0 <= y < classes); borrowed. */
/* Augmentation of image inputs while training: each sample of each batch is mirrored (with
 * probability 1/2 when flip), scaled by a factor drawn in [1 - scale, 1 + scale] about its centre,
 * moved by up to shift × its side in x and y, and its values v (in [-1, 1]) become k v + b with k in
 * [1 - contrast, 1 + contrast] and b in [-brightness, brightness], clamped. All zero: off. */
typedef struct fk_augment_options {
    int flip;
    double shift, scale, brightness, contrast;
} fk_augment_options;
/* flip on, shift and scale 0.05, brightness and contrast 0.1 */
void fk_augment_options_default(fk_augment_options *a);
int fk_augment_active(const fk_augment_options *a);
/* One sample (h × w × c) into out, its parameters drawn from rng. */
void fk_train_augment(const float *in, float *out, int h, int w, int c, const fk_augment_options *a, uint64_t *rng);
/* The same with the parameters given (tests): mirror, scale about the centre, shift in pixels, then
 * contrast and brightness. */
void fk__train_warp(const float *in, float *out, int h, int w, int c, int flip, double scale, double dx, double dy,
                    double contrast, double brightness);

typedef struct fk_train_set {
    const float *x;
    const int *y;
    size_t n;
    int h, w, c;
    const float *targets; /* distillation: n × target_dim, the teacher's embedding of each input
                             (unit-normalised here); NULL otherwise */
    int target_dim;       /* must be the net's output dim */
} fk_train_set;

/* Verification pairs of net inputs: a[i] and b[i] (dim floats each), same[i] 1 for one person. */
typedef struct fk_pair_set {
    const float *a, *b;
    const int *same;
    size_t n;
    int dim;
} fk_pair_set;

typedef struct fk_train_progress {
    int epoch, epochs;      /* 1-based */
    long long step, steps;  /* in this epoch */
    double loss, active;    /* this epoch's means so far; active: the share of terms carrying gradient */
    double val_accuracy;    /* NaN until the epoch's end, or without validation pairs */
    double images_per_s;
    int epoch_done;
} fk_train_progress;
typedef void (*fk_train_progress_fn)(const fk_train_progress *p, void *ctx);

typedef struct fk_train_options {
    const char *arch;      /* see fk_tnet_new */
    fk_loss_options loss;  /* ignored with distill */
    int distill;           /* 1: the loss is 1/(2B) sum |f_i - t_i|^2 against the set's targets */
    double center_weight;  /* center loss: softmax + center_weight × center */
    fk_optim_options optim;
    fk_schedule schedule;
    double warmup_epochs;
    int step_every;        /* FK_SCHEDULE_STEP: every this many epochs ... */
    double step_gamma;     /* ... the rate is multiplied by this */
    int epochs;
    int p, k;              /* a batch: P people × K images each */
    uint64_t seed;
    long long max_steps;   /* > 0: at most this many steps an epoch */
    const char *checkpoint; /* written at the end of every epoch (NULL: none) */
    int resume;             /* continue from checkpoint */
    int threads;            /* the threads a batch is split over (0: 1). The weights depend on it: the
                               same seed and thread count give the same bits */
    int stop_after;         /* > 0: return after this many epochs of this call (the schedule still
                               spans `epochs`; resume later to finish) */
    const char *base;       /* the embedder whose descriptors are the inputs, recorded in the model */
    fk_augment_options augment; /* image inputs only (h, w > 1); off by default */
    const fk_pair_set *val;  /* accuracy after every epoch (NULL: none) */
    const fk_pair_set *tune; /* the threshold for val's accuracy is chosen on these (NULL: on val itself) */
    fk_train_progress_fn progress;
    void *ctx;
} fk_train_options;

/* A head on descriptors: "fc:256,bn,prelu,fc:128,l2", triplet semi-hard, Adam 1e-3 with cosine
 * decay after one warm-up epoch, 20 epochs of 32 × 4, seed 1. */
void fk_train_options_init(fk_train_options *o);

typedef struct fk_train_result {
    double initial_accuracy;        /* the untrained net's (NaN without val, or when resumed) */
    double val_accuracy, threshold; /* after the last epoch (NaN and 0 without val) */
    int epochs;                     /* run by this call (a resumed run: the rest) */
    double seconds, loss, active;   /* the last epoch's mean loss and active share */
    long long steps_per_epoch;
    int batch;
} fk_train_result;

/* Trains a new net (or continues the checkpoint, with resume). *out: the trained net. */
fk_status fk_train_run(const fk_train_options *o, const fk_train_set *data, fk_tnet **out, fk_train_result *res,
                       fk_error *err);

/* Verification accuracy of the pairs under the net (NULL: the inputs themselves, as they are),
 * distances between unit vectors: at the threshold best on tune (NULL: best on val itself). */
fk_status fk_train_pair_eval(fk_tnet *net, const fk_pair_set *val, const fk_pair_set *tune, double *accuracy,
                             double *threshold, fk_error *err);

/* The model file (FKTN version 1, docs/TRAINING.md): the architecture, the weights, the running
 * statistics, the base embedder's name and the calibrated threshold; a damaged file is refused. */
fk_status fk_tnet_save(const fk_tnet *net, const char *path, const char *base, float threshold, fk_error *err);
fk_status fk_tnet_load(const char *path, fk_tnet **net, char **base, float *threshold, fk_error *err);
int fk_tnet_input(const fk_tnet *net, int *h, int *w, int *c); /* returns h × w × c */
/* A CNN's input for a face: dlib's aligned chip (padding 0.25) from its 68 or 5 landmarks (np),
 * size × size × 3 floats in [-1, 1], into out. */
fk_status fk_train_chip(const fk_image *img, const fk_point *p, int np, int size, float *out, fk_error *err);
const char *fk_tnet_arch(const fk_tnet *net);

#ifdef __cplusplus
}
#endif

#endif
