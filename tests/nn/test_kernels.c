/* test_kernels.c: every reference kernel on hand-checked cases (TF padding, strides, strided views), and every fast kernel against its reference on odd shapes. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "nn/ops/ops.h"

static unsigned g_seed = 12345u;

static float *rnd(size_t n)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = fk_test_randf(&g_seed);
    return v;
}

/* A naive convolution written independently of the kernels: packed NHWC, explicit pads. */
static float naive_conv(const float *x, int h, int w, int cin, const float *wt, int kh, int kw, int cout, int sy,
                        int sx, int pt, int pl, int n, int oy, int ox, int co)
{
    double s = 0;
    for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++) {
            int iy = oy * sy + ky - pt, ix = ox * sx + kx - pl;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w)
                continue;
            for (int ci = 0; ci < cin; ci++)
                s += (double)x[(((size_t)n * h + iy) * w + ix) * cin + ci] * wt[((ky * kw + kx) * cin + ci) * cout + co];
        }
    return (float)s;
}

static void test_padding_rules(void)
{
    int out, pad;
    CHECK(fk__pad_axis(512, 3, 2, FK__PAD_SAME, &out, &pad) && out == 256 && pad == 0);
    CHECK(fk__pad_axis(7, 3, 2, FK__PAD_SAME, &out, &pad) && out == 4 && pad == 1);
    CHECK(fk__pad_axis(5, 1, 2, FK__PAD_SAME, &out, &pad) && out == 3 && pad == 0);
    CHECK(fk__pad_axis(207, 2, 2, FK__PAD_SAME, &out, &pad) && out == 104 && pad == 0);
    CHECK(fk__pad_axis(13, 2, 1, FK__PAD_SAME, &out, &pad) && out == 13 && pad == 0);
    CHECK(fk__pad_axis(150, 7, 2, FK__PAD_VALID, &out, &pad) && out == 72 && pad == 0);
    CHECK(fk__pad_axis(8, 3, 2, FK__PAD_VALID, &out, &pad) && out == 3);
    CHECK(!fk__pad_axis(2, 3, 1, FK__PAD_VALID, &out, &pad));
}

/* conv2d on a 3x3 single-channel image with a 2x2 box filter, VALID: every output is the sum
 * of a 2x2 window; with bias, scale, shift and ReLU6. */
static void test_conv_hand(void)
{
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1}, y[4];
    float bias = 1, scale = 0.5f, shift = -2;
    fk__conv2d_args a = {2, 2, 1, 1, 0, 0, 1, 1, w, {&bias, &scale, &shift, FK__ACT_RELU6, 0, NULL}, NULL};
    fk__view vx = fk__view_packed(x, fk__shape_make(1, 3, 3, 1)), vy = fk__view_packed(y, fk__shape_make(1, 2, 2, 1));
    fk__conv2d_ref(&a, &vx, &vy, 0, 1);
    /* windows: 12, 16, 24, 28 -> (s + 1) * 0.5 - 2 -> 4.5, 6.5, 10.5, 12.5 -> relu6 */
    CHECK_NEAR(y[0], 4.5, 1e-6);
    CHECK_NEAR(y[1], 6.0, 1e-6);
    CHECK_NEAR(y[2], 6.0, 1e-6);
    CHECK_NEAR(y[3], 6.0, 1e-6);

    /* SAME, stride 2 on 4x4: TF pads only at the end (pad_top 0), so window (oy, ox) covers rows
     * 2oy..2oy+2 and its centre tap picks x at (2oy + 1, 2ox + 1) */
    float x4[16], y4[4], w3[9];
    for (int i = 0; i < 16; i++)
        x4[i] = (float)i;
    for (int i = 0; i < 9; i++)
        w3[i] = i == 4 ? 1.0f : 0.0f;
    int oh, pt;
    fk__pad_axis(4, 3, 2, FK__PAD_SAME, &oh, &pt);
    fk__conv2d_args a3 = {3, 3, 2, 2, pt, pt, 1, 1, w3, {0}, NULL};
    fk__view v4 = fk__view_packed(x4, fk__shape_make(1, 4, 4, 1)), vo = fk__view_packed(y4, fk__shape_make(1, 2, 2, 1));
    fk__conv2d_ref(&a3, &v4, &vo, 0, 1);
    CHECK(oh == 2 && pt == 0);
    CHECK(y4[0] == 5 && y4[1] == 7 && y4[2] == 13 && y4[3] == 15);
}

static void test_dwconv_hand(void)
{
    /* two channels, 1x2 kernel: channel 0 sums neighbours, channel 1 takes their difference */
    float x[6] = {1, 10, 2, 20, 3, 30}; /* 1x3 pixels, 2 channels */
    float w[4] = {1, -1, 1, 1};         /* [kh=1][kw=2][c=2] */
    float y[4];
    fk__dwconv_args a = {1, 2, 1, 1, 0, 0, 2, w, {0}};
    fk__view vx = fk__view_packed(x, fk__shape_make(1, 1, 3, 2)), vy = fk__view_packed(y, fk__shape_make(1, 1, 2, 2));
    fk__dwconv_ref(&a, &vx, &vy, 0, 1);
    CHECK(y[0] == 3 && y[1] == 10 && y[2] == 5 && y[3] == 10);
    float yf[4];
    fk__view vf = fk__view_packed(yf, fk__shape_make(1, 1, 2, 2));
    fk__dwconv_fast(&a, &vx, &vf, 0, 1);
    CHECK(memcmp(y, yf, sizeof y) == 0);
}

