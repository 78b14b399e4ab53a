/* ops_impl.h: the reference forward and backward kernels of every trainable op, written once for a
 * real type: ops_f32.c includes it with float (training), ops_f64.c with double (gradient checks).
 *
 * The includer defines R (the real type) and TRN(name) (the symbol for name in that precision).
 * Tensors are packed NHWC. Every backward kernel ADDS into its gradients (a tensor read by two ops
 * sums both), so the caller zeroes them once per step. Shapes are the caller's to check: these
 * kernels only assert what a caller that built a valid net already guarantees. */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "train/ops.h"

/* ---- fully connected: y[n][m] = b[m] + sum_k x[n][k] w[m][k]  (w is PyTorch's Linear layout) */

void TRN(fc_fwd)(const R *x, const R *w, const R *b, R *y, int n, int k, int m)
{
    for (int i = 0; i < n; i++)
        for (int o = 0; o < m; o++) {
            R s = b ? b[o] : 0;
            const R *xi = x + (size_t)i * k, *wo = w + (size_t)o * k;
            for (int j = 0; j < k; j++)
                s += xi[j] * wo[j];
            y[(size_t)i * m + o] = s;
        }
}

void TRN(fc_bwd)(const R *x, const R *w, const R *dy, R *dx, R *dw, R *db, int n, int k, int m)
{
    for (int i = 0; i < n; i++) {
        const R *xi = x + (size_t)i * k, *dyi = dy + (size_t)i * m;
        for (int o = 0; o < m; o++) {
            R g = dyi[o];
            if (g == 0)
                continue;
            if (dx) {
                R *dxi = dx + (size_t)i * k;
                const R *wo = w + (size_t)o * k;
                for (int j = 0; j < k; j++)
                    dxi[j] += g * wo[j];
            }
            if (dw) {
                R *dwo = dw + (size_t)o * k;
                for (int j = 0; j < k; j++)
                    dwo[j] += g * xi[j];
            }
            if (db)
                db[o] += g;
        }
    }
}

/* ---- activations */

void TRN(relu_fwd)(const R *x, R *y, size_t count)
{
    for (size_t i = 0; i < count; i++)
        y[i] = x[i] > 0 ? x[i] : 0;
}

void TRN(relu_bwd)(const R *x, const R *dy, R *dx, size_t count)
{
    for (size_t i = 0; i < count; i++)
        dx[i] += x[i] > 0 ? dy[i] : 0;
}

/* one slope per channel, as PyTorch's PReLU(num_parameters = C) */
void TRN(prelu_fwd)(const R *x, const R *a, R *y, size_t rows, int c)
{
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < c; j++) {
            R v = x[r * c + j];
            y[r * c + j] = v > 0 ? v : a[j] * v;
        }
}

void TRN(prelu_bwd)(const R *x, const R *a, const R *dy, R *dx, R *da, size_t rows, int c)
{
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < c; j++) {
            R v = x[r * c + j], g = dy[r * c + j];
            if (v > 0) {
                dx[r * c + j] += g;
            } else {
                dx[r * c + j] += a[j] * g;
                da[j] += v * g;
            }
        }
}

/* ---- batch norm over the rows (N*H*W) of each channel.
 * Training: the batch's mean and biased variance normalise; mean and istd (1/sqrt(var + eps)) are
 * kept for the backward pass; the running statistics move by `momentum` toward the batch's, with
 * the unbiased variance, as PyTorch does. Inference (train = 0): the running statistics. */
void TRN(bn_fwd)(const R *x, const R *gamma, const R *beta, R *y, size_t rows, int c, int train, R eps, R momentum,
                 R *mean, R *istd, R *run_mean, R *run_var)
{
    /* row-major passes with per-channel accumulators: x is read in memory order */
    if (train) {
        for (int j = 0; j < c; j++)
            mean[j] = istd[j] = 0;
        for (size_t r = 0; r < rows; r++)
            for (int j = 0; j < c; j++)
                mean[j] += x[r * c + j];
        for (int j = 0; j < c; j++)
            mean[j] /= (R)rows;
        for (size_t r = 0; r < rows; r++)
            for (int j = 0; j < c; j++) {
                R d = x[r * c + j] - mean[j];
                istd[j] += d * d; /* the sum of squares, for now */
            }
        for (int j = 0; j < c; j++) {
            R ss = istd[j], var = ss / (R)rows;
            istd[j] = 1 / sqrt(var + eps);
            if (run_mean && run_var) {
                R unbiased = rows > 1 ? ss / (R)(rows - 1) : var;
                run_mean[j] = (1 - momentum) * run_mean[j] + momentum * mean[j];
                run_var[j] = (1 - momentum) * run_var[j] + momentum * unbiased;
            }
        }
    } else {
        for (int j = 0; j < c; j++) {
            mean[j] = run_mean[j];
            istd[j] = 1 / sqrt(run_var[j] + eps);
        }
    }
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < c; j++)
            y[r * c + j] = gamma[j] * (x[r * c + j] - mean[j]) * istd[j] + beta[j];
}

