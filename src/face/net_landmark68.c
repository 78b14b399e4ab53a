/* net_landmark68.c: FaceLandmark68Net and FaceExpressionNet as face-api builds them (FaceFeatureExtractor dense blocks, average pool, FC to 136 or 7). */
#include <stdio.h>

#include "face/nets.h"

/* denseBlock4: four convolutions whose outputs are summed densely; the sums keep face-api's
 * association order (out1 + (out2 + (out3 + out4))) so rounding matches. */
static int dense_block(fk__netbuild *b, int x, int idx, int cout)
{
    char p[32];
    int out1;
    snprintf(p, sizeof p, "dense%d/conv0", idx);
    if (idx == 0)
        out1 = fk__nb_conv_bias(b, x, p, 3, cout, 2, FK__PAD_SAME, FK__ACT_RELU, 0.0f);
    else
        out1 = fk__nb_sepconv(b, x, p, cout, 2, FK__ACT_RELU, 0.0f);
    snprintf(p, sizeof p, "dense%d/conv1", idx);
    int out2 = fk__nb_sepconv(b, out1, p, cout, 1, FK__ACT_NONE, 0.0f);
    int in3 = fk__g_add(b->g, out1, out2, "in3", FK__ACT_RELU);
    snprintf(p, sizeof p, "dense%d/conv2", idx);
    int out3 = fk__nb_sepconv(b, in3, p, cout, 1, FK__ACT_NONE, 0.0f);
    int s23 = fk__g_add(b->g, out2, out3, "s23", FK__ACT_NONE);
    int in4 = fk__g_add(b->g, out1, s23, "in4", FK__ACT_RELU);
    snprintf(p, sizeof p, "dense%d/conv3", idx);
    int out4 = fk__nb_sepconv(b, in4, p, cout, 1, FK__ACT_NONE, 0.0f);
    int s34 = fk__g_add(b->g, out3, out4, "s34", FK__ACT_NONE);
    int s234 = fk__g_add(b->g, out2, s34, "s234", FK__ACT_NONE);
    return fk__g_add(b->g, out1, s234, "dense_out", FK__ACT_RELU);
}

/* FaceFeatureExtractor, average pool, then an FC of n outputs: what both nets are. */
static int build_features_fc(fk__netbuild *b, int n)
{
    static const int out[4] = {32, 64, 128, 256};
    int x = fk__graph_input(b->g);
    for (int i = 0; i < 4; i++)
        x = dense_block(b, x, i, out[i]);
    x = fk__g_pool(b->g, x, "avgpool", FK__POOL_AVG, 7, 2, FK__PAD_VALID);
    const float *w = fk__nb_weight(b, "fc/weights", 2, 256, n, 0, 0);
    const float *bias = fk__nb_weight(b, "fc/bias", 1, n, 0, 0, 0);
    if (b->status != FK_OK)
        return -1;
    fk__epilogue ep = {.bias = bias};
    fk__graph_mark_output(b->g, fk__g_fc(b->g, x, "fc", n, w, ep));
    return b->status == FK_OK ? 0 : -1;
}

int fk__build_landmark68(fk__netbuild *b)
{
    return build_features_fc(b, 136);
}

/* the softmax over the 7 logits is fk_face_expression's, in float32 as tf.softmax */
int fk__build_expression(fk__netbuild *b)
{
    return build_features_fc(b, 7);
}
