/* ops_fast.c: the float fully connected and convolution layers on sgemm (im2col), beside their reference kernels in ops_impl.h and tested against them. */
#include <cblas.h>
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

/* one sample's patches: oh*ow rows of kh*kw*ci, zero where the window leaves the image */
static void im2col(const float *x, float *cols, const tr_conv *a)
{
    size_t K = (size_t)a->kh * a->kw * a->ci;
    for (int oy = 0; oy < a->oh; oy++)
        for (int ox = 0; ox < a->ow; ox++) {
            float *row = cols + ((size_t)oy * a->ow + ox) * K;
            for (int ky = 0; ky < a->kh; ky++) {
                int iy = oy * a->stride - a->pt + ky;
                for (int kx = 0; kx < a->kw; kx++) {
                    int ix = ox * a->stride - a->pl + kx;
                    float *dst = row + ((size_t)ky * a->kw + kx) * a->ci;
                    if (iy < 0 || iy >= a->h || ix < 0 || ix >= a->w)
                        memset(dst, 0, (size_t)a->ci * sizeof *dst);
                    else
                        memcpy(dst, x + ((size_t)iy * a->w + ix) * a->ci, (size_t)a->ci * sizeof *dst);
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
                for (int kx = 0; kx < a->kw; kx++) {
                    int ix = ox * a->stride - a->pl + kx;
                    if (ix < 0 || ix >= a->w)
                        continue;
                    const float *src = row + ((size_t)ky * a->kw + kx) * a->ci;
                    float *d = dx + ((size_t)iy * a->w + ix) * a->ci;
                    for (int c = 0; c < a->ci; c++)
                        d[c] += src[c];
                }
            }
        }
}

size_t fk__trf_conv_scratch(const tr_conv *a)
{
    return (size_t)a->oh * a->ow * a->kh * a->kw * a->ci;
}

void fk__trf_conv_fwd_fast(const float *x, const float *w, const float *b, float *y, const tr_conv *a, float *cols)
{
    int P = a->oh * a->ow, K = a->kh * a->kw * a->ci;
    size_t xs = (size_t)a->h * a->w * a->ci, ys = (size_t)P * a->co;
    for (int n = 0; n < a->n; n++) {
        float *yn = y + (size_t)n * ys;
        im2col(x + (size_t)n * xs, cols, a);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, P, a->co, K, 1.0f, cols, K, w, K, 0.0f, yn, a->co);
        if (b)
            for (int p = 0; p < P; p++)
                for (int o = 0; o < a->co; o++)
                    yn[(size_t)p * a->co + o] += b[o];
    }
}

/* cols: fk__trf_conv_scratch floats, twice (the patches and their gradient) */
void fk__trf_conv_bwd_fast(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db,
                           const tr_conv *a, float *cols)
{
    int P = a->oh * a->ow, K = a->kh * a->kw * a->ci;
    size_t xs = (size_t)a->h * a->w * a->ci, ys = (size_t)P * a->co;
    float *dcols = cols + (size_t)P * K;
    for (int n = 0; n < a->n; n++) {
        const float *dyn = dy + (size_t)n * ys;
        if (dw) {
            im2col(x + (size_t)n * xs, cols, a);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, a->co, K, P, 1.0f, dyn, a->co, cols, K, 1.0f, dw, K);
        }
        if (dx) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, P, K, a->co, 1.0f, dyn, a->co, w, K, 0.0f, dcols, K);
            col2im_add(dcols, dx + (size_t)n * xs, a);
        }
        if (db)
            for (int p = 0; p < P; p++)
                for (int o = 0; o < a->co; o++)
                    db[o] += dyn[(size_t)p * a->co + o];
    }
}
