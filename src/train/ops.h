/* ops.h: the trainable ops' reference kernels, in float (fk__trf_*, training) and double (fk__trd_*, gradient checks). */
#ifndef FK_TRAIN_OPS_H
#define FK_TRAIN_OPS_H

#include <stddef.h>

/* The geometry of a convolution, a locally connected layer or a pooling window. Input n × h × w × ci,
 * output n × oh × ow × co (co == ci for depthwise and pooling), kernel kh × kw, one stride, padding
 * pt (top) and pl (left). */
typedef struct tr_conv {
    int n, h, w, ci, oh, ow, co, kh, kw, stride, pt, pl;
} tr_conv;

#define FK__TR_DECLARE(R, P)                                                                              \
    void P##fc_fwd(const R *x, const R *w, const R *b, R *y, int n, int k, int m);                        \
    void P##fc_bwd(const R *x, const R *w, const R *dy, R *dx, R *dw, R *db, int n, int k, int m);        \
    void P##relu_fwd(const R *x, R *y, size_t count);                                                     \
    void P##relu_bwd(const R *x, const R *dy, R *dx, size_t count);                                       \
    void P##prelu_fwd(const R *x, const R *a, R *y, size_t rows, int c);                                  \
    void P##prelu_bwd(const R *x, const R *a, const R *dy, R *dx, R *da, size_t rows, int c);             \
    void P##bn_fwd(const R *x, const R *gamma, const R *beta, R *y, size_t rows, int c, int train, R eps, \
                   R momentum, R *mean, R *istd, R *run_mean, R *run_var);                                \
    void P##bn_bwd(const R *x, const R *gamma, const R *mean, const R *istd, const R *dy, R *dx,          \
                   R *dgamma, R *dbeta, size_t rows, int c);                                              \
    void P##mul_fwd(const R *x, const R *mask, R *y, size_t count);                                       \
    void P##mul_bwd(const R *mask, const R *dy, R *dx, size_t count);                                     \
    void P##l2norm_fwd(const R *x, R *y, R *norm, size_t rows, int c, R eps);                             \
    void P##l2norm_bwd(const R *x, const R *norm, const R *dy, R *dx, size_t rows, int c, R eps);         \
    void P##conv_fwd(const R *x, const R *w, const R *b, R *y, const tr_conv *a);                         \
    void P##conv_bwd(const R *x, const R *w, const R *dy, R *dx, R *dw, R *db, const tr_conv *a);         \
    void P##dwconv_fwd(const R *x, const R *w, const R *b, R *y, const tr_conv *a);                       \
    void P##dwconv_bwd(const R *x, const R *w, const R *dy, R *dx, R *dw, R *db, const tr_conv *a);       \
    void P##lc_fwd(const R *x, const R *w, const R *b, R *y, const tr_conv *a);                           \
    void P##lc_bwd(const R *x, const R *w, const R *dy, R *dx, R *dw, R *db, const tr_conv *a);           \
    void P##maxpool_fwd(const R *x, R *y, size_t *arg, const tr_conv *a);                                 \
    void P##maxpool_bwd(const size_t *arg, const R *dy, R *dx, size_t ycount);                            \
    void P##avgpool_fwd(const R *x, R *y, const tr_conv *a);                                              \
    void P##avgpool_bwd(const R *dy, R *dx, const tr_conv *a);                                            \
    void P##gap_fwd(const R *x, R *y, int n, int hw, int c);                                              \
    void P##gap_bwd(const R *dy, R *dx, int n, int hw, int c);                                            \
    void P##add_fwd(const R *a, const R *b, R *y, size_t count);                                          \
    void P##acc(const R *dy, R *dx, size_t count);                                                        \
    void P##concat_fwd(const R *a, int ca, const R *b, int cb, R *y, size_t rows);                        \
    void P##concat_bwd(const R *dy, R *da, int ca, R *db, int cb, size_t rows);

FK__TR_DECLARE(float, fk__trf_)
FK__TR_DECLARE(double, fk__trd_)

/* The fast variants (ops_fast.c). The convolution works on sub samples per sgemm
 * (fk__trf_conv_sub) and needs fk__trf_conv_scratch floats of scratch forward and twice that
 * backward. Max pooling takes one sample; its arg indexes that sample. */
void fk__trf_fc_fwd_fast(const float *x, const float *w, const float *b, float *y, int n, int k, int m);
void fk__trf_fc_bwd_fast(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db, int n,
                         int k, int m);
int fk__trf_conv_sub(const tr_conv *a);
size_t fk__trf_conv_scratch(const tr_conv *a, int sub);
void fk__trf_conv_fwd_fast(const float *x, const float *w, const float *b, float *y, const tr_conv *a, float *cols,
                           int sub);
void fk__trf_conv_bwd_fast(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db,
                           const tr_conv *a, float *cols, int sub);
/* The locally connected layer takes the convolution's patches (fk__trf_conv_scratch(a, sub) of
 * scratch, twice that backward) and runs one sgemm per output position over the sub samples;
 * fk__trf_lc_sub gives it more samples than a convolution's, as each product is one row a sample. */
int fk__trf_lc_sub(const tr_conv *a);
void fk__trf_lc_fwd_fast(const float *x, const float *w, const float *b, float *y, const tr_conv *a, float *cols,
                         int sub);
void fk__trf_lc_bwd_fast(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db,
                         const tr_conv *a, float *cols, int sub);
void fk__trf_maxpool_fwd_fast(const float *x, float *y, size_t *arg, const tr_conv *a);
void fk__trf_relu_bwd_set(const float *x, const float *dy, float *dx, size_t count);
/* batch norm in two passes over row ranges: sums (added to, in double), then the rows */
void fk__trf_bn_sums(const float *x, size_t rows, int c, double *sum, double *sq);
void fk__trf_bn_apply(const float *x, const float *scale, const float *shift, float *y, size_t rows, int c);
void fk__trf_bn_bwd_sums(const float *x, const float *mean, const float *istd, const float *dy, size_t rows, int c,
                         double *sdy, double *sdyx);
void fk__trf_bn_bwd_apply(const float *x, const float *mean, const float *istd, const float *dy, const float *k,
                          const float *a, const float *b, float total, float *dx, size_t rows, int c);

#endif
