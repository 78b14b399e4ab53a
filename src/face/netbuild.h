/* netbuild.h: building face-api nets from their weight manifests: weight lookup with shape checks and common blocks. */
#ifndef FK_FACE_NETBUILD_H
#define FK_FACE_NETBUILD_H

#include "nn/graph.h"
#include "nn/load/weights.h"

/* A build in progress: weight lookups and graph builders share one sticky first error, so a
 * net reads as a straight list of layers checked once at the end. */
typedef struct fk__netbuild {
    const fk__weights *w;
    fk__graph *g;
    fk_status status;
    fk_error err;
} fk__netbuild;

/* The weight `name`, which must have exactly the given shape (rank 0..4 dims); NULL on failure. */
const float *fk__nb_weight(fk__netbuild *b, const char *name, int rank, int d0, int d1, int d2, int d3);
/* Same, with the name built printf-style. */
const float *fk__nb_weightf(fk__netbuild *b, int rank, const int *dims, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* tf.separableConv2d(x, prefix/depthwise_filter, prefix/pointwise_filter, stride, SAME) + prefix/bias,
 * then `act`: the separable block every face-api net uses. */
int fk__nb_sepconv(fk__netbuild *b, int x, const char *prefix, int cout, int stride, fk__act act, float alpha);

/* conv2d(x, prefix/filters [k,k,cin,cout], stride, pad) + prefix/bias, then act. */
int fk__nb_conv_bias(fk__netbuild *b, int x, const char *prefix, int k, int cout, int stride, fk__padding pad,
                     fk__act act, float alpha);

/* Channels of a node's output. */
int fk__nb_channels(const fk__netbuild *b, int node);

/* Finishes the build: the first error of any weight lookup or builder, else FK_OK. */
fk_status fk__nb_finish(fk__netbuild *b, fk_error *err);

#endif
