/* bench_conv.c: the direct convolution kernels alone on the ResNet descriptor's layer shapes and Tiny's first layer, caches warm, as GFLOP/s and share of this thread's measured peak: what the kernel reaches when nothing waits on memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/ops/ops.h"
#include "peak.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

typedef void (*conv_fn)(const fk__conv2d_args *, const fk__view *, const fk__view *, const fk__residual *, int, int);

/* The best of 5 timings of `reps` runs of one 3x3 (or k x k), stride 1, same-padded layer. */
static double time_layer(conv_fn fn, int h, int w, int cin, int cout, int k, int reps)
{
    size_t nx = (size_t)h * w * cin, ny = (size_t)h * w * cout, nw = (size_t)k * k * cin * cout;
    float *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *wt = malloc(nw * sizeof *wt);
    if (!x || !y || !wt) {
        free(x), free(y), free(wt);
        return 0;
    }
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < nw; i++)
        wt[i] = (float)(i % 5) * 0.01f;
    fk__conv2d_args a = {k, k, 1, 1, k / 2, k / 2, cin, cout, wt, {0}, NULL};
    /* 64-byte aligned, as the graph's panels are: a weight vector never splits a cache line */
    size_t pf = fk__conv2d_packed_floats(&a), pbytes = (pf * sizeof(float) + 63) / 64 * 64;
    float *packed = aligned_alloc(64, pbytes);
    double best = 0;
    if (packed) {
        fk__conv2d_pack(&a, packed);
        a.packed = packed;
        fk__view vx = fk__view_packed(x, fk__shape_make(1, h, w, cin)), vy = fk__view_packed(y, fk__shape_make(1, h, w, cout));
        for (int r = 0; r < reps; r++) /* warm: caches, and the clock's AVX-512 level */
            fn(&a, &vx, &vy, NULL, 0, 1);
        best = 1e30;
        for (int t = 0; t < 5; t++) {
            double t0 = now_ms();
            for (int r = 0; r < reps; r++)
                fn(&a, &vx, &vy, NULL, 0, 1);
            double ms = (now_ms() - t0) / reps;
            best = ms < best ? ms : best;
        }
    }
    free(packed), free(x), free(y), free(wt);
    return best;
}

#if defined(__x86_64__) || defined(__i386__)
/* The AVX-512 kernel's inner loop alone, all in L1: per input channel two weight vectors and twelve
 * broadcast inputs into 24 FMAs. Its rate is the ceiling of the kernel's design on this core. */
static float loop_w[96 * 16 * 2] __attribute__((aligned(64))), loop_x[12 * 96] __attribute__((aligned(64)));

__attribute__((target("avx512f"), noinline)) static double inner_loop_gflops(long reps)
{
    __m512 s[12], t[12];
    for (int p = 0; p < 12; p++)
        s[p] = t[p] = _mm512_set1_ps((float)p * 0.001f);
    double t0 = now_ms();
    for (long r = 0; r < reps; r++) {
        const float *w = loop_w;
        for (int c = 0; c < 96; c++, w += 16) {
            __m512 w0 = _mm512_load_ps(w), w1 = _mm512_load_ps(w + 96 * 16);
            _Pragma("GCC unroll 12") for (int p = 0; p < 12; p++) {
                __m512 b = _mm512_set1_ps(loop_x[p * 96 + c]);
                s[p] = _mm512_fmadd_ps(b, w0, s[p]);
                t[p] = _mm512_fmadd_ps(b, w1, t[p]);
            }
        }
    }
    double ms = now_ms() - t0;
    float sink = 0, v[16];
    for (int p = 0; p < 12; p++) {
        _mm512_storeu_ps(v, _mm512_add_ps(s[p], t[p]));
        sink += v[0];
    }
    if (sink == 12345.0f)
        puts("");
    return 2.0 * 16 * 24 * 96 * (double)reps / (ms * 1e6);
}
#endif

int main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: bench_conv\n  the direct convolution kernels alone, one thread, warm caches, on the\n"
                        "  ResNet descriptor's 3x3 layer shapes and Tiny's first layer; GFLOP/s and\n"
                        "  share of the measured peak\n");
        return 2;
    }
    static const int shapes[][4] = {{35, 35, 32, 32}, {17, 17, 64, 64}, {8, 8, 128, 128}, {4, 4, 256, 256},
                                     {414, 414, 3, 16}}; /* Tiny's conv0: 16 outputs, one panel */
    const struct {
        const char *name;
        int have;
        conv_fn fn;
        fk_peak_isa isa;
    } tiers[] = {{"avx2", fk__cpu_has_avx2_fma(), fk__conv2d_avx2, FK_PEAK_AVX2},
                 {"avx512", fk__cpu_has_avx512(), fk__conv2d_avx512, FK_PEAK_AVX512}};
    printf("| tier | layer (3x3, stride 1) | weights KB | ms | GFLOP/s | of peak |\n| --- | --- | --- | --- | --- | --- |\n");
    for (int k = 0; k < 2; k++) {
        if (!tiers[k].have) {
            printf("| %s | not on this CPU | | | | |\n", tiers[k].name);
            continue;
        }
        double peak = fk_peak_gflops(tiers[k].isa, 3);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int h = shapes[s][0], w = shapes[s][1], cin = shapes[s][2], cout = shapes[s][3];
            double ms = time_layer(tiers[k].fn, h, w, cin, cout, 3, 40);
            double gflop = 2.0 * h * w * cin * cout * 9 / 1e9;
            printf("| %s | %dx%dx%d -> %d | %.0f | %.3f | %.1f | %.0f %% |\n", tiers[k].name, h, w, cin, cout,
                   9.0 * cin * cout * 4 / 1024, ms, gflop / (ms / 1e3), 100 * gflop / (ms / 1e3) / peak);
        }
    }
#if defined(__x86_64__) || defined(__i386__)
    if (fk__cpu_has_avx512()) {
        double best = 0, peak = fk_peak_gflops(FK_PEAK_AVX512, 3);
        for (int t = 0; t < 4; t++) {
            double g = inner_loop_gflops(200000);
            best = g > best ? g : best;
        }
        printf("| avx512 | the inner loop alone (24 FMAs, 2 loads, 12 broadcasts; L1) | | | %.1f | %.0f %% |\n", best,
               100 * best / peak);
    }
#endif
    return 0;
}
