/* peak.c: fp32 FMA peak per thread and instruction set: 12 independent chains of explicit FMA intrinsics, so nothing depends on the compiler contracting a*b+c (ISO C mode does not). */
#include "peak.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define ROUNDS 20000000L

#if defined(__x86_64__) || defined(__i386__)
/* Twelve chains hide the FMA latency (4 cycles) on two FMA ports; the sink keeps them live. */
#define CHAINS(V, SET1, FMA, LANES)                                                                                 \
    V a0 = SET1(0.1f), a1 = SET1(0.2f), a2 = SET1(0.3f), a3 = SET1(0.4f), a4 = SET1(0.5f), a5 = SET1(0.6f);       \
    V a6 = SET1(0.7f), a7 = SET1(0.8f), a8 = SET1(0.9f), a9 = SET1(1.0f), a10 = SET1(1.1f), a11 = SET1(1.2f);     \
    V m = SET1(0.999999f), c = SET1(1e-7f);                                                                         \
    double t0 = now_s();                                                                                            \
    for (long r = 0; r < ROUNDS; r++) {                                                                             \
        a0 = FMA(a0, m, c), a1 = FMA(a1, m, c), a2 = FMA(a2, m, c), a3 = FMA(a3, m, c);                             \
        a4 = FMA(a4, m, c), a5 = FMA(a5, m, c), a6 = FMA(a6, m, c), a7 = FMA(a7, m, c);                             \
        a8 = FMA(a8, m, c), a9 = FMA(a9, m, c), a10 = FMA(a10, m, c), a11 = FMA(a11, m, c);                         \
    }                                                                                                               \
    double s = now_s() - t0;                                                                                        \
    float sink[LANES];                                                                                              \
    V all = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;                                            \
    __builtin_memcpy(sink, &all, sizeof sink);                                                                      \
    if (sink[0] == 12345.0f)                                                                                        \
        puts("");                                                                                                   \
    return 2.0 * LANES * 12 * (double)ROUNDS / (s * 1e9);

__attribute__((target("avx2,fma"), noinline)) static double run_avx2(void)
{
    CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)
}

__attribute__((target("avx512f"), noinline)) static double run_avx512(void)
{
    CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)
}
#endif

const char *fk_peak_isa_name(fk_peak_isa isa)
{
    return isa == FK_PEAK_AVX512 ? "avx512f" : "avx2+fma";
}

int fk_peak_isa_available(fk_peak_isa isa)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (isa == FK_PEAK_AVX512)
        return __builtin_cpu_supports("avx512f");
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    (void)isa;
    return 0;
#endif
}

double fk_peak_gflops(fk_peak_isa isa, int tries)
{
    if (!fk_peak_isa_available(isa))
        return 0;
    double best = 0;
    for (int k = 0; k < tries; k++) {
#if defined(__x86_64__) || defined(__i386__)
        double g = isa == FK_PEAK_AVX512 ? run_avx512() : run_avx2();
#else
        double g = 0;
#endif
        if (g > best)
            best = g;
    }
    return best;
}

double fk_peak_best(fk_peak_isa *isa)
{
    *isa = fk_peak_isa_available(FK_PEAK_AVX512) ? FK_PEAK_AVX512 : FK_PEAK_AVX2;
    return fk_peak_gflops(*isa, 5);
}

double fk_peak_read_gbs(size_t bytes, int tries)
{
    size_t n = bytes / sizeof(uint64_t);
    uint64_t *buf = n ? malloc(n * sizeof *buf) : NULL;
    if (!buf)
        return 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = i;
    double best = 0;
    volatile uint64_t sink = 0;
    for (int t = 0; t < tries + 1; t++) {
        /* eight independent sums the compiler vectorises: the loads, not the adds, set the pace */
        uint64_t s[8] = {0};
        double t0 = now_s();
        for (size_t i = 0; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; k++)
                s[k] += buf[i + k];
        double dt = now_s() - t0;
        for (int k = 0; k < 8; k++)
            sink += s[k];
        if (t > 0 && dt > 0 && bytes / dt / 1e9 > best) /* the first pass warms the caches it fits */
            best = (double)bytes / dt / 1e9;
    }
    free(buf);
    return best;
}