static void test_pool_hand(void)
{
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[4];
    fk__view vx = fk__view_packed(x, fk__shape_make(1, 3, 3, 1)), vy = fk__view_packed(y, fk__shape_make(1, 2, 2, 1));
    /* SAME 2x2 stride 2 on 3x3: windows {1,2,4,5} {3,6} {7,8} {9}; average over in-bounds taps */
    fk__pool_args avg = {FK__POOL_AVG, 2, 2, 2, 2, 0, 0};
    fk__pool_ref(&avg, &vx, &vy, 0, 1);
    CHECK_NEAR(y[0], 3.0, 1e-6);
    CHECK_NEAR(y[1], 4.5, 1e-6);
    CHECK_NEAR(y[2], 7.5, 1e-6);
    CHECK_NEAR(y[3], 9.0, 1e-6);
    fk__pool_args mx = {FK__POOL_MAX, 2, 2, 2, 2, 0, 0};
    fk__pool_ref(&mx, &vx, &vy, 0, 1);
    CHECK(y[0] == 5 && y[1] == 6 && y[2] == 8 && y[3] == 9);
    /* max over negative values ignores the padding (no zero wins) */
    float neg[4] = {-5, -4, -3, -2}, o;
    fk__view vn = fk__view_packed(neg, fk__shape_make(1, 2, 2, 1)), v1 = fk__view_packed(&o, fk__shape_make(1, 1, 1, 1));
    fk__pool_args m3 = {FK__POOL_MAX, 3, 3, 2, 2, 0, 0};
    fk__pool_ref(&m3, &vn, &v1, 0, 1);
    CHECK(o == -2);
    float g[2];
    fk__view vg = fk__view_packed(g, fk__shape_make(1, 1, 1, 2));
    float two[8] = {1, 10, 2, 20, 3, 30, 4, 40};
    fk__view vt = fk__view_packed(two, fk__shape_make(1, 2, 2, 2));
    fk__global_avgpool_ref(&vt, &vg, 0, 1);
    CHECK_NEAR(g[0], 2.5, 1e-6);
    CHECK_NEAR(g[1], 25.0, 1e-6);
}

static void test_elementwise_hand(void)
{
    /* add with zero extension: a is 1x1x2 (2 channels), b is 2x2x1 -> y is 2x2x2 */
    float a[2] = {1, 2}, b[4] = {10, 20, 30, -40}, y[8];
    fk__view va = fk__view_packed(a, fk__shape_make(1, 1, 1, 2)), vb = fk__view_packed(b, fk__shape_make(1, 2, 2, 1));
    fk__view vy = fk__view_packed(y, fk__shape_make(1, 2, 2, 2));
    fk__add_ref(&va, &vb, &vy, &(fk__epilogue){.act = FK__ACT_RELU}, 0, 1);
    float want[8] = {11, 2, 20, 0, 30, 0, 0, 0};
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(y[i], want[i], 1e-6);

    float x[4] = {-2, -0.5f, 3, 8}, out[4];
    fk__view vx = fk__view_packed(x, fk__shape_make(1, 1, 1, 4)), vo = fk__view_packed(out, fk__shape_make(1, 1, 1, 4));
    fk__affine_args leaky = {NULL, NULL, FK__ACT_LEAKY, 0.1f, NULL};
    fk__affine_ref(&leaky, &vx, &vo, 0, 1);
    CHECK_NEAR(out[0], -0.2, 1e-6);
    CHECK_NEAR(out[3], 8, 1e-6);
    float sc[4] = {1, 2, 3, 4}, sh[4] = {0, 0, 0, -30};
    fk__affine_args aff = {sc, sh, FK__ACT_RELU6, 0, NULL};
    fk__affine_ref(&aff, &vx, &vo, 0, 1);
    CHECK(out[0] == 0 && out[1] == 0 && out[2] == 6 && out[3] == 2);
    /* PReLU: each channel its own slope for negatives; x -> 1, 2, 3, 4 times slope or x */
    float slopes[4] = {0.5f, -2, 9, 9};
    fk__affine_args prelu = {NULL, NULL, FK__ACT_PRELU, 0, slopes};
    fk__affine_ref(&prelu, &vx, &vo, 0, 1);
    CHECK(out[0] == -1 && out[1] == 1 && out[2] == 3 && out[3] == 8);
    fk__affine_args th = {NULL, NULL, FK__ACT_TANH, 0, NULL}, sg = {NULL, NULL, FK__ACT_SIGMOID, 0, NULL};
    fk__affine_ref(&th, &vx, &vo, 0, 1);
    CHECK_NEAR(out[0], tanh(-2.0), 1e-6);
    CHECK_NEAR(out[2], tanh(3.0), 1e-6);
    fk__affine_ref(&sg, &vx, &vo, 0, 1);
    CHECK_NEAR(out[1], 1 / (1 + exp(0.5)), 1e-6);
    CHECK_NEAR(out[3], 1 / (1 + exp(-8.0)), 1e-6);
    /* the add's epilogue: (a + b) * scale + shift, then the PReLU */
    float pa[4] = {1, -1, 2, -3}, pb[4] = {0, -1, 1, 1}, py[4];
    fk__view vpa = fk__view_packed(pa, fk__shape_make(1, 1, 1, 4)), vpb = fk__view_packed(pb, fk__shape_make(1, 1, 1, 4));
    fk__view vpy = fk__view_packed(py, fk__shape_make(1, 1, 1, 4));
    fk__add_ref(&vpa, &vpb, &vpy, &(fk__epilogue){.scale = sc, .shift = sh, .act = FK__ACT_PRELU, .slopes = slopes}, 0, 1);
    CHECK(py[0] == 1 && py[1] == 8 && py[2] == 9 && py[3] == -342);

    float big[3] = {1000, 1001, 1002}, sm[3];
    fk__view vbig = fk__view_packed(big, fk__shape_make(1, 1, 1, 3)), vsm = fk__view_packed(sm, fk__shape_make(1, 1, 1, 3));
    fk__softmax_ref(&vbig, &vsm, 0, 1);
    double e1 = exp(-1.0), e2 = exp(-2.0), z = 1 + e1 + e2;
    CHECK_NEAR(sm[2], 1 / z, 1e-6);
    CHECK_NEAR(sm[0], e2 / z, 1e-6);
    fk__sigmoid_ref(&vbig, &vsm, 0, 1);
    CHECK(sm[0] == 1.0f);
    float zero = 0, half;
    fk__view vz = fk__view_packed(&zero, fk__shape_make(1, 1, 1, 1)), vh = fk__view_packed(&half, fk__shape_make(1, 1, 1, 1));
    fk__sigmoid_ref(&vz, &vh, 0, 1);
    CHECK(half == 0.5f);

    /* binary ops of one shape, a strided channel slice, an L2 normalisation */
    float ba[3] = {6, -2, 1}, bb[3] = {3, 4, -4}, by[3];
    fk__view vba = fk__view_packed(ba, fk__shape_make(1, 1, 1, 3)), vbb = fk__view_packed(bb, fk__shape_make(1, 1, 1, 3));
    fk__view vby = fk__view_packed(by, fk__shape_make(1, 1, 1, 3));
    fk__binary_ref(FK__BIN_SUB, &vba, &vbb, &vby, 0, 1);
    CHECK(by[0] == 3 && by[1] == -6 && by[2] == 5);
    fk__binary_ref(FK__BIN_MUL, &vba, &vbb, &vby, 0, 1);
    CHECK(by[0] == 18 && by[1] == -8 && by[2] == -4);
    fk__binary_ref(FK__BIN_DIV, &vba, &vbb, &vby, 0, 1);
    CHECK(by[0] == 2 && by[1] == -0.5f && by[2] == -0.25f);
    float sx[2 * 5] = {0, 1, 2, 3, 4, 10, 11, 12, 13, 14}, sy[2 * 2];
    fk__view vsx = fk__view_packed(sx, fk__shape_make(1, 1, 2, 5)), vsy = fk__view_packed(sy, fk__shape_make(1, 1, 2, 2));
    fk__slice_ref(&(fk__slice_args){1, 3}, &vsx, &vsy, 0, 1);
    CHECK(sy[0] == 1 && sy[1] == 4 && sy[2] == 11 && sy[3] == 14);
    float lx[2 * 2] = {3, 4, 1e-4f, 0}, ly[2 * 2];
    fk__view vlx = fk__view_packed(lx, fk__shape_make(1, 2, 1, 2)), vly = fk__view_packed(ly, fk__shape_make(1, 2, 1, 2));
    fk__l2norm_ref(1e-6f, &vlx, &vly, 0, 1);
    CHECK_NEAR(ly[0], 0.6, 1e-6);
    CHECK_NEAR(ly[1], 0.8, 1e-6);
    CHECK_NEAR(ly[2], 1e-4 / sqrt(1e-6), 1e-5); /* the sum 1e-8 below eps: divided by sqrt(eps) */

    /* concat of a 1-channel and a 2-channel tensor */
    float c1[2] = {1, 2}, c2[4] = {3, 4, 5, 6}, cc[6];
    fk__view xs[2] = {fk__view_packed(c1, fk__shape_make(1, 1, 2, 1)), fk__view_packed(c2, fk__shape_make(1, 1, 2, 2))};
    fk__view vc = fk__view_packed(cc, fk__shape_make(1, 1, 2, 3));
    fk__concat_ref(xs, 2, &vc, 0, 1);
    float wantc[6] = {1, 3, 4, 2, 5, 6};
    CHECK(memcmp(cc, wantc, sizeof cc) == 0);

    /* fc: flatten h, w, c; [2x1x2] input, weights [4][2] */
    float fx[4] = {1, 2, 3, 4}, fw[8] = {1, 0, 0, 1, 1, 0, 0, 1}, fb[2] = {0.5f, -0.5f}, fy[2];
    fk__fc_args fa = {4, 2, fw, {fb, NULL, NULL, FK__ACT_NONE, 0, NULL}};
    fk__view vfx = fk__view_packed(fx, fk__shape_make(1, 2, 1, 2)), vfy = fk__view_packed(fy, fk__shape_make(1, 1, 1, 2));
    fk__fc_ref(&fa, &vfx, &vfy, 0, 1);
    CHECK_NEAR(fy[0], 1 + 3 + 0.5, 1e-6);
    CHECK_NEAR(fy[1], 2 + 4 - 0.5, 1e-6);
}

