/* dnn_writer.h: writes small synthetic dlib DNN files (dlib's serialization of a net) for the robustness tests and the fuzz corpus. */
#ifndef FK_TEST_DNN_WRITER_H
#define FK_TEST_DNN_WRITER_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ert/dat_writer.h"

/* dlib's std::string: the length as an integer, then the bytes. */
static inline void dnn_string(dat_buf *b, const char *s)
{
    size_t n = strlen(s);
    dat_int(b, (int64_t)n);
    dat_put(b, s, n);
}

static inline void dnn_bool(dat_buf *b, int v)
{
    char c = v ? '1' : '0';
    dat_put(b, &c, 1);
}

/* A resizable_tensor: version 2, dims, raw little-endian floats (data may be NULL: zeros). */
static inline void dnn_tensor(dat_buf *b, int64_t n, int64_t k, int64_t nr, int64_t nc, const float *data)
{
    dat_int(b, 2);
    dat_int(b, n);
    dat_int(b, k);
    dat_int(b, nr);
    dat_int(b, nc);
    for (int64_t i = 0; i < n * k * nr * nc; i++) {
        float f = data ? data[i] : 0.0f;
        dat_put(b, &f, 4);
    }
}

static inline void dnn_alias(dat_buf *b, int64_t n, int64_t k, int64_t nr, int64_t nc)
{
    dat_int(b, 1);
    dat_int(b, n);
    dat_int(b, k);
    dat_int(b, nr);
    dat_int(b, nc);
}

/* One layer of a synthetic net, input to output. */
typedef enum dnn_kind {
    DNN_CON,
    DNN_AFFINE,
    DNN_BN, /* bn_con2, which dlib reads into an affine layer */
    DNN_RELU,
    DNN_MAXPOOL,
    DNN_AVGPOOL,
    DNN_ADD_PREV,
    DNN_FC,
    DNN_TAG /* a tag or skip: a version 1 wrapper with nothing of its own */
} dnn_kind;

typedef struct dnn_layer {
    dnn_kind kind;
    int n, k, nr, nc, stride, pad; /* con: filters, input channels, kernel, stride, padding; pool: window,
                                      stride; fc: outputs, inputs; affine/bn: channels (n) */
    int bias;                      /* con and fc */
    unsigned seed;
    int bad;                       /* con: its filters' shape names one filter too many */
} dnn_layer;

static inline void dnn_multipliers(dat_buf *b)
{
    dat_double(b, 1);
    dat_double(b, 1);
    dat_double(b, 1);
    dat_double(b, 0);
}