/* the training-mode backward pass (the batch statistics depend on x) */
void TRN(bn_bwd)(const R *x, const R *gamma, const R *mean, const R *istd, const R *dy, R *dx, R *dgamma, R *dbeta,
                 size_t rows, int c)
{
    R small[2 * 512];
    R *sg = c <= 512 ? small : (R *)malloc(2 * (size_t)c * sizeof(R));
    if (!sg) {
        /* no memory for the accumulators: the same sums channel by channel, slower */
        for (int j = 0; j < c; j++) {
            R a = 0, bsum = 0;
            for (size_t r = 0; r < rows; r++) {
                R xh = (x[r * c + j] - mean[j]) * istd[j];
                a += dy[r * c + j];
                bsum += dy[r * c + j] * xh;
            }
            dbeta[j] += a;
            dgamma[j] += bsum;
            R k = gamma[j] * istd[j] / (R)rows;
            for (size_t r = 0; r < rows; r++) {
                R xh = (x[r * c + j] - mean[j]) * istd[j];
                dx[r * c + j] += k * ((R)rows * dy[r * c + j] - a - xh * bsum);
            }
        }
        return;
    }
    R *sgx = sg + c;
    for (int j = 0; j < c; j++)
        sg[j] = sgx[j] = 0;
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < c; j++) {
            R g = dy[r * c + j];
            sg[j] += g;
            sgx[j] += g * (x[r * c + j] - mean[j]) * istd[j];
        }
    for (int j = 0; j < c; j++) {
        dbeta[j] += sg[j];
        dgamma[j] += sgx[j];
    }
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < c; j++) {
            R xh = (x[r * c + j] - mean[j]) * istd[j];
            dx[r * c + j] += gamma[j] * istd[j] / (R)rows * ((R)rows * dy[r * c + j] - sg[j] - xh * sgx[j]);
        }
    if (sg != small)
        free(sg);
}

/* ---- dropout: mask holds 0 or 1/(1 - p) per element (drawn by the caller's seeded generator) */
void TRN(mul_fwd)(const R *x, const R *mask, R *y, size_t count)
{
    for (size_t i = 0; i < count; i++)
        y[i] = x[i] * mask[i];
}

void TRN(mul_bwd)(const R *mask, const R *dy, R *dx, size_t count)
{
    for (size_t i = 0; i < count; i++)
        dx[i] += dy[i] * mask[i];
}

/* ---- L2 normalisation of each row of c values: y = x / max(|x|, eps), as F.normalize */
void TRN(l2norm_fwd)(const R *x, R *y, R *norm, size_t rows, int c, R eps)
{
    for (size_t r = 0; r < rows; r++) {
        R s = 0;
        for (int j = 0; j < c; j++)
            s += x[r * c + j] * x[r * c + j];
        R nr = sqrt(s);
        norm[r] = nr;
        R d = nr > eps ? nr : eps;
        for (int j = 0; j < c; j++)
            y[r * c + j] = x[r * c + j] / d;
    }
}

void TRN(l2norm_bwd)(const R *x, const R *norm, const R *dy, R *dx, size_t rows, int c, R eps)
{
    for (size_t r = 0; r < rows; r++) {
        R nr = norm[r];
        if (nr <= eps) { /* the clamped branch is linear */
            for (int j = 0; j < c; j++)
                dx[r * c + j] += dy[r * c + j] / eps;
            continue;
        }
        R dot = 0;
        for (int j = 0; j < c; j++)
            dot += x[r * c + j] * dy[r * c + j];
        for (int j = 0; j < c; j++)
            dx[r * c + j] += (dy[r * c + j] - x[r * c + j] * dot / (nr * nr)) / nr;
    }
}

