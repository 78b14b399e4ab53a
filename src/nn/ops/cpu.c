/* cpu.c: which instruction sets this CPU has, so fast kernels are chosen at run time. */
#include "nn/ops/ops.h"

bool fk__cpu_has_avx2_fma(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

bool fk__cpu_has_avx512(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && fk__cpu_has_avx2_fma();
#else
    return false;
#endif
}
