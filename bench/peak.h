/* peak.h: the measured fp32 FMA peak of one core for each vector instruction set this CPU has, the yardstick every share of peak is quoted against. */
#ifndef FK_BENCH_PEAK_H
#define FK_BENCH_PEAK_H

#include <stddef.h>

typedef enum fk_peak_isa { FK_PEAK_AVX2 = 0, FK_PEAK_AVX512, FK_PEAK_COUNT } fk_peak_isa;

/* "avx2+fma" or "avx512f". */
const char *fk_peak_isa_name(fk_peak_isa isa);
/* Whether this CPU (and OS) runs it. */
int fk_peak_isa_available(fk_peak_isa isa);
/* GFLOP/s of one thread: the best of `tries` timed loops of 12 independent FMA chains (a
 * multiply-add counts 2), 0 where the ISA is missing. */
double fk_peak_gflops(fk_peak_isa isa, int tries);
/* GB/s one thread reads from a buffer of `bytes` (touched first), read again and again: the best
 * of `tries` passes. Past the caches this is the memory bandwidth a batch-1 net's weights stream at. */
double fk_peak_read_gbs(size_t bytes, int tries);
/* The peak of the widest ISA the fast kernels use here (AVX-512 where present). */
double fk_peak_best(fk_peak_isa *isa);

#endif
