/* loss_impl.h: every training loss's value and gradient, written once for a real type (see ops_impl.h).
 *
 * The includer defines R and TRL(name). x is batch × dim (embeddings, or for the classification
 * losses the features the loss's own class matrix w, classes × dim, multiplies). Gradients are
 * written (not added): dx always, dw when the loss has a class matrix. The mining choices are
 * made on the values of this call, so a gradient is that of the loss with those choices fixed. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "train/loss.h"

#define TR_PI 3.14159265358979323846

/* squared L2 distance of two rows */
static R TRL(sqdist)(const R *a, const R *b, int d)
{
    R s = 0;
    for (int k = 0; k < d; k++) {
        R t = a[k] - b[k];
        s += t * t;
    }
    return s;
}

/* g[i] += f * (a - b), the gradient of f/2 |a - b|^2 with respect to a */
static void TRL(axpy_diff)(R *g, R f, const R *a, const R *b, int d)
{
    for (int k = 0; k < d; k++)
        g[k] += f * (a[k] - b[k]);
}

/* Softmax cross-entropy and its relatives on logits z (batch × classes, overwritten by dL/dz).
 * Returns the loss. keep: the share of the batch OHEM keeps; gamma/alpha: focal's. */
static R TRL(softmax_family)(const fk_loss_options *o, R *z, int b, int c, const int *y, size_t *active, size_t *terms,
                             R *work)
{
    if (b < 1)
        return 0;
    R *li = work; /* per-sample loss */
    for (int i = 0; i < b; i++) {
        R *zi = z + (size_t)i * c;
        R mx = zi[0];
        for (int j = 1; j < c; j++)
            if (zi[j] > mx)
                mx = zi[j];
        R s = 0, zy = zi[y[i]] - mx;
        for (int j = 0; j < c; j++) {
            zi[j] = exp(zi[j] - mx);
            s += zi[j];
        }
        for (int j = 0; j < c; j++)
            zi[j] /= s; /* now p */
        R pt = zi[y[i]];
        R logpt = zy - log(s); /* log-softmax: finite where pt underflows */
        if (o->loss == FK_LOSS_FOCAL) {
            R g = (R)o->gamma, al = (R)o->alpha, q = 1 - pt;
            R qg = pow(q, g);
            li[i] = -al * qg * logpt;
            /* dL/dpt, then through pt = softmax_y: dpt/dz_j = pt (delta - p_j) */
            /* dL/dpt times dpt/dz_j = pt (delta - p_j), with pt folded in so pt = 0 stays finite */
            R dpt_pt = -al * ((q > 0 ? -g * pow(q, g - 1) * logpt * pt : 0) + qg);
            for (int j = 0; j < c; j++)
                zi[j] = dpt_pt * ((j == y[i]) - zi[j]);
        } else {
            li[i] = -logpt;
            zi[y[i]] -= 1; /* p - onehot */
        }
    }
    /* which samples carry gradient, and the divisor of the mean */
    int k = b;
    if (o->loss == FK_LOSS_OHEM) {
        k = (int)ceil(o->keep * b);
        if (k < 1)
            k = 1;
        if (k > b)
            k = b;
        /* the k largest losses, ties to the lower index: a selection by repeated passes keeps it
         * free of a comparator with globals and is cheap for a batch */
        char *kept = (char *)(li + b);
        memset(kept, 0, (size_t)b);
        for (int t = 0; t < k; t++) {
            int best = -1;
            for (int i = 0; i < b; i++)
                if (!kept[i] && (best < 0 || li[i] > li[best]))
                    best = i;
            kept[best] = 1;
        }
        for (int i = 0; i < b; i++)
            if (!kept[i]) {
                li[i] = 0;
                memset(z + (size_t)i * c, 0, (size_t)c * sizeof(R));
            }
    }
    R loss = 0;
    for (int i = 0; i < b; i++)
        loss += li[i];
    for (size_t i = 0; i < (size_t)b * c; i++)
        z[i] /= (R)k;
    *active = (size_t)k;
    *terms = (size_t)b;
    return loss / (R)k;
}

/* one row normalised into out; returns its norm (F.normalize's eps) */
static R TRL(normalise)(const R *v, R *out, int d)
{
    R s = 0;
    for (int k = 0; k < d; k++)
        s += v[k] * v[k];
    R n = sqrt(s), dn = n > (R)1e-12 ? n : (R)1e-12;
    for (int k = 0; k < d; k++)
        out[k] = v[k] / dn;
    return n;
}

