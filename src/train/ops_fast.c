/* ops_fast.c: the fast float kernels (sgemm fully connected, convolution and locally connected layers, 2x2 max pooling, batch norm in two passes) beside their reference kernels in ops_impl.h and tested against them. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "train/ops.h"

void fk__trf_fc_fwd_fast(const float *x, const float *w, const float *b, float *y, int n, int k, int m)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, k, 1.0f, x, k, w, k, 0.0f, y, m);
    if (b)
        for (int i = 0; i < n; i++)
            for (int o = 0; o < m; o++)
                y[(size_t)i * m + o] += b[o];
}

void fk__trf_fc_bwd_fast(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db, int n,
                         int k, int m)
{
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, m, 1.0f, dy, m, w, k, 1.0f, dx, k);
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, k, n, 1.0f, dy, m, x, k, 1.0f, dw, k);
    if (db)
        for (int i = 0; i < n; i++)
            for (int o = 0; o < m; o++)
                db[o] += dy[(size_t)i * m + o];
}

/* one sample's patches: oh*ow rows of kh*kw*ci, zero where the window leaves the image. A window
 * row inside the image is one copy of kw*ci floats (the taps of a row are adjacent in NHWC). */
static void im2col(const float *x, float *cols, const tr_conv *a)
{
    size_t K = (size_t)a->kh * a->kw * a->ci, span = (size_t)a->kw * a->ci;
    for (int oy = 0; oy < a->oh; oy++)
        for (int ox = 0; ox < a->ow; ox++) {
            float *row = cols + ((size_t)oy * a->ow + ox) * K;
            int x0 = ox * a->stride - a->pl;
            int inside = x0 >= 0 && x0 + a->kw <= a->w;
            for (int ky = 0; ky < a->kh; ky++) {
                int iy = oy * a->stride - a->pt + ky;
                float *dst = row + (size_t)ky * span;
                if (iy < 0 || iy >= a->h) {
                    memset(dst, 0, span * sizeof *dst);
                    continue;
                }
                const float *src = x + ((size_t)iy * a->w + x0) * a->ci;
                if (inside) {
                    memcpy(dst, src, span * sizeof *dst);
                    continue;
                }
                for (int kx = 0; kx < a->kw; kx++) {
                    int ix = x0 + kx;
                    if (ix < 0 || ix >= a->w)
                        memset(dst + (size_t)kx * a->ci, 0, (size_t)a->ci * sizeof *dst);
                    else
                        memcpy(dst + (size_t)kx * a->ci, src + (size_t)kx * a->ci, (size_t)a->ci * sizeof *dst);
                }
            }
        }
}

static void col2im_add(const float *cols, float *dx, const tr_conv *a)
{
    size_t K = (size_t)a->kh * a->kw * a->ci;
    for (int oy = 0; oy < a->oh; oy++)
        for (int ox = 0; ox < a->ow; ox++) {
            const float *row = cols + ((size_t)oy * a->ow + ox) * K;
            for (int ky = 0; ky < a->kh; ky++) {
                int iy = oy * a->stride - a->pt + ky;
                if (iy < 0 || iy >= a->h)
                    continue;
                int x0 = ox * a->stride - a->pl;
                int ka = x0 < 0 ? -x0 : 0, kb = x0 + a->kw > a->w ? a->w - x0 : a->kw;
                if (kb <= ka)
                    continue;
                /* the in-image taps of a window row are one run of (kb - ka) * ci floats */
                const float *src = row + ((size_t)ky * a->kw + ka) * a->ci;
                float *d = dx + ((size_t)iy * a->w + x0 + ka) * a->ci;
                size_t len = (size_t)(kb - ka) * a->ci;
                for (size_t c = 0; c < len; c++)
                    d[c] += src[c];
            }
        }
}

int fk__trf_conv_sub(const tr_conv *a)
{
    /* enough samples to give sgemm about 1024 rows, with at most 2^20 floats of patches */
    size_t P = (size_t)a->oh * a->ow, K = (size_t)a->kh * a->kw * a->ci;
    size_t sub = P >= 1024 ? 1 : (1024 + P - 1) / P;
    while (sub > 1 && sub * P * K > ((size_t)1 << 20))
        sub--;
    return (int)sub;
}

size_t fk__trf_conv_scratch(const tr_conv *a, int sub)
{
    return (size_t)sub * a->oh * a->ow * a->kh * a->kw * a->ci;
}

