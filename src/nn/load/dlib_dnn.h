/* dlib_dnn.h: a bounds-checked reader of dlib's DNN serialization (a net saved with dlib::serialize) into a plain layer list. */
#ifndef FK_NN_LOAD_DLIB_DNN_H
#define FK_NN_LOAD_DLIB_DNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "facekit/status.h"

/* Usage:
 *     fk__dlib_net *net = NULL;
 *     if (fk__dlib_dnn_load("models/dlib/dlib_face_recognition_resnet_model_v1.dat", &net, &err) != FK_OK)
 *         ... err.message: "PATH: at byte 11233030 (layer 25 (con_)): a NaN in its parameters, value
 *             177828 of 590080"
 *     for (int i = 0; i < net->n_layers; i++)   // input -> output
 *         ... net->layers[i].kind, .u.con.filters ...
 *     fk__dlib_net_free(net);
 *
 * What a file holds (dlib/dnn/core.h; every number in dlib's encodings, see face/ert/dat_reader.h):
 *   add_loss_layer: version 1, the loss's details, then the network. The network is a nest: an
 *   add_layer (version 2) writes its version, then its subnetwork, then its own details; a tag or
 *   skip layer (version 1) writes its version and its subnetwork only; the innermost add_layer,
 *   the one on the input layer (version 3, or 2), writes its version, the input layer, then its
 *   details. So the file holds every wrapper's version, outermost first, then the input layer,
 *   then the layers' details from the input outward, a tag or skip contributing nothing.
 *   An add_layer's details: the layer (a name string such as "con_4", then its fields), three
 *   bools ('0'/'1'), and its x_grad and cached output tensors, then its params_grad (version 2) or,
 *   on the input, grad_final and the sample expansion factor (version 3).
 *   A tensor: version 2, four dims (long long), then the floats as raw little-endian IEEE.
 *
 * Tag IDs are template parameters, not data: a file cannot say which wrapper is a tag and which a
 * skip, nor which tag an add_prev reads. Those come with the network's definition (the builder's
 * wiring, face/dlib/); here such a wrapper is FK__DLIB_TAG_OR_SKIP.
 *
 * Layers are numbered as dlib prints a net (`std::cout << net`): the loss is layer 0, the
 * outermost layer 1, and so on to the input layer, which is layer n_layers + 1. Every message
 * about a layer names the file, the byte offset, the layer (number and dlib name, e.g.
 * "layer 12 (con_)") and the problem.
 *
 * Supported: inputs input_rgb_image_sized and input_rgb_image_pyramid (pyramid_down<N>; N is not
 * stored in the file), layers con_ (con_4, con_5), affine_ (affine_, affine_2, and bn_con2 /
 * bn_fc2 turned into an affine layer as dlib does), relu_, max_pool_2, avg_pool_2, add_prev_,
 * fc_ (fc_2, fc_3), tags and skips, losses loss_metric_ (and _2) and loss_mmod_ (options
 * versions 1-4). Every float parameter must be finite. Other dlib layers are FK_E_UNSUPPORTED;
 * a name dlib does not have is FK_E_BAD_FORMAT. Bytes after the network are ignored (dlib stops
 * reading there too). Not read: add_layer version 1 (dlib before 19.0 wrote no params_grad; its
 * version would read as a tag's) and a tag directly on the input layer. A loaded net is
 * immutable. */

typedef enum fk__dlib_kind {
    FK__DLIB_CON = 0,    /* con_: convolution (dlib: cross-correlation), + bias */
    FK__DLIB_AFFINE,     /* affine_: x * gamma + beta, per channel (conv mode) or per value (fc mode) */
    FK__DLIB_RELU,       /* relu_ */
    FK__DLIB_MAX_POOL,   /* max_pool_ */
    FK__DLIB_AVG_POOL,   /* avg_pool_ (window 0: the whole input, avg_pool_everything) */
    FK__DLIB_ADD_PREV,   /* add_prev_: this input plus a tagged layer's output, zero-extended */
    FK__DLIB_FC,         /* fc_: x (flattened k, r, c) times weights [inputs][outputs], + bias */
    FK__DLIB_TAG_OR_SKIP, /* a tag or skip wrapper (which one, and its ID, is not in the file) */
    FK__DLIB_KIND_COUNT
} fk__dlib_kind;

typedef enum fk__dlib_input_kind {
    FK__DLIB_INPUT_RGB_SIZED = 0, /* input_rgb_image_sized<NR, NC> */
    FK__DLIB_INPUT_RGB_PYRAMID,   /* input_rgb_image_pyramid<pyramid_down<N>> */
    FK__DLIB_INPUT_COUNT
} fk__dlib_input_kind;

typedef enum fk__dlib_loss_kind {
    FK__DLIB_LOSS_METRIC = 0, /* loss_metric_: the output vector is the descriptor */
    FK__DLIB_LOSS_MMOD,       /* loss_mmod_: sliding-window detection with NMS */
    FK__DLIB_LOSS_COUNT
} fk__dlib_loss_kind;

/* con_: filters [num_filters][k][nr][nc] as dlib stores them; bias NULL when disabled. */
typedef struct fk__dlib_con {
    int num_filters, k, nr, nc, stride_y, stride_x, pad_y, pad_x;
    float *filters;
    float *bias;
} fk__dlib_con;

