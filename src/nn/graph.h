/* graph.h: a network as a list of op nodes built once from loaded weights, then planned and run by the executor. */
#ifndef FK_NN_GRAPH_H
#define FK_NN_GRAPH_H

#include "facekit/status.h"
#include "nn/ops/ops.h"
#include "nn/tensor.h"

typedef enum fk__op {
    FK__OP_INPUT = 0,
    FK__OP_CONV2D,
    FK__OP_DWCONV,
    FK__OP_POOL,
    FK__OP_GLOBAL_AVGPOOL,
    FK__OP_ADD,
    FK__OP_AFFINE,
    FK__OP_SIGMOID,
    FK__OP_SOFTMAX,
    FK__OP_CONCAT,
    FK__OP_FC,
    FK__OP_BINARY, /* a - b, a * b, a / b of one shape */
    FK__OP_SLICE,  /* a range of channels */
    FK__OP_L2NORM, /* each pixel over its channels' L2 norm */
    FK__OP_COUNT
} fk__op;

#define FK__MAX_INPUTS 8

typedef struct fk__node {
    fk__op op;
    int n_inputs;
    int inputs[FK__MAX_INPUTS]; /* ids of earlier nodes: node order is a topological order */
    fk__shape shape;            /* output shape for one sample (n == 1) */
    char name[64];
    union {
        fk__conv2d_args conv;
        fk__dwconv_args dw;
        fk__pool_args pool;
        fk__affine_args affine;
        fk__fc_args fc;
        fk__epilogue add; /* after the sum (a loader may fuse a later activation into it) */
        fk__binop bin;
        fk__slice_args slice;
        float eps; /* l2norm */
    } u;
} fk__node;

/* While built, a graph's nodes point to the loaded model's weights, besides the arrays it derives
 * itself through fk__graph_alloc (folded batch norms, packed convolution weights);
 * fk__graph_own_weights then makes it stand alone. Once built it is immutable and may be planned
 * and run from many threads at once. */
typedef struct fk__graph fk__graph;

fk_status fk__graph_new(const char *name, fk__shape input, fk__graph **out, fk_error *err);
void fk__graph_free(fk__graph *g);

/* Builders return the new node's id, or -1 on failure. A failure is sticky: every later builder
 * call returns -1 too, and fk__graph_finish reports the first error. So a net is written as a
 * straight sequence of calls with a single check at the end. */
int fk__graph_input(const fk__graph *g);
int fk__g_conv2d(fk__graph *g, int x, const char *name, int kh, int kw, int stride, fk__padding pad, int cout,
                 const float *weights, fk__epilogue ep);
int fk__g_dwconv(fk__graph *g, int x, const char *name, int kh, int kw, int stride, fk__padding pad,
                 const float *weights, fk__epilogue ep);
/* Explicit zero padding of a convolution's input, in pixels on each side: what TensorFlow's
 * EXPLICIT padding or a Pad before the convolution asks for (SAME and VALID come from fk__pad_axis).
 * The output is (in + before + after - k) / stride + 1 on each axis. */
typedef struct fk__pads {
    int top, bottom, left, right;
} fk__pads;
int fk__g_conv2d_pads(fk__graph *g, int x, const char *name, int kh, int kw, int stride, fk__pads pads, int cout,
                      const float *weights, fk__epilogue ep);
int fk__g_dwconv_pads(fk__graph *g, int x, const char *name, int kh, int kw, int stride, fk__pads pads,
                      const float *weights, fk__epilogue ep);
int fk__g_pool(fk__graph *g, int x, const char *name, fk__pool_kind kind, int k, int stride, fk__padding pad);
int fk__g_global_avgpool(fk__graph *g, int x, const char *name);
int fk__g_add(fk__graph *g, int a, int b, const char *name, fk__act act);
int fk__g_affine(fk__graph *g, int x, const char *name, const float *scale, const float *shift, fk__act act,
                 float alpha);
/* y < 0 ? slopes[c] * y : y, one slope per channel (an affine node with FK__ACT_PRELU). */
int fk__g_prelu(fk__graph *g, int x, const char *name, const float *slopes);
int fk__g_sigmoid(fk__graph *g, int x, const char *name);
int fk__g_softmax(fk__graph *g, int x, const char *name);
int fk__g_concat(fk__graph *g, const int *xs, int count, const char *name);
int fk__g_fc(fk__graph *g, int x, const char *name, int m, const float *weights, fk__epilogue ep);
/* a op b of two nodes of one shape. */
int fk__g_binary(fk__graph *g, int a, int b, const char *name, fk__binop op);
/* count channels of x from c0 by step (> 0), all inside x. */
int fk__g_slice(fk__graph *g, int x, const char *name, int c0, int step, int count);
/* x / sqrt(max(sum of x^2 over channels, eps)) per pixel. */
int fk__g_l2norm(fk__graph *g, int x, const char *name, float eps);

/* Graph-owned zeroed storage of count floats (NULL and a sticky error on failure). */
float *fk__graph_alloc(fk__graph *g, size_t count);

/* Copies every array the nodes point to into graph-owned memory (convolutions keep only their
 * packed panels), so the loaded weights can be freed: a graph then stands alone. */
fk_status fk__graph_own_weights(fk__graph *g, fk_error *err);

/* Marks a node as a graph output (kept alive and readable after a run), in call order. */
void fk__graph_mark_output(fk__graph *g, int node);

/* The first error of the builders, if any; FK_OK otherwise. */
fk_status fk__graph_finish(fk__graph *g, fk_error *err);

int fk__graph_node_count(const fk__graph *g);
const fk__node *fk__graph_node(const fk__graph *g, int id);
/* The same node to change, for a loader that fuses a later op into it (a bias, scale, shift or
 * activation into an epilogue) before the graph is planned; never after. */
fk__node *fk__graph_node_mut(fk__graph *g, int id);
int fk__graph_output_count(const fk__graph *g);
int fk__graph_output(const fk__graph *g, int k);
const char *fk__graph_name(const fk__graph *g);
/* Floating-point operations of one sample (a multiply-add counts 2), for benchmarks. */
double fk__graph_flops(const fk__graph *g);
/* Bytes of weights one run reads (convolution panels as packed, depthwise and dense weights):
 * what a batch-1 run streams from memory when they do not stay in cache between runs. */
double fk__graph_weight_bytes(const fk__graph *g);

#endif
