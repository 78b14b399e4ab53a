/* fc_ref.c: the reference fully connected layer over a per-sample h*w*c flattening. */
#include "nn/ops/ops.h"

void fk__fc_ref(const fk__fc_args *a, const fk__view *x, const fk__view *y, int ith, int nth)
{
    int r0, r1;
    fk__split_rows(y->n, ith, nth, &r0, &r1);
    for (int n = r0; n < r1; n++) {
        for (int m = 0; m < a->m; m++) {
            double acc = 0.0;
            size_t k = 0;
            for (int iy = 0; iy < x->h; iy++)
                for (int ix = 0; ix < x->w; ix++)
                    for (int c = 0; c < x->c; c++, k++)
                        acc += (double)*fk__at(x, n, iy, ix, c) * a->weights[k * a->m + m];
            *fk__at(y, n, 0, 0, m) = fk__epilogue_apply(&a->ep, m, (float)acc);
        }
    }
}
