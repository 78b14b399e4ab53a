/* tfgraph.h: TensorFlow.js graph models (model.json: a GraphDef as JSON, and weight shards) lowered onto an fk__graph. */
#ifndef FK_NN_LOAD_TFGRAPH_H
#define FK_NN_LOAD_TFGRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "facekit/status.h"
#include "nn/graph.h"

/* Usage:
 *     fk__graph *g = NULL;
 *     fk__tfgraph_info info;
 *     fk_status st = fk__tfgraph_load("models/human/antispoof.json", NULL, &g, &info, &err);
 *     // info.input_h/w/c: the sample the graph takes, NHWC float; info.outputs[k]: what output k is
 *
 * A graph model (`"format": "graph-model"`) is a JSON object with "modelTopology" (a GraphDef:
 * "node": [{"name", "op", "input": ["other", "other:1", "^control"], "attr": {...}}]) and
 * "weightsManifest" (the weight manifest of nn/load/weights.h: every Const node's value, by the
 * node's name). Loading:
 *   1. parses every node and checks each input names a node there is;
 *   2. keeps only what the outputs need (dead-node removal), in an order where inputs come first;
 *   3. folds constants: shape arithmetic and ops whose inputs are all constant become constants;
 *   4. lowers the rest onto the executor's ops, fusing what they take: a bias, a per-channel
 *      scale and shift (a batch norm as Mul and Add), an activation whose producer has no other
 *      consumer, a channel zero-padding that feeds an Add (the add's zero extension);
 *   5. marks the outputs: the signature's when the model has one, else every node nothing reads.
 * An op the loader does not know is FK_E_UNSUPPORTED "FILE: node 'NAME': op 'OP' is not supported";
 * an op it knows used in a way the executor cannot run (a dilation, a broadcast it has no kernel
 * for, a reshape that moves data) is FK_E_UNSUPPORTED naming the node and what is wrong. */

#define FK__TFGRAPH_MAX_OUTPUTS 8

typedef struct fk__tfgraph_output {
    char name[96];   /* the node (or signature key) the output comes from */
    int rank;        /* TF's rank of the value without the batch axis: 1 for [N, K] */
    int dims[4];     /* TF's dims without the batch axis */
} fk__tfgraph_output;

typedef struct fk__tfgraph_info {
    char input_name[96];
    int input_h, input_w, input_c;
    int n_outputs;
    fk__tfgraph_output outputs[FK__TFGRAPH_MAX_OUTPUTS];
    int n_nodes;       /* nodes in the file */
    int n_lowered;     /* executor nodes made from them */
} fk__tfgraph_info;

typedef struct fk__tfgraph_options {
    bool verify;        /* check pinned files' sha256 */
    size_t max_bytes;   /* limit on the shard bytes and the weights (see fk__weights_options) */
    int input_h, input_w; /* a size for inputs the model leaves open (-1 in its shape); 0: refuse those */
} fk__tfgraph_options;

/* Loads path. On FK_OK *out is a finished graph that owns its weights and *info (when not NULL)
 * describes it; on failure *out is NULL, nothing leaks, and err names the file and the problem. */
fk_status fk__tfgraph_load(const char *path, const fk__tfgraph_options *opts, fk__graph **out,
                           fk__tfgraph_info *info, fk_error *err);

#endif