/* g: dL/dv̂ on entry; adds dL/dv to dv */
static void TRL(normalise_bwd)(const R *v, R n, const R *g, R *dv, int d)
{
    if (n <= (R)1e-12) {
        for (int k = 0; k < d; k++)
            dv[k] += g[k] / (R)1e-12;
        return;
    }
    R dot = 0;
    for (int k = 0; k < d; k++)
        dot += v[k] * g[k];
    for (int k = 0; k < d; k++)
        dv[k] += (g[k] - v[k] * dot / (n * n)) / n;
}

int TRL(loss_eval)(const fk_loss_options *o, const R *x, int b, int d, const int *y, const R *w, int c, R *dx, R *dw,
                   R *value, size_t *active, size_t *terms)
{
    memset(dx, 0, (size_t)b * d * sizeof(R));
    if (dw && w)
        memset(dw, 0, (size_t)c * d * sizeof(R));
    *active = *terms = 0;
    R loss = 0;
    switch (o->loss) {
    case FK_LOSS_SOFTMAX:
    case FK_LOSS_FOCAL:
    case FK_LOSS_OHEM:
    case FK_LOSS_ARCFACE:
    case FK_LOSS_COSFACE: {
        int margin = o->loss == FK_LOSS_ARCFACE || o->loss == FK_LOSS_COSFACE;
        size_t zc = (size_t)b * c;
        /* logits, the per-sample work, and for the margin losses the normalised rows and norms */
        size_t need = zc + (size_t)b * 2 + (margin ? zc + (size_t)(b + c) * d + (size_t)(b + c) * (d + 1) : 0);
        R *buf = (R *)calloc(need, sizeof(R));
        if (!buf)
            return -1;
        R *z = buf, *work = z + zc, *cosm = work + 2 * (size_t)b, *xh = cosm + zc, *wh = xh + (size_t)b * d,
          *nx = wh + (size_t)c * d, *nw = nx + b, *gx = nw + c, *gw = gx + (size_t)b * d;
        if (margin) {
            for (int i = 0; i < b; i++)
                nx[i] = TRL(normalise)(x + (size_t)i * d, xh + (size_t)i * d, d);
            for (int j = 0; j < c; j++)
                nw[j] = TRL(normalise)(w + (size_t)j * d, wh + (size_t)j * d, d);
        }
        R s = (R)o->scale, m = (R)o->margin;
        R cm = cos(m), sm = sin(m), th = cos((R)TR_PI - m), mm = sin((R)TR_PI - m) * m;
        for (int i = 0; i < b; i++)
            for (int j = 0; j < c; j++) {
                const R *a = margin ? xh + (size_t)i * d : x + (size_t)i * d;
                const R *v = margin ? wh + (size_t)j * d : w + (size_t)j * d;
                R t = 0;
                for (int k = 0; k < d; k++)
                    t += a[k] * v[k];
                if (!margin) {
                    z[(size_t)i * c + j] = s * t;
                    continue;
                }
                cosm[(size_t)i * c + j] = t;
                R phi = t;
                if (j == y[i]) {
                    if (o->loss == FK_LOSS_COSFACE) {
                        phi = t - m;
                    } else {
                        R s2 = 1 - t * t;
                        R sn = sqrt(s2 > (R)1e-12 ? s2 : (R)1e-12);
                        phi = t > th ? t * cm - sn * sm : t - mm;
                    }
                }
                z[(size_t)i * c + j] = s * phi;
            }
        fk_loss_options plain = *o;
        if (margin)
            plain.loss = FK_LOSS_SOFTMAX;
        loss = TRL(softmax_family)(&plain, z, b, c, y, active, terms, work);
        /* z is dL/dlogits: back to x and w */
        if (!margin) {
            for (int i = 0; i < b; i++)
                for (int j = 0; j < c; j++) {
                    R g = z[(size_t)i * c + j] * s;
                    if (g == 0)
                        continue;
                    for (int k = 0; k < d; k++) {
                        dx[(size_t)i * d + k] += g * w[(size_t)j * d + k];
                        if (dw)
                            dw[(size_t)j * d + k] += g * x[(size_t)i * d + k];
                    }
                }
        } else {
            for (int i = 0; i < b; i++)
                for (int j = 0; j < c; j++) {
                    R t = cosm[(size_t)i * c + j];
                    R dphi = 1;
                    if (j == y[i] && o->loss == FK_LOSS_ARCFACE && t > th) {
                        R s2 = 1 - t * t;
                        /* d/dt of -sqrt(max(s2, 1e-12)) * sm: zero where the clamp holds */
                        dphi = cm + (s2 > (R)1e-12 ? t * sm / sqrt(s2) : 0);
                    }
                    R g = z[(size_t)i * c + j] * s * dphi;
                    if (g == 0)
                        continue;
                    for (int k = 0; k < d; k++) {
                        gx[(size_t)i * d + k] += g * wh[(size_t)j * d + k];
                        gw[(size_t)j * d + k] += g * xh[(size_t)i * d + k];
                    }
                }
            for (int i = 0; i < b; i++)
                TRL(normalise_bwd)(x + (size_t)i * d, nx[i], gx + (size_t)i * d, dx + (size_t)i * d, d);
            if (dw)
                for (int j = 0; j < c; j++)
                    TRL(normalise_bwd)(w + (size_t)j * d, nw[j], gw + (size_t)j * d, dw + (size_t)j * d, d);
        }
        free(buf);
        break;
    }
    case FK_LOSS_CENTER: {
        /* 1/(2B) sum |x_i - c_yi|^2; w holds the centres */
        for (int i = 0; i < b; i++) {
            const R *xi = x + (size_t)i * d, *ci = w + (size_t)y[i] * d;
            loss += TRL(sqdist)(xi, ci, d) / 2;
            TRL(axpy_diff)(dx + (size_t)i * d, 1 / (R)b, xi, ci, d);
            if (dw)
                TRL(axpy_diff)(dw + (size_t)y[i] * d, 1 / (R)b, ci, xi, d);
        }
        loss /= (R)b;
        *active = *terms = (size_t)b;
        break;
    }
    case FK_LOSS_CONTRASTIVE: {
        /* every pair of the batch; the mean over positive pairs plus the mean over negative ones, so
         * that a P×K batch's many negatives do not drown its few positives */
        R m = (R)o->margin, lp = 0, ln = 0;
        size_t np = 0, nn = 0, inside = 0;
        for (int i = 0; i < b; i++)
            for (int j = i + 1; j < b; j++)
                *(y[i] == y[j] ? &np : &nn) += 1;
        for (int i = 0; i < b; i++)
            for (int j = i + 1; j < b; j++) {
                const R *xi = x + (size_t)i * d, *xj = x + (size_t)j * d;
                R d2 = TRL(sqdist)(xi, xj, d);
                if (y[i] == y[j]) {
                    lp += d2 / 2;
                    TRL(axpy_diff)(dx + (size_t)i * d, 1 / (R)np, xi, xj, d);
                    TRL(axpy_diff)(dx + (size_t)j * d, 1 / (R)np, xj, xi, d);
                } else {
                    R dist = sqrt(d2);
                    if (dist < m && dist > 0) {
                        ln += (m - dist) * (m - dist) / 2;
                        R f = -(m - dist) / dist / (R)nn;
                        TRL(axpy_diff)(dx + (size_t)i * d, f, xi, xj, d);
                        TRL(axpy_diff)(dx + (size_t)j * d, f, xj, xi, d);
                        inside++;
                    }
                }
            }
        loss = (np ? lp / (R)np : 0) + (nn ? ln / (R)nn : 0);
        *active = inside;
        *terms = nn;
        break;
    }
    case FK_LOSS_TRIPLET: {
        R a = (R)o->margin;
        R *dist = (R *)malloc((size_t)b * b * sizeof(R));
        if (!dist)
            return -1;
        for (int i = 0; i < b; i++)
            for (int j = 0; j < b; j++)
                dist[(size_t)i * b + j] = i == j ? 0 : TRL(sqdist)(x + (size_t)i * d, x + (size_t)j * d, d);
        uint64_t rng = o->seed;
        size_t count = 0, act = 0;
        /* one pass chooses, a second adds the gradients with the divisor known */
        for (int pass = 0; pass < 2; pass++) {
            rng = o->seed;
            R total = 0;
            for (int an = 0; an < b; an++) {
                int has_neg = 0;
                for (int j = 0; j < b; j++)
                    has_neg |= y[j] != y[an];
                if (!has_neg)
                    continue;
                const R *da = dist + (size_t)an * b;
                for (int p = 0; p < b; p++) {
                    if (p == an || y[p] != y[an])
                        continue;
                    int pp = p, ng = -1;
                    if (o->mining == FK_MINING_BATCH_HARD) {
                        /* one triplet per anchor: its farthest positive and nearest negative */
                        int later = 0;
                        for (int q = 0; q < p; q++)
                            later |= q != an && y[q] == y[an];
                        if (later)
                            continue;
                        for (int q = 0; q < b; q++)
                            if (q != an && y[q] == y[an] && da[q] > da[pp])
                                pp = q;
                        for (int q = 0; q < b; q++)
                            if (y[q] != y[an] && (ng < 0 || da[q] < da[ng]))
                                ng = q;
                    } else if (o->mining == FK_MINING_SEMIHARD) {
                        /* the nearest negative farther than the positive; none: the farthest */
                        for (int q = 0; q < b; q++)
                            if (y[q] != y[an] && da[q] > da[p] && (ng < 0 || da[q] < da[ng]))
                                ng = q;
                        if (ng < 0)
                            for (int q = 0; q < b; q++)
                                if (y[q] != y[an] && (ng < 0 || da[q] > da[ng]))
                                    ng = q;
                    } else {
                        int nneg = 0;
                        for (int q = 0; q < b; q++)
                            nneg += y[q] != y[an];
                        int pick = (int)(fk__tr_splitmix(&rng) % (uint64_t)nneg);
                        for (int q = 0; q < b; q++)
                            if (y[q] != y[an] && pick-- == 0) {
                                ng = q;
                                break;
                            }
                    }
                    R l = da[pp] - da[ng] + a;
                    if (pass == 0) {
                        count++;
                        act += l > 0;
                        continue;
                    }
                    if (l <= 0)
                        continue;
                    total += l;
                    /* d(|a-p|^2 - |a-n|^2) = 2(a-p) - 2(a-n) on a, -2(a-p) on p, 2(a-n) on n */
                    R f = 2 / (R)count;
                    const R *xa = x + (size_t)an * d, *xp = x + (size_t)pp * d, *xn = x + (size_t)ng * d;
                    TRL(axpy_diff)(dx + (size_t)an * d, f, xa, xp, d);
                    TRL(axpy_diff)(dx + (size_t)an * d, -f, xa, xn, d);
                    TRL(axpy_diff)(dx + (size_t)pp * d, f, xp, xa, d);
                    TRL(axpy_diff)(dx + (size_t)ng * d, -f, xn, xa, d);
                }
            }
            if (pass == 1)
                loss = count ? total / (R)count : 0;
            if (pass == 0 && count == 0)
                break;
        }
        free(dist);
        *active = act;
        *terms = count;
        break;
    }
    case FK_LOSS_COUPLED_CLUSTER: {
        /* for each class of the batch with two samples or more: its centre c (the mean of its samples,
         * differentiated through), the nearest other-class sample n to it, and
         * 1/(2K) sum_i max(0, |x_i - c|^2 + a - |x_n - c|^2) */
        R a = (R)o->margin;
        R *ctr = (R *)malloc((size_t)d * sizeof(R));
        if (!ctr)
            return -1;
        size_t classes = 0, act = 0, cnt = 0;
        for (int pass = 0; pass < 2; pass++) {
            R total = 0;
            for (int i = 0; i < b; i++) {
                int first = 1, k = 0;
                for (int j = 0; j < i; j++)
                    first &= y[j] != y[i];
                if (!first)
                    continue;
                for (int j = 0; j < b; j++)
                    k += y[j] == y[i];
                int neg = 0;
                for (int j = 0; j < b; j++)
                    neg |= y[j] != y[i];
                if (k < 2 || !neg)
                    continue;
                if (pass == 0) {
                    classes++;
                    continue;
                }
                memset(ctr, 0, (size_t)d * sizeof(R));
                for (int j = 0; j < b; j++)
                    if (y[j] == y[i])
                        for (int t = 0; t < d; t++)
                            ctr[t] += x[(size_t)j * d + t] / (R)k;
                int ng = -1;
                R dn = 0;
                for (int j = 0; j < b; j++)
                    if (y[j] != y[i]) {
                        R dj = TRL(sqdist)(x + (size_t)j * d, ctr, d);
                        if (ng < 0 || dj < dn) {
                            ng = j;
                            dn = dj;
                        }
                    }
                R f = 1 / ((R)k * (R)classes);
                for (int j = 0; j < b; j++) {
                    if (y[j] != y[i])
                        continue;
                    cnt++;
                    R l = TRL(sqdist)(x + (size_t)j * d, ctr, d) + a - dn;
                    if (l <= 0)
                        continue;
                    act++;
                    total += l / 2 / (R)k;
                    TRL(axpy_diff)(dx + (size_t)j * d, f, x + (size_t)j * d, ctr, d);
                    TRL(axpy_diff)(dx + (size_t)ng * d, -f, x + (size_t)ng * d, ctr, d);
                    /* and through the centre, the class's mean: (x_n - x_j) / K to each of its samples */
                    for (int q = 0; q < b; q++)
                        if (y[q] == y[i])
                            TRL(axpy_diff)(dx + (size_t)q * d, f / (R)k, x + (size_t)ng * d, x + (size_t)j * d, d);
                }
            }
            if (pass == 1)
                loss = classes ? total / (R)classes : 0;
            if (classes == 0)
                break;
        }
        free(ctr);
        *active = act;
        *terms = cnt;
        break;
    }
    default:
        return -2;
    }
    *value = loss;
    return 0;
}
