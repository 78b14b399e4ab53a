/* bench_tfgraph.c: TensorFlow.js graph models (models/human) run through the executor: median time per run, GFLOP/s and share of the measured peak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/load/tfgraph.h"
#include "nn/plan.h"
#include "peak.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *dir = "models/human";
    int runs = 50;
    double peak = 0;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--dir") && first + 1 < argc)
            dir = argv[++first];
        else if (!strcmp(argv[first], "--runs") && first + 1 < argc)
            runs = atoi(argv[++first]);
        else if (!strcmp(argv[first], "--peak") && first + 1 < argc) {
            ++first;
            if (!strcmp(argv[first], "auto")) {
                fk_peak_isa isa;
                peak = fk_peak_best(&isa);
                fprintf(stderr, "bench_tfgraph: measured peak %.1f GFLOP/s per thread (%s)\n", peak,
                        fk_peak_isa_name(isa));
            } else {
                peak = atof(argv[first]);
            }
        }
        else {
            fprintf(stderr, "usage: bench_tfgraph [--dir DIR] [--runs N] [--peak GFLOPS|auto] [MODEL...]\n"
                            "  one thread; MODEL is a name in DIR (models/human), e.g. blazeface; --peak adds the\n"
                            "  share of that peak each model reaches (auto: measure it here, as make peak)\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 10000)
        runs = 50;
    static const char *const dflt[] = {"antispoof", "liveness", "emotion", "gender", "gear", "blazeface",
                                       "blazeface-front", "faceres", "facemesh", "age", "iris", "mobileface", "mobilefacenet"};
    int n = first < argc ? argc - first : (int)(sizeof dflt / sizeof dflt[0]);
    double *t = malloc((size_t)runs * sizeof *t);
    if (!t)
        return 1;
    int rc = 0;
    printf("| model | input | GFLOP | ms | GFLOP/s |%s\n| --- | --- | --- | --- | --- |%s\n", peak > 0 ? " of peak |" : "",
           peak > 0 ? " --- |" : "");
    for (int m = 0; m < n; m++) {
        const char *name = first < argc ? argv[first + m] : dflt[m];
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.json", dir, name);
        fk__graph *g = NULL;
        fk__tfgraph_info info;
        fk_error err;
        fk__plan *p = NULL;
        if (fk__tfgraph_load(path, NULL, &g, &info, &err) != FK_OK ||
            fk__plan_new(g, 1, fk__kernels_from_env(), &p, &err) != FK_OK) {
            fprintf(stderr, "bench_tfgraph: %s\n", err.message);
            fk__graph_free(g);
            rc = 1;
            continue;
        }
        size_t count = (size_t)info.input_h * info.input_w * info.input_c;
        for (int r = -3; r < runs; r++) {
            float *in = fk__plan_input(p); /* a run clobbers its input */
            for (size_t i = 0; i < count; i++)
                in[i] = (float)(i % 255) / 255.0f;
            double t0 = now_ms();
            fk__plan_run(p);
            if (r >= 0)
                t[r] = now_ms() - t0;
        }
        qsort(t, (size_t)runs, sizeof *t, cmp);
        double ms = t[runs / 2], gflop = fk__graph_flops(g) / 1e9, rate = gflop / (ms / 1e3);
        printf("| %s | %dx%dx%d | %.4f | %.3f | %.1f |", name, info.input_h, info.input_w, info.input_c, gflop, ms, rate);
        if (peak > 0)
            printf(" %.0f %% |", 100 * rate / peak);
        printf("\n");
        fk__plan_free(p);
        fk__graph_free(g);
    }
    free(t);
    return rc;
}