static inline void dnn_details(dat_buf *b, const dnn_layer *l)
{
    unsigned s = l->seed ? l->seed : 7;
    switch (l->kind) {
    case DNN_CON: {
        int64_t nf = (int64_t)l->n * l->k * l->nr * l->nc, np = nf + (l->bias ? l->n : 0);
        float *p = malloc(sizeof(float) * (size_t)(np ? np : 1));
        for (int64_t i = 0; p && i < np; i++)
            p[i] = (dat_rand(&s) - 0.5f) * 0.5f;
        dnn_string(b, l->bias ? "con_4" : "con_5");
        dnn_tensor(b, np, 1, 1, 1, p);
        dat_int(b, l->n);
        dat_int(b, l->nr);
        dat_int(b, l->nc);
        dat_int(b, l->stride);
        dat_int(b, l->stride);
        dat_int(b, l->pad);
        dat_int(b, l->pad);
        dnn_alias(b, l->n + (l->bad ? 1 : 0), l->k, l->nr, l->nc);
        dnn_alias(b, 1, l->bias ? l->n : 0, 1, 1);
        dnn_multipliers(b);
        if (!l->bias)
            dnn_bool(b, 0);
        free(p);
        break;
    }
    case DNN_AFFINE: {
        float *p = malloc(sizeof(float) * (size_t)(2 * l->n));
        for (int i = 0; p && i < 2 * l->n; i++)
            p[i] = i < l->n ? 0.5f + dat_rand(&s) : dat_rand(&s) - 0.5f;
        dnn_string(b, "affine_2");
        dnn_tensor(b, 2 * l->n, 1, 1, 1, p);
        dnn_alias(b, 1, l->n, 1, 1);
        dnn_alias(b, 1, l->n, 1, 1);
        dat_int(b, 0); /* CONV_MODE */
        dnn_bool(b, 0);
        free(p);
        break;
    }
    case DNN_BN: {
        float *p = malloc(sizeof(float) * (size_t)(4 * l->n));
        for (int i = 0; p && i < 4 * l->n; i++)
            p[i] = i < l->n ? 0.5f + dat_rand(&s) : i < 3 * l->n ? dat_rand(&s) - 0.5f : 0.1f + dat_rand(&s);
        dnn_string(b, "bn_con2");
        dnn_tensor(b, 2 * l->n, 1, 1, 1, p);
        dnn_alias(b, 1, l->n, 1, 1);
        dnn_alias(b, 1, l->n, 1, 1);
        dnn_tensor(b, 0, 0, 0, 0, NULL); /* means */
        dnn_tensor(b, 0, 0, 0, 0, NULL); /* invstds */
        dnn_tensor(b, 1, l->n, 1, 1, p ? p + 2 * l->n : NULL); /* running means */
        dnn_tensor(b, 1, l->n, 1, 1, p ? p + 3 * l->n : NULL); /* running variances */
        dat_int(b, 1000);
        dat_int(b, 100);
        dnn_multipliers(b);
        dat_double(b, 1e-5);
        free(p);
        break;
    }
    case DNN_RELU:
        dnn_string(b, "relu_");
        break;
    case DNN_MAXPOOL:
    case DNN_AVGPOOL:
        dnn_string(b, l->kind == DNN_MAXPOOL ? "max_pool_2" : "avg_pool_2");
        dat_int(b, l->nr);
        dat_int(b, l->nc);
        dat_int(b, l->stride);
        dat_int(b, l->stride);
        dat_int(b, l->pad);
        dat_int(b, l->pad);
        break;
    case DNN_ADD_PREV:
        dnn_string(b, "add_prev_");
        break;
    case DNN_FC: {
        int64_t nw = (int64_t)l->k * l->n, np = nw + (l->bias ? l->n : 0);
        float *p = malloc(sizeof(float) * (size_t)(np ? np : 1));
        for (int64_t i = 0; p && i < np; i++)
            p[i] = (dat_rand(&s) - 0.5f) * 0.2f;
        dnn_string(b, "fc_3");
        dat_int(b, l->n);
        dat_int(b, l->k);
        dnn_tensor(b, l->bias ? l->k + 1 : l->k, l->n, 1, 1, p);
        dnn_alias(b, l->k, l->n, 1, 1);
        dnn_alias(b, 1, l->n, 1, 1);
        dat_int(b, l->bias ? 0 : 1);
        dnn_multipliers(b);
        dnn_bool(b, 1);
        free(p);
        break;
    }
    case DNN_TAG:
        break;
    }
}

/* The three state bools and the gradient/output tensors (empty) that follow a layer's details. */
static inline void dnn_state(dat_buf *b, int on_input)
{
    dnn_bool(b, 1);
    dnn_bool(b, 1);
    dnn_bool(b, 0);
    dnn_tensor(b, 0, 0, 0, 0, NULL);
    dnn_tensor(b, 0, 0, 0, 0, NULL);
    dnn_tensor(b, 0, 0, 0, 0, NULL);
    if (on_input)
        dat_int(b, 1); /* sample expansion factor */
}

/* A whole net: loss_mmod with one 20x20 window (mmod != 0) or loss_metric, the input layer
 * (input_rgb_image_pyramid2 or input_rgb_image_sized<size>), then the layers. layers[0] must
 * not be a tag (dlib has a tag-on-input form this reader does not take). */
