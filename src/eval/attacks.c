/* attacks.c: presentation attacks synthesized from a real photo (a print held at an angle, a screen replay, glare, recompression, paper), to measure liveness models against. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#include "facekit/eval.h"
#include "facekit/image.h"

const char *fk_attack_name(fk_attack a)
{
    static const char *names[FK_ATTACK_COUNT] = {"real", "tilt", "screen", "glare", "recompress", "paper"};
    return a >= 0 && a < FK_ATTACK_COUNT ? names[a] : "?";
}

/* xorshift32 from the seed: attacks are repeatable */
static double rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (*s >> 8) / 16777216.0;
}

static uint8_t clamp8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)lround(v);
}

/* Bilinear sample of channel c at (x, y); -1 outside. */
static double sample(const fk_image *img, double x, double y, int c)
{
    if (!(x >= 0 && y >= 0 && x <= img->width - 1 && y <= img->height - 1))
        return -1;
    int x0 = (int)x, y0 = (int)y, x1 = x0 + 1 < img->width ? x0 + 1 : x0, y1 = y0 + 1 < img->height ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    const uint8_t *r0 = img->data + (size_t)y0 * img->stride, *r1 = img->data + (size_t)y1 * img->stride;
    double t = r0[x0 * 3 + c] + (r0[x1 * 3 + c] - r0[x0 * 3 + c]) * fx;
    double b = r1[x0 * 3 + c] + (r1[x1 * 3 + c] - r1[x0 * 3 + c]) * fx;
    return t + (b - t) * fy;
}

/* The photo as a print held in front of the camera, turned 25-40 degrees about its vertical axis
 * and 5-15 about its horizontal one (a pinhole camera of focal length = width), on a dim
 * textured background. */
static void tilt(const fk_image *src, fk_image *dst, uint32_t *s)
{
    double yaw = (25 + 15 * rnd(s)) * M_PI / 180 * (rnd(s) < 0.5 ? -1 : 1);
    double pitch = (5 + 10 * rnd(s)) * M_PI / 180 * (rnd(s) < 0.5 ? -1 : 1);
    double W = src->width, H = src->height, f = W, cx = W / 2, cy = H / 2, scale = 0.85;
    /* R = Rx(pitch) Ry(yaw); a point (X, Y, 0) of the print at depth f maps to K (R p + t) */
    double cyw = cos(yaw), syw = sin(yaw), cp = cos(pitch), sp = sin(pitch);
    double R[3][3] = {{cyw, 0, syw}, {sp * syw, cp, -sp * cyw}, {-cp * syw, sp, cp * cyw}};
    double bg = 40 + 50 * rnd(s);
    for (int v = 0; v < dst->height; v++) {
        uint8_t *o = dst->data + (size_t)v * dst->stride;
        for (int u = 0; u < dst->width; u++) {
            /* the ray through pixel (u, v) meets the print's plane (R's third column is its normal) */
            double d[3] = {(u - cx) / f, (v - cy) / f, 1};
            double n[3] = {R[0][2], R[1][2], R[2][2]};
            double t = (n[2] * f) / (n[0] * d[0] + n[1] * d[1] + n[2] * d[2]);
            double p[3] = {d[0] * t, d[1] * t, d[2] * t - f};
            /* back into the print's own axes (R transposed) */
            double X = R[0][0] * p[0] + R[1][0] * p[1] + R[2][0] * p[2];
            double Y = R[0][1] * p[0] + R[1][1] * p[1] + R[2][1] * p[2];
            double sx = X / scale + cx, sy = Y / scale + cy;
            for (int c = 0; c < 3; c++) {
                double val = t > 0 ? sample(src, sx, sy, c) : -1;
                o[u * 3 + c] = val < 0 ? clamp8(bg + 12 * (rnd(s) - 0.5) + (c == 0 ? 8 : 0)) : clamp8(val * 0.92 + 6);
            }
        }
    }
}

