/* ops.h: arguments and kernels of every nn op; reference kernels are plain strided loops, fast ones say what they need. */
#ifndef FK_NN_OPS_H
#define FK_NN_OPS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nn/tensor.h"

/* Every kernel takes (ith, nth): worker ith of nth computes its share of the output rows,
 * so the executor can spread one op over a thread pool without the kernel knowing. */

typedef enum fk__act {
    FK__ACT_NONE = 0,
    FK__ACT_RELU,
    FK__ACT_RELU6,
    FK__ACT_LEAKY,   /* x > 0 ? x : alpha * x */
    FK__ACT_PRELU,   /* x < 0 ? slope[c] * x : x, one slope per channel (TensorFlow's Prelu) */
    FK__ACT_TANH,    /* tanhf(x) */
    FK__ACT_SIGMOID, /* 1 / (1 + expf(-x)) */
    FK__ACT_COUNT
} fk__act;

/* The activation of one value; for FK__ACT_PRELU alpha is that value's channel slope. */
static inline float fk__act_apply(float v, fk__act act, float alpha)
{
    switch (act) {
    case FK__ACT_RELU: return v > 0.0f ? v : 0.0f;
    case FK__ACT_RELU6: return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    case FK__ACT_LEAKY: return v > 0.0f ? v : alpha * v;
    case FK__ACT_PRELU: return v < 0.0f ? v * alpha : v;
    case FK__ACT_TANH: return tanhf(v);
    case FK__ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    default: return v;
    }
}

/* The per-output-channel epilogue shared by convolutions, FC, add and affine:
 * y = act(((acc + bias[c]) * scale[c]) + shift[c]); each array may be NULL (skipped); slopes
 * (c values) is read only by FK__ACT_PRELU, and must be there for it. */
typedef struct fk__epilogue {
    const float *bias;
    const float *scale;
    const float *shift;
    fk__act act;
    float alpha;
    const float *slopes;
} fk__epilogue;

static inline float fk__epilogue_apply(const fk__epilogue *e, int c, float v)
{
    if (e->bias)
        v += e->bias[c];
    if (e->scale)
        v *= e->scale[c];
    if (e->shift)
        v += e->shift[c];
    return fk__act_apply(v, e->act, e->act == FK__ACT_PRELU ? e->slopes[c] : e->alpha);
}

/* m ? a : b with the same bits, as an integer select: GCC will not vectorise a loop that picks
 * between floats on a float compare (its default -ftrapping-math), so a PReLU or leaky loop
 * written as a ternary branches on every sign, which costs most where the signs are random. */
static inline float fk__select(bool m, float a, float b)
{
    uint32_t ia, ib, k = 0u - (uint32_t)m;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    ia = (ia & k) | (ib & ~k);
    memcpy(&a, &ia, sizeof a);
    return a;
}

/* The epilogue over one pixel's c channels, as separate simple loops the compiler vectorises
 * (same results as fk__epilogue_apply per channel). */
static inline void fk__epilogue_row(const fk__epilogue *e, float *restrict v, int c)
{
    if (e->bias)
        for (int i = 0; i < c; i++)
            v[i] += e->bias[i];
    if (e->scale)
        for (int i = 0; i < c; i++)
            v[i] *= e->scale[i];
    if (e->shift)
        for (int i = 0; i < c; i++)
            v[i] += e->shift[i];
    switch (e->act) {
    case FK__ACT_RELU:
        for (int i = 0; i < c; i++)
            v[i] = v[i] > 0.0f ? v[i] : 0.0f;
        break;
    case FK__ACT_RELU6:
        for (int i = 0; i < c; i++)
            v[i] = v[i] < 0.0f ? 0.0f : (v[i] > 6.0f ? 6.0f : v[i]);
        break;
    case FK__ACT_LEAKY:
        for (int i = 0; i < c; i++)
            v[i] = fk__select(v[i] > 0.0f, v[i], e->alpha * v[i]);
        break;
    case FK__ACT_PRELU: {
        const float *restrict s = e->slopes;
        for (int i = 0; i < c; i++)
            v[i] = fk__select(v[i] < 0.0f, v[i] * s[i], v[i]);
        break;
    }
    case FK__ACT_TANH:
        for (int i = 0; i < c; i++)
            v[i] = tanhf(v[i]);
        break;
    case FK__ACT_SIGMOID:
        for (int i = 0; i < c; i++)
            v[i] = 1.0f / (1.0f + expf(-v[i]));
        break;
    default:
        break;
    }
}

/* TensorFlow's padding rules, for one spatial axis. */
typedef enum fk__padding { FK__PAD_VALID = 0, FK__PAD_SAME, FK__PAD_COUNT } fk__padding;

/* Output size and leading pad of an axis of size `in` for kernel k and stride s; false when the
 * output would be empty. SAME puts the odd pixel of padding at the end, as TensorFlow does. */