/* ---- convolution. x: n × h × w × ci; w: co × kh × kw × ci; y: n × oh × ow × co. Padding pt/pl on
 * the top and left (the bottom and right follow from the output size). Zero padding. */
void TRN(conv_fwd)(const R *x, const R *w, const R *b, R *y, const tr_conv *a)
{
    for (int n = 0; n < a->n; n++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++)
                for (int o = 0; o < a->co; o++) {
                    R s = b ? b[o] : 0;
                    for (int ky = 0; ky < a->kh; ky++) {
                        int iy = oy * a->stride - a->pt + ky;
                        if (iy < 0 || iy >= a->h)
                            continue;
                        for (int kx = 0; kx < a->kw; kx++) {
                            int ix = ox * a->stride - a->pl + kx;
                            if (ix < 0 || ix >= a->w)
                                continue;
                            const R *xp = x + (((size_t)n * a->h + iy) * a->w + ix) * a->ci;
                            const R *wp = w + (((size_t)o * a->kh + ky) * a->kw + kx) * a->ci;
                            for (int c = 0; c < a->ci; c++)
                                s += xp[c] * wp[c];
                        }
                    }
                    y[(((size_t)n * a->oh + oy) * a->ow + ox) * a->co + o] = s;
                }
}

void TRN(conv_bwd)(const R *x, const R *w, const R *dy, R *dx, R *dw, R *db, const tr_conv *a)
{
    for (int n = 0; n < a->n; n++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++)
                for (int o = 0; o < a->co; o++) {
                    R g = dy[(((size_t)n * a->oh + oy) * a->ow + ox) * a->co + o];
                    if (db)
                        db[o] += g;
                    if (g == 0)
                        continue;
                    for (int ky = 0; ky < a->kh; ky++) {
                        int iy = oy * a->stride - a->pt + ky;
                        if (iy < 0 || iy >= a->h)
                            continue;
                        for (int kx = 0; kx < a->kw; kx++) {
                            int ix = ox * a->stride - a->pl + kx;
                            if (ix < 0 || ix >= a->w)
                                continue;
                            size_t xo = (((size_t)n * a->h + iy) * a->w + ix) * a->ci;
                            size_t wo = (((size_t)o * a->kh + ky) * a->kw + kx) * a->ci;
                            for (int c = 0; c < a->ci; c++) {
                                if (dx)
                                    dx[xo + c] += g * w[wo + c];
                                if (dw)
                                    dw[wo + c] += g * x[xo + c];
                            }
                        }
                    }
                }
}

/* ---- depthwise convolution (multiplier 1): w is kh × kw × c, co == ci */
void TRN(dwconv_fwd)(const R *x, const R *w, const R *b, R *y, const tr_conv *a)
{
    for (int n = 0; n < a->n; n++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++)
                for (int c = 0; c < a->ci; c++) {
                    R s = b ? b[c] : 0;
                    for (int ky = 0; ky < a->kh; ky++) {
                        int iy = oy * a->stride - a->pt + ky;
                        if (iy < 0 || iy >= a->h)
                            continue;
                        for (int kx = 0; kx < a->kw; kx++) {
                            int ix = ox * a->stride - a->pl + kx;
                            if (ix < 0 || ix >= a->w)
                                continue;
                            s += x[(((size_t)n * a->h + iy) * a->w + ix) * a->ci + c] *
                                 w[((size_t)ky * a->kw + kx) * a->ci + c];
                        }
                    }
                    y[(((size_t)n * a->oh + oy) * a->ow + ox) * a->ci + c] = s;
                }
}

void TRN(dwconv_bwd)(const R *x, const R *w, const R *dy, R *dx, R *dw, R *db, const tr_conv *a)
{
    for (int n = 0; n < a->n; n++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++)
                for (int c = 0; c < a->ci; c++) {
                    R g = dy[(((size_t)n * a->oh + oy) * a->ow + ox) * a->ci + c];
                    if (db)
                        db[c] += g;
                    for (int ky = 0; ky < a->kh; ky++) {
                        int iy = oy * a->stride - a->pt + ky;
                        if (iy < 0 || iy >= a->h)
                            continue;
                        for (int kx = 0; kx < a->kw; kx++) {
                            int ix = ox * a->stride - a->pl + kx;
                            if (ix < 0 || ix >= a->w)
                                continue;
                            size_t xo = (((size_t)n * a->h + iy) * a->w + ix) * a->ci + c;
                            size_t wo = ((size_t)ky * a->kw + kx) * a->ci + c;
                            if (dx)
                                dx[xo] += g * w[wo];
                            if (dw)
                                dw[wo] += g * x[xo];
                        }
                    }
                }
}

