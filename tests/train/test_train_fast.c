/* test_train_fast.c: the sgemm fully connected and convolution layers against the reference kernels, forward and backward, on odd shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/train.h"
#include "harness.h"
#include "train/loss.h"

static double rel(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return m > 0 ? d / m : d;
}

static void compare(const char *arch, int h, int w, int c, int n)
{
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
    printf("  %-44s %2dx%2dx%d batch %d: output %.1e, gradients %.1e\n", arch, h, w, c, n, ey, eg);
    CHECK_MSG(ey <= 1e-5 && eg <= 1e-5, "%s: the sgemm kernels differ from the reference by %.3g / %.3g", arch, ey, eg);
    free(x), free(up), free(yr);
    fk_tnet_free(ref), fk_tnet_free(fast);
}

int main(void)
{
    compare("fc:7", 1, 1, 13, 5);
    compare("fc:33,relu,fc:1", 1, 1, 3, 1);
    compare("conv:5:3:2:1", 7, 9, 3, 3);  /* stride 2, odd sizes */
    compare("conv:4:1", 5, 6, 7, 2);      /* 1x1 */
    compare("conv:3:5:1:2,relu,conv:6:3:3:1", 11, 10, 2, 2); /* 5x5 padding 2, stride 3 */
    compare("conv:8:3:1:1,bn,relu,max:2:2,conv:16:3:1:1,gap,fc:10,l2", 16, 16, 3, 4);
    return fk_test_finish("train sgemm kernels");
}