/* A view of shape s inside a bigger buffer: `extra` unused channels after each pixel and an
 * extra pixel at the end of each row, so kernels that ignore strides fail. */
typedef struct strided {
    float *buf;
    size_t n;
    fk__view v;
} strided;

static strided make_strided(fk__shape s, int extra, float fill)
{
    strided r;
    ptrdiff_t sw = s.c + extra, sh = (ptrdiff_t)(s.w + 1) * sw, sn = (ptrdiff_t)s.h * sh;
    r.n = (size_t)(sn * s.n) + 1;
    r.buf = malloc(r.n * sizeof(float));
    for (size_t i = 0; i < r.n; i++)
        r.buf[i] = fill;
    r.v.data = r.buf;
    r.v.n = s.n;
    r.v.h = s.h;
    r.v.w = s.w;
    r.v.c = s.c;
    r.v.sc = 1;
    r.v.sw = sw;
    r.v.sh = sh;
    r.v.sn = sn;
    return r;
}

static void copy_into(strided *d, const float *packed)
{
    fk__view *v = &d->v;
    size_t k = 0;
    for (int n = 0; n < v->n; n++)
        for (int y = 0; y < v->h; y++)
            for (int x = 0; x < v->w; x++)
                for (int c = 0; c < v->c; c++)
                    *fk__at(v, n, y, x, c) = packed[k++];
}

/* Counts elements outside the view that changed from `fill`. */
static int touched_outside(const strided *d, float fill)
{
    char *inside = calloc(d->n, 1);
    const fk__view *v = &d->v;
    for (int n = 0; n < v->n; n++)
        for (int y = 0; y < v->h; y++)
            for (int x = 0; x < v->w; x++)
                for (int c = 0; c < v->c; c++)
                    inside[fk__at(v, n, y, x, c) - d->buf] = 1;
    int bad = 0;
    for (size_t i = 0; i < d->n; i++)
        bad += !inside[i] && d->buf[i] != fill;
    free(inside);
    return bad;
}