/* ---- locally connected (DeepFace): a convolution whose filters differ at every output position.
 * w: oh × ow × co × kh × kw × ci; b: oh × ow × co (untied biases, as DeepFace). */
void TRN(lc_fwd)(const R *x, const R *w, const R *b, R *y, const tr_conv *a)
{
    size_t wpos = (size_t)a->co * a->kh * a->kw * a->ci;
    for (int n = 0; n < a->n; n++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++) {
                size_t p = (size_t)oy * a->ow + ox;
                for (int o = 0; o < a->co; o++) {
                    R s = b ? b[p * a->co + o] : 0;
                    for (int ky = 0; ky < a->kh; ky++) {
                        int iy = oy * a->stride - a->pt + ky;
                        if (iy < 0 || iy >= a->h)
                            continue;
                        for (int kx = 0; kx < a->kw; kx++) {
                            int ix = ox * a->stride - a->pl + kx;
                            if (ix < 0 || ix >= a->w)
                                continue;
                            const R *xp = x + (((size_t)n * a->h + iy) * a->w + ix) * a->ci;
                            const R *wp = w + p * wpos + (((size_t)o * a->kh + ky) * a->kw + kx) * a->ci;
                            for (int c = 0; c < a->ci; c++)
                                s += xp[c] * wp[c];
                        }
                    }
                    y[(((size_t)n * a->oh + oy) * a->ow + ox) * a->co + o] = s;
                }
            }
}

void TRN(lc_bwd)(const R *x, const R *w, const R *dy, R *dx, R *dw, R *db, const tr_conv *a)
{
    size_t wpos = (size_t)a->co * a->kh * a->kw * a->ci;
    for (int n = 0; n < a->n; n++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++) {
                size_t p = (size_t)oy * a->ow + ox;
                for (int o = 0; o < a->co; o++) {
                    R g = dy[(((size_t)n * a->oh + oy) * a->ow + ox) * a->co + o];
                    if (db)
                        db[p * a->co + o] += g;
                    for (int ky = 0; ky < a->kh; ky++) {
                        int iy = oy * a->stride - a->pt + ky;
                        if (iy < 0 || iy >= a->h)
                            continue;
                        for (int kx = 0; kx < a->kw; kx++) {
                            int ix = ox * a->stride - a->pl + kx;
                            if (ix < 0 || ix >= a->w)
                                continue;
                            size_t xo = (((size_t)n * a->h + iy) * a->w + ix) * a->ci;
                            size_t wo = p * wpos + (((size_t)o * a->kh + ky) * a->kw + kx) * a->ci;
                            for (int c = 0; c < a->ci; c++) {
                                if (dx)
                                    dx[xo + c] += g * w[wo + c];
                                if (dw)
                                    dw[wo + c] += g * x[xo + c];
                            }
                        }
                    }
                }
            }
}

/* ---- pooling (kernel k, stride s, padding pt/pl; padding taps are skipped, so the average is over
 * the taps inside the image, PyTorch's count_include_pad=False). Max pooling records the winning
 * input index of each output in arg (ties: the first tap in scan order). */
void TRN(maxpool_fwd)(const R *x, R *y, size_t *arg, const tr_conv *a)
{
    for (int n = 0; n < a->n; n++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++)
                for (int c = 0; c < a->ci; c++) {
                    R best = -INFINITY;
                    size_t bi = 0;
                    for (int ky = 0; ky < a->kh; ky++) {
                        int iy = oy * a->stride - a->pt + ky;
                        if (iy < 0 || iy >= a->h)
                            continue;
                        for (int kx = 0; kx < a->kw; kx++) {
                            int ix = ox * a->stride - a->pl + kx;
                            if (ix < 0 || ix >= a->w)
                                continue;
                            size_t xi = (((size_t)n * a->h + iy) * a->w + ix) * a->ci + c;
                            if (x[xi] > best) {
                                best = x[xi];
                                bi = xi;
                            }
                        }
                    }
                    size_t yi = (((size_t)n * a->oh + oy) * a->ow + ox) * a->ci + c;
                    y[yi] = best;
                    arg[yi] = bi;
                }
}

