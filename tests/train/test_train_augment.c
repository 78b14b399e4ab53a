/* test_train_augment.c: augmentation: identity parameters copy exactly, a mirror and whole-pixel shifts move pixels exactly, draws are repeatable and stay in [-1, 1]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/train.h"
#include "harness.h"
#include "train/loss.h"

int main(void)
{
    enum { H = 7, W = 9, C = 3 };
    float in[H * W * C], out[H * W * C], out2[H * W * C];
    uint64_t s = 3;
    for (int i = 0; i < H * W * C; i++)
        in[i] = (float)(fk__tr_splitmix(&s) >> 11) / 9007199254740992.0f * 2 - 1;

    fk__train_warp(in, out, H, W, C, 0, 1, 0, 0, 1, 0);
    CHECK_MSG(!memcmp(in, out, sizeof in), "identity parameters change the image");

    fk__train_warp(in, out, H, W, C, 1, 1, 0, 0, 1, 0);
    int ok = 1;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < C; c++)
                ok &= out[(y * W + x) * C + c] == in[(y * W + (W - 1 - x)) * C + c];
    CHECK_MSG(ok, "the mirror is not exact");

    /* a shift of (2, 1) pixels: out(x, y) = in(x - 2, y - 1), the border repeated */
    fk__train_warp(in, out, H, W, C, 0, 1, 2, 1, 1, 0);
    ok = 1;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int u = x - 2 < 0 ? 0 : x - 2, v = y - 1 < 0 ? 0 : y - 1;
            for (int c = 0; c < C; c++)
                ok &= fabsf(out[(y * W + x) * C + c] - in[(v * W + u) * C + c]) < 1e-6f;
        }
    CHECK_MSG(ok, "a whole-pixel shift is not exact");

    /* contrast and brightness, clamped */
    fk__train_warp(in, out, H, W, C, 0, 1, 0, 0, 1.5, 0.3);
    ok = 1;
    for (int i = 0; i < H * W * C; i++) {
        float want = 1.5f * in[i] + 0.3f;
        want = want < -1 ? -1 : want > 1 ? 1 : want;
        ok &= fabsf(out[i] - want) < 1e-6f;
    }
    CHECK_MSG(ok, "contrast and brightness");

    fk_augment_options a;
    fk_augment_options_default(&a);
    CHECK(fk_augment_active(&a));
    uint64_t r1 = 42, r2 = 42;
    fk_train_augment(in, out, H, W, C, &a, &r1);
    fk_train_augment(in, out2, H, W, C, &a, &r2);
    CHECK_MSG(!memcmp(out, out2, sizeof out) && r1 == r2, "the same seed gives another augmentation");
    int differ = 0, inside = 1;
    for (int k = 0; k < 20; k++) {
        fk_train_augment(in, out, H, W, C, &a, &r1);
        differ |= memcmp(out, in, sizeof in) != 0;
        for (int i = 0; i < H * W * C; i++)
            inside &= out[i] >= -1 && out[i] <= 1;
    }
    CHECK_MSG(differ && inside, "random augmentation: changes the image and stays in [-1, 1]");
    fk_augment_options none = {0};
    CHECK(!fk_augment_active(&none));
    return fk_test_finish("train augmentation");
}
