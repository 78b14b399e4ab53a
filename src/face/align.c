/* align.c: aligned face chips: dlib's chip (exactly as dlib extracts it) from 68 or 5 points, the ArcFace 112x112 chip, affine warps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "face/align_internal.h"

/* dlib's mean face (get_face_chip_details in dlib/image_transforms/interpolation.h): the average
 * positions of landmarks 17..67 in the unit square. */
static const double dlib_mean_x[51] = {
    0.000213256, 0.0752622, 0.18113,  0.29077,  0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004,
    0.490127,    0.490127,  0.490127, 0.490127, 0.36688,  0.426036, 0.490127, 0.554217, 0.613373, 0.121737,
    0.187122,    0.265825,  0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751,
    0.719335,    0.254149,  0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
    0.490127,    0.423532,  0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127,
    0.42689};
static const double dlib_mean_y[51] = {
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454,
    0.203352, 0.307009, 0.409805,  0.515625,  0.587326,  0.609345,  0.628106,  0.609345,  0.587326, 0.216423,
    0.178758, 0.179852, 0.231733,  0.245099,  0.244077,  0.231733,  0.179852,  0.178758,  0.216423, 0.244077,
    0.245099, 0.780233, 0.745405,  0.727388,  0.742578,  0.727388,  0.745405,  0.780233,  0.864805, 0.902192,
    0.909281, 0.902192, 0.864805,  0.784792,  0.778746,  0.785343,  0.778746,  0.784792,  0.824182, 0.831803,
    0.824182};

/* dlib's template for its 5-point model: the eye on the image's right (outer, inner corner),
 * the other eye (outer, inner), the point under the nose. */
static const fk_point dlib_mean5[5] = {{0.8595674595992, 0.2134981538014},
                                       {0.6460604764104, 0.2289674387677},
                                       {0.1205750620789, 0.2137274526848},
                                       {0.3340850613712, 0.2290642403242},
                                       {0.4901123135679, 0.6277975316475}};

/* InsightFace's ArcFace template for 112x112 chips (eyes, nose tip, mouth corners). */
static const fk_point arcface_template[5] = {
    {38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041}};

/* ---- geometry: dlib's chip_details ---------------------------------------------------------- */

/* A drectangle as dlib has it: inclusive, empty when left > right or top > bottom. */
typedef struct drect {
    double l, t, r, b;
} drect;

static int drect_empty(drect a)
{
    return a.t > a.b || a.l > a.r;
}

static double drect_area(drect a)
{
    return drect_empty(a) ? 0 : (a.r - a.l + 1) * (a.b - a.t + 1);
}

/* pyramid_down<2>::rect_down: both corners through point_down(p) = p / 2 - (1.25, 0.75). */
static drect rect_down(drect a)
{
    drect d = {a.l / 2.0 - 1.25, a.t / 2.0 - 0.75, a.r / 2.0 - 1.25, a.b / 2.0 - 0.75};
    return d;
}

/* dlib's rotate_point: p turned by angle around c. */
static fk_point rotate(fk_point c, double x, double y, double angle)
{
    double co = cos(angle), si = sin(angle), dx = x - c.x, dy = y - c.y;
    fk_point q = {co * dx - si * dy + c.x, si * dx + co * dy + c.y};
    return q;
}

/* The affine map taking chip (0,0), (size-1,0), (0,size-1) to rect's top-left, top-right and
 * bottom-left corners turned by angle around its centre (dlib's get_mapping_to_chip inverted,
 * and the map extract_image_chips builds). */
static fk_affine chip_map(drect a, double angle, int size)
{
    fk_point c = {(a.l + a.r) / 2, (a.t + a.b) / 2};
    fk_point tl = rotate(c, a.l, a.t, angle), tr = rotate(c, a.r, a.t, angle), bl = rotate(c, a.l, a.b, angle);
    double n = size - 1;
    fk_affine m = {{(tr.x - tl.x) / n, (bl.x - tl.x) / n, tl.x, (tr.y - tl.y) / n, (bl.y - tl.y) / n, tl.y}};
    return m;
}

