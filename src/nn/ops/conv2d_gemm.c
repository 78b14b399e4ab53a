/* conv2d_gemm.c: convolution as im2col + OpenBLAS sgemm (1x1 stride-1 convs skip im2col), chunked by output rows. */
#include <cblas.h>
#include <string.h>

#include "nn/ops/ops.h"

/* Floats of im2col per chunk: big enough to amortise a GEMM call, small enough to stay in L2. */
#define FK__IM2COL_BUDGET (1u << 18)

static bool is_pointwise(const fk__conv2d_args *a)
{
    return a->kh == 1 && a->kw == 1 && a->stride_h == 1 && a->stride_w == 1 && a->pad_top == 0 &&
           a->pad_left == 0;
}

/* Output rows per GEMM call. Chunks are fixed by the shapes alone, never by the worker count,
 * so every output value comes from the same GEMM call (same summation order) at any number of
 * threads: results are bitwise identical. Big enough to amortise a call (a few hundred output
 * pixels), small enough for im2col to stay in L2 and to give every worker a share. */
static int chunk_rows(const fk__conv2d_args *a, const fk__view *y)
{
    size_t per_row = (size_t)y->w * a->kh * a->kw * a->cin;
    size_t rows = per_row ? FK__IM2COL_BUDGET / per_row : 1;
    size_t want = (256 + (size_t)y->w - 1) / (size_t)y->w;
    if (rows > want)
        rows = want;
    if (rows < 1)
        rows = 1;
    if (rows > (size_t)y->h)
        rows = (size_t)y->h;
    return (int)rows;
}

size_t fk__conv2d_gemm_scratch(const fk__conv2d_args *a, const fk__view *y)
{
    if (is_pointwise(a))
        return 0;
    return (size_t)chunk_rows(a, y) * y->w * a->kh * a->kw * a->cin;
}

static void epilogue_rows(const fk__conv2d_args *a, float *out, int pixels, ptrdiff_t ld)
{
    const fk__epilogue *e = &a->ep;
    if (!e->bias && !e->scale && !e->shift && e->act == FK__ACT_NONE)
        return;
    for (int p = 0; p < pixels; p++)
        fk__epilogue_row(e, out + p * ld, a->cout);
}

static void im2col_rows(const fk__conv2d_args *a, const fk__view *x, int n, int oy0, int rows, int ow,
                        float *col)
{
    size_t k = (size_t)a->kh * a->kw * a->cin;
    for (int r = 0; r < rows; r++) {
        int oy = oy0 + r;
        for (int ox = 0; ox < ow; ox++) {
            float *dst = col + ((size_t)r * ow + ox) * k;
            for (int ky = 0; ky < a->kh; ky++) {
                int iy = oy * a->stride_h - a->pad_top + ky;
                for (int kx = 0; kx < a->kw; kx++, dst += a->cin) {
                    int ix = ox * a->stride_w - a->pad_left + kx;
                    if (iy < 0 || iy >= x->h || ix < 0 || ix >= x->w)
                        memset(dst, 0, sizeof(float) * a->cin);
                    else
                        memcpy(dst, fk__at(x, n, iy, ix, 0), sizeof(float) * a->cin);
                }
            }
        }
    }
}

void fk__conv2d_gemm(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, float *scratch, int ith,
                     int nth)
{
    bool pointwise = is_pointwise(a);
    /* several output rows form one GEMM only when rows follow each other in memory */
    bool y_rows_contig = y->sh == (ptrdiff_t)y->w * y->sw;
    bool x_rows_contig = x->sh == (ptrdiff_t)x->w * x->sw;
    int rows_per = chunk_rows(a, y);
    if (!y_rows_contig || (pointwise && !x_rows_contig))
        rows_per = 1;
    int chunks_per_image = (y->h + rows_per - 1) / rows_per;
    int c0, c1;
    fk__split_rows(y->n * chunks_per_image, ith, nth, &c0, &c1);
    int k = a->kh * a->kw * a->cin;
    for (int ci = c0; ci < c1; ci++) {
        int n = ci / chunks_per_image, oy = (ci % chunks_per_image) * rows_per;
        int rows = rows_per < y->h - oy ? rows_per : y->h - oy;
        int m = rows * y->w;
        float *out = fk__at(y, n, oy, 0, 0);
        const float *cols = fk__at(x, n, oy, 0, 0);
        int ld = (int)x->sw;
        if (!pointwise) {
            im2col_rows(a, x, n, oy, rows, y->w, scratch);
            cols = scratch;
            ld = k;
        }
        if (a->weights) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, a->cout, k, 1.0f, cols, ld, a->weights,
                        a->cout, 0.0f, out, (int)y->sw);
        } else {
            for (int co = 0; co < a->cout; co += 16) {
                int width = a->cout - co < 16 ? a->cout - co : 16;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, width, k, 1.0f, cols, ld,
                            a->packed + (size_t)(co / 16) * k * 16, 16, 0.0f, out + co, (int)y->sw);
            }
        }
        epilogue_rows(a, out, m, y->sw);
    }
}