static double max_rel_diff_view(const fk__view *a, const fk__view *b)
{
    double m = 0;
    for (int n = 0; n < a->n; n++)
        for (int y = 0; y < a->h; y++)
            for (int x = 0; x < a->w; x++)
                for (int c = 0; c < a->c; c++) {
                    double p = *fk__at(a, n, y, x, c), q = *fk__at(b, n, y, x, c);
                    m = fk_test_max(m, isfinite(p) && isfinite(q) ? fabs(p - q) / (1 + fabs(p)) : NAN);
                }
    return m;
}

/* The view comparison every kernel check below goes through: a NaN or an infinity in either view,
 * wherever it sits, makes it NaN, so `d <= tol` fails. */
static void test_diff_view_nan(void)
{
    static const float bad[] = {NAN, INFINITY};
    fk__shape s = fk__shape_make(2, 3, 2, 5);
    strided a = make_strided(s, 1, 7.0f), b = make_strided(s, 2, 7.0f);
    CHECK(max_rel_diff_view(&a.v, &b.v) == 0);
    for (int k = 0; k < 2; k++)
        for (int at = 0; at < 3; at++) {
            strided *v = at == 1 ? &b : &a;
            float *p = at == 0 ? fk__at(&v->v, 0, 0, 0, 0) : at == 1 ? fk__at(&v->v, 1, 1, 1, 2) : fk__at(&v->v, 1, 2, 1, 4);
            *p = bad[k];
            CHECK_MSG(isnan(max_rel_diff_view(&a.v, &b.v)), "max_rel_diff_view passed %g at %d", (double)bad[k], at);
            *p = 7.0f;
        }
    free(a.buf);
    free(b.buf);
}

/* conv2d: reference vs an independent naive loop on strided views, then fast vs reference,
 * split across workers, on random odd shapes and every epilogue. With rows, the shapes are wide
 * rows instead (see below). */
