/* resize.c: bilinear resize with OpenCV's INTER_LINEAR geometry and its 11-bit fixed-point weights. */
#include <math.h>
#include <stdlib.h>

#include "core/checked.h"
#include "core/error.h"
#include "image/image_internal.h"

/* OpenCV's INTER_RESIZE_COEF_BITS: weights are integers summing to 2^11, so a pixel is
 * (sum of four products + 2^21) >> 22, within one level of OpenCV's own output. */
#define COEF_BITS 11
#define COEF_ONE (1 << COEF_BITS)

typedef struct axis_tap {
    int i0, i1;     /* the two source indices (equal at the borders) */
    int w0, w1;     /* their weights, w0 + w1 == COEF_ONE */
} axis_tap;

/* Source position of destination centre d: (d + 0.5) * scale - 0.5, clamped to the first
 * and last source sample, computed in float as OpenCV does so the weights match. */
static void make_taps(axis_tap *taps, int dst_n, int src_n)
{
    double scale = 1.0 / ((double)dst_n / src_n);
    for (int d = 0; d < dst_n; d++) {
        float f = (float)((d + 0.5) * scale - 0.5);
        int s = (int)floorf(f);
        f -= (float)s;
        if (s < 0) {
            s = 0;
            f = 0.f;
        }
        if (s >= src_n - 1) {
            s = src_n - 1;
            f = 0.f;
        }
        taps[d].i0 = s;
        taps[d].i1 = s + 1 < src_n ? s + 1 : s;
        taps[d].w0 = (int)lrintf((1.f - f) * COEF_ONE);
        taps[d].w1 = (int)lrintf(f * COEF_ONE);
    }
}

static void hresize_row(const uint8_t *s, const axis_tap *tx, int width, int32_t *out)
{
    for (int x = 0; x < width; x++) {
        const uint8_t *a = s + (size_t)tx[x].i0 * 3, *b = s + (size_t)tx[x].i1 * 3;
        for (int c = 0; c < 3; c++)
            out[3 * x + c] = a[c] * tx[x].w0 + b[c] * tx[x].w1;
    }
}

fk_status fk_image_resize(const fk_image *src, int width, int height, fk_image **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "resize: out is NULL");
    *out = NULL;
    if (!fk__image_valid(src))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "resize: invalid source image");
    if (width <= 0 || height <= 0)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "resize: target size %dx%d is not positive", width, height);

    fk_status st = FK_OK;
    fk_image *dst = NULL;
    axis_tap *tx = NULL, *ty = NULL;
    int32_t *rows = NULL;
    size_t tx_bytes, ty_bytes, row_len, rows_bytes;
    if (!fk__mul_size((size_t)width, sizeof *tx, &tx_bytes) || !fk__mul_size((size_t)height, sizeof *ty, &ty_bytes) ||
        !fk__mul_size((size_t)width, 3, &row_len) || !fk__mul3_size(row_len, 2, sizeof *rows, &rows_bytes)) {
        st = fk__fail(err, FK_E_OVERFLOW, "resize: %dx%d is too large", width, height);
        goto done;
    }
    st = fk_image_new(width, height, &dst, err);
    if (st)
        goto done;
    tx = malloc(tx_bytes);
    ty = malloc(ty_bytes);
    rows = malloc(rows_bytes); /* two horizontally resized source rows */
    if (!tx || !ty || !rows) {
        st = fk__fail(err, FK_E_NO_MEMORY, "resize: out of memory for %dx%d", width, height);
        goto done;
    }
    make_taps(tx, width, src->width);
    make_taps(ty, height, src->height);

    /* horizontal pass per source row, kept for the next output row, which mostly needs
     * the same two source rows or the lower one moved up */
    int32_t *hrow[2] = {rows, rows + row_len};
    int cached[2] = {-1, -1};
    for (int y = 0; y < height; y++) {
        if (cached[0] != ty[y].i0 && cached[1] == ty[y].i0) {
            int32_t *t = hrow[0];
            hrow[0] = hrow[1];
            hrow[1] = t;
            cached[1] = cached[0];
            cached[0] = ty[y].i0;
        }
        if (cached[0] != ty[y].i0) {
            hresize_row(src->data + (size_t)ty[y].i0 * src->stride, tx, width, hrow[0]);
            cached[0] = ty[y].i0;
        }
        if (cached[1] != ty[y].i1) {
            hresize_row(src->data + (size_t)ty[y].i1 * src->stride, tx, width, hrow[1]);
            cached[1] = ty[y].i1;
        }
        uint8_t *d = dst->data + (size_t)y * dst->stride;
        int64_t b0 = ty[y].w0, b1 = ty[y].w1;
        for (size_t i = 0; i < row_len; i++) {
            int64_t v = (b0 * hrow[0][i] + b1 * hrow[1][i] + (1 << (2 * COEF_BITS - 1))) >> (2 * COEF_BITS);
            d[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    *out = dst;
    dst = NULL;
done:
    fk_image_free(dst);
    free(tx);
    free(ty);
    free(rows);
    return st;
}