void fk__trf_conv_fwd_fast(const float *x, const float *w, const float *b, float *y, const tr_conv *a, float *cols,
                           int sub)
{
    int P = a->oh * a->ow, K = a->kh * a->kw * a->ci;
    size_t xs = (size_t)a->h * a->w * a->ci, ys = (size_t)P * a->co, cs = (size_t)P * K;
    for (int n = 0; n < a->n; n += sub) {
        int s = a->n - n < sub ? a->n - n : sub;
        float *yn = y + (size_t)n * ys;
        for (int j = 0; j < s; j++)
            im2col(x + (size_t)(n + j) * xs, cols + (size_t)j * cs, a);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s * P, a->co, K, 1.0f, cols, K, w, K, 0.0f, yn, a->co);
        if (b)
            for (size_t p = 0; p < (size_t)s * P; p++)
                for (int o = 0; o < a->co; o++)
                    yn[p * a->co + o] += b[o];
    }
}

/* cols: twice fk__trf_conv_scratch(a, sub) floats (the patches and their gradient); dx, dw and db
 * are added to */
void fk__trf_conv_bwd_fast(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db,
                           const tr_conv *a, float *cols, int sub)
{
    int P = a->oh * a->ow, K = a->kh * a->kw * a->ci;
    size_t xs = (size_t)a->h * a->w * a->ci, ys = (size_t)P * a->co, cs = (size_t)P * K;
    float *dcols = cols + (size_t)sub * cs;
    for (int n = 0; n < a->n; n += sub) {
        int s = a->n - n < sub ? a->n - n : sub;
        const float *dyn = dy + (size_t)n * ys;
        if (dw) {
            for (int j = 0; j < s; j++)
                im2col(x + (size_t)(n + j) * xs, cols + (size_t)j * cs, a);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, a->co, K, s * P, 1.0f, dyn, a->co, cols, K, 1.0f, dw,
                        K);
        }
        if (dx) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s * P, K, a->co, 1.0f, dyn, a->co, w, K, 0.0f, dcols,
                        K);
            for (int j = 0; j < s; j++)
                col2im_add(dcols + (size_t)j * cs, dx + (size_t)(n + j) * xs, a);
        }
        if (db)
            for (size_t p = 0; p < (size_t)s * P; p++)
                for (int o = 0; o < a->co; o++)
                    db[o] += dyn[p * a->co + o];
    }
}

int fk__trf_lc_sub(const tr_conv *a)
{
    /* the whole share of a batch of 64 on 2 threads where 2^21 floats of patches allow: each
     * position's weights are read once per sub samples */
    size_t PK = (size_t)a->oh * a->ow * a->kh * a->kw * a->ci;
    size_t sub = PK ? ((size_t)1 << 21) / PK : 32;
    return sub < 1 ? 1 : sub > 32 ? 32 : (int)sub;
}

/* cols holds s samples' patches, sample j's position p at row j * P + p: position p's rows over
 * the samples are one matrix with leading dimension P × K */
void fk__trf_lc_fwd_fast(const float *x, const float *w, const float *b, float *y, const tr_conv *a, float *cols,
                         int sub)
{
    int P = a->oh * a->ow, K = a->kh * a->kw * a->ci, co = a->co;
    size_t xs = (size_t)a->h * a->w * a->ci, ys = (size_t)P * co, cs = (size_t)P * K, wp = (size_t)co * K;
    for (int n = 0; n < a->n; n += sub) {
        int s = a->n - n < sub ? a->n - n : sub;
        float *yn = y + (size_t)n * ys;
        for (int j = 0; j < s; j++)
            im2col(x + (size_t)(n + j) * xs, cols + (size_t)j * cs, a);
        for (int p = 0; p < P; p++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, co, K, 1.0f, cols + (size_t)p * K, (int)cs,
                        w + (size_t)p * wp, K, 0.0f, yn + (size_t)p * co, (int)ys);
        if (b)
            for (int j = 0; j < s; j++)
                for (size_t q = 0; q < ys; q++)
                    yn[(size_t)j * ys + q] += b[q];
    }
}

