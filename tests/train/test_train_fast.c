/* test_train_fast.c: the fast, threaded forward and backward passes against the reference kernels on odd shapes and batches, at 1 to 3 threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/train.h"
#include "harness.h"
#include "train/loss.h"
#include "train/net_internal.h"

static double rel(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return m > 0 ? d / m : d;
}

static void compare_at(const char *arch, int h, int w, int c, int n, int threads)
{
    fk_train_set_threads(threads);
    fk_error err = {0};
    fk_tnet *ref = NULL, *fast = NULL;
    CHECK_OK(fk_tnet_new(arch, h, w, c, 11, &ref, &err));
    CHECK_OK(fk_tnet_new(arch, h, w, c, 11, &fast, &err));
    if (!ref || !fast) {
        fprintf(stderr, "%s: %s\n", arch, err.message);
        return;
    }
    fk_tnet_set_reference(ref, 1);
    size_t in = (size_t)n * h * w * c, d = (size_t)n * fk_tnet_out_dim(ref), np = fk_tnet_param_count(ref);
    float *x = malloc(in * sizeof *x), *up = malloc(d * sizeof *up), *yr = malloc(d * sizeof *yr);
    uint64_t s = 99;
    for (size_t i = 0; i < in; i++)
        x[i] = (float)fk__tr_gauss(&s);
    for (size_t i = 0; i < d; i++)
        up[i] = (float)fk__tr_gauss(&s);
    const float *y;
    CHECK_OK(fk_tnet_forward(ref, x, n, 1, &y, &err));
    memcpy(yr, y, d * sizeof *yr);
    CHECK_OK(fk_tnet_forward(fast, x, n, 1, &y, &err));
    double ey = rel(y, yr, d);
    fk_tnet_zero_grad(ref);
    fk_tnet_zero_grad(fast);
    CHECK_OK(fk_tnet_backward(ref, up, &err));
    CHECK_OK(fk_tnet_backward(fast, up, &err));
    double eg = rel(fk_tnet_grads(fast), fk_tnet_grads(ref), np);
    /* the running statistics too: they are the model's at inference */
    double es = 0;
    float *sr = ref->state, *sf = fast->state;
    size_t ns = ref->nstate, nf = fast->nstate;
    CHECK(ns == nf);
    if (ns && ns == nf)
        es = rel(sf, sr, ns);
    printf("  %-52s %2dx%2dx%d batch %d, %d threads: output %.1e, gradients %.1e, state %.1e\n", arch, h, w, c, n,
           threads, ey, eg, es);
    CHECK_MSG(ey <= 1e-5 && eg <= 1e-5 && es <= 1e-5, "%s at %d threads: the fast path differs from the reference by %.3g / %.3g / %.3g", arch,
              threads, ey, eg, es);
    free(x), free(up), free(yr);
    fk_tnet_free(ref), fk_tnet_free(fast);
}

static void compare(const char *arch, int h, int w, int c, int n)
{
    for (int t = 1; t <= 3; t++)
        compare_at(arch, h, w, c, n, t);
}

/* the same thread count twice: the same bits */
static void repeat(const char *arch, int h, int w, int c, int n, int threads)
{
    fk_train_set_threads(threads);
    fk_error err = {0};
    float *first = NULL;
    size_t np = 0;
    for (int rep = 0; rep < 2; rep++) {
        fk_tnet *net = NULL;
        CHECK_OK(fk_tnet_new(arch, h, w, c, 5, &net, &err));
        if (!net)
            return;
        size_t in = (size_t)n * h * w * c, d = (size_t)n * fk_tnet_out_dim(net);
        float *x = malloc(in * sizeof *x), *up = malloc(d * sizeof *up);
        uint64_t s = 7;
        for (size_t i = 0; i < in; i++)
            x[i] = (float)fk__tr_gauss(&s);
        for (size_t i = 0; i < d; i++)
            up[i] = (float)fk__tr_gauss(&s);
        const float *y;
        fk_tnet_zero_grad(net);
        CHECK_OK(fk_tnet_forward(net, x, n, 1, &y, &err));
        CHECK_OK(fk_tnet_backward(net, up, &err));
        np = fk_tnet_param_count(net);
        if (rep == 0) {
            first = malloc(np * sizeof *first);
            memcpy(first, fk_tnet_grads(net), np * sizeof *first);
        } else {
            CHECK_MSG(!memcmp(first, fk_tnet_grads(net), np * sizeof *first),
                      "%s at %d threads: two runs give different gradients", arch, threads);
        }
        free(x), free(up);
        fk_tnet_free(net);
    }
    free(first);
}

int main(void)
{
    compare("fc:7", 1, 1, 13, 5);
    compare("fc:33,relu,fc:1", 1, 1, 3, 1);
    compare("conv:5:3:2:1", 7, 9, 3, 3);  /* stride 2, odd sizes */
    compare("conv:4:1", 5, 6, 7, 2);      /* 1x1 */
    compare("conv:3:5:1:2,relu,conv:6:3:3:1", 11, 10, 2, 2); /* 5x5 padding 2, stride 3 */
    compare("conv:8:3:1:1,bn,relu,max:2:2,conv:16:3:1:1,gap,fc:10,l2", 16, 16, 3, 4);
    /* more samples than a sub-batch; 2x2 pooling on odd sides; 3x3 pooling (the general path) */
    compare("conv:8:3:1:1,bn,relu,max:2:2,conv:12:3:1:1,bn,relu,max:3:2,gap,fc:9,l2", 13, 11, 3, 37);
    compare("dw:3:1:1,prelu,lc:4:3,relu,avg:2:2,flatten,fc:5", 9, 8, 2, 5);
    compare("bn,prelu,conv:4:3:1:1,bn,relu,flatten,fc:6,bn,prelu,fc:3", 6, 5, 3, 7); /* bn and prelu first */
    compare("fc:7,relu,fc:3", 1, 1, 4, 2); /* fewer samples than threads */
    compare("conv:4:3:1:1,skip,conv:4:3:1:1,bn,relu,skip,dw:3:1:1,cat,conv:4:1,add,gap,fc:5,l2", 7, 6, 3, 5);
    compare("skip,conv:3:3:1:1,bn,relu,add", 5, 4, 3, 3); /* a branch from the input to the output */
    compare("lc:5:3:2:1,relu,lc:3:2,flatten,fc:4", 9, 7, 3, 37); /* stride 2 and padding; lc_sub splits 37 */
    compare("conv:4:3:1:1,lc:6:1,fc:3", 4, 5, 2, 1); /* 1x1, one sample */
    repeat("conv:8:3:1:1,bn,relu,max:2:2,conv:16:3:1:1,bn,relu,gap,fc:10,l2", 16, 16, 3, 21, 2);
    return fk_test_finish("train sgemm kernels");
}
