/* cluster.c: average-linkage (UPGMA) agglomerative clustering of descriptors with cannot-link groups. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "facekit/cluster.h"

#define FK__CLUSTER_MAX 20000 /* the distance matrix of n faces takes 8 n^2 bytes */

static double l2(const float *a, const float *b, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++) {
        double d = (double)a[i] - b[i];
        s += d * d;
    }
    return sqrt(s);
}

fk_status fk_cluster_descriptors(const float *descriptors, size_t n, int dim, const int *groups, double threshold,
                                 int *labels, size_t *clusters, fk_error *err)
{
    if ((!descriptors && n) || (!labels && n) || !clusters || dim <= 0 || !(threshold > 0))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_cluster_descriptors: bad argument");
    *clusters = 0;
    if (n == 0)
        return FK_OK;
    if (n > FK__CLUSTER_MAX)
        return fk__fail(err, FK_E_LIMIT, "fk_cluster_descriptors: %zu descriptors, at most %d", n, FK__CLUSTER_MAX);
    size_t nn;
    if (!fk__mul_size(n, n, &nn))
        return fk__fail(err, FK_E_OVERFLOW, "fk_cluster_descriptors: too many descriptors");
    double *dist = malloc(nn * sizeof *dist);
    bool *cannot = calloc(nn, sizeof *cannot);
    size_t *size = malloc(n * sizeof *size), *parent = malloc(n * sizeof *parent);
    bool *active = malloc(n * sizeof *active);
    if (!dist || !cannot || !size || !parent || !active) {
        free(dist);
        free(cannot);
        free(size);
        free(parent);
        free(active);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory clustering %zu descriptors", n);
    }
    for (size_t i = 0; i < n; i++) {
        size[i] = 1;
        parent[i] = i;
        active[i] = true;
        dist[i * n + i] = 0;
        for (size_t j = i + 1; j < n; j++) {
            double d = l2(descriptors + i * (size_t)dim, descriptors + j * (size_t)dim, dim);
            dist[i * n + j] = dist[j * n + i] = d;
            bool c = groups && groups[i] >= 0 && groups[i] == groups[j];
            cannot[i * n + j] = cannot[j * n + i] = c;
        }
    }
    for (;;) {
        size_t ba = 0, bb = 0;
        double best = threshold;
        for (size_t a = 0; a < n; a++) {
            if (!active[a])
                continue;
            for (size_t b = a + 1; b < n; b++)
                if (active[b] && !cannot[a * n + b] && dist[a * n + b] < best) {
                    best = dist[a * n + b];
                    ba = a;
                    bb = b;
                }
        }
        if (!(best < threshold))
            break;
        /* merge bb into ba; Lance-Williams update for the mean pairwise distance */
        for (size_t k = 0; k < n; k++) {
            if (!active[k] || k == ba || k == bb)
                continue;
            double d = (size[ba] * dist[ba * n + k] + size[bb] * dist[bb * n + k]) / (double)(size[ba] + size[bb]);
            dist[ba * n + k] = dist[k * n + ba] = d;
            bool c = cannot[ba * n + k] || cannot[bb * n + k];
            cannot[ba * n + k] = cannot[k * n + ba] = c;
        }
        size[ba] += size[bb];
        active[bb] = false;
        parent[bb] = ba;
    }
    /* labels by first appearance: follow merges to the surviving cluster */
    int *label_of = malloc(n * sizeof *label_of);
    if (!label_of) {
        free(dist);
        free(cannot);
        free(size);
        free(parent);
        free(active);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory clustering %zu descriptors", n);
    }
    for (size_t i = 0; i < n; i++)
        label_of[i] = -1;
    int next = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = i;
        while (parent[r] != r)
            r = parent[r];
        if (label_of[r] < 0)
            label_of[r] = next++;
        labels[i] = label_of[r];
    }
    *clusters = (size_t)next;
    free(label_of);
    free(dist);
    free(cannot);
    free(size);
    free(parent);
    free(active);
    return FK_OK;
}