static inline void dnn_net(dat_buf *b, int mmod, int size, const dnn_layer *layers, int n)
{
    dat_int(b, 1); /* add_loss_layer */
    if (mmod) {
        dnn_string(b, "loss_mmod_");
        dat_int(b, 4); /* mmod_options */
        dat_int(b, 1);
        dat_int(b, 2);
        dat_int(b, 20);
        dat_int(b, 20);
        dnn_string(b, "");
        dat_double(b, 1);
        dat_double(b, 1);
        dat_double(b, 0.5);
        dat_double(b, 0.4);
        dat_double(b, 1);
        dat_double(b, 0.5);
        dat_double(b, 0.95);
        uint8_t yes = 1;
        dat_put(b, &yes, 1);
        dnn_bool(b, 0);
        dat_double(b, 100);
    } else {
        dnn_string(b, "loss_metric_2");
        dat_float(b, 0.04f);
        dat_float(b, 0.6f);
    }
    for (int i = n - 1; i >= 0; i--)
        dat_int(b, i == 0 ? 3 : layers[i].kind == DNN_TAG ? 1 : 2);
    if (mmod) {
        dnn_string(b, "input_rgb_image_pyramid2");
        dat_float(b, 122.782f);
        dat_float(b, 117.001f);
        dat_float(b, 104.298f);
        dat_int(b, 10);
        dat_int(b, 11);
    } else {
        dnn_string(b, "input_rgb_image_sized");
        dat_float(b, 122.782f);
        dat_float(b, 117.001f);
        dat_float(b, 104.298f);
        dat_int(b, size);
        dat_int(b, size);
    }
    for (int i = 0; i < n; i++) {
        if (layers[i].kind == DNN_TAG)
            continue;
        dnn_details(b, &layers[i]);
        dnn_state(b, i == 0);
    }
}

/* The first parameter a layer of this seed writes (to find it in the bytes). */
static inline float dnn_first_param(unsigned seed)
{
    unsigned s = seed ? seed : 7;
    return (dat_rand(&s) - 0.5f) * 0.5f;
}

/* A small MMOD-shaped chain: two stride-2 convolutions (VALID), a padded one, the 1-channel
 * output; batch norm, affine and relu between. */
static inline int dnn_tiny_mmod(dnn_layer *l)
{
    int n = 0;
    l[n++] = (dnn_layer){DNN_CON, 4, 3, 5, 5, 2, 0, 1, 11, 0};
    l[n++] = (dnn_layer){DNN_BN, 4, 0, 0, 0, 0, 0, 0, 12, 0};
    l[n++] = (dnn_layer){DNN_RELU, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_CON, 6, 4, 5, 5, 2, 0, 1, 13, 0};
    l[n++] = (dnn_layer){DNN_AFFINE, 6, 0, 0, 0, 0, 0, 0, 14, 0};
    l[n++] = (dnn_layer){DNN_RELU, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_CON, 5, 6, 3, 3, 1, 1, 1, 15, 0};
    l[n++] = (dnn_layer){DNN_RELU, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_CON, 1, 5, 3, 3, 1, 1, 1, 16, 0};
    return n;
}

/* A small net with every other layer kind: a residual block (tag1, con, affine, relu, con,
 * add_prev1), a down block (tag1 con/2 tag2 skip1 avg_pool add_prev2), max pooling, the
 * average over everything and an fc without bias. Its wiring: tags +1, +1, +2, skip -1; adds 1, 2. */
static inline int dnn_tiny_resnet(dnn_layer *l)
{
    int n = 0;
    l[n++] = (dnn_layer){DNN_CON, 4, 3, 3, 3, 2, 0, 1, 21, 0};
    l[n++] = (dnn_layer){DNN_AFFINE, 4, 0, 0, 0, 0, 0, 0, 22, 0};
    l[n++] = (dnn_layer){DNN_RELU, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_MAXPOOL, 0, 0, 3, 3, 2, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_TAG, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_CON, 4, 4, 3, 3, 1, 1, 1, 23, 0};
    l[n++] = (dnn_layer){DNN_AFFINE, 4, 0, 0, 0, 0, 0, 0, 24, 0};
    l[n++] = (dnn_layer){DNN_RELU, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_CON, 4, 4, 3, 3, 1, 1, 1, 25, 0};
    l[n++] = (dnn_layer){DNN_ADD_PREV, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_RELU, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_TAG, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_CON, 8, 4, 3, 3, 2, 0, 1, 26, 0};
    l[n++] = (dnn_layer){DNN_TAG, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_TAG, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_AVGPOOL, 0, 0, 2, 2, 2, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_ADD_PREV, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_RELU, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_AVGPOOL, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_FC, 6, 8, 0, 0, 0, 0, 0, 27, 0};
    return n;
}

#endif