/* The photo shown on a screen and filmed: the screen's RGB subpixel stripes, 1.2-1.8 camera pixels
 * a pixel and turned by 1-3 degrees, integrated over each camera pixel (4 x 4 samples), which is
 * where the moire beats come from; the screen's raised black level and blue cast; a slight
 * defocus. */
static void screen(const fk_image *src, fk_image *dst, uint32_t *s)
{
    double pitch = 1.2 + 0.6 * rnd(s), ang = (1 + 2 * rnd(s)) * M_PI / 180, ca = cos(ang), sa = sin(ang);
    for (int y = 0; y < dst->height; y++) {
        uint8_t *o = dst->data + (size_t)y * dst->stride;
        for (int x = 0; x < dst->width; x++) {
            double mask[3] = {0, 0, 0};
            for (int sy = 0; sy < 4; sy++)
                for (int sx = 0; sx < 4; sx++) {
                    double px = x + (sx + 0.5) / 4, py = y + (sy + 0.5) / 4;
                    double gx = (px * ca + py * sa) / pitch, gy = (-px * sa + py * ca) / pitch;
                    /* the dark gap between pixel rows, and each channel's third of the pixel */
                    double row = gy - floor(gy) < 0.85 ? 1.0 : 0.2;
                    double cell = (gx - floor(gx)) * 3;
                    for (int c = 0; c < 3; c++)
                        mask[c] += (cell >= c && cell < c + 1 ? 3.0 : 0.15) * row / 16;
                }
            for (int c = 0; c < 3; c++) {
                double v = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        double p = sample(src, fmin(fmax(x + dx, 0), src->width - 1), fmin(fmax(y + dy, 0), src->height - 1), c);
                        v += p * (dx == 0 && dy == 0 ? 0.36 : dx == 0 || dy == 0 ? 0.12 : 0.04);
                    }
                double cast = c == 2 ? 1.08 : c == 1 ? 1.0 : 0.92;
                o[x * 3 + c] = clamp8(18 + 0.85 * v * mask[c] * cast);
            }
        }
    }
}

/* A specular reflection on glossy paper or glass: one or two bright soft ellipses near the
 * middle, and the contrast a veil of reflected light takes away. */
static void glare(const fk_image *src, fk_image *dst, uint32_t *s)
{
    int spots = 1 + (rnd(s) < 0.5);
    double gx[2], gy[2], rx[2], ry[2], peak[2];
    for (int k = 0; k < spots; k++) {
        gx[k] = src->width * (0.3 + 0.4 * rnd(s));
        gy[k] = src->height * (0.25 + 0.4 * rnd(s));
        rx[k] = src->width * (0.08 + 0.12 * rnd(s));
        ry[k] = rx[k] * (0.5 + rnd(s));
        peak[k] = 180 + 75 * rnd(s);
    }
    for (int y = 0; y < dst->height; y++) {
        uint8_t *o = dst->data + (size_t)y * dst->stride;
        const uint8_t *i = src->data + (size_t)y * src->stride;
        for (int x = 0; x < dst->width; x++) {
            double add = 0;
            for (int k = 0; k < spots; k++) {
                double dx = (x - gx[k]) / rx[k], dy = (y - gy[k]) / ry[k];
                add += peak[k] * exp(-0.5 * (dx * dx + dy * dy));
            }
            for (int c = 0; c < 3; c++)
                o[x * 3 + c] = clamp8(25 + 0.85 * i[x * 3 + c] + add);
        }
    }
}

/* A photo of a photo sent on: the face shrunk to half, saved as JPEG at quality 15, enlarged back
 * and saved again at quality 30. */