static void test_conv_cases(int cases, bool rows)
{
    static const int ks[][2] = {{1, 1}, {3, 3}, {7, 7}, {1, 3}, {2, 2}};
    for (int t = 0; t < cases; t++) {
        int n = 1 + t % 3, h = 1 + (t * 7) % 17, w = 1 + (t * 5) % 13, cin = 1 + (t * 11) % 37, cout = 1 + (t * 13) % 29;
        if (t % 10 == 9)
            cout = 33 + t, cin = 40 + t; /* several channel blocks and a remainder */
        int kh = ks[t % 5][0], kw = ks[t % 5][1], s = 1 + t % 3;
        if (t % 15 == 0 && t > 0) {
            /* 1x1 over the input widths the AVX-512 wide kernel is compiled for, 12-pixel blocks */
            static const int wide_cin[] = {16, 24, 48, 96, 128};
            s = 1, cin = wide_cin[(t / 15) % 5], cout = 24 + 8 * (t / 15);
        }
        if (rows) {
            /* rows wide enough for the AVX-512 kernel's twelve interior pixels of one row, a 3x3 at
             * stride 1 or 2, with the ends of each row on the other paths */
            kh = kw = 3, s = 1 + t % 2, h = 4 + t % 3, w = 26 + (t * 5) % 11, cin = 8 + (t * 7) % 30;
            cout = 32 + (t * 3) % 17;
        }
        fk__padding pad = (t / 5) % 2 ? FK__PAD_VALID : FK__PAD_SAME;
        int oh, ow, pt, pl;
        if (!fk__pad_axis(h, kh, s, pad, &oh, &pt) || !fk__pad_axis(w, kw, s, pad, &ow, &pl))
            continue;
        if (t % 7 == 3 && !(kh == 1 && kw == 1 && s == 1)) {
            /* explicit, asymmetric padding (TensorFlow's EXPLICIT, or a Pad before the conv), some
             * of it wider than the kernel so whole output rows see only zeros */
            int pb = 2 - t % 2, pr = 1 + t % 3;
            pt = 1 + t % 2, pl = t % 3;
            if (h + pt + pb < kh || w + pl + pr < kw)
                continue;
            oh = (h + pt + pb - kh) / s + 1, ow = (w + pl + pr - kw) / s + 1;
        }
        float *x = rnd((size_t)n * h * w * cin), *wt = rnd((size_t)kh * kw * cin * cout);
        float *bias = rnd((size_t)cout), *scale = rnd((size_t)cout), *shift = rnd((size_t)cout);
        float *slopes = rnd((size_t)cout); /* read by FK__ACT_PRELU only */
        fk__epilogue ep = {t % 2 ? bias : NULL, t % 4 < 2 ? scale : NULL, t % 3 ? shift : NULL,
                           (fk__act)(t % FK__ACT_COUNT), 0.1f, slopes};
        fk__conv2d_args a = {kh, kw, s, s, pt, pl, cin, cout, wt, ep, NULL};
        fk__shape ys = fk__shape_make(n, oh, ow, cout);
        strided sx = make_strided(fk__shape_make(n, h, w, cin), t % 3, 0), sref = make_strided(ys, 2, 7.0f);
        strided sfast = make_strided(ys, 1 + t % 2, 7.0f), ssplit = make_strided(ys, 0, 7.0f);
        copy_into(&sx, x);
        fk__conv2d_ref(&a, &sx.v, &sref.v, 0, 1);
        double worst = 0;
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int co = 0; co < cout; co++) {
                        float want = fk__epilogue_apply(&ep, co, naive_conv(x, h, w, cin, wt, kh, kw, cout, s, s, pt,
                                                                           pl, b, oy, ox, co));
                        double d = fabs(want - *fk__at(&sref.v, b, oy, ox, co)) / (1 + fabs(want));
                        worst = fk_test_max(worst, isfinite(want) ? d : NAN);
                    }
        CHECK_MSG(worst <= 1e-5, "conv ref vs naive %.3g (case %d)", worst, t);
        CHECK_MSG(touched_outside(&sref, 7.0f) == 0, "conv ref wrote outside its view (case %d)", t);

        size_t scratch_n = fk__conv2d_gemm_scratch(&a, &sfast.v);
        float *scratch = malloc((scratch_n ? scratch_n : 1) * sizeof(float));
        fk__conv2d_gemm(&a, &sx.v, &sfast.v, scratch, 0, 1);
        double d = max_rel_diff_view(&sref.v, &sfast.v);
        CHECK_MSG(d <= 1e-5, "conv gemm vs ref %.3g (case %d: %dx%dx%d k%dx%d s%d -> %d)", d, t, h, w, cin, kh, kw, s,
                  cout);
        CHECK_MSG(touched_outside(&sfast, 7.0f) == 0, "conv gemm wrote outside its view (case %d)", t);
        int nth = 1 + t % 4;
        for (int ith = 0; ith < nth; ith++)
            fk__conv2d_gemm(&a, &sx.v, &ssplit.v, scratch, ith, nth);
        CHECK_MSG(max_rel_diff_view(&sref.v, &ssplit.v) <= 1e-5, "conv gemm split in %d vs ref (case %d)", nth, t);
        float *packed = calloc(fk__conv2d_packed_floats(&a), sizeof(float));
        fk__conv2d_pack(&a, packed);
        a.packed = packed;
        {
            /* a graph that owns its weights keeps only the packed panels: ref and GEMM read those */
            fk__conv2d_args only_packed = a;
            only_packed.weights = NULL;
            strided sp = make_strided(ys, 1, 7.0f);
            fk__conv2d_ref(&only_packed, &sx.v, &sp.v, 0, 1);
            CHECK_MSG(max_rel_diff_view(&sref.v, &sp.v) == 0, "conv ref on packed weights differs (case %d)", t);
            fk__conv2d_gemm(&only_packed, &sx.v, &sp.v, scratch, 0, 1);
            d = max_rel_diff_view(&sref.v, &sp.v);
            CHECK_MSG(d <= 1e-5, "conv gemm on packed weights vs ref %.3g (case %d)", d, t);
            CHECK_MSG(touched_outside(&sp, 7.0f) == 0, "conv gemm on packed weights wrote outside (case %d)", t);
            free(sp.buf);
        }
        /* the direct tiers: each against the reference, split across workers, on packed views, and
         * AVX-512 bitwise against AVX2 (one FMA chain per output, in the same order) */
        typedef void (*conv_fn)(const fk__conv2d_args *, const fk__view *, const fk__view *, const fk__residual *,
                                int, int);
        const struct {
            const char *name;
            bool have;
            conv_fn fn;
        } tiers[] = {{"avx2", fk__cpu_has_avx2_fma(), fk__conv2d_avx2}, {"avx512", fk__cpu_has_avx512(), fk__conv2d_avx512}};
        strided sfirst = make_strided(ys, 0, 7.0f);
        for (int k = 0; k < 2; k++) {
            if (!tiers[k].have) {
                if (t == 0)
                    fk_test_not_applicable(k ? "conv avx512 kernel" : "conv avx2 kernel", "this CPU lacks the instructions");
                continue;
            }
            const char *tn = tiers[k].name;
            strided savx = make_strided(ys, t % 3, 7.0f), savx_split = make_strided(ys, 1, 7.0f);
            CHECK(fk__conv2d_avx2_fits(&a, &sx.v, &savx.v));
            tiers[k].fn(&a, &sx.v, &savx.v, NULL, 0, 1);
            d = max_rel_diff_view(&sref.v, &savx.v);
            CHECK_MSG(d <= 1e-5, "conv %s vs ref %.3g (case %d: %dx%dx%d k%dx%d s%d -> %d)", tn, d, t, h, w, cin, kh,
                      kw, s, cout);
            CHECK_MSG(touched_outside(&savx, 7.0f) == 0, "conv %s wrote outside its view (case %d)", tn, t);
            for (int ith = 0; ith < nth; ith++)
                tiers[k].fn(&a, &sx.v, &savx_split.v, NULL, ith, nth);
            /* any split gives bitwise the same values, and every tier the first tier's */
            int same = 1, same_tier = 1;
            for (int b = 0; b < n; b++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                        for (int co = 0; co < cout; co++) {
                            float v = *fk__at(&savx.v, b, oy, ox, co);
                            same &= v == *fk__at(&savx_split.v, b, oy, ox, co);
                            if (k == 0)
                                *fk__at(&sfirst.v, b, oy, ox, co) = v;
                            else if (tiers[0].have)
                                same_tier &= memcmp(&v, fk__at(&sfirst.v, b, oy, ox, co), sizeof v) == 0;
                        }
            CHECK_MSG(same, "conv %s split in %d differs from one worker (case %d)", tn, nth, t);
            CHECK_MSG(same_tier, "conv %s differs bitwise from avx2 (case %d)", tn, t);
            /* packed views, as a plan gives them: the 1x1 path over consecutive pixels */
            float *yp = malloc(sizeof(float) * (size_t)n * oh * ow * cout);
            fk__view vx = fk__view_packed(x, fk__shape_make(n, h, w, cin)), vy = fk__view_packed(yp, ys);
            for (int ith = 0; ith < nth; ith++)
                tiers[k].fn(&a, &vx, &vy, NULL, ith, nth);
            d = max_rel_diff_view(&sref.v, &vy);
            CHECK_MSG(d <= 1e-5, "conv %s on packed views vs ref %.3g (case %d: k%dx%d s%d)", tn, d, t, kh, kw, s);
            /* a fused residual: bitwise what the add after the convolution gives, with a residual of
             * fewer channels where the case allows (zero extension) */
            int rc = cout > 3 && t % 2 ? cout - 3 : cout;
            float *rv = rnd((size_t)n * oh * ow * rc), *sum = malloc(sizeof(float) * (size_t)n * oh * ow * cout);
            fk__residual res = {fk__view_packed(rv, fk__shape_make(n, oh, ow, rc)),
                                {NULL, NULL, NULL, (fk__act)((t + 1) % FK__ACT_COUNT), 0.3f, slopes}};
            fk__view vsum = fk__view_packed(sum, ys);
            CHECK(fk__residual_fits(&res.r, &vy));
            fk__add_ref(&vy, &res.r, &vsum, &res.ep, 0, 1);
            for (int ith = 0; ith < nth; ith++)
                tiers[k].fn(&a, &vx, &vy, &res, ith, nth);
            CHECK_MSG(memcmp(sum, yp, sizeof(float) * (size_t)n * oh * ow * cout) == 0,
                      "conv %s with a fused residual differs from conv then add (case %d)", tn, t);
            free(rv);
            free(sum);
            free(yp);
            free(savx.buf);
            free(savx_split.buf);
        }
        free(sfirst.buf);
        free(packed);
        free(scratch);
        free(sx.buf);
        free(sref.buf);
        free(sfast.buf);
        free(ssplit.buf);
        free(x);
        free(wt);
        free(bias);
        free(scale);
        free(shift);
        free(slopes);
    }
}