fk_status fk__dlib_chip_n(const fk_point *pts, int n, int size, double padding, fk__chip *out, fk_error *err)
{
    if (!pts || !out || (n != 68 && n != 5))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "dlib chip: need 68 or 5 points");
    if (size < 2 || size > 4096 || !(padding >= 0 && padding <= 10))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "dlib chip: bad size %d or padding %g", size, padding);
    fk_point from[68], to[68];
    int k = 0;
    if (n == 5) {
        for (int i = 0; i < 5; i++) {
            from[k].x = (padding + dlib_mean5[i].x) / (2 * padding + 1) * size;
            from[k].y = (padding + dlib_mean5[i].y) / (2 * padding + 1) * size;
            to[k++] = pts[i];
        }
    } else {
        for (int i = 17; i < 68; i++) {
            if ((i >= 55 && i <= 59) || i >= 65 || i <= 26) /* lower lip and eyebrows are not used */
                continue;
            from[k].x = (padding + dlib_mean_x[i - 17]) / (2 * padding + 1) * size;
            from[k].y = (padding + dlib_mean_y[i - 17]) / (2 * padding + 1) * size;
            to[k++] = pts[i];
        }
    }
    fk_affine t;
    fk_status st = fk_similarity_estimate(from, to, k, &t, err);
    if (st != FK_OK)
        return st;
    /* chip_details(from, to, dims): keep the angle and scale, centre a rectangle of
     * size * scale (less one: centered_drect) on the image of the chip's centre */
    double angle = atan2(t.m[3], t.m[0]), scale = hypot(t.m[0], t.m[3]);
    fk_point c = fk_affine_apply(&t, (fk_point){size / 2.0, size / 2.0});
    double w = size * scale - 1;
    drect a = {c.x - w / 2, c.y - w / 2, c.x + w / 2, c.y + w / 2};
    if (!(scale > 0) || !isfinite(scale) || !isfinite(c.x) || !isfinite(c.y) || fabs(c.x) > 1e8 || fabs(c.y) > 1e8 ||
        w > 1e8)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "dlib chip: the landmarks give no usable face (scale %g)", scale);
    out->size = size;
    out->dlib = 1;
    out->rect[0] = a.l, out->rect[1] = a.t, out->rect[2] = a.r, out->rect[3] = a.b;
    out->angle = angle;
    out->to_image = chip_map(a, angle, size);
    return FK_OK;
}

void fk__dlib_chip_rect(const double rect[4], double angle, int size, fk__chip *out)
{
    drect a = {rect[0], rect[1], rect[2], rect[3]};
    out->size = size;
    out->dlib = 1;
    out->rect[0] = a.l, out->rect[1] = a.t, out->rect[2] = a.r, out->rect[3] = a.b;
    out->angle = angle;
    out->to_image = chip_map(a, angle, size);
}

fk_status fk__dlib_chip(const fk_point *p68, int size, double padding, fk__chip *out, fk_error *err)
{
    return fk__dlib_chip_n(p68, 68, size, padding, out, err);
}

fk_status fk__arcface_chip(const fk_point p5[5], fk__chip *out, fk_error *err)
{
    if (!p5 || !out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "arcface chip: no points");
    memset(out, 0, sizeof *out);
    out->size = 112;
    return fk_similarity_estimate(arcface_template, p5, 5, &out->to_image, err);
}

/* ---- dlib's extraction: pyramid_down<2> and interpolate_bilinear ---------------------------- */

/* An RGB8 view: pixel (x, y) at data + y * stride + 3 * x. */
typedef struct view {
    const uint8_t *data;
    long w, h;
    size_t stride;
} view;

/* An owned RGB8 buffer (stride 3 * w). */
typedef struct plane {
    uint8_t *data;
    long w, h;
} plane;

/* pyramid_down<2> on RGB: a 5x5 binomial filter [1 4 6 4 1]^2 / 256 in 16-bit integers, keeping
 * every other row and column: (w - 3) / 2 by (h - 3) / 2, and nothing for a source of 8 pixels
 * or fewer on a side. dlib filters rows first; the sums are exact integers (at most 255 * 256),
 * so filtering columns first gives the same bytes, and lets the wide pass run over whole
 * contiguous rows (vectorised) and only on the rows that are kept. */
