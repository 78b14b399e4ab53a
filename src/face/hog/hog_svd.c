/* hog_svd.c: the singular value decomposition that splits each HOG filter plane into separable parts (one-sided Jacobi, in double). */
#include "face/hog/hog.h"

#include <math.h>
#include <string.h>

/* One-sided Jacobi (Hestenes): rotate pairs of columns of a (m x n, m >= n, row-major) until
 * every pair is orthogonal to working precision; then the column norms are the singular values,
 * the normalised columns the left vectors, and the accumulated rotations the right vectors. It
 * is accurate to a few ulps of the largest singular value, as dlib's LAPACK gesvd is, so the
 * float-rounded filters come out the same (a singular vector's sign may differ, which changes
 * no float result: negation is exact). */
static void jacobi(double *a, int m, int n, double *v)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            v[i * n + j] = i == j;
    for (int sweep = 0; sweep < 80; sweep++) {
        int rotated = 0;
        for (int p = 0; p < n - 1; p++)
            for (int q = p + 1; q < n; q++) {
                double alpha = 0, beta = 0, gamma = 0;
                for (int k = 0; k < m; k++) {
                    double x = a[k * n + p], y = a[k * n + q];
                    alpha += x * x;
                    beta += y * y;
                    gamma += x * y;
                }
                if (gamma == 0 || fabs(gamma) <= 2.3e-16 * sqrt(alpha * beta))
                    continue;
                rotated = 1;
                double zeta = (beta - alpha) / (2 * gamma);
                double t = (zeta >= 0 ? 1 : -1) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                double c = 1 / sqrt(1 + t * t), s = c * t;
                for (int k = 0; k < m; k++) {
                    double x = a[k * n + p], y = a[k * n + q];
                    a[k * n + p] = c * x - s * y;
                    a[k * n + q] = s * x + c * y;
                }
                for (int k = 0; k < n; k++) {
                    double x = v[k * n + p], y = v[k * n + q];
                    v[k * n + p] = c * x - s * y;
                    v[k * n + q] = s * x + c * y;
                }
            }
        if (!rotated)
            break;
    }
}

int fk__hog_svd(const double *f, int rows, int cols, double *u, double *w, double *v, double *work)
{
    /* work on the orientation with at least as many rows as columns */
    const bool tr = rows < cols;
    const int m = tr ? cols : rows, n = tr ? rows : cols;
    double *a = work, *vv = work + (size_t)m * (size_t)n;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            if (tr)
                a[c * n + r] = f[r * cols + c];
            else
                a[r * n + c] = f[r * cols + c];
        }
    jacobi(a, m, n, vv);
    /* singular values, then order the triplets by them, largest first (dlib's rsort_columns) */
    int order[FK__HOG_MAX_FILTER];
    double sv[FK__HOG_MAX_FILTER];
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < m; k++)
            s += a[k * n + j] * a[k * n + j];
        sv[j] = sqrt(s);
        order[j] = j;
    }
    for (int i = 1; i < n; i++) /* insertion sort: n <= 64, and stable */
        for (int j = i; j > 0 && sv[order[j]] > sv[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    /* left vectors of the worked matrix: its normalised columns; right: the rotations */
    for (int jj = 0; jj < n; jj++) {
        const int j = order[jj];
        w[jj] = sv[j];
        for (int k = 0; k < m; k++) {
            double x = sv[j] > 0 ? a[k * n + j] / sv[j] : 0;
            if (tr)
                v[k * n + jj] = x; /* cols x n */
            else
                u[k * n + jj] = x; /* rows x n */
        }
        for (int k = 0; k < n; k++) {
            if (tr)
                u[k * n + jj] = vv[k * n + j]; /* rows (= n) x n */
            else
                v[k * n + jj] = vv[k * n + j]; /* cols (= n) x n */
        }
    }
    return n;
}