/* affine_: gamma and beta of `count` values: k of them in conv mode, k*nr*nc in fc mode.
 * A disabled layer has count 0 and is the identity. */
typedef struct fk__dlib_affine {
    bool fc_mode;
    bool from_bn; /* read from a bn_con2/bn_fc2 layer, converted as dlib's affine_(bn_) does */
    int count;
    float *gamma, *beta;
} fk__dlib_affine;

/* max_pool_ / avg_pool_: window nr x nc (0 x 0: the whole input), strides, paddings. */
typedef struct fk__dlib_pool {
    int nr, nc, stride_y, stride_x, pad_y, pad_x;
} fk__dlib_pool;

/* fc_: weights [num_inputs][num_outputs], inputs flattened in dlib's (k, r, c) order. */
typedef struct fk__dlib_fc {
    int num_outputs, num_inputs;
    float *weights;
    float *bias; /* NULL: fc_no_bias or a disabled bias */
} fk__dlib_fc;

typedef struct fk__dlib_layer {
    fk__dlib_kind kind;
    int index;     /* dlib's layer number (see above) */
    char name[40]; /* the name as in the file ("con_4"); "tag/skip" for a wrapper */
    union {
        fk__dlib_con con;
        fk__dlib_affine affine;
        fk__dlib_pool pool;
        fk__dlib_fc fc;
    } u;
} fk__dlib_layer;

typedef struct fk__dlib_input {
    fk__dlib_input_kind kind;
    float avg_red, avg_green, avg_blue; /* the network's input is (pixel - avg) / 256 */
    int nr, nc;                         /* sized: the image size it takes */
    int pyramid_padding, pyramid_outer_padding; /* pyramid: the tiling's gaps (dlib: 10 and 11) */
} fk__dlib_input;

#define FK__DLIB_MAX_WINDOWS 64
#define FK__DLIB_MAX_LABEL 256

typedef struct fk__dlib_window {
    int width, height;
    char label[FK__DLIB_MAX_LABEL];
} fk__dlib_window;

/* loss_mmod_'s mmod_options (dlib/dnn/loss.h), what to_label needs and the rest as read. */
typedef struct fk__dlib_mmod_options {
    int n_windows;
    fk__dlib_window windows[FK__DLIB_MAX_WINDOWS];
    double loss_per_false_alarm, loss_per_missed_target, truth_match_iou_threshold;
    double nms_iou, nms_covered;       /* overlaps_nms: test_box_overlap(iou, percent covered) */
    double ignore_iou, ignore_covered; /* overlaps_ignore */
    int assume_image_pyramid;          /* 1: yes (dlib's default) */
    bool use_bbr;                      /* bounding box regression (then 5 channels per window) */
    double bbr_lambda;
} fk__dlib_mmod_options;

typedef struct fk__dlib_loss {
    fk__dlib_loss_kind kind;
    float margin, dist_thresh;   /* metric */
    fk__dlib_mmod_options mmod; /* mmod */
} fk__dlib_loss;

typedef struct fk__dlib_net {
    char *path; /* the name given to the parser, for messages */
    fk__dlib_loss loss;
    fk__dlib_input input;
    int n_layers;
    fk__dlib_layer *layers; /* input -> output: layers[0] is the one on the input layer */
} fk__dlib_net;

/* Limits beyond which a file is refused as not a model: the ResNet has 130 layers and 5.6
 * million parameters, the MMOD detector 19 layers. */
#define FK__DLIB_MAX_BYTES ((size_t)1 << 30)
#define FK__DLIB_MAX_LAYERS 10000
#define FK__DLIB_MAX_DIM 1000000 /* a filter count, kernel side, stride or fc size */

/* Parses a whole file held in memory (no pin check); name is used in messages. The entry of the
 * fuzzer and the tests. On FK_OK *out owns everything; on failure *out is NULL. Errors:
 *   FK_E_BAD_FORMAT   truncated or damaged data, a name dlib does not have, sizes that disagree,
 *                     a NaN or infinite parameter (each message as above)
 *   FK_E_UNSUPPORTED  a dlib layer, input or loss this reader does not handle
 *   FK_E_LIMIT        over the limits above
 *   FK_E_NO_MEMORY, FK_E_INVALID_ARGUMENT (NULL out, or NULL data with size > 0) */
fk_status fk__dlib_dnn_parse(const void *data, size_t size, const char *name, fk__dlib_net **out, fk_error *err);

/* Reads the file at path and parses it. A file whose basename is pinned in models/models.lock
 * must have the pinned sha256 (unless FACEKIT_MODELS_NOVERIFY is set to anything but "" or "0"):
 * a damaged pinned file is FK_E_BAD_FORMAT saying its sha256 differs. A missing file is
 * FK_E_NOT_FOUND with the hint how to fetch the models. Other errors as fk__dlib_dnn_parse's,
 * and FK_E_IO. */
fk_status fk__dlib_dnn_load(const char *path, fk__dlib_net **out, fk_error *err);

/* NULL-safe. */
void fk__dlib_net_free(fk__dlib_net *net);

/* "layer 12 (con_)": a layer's number and its dlib name without the version digits, for
 * builders' messages. Returns buf. */
const char *fk__dlib_layer_label(const fk__dlib_layer *l, char *buf, size_t n);

#endif
