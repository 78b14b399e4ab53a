/* facekit/cluster.h: grouping face descriptors into persons (average-linkage clustering with cannot-link groups). */
#ifndef FACEKIT_CLUSTER_H
#define FACEKIT_CLUSTER_H

#include <stddef.h>

#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Groups n descriptors of dim floats each into persons by average-linkage agglomerative
 * clustering: the two clusters with the smallest mean pairwise L2 distance are merged while that
 * mean is below threshold. Unlike connected components, a chain a-b-c does not pull a and c
 * together when they are far apart. groups (may be NULL) gives each descriptor a group id: two
 * descriptors with the same non-negative id (faces of one photo) never end in one cluster.
 * labels receives 0..k-1, numbered by first appearance; *clusters receives k.
 * Time O(n^3), memory O(n^2): meant for photo collections up to a few thousand faces. */
fk_status fk_cluster_descriptors(const float *descriptors, size_t n, int dim, const int *groups, double threshold,
                                 int *labels, size_t *clusters, fk_error *err);

#ifdef __cplusplus
}
#endif
#endif
