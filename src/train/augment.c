/* augment.c: training-time augmentation of image inputs (mirror, small shift and scale, brightness and contrast), drawn per sample from the run's seed so that a resumed run sees the same batches. */
#include <math.h>
#include <stdint.h>

#include "facekit/train.h"
#include "train/loss.h"

void fk_augment_options_default(fk_augment_options *a)
{
    a->flip = 1;
    a->shift = 0.05;
    a->scale = 0.05;
    a->brightness = 0.1;
    a->contrast = 0.1;
}

int fk_augment_active(const fk_augment_options *a)
{
    return a && (a->flip || a->shift > 0 || a->scale > 0 || a->brightness > 0 || a->contrast > 0);
}

/* out(x, y) = contrast × in(u, v) + brightness, clamped to [-1, 1], where (u, v) is (x, y) scaled
 * by 1/scale about the centre, moved back by (dx, dy) pixels and mirrored first with flip; bilinear,
 * the border repeated outside. Identity parameters copy the image exactly. */
void fk__train_warp(const float *in, float *out, int h, int w, int c, int flip, double scale, double dx, double dy,
                    double contrast, double brightness)
{
    double cx = (w - 1) * 0.5, cy = (h - 1) * 0.5;
    for (int y = 0; y < h; y++) {
        double v = (y - cy) / scale + cy - dy;
        if (v < 0)
            v = 0;
        if (v > h - 1)
            v = h - 1;
        int v0 = (int)v, v1 = v0 + 1 < h ? v0 + 1 : v0;
        float fv = (float)(v - v0);
        for (int x = 0; x < w; x++) {
            double u = ((flip ? w - 1 - x : x) - cx) / scale + cx - dx;
            if (u < 0)
                u = 0;
            if (u > w - 1)
                u = w - 1;
            int u0 = (int)u, u1 = u0 + 1 < w ? u0 + 1 : u0;
            float fu = (float)(u - u0);
            const float *p00 = in + ((size_t)v0 * w + u0) * c, *p01 = in + ((size_t)v0 * w + u1) * c;
            const float *p10 = in + ((size_t)v1 * w + u0) * c, *p11 = in + ((size_t)v1 * w + u1) * c;
            float *o = out + ((size_t)y * w + x) * c;
            for (int k = 0; k < c; k++) {
                float top = p00[k] + fu * (p01[k] - p00[k]), bot = p10[k] + fu * (p11[k] - p10[k]);
                float val = top + fv * (bot - top);
                if (contrast != 1 || brightness != 0) {
                    val = (float)(contrast * val + brightness);
                    val = val < -1 ? -1 : val > 1 ? 1 : val;
                }
                o[k] = val;
            }
        }
    }
}

static double uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(fk__tr_splitmix(s) >> 11) / 9007199254740992.0);
}

void fk_train_augment(const float *in, float *out, int h, int w, int c, const fk_augment_options *a, uint64_t *rng)
{
    int flip = a->flip && (fk__tr_splitmix(rng) & 1);
    double scale = a->scale > 0 ? uniform(rng, 1 - a->scale, 1 + a->scale) : 1;
    double dx = a->shift > 0 ? uniform(rng, -a->shift, a->shift) * w : 0;
    double dy = a->shift > 0 ? uniform(rng, -a->shift, a->shift) * h : 0;
    double k = a->contrast > 0 ? uniform(rng, 1 - a->contrast, 1 + a->contrast) : 1;
    double b = a->brightness > 0 ? uniform(rng, -a->brightness, a->brightness) : 0;
    fk__train_warp(in, out, h, w, c, flip, scale, dx, dy, k, b);
}