static inline bool fk__pad_axis(int in, int k, int s, fk__padding p, int *out, int *pad_before)
{
    if (p == FK__PAD_SAME) {
        int o = (in + s - 1) / s;
        int total = (o - 1) * s + k - in;
        if (total < 0)
            total = 0;
        *out = o;
        *pad_before = total / 2;
        return o > 0;
    }
    if (in < k)
        return false;
    *out = (in - k) / s + 1;
    *pad_before = 0;
    return true;
}

/* ---- conv2d: weights HWIO [kh][kw][cin][cout], as TensorFlow stores them. */
typedef struct fk__conv2d_args {
    int kh, kw, stride_h, stride_w, pad_top, pad_left;
    int cin, cout;
    const float *weights;
    fk__epilogue ep;
    /* The same weights in panels of 16 output channels, [ceil(cout/16)][kh*kw*cin][16], zero
     * padded (fk__conv2d_pack): what the AVX2 kernel streams. NULL when not packed. */
    const float *packed;
} fk__conv2d_args;

/* Weight (k = (ky * kw + kx) * cin + ci, co) from whichever layout the args carry: a graph keeps
 * only the packed one once it owns its weights (fk__graph_own_weights). */
static inline float fk__conv2d_weight(const fk__conv2d_args *a, size_t k, int co)
{
    if (a->weights)
        return a->weights[k * (size_t)a->cout + (size_t)co];
    size_t kk = (size_t)a->kh * a->kw * a->cin;
    return a->packed[((size_t)(co / 16) * kk + k) * 16 + (size_t)(co % 16)];
}

/* Floats of the packed weights, and packing them into dst (zeroed first). */
size_t fk__conv2d_packed_floats(const fk__conv2d_args *a);
void fk__conv2d_pack(const fk__conv2d_args *a, float *dst);

