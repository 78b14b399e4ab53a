/* facekit/cluster.h: grouping face descriptors into persons: chinese whispers, DBSCAN and average linkage, and their scores against the truth. */
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

/* Usage (photo collections: every face of every photo, grouped by person):
 *     fk_cluster_options o;
 *     fk_cluster_options_init(&o);              // chinese whispers at o.threshold
 *     fk_cluster(desc, n, 128, &o, labels, &k, &err);
 *
 * Both graph methods join two faces by an edge when their L2 distance is below the threshold
 * (never two faces of one group, i.e. one photo). Chinese whispers (dlib's chinese_whispers):
 * every node takes the label most common among its neighbours, nodes visited in a seeded random
 * order, iterations x n visits. DBSCAN (as Immich and PhotoPrism group faces): a face with at
 * least min_points neighbours (itself included) is a core; clusters are the cores connected
 * through edges and the faces within reach of them; the rest stay alone. Both are deterministic
 * for a seed. Time O(n^2 dim) for the edges: meant for collections up to some tens of thousands
 * of faces. The clustering threshold is not the verification threshold: dlib's descriptors chain
 * distinct people together at 0.6 (see the README's clustering figures). */
typedef enum fk_cluster_method {
    FK_CLUSTER_CHINESE_WHISPERS = 0,
    FK_CLUSTER_DBSCAN,
    FK_CLUSTER_AVERAGE_LINKAGE, /* fk_cluster_descriptors */
    FK_CLUSTER_METHOD_COUNT
} fk_cluster_method;

typedef struct fk_cluster_options {
    fk_cluster_method method;
    double threshold; /* edge: L2 distance below it */
    int min_points;   /* DBSCAN: neighbours (itself included) that make a core, >= 1 */
    int iterations;   /* chinese whispers: passes over the nodes, >= 1 */
    unsigned seed;
    const int *groups; /* may be NULL: faces of one group (photo) are never joined */
} fk_cluster_options;

/* Chinese whispers at its default threshold, min_points 3, 100 iterations, seed 1. */
void fk_cluster_options_init(fk_cluster_options *o);
/* Each method's threshold with dlib's float ResNet descriptors, the best BCubed F on the LFW
 * people with at least 5 images (see the README): chinese whispers 0.47, DBSCAN 0.45, average
 * linkage 0.53. */
double fk_cluster_default_threshold(fk_cluster_method m);
const char *fk_cluster_method_name(fk_cluster_method m);
/* "chinese-whispers" (or "cw"), "dbscan", "average-linkage"; -1 otherwise. */
int fk_cluster_method_parse(const char *name);

/* labels receives 0..k-1, numbered by first appearance (larger clusters are not first); *clusters k. */
fk_status fk_cluster(const float *descriptors, size_t n, int dim, const fk_cluster_options *o, int *labels,
                     size_t *clusters, fk_error *err);

/* A clustering against the truth (one class id per face): pairwise precision, recall and F over
 * all pairs of faces, and BCubed precision, recall and F (per face, averaged). */
typedef struct fk_cluster_scores {
    double pairwise_precision, pairwise_recall, pairwise_f;
    double bcubed_precision, bcubed_recall, bcubed_f;
    size_t clusters, classes, items;
} fk_cluster_scores;
fk_status fk_cluster_score(const int *labels, const int *truth, size_t n, fk_cluster_scores *s, fk_error *err);

#ifdef __cplusplus
}
#endif
#endif
