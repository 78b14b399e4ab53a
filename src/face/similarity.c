/* similarity.c: least-squares similarity transforms between point sets (Umeyama), affine helpers, and the 5 points derived from the 68. */
#include <math.h>

#include "core/error.h"
#include "facekit/align.h"

fk_status fk_similarity_estimate(const fk_point *from, const fk_point *to, int n, fk_affine *out, fk_error *err)
{
    if (!from || !to || !out || n < 2)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_similarity_estimate: need two point pairs or more");
    double fx = 0, fy = 0, tx = 0, ty = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(from[i].x) || !isfinite(from[i].y) || !isfinite(to[i].x) || !isfinite(to[i].y))
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_similarity_estimate: point %d is not finite", i);
        fx += from[i].x;
        fy += from[i].y;
        tx += to[i].x;
        ty += to[i].y;
    }
    fx /= n, fy /= n, tx /= n, ty /= n;
    /* the matrices [a -b; b a] (rotations times scales) form a linear space, so the least-squares
     * similarity has this closed form over the centred points. It is Umeyama's solution with his
     * reflection guard: for the 2x2 cross-covariance C with singular values d1 >= d2, Umeyama
     * takes c R = (d1 + d2 or, when det C < 0, d1 - d2) / var(from) times a proper rotation, and
     * hypot(dot, cross) / n is exactly that d1 +- d2, so a mirror image is never the answer */
    double dot = 0, cross = 0, norm = 0;
    for (int i = 0; i < n; i++) {
        double x = from[i].x - fx, y = from[i].y - fy, u = to[i].x - tx, v = to[i].y - ty;
        dot += x * u + y * v;
        cross += x * v - y * u;
        norm += x * x + y * y;
    }
    if (!(norm > 1e-12))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_similarity_estimate: the source points coincide");
    double a = dot / norm, b = cross / norm;
    out->m[0] = a;
    out->m[1] = -b;
    out->m[3] = b;
    out->m[4] = a;
    out->m[2] = tx - (a * fx - b * fy);
    out->m[5] = ty - (b * fx + a * fy);
    return FK_OK;
}

fk_point fk_affine_apply(const fk_affine *t, fk_point p)
{
    fk_point q = {t->m[0] * p.x + t->m[1] * p.y + t->m[2], t->m[3] * p.x + t->m[4] * p.y + t->m[5]};
    return q;
}

fk_status fk_affine_invert(const fk_affine *t, fk_affine *out, fk_error *err)
{
    if (!t || !out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_affine_invert: NULL argument");
    const double *m = t->m;
    double det = m[0] * m[4] - m[1] * m[3];
    if (!isfinite(det) || det == 0 || !isfinite(m[2]) || !isfinite(m[5]))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_affine_invert: the map is singular or not finite");
    double a = m[4] / det, b = -m[1] / det, c = -m[3] / det, d = m[0] / det;
    fk_affine r = {{a, b, -(a * m[2] + b * m[5]), c, d, -(c * m[2] + d * m[5])}};
    *out = r;
    return FK_OK;
}

double fk_affine_angle(const fk_affine *t)
{
    return atan2(t->m[3], t->m[0]);
}

double fk_affine_scale(const fk_affine *t)
{
    return hypot(t->m[0], t->m[3]);
}

void fk_points5_from_68(const fk_point *p68, fk_point out[5])
{
    fk_point le = {0, 0}, re = {0, 0};
    for (int i = 0; i < 6; i++) {
        le.x += p68[36 + i].x / 6.0;
        le.y += p68[36 + i].y / 6.0;
        re.x += p68[42 + i].x / 6.0;
        re.y += p68[42 + i].y / 6.0;
    }
    out[0] = le;
    out[1] = re;
    out[2] = p68[30];
    out[3] = p68[48];
    out[4] = p68[54];
}
