/* crop.c: tf.image.cropAndResize's bilinear sampling (from an image or a float crop) and the face crop Human feeds its models. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "face/human/human.h"
#include "face/session.h"

/* TensorFlow's source coordinate of output index i for a box edge pair (a, b), normalised, on an
 * axis of n source pixels and m outputs. */
static double src_coord(double a, double b, int n, int m, int i)
{
    if (m > 1)
        return a * (n - 1) + i * ((b - a) * (n - 1) / (m - 1));
    return 0.5 * (a + b) * (n - 1);
}

typedef struct ctap {
    int lo, hi; /* -1: outside the source, the output is 0 */
    double frac;
} ctap;

static ctap crop_tap(double a, double b, int n, int m, int i)
{
    double in = src_coord(a, b, n, m, i);
    ctap t = {-1, -1, 0};
    if (in < 0 || in > n - 1 || !isfinite(in))
        return t;
    t.lo = (int)floor(in);
    t.hi = (int)ceil(in);
    t.frac = in - t.lo;
    return t;
}

void fk__crop_and_resize(const fk_image *img, double x0, double y0, double x1, double y1, int h, int w,
                         double scale, float *out)
{
    /* Human normalises the box by the image's size, TensorFlow maps it back onto (size - 1) */
    double ny0 = y0 / img->height, ny1 = y1 / img->height, nx0 = x0 / img->width, nx1 = x1 / img->width;
    ctap *xs = malloc(sizeof *xs * (size_t)w);
    if (!xs) {
        for (size_t i = 0; i < (size_t)h * w * 3; i++)
            out[i] = 0;
        return;
    }
    for (int x = 0; x < w; x++)
        xs[x] = crop_tap(nx0, nx1, img->width, w, x);
    for (int y = 0; y < h; y++) {
        ctap ty = crop_tap(ny0, ny1, img->height, h, y);
        float *o = out + (size_t)y * w * 3;
        if (ty.lo < 0) {
            for (int i = 0; i < w * 3; i++)
                o[i] = 0;
            continue;
        }
        const uint8_t *top = img->data + (size_t)ty.lo * img->stride;
        const uint8_t *bot = img->data + (size_t)ty.hi * img->stride;
        for (int x = 0; x < w; x++) {
            ctap tx = xs[x];
            for (int c = 0; c < 3; c++) {
                if (tx.lo < 0) {
                    o[x * 3 + c] = 0;
                    continue;
                }
                double tl = top[tx.lo * 3 + c], tr = top[tx.hi * 3 + c];
                double bl = bot[tx.lo * 3 + c], br = bot[tx.hi * 3 + c];
                double t = tl + (tr - tl) * tx.frac, b = bl + (br - bl) * tx.frac;
                o[x * 3 + c] = (float)((t + (b - t) * ty.frac) * scale);
            }
        }
    }
    free(xs);
}

void fk__crop_and_resize_f(const float *src, int src_h, int src_w, double y0, double x0, double y1, double x1,
                           int h, int w, float *out)
{
    for (int y = 0; y < h; y++) {
        ctap ty = crop_tap(y0, y1, src_h, h, y);
        for (int x = 0; x < w; x++) {
            ctap tx = crop_tap(x0, x1, src_w, w, x);
            float *o = out + ((size_t)y * w + x) * 3;
            for (int c = 0; c < 3; c++) {
                if (ty.lo < 0 || tx.lo < 0) {
                    o[c] = 0;
                    continue;
                }
                double tl = src[((size_t)ty.lo * src_w + tx.lo) * 3 + c], tr = src[((size_t)ty.lo * src_w + tx.hi) * 3 + c];
                double bl = src[((size_t)ty.hi * src_w + tx.lo) * 3 + c], br = src[((size_t)ty.hi * src_w + tx.hi) * 3 + c];
                double t = tl + (tr - tl) * tx.frac, b = bl + (br - bl) * tx.frac;
                o[c] = (float)(t + (b - t) * ty.frac);
            }
        }
    }
}

/* Each detector's box against BlazeFace's on the same faces: BlazeFace's side over sqrt(w h), and
 * its centre's shift down as a share of the box's height. Measured on 348 LFW images (every 26th,
 * sorted) with tools/box_relation.py (the README gives the command). */
static const struct {
    double side, dy;
} to_blazeface[FK_DETECTOR_COUNT] = {
    [FK_DETECTOR_SSD] = {0.963, 0.081},  [FK_DETECTOR_TINY] = {0.894, -0.027}, [FK_DETECTOR_HOG] = {0.988, 0.045},
    [FK_DETECTOR_MMOD] = {1.035, 0.127}, [FK_DETECTOR_BLAZEFACE] = {1.0, 0.0},
};

fk_box fk_box_blazeface_style(const fk_face *face)
{
    fk_box b = face->box;
    if (face->detector == FK_DETECTOR_BLAZEFACE || face->detector < 0 || face->detector >= FK_DETECTOR_COUNT)
        return b;
    double side = to_blazeface[face->detector].side * sqrt(fmax(0, b.width * b.height));
    double cx = b.x + b.width / 2, cy = b.y + b.height / 2 + to_blazeface[face->detector].dy * b.height;
    return (fk_box){cx - side / 2, cy - side / 2, side, side};
}

const float *fk__human_face_crop(fk_session *s, const fk_image *img, const fk_face *face, fk_box *crop)
{
    fk_box b = fk_box_blazeface_style(face);
    if (!(b.width > 0 && b.height > 0) || !isfinite(b.x) || !isfinite(b.y) || b.width > 1e6 || b.height > 1e6) {
        fk__session_fail(s, FK_E_INVALID_ARGUMENT, "the face box is empty or not finite");
        return NULL;
    }
    /* Human: enlargeBox(1.4) then squarifyBox, whose corners are rounded */
    double cx = b.x + b.width / 2, cy = b.y + b.height / 2;
    double half = FK__HUMAN_ENLARGE * fmax(b.width, b.height) / 2;
    double x0 = round(cx - half), y0 = round(cy - half), x1 = round(cx + half), y1 = round(cy + half);
    if (x1 <= 0 || y1 <= 0 || x0 >= img->width || y0 >= img->height || x1 - x0 < 1) {
        fk__session_fail(s, FK_E_INVALID_ARGUMENT, "the face's crop lies outside the image");
        return NULL;
    }
    const size_t n = (size_t)FK__HUMAN_CROP * FK__HUMAN_CROP * 3;
    if (!s->hcrop) {
        s->hcrop = malloc(sizeof(float) * n);
        if (!s->hcrop) {
            fk__session_fail(s, FK_E_NO_MEMORY, "out of memory for the face crop");
            return NULL;
        }
    }
    fk__crop_and_resize(img, x0, y0, x1, y1, FK__HUMAN_CROP, FK__HUMAN_CROP, 1.0 / 255.0, s->hcrop);
    if (crop)
        *crop = (fk_box){x0, y0, x1 - x0, y1 - y0};
    return s->hcrop;
}