static void test_conv_random(void)
{
    test_conv_cases(76, false);
}

static void test_dwconv_random(void)
{
    for (int t = 0; t < 46; t++) {
        int n = 1 + t % 2, h = 1 + (t * 7) % 19, w = 1 + (t * 3) % 11 + (t % 4 == 1 ? 20 : 0), c = 1 + (t * 17) % 41;
        if (t == 39)
            c = 1100; /* wider than the fast kernel's stack row: falls back to the reference */
        if (t % 8 == 5)
            c = 24 + 24 * (t % 3); /* BlazeFace's widths: whole and partial vectors of both tiers */
        if (t == 16 || t == 18)
            c = t == 16 ? 3 : 8, w = 70; /* flat runs of 64 and 24 pixels (AVX-512) */
        int k = t % 3 == 0 ? 1 : t % 6 == 4 ? 5 : 3, s = 1 + t % 2;
        if (t >= 40) /* whole vectors of channels, rows of 8+ pixels: the AVX-512 3-wide sweep */
            c = 16 * (t - 39), w = 29 + t % 3, h = 5 + t % 4, k = 3;
        fk__padding pad = t % 4 < 2 ? FK__PAD_SAME : FK__PAD_VALID;
        int oh, ow, pt, pl;
        if (!fk__pad_axis(h, k, s, pad, &oh, &pt) || !fk__pad_axis(w, k, s, pad, &ow, &pl))
            continue;
        if (t % 5 == 2) {
            /* explicit, asymmetric padding, some wider than the kernel */
            int pb = t % 3, pr = 1 + t % 2;
            pt = 1 + t % 4, pl = 2;
            if (h + pt + pb < k || w + pl + pr < k)
                continue;
            oh = (h + pt + pb - k) / s + 1, ow = (w + pl + pr - k) / s + 1;
        }
        float *x = rnd((size_t)n * h * w * c), *wt = rnd((size_t)k * k * c), *bias = rnd((size_t)c);
        float *slopes = rnd((size_t)c);
        fk__dwconv_args a = {k, k, s, s, pt, pl, c, wt,
                             {t % 2 ? bias : NULL, NULL, NULL, (fk__act)(t % FK__ACT_COUNT), 0.2f, slopes}};
        fk__shape ys = fk__shape_make(n, oh, ow, c);
        strided sx = make_strided(fk__shape_make(n, h, w, c), t % 2, 0);
        strided sref = make_strided(ys, 0, 3.0f), sfast = make_strided(ys, 1, 3.0f);
        copy_into(&sx, x);
        fk__dwconv_ref(&a, &sx.v, &sref.v, 0, 1);
        /* independent check of one output per case */
        int ch = c - 1, oy = oh - 1, ox = ow / 2;
        double want = 0;
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                int iy = oy * s + ky - pt, ix = ox * s + kx - pl;
                if (iy >= 0 && ix >= 0 && iy < h && ix < w)
                    want += (double)x[(((size_t)(n - 1) * h + iy) * w + ix) * c + ch] * wt[(ky * k + kx) * c + ch];
            }
        float wf = fk__epilogue_apply(&a.ep, ch, (float)want);
        CHECK_NEAR(*fk__at(&sref.v, n - 1, oy, ox, ch), wf, 1e-5 * (1 + fabs(wf)));
        int nth = 1 + t % 3;
        for (int ith = 0; ith < nth; ith++)
            fk__dwconv_fast(&a, &sx.v, &sfast.v, ith, nth);
        double d = max_rel_diff_view(&sref.v, &sfast.v);
        CHECK_MSG(d <= 1e-5, "dwconv fast vs ref %.3g (case %d)", d, t);
        CHECK_MSG(touched_outside(&sfast, 3.0f) == 0, "dwconv fast wrote outside its view (case %d)", t);
        strided sfirst = make_strided(ys, 0, 3.0f);
        for (int tier = 0; tier < 2; tier++) {
            if (!(tier ? fk__cpu_has_avx512() : fk__cpu_has_avx2_fma())) {
                if (t == 0)
                    fk_test_not_applicable(tier ? "dwconv avx512 kernel" : "dwconv avx2 kernel",
                                           "this CPU lacks the instructions");
                continue;
            }
            const char *tn = tier ? "avx512" : "avx2";
            strided savx = make_strided(ys, t % 3, 3.0f);
            for (int ith = 0; ith < nth; ith++)
                (tier ? fk__dwconv_avx512 : fk__dwconv_avx2)(&a, &sx.v, &savx.v, ith, nth);
            d = max_rel_diff_view(&sref.v, &savx.v);
            CHECK_MSG(d <= 1e-5, "dwconv %s vs ref %.3g (case %d)", tn, d, t);
            CHECK_MSG(touched_outside(&savx, 3.0f) == 0, "dwconv %s wrote outside its view (case %d)", tn, t);
            int same = 1;
            for (int b = 0; b < n; b++)
                for (int yy = 0; yy < oh; yy++)
                    for (int xx = 0; xx < ow; xx++)
                        for (int cc = 0; cc < c; cc++) {
                            float v = *fk__at(&savx.v, b, yy, xx, cc);
                            if (tier == 0)
                                *fk__at(&sfirst.v, b, yy, xx, cc) = v;
                            else if (fk__cpu_has_avx2_fma())
                                same &= memcmp(&v, fk__at(&sfirst.v, b, yy, xx, cc), sizeof v) == 0;
                        }
            CHECK_MSG(same, "dwconv %s differs bitwise from avx2 (case %d)", tn, t);
            free(savx.buf);
        }
        free(sfirst.buf);
        free(sx.buf);
        free(sref.buf);
        free(sfast.buf);
        free(x);
        free(wt);
        free(bias);
        free(slopes);
    }
}

