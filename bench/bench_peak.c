/* bench_peak.c: make peak: this machine's fp32 FMA peak per thread for each instruction set it has, as a table and as JSON. */
#include <stdio.h>
#include <string.h>

#include "peak.h"

int main(int argc, char **argv)
{
    int json = argc > 1 && !strcmp(argv[1], "--json");
    if (argc > 1 && !json) {
        fprintf(stderr, "usage: bench_peak [--json]\n  the fp32 FMA peak of one thread per instruction set "
                        "(12 independent chains, best of 5),\n  and one thread's read bandwidth over 1 MB and 24 MB\n");
        return 2;
    }
    double g[FK_PEAK_COUNT];
    for (int i = 0; i < FK_PEAK_COUNT; i++)
        g[i] = fk_peak_gflops((fk_peak_isa)i, 5);
    /* one thread's read bandwidth: from L2 (1 MB), and past L2 (24 MB, about a ResNet's weights;
     * L3 or memory, as this machine's caches go) */
    double l2 = fk_peak_read_gbs((size_t)1 << 20, 20), big = fk_peak_read_gbs((size_t)24 << 20, 5);
    if (json) {
        printf("{");
        for (int i = 0; i < FK_PEAK_COUNT; i++)
            printf("%s\"%s\":%.1f", i ? "," : "", fk_peak_isa_name((fk_peak_isa)i), g[i]);
        printf(",\"read_gbs_1mb\":%.1f,\"read_gbs_24mb\":%.1f}\n", l2, big);
        return 0;
    }
    printf("| instruction set | fp32 FMA peak, one thread |\n| --- | --- |\n");
    for (int i = 0; i < FK_PEAK_COUNT; i++) {
        if (g[i] > 0)
            printf("| %s | %.1f GFLOP/s |\n", fk_peak_isa_name((fk_peak_isa)i), g[i]);
        else
            printf("| %s | not on this CPU |\n", fk_peak_isa_name((fk_peak_isa)i));
    }
    printf("\n| read bandwidth, one thread | GB/s |\n| --- | --- |\n| 1 MB buffer | %.1f |\n| 24 MB buffer | %.1f |\n", l2,
           big);
    return 0;
}
