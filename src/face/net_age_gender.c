/* net_age_gender.c: AgeGenderNet as face-api builds it (TinyXception with two main blocks, average pool, age and gender FCs). */
#include <stdio.h>

#include "face/nets.h"

static int relu(fk__netbuild *b, int x)
{
    return fk__g_affine(b->g, x, "relu", NULL, NULL, FK__ACT_RELU, 0.0f);
}

static int reduction_block(fk__netbuild *b, int x, const char *name, int cout, bool activate_input)
{
    char p[64];
    int out = activate_input ? relu(b, x) : x;
    snprintf(p, sizeof p, "%s/separable_conv0", name);
    out = fk__nb_sepconv(b, out, p, cout, 1, FK__ACT_RELU, 0.0f); /* relu(out) of the next line, fused */
    snprintf(p, sizeof p, "%s/separable_conv1", name);
    out = fk__nb_sepconv(b, out, p, cout, 1, FK__ACT_NONE, 0.0f);
    out = fk__g_pool(b->g, out, "maxpool", FK__POOL_MAX, 3, 2, FK__PAD_SAME);
    snprintf(p, sizeof p, "%s/expansion_conv", name);
    int expansion = fk__nb_conv_bias(b, x, p, 1, cout, 2, FK__PAD_SAME, FK__ACT_NONE, 0.0f);
    return fk__g_add(b->g, out, expansion, name, FK__ACT_NONE);
}

static int main_block(fk__netbuild *b, int x, const char *name)
{
    char p[64];
    int c = fk__nb_channels(b, x);
    int out = relu(b, x);
    snprintf(p, sizeof p, "%s/separable_conv0", name);
    out = fk__nb_sepconv(b, out, p, c, 1, FK__ACT_RELU, 0.0f);
    snprintf(p, sizeof p, "%s/separable_conv1", name);
    out = fk__nb_sepconv(b, out, p, c, 1, FK__ACT_RELU, 0.0f);
    snprintf(p, sizeof p, "%s/separable_conv2", name);
    out = fk__nb_sepconv(b, out, p, c, 1, FK__ACT_NONE, 0.0f);
    return fk__g_add(b->g, out, x, name, FK__ACT_NONE);
}

int fk__build_age_gender(fk__netbuild *b)
{
    int x = fk__nb_conv_bias(b, fk__graph_input(b->g), "entry_flow/conv_in", 3, 32, 2, FK__PAD_SAME, FK__ACT_RELU,
                             0.0f);
    x = reduction_block(b, x, "entry_flow/reduction_block_0", 64, false);
    x = reduction_block(b, x, "entry_flow/reduction_block_1", 128, true);
    x = main_block(b, x, "middle_flow/main_block_0");
    x = main_block(b, x, "middle_flow/main_block_1");
    x = reduction_block(b, x, "exit_flow/reduction_block", 256, true);
    x = fk__nb_sepconv(b, x, "exit_flow/separable_conv", 512, 1, FK__ACT_RELU, 0.0f);
    x = fk__g_pool(b->g, x, "avgpool", FK__POOL_AVG, 7, 2, FK__PAD_VALID);
    const float *age_w = fk__nb_weight(b, "fc/age/weights", 2, 512, 1, 0, 0);
    const float *age_b = fk__nb_weight(b, "fc/age/bias", 1, 1, 0, 0, 0);
    const float *gender_w = fk__nb_weight(b, "fc/gender/weights", 2, 512, 2, 0, 0);
    const float *gender_b = fk__nb_weight(b, "fc/gender/bias", 1, 2, 0, 0, 0);
    if (b->status != FK_OK)
        return -1;
    fk__epilogue ea = {.bias = age_b}, eg = {.bias = gender_b};
    fk__graph_mark_output(b->g, fk__g_fc(b->g, x, "fc/age", 1, age_w, ea));
    int gender = fk__g_fc(b->g, x, "fc/gender", 2, gender_w, eg);
    fk__graph_mark_output(b->g, fk__g_softmax(b->g, gender, "gender_softmax"));
    return b->status == FK_OK ? 0 : -1;
}
