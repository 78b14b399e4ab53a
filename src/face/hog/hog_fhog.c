/* hog_fhog.c: dlib's extract_fhog_features (Felzenszwalb's 31 HOG planes, cell size >= 2) for RGB images, plain C with dlib's float arithmetic. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "face/hog/hog.h"

/* dlib's unit vectors for the 9 contrast-insensitive orientations (matrix<float,2,1> from doubles). */
static const float DIR_X[9] = {1.0000f, 0.9397f, 0.7660f, 0.500f, 0.1736f, -0.1736f, -0.5000f, -0.7660f, -0.9397f};
static const float DIR_Y[9] = {0.0000f, 0.3420f, 0.6428f, 0.8660f, 0.9848f, 0.9848f, 0.8660f, 0.6428f, 0.3420f};

/* The number of cells along a side: (int)((float)n / (float)cell + 0.5). */
static int cells_of(int n, int cell)
{
    return (int)((double)((float)n / (float)cell) + 0.5);
}

void fk__hog_fmap_size(int w, int h, int cell, int fh, int fw, int *rows, int *cols)
{
    int cr = cells_of(h, cell), cc = cells_of(w, cell);
    int hr = cr - 2 > 0 ? cr - 2 : 0, hc = cc - 2 > 0 ? cc - 2 : 0;
    if (cr == 0 || cc == 0 || hr == 0 || hc == 0) {
        *rows = *cols = 0;
        return;
    }
    *rows = hr + fh - 1;
    *cols = hc + fw - 1;
}

size_t fk__hog_fhog_scratch(int w, int h, int cell)
{
    /* the fast kernel's layout, which holds the plain C's: histograms (cells_nr + 2) x 18 x
     * hist_w, block energies (cells_nr + 1) x norm_w, then per-column tables (3 x (w + 16) and
     * 3 x (w + 32)) and three rows of three colour planes (w + 64 bytes each); all at most a few
     * times the image */
    size_t cr = (size_t)cells_of(h, cell), cc = (size_t)cells_of(w, cell);
    size_t hist_w = ((cc + 2 + 7) & ~(size_t)7) + 8, norm_w = ((cc + 7) & ~(size_t)7) + 8;
    size_t planes = (9 * ((size_t)w + 64) + 3) / 4;
    return (cr + 2) * 18 * hist_w + (cr + 1) * norm_w + 3 * ((size_t)w + 16) + 3 * ((size_t)w + 32) + planes + 64;
}

/* dlib's two ways to a pixel's gradient (the channel with the largest squared gradient): the
 * 8-lane code keeps red only when red > green, then that only when > blue (ties go to the later
 * channel); the scalar code for the last columns starts from red and moves on only when strictly
 * larger (ties go to the earlier one). */
static void gradient(const uint8_t *p, size_t stride, size_t plane, bool lanes, int *gx, int *gy, int *len)
{
    /* the next pixel and the next channel: 3 and 1 bytes on in interleaved rows, 1 and a plane in planar ones */
    const ptrdiff_t step = plane ? 1 : 3, cstep = plane ? (ptrdiff_t)plane : 1;
    int dx[3], dy[3], l[3];
    for (int ch = 0; ch < 3; ch++) {
        const uint8_t *c = p + ch * cstep;
        dx[ch] = (int)c[step] - (int)c[-step];
        dy[ch] = (int)c[stride] - (int)c[-(ptrdiff_t)stride];
        l[ch] = dx[ch] * dx[ch] + dy[ch] * dy[ch];
    }
    int best;
    if (lanes) {
        best = l[0] > l[1] ? 0 : 1;
        best = l[best] > l[2] ? best : 2;
    } else {
        best = 0;
        if (l[1] > l[best])
            best = 1;
        if (l[2] > l[best])
            best = 2;
    }
    *gx = dx[best], *gy = dy[best], *len = l[best];
}

/* The orientation bin (0..17) whose direction has the largest dot product with (gx, gy); a
 * later bin wins only when strictly larger, and bin 0 when all are <= 0. (dlib's -march=native
 * build fuses the dot product; for every integer gradient in [-255, 255]^2 that picks the same
 * bin as the plain arithmetic here, checked exhaustively.) */
static int orientation(float gx, float gy)
{
    float best_dot = 0;
    int best_o = 0;
    for (int o = 0; o < 9; o++) {
        const float dot = gx * DIR_X[o] + gy * DIR_Y[o];
        if (dot > best_dot) {
            best_dot = dot;
            best_o = o;
        } else if (-dot > best_dot) {
            best_dot = -dot;
            best_o = o + 9;
        }
    }
    return best_o;
}