static void test_fc_random(void)
{
    for (int t = 0; t < 20; t++) {
        int n = 1 + t % 4, h = 1 + t % 3, w = 1 + (t * 5) % 4, c = 1 + (t * 7) % 33, m = 1 + (t * 11) % 23;
        int k = h * w * c;
        float *x = rnd((size_t)n * k), *wt = rnd((size_t)k * m), *bias = rnd((size_t)m), *slopes = rnd((size_t)m);
        float *yr = malloc((size_t)n * m * sizeof(float)), *yb = malloc((size_t)n * m * sizeof(float));
        fk__fc_args a = {k, m, wt, {t % 2 ? bias : NULL, NULL, NULL, (fk__act)(t % FK__ACT_COUNT), 0.1f, slopes}};
        fk__view vx = fk__view_packed(x, fk__shape_make(n, h, w, c));
        fk__view vr = fk__view_packed(yr, fk__shape_make(n, 1, 1, m)), vb = fk__view_packed(yb, fk__shape_make(n, 1, 1, m));
        fk__fc_ref(&a, &vx, &vr, 0, 1);
        int nth = 1 + t % 3;
        for (int ith = 0; ith < nth; ith++)
            fk__fc_blas(&a, &vx, &vb, ith, nth);
        CHECK_MSG(max_rel_diff_view(&vr, &vb) <= 1e-5, "fc blas vs ref (case %d)", t);
        free(x);
        free(wt);
        free(bias);
        free(slopes);
        free(yr);
        free(yb);
    }
}

/* Each SIMD pooling tier the CPU has against fk__pool_fast (bitwise: the same operations in
 * the same order) on the output view of want, and nothing written outside its view. */
static void check_pool_tiers(const fk__pool_args *pa, const fk__view *x, const strided *want, int t)
{
    static const struct {
        const char *name;
        void (*run)(const fk__pool_args *, const fk__view *, const fk__view *, int, int);
    } tiers[] = {{"avx2", fk__pool_avx2}, {"avx512", fk__pool_avx512}};
    for (int tier = 0; tier < 2; tier++) {
        if (!(tier ? fk__cpu_has_avx512() : fk__cpu_has_avx2_fma())) {
            if (t == 0)
                fk_test_not_applicable(tier ? "pool avx512 kernel" : "pool avx2 kernel",
                                       "this CPU lacks the instructions");
            continue;
        }
        fk__shape ys = fk__view_shape(&want->v);
        strided got = make_strided(ys, t % 3, 5.0f);
        int nth = 1 + t % 3;
        for (int ith = 0; ith < nth; ith++)
            tiers[tier].run(pa, x, &got.v, ith, nth);
        int same = 1;
        for (int b = 0; b < ys.n; b++)
            for (int yy = 0; yy < ys.h; yy++)
                for (int xx = 0; xx < ys.w; xx++)
                    same &= memcmp(fk__at(&got.v, b, yy, xx, 0), fk__at(&want->v, b, yy, xx, 0),
                                   (size_t)ys.c * sizeof(float)) == 0;
        CHECK_MSG(same, "pool %s differs bitwise from pool fast (case %d, %d channels)", tiers[tier].name, t, ys.c);
        CHECK_MSG(touched_outside(&got, 5.0f) == 0, "pool %s wrote outside its view (case %d)", tiers[tier].name, t);
        free(got.buf);
    }
}

/* Pooling past one register block of channels (64 with AVX-512, 32 with AVX2): every tier
 * against the reference and fk__pool_fast. */
static void test_pool_wide(void)
{
    static const int chans[] = {63, 64, 65, 96, 127, 130, 256};
    for (int t = 0; t < (int)(sizeof chans / sizeof *chans); t++) {
        int n = 1 + t % 2, h = 5 + t, w = 4 + 2 * t, c = chans[t], k = 2 + t % 2, s = 1 + t % 2;
        int oh, ow, pt, pl;
        CHECK(fk__pad_axis(h, k, s, FK__PAD_SAME, &oh, &pt) && fk__pad_axis(w, k, s, FK__PAD_SAME, &ow, &pl));
        fk__shape xs = fk__shape_make(n, h, w, c), ys = fk__shape_make(n, oh, ow, c);
        float *x = rnd((size_t)n * h * w * c);
        strided sx = make_strided(xs, t % 2, 0);
        copy_into(&sx, x);
        for (int kind = 0; kind < FK__POOL_COUNT; kind++) {
            fk__pool_args pa = {(fk__pool_kind)kind, k, k, s, s, pt, pl};
            strided pr = make_strided(ys, 0, 5.0f), pf = make_strided(ys, 1, 5.0f);
            fk__pool_ref(&pa, &sx.v, &pr.v, 0, 1);
            fk__pool_fast(&pa, &sx.v, &pf.v, 0, 1);
            CHECK_MSG(max_rel_diff_view(&pr.v, &pf.v) <= 1e-6, "pool fast vs ref (%d channels)", c);
            check_pool_tiers(&pa, &sx.v, &pf, 100 + t);
            free(pr.buf);
            free(pf.buf);
        }
        free(sx.buf);
        free(x);
    }
}