static fk_status pyr_down(view src, plane *out)
{
    out->data = NULL;
    out->w = out->h = 0;
    if (src.w <= 8 || src.h <= 8)
        return FK_OK;
    const long tw = (src.w - 3) / 2, dh = (src.h - 3) / 2;
    const size_t row = (size_t)src.w * 3;
    size_t dcount;
    if (!fk__mul3_size((size_t)dh, (size_t)tw, 3, &dcount))
        return FK_E_OVERFLOW;
    /* the wide pass over every column (contiguous, so it vectorises), then every other one kept:
     * its sums reach 255 * 256, which uint16_t holds */
    const size_t hrow = row - 12;
    uint16_t *v = malloc(row * sizeof *v), *hf = malloc(hrow * sizeof *hf);
    uint8_t *dst = malloc(dcount);
    if (!v || !hf || !dst) {
        free(v);
        free(hf);
        free(dst);
        return FK_E_NO_MEMORY;
    }
    for (long dr = 0; dr < dh; dr++) {
        const uint8_t *s0 = src.data + (size_t)(2 * dr) * src.stride, *s1 = s0 + src.stride, *s2 = s1 + src.stride,
                      *s3 = s2 + src.stride, *s4 = s3 + src.stride;
        for (size_t j = 0; j < row; j++)
            v[j] = (uint16_t)(s0[j] + 4 * s1[j] + 6 * s2[j] + 4 * s3[j] + s4[j]);
        for (size_t j = 0; j < hrow; j++)
            hf[j] = (uint16_t)(v[j] + 4 * v[j + 3] + 6 * v[j + 6] + 4 * v[j + 9] + v[j + 12]);
        uint8_t *d = dst + (size_t)dr * tw * 3;
        for (long c = 0; c < tw; c++)
            for (int ch = 0; ch < 3; ch++)
                d[c * 3 + ch] = (uint8_t)(hf[(size_t)(2 * c) * 3 + ch] / 256);
    }
    free(v);
    free(hf);
    out->data = dst;
    out->w = tw;
    out->h = dh;
    return FK_OK;
}

/* dlib's interpolate_bilinear on RGB along chip row r of map m: black unless all four neighbours
 * are inside; each channel truncated to 8 bits. The same doubles as dlib's per-pixel form: for
 * x >= 0, floor(x) is (long)x, and floor(x) + 1 < w is x < w - 1. */
static void dlib_bilinear_row(view v, const fk_affine *m, int r, int size, uint8_t *out)
{
    const double ax = m->m[1] * r, ay = m->m[4] * r, xmax = (double)(v.w - 1), ymax = (double)(v.h - 1);
    for (int col = 0; col < size; col++, out += 3) {
        /* fk_affine_apply's arithmetic, inlined: the same doubles, so the same bytes */
        const double x = m->m[0] * col + ax + m->m[2], y = m->m[3] * col + ay + m->m[5];
        if (!(x >= 0 && y >= 0 && x < xmax && y < ymax)) {
            out[0] = out[1] = out[2] = 0;
            continue;
        }
        const long left = (long)x, top = (long)y;
        const double lr = x - (double)left, tb = y - (double)top, il = 1 - lr, it = 1 - tb;
        const uint8_t *p = v.data + (size_t)top * v.stride + (size_t)left * 3, *q = p + v.stride;
        for (int c = 0; c < 3; c++)
            out[c] = (uint8_t)(it * (il * p[c] + lr * p[3 + c]) + tb * (il * q[c] + lr * q[3 + c]));
    }
}

