/* loss.h: the losses' kernels in float and double (loss_impl.h), and the generator random mining draws from. */
#ifndef FK_TRAIN_LOSS_H
#define FK_TRAIN_LOSS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "facekit/train.h"

/* splitmix64: small, seedable, and easy to reproduce bit for bit in the PyTorch fixture generator */
static inline uint64_t fk__tr_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* a standard normal draw (Box-Muller on two uniforms in (0, 1]) */
static inline double fk__tr_gauss(uint64_t *s)
{
    double u1 = ((double)(fk__tr_splitmix(s) >> 11) + 1) / 9007199254740992.0;
    double u2 = (double)(fk__tr_splitmix(s) >> 11) / 9007199254740992.0;
    return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

/* 0, or -1 out of memory, -2 an unknown loss; arguments checked by fk_loss_eval */
int fk__trf_loss_eval(const fk_loss_options *o, const float *x, int b, int d, const int *y, const float *w, int c,
                      float *dx, float *dw, float *value, size_t *active, size_t *terms);
int fk__trd_loss_eval(const fk_loss_options *o, const double *x, int b, int d, const int *y, const double *w, int c,
                      double *dx, double *dw, double *value, size_t *active, size_t *terms);

#endif