void fk__conv2d_ref(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* im2col + sgemm; needs x and y with sc == 1 and scratch of fk__conv2d_gemm_scratch floats;
 * reads the HWIO weights, or the packed panels (one GEMM per panel) when only those are kept. */
size_t fk__conv2d_gemm_scratch(const fk__conv2d_args *a, const fk__view *y);
void fk__conv2d_gemm(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, float *scratch, int ith,
                     int nth);
/* A residual sum fused into a convolution's store: y = ep(conv + r'), r' being r zero-extended in
 * channels (r has y's n, h and w and at most its channels): what an add node right after the
 * convolution computes, bitwise, without writing and reading back the convolution's output. */
typedef struct fk__residual {
    fk__view r;
    fk__epilogue ep;
} fk__residual;
bool fk__residual_fits(const fk__view *r, const fk__view *y);

/* Direct convolution with AVX2/FMA (call only where fk__cpu_has_avx2_fma()); needs sc == 1 on
 * x and y, cin <= FK__CONV_AVX2_MAX_CIN and packed weights (fk__conv2d_avx2_fits). res may be
 * NULL. */
#define FK__CONV_AVX2_MAX_CIN 4096
/* What the direct kernels read for a tap outside the image (so their inner loops have no branch). */
extern const float fk__conv_zeros[FK__CONV_AVX2_MAX_CIN];
bool fk__conv2d_avx2_fits(const fk__conv2d_args *a, const fk__view *x, const fk__view *y);
void fk__conv2d_avx2(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                     int ith, int nth);
/* The same with AVX-512F, 12 or 6 pixels by 32 channels per step (only where fk__cpu_has_avx512());
 * fits where the AVX2 kernel fits, and gives bitwise its results (one FMA chain per output, in
 * the same order). */
void fk__conv2d_avx512(const fk__conv2d_args *a, const fk__view *x, const fk__view *y, const fk__residual *res,
                       int ith, int nth);

/* ---- depthwise conv2d (channel multiplier 1): weights [kh][kw][c]. */
typedef struct fk__dwconv_args {
    int kh, kw, stride_h, stride_w, pad_top, pad_left;
    int c;
    const float *weights;
    fk__epilogue ep;
} fk__dwconv_args;

void fk__dwconv_ref(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* Channels innermost, vectorisable; needs sc == 1 on x and y. */
void fk__dwconv_fast(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* The same with AVX2/FMA intrinsics (only where fk__cpu_has_avx2_fma()); sc == 1 on x and y. */
void fk__dwconv_avx2(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* The same with AVX-512F, 16 channels per vector (only where fk__cpu_has_avx512()). */
void fk__dwconv_avx512(const fk__dwconv_args *a, const fk__view *x, const fk__view *y, int ith, int nth);

/* ---- pooling. Average pooling divides by the number of taps inside the input (TensorFlow). */
typedef enum fk__pool_kind { FK__POOL_MAX = 0, FK__POOL_AVG, FK__POOL_COUNT } fk__pool_kind;
typedef struct fk__pool_args {
    fk__pool_kind kind;
    int kh, kw, stride_h, stride_w, pad_top, pad_left;
} fk__pool_args;

void fk__pool_ref(const fk__pool_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* Channels innermost in flat loops; needs sc == 1 (fk__pool_fast_fits). */
bool fk__pool_fast_fits(const fk__pool_args *a, const fk__view *x, const fk__view *y);
void fk__pool_fast(const fk__pool_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* The same with AVX2 (only where fk__cpu_has_avx2_fma()) and AVX-512F (only where
 * fk__cpu_has_avx512()), where fk__pool_fast_fits: bitwise as fk__pool_fast. */
void fk__pool_avx2(const fk__pool_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
void fk__pool_avx512(const fk__pool_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* Mean over h and w: y is [n, 1, 1, c]. */
void fk__global_avgpool_ref(const fk__view *x, const fk__view *y, int ith, int nth);

/* ---- elementwise. add: y = ep(a' + b') where a', b' are a and b zero-extended at the end of
 * every axis to y's shape (y's dims are the max of a's and b's; ep's arrays have y's channels);
 * equal shapes are a plain add. The zero extension is what face-api's ResNet shortcut does (pad
 * channels, pad H and W). */
void fk__add_ref(const fk__view *a, const fk__view *b, const fk__view *y, const fk__epilogue *ep, int ith, int nth);
/* y = act(x * scale[c] + shift[c]); scale and shift may be NULL (then y = act(x)); slopes is the
 * per-channel slope of FK__ACT_PRELU (the convolution epilogue without a bias). */
typedef struct fk__affine_args {
    const float *scale;
    const float *shift;
    fk__act act;
    float alpha;
    const float *slopes;
} fk__affine_args;
void fk__affine_ref(const fk__affine_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* Fast variants over packed channels (sc == 1); add for equal shapes or the zero extension of a
 * and b no larger than y, bitwise as the reference (fk__add_fast_fits). */
bool fk__add_fast_fits(const fk__view *a, const fk__view *b, const fk__view *y);
void fk__add_fast(const fk__view *a, const fk__view *b, const fk__view *y, const fk__epilogue *ep, int ith, int nth);
void fk__affine_fast(const fk__affine_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* The add of equal shapes with AVX2 (only where fk__cpu_has_avx2_fma()), bitwise as the
 * reference; needs sc == 1 on a, b and y (fk__add_avx2_fits). */
bool fk__add_avx2_fits(const fk__view *a, const fk__view *b, const fk__view *y);
void fk__add_avx2(const fk__view *a, const fk__view *b, const fk__view *y, const fk__epilogue *ep, int ith, int nth);
/* y = a - b, a * b or a / b of two tensors of one shape (no broadcasting). */
typedef enum fk__binop { FK__BIN_SUB = 0, FK__BIN_MUL, FK__BIN_DIV, FK__BIN_COUNT } fk__binop;
void fk__binary_ref(fk__binop op, const fk__view *a, const fk__view *b, const fk__view *y, int ith, int nth);
/* Every step-th channel of x from c0: y[..., j] = x[..., c0 + j * step] for j < y->c. */
typedef struct fk__slice_args {
    int c0, step;
} fk__slice_args;
void fk__slice_ref(const fk__slice_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* Each pixel's channels over their L2 norm: y = x / sqrt(max(sum over c of x^2, eps)), the sum in
 * channel order in float (as TensorFlow's Sum), the inverse root once per pixel. */
void fk__l2norm_ref(float eps, const fk__view *x, const fk__view *y, int ith, int nth);
void fk__sigmoid_ref(const fk__view *x, const fk__view *y, int ith, int nth);
/* Softmax over the channel axis. */
void fk__softmax_ref(const fk__view *x, const fk__view *y, int ith, int nth);
/* Concatenation along channels of n inputs with equal n, h, w. */
void fk__concat_ref(const fk__view *xs, int count, const fk__view *y, int ith, int nth);

/* ---- fully connected: x flattened per sample in h, w, c order (k = h*w*c), weights [k][m],
 * y is [n, 1, 1, m]. */
typedef struct fk__fc_args {
    int k, m;
    const float *weights;
    fk__epilogue ep;
} fk__fc_args;
void fk__fc_ref(const fk__fc_args *a, const fk__view *x, const fk__view *y, int ith, int nth);
/* sgemm; needs packed x and y with sc == 1. */
void fk__fc_blas(const fk__fc_args *a, const fk__view *x, const fk__view *y, int ith, int nth);

/* True when this CPU runs AVX2 and FMA (the *_avx2 kernels). */
bool fk__cpu_has_avx2_fma(void);
/* True when this CPU (and its OS) runs AVX-512F (the *_avx512 kernels). */
bool fk__cpu_has_avx512(void);

#endif