/* extract_image_chips for one chip, into size*size*3 bytes. */
static fk_status dlib_extract(const fk_image *img, const fk__chip *chip, uint8_t *out)
{
    const int size = chip->size;
    const double area_max = (double)size * size;
    drect a = {chip->rect[0], chip->rect[1], chip->rect[2], chip->rect[3]};
    const double angle = chip->angle;
    memset(out, 0, (size_t)size * size * 3);

    /* no rotation and no scaling: a plain copy of the rectangle (basic_extract_image_chip) */
    if (angle == 0 && a.b - a.t + 1 == size && a.r - a.l + 1 == size) {
        long l = (long)floor(a.l + 0.5), t = (long)floor(a.t + 0.5);
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++) {
                long x = l + c, y = t + r;
                if (x >= 0 && y >= 0 && x < img->width && y < img->height)
                    memcpy(out + ((size_t)r * size + c) * 3, img->data + (size_t)y * img->stride + (size_t)x * 3, 3);
            }
        return FK_OK;
    }

    /* how deep the pyramid goes, and the image region it is built from: the turned rectangle
     * grown by 2, 6, 14, ... pixels (a border for the filters), clipped to the image */
    long depth = 0;
    double grow = 2;
    for (drect d = rect_down(a); drect_area(d) > area_max && depth < 64; d = rect_down(d)) {
        depth++;
        grow = grow * 2 + 2;
    }
    fk_point c = {(a.l + a.r) / 2, (a.t + a.b) / 2};
    fk_point corners[4] = {rotate(c, a.l, a.t, angle), rotate(c, a.r, a.t, angle), rotate(c, a.l, a.b, angle),
                           rotate(c, a.r, a.b, angle)};
    drect rot = {corners[0].x, corners[0].y, corners[0].x, corners[0].y};
    for (int i = 1; i < 4; i++) {
        rot.l = fmin(rot.l, corners[i].x), rot.r = fmax(rot.r, corners[i].x);
        rot.t = fmin(rot.t, corners[i].y), rot.b = fmax(rot.b, corners[i].y);
    }
    drect g = {fmax(rot.l - grow, 0), fmax(rot.t - grow, 0), fmin(rot.r + grow, img->width - 1.0),
               fmin(rot.b + grow, img->height - 1.0)};
    /* the integer bounding box (drectangle to rectangle rounds each side); empty when the chip
     * lies wholly outside the image, which leaves it black */
    long bl = (long)floor(g.l + 0.5), bt = (long)floor(g.t + 0.5), br = (long)floor(g.r + 0.5),
         bb = (long)floor(g.b + 0.5);
    if (bl > br || bt > bb)
        return FK_OK;
    view src = {img->data + (size_t)bt * img->stride + (size_t)bl * 3, br - bl + 1, bb - bt + 1, img->stride};

    /* the chip's rectangle in the region, down the pyramid while the next level still gives the
     * chip at least one source pixel per chip pixel */
    drect rr = {a.l - bl, a.t - bt, a.r - bl, a.b - bt};
    long level = -1;
    while (drect_area(rect_down(rr)) > area_max && level + 1 < depth) {
        level++;
        rr = rect_down(rr);
    }
    plane cur = {NULL, 0, 0};
    view from = src;
    for (long i = 0; i <= level; i++) {
        plane next;
        fk_status st = pyr_down(from, &next);
        free(cur.data);
        if (st != FK_OK)
            return st;
        cur = next;
        from.data = cur.data;
        from.w = cur.w;
        from.h = cur.h;
        from.stride = (size_t)cur.w * 3;
        if (!cur.data)
            break; /* the region is too small for another level: dlib's empty image, all black */
    }
    if (from.w > 0 && from.h > 0 && from.data) {
        fk_affine m = chip_map(rr, angle, size);
        for (int r = 0; r < size; r++)
            dlib_bilinear_row(from, &m, r, size, out + (size_t)r * size * 3);
    }
    free(cur.data);
    return FK_OK;
}

/* ---- plain bilinear sampling ------------------------------------------------------------- */

static inline double pixel(const fk_image *img, long x, long y, int c)
{
    if (x < 0 || y < 0 || x >= img->width || y >= img->height)
        return 0.0;
    return img->data[(size_t)y * img->stride + (size_t)x * 3 + c];
}

/* Bilinear, neighbours outside the image black (OpenCV's constant border). */
static void bilinear(const fk_image *img, double x, double y, double rgb[3])
{
    if (!(x > -1 && y > -1 && x < img->width && y < img->height)) {
        rgb[0] = rgb[1] = rgb[2] = 0;
        return;
    }
    long x0 = (long)floor(x), y0 = (long)floor(y);
    double fx = x - x0, fy = y - y0;
    for (int c = 0; c < 3; c++) {
        double top = pixel(img, x0, y0, c) * (1 - fx) + pixel(img, x0 + 1, y0, c) * fx;
        double bot = pixel(img, x0, y0 + 1, c) * (1 - fx) + pixel(img, x0 + 1, y0 + 1, c) * fx;
        rgb[c] = top * (1 - fy) + bot * fy;
    }
}

/* Fills o (its own size) with img sampled at m(x, y), rounded. */
static void warp_into(const fk_image *img, const fk_affine *m, fk_image *o)
{
    for (int r = 0; r < o->height; r++)
        for (int c = 0; c < o->width; c++) {
            double rgb[3];
            fk_point p = fk_affine_apply(m, (fk_point){c, r});
            bilinear(img, p.x, p.y, rgb);
            for (int ch = 0; ch < 3; ch++)
                o->data[(size_t)r * o->stride + (size_t)c * 3 + ch] = (uint8_t)floor(rgb[ch] + 0.5);
        }
}