void fk__trf_lc_bwd_fast(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db,
                         const tr_conv *a, float *cols, int sub)
{
    int P = a->oh * a->ow, K = a->kh * a->kw * a->ci, co = a->co;
    size_t xs = (size_t)a->h * a->w * a->ci, ys = (size_t)P * co, cs = (size_t)P * K, wp = (size_t)co * K;
    float *dcols = cols + (size_t)sub * cs;
    for (int n = 0; n < a->n; n += sub) {
        int s = a->n - n < sub ? a->n - n : sub;
        const float *dyn = dy + (size_t)n * ys;
        if (dw) {
            for (int j = 0; j < s; j++)
                im2col(x + (size_t)(n + j) * xs, cols + (size_t)j * cs, a);
            for (int p = 0; p < P; p++)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, co, K, s, 1.0f, dyn + (size_t)p * co, (int)ys,
                            cols + (size_t)p * K, (int)cs, 1.0f, dw + (size_t)p * wp, K);
        }
        if (dx) {
            for (int p = 0; p < P; p++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, K, co, 1.0f, dyn + (size_t)p * co, (int)ys,
                            w + (size_t)p * wp, K, 0.0f, dcols + (size_t)p * K, (int)cs);
            for (int j = 0; j < s; j++)
                col2im_add(dcols + (size_t)j * cs, dx + (size_t)(n + j) * xs, a);
        }
        if (db)
            for (int j = 0; j < s; j++)
                for (size_t q = 0; q < ys; q++)
                    db[q] += dyn[(size_t)j * ys + q];
    }
}

/* one sample; arg holds indices into this sample's x. Ties go to the first window position, as in
 * the reference. */
void fk__trf_maxpool_fwd_fast(const float *x, float *y, size_t *arg, const tr_conv *a)
{
    if (a->kh != 2 || a->kw != 2 || a->stride != 2 || a->pt || a->pl || 2 * a->oh > a->h || 2 * a->ow > a->w) {
        tr_conv one = *a;
        one.n = 1;
        fk__trf_maxpool_fwd(x, y, arg, &one);
        return;
    }
    int c = a->ci;
    for (int oy = 0; oy < a->oh; oy++)
        for (int ox = 0; ox < a->ow; ox++) {
            size_t i0 = ((size_t)2 * oy * a->w + 2 * ox) * c, i1 = i0 + c, i2 = i0 + (size_t)a->w * c, i3 = i2 + c;
            size_t o = ((size_t)oy * a->ow + ox) * c;
            for (int j = 0; j < c; j++) {
                float best = -INFINITY;
                size_t bi = 0;
                if (x[i0 + j] > best)
                    best = x[i0 + j], bi = i0 + j;
                if (x[i1 + j] > best)
                    best = x[i1 + j], bi = i1 + j;
                if (x[i2 + j] > best)
                    best = x[i2 + j], bi = i2 + j;
                if (x[i3 + j] > best)
                    best = x[i3 + j], bi = i3 + j;
                y[o + j] = best;
                arg[o + j] = bi;
            }
        }
}

void fk__trf_relu_bwd_set(const float *x, const float *dy, float *dx, size_t count)
{
    for (size_t i = 0; i < count; i++)
        dx[i] = x[i] > 0 ? dy[i] : 0;
}

void fk__trf_bn_sums(const float *x, size_t rows, int c, double *sum, double *sq)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        for (int j = 0; j < c; j++) {
            double v = xr[j];
            sum[j] += v;
            sq[j] += v * v;
        }
    }
}

void fk__trf_bn_apply(const float *x, const float *scale, const float *shift, float *y, size_t rows, int c)
{
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < c; j++)
            y[r * c + j] = x[r * c + j] * scale[j] + shift[j];
}

void fk__trf_bn_bwd_sums(const float *x, const float *mean, const float *istd, const float *dy, size_t rows, int c,
                         double *sdy, double *sdyx)
{
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < c; j++) {
            float g = dy[r * c + j];
            sdy[j] += g;
            sdyx[j] += (double)g * ((x[r * c + j] - mean[j]) * istd[j]);
        }
}

/* dx = k (N dy - a - x̂ b) with k = gamma istd / N: written, not added */
void fk__trf_bn_bwd_apply(const float *x, const float *mean, const float *istd, const float *dy, const float *k,
                          const float *a, const float *b, float total, float *dx, size_t rows, int c)
{
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < c; j++) {
            float xh = (x[r * c + j] - mean[j]) * istd[j];
            dx[r * c + j] = k[j] * (total * dy[r * c + j] - a[j] - xh * b[j]);
        }
}
