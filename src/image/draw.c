/* draw.c: rectangles, lines and points, clipped to the image; any double (huge, negative, NaN) is safe, non-finite ones draw nothing. */
#include <math.h>

#include "image/image_internal.h"

/* Coordinates are pixel centres: (3, 4) is the pixel in column 3, row 4. Values far
 * outside the image are clamped to this before converting to integers; every shape is
 * first reduced to what can touch the image, so the work is bounded by the image size. */
#define COORD_CLAMP 4.0e15

static int64_t to_i64(double v)
{
    if (v < -COORD_CLAMP)
        v = -COORD_CLAMP;
    if (v > COORD_CLAMP)
        v = COORD_CLAMP;
    return (int64_t)llround(v);
}

static void put_span(fk_image *img, int64_t y, int64_t x0, int64_t x1, uint32_t rgb)
{
    /* inclusive x0..x1, already known to be inside */
    uint8_t r = (uint8_t)(rgb >> 16), g = (uint8_t)(rgb >> 8), b = (uint8_t)rgb;
    uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x0 * 3;
    for (int64_t x = x0; x <= x1; x++, p += 3) {
        p[0] = r;
        p[1] = g;
        p[2] = b;
    }
}

void fk__image_fill_box(fk_image *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1, uint32_t rgb)
{
    if (!fk__image_valid(img))
        return;
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > img->width)
        x1 = img->width;
    if (y1 > img->height)
        y1 = img->height;
    for (int64_t y = y0; y < y1 && x0 < x1; y++)
        put_span(img, y, x0, x1 - 1, rgb);
}

void fk_image_draw_rect(fk_image *img, double x, double y, double w, double h, int thickness, uint32_t rgb)
{
    if (!fk__image_valid(img) || !isfinite(x) || !isfinite(y) || !isfinite(w) || !isfinite(h))
        return;
    if (w < 0) {
        x += w;
        w = -w;
    }
    if (h < 0) {
        y += h;
        h = -h;
    }
    /* the box covers columns [x0, x1), rows [y0, y1); a thin box still gets one pixel */
    int64_t x0 = to_i64(x), y0 = to_i64(y), x1 = to_i64(x + w), y1 = to_i64(y + h);
    if (x1 <= x0)
        x1 = x0 + 1;
    if (y1 <= y0)
        y1 = y0 + 1;
    int64_t t = thickness < 1 ? 1 : thickness;
    if (2 * t >= x1 - x0 || 2 * t >= y1 - y0) { /* the sides meet: it is a filled box */
        fk__image_fill_box(img, x0, y0, x1, y1, rgb);
        return;
    }
    fk__image_fill_box(img, x0, y0, x1, y0 + t, rgb);         /* top */
    fk__image_fill_box(img, x0, y1 - t, x1, y1, rgb);         /* bottom */
    fk__image_fill_box(img, x0, y0 + t, x0 + t, y1 - t, rgb); /* left */
    fk__image_fill_box(img, x1 - t, y0 + t, x1, y1 - t, rgb); /* right */
}

void fk_image_draw_point(fk_image *img, double x, double y, int radius, uint32_t rgb)
{
    if (!fk__image_valid(img) || !isfinite(x) || !isfinite(y))
        return;
    int64_t cx = to_i64(x), cy = to_i64(y), r = radius < 0 ? 0 : radius;
    /* rows of the disc that are on the image; each gives one span */
    int64_t ya = cy - r < 0 ? 0 : cy - r, yb = cy + r >= img->height ? img->height - 1 : cy + r;
    for (int64_t py = ya; py <= yb; py++) {
        double dy = (double)(py - cy);
        double rr = (double)r + 0.5; /* +0.5: a round disc rather than a diamond at small radii */
        int64_t half = (int64_t)floor(sqrt(rr * rr - dy * dy) + 1e-9);
        int64_t xa = cx - half < 0 ? 0 : cx - half, xb = cx + half >= img->width ? img->width - 1 : cx + half;
        if (xa <= xb)
            put_span(img, py, xa, xb, rgb);
    }
}

/* Where the line through (x0, y0) with direction (dx, dy) meets the boundary `b` of axis
 * `axis` (0: x, 1: y). The boundary coordinate is exact; the other one comes from the slope,
 * which keeps axis-parallel and moderate lines exact where interpolating by a parameter t
 * would lose them (t near 0.5 has no bits left for a small offset on a 1e300-long segment). */
