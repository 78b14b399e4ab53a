/* net_tiny.c: TinyFaceDetector as face-api builds it (TinyYolov2Base.runMobilenet with separable convs and leaky ReLU). */
#include <stdio.h>

#include "face/nets.h"

#define LEAKY_ALPHA 0.10000000149011612f /* face-api's leaky() slope */

const float fk__tiny_anchors[FK__TINY_ANCHORS][2] = {
    {1.603231f, 2.094468f}, {6.041143f, 7.080126f}, {2.882459f, 3.518061f},
    {4.266906f, 5.178857f}, {9.041765f, 10.66308f},
};

int fk__build_tiny(fk__netbuild *b)
{
    static const int out[6] = {16, 32, 64, 128, 256, 512};
    /* face-api pads by one and convolves VALID: for a 3x3 stride-1 kernel that is SAME padding */
    int x = fk__nb_conv_bias(b, fk__graph_input(b->g), "conv0", 3, out[0], 1, FK__PAD_VALID, FK__ACT_LEAKY,
                             LEAKY_ALPHA);
    char prefix[16];
    for (int i = 1; i <= 5; i++) {
        x = fk__g_pool(b->g, x, "maxpool", FK__POOL_MAX, 2, 2, FK__PAD_SAME);
        snprintf(prefix, sizeof prefix, "conv%d", i);
        x = fk__nb_sepconv(b, x, prefix, out[i], 1, FK__ACT_LEAKY, LEAKY_ALPHA);
    }
    x = fk__g_pool(b->g, x, "maxpool", FK__POOL_MAX, 2, 1, FK__PAD_SAME);
    x = fk__nb_conv_bias(b, x, "conv8", 1, 5 * FK__TINY_ANCHORS, 1, FK__PAD_VALID, FK__ACT_NONE, 0.0f);
    fk__graph_mark_output(b->g, x);
    return b->status == FK_OK ? 0 : -1;
}