static fk_status recompress(const fk_image *src, fk_image **out, fk_error *err)
{
    fk_image *half = NULL, *a = NULL, *full = NULL;
    unsigned char *bytes = NULL;
    size_t size = 0;
    int hw = src->width / 2 > 0 ? src->width / 2 : 1, hh = src->height / 2 > 0 ? src->height / 2 : 1;
    fk_status st = fk_image_resize(src, hw, hh, &half, err);
    if (st == FK_OK)
        st = fk_image_encode_jpeg(half, 15, &bytes, &size, err);
    if (st == FK_OK)
        st = fk_image_decode(bytes, size, "recompressed", NULL, &a, err);
    free(bytes);
    bytes = NULL;
    if (st == FK_OK)
        st = fk_image_resize(a, src->width, src->height, &full, err);
    if (st == FK_OK)
        st = fk_image_encode_jpeg(full, 30, &bytes, &size, err);
    if (st == FK_OK)
        st = fk_image_decode(bytes, size, "recompressed", NULL, out, err);
    free(bytes);
    fk_image_free(half);
    fk_image_free(a);
    fk_image_free(full);
    return st;
}

/* A print on matte paper: ink's narrower range (25..230), colour a third washed out, a warm
 * cast, and the paper's fibres as low-pass multiplicative noise. */
static void paper(const fk_image *src, fk_image *dst, uint32_t *s)
{
    int gw = src->width / 4 + 2, gh = src->height / 4 + 2;
    float *grain = malloc(sizeof(float) * (size_t)gw * gh);
    for (int i = 0; grain && i < gw * gh; i++)
        grain[i] = (float)(rnd(s) - 0.5);
    for (int y = 0; y < dst->height; y++) {
        uint8_t *o = dst->data + (size_t)y * dst->stride;
        const uint8_t *i = src->data + (size_t)y * src->stride;
        for (int x = 0; x < dst->width; x++) {
            double g = 0;
            if (grain) {
                double fx = x / 4.0, fy = y / 4.0;
                int x0 = (int)fx, y0 = (int)fy;
                double ax = fx - x0, ay = fy - y0;
                g = (grain[y0 * gw + x0] * (1 - ax) + grain[y0 * gw + x0 + 1] * ax) * (1 - ay) +
                    (grain[(y0 + 1) * gw + x0] * (1 - ax) + grain[(y0 + 1) * gw + x0 + 1] * ax) * ay;
            }
            double grey = 0.299 * i[x * 3] + 0.587 * i[x * 3 + 1] + 0.114 * i[x * 3 + 2];
            for (int c = 0; c < 3; c++) {
                double v = grey + (i[x * 3 + c] - grey) * 0.65;
                v = 25 + v * (205.0 / 255.0);
                v *= (c == 0 ? 1.04 : c == 2 ? 0.93 : 1.0) * (1 + 0.16 * g);
                o[x * 3 + c] = clamp8(v);
            }
        }
    }
    free(grain);
}

fk_status fk_attack_make(const fk_image *img, fk_attack kind, unsigned seed, fk_image **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_attack_make: out is NULL");
    *out = NULL;
    if (!img || !img->data || img->width < 1 || img->height < 1)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_attack_make: no image");
    if (kind < 0 || kind >= FK_ATTACK_COUNT)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_attack_make: unknown attack %d", (int)kind);
    if (kind == FK_ATTACK_RECOMPRESS)
        return recompress(img, out, err);
    fk_image *dst = NULL;
    fk_status st = fk_image_new(img->width, img->height, &dst, err);
    if (st != FK_OK)
        return st;
    uint32_t s = seed * 2654435761u + 0x9e3779b9u + (uint32_t)kind;
    if (!s)
        s = 1;
    switch (kind) {
    case FK_ATTACK_NONE:
        for (int y = 0; y < img->height; y++)
            memcpy(dst->data + (size_t)y * dst->stride, img->data + (size_t)y * img->stride, (size_t)img->width * 3);
        break;
    case FK_ATTACK_TILT:
        tilt(img, dst, &s);
        break;
    case FK_ATTACK_SCREEN:
        screen(img, dst, &s);
        break;
    case FK_ATTACK_GLARE:
        glare(img, dst, &s);
        break;
    default:
        paper(img, dst, &s);
        break;
    }
    *out = dst;
    return FK_OK;
}