static void meet(double x0, double y0, double dx, double dy, int axis, double b, double *x, double *y)
{
    if (axis == 0) {
        *x = b;
        *y = y0 + (b - x0) * (dy / dx);
    } else {
        *y = b;
        *x = x0 + (b - y0) * (dx / dy);
    }
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Liang-Barsky clip of the segment to [lo_x, hi_x] x [lo_y, hi_y]; false when it misses.
 * Differences are taken on halved values so that no finite input can overflow. For
 * coordinates near DBL_MAX the result is only as good as double precision allows, but it
 * always lies inside the box, which is all the rasteriser relies on. */
static int clip_segment(double *x0, double *y0, double *x1, double *y1, double lo_x, double hi_x, double lo_y,
                        double hi_y)
{
    double dx = *x1 * 0.5 - *x0 * 0.5, dy = *y1 * 0.5 - *y0 * 0.5;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {*x0 * 0.5 - lo_x * 0.5, hi_x * 0.5 - *x0 * 0.5, *y0 * 0.5 - lo_y * 0.5, hi_y * 0.5 - *y0 * 0.5};
    const double bound[4] = {lo_x, hi_x, lo_y, hi_y};
    double t0 = 0.0, t1 = 1.0;
    int e0 = -1, e1 = -1; /* which boundary moved each end, if any */
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0)
                return 0;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0.0) {
            if (t > t1)
                return 0;
            if (t > t0)
                t0 = t, e0 = i;
        } else {
            if (t < t0)
                return 0;
            if (t < t1)
                t1 = t, e1 = i;
        }
    }
    double ax = *x0, ay = *y0;
    if (e0 >= 0)
        meet(ax, ay, dx, dy, e0 / 2, bound[e0], x0, y0);
    if (e1 >= 0)
        meet(ax, ay, dx, dy, e1 / 2, bound[e1], x1, y1);
    if (!isfinite(*x0) || !isfinite(*y0) || !isfinite(*x1) || !isfinite(*y1))
        return 0;
    *x0 = clampd(*x0, lo_x, hi_x);
    *x1 = clampd(*x1, lo_x, hi_x);
    *y0 = clampd(*y0, lo_y, hi_y);
    *y1 = clampd(*y1, lo_y, hi_y);
    return 1;
}

/* Extends [lo, hi] by the interval of x where a*x + c lies in [m0, m1]. `ok` tracks
 * whether the constraint set is still satisfiable. */
static void band(double a, double c, double m0, double m1, double *lo, double *hi, int *ok)
{
    if (a == 0.0) {
        if (c < m0 || c > m1)
            *ok = 0;
        return;
    }
    double u = (m0 - c) / a, v = (m1 - c) / a;
    if (u > v) {
        double t = u;
        u = v;
        v = t;
    }
    if (u > *lo)
        *lo = u;
    if (v < *hi)
        *hi = v;
}

static void hull_disc(double cx, double cy, double r, double yc, double *lo, double *hi)
{
    double dy = yc - cy, s = r * r - dy * dy;
    if (s < 0.0)
        return;
    s = sqrt(s);
    if (cx - s < *lo)
        *lo = cx - s;
    if (cx + s > *hi)
        *hi = cx + s;
}

/* A line of thickness t is every pixel whose centre is within t/2 of the segment (a
 * capsule). That set is convex, so each row is one span: the hull of the two end discs
 * and the straight band between them. A thickness of 1 gives a connected, 1-pixel line. */
void fk_image_draw_line(fk_image *img, double x0, double y0, double x1, double y1, int thickness, uint32_t rgb)
{
    if (!fk__image_valid(img) || !isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    double r = (thickness < 1 ? 1 : thickness) * 0.5;
    /* beyond r + 1 outside the image, no part of the capsule can reach a pixel */
    if (!clip_segment(&x0, &y0, &x1, &y1, -r - 1.0, img->width + r, -r - 1.0, img->height + r))
        return;

    double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy, len = sqrt(len2);
    double ymin = fmin(y0, y1) - r, ymax = fmax(y0, y1) + r;
    int64_t ya = (int64_t)ceil(ymin), yb = (int64_t)floor(ymax);
    if (ya < 0)
        ya = 0;
    if (yb > img->height - 1)
        yb = img->height - 1;
    for (int64_t py = ya; py <= yb; py++) {
        double yc = (double)py, lo = INFINITY, hi = -INFINITY;
        hull_disc(x0, y0, r, yc, &lo, &hi);
        hull_disc(x1, y1, r, yc, &lo, &hi);
        if (len2 > 0.0) {
            /* 0 <= (p - a).d <= |d|^2 and |(p - a) x d| <= r |d|, as intervals of x */
            double blo = -INFINITY, bhi = INFINITY;
            int ok = 1;
            band(dx, (yc - y0) * dy - x0 * dx, 0.0, len2, &blo, &bhi, &ok);
            band(dy, -(yc - y0) * dx - x0 * dy, -r * len, r * len, &blo, &bhi, &ok);
            if (ok && blo <= bhi) {
                lo = fmin(lo, blo);
                hi = fmax(hi, bhi);
            }
        }
        if (!(lo <= hi))
            continue;
        double fa = ceil(lo - 1e-9), fb = floor(hi + 1e-9);
        if (fb < 0.0 || fa > img->width - 1)
            continue;
        int64_t xa = fa < 0.0 ? 0 : (int64_t)fa, xb = fb > img->width - 1 ? img->width - 1 : (int64_t)fb;
        if (xa <= xb)
            put_span(img, py, xa, xb, rgb);
    }
}
