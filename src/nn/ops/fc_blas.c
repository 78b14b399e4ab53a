/* fc_blas.c: the fully connected layer as one sgemm per sample of the batch. */
#include <cblas.h>

#include "nn/ops/ops.h"

void fk__fc_blas(const fk__fc_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n, ith, nth, &r0, &r1);
    if (r1 <= r0)
        return;
    /* one sample per call: a batch of m rows may take another sgemm kernel (another rounding), and
     * a sample's result must not depend on the batch or the worker it ran in */
    for (int n = r0; n < r1; n++) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, a->m, a->k, 1.0f, fk__at(x, n, 0, 0, 0),
                    (int)x->sn, a->weights, a->m, 0.0f, fk__at(y, n, 0, 0, 0), (int)y->sn);
        fk__epilogue_row(&a->ep, fk__at(y, n, 0, 0, 0), a->m);
    }
}
