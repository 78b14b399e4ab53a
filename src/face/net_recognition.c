/* net_recognition.c: FaceRecognitionNet as face-api builds it (dlib's ResNet-34 port: conv + scale layers, residual blocks, 128-D FC). */
#include <stdio.h>

#include "face/nets.h"

/* conv + bias, then the scale layer (x * weights + biases), then optional ReLU. */
static int conv_scale(fk__netbuild *b, int x, const char *prefix, int k, int cout, int stride, fk__padding pad,
                      bool relu)
{
    int cin = fk__nb_channels(b, x);
    int fd[4] = {k, k, cin, cout}, cd[1] = {cout};
    const float *f = fk__nb_weightf(b, 4, fd, "%s/conv/filters", prefix);
    const float *bias = fk__nb_weightf(b, 1, cd, "%s/conv/bias", prefix);
    const float *scale = fk__nb_weightf(b, 1, cd, "%s/scale/weights", prefix);
    const float *shift = fk__nb_weightf(b, 1, cd, "%s/scale/biases", prefix);
    if (b->status != FK_OK)
        return -1;
    fk__epilogue ep = {.bias = bias, .scale = scale, .shift = shift, .act = relu ? FK__ACT_RELU : FK__ACT_NONE};
    return fk__g_conv2d(b->g, x, prefix, k, k, stride, pad, cout, f, ep);
}

static int residual(fk__netbuild *b, int x, const char *name, int cout)
{
    char p[48];
    snprintf(p, sizeof p, "%s/conv1", name);
    int out = conv_scale(b, x, p, 3, cout, 1, FK__PAD_SAME, true);
    snprintf(p, sizeof p, "%s/conv2", name);
    out = conv_scale(b, out, p, 3, cout, 1, FK__PAD_SAME, false);
    return fk__g_add(b->g, out, x, name, FK__ACT_RELU);
}

/* The down-sampling block: its shortcut is a 2x2 average pool zero-padded in channels, and the
 * main path (VALID stride 2) is zero-padded at the bottom/right where it comes out one smaller;
 * fk__g_add's zero extension does both. */
static int residual_down(fk__netbuild *b, int x, const char *name, int cout)
{
    char p[48];
    snprintf(p, sizeof p, "%s/conv1", name);
    int out = conv_scale(b, x, p, 3, cout, 2, FK__PAD_VALID, true);
    snprintf(p, sizeof p, "%s/conv2", name);
    out = conv_scale(b, out, p, 3, cout, 1, FK__PAD_SAME, false);
    int pooled = fk__g_pool(b->g, x, "shortcut_pool", FK__POOL_AVG, 2, 2, FK__PAD_VALID);
    return fk__g_add(b->g, pooled, out, name, FK__ACT_RELU);
}

int fk__build_recognition(fk__netbuild *b)
{
    int x = conv_scale(b, fk__graph_input(b->g), "conv32_down", 7, 32, 2, FK__PAD_VALID, true);
    x = fk__g_pool(b->g, x, "maxpool", FK__POOL_MAX, 3, 2, FK__PAD_VALID);
    x = residual(b, x, "conv32_1", 32);
    x = residual(b, x, "conv32_2", 32);
    x = residual(b, x, "conv32_3", 32);
    x = residual_down(b, x, "conv64_down", 64);
    x = residual(b, x, "conv64_1", 64);
    x = residual(b, x, "conv64_2", 64);
    x = residual(b, x, "conv64_3", 64);
    x = residual_down(b, x, "conv128_down", 128);
    x = residual(b, x, "conv128_1", 128);
    x = residual(b, x, "conv128_2", 128);
    x = residual_down(b, x, "conv256_down", 256);
    x = residual(b, x, "conv256_1", 256);
    x = residual(b, x, "conv256_2", 256);
    x = residual_down(b, x, "conv256_down_out", 256);
    x = fk__g_global_avgpool(b->g, x, "mean");
    const float *fc = fk__nb_weight(b, "fc", 2, 256, 128, 0, 0);
    if (b->status != FK_OK)
        return -1;
    fk__epilogue none = {0};
    fk__graph_mark_output(b->g, fk__g_fc(b->g, x, "fc", 128, fc, none));
    return b->status == FK_OK ? 0 : -1;
}