/* The 4-lane horizontal sum of dlib's simd4f sum() in an SSE3/SSE4.1 build: (a0 + a1) + (a2 + a3). */
static float sum4(const float a[4])
{
    return (a[0] + a[1]) + (a[2] + a[3]);
}

void fk__hog_orient_lut(uint8_t *lut)
{
    for (int gy = -255; gy <= 255; gy++)
        for (int gx = -255; gx <= 255; gx++)
            lut[(gy + 255) * 511 + gx + 255] = (uint8_t)orientation((float)gx, (float)gy);
    memset(lut + 511 * 511, 0, 4);
}

static uint8_t *olut_table;
static pthread_once_t olut_once = PTHREAD_ONCE_INIT;

static void olut_make(void)
{
    uint8_t *t = malloc(FK__HOG_OLUT_SIZE);
    if (t)
        fk__hog_orient_lut(t);
    olut_table = t;
}

const uint8_t *fk__hog_olut(void)
{
    pthread_once(&olut_once, olut_make);
    return olut_table;
}

void fk__hog_fhog_ref(const uint8_t *img, int w, int h, size_t stride, size_t plane, int cell, int fh, int fw,
                             fk__hog_fmap *f, float *scratch, const uint8_t *olut)
{
    (void)olut;
    const size_t step = plane ? 1 : 3;
    const int cells_nr = cells_of(h, cell), cells_nc = cells_of(w, cell);
    if (f->rows == 0 || f->cols == 0)
        return;
    const int hog_nr = cells_nr - 2, hog_nc = cells_nc - 2;
    const size_t hist_w = (size_t)cells_nc + 2;
    float *hist = scratch;                                     /* (cells_nr + 2) x (cells_nc + 2) x 18 */
    float *norm = hist + ((size_t)cells_nr + 2) * hist_w * 18; /* cells_nr x cells_nc */
    memset(hist, 0, sizeof(float) * (((size_t)cells_nr + 2) * hist_w * 18 + (size_t)cells_nr * (size_t)cells_nc));

    const int visible_nr = (cells_nr * cell < h ? cells_nr * cell : h) - 1;
    const int visible_nc = (cells_nc * cell < w ? cells_nc * cell : w) - 1;
    for (int y = 1; y < visible_nr; y++) {
        const float yp = (float)(((double)(float)y + 0.5) / (double)(float)cell - 0.5);
        const int iyp = (int)floorf(yp);
        const float vy0 = yp - (float)iyp;
        const float vy1 = (float)(1.0 - (double)vy0);
        float *h0 = hist + (size_t)(iyp + 1) * hist_w * 18, *h1 = h0 + hist_w * 18;
        const uint8_t *row = img + (size_t)y * stride;
        int x = 1;
        /* dlib's 8-lane loop: x = 1, 9, 17, ... while x < visible_nc - 7 */
        for (; x < visible_nc - 7; x += 8)
            for (int k = 0; k < 8; k++) {
                const int xx = x + k;
                int gx, gy, len;
                gradient(row + (size_t)xx * step, stride, plane, true, &gx, &gy, &len);
                const float v = sqrtf((float)len);
                const float xp = ((float)xx + 0.5f) / (float)cell + 0.5f;
                const int ixp = (int)xp;
                const float vx0 = xp - (float)ixp, vx1 = 1.0f - vx0;
                const int o = orientation((float)gx, (float)gy);
                const float wx1 = vx1 * v, wx0 = vx0 * v;
                h0[(size_t)ixp * 18 + (size_t)o] += vy1 * wx1;
                h1[(size_t)ixp * 18 + (size_t)o] += vy0 * wx1;
                h0[(size_t)(ixp + 1) * 18 + (size_t)o] += vy1 * wx0;
                h1[(size_t)(ixp + 1) * 18 + (size_t)o] += vy0 * wx0;
            }
        /* the scalar tail */
        for (; x < visible_nc; x++) {
            int gx, gy, len;
            gradient(row + (size_t)x * step, stride, plane, false, &gx, &gy, &len);
            const int o = orientation((float)gx, (float)gy);
            const float v = sqrtf((float)len);
            const float xp = (float)(((double)x + 0.5) / (double)cell - 0.5);
            const int ixp = (int)floorf(xp);
            const float vx0 = xp - (float)ixp;
            const float vx1 = (float)(1.0 - (double)vx0);
            /* hist += vy * vx * v, the last multiply fused with the add (g++ -march=native) */
            float *a = &h0[(size_t)(ixp + 1) * 18 + (size_t)o], *b = &h1[(size_t)(ixp + 1) * 18 + (size_t)o];
            a[0] = fmaf(vy1 * vx1, v, a[0]);
            b[0] = fmaf(vy0 * vx1, v, b[0]);
            a[18] = fmaf(vy1 * vx0, v, a[18]);
            b[18] = fmaf(vy0 * vx0, v, b[18]);
        }
    }

    /* block energy: sum over the 9 orientations of (bin o + bin o + 9)^2, each step fused */
    for (int r = 0; r < cells_nr; r++)
        for (int c = 0; c < cells_nc; c++) {
            const float *hc = hist + (((size_t)r + 1) * hist_w + (size_t)c + 1) * 18;
            float n = 0;
            for (int o = 0; o < 9; o++) {
                const float s = hc[o] + hc[o + 9];
                n = fmaf(s, s, n);
            }
            norm[(size_t)r * (size_t)cells_nc + (size_t)c] = n;
        }

    /* zero the border dlib's init_hog zeroes: rows/cols outside the features */
    const int top = (fh - 1) / 2, left = (fw - 1) / 2;
    for (int p = 0; p < FK__HOG_PLANES; p++)
        for (int r = 0; r < f->rows; r++) {
            float *o = f->data + (size_t)p * f->plane + (size_t)r * f->stride;
            if (r < top || r >= top + hog_nr) {
                memset(o, 0, sizeof(float) * f->stride);
            } else {
                memset(o, 0, sizeof(float) * (size_t)left);
                memset(o + left + hog_nc, 0, sizeof(float) * (f->stride - (size_t)left - (size_t)hog_nc));
            }
        }

    const float eps = 0.0001f;
    const size_t nc = (size_t)cells_nc;
    for (int y = 0; y < hog_nr; y++)
        for (int x = 0; x < hog_nc; x++) {
            const float *N0 = norm + (size_t)y * nc + (size_t)x, *N1 = N0 + nc, *N2 = N1 + nc;
            /* the four 2x2 blocks around cell (y + 1, x + 1), as dlib's lanes hold them */
            const float z1[4] = {N1[1], N0[1], N1[0], N0[0]};
            const float z2[4] = {N1[2], N0[2], N1[1], N0[1]};
            const float z3[4] = {N2[1], N1[1], N2[0], N1[0]};
            const float z4[4] = {N2[2], N1[2], N2[1], N1[1]};
            float nn[4], n[4], t[4] = {0, 0, 0, 0};
            for (int k = 0; k < 4; k++) {
                nn[k] = 0.2f * sqrtf(z1[k] + z2[k] + z3[k] + z4[k] + eps);
                n[k] = 0.1f / nn[k];
            }
            const float *hc = hist + (((size_t)y + 2) * hist_w + (size_t)x + 2) * 18;
            const size_t at = (size_t)(y + top) * f->stride + (size_t)(x + left);
            /* contrast-sensitive: 18 bins, each clipped at nn and scaled in 4 blocks */
            for (int o = 0; o < 18; o += 3) {
                float q[3][4];
                for (int i = 0; i < 3; i++) {
                    for (int k = 0; k < 4; k++)
                        q[i][k] = (hc[o + i] < nn[k] ? hc[o + i] : nn[k]) * n[k];
                    f->data[(size_t)(o + i) * f->plane + at] = sum4(q[i]);
                }
                for (int k = 0; k < 4; k++)
                    t[k] += (q[0][k] + q[1][k]) + q[2][k];
            }
            for (int k = 0; k < 4; k++)
                t[k] *= (float)(2 * 0.2357);
            /* contrast-insensitive: bins o and o + 9 summed */
            for (int o = 0; o < 9; o++) {
                float q[4];
                const float s = hc[o] + hc[o + 9];
                for (int k = 0; k < 4; k++)
                    q[k] = (s < nn[k] ? s : nn[k]) * n[k];
                f->data[(size_t)(o + 18) * f->plane + at] = sum4(q);
            }
            /* texture: the four blocks' sums */
            for (int k = 0; k < 4; k++)
                f->data[(size_t)(27 + k) * f->plane + at] = t[k];
        }
}
