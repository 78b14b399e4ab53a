/* nets.c: loading a face-api net (manifest + graph) and each net's input normalisation. */
#include "face/nets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static const struct {
    const char *stem, *title;
    int input_size;
    int (*build)(fk__netbuild *b);
} net_info[FK__NET_COUNT] = {
    [FK__NET_SSD] = {"ssd_mobilenetv1_model", "SSD MobileNetV1", 512, fk__build_ssd},
    [FK__NET_TINY] = {"tiny_face_detector_model", "TinyFaceDetector", 416, fk__build_tiny},
    [FK__NET_LANDMARK68] = {"face_landmark_68_model", "FaceLandmark68Net", 112, fk__build_landmark68},
    [FK__NET_RECOGNITION] = {"face_recognition_model", "FaceRecognitionNet", 150, fk__build_recognition},
    [FK__NET_AGE_GENDER] = {"age_gender_model", "AgeGenderNet", 112, fk__build_age_gender},
    [FK__NET_EXPRESSION] = {"face_expression_model", "FaceExpressionNet", 112, fk__build_expression},
};

const char *fk__net_stem(fk__net_kind kind)
{
    return net_info[kind].stem;
}

const char *fk__net_title(fk__net_kind kind)
{
    return net_info[kind].title;
}

fk_status fk__net_load(fk__net_kind kind, const char *dir, int input_size, fk__net **out, fk_error *err)
{
    *out = NULL;
    if (kind < 0 || kind >= FK__NET_COUNT || !dir)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "bad net or model folder");
    if (input_size == 0)
        input_size = net_info[kind].input_size;
    if (kind == FK__NET_TINY ? (input_size < 64 || input_size > 2048 || input_size % 32)
                             : input_size != net_info[kind].input_size)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: input size %d not supported%s", net_info[kind].title,
                        input_size, kind == FK__NET_TINY ? " (use a multiple of 32 from 64 to 2048)" : "");
    fk__net *net = calloc(1, sizeof *net);
    if (!net)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory loading %s", net_info[kind].title);
    net->kind = kind;
    net->input_size = input_size;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-weights_manifest.json", dir, net_info[kind].stem);
    fk_status st = fk__weights_load(path, &net->weights, err);
    if (st != FK_OK)
        goto fail;
    st = fk__net_build_graph(kind, net->weights, input_size, &net->graph, err);
    if (st != FK_OK)
        goto fail;
    if (kind == FK__NET_SSD) {
        int dims[3] = {1, FK__SSD_ANCHORS, 4};
        const float *anchors = NULL;
        st = fk__weights_get(net->weights, "Output/extra_dim", 3, dims, &anchors, err);
        if (st != FK_OK)
            goto fail;
        net->ssd_anchors = malloc(sizeof(float) * 4 * FK__SSD_ANCHORS);
        if (!net->ssd_anchors) {
            st = fk__fail(err, FK_E_NO_MEMORY, "out of memory loading %s", net_info[kind].title);
            goto fail;
        }
        memcpy(net->ssd_anchors, anchors, sizeof(float) * 4 * FK__SSD_ANCHORS);
    }
    /* The graph takes what it needs (the convolutions' packed panels): the loaded floats would
     * double the memory. Tiny keeps them to build graphs for other input sizes. */
    if (kind != FK__NET_TINY) {
        st = fk__graph_own_weights(net->graph, err);
        if (st != FK_OK)
            goto fail;
        fk__weights_free(net->weights);
        net->weights = NULL;
    }
    *out = net;
    return FK_OK;
fail:
    fk__net_free(net);
    return st;
}

fk_status fk__net_build_graph(fk__net_kind kind, const fk__weights *w, int input_size, fk__graph **out,
                              fk_error *err)
{
    *out = NULL;
    fk__graph *g = NULL;
    fk_status st =
        fk__graph_new(net_info[kind].title, fk__shape_make(1, input_size, input_size, 3), &g, err);
    if (st != FK_OK)
        return st;
    fk__netbuild b = {.w = w, .g = g};
    net_info[kind].build(&b);
    if (kind == FK__NET_SSD)
        fk__nb_weight(&b, "Output/extra_dim", 3, 1, FK__SSD_ANCHORS, 4, 0);
    st = fk__nb_finish(&b, err);
    if (st != FK_OK) {
        fk__graph_free(g);
        return st;
    }
    *out = g;
    return FK_OK;
}

void fk__net_free(fk__net *net)
{
    if (!net)
        return;
    fk__graph_free(net->graph);
    fk__weights_free(net->weights);
    free(net->ssd_anchors);
    free(net);
}

void fk__net_normalize(fk__net_kind kind, const float *rgb255, float *out, size_t pixels)
{
    static const float face_mean[3] = {122.782f, 117.001f, 104.298f};
    static const float tiny_mean[3] = {117.001f, 114.697f, 97.404f};
    if (kind == FK__NET_SSD) {
        for (size_t i = 0; i < pixels * 3; i++)
            out[i] = rgb255[i] / 127.5f - 1.0f;
        return;
    }
    const float *mean = kind == FK__NET_TINY ? tiny_mean : face_mean;
    for (size_t i = 0; i < pixels; i++)
        for (int c = 0; c < 3; c++)
            out[3 * i + c] = (rgb255[3 * i + c] - mean[c]) / 255.0f;
}