void TRN(maxpool_bwd)(const size_t *arg, const R *dy, R *dx, size_t ycount)
{
    for (size_t i = 0; i < ycount; i++)
        dx[arg[i]] += dy[i];
}

void TRN(avgpool_fwd)(const R *x, R *y, const tr_conv *a)
{
    for (int n = 0; n < a->n; n++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++)
                for (int c = 0; c < a->ci; c++) {
                    R s = 0;
                    int taps = 0;
                    for (int ky = 0; ky < a->kh; ky++) {
                        int iy = oy * a->stride - a->pt + ky;
                        if (iy < 0 || iy >= a->h)
                            continue;
                        for (int kx = 0; kx < a->kw; kx++) {
                            int ix = ox * a->stride - a->pl + kx;
                            if (ix < 0 || ix >= a->w)
                                continue;
                            s += x[(((size_t)n * a->h + iy) * a->w + ix) * a->ci + c];
                            taps++;
                        }
                    }
                    y[(((size_t)n * a->oh + oy) * a->ow + ox) * a->ci + c] = taps ? s / (R)taps : 0;
                }
}

void TRN(avgpool_bwd)(const R *dy, R *dx, const tr_conv *a)
{
    for (int n = 0; n < a->n; n++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++) {
                int y0 = oy * a->stride - a->pt, x0 = ox * a->stride - a->pl;
                int ya = y0 < 0 ? 0 : y0, yb = y0 + a->kh > a->h ? a->h : y0 + a->kh;
                int xa = x0 < 0 ? 0 : x0, xb = x0 + a->kw > a->w ? a->w : x0 + a->kw;
                int taps = (yb - ya) * (xb - xa);
                if (taps <= 0)
                    continue;
                for (int c = 0; c < a->ci; c++) {
                    R g = dy[(((size_t)n * a->oh + oy) * a->ow + ox) * a->ci + c] / (R)taps;
                    for (int iy = ya; iy < yb; iy++)
                        for (int ix = xa; ix < xb; ix++)
                            dx[(((size_t)n * a->h + iy) * a->w + ix) * a->ci + c] += g;
                }
            }
}

/* ---- global average pooling: n × h × w × c to n × c */
void TRN(gap_fwd)(const R *x, R *y, int n, int hw, int c)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++) {
            R s = 0;
            for (int p = 0; p < hw; p++)
                s += x[((size_t)i * hw + p) * c + j];
            y[(size_t)i * c + j] = s / (R)hw;
        }
}

void TRN(gap_bwd)(const R *dy, R *dx, int n, int hw, int c)
{
    for (int i = 0; i < n; i++)
        for (int p = 0; p < hw; p++)
            for (int j = 0; j < c; j++)
                dx[((size_t)i * hw + p) * c + j] += dy[(size_t)i * c + j] / (R)hw;
}

/* ---- residual add and channel concat */
void TRN(add_fwd)(const R *a, const R *b, R *y, size_t count)
{
    for (size_t i = 0; i < count; i++)
        y[i] = a[i] + b[i];
}

void TRN(acc)(const R *dy, R *dx, size_t count)
{
    for (size_t i = 0; i < count; i++)
        dx[i] += dy[i];
}

void TRN(concat_fwd)(const R *a, int ca, const R *b, int cb, R *y, size_t rows)
{
    for (size_t r = 0; r < rows; r++) {
        memcpy(y + r * (ca + cb), a + r * ca, (size_t)ca * sizeof(R));
        memcpy(y + r * (ca + cb) + ca, b + r * cb, (size_t)cb * sizeof(R));
    }
}

void TRN(concat_bwd)(const R *dy, R *da, int ca, R *db, int cb, size_t rows)
{
    for (size_t r = 0; r < rows; r++) {
        for (int j = 0; j < ca; j++)
            da[r * ca + j] += dy[r * (ca + cb) + j];
        for (int j = 0; j < cb; j++)
            db[r * cb + j] += dy[r * (ca + cb) + ca + j];
    }
}