/* pooling, add and affine: the packed-channel fast variants against the reference. */
static void test_eltwise_fast_random(void)
{
    for (int t = 0; t < 40; t++) {
        int n = 1 + t % 2, h = 1 + (t * 7) % 19, w = 1 + (t * 3) % 11, c = 1 + (t * 17) % 41;
        int k = 1 + t % 3, s = 1 + (t / 3) % 2;
        fk__padding pad = t % 4 < 2 ? FK__PAD_SAME : FK__PAD_VALID;
        int oh, ow, pt, pl;
        if (!fk__pad_axis(h, k, s, pad, &oh, &pt) || !fk__pad_axis(w, k, s, pad, &ow, &pl))
            continue;
        fk__shape xs = fk__shape_make(n, h, w, c), ys = fk__shape_make(n, oh, ow, c);
        float *x = rnd((size_t)n * h * w * c), *x2 = rnd((size_t)n * h * w * c), *sc = rnd((size_t)c), *sh = rnd((size_t)c);
        float *sl = rnd((size_t)c);
        strided sx = make_strided(xs, t % 2, 0), sx2 = make_strided(xs, 1 - t % 2, 0);
        copy_into(&sx, x);
        copy_into(&sx2, x2);
        fk__pool_args pa = {(fk__pool_kind)(t % 2), k, k, s, s, pt, pl};
        strided pr = make_strided(ys, 0, 5.0f), pf = make_strided(ys, 1 + t % 2, 5.0f);
        fk__pool_ref(&pa, &sx.v, &pr.v, 0, 1);
        CHECK(fk__pool_fast_fits(&pa, &sx.v, &pf.v));
        int nth = 1 + t % 3;
        for (int ith = 0; ith < nth; ith++)
            fk__pool_fast(&pa, &sx.v, &pf.v, ith, nth);
        CHECK_MSG(max_rel_diff_view(&pr.v, &pf.v) <= 1e-6, "pool fast vs ref (case %d)", t);
        CHECK_MSG(touched_outside(&pf, 5.0f) == 0, "pool fast wrote outside its view (case %d)", t);
        check_pool_tiers(&pa, &sx.v, &pf, t);

        /* every activation in turn, FK__ACT_PRELU with per-channel slopes (sl), and in every
         * fifth case a scale and shift after the add too */
        fk__act act = (fk__act)(t % FK__ACT_COUNT);
        const fk__epilogue aep = {NULL, t % 5 == 4 ? sc : NULL, t % 5 == 4 ? sh : NULL, act, 0.1f, sl};
        strided ar = make_strided(xs, 0, 5.0f), af = make_strided(xs, 2, 5.0f);
        fk__add_ref(&sx.v, &sx2.v, &ar.v, &aep, 0, 1);
        CHECK(fk__add_fast_fits(&sx.v, &sx2.v, &af.v));
        for (int ith = 0; ith < nth; ith++)
            fk__add_fast(&sx.v, &sx2.v, &af.v, &aep, ith, nth);
        CHECK_MSG(max_rel_diff_view(&ar.v, &af.v) == 0, "add fast vs ref (case %d)", t);
        CHECK_MSG(touched_outside(&af, 5.0f) == 0, "add fast wrote outside its view (case %d)", t);
        if (fk__cpu_has_avx2_fma()) {
            strided av = make_strided(xs, 1 + t % 2, 5.0f);
            CHECK(fk__add_avx2_fits(&sx.v, &sx2.v, &av.v));
            for (int ith = 0; ith < nth; ith++)
                fk__add_avx2(&sx.v, &sx2.v, &av.v, &aep, ith, nth);
            CHECK_MSG(max_rel_diff_view(&ar.v, &av.v) == 0, "add avx2 vs ref (case %d, %d channels)", t, c);
            CHECK_MSG(touched_outside(&av, 5.0f) == 0, "add avx2 wrote outside its view (case %d)", t);
            free(av.buf);
        } else if (t == 0) {
            fk_test_not_applicable("add avx2 kernel", "this CPU has no AVX2+FMA");
        }

        fk__affine_args fa = {t % 2 ? sc : NULL, t % 3 ? sh : NULL, act, 0.1f, sl};
        strided fr = make_strided(xs, 1, 5.0f), ff = make_strided(xs, 0, 5.0f);
        fk__affine_ref(&fa, &sx.v, &fr.v, 0, 1);
        for (int ith = 0; ith < nth; ith++)
            fk__affine_fast(&fa, &sx.v, &ff.v, ith, nth);
        CHECK_MSG(max_rel_diff_view(&fr.v, &ff.v) == 0, "affine fast vs ref (case %d)", t);
        CHECK_MSG(touched_outside(&ff, 5.0f) == 0, "affine fast wrote outside its view (case %d)", t);
        strided *all[] = {&sx, &sx2, &pr, &pf, &ar, &af, &fr, &ff};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            free(all[i]->buf);
        free(x);
        free(x2);
        free(sc);
        free(sh);
        free(sl);
    }
}

int main(void)
{
    test_diff_view_nan();
    test_padding_rules();
    test_conv_hand();
    test_dwconv_hand();
    test_pool_hand();
    test_pool_wide();
    test_elementwise_hand();
    test_conv_random();
    test_dwconv_random();
    test_fc_random();
    test_eltwise_fast_random();
    /* last, on its own stream, so the cases above keep the data their tolerances were set on */
    g_seed = 777u;
    test_conv_cases(12, true);
    return fk_test_finish("kernels");
}