static void sample_grid(const fk_image *img, const fk_affine *t, int w, int h, float *out)
{
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            double rgb[3];
            fk_point p = fk_affine_apply(t, (fk_point){c, r});
            bilinear(img, p.x, p.y, rgb);
            float *o = out + ((size_t)r * w + c) * 3;
            o[0] = (float)rgb[0], o[1] = (float)rgb[1], o[2] = (float)rgb[2];
        }
}

fk_status fk__chip_sample(const fk_image *img, const fk__chip *chip, float *out)
{
    const size_t n = (size_t)chip->size * chip->size * 3;
    if (!chip->dlib) {
        sample_grid(img, &chip->to_image, chip->size, chip->size, out);
        return FK_OK;
    }
    uint8_t *px = malloc(n);
    fk_status st = px ? dlib_extract(img, chip, px) : FK_E_NO_MEMORY;
    for (size_t i = 0; i < n; i++)
        out[i] = st == FK_OK ? (float)px[i] : 0.0f;
    free(px);
    return st;
}

/* ---- public API -------------------------------------------------------------------------- */

static fk_status check_img(const fk_image *img, fk_image **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "alignment: NULL output");
    *out = NULL;
    if (!img || !img->data || img->width <= 0 || img->height <= 0 || img->stride < (size_t)img->width * 3)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "alignment: invalid image");
    return FK_OK;
}

static fk_status chip_image(const fk_image *img, const fk__chip *chip, fk_image **out, fk_affine *map,
                            fk_error *err)
{
    fk_status st = fk_image_new(chip->size, chip->size, out, err);
    if (st != FK_OK)
        return st;
    fk_image *o = *out;
    const size_t row = (size_t)chip->size * 3;
    if (chip->dlib) {
        uint8_t *px = malloc(row * chip->size);
        st = px ? dlib_extract(img, chip, px) : FK_E_NO_MEMORY;
        if (st == FK_OK)
            for (int r = 0; r < chip->size; r++)
                memcpy(o->data + (size_t)r * o->stride, px + (size_t)r * row, row);
        free(px);
    } else {
        warp_into(img, &chip->to_image, o);
    }
    if (st != FK_OK) {
        fk_image_free(o);
        *out = NULL;
        return fk__fail(err, st, "out of memory extracting a face chip");
    }
    if (map)
        *map = chip->to_image;
    return FK_OK;
}

fk_status fk_align_dlib_chip(const fk_image *img, const fk_point *p68, int size, double padding, fk_image **chip,
                             fk_affine *chip_to_image, fk_error *err)
{
    fk_status st = check_img(img, chip, err);
    fk__chip c;
    if (st == FK_OK)
        st = fk__dlib_chip_n(p68, 68, size, padding, &c, err);
    return st == FK_OK ? chip_image(img, &c, chip, chip_to_image, err) : st;
}

fk_status fk_align_dlib_chip5(const fk_image *img, const fk_point p5[5], int size, double padding, fk_image **chip,
                              fk_affine *chip_to_image, fk_error *err)
{
    fk_status st = check_img(img, chip, err);
    fk__chip c;
    if (st == FK_OK)
        st = fk__dlib_chip_n(p5, 5, size, padding, &c, err);
    return st == FK_OK ? chip_image(img, &c, chip, chip_to_image, err) : st;
}

fk_status fk_align_arcface(const fk_image *img, const fk_point p5[5], fk_image **chip, fk_affine *chip_to_image,
                           fk_error *err)
{
    fk_status st = check_img(img, chip, err);
    fk__chip c;
    if (st == FK_OK)
        st = fk__arcface_chip(p5, &c, err);
    return st == FK_OK ? chip_image(img, &c, chip, chip_to_image, err) : st;
}

fk_status fk_image_warp_affine(const fk_image *img, const fk_affine *dst_to_src, int width, int height,
                               fk_image **out, fk_error *err)
{
    fk_status st = check_img(img, out, err);
    if (st != FK_OK)
        return st;
    if (!dst_to_src || width <= 0 || height <= 0 || width > 16384 || height > 16384)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_warp_affine: bad size %dx%d", width, height);
    for (int i = 0; i < 6; i++)
        if (!isfinite(dst_to_src->m[i]))
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_warp_affine: transform is not finite");
    st = fk_image_new(width, height, out, err);
    if (st == FK_OK)
        warp_into(img, dst_to_src, *out);
    return st;
}
