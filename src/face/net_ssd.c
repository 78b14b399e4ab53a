/* net_ssd.c: SSD MobileNetV1 as face-api builds it (mobileNetV1.ts, predictionLayer.ts) and its box decoding (outputLayer.ts). */
#include <math.h>
#include <stdio.h>

#include "face/nets.h"

#define BN_EPSILON 0.0010000000474974513 /* face-api's batch norm epsilon */

static int pointwise(fk__netbuild *b, int x, const char *prefix, int idx, int k, int cout, int stride)
{
    int cin = fk__nb_channels(b, x);
    int wd[4] = {k, k, cin, cout}, od[1] = {cout};
    const float *w = fk__nb_weightf(b, 4, wd, "%s/Conv2d_%d_pointwise/weights", prefix, idx);
    const float *off = fk__nb_weightf(b, 1, od, "%s/Conv2d_%d_pointwise/convolution_bn_offset", prefix, idx);
    if (b->status != FK_OK)
        return -1;
    char name[64];
    snprintf(name, sizeof name, "%s/conv_%d", prefix, idx);
    fk__epilogue ep = {.bias = off, .act = FK__ACT_RELU6};
    return fk__g_conv2d(b->g, x, name, k, k, stride, FK__PAD_SAME, cout, w, ep);
}

/* Batch norm folded into a per-channel scale and shift: (x - mean) * gamma / sqrt(var + eps) + beta. */
static int depthwise_bn(fk__netbuild *b, int x, int idx, int stride)
{
    int c = fk__nb_channels(b, x);
    int wd[4] = {3, 3, c, 1}, cd[1] = {c};
    const char *p = "MobilenetV1/Conv2d_%d_depthwise/%s";
    const float *w = fk__nb_weightf(b, 4, wd, p, idx, "depthwise_weights");
    const float *gamma = fk__nb_weightf(b, 1, cd, p, idx, "BatchNorm/gamma");
    const float *beta = fk__nb_weightf(b, 1, cd, p, idx, "BatchNorm/beta");
    const float *mean = fk__nb_weightf(b, 1, cd, p, idx, "BatchNorm/moving_mean");
    const float *var = fk__nb_weightf(b, 1, cd, p, idx, "BatchNorm/moving_variance");
    float *scale = fk__graph_alloc(b->g, (size_t)c), *shift = fk__graph_alloc(b->g, (size_t)c);
    if (b->status != FK_OK || !scale || !shift)
        return -1;
    for (int i = 0; i < c; i++) {
        double s = gamma[i] / sqrt((double)var[i] + BN_EPSILON);
        scale[i] = (float)s;
        shift[i] = (float)(beta[i] - mean[i] * s);
    }
    char name[64];
    snprintf(name, sizeof name, "mobilenetv1/conv_%d/depthwise", idx);
    fk__epilogue ep = {.scale = scale, .shift = shift, .act = FK__ACT_RELU6};
    return fk__g_dwconv(b->g, x, name, 3, 3, stride, FK__PAD_SAME, w, ep);
}

static void box_predictor(fk__netbuild *b, int x, int idx)
{
    int cin = fk__nb_channels(b, x);
    int anchors = idx == 0 ? 3 : 6;
    const char *p = "Prediction/BoxPredictor_%d/%s";
    int bw[4] = {1, 1, cin, anchors * 4}, bb[1] = {anchors * 4};
    int cw[4] = {1, 1, cin, anchors * 3}, cb[1] = {anchors * 3};
    const float *box_w = fk__nb_weightf(b, 4, bw, p, idx, "BoxEncodingPredictor/weights");
    const float *box_b = fk__nb_weightf(b, 1, bb, p, idx, "BoxEncodingPredictor/biases");
    const float *cls_w = fk__nb_weightf(b, 4, cw, p, idx, "ClassPredictor/weights");
    const float *cls_b = fk__nb_weightf(b, 1, cb, p, idx, "ClassPredictor/biases");
    if (b->status != FK_OK)
        return;
    char name[64];
    snprintf(name, sizeof name, "box_predictor_%d/box", idx);
    fk__epilogue eb = {.bias = box_b};
    fk__graph_mark_output(b->g, fk__g_conv2d(b->g, x, name, 1, 1, 1, FK__PAD_SAME, anchors * 4, box_w, eb));
    snprintf(name, sizeof name, "box_predictor_%d/class", idx);
    fk__epilogue ec = {.bias = cls_b};
    fk__graph_mark_output(b->g, fk__g_conv2d(b->g, x, name, 1, 1, 1, FK__PAD_SAME, anchors * 3, cls_w, ec));
}

int fk__build_ssd(fk__netbuild *b)
{
    static const int pointwise_out[14] = {32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
    int x = pointwise(b, fk__graph_input(b->g), "MobilenetV1", 0, 3, 32, 2);
    int conv11 = -1;
    for (int i = 1; i <= 13; i++) {
        int stride = (i == 2 || i == 4 || i == 6 || i == 12) ? 2 : 1;
        x = depthwise_bn(b, x, i, stride);
        x = pointwise(b, x, "MobilenetV1", i, 1, pointwise_out[i], 1);
        if (i == 11)
            conv11 = x;
    }
    static const int pred_k[8] = {1, 3, 1, 3, 1, 3, 1, 3};
    static const int pred_out[8] = {256, 512, 128, 256, 128, 256, 64, 128};
    int pred[8], prev = x;
    for (int i = 0; i < 8; i++) {
        pred[i] = pointwise(b, prev, "Prediction", i, pred_k[i], pred_out[i], (i % 2) ? 2 : 1);
        prev = pred[i];
    }
    int sources[6] = {conv11, x, pred[1], pred[3], pred[5], pred[7]};
    for (int i = 0; i < 6; i++)
        box_predictor(b, sources[i], i);
    return b->status == FK_OK ? 0 : -1;
}

void fk__ssd_decode(const fk__net *net, const fk__plan *plan, float *boxes, float *scores)
{
    const float *anchors = net->ssd_anchors; /* copied out at load time (fk__net_load) */
    int a = 0;
    for (int p = 0; p < 6; p++) {
        fk__shape bs, cs;
        const float *box = fk__plan_output(plan, 2 * p, &bs);
        const float *cls = fk__plan_output(plan, 2 * p + 1, &cs);
        int cells = bs.h * bs.w * (bs.c / 4);
        for (int i = 0; i < cells; i++, a++) {
            const float *an = anchors + 4 * a, *e = box + 4 * i;
            /* float32 step by step, in face-api's order (decodeBoxesLayer) */
            float size0 = an[2] - an[0], size1 = an[3] - an[1];
            float center0 = an[0] + size0 / 2.0f, center1 = an[1] + size1 / 2.0f;
            float half0 = (float)exp((double)(e[2] / 5.0f)) * size0 / 2.0f;
            float mid0 = e[0] / 10.0f * size0 + center0;
            float half1 = (float)exp((double)(e[3] / 5.0f)) * size1 / 2.0f;
            float mid1 = e[1] / 10.0f * size1 + center1;
            boxes[4 * a + 0] = mid0 - half0;
            boxes[4 * a + 1] = mid1 - half1;
            boxes[4 * a + 2] = mid0 + half0;
            boxes[4 * a + 3] = mid1 + half1;
            scores[a] = (float)(1.0 / (1.0 + exp(-(double)cls[3 * i + 1])));
        }
    }
}
