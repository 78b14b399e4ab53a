/* bench_train.c: the time of one training step (forward, loss, backward, Adam update) of a net at a batch, the figure tools/torch_train_step.py measures for PyTorch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "facekit/train.h"
#include "peak.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *arch = "small-cnn";
    int batch = 64, threads = 1, runs = 10, size = 64, forward = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--arch") && i + 1 < argc)
            arch = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--peak")) {
            const char *isa;
            fk_peak_isa which;
            double g = fk_peak_best(&which);
            isa = fk_peak_isa_name(which);
            printf("{\"peak_gflops_per_core\":%.1f,\"isa\":\"%s\"}\n", g, isa);
            return 0;
        } else if (!strcmp(argv[i], "--forward"))
            forward = 1; /* inference only: one input at a time, as an embedder runs */
        else {
            fprintf(stderr, "usage: bench_train [--arch NAME|STRING] [--batch N] [--threads N] [--runs N] [--size S] [--forward] | --peak\n");
            return 2;
        }
    }
    if (batch < 4 || batch % 4 || threads < 1 || runs < 1 || size < 8) {
        fprintf(stderr, "bench_train: --batch a multiple of 4, --threads, --runs >= 1, --size >= 8\n");
        return 2;
    }
    const char *a = fk_train_arch(arch);
    fk_error err = {0};
    fk_tnet *net = NULL;
    if (fk_tnet_new(a ? a : arch, size, size, 3, 1, &net, &err) != FK_OK) {
        fprintf(stderr, "bench_train: %s\n", err.message);
        return 1;
    }
    fk_train_set_threads(threads);
    size_t in = (size_t)batch * size * size * 3;
    int d = fk_tnet_out_dim(net);
    float *x = malloc(in * sizeof *x), *dx = malloc((size_t)batch * d * sizeof *dx);
    int *y = malloc((size_t)batch * sizeof *y);
    for (size_t i = 0; i < in; i++)
        x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1;
    for (int i = 0; i < batch; i++)
        y[i] = i % (batch / 4); /* P = batch/4 people × K = 4 */
    fk_loss_options lo;
    fk_loss_options_init(&lo, FK_LOSS_TRIPLET);
    lo.mining = FK_MINING_BATCH_HARD;
    fk_optim_options oo;
    fk_optim_options_init(&oo, FK_OPTIM_ADAM);
    fk_optim *opt = NULL;
    if (fk_optim_new(&oo, fk_tnet_param_count(net), &opt, &err) != FK_OK)
        return 1;
    double *t = malloc((size_t)(runs + 2) * sizeof *t);
    if (forward) {
        for (int r = 0; r < runs + 2; r++) {
            double t0 = now_ms();
            const float *e;
            if (fk_tnet_forward(net, x, 1, 0, &e, &err) != FK_OK)
                return 1;
            t[r] = now_ms() - t0;
        }
        qsort(t + 2, (size_t)runs, sizeof *t, cmp_d);
        printf("{\"arch\":\"%s\",\"input\":%d,\"forward_ms_median\":%.3f,\"gflop\":%.4f,\"threads\":%d}\n", arch, size,
               t[2 + runs / 2], fk_tnet_flops(net) / 1e9, threads);
        fk_optim_free(opt);
        fk_tnet_free(net);
        free(x), free(dx), free(y), free(t);
        return 0;
    }
    for (int r = 0; r < runs + 2; r++) {
        double t0 = now_ms();
        const float *e;
        fk_loss_result res;
        if (fk_tnet_forward(net, x, batch, 1, &e, &err) != FK_OK ||
            fk_loss_eval(&lo, e, batch, d, y, NULL, 0, dx, NULL, &res, &err) != FK_OK) {
            fprintf(stderr, "bench_train: %s\n", err.message);
            return 1;
        }
        fk_tnet_zero_grad(net);
        if (fk_tnet_backward(net, dx, &err) != FK_OK)
            return 1;
        fk_optim_step(opt, fk_tnet_params(net), fk_tnet_grads(net), 1e-3);
        t[r] = now_ms() - t0;
    }
    qsort(t + 2, (size_t)runs, sizeof *t, cmp_d); /* two warm-up steps left out */
    double med = t[2 + runs / 2], gflop = fk_tnet_flops(net) * 3 * batch / 1e9;
    printf("{\"arch\":\"%s\",\"input\":%d,\"batch\":%d,\"threads\":%d,\"runs\":%d,\"step_ms_median\":%.2f,"
           "\"step_ms_min\":%.2f,\"gflop_per_step\":%.3f,\"gflops\":%.1f,\"parameters\":%zu}\n",
           arch, size, batch, threads, runs, med, t[2], gflop, gflop / (med / 1e3), fk_tnet_param_count(net));
    fk_optim_free(opt);
    fk_tnet_free(net);
    free(x), free(dx), free(y), free(t);
    return 0;
}
