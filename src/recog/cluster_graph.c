/* cluster_graph.c: clustering on the graph of faces nearer than a threshold: chinese whispers (as dlib) and DBSCAN (as Immich), and the pairwise and BCubed scores. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "facekit/cluster.h"

#define FK__CLUSTER_GRAPH_MAX 200000

void fk_cluster_options_init(fk_cluster_options *o)
{
    memset(o, 0, sizeof *o);
    o->method = FK_CLUSTER_CHINESE_WHISPERS;
    o->threshold = fk_cluster_default_threshold(o->method);
    o->min_points = 3;
    o->iterations = 100;
    o->seed = 1;
}

double fk_cluster_default_threshold(fk_cluster_method m)
{
    return m == FK_CLUSTER_DBSCAN ? 0.45 : m == FK_CLUSTER_AVERAGE_LINKAGE ? 0.53 : 0.47;
}

const char *fk_cluster_method_name(fk_cluster_method m)
{
    switch (m) {
    case FK_CLUSTER_CHINESE_WHISPERS:
        return "chinese-whispers";
    case FK_CLUSTER_DBSCAN:
        return "dbscan";
    case FK_CLUSTER_AVERAGE_LINKAGE:
        return "average-linkage";
    default:
        return "?";
    }
}

int fk_cluster_method_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "chinese-whispers") == 0 || strcmp(name, "cw") == 0)
        return FK_CLUSTER_CHINESE_WHISPERS;
    if (strcmp(name, "dbscan") == 0)
        return FK_CLUSTER_DBSCAN;
    if (strcmp(name, "average-linkage") == 0)
        return FK_CLUSTER_AVERAGE_LINKAGE;
    return -1;
}

/* The neighbours of every node in compressed rows: adj[start[i] .. start[i + 1]). */
typedef struct graph {
    size_t *start;
    uint32_t *adj;
    size_t edges;
} graph;

static void graph_free(graph *g)
{
    free(g->start);
    free(g->adj);
}

static bool near(const float *a, const float *b, int dim, double t2)
{
    float s = 0;
    for (int k = 0; k < dim; k++) {
        const float d = a[k] - b[k];
        s += d * d;
    }
    return (double)s < t2;
}

/* Two passes over the pairs (count, then fill) keep the memory at the edges' size. */
static fk_status build_graph(const float *x, size_t n, int dim, double threshold, const int *groups, graph *g,
                             fk_error *err)
{
    memset(g, 0, sizeof *g);
    const double t2 = threshold * threshold;
    g->start = calloc(n + 1, sizeof *g->start);
    if (!g->start)
        return fk__fail(err, FK_E_NO_MEMORY, "fk_cluster: out of memory for %zu faces", n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (groups && groups[i] >= 0 && groups[i] == groups[j])
                continue;
            if (near(x + i * (size_t)dim, x + j * (size_t)dim, dim, t2)) {
                g->start[i + 1]++;
                g->start[j + 1]++;
            }
        }
    for (size_t i = 0; i < n; i++)
        g->start[i + 1] += g->start[i];
    g->edges = g->start[n];
    size_t bytes;
    if (!fk__mul_size(g->edges ? g->edges : 1, sizeof *g->adj, &bytes) || !(g->adj = malloc(bytes))) {
        graph_free(g);
        return fk__fail(err, FK_E_NO_MEMORY, "fk_cluster: out of memory for %zu edges", g->edges);
    }
    size_t *fill = malloc(n * sizeof *fill);
    if (!fill) {
        graph_free(g);
        return fk__fail(err, FK_E_NO_MEMORY, "fk_cluster: out of memory for %zu faces", n);
    }
    memcpy(fill, g->start, n * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (groups && groups[i] >= 0 && groups[i] == groups[j])
                continue;
            if (near(x + i * (size_t)dim, x + j * (size_t)dim, dim, t2)) {
                g->adj[fill[i]++] = (uint32_t)j;
                g->adj[fill[j]++] = (uint32_t)i;
            }
        }
    free(fill);
    return FK_OK;
}

static uint64_t next_random(uint64_t *s)
{
    /* xorshift64*: small, seeded, the same on every platform */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static fk_status chinese_whispers(const graph *g, size_t n, const fk_cluster_options *o, int *labels, fk_error *err)
{
    unsigned *count = calloc(n, sizeof *count);
    uint32_t *touched = malloc(n * sizeof *touched);
    if (!count || !touched) {
        free(count);
        free(touched);
        return fk__fail(err, FK_E_NO_MEMORY, "fk_cluster: out of memory for %zu faces", n);
    }
    for (size_t i = 0; i < n; i++)
        labels[i] = (int)i;
    uint64_t s = 0x9E3779B97F4A7C15ull ^ o->seed;
    if (!s)
        s = 1;
    const uint64_t visits = (uint64_t)o->iterations * n;
    for (uint64_t it = 0; it < visits; it++) {
        const size_t v = (size_t)(next_random(&s) % n);
        if (g->start[v] == g->start[v + 1])
            continue;
        size_t nt = 0;
        int best = labels[v];
        unsigned best_count = 0;
        for (size_t e = g->start[v]; e < g->start[v + 1]; e++) {
            const int l = labels[g->adj[e]];
            if (count[l]++ == 0)
                touched[nt++] = (uint32_t)l;
            /* ties go to the smaller label, so the result does not depend on the edge order */
            if (count[l] > best_count || (count[l] == best_count && l < best)) {
                best_count = count[l];
                best = l;
            }
        }
        for (size_t k = 0; k < nt; k++)
            count[touched[k]] = 0;
        labels[v] = best;
    }
    free(count);
    free(touched);
    return FK_OK;
}

static fk_status dbscan(const graph *g, size_t n, const fk_cluster_options *o, int *labels, fk_error *err)
{
    uint32_t *queue = malloc(n * sizeof *queue);
    if (!queue)
        return fk__fail(err, FK_E_NO_MEMORY, "fk_cluster: out of memory for %zu faces", n);
    for (size_t i = 0; i < n; i++)
        labels[i] = -1;
    int next = 0;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] >= 0 || g->start[i + 1] - g->start[i] + 1 < (size_t)o->min_points)
            continue;
        /* a new cluster from core i: breadth first through cores, borders join but do not spread */
        const int c = next++;
        size_t head = 0, tail = 0;
        labels[i] = c;
        queue[tail++] = (uint32_t)i;
        while (head < tail) {
            const size_t v = queue[head++];
            if (g->start[v + 1] - g->start[v] + 1 < (size_t)o->min_points)
                continue;
            for (size_t e = g->start[v]; e < g->start[v + 1]; e++) {
                const uint32_t u = g->adj[e];
                if (labels[u] < 0) {
                    labels[u] = c;
                    queue[tail++] = u;
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0)
            labels[i] = next++; /* noise: a person of one face */
    free(queue);
    return FK_OK;
}

/* Renumbers labels 0..k-1 by first appearance. */
static fk_status renumber(int *labels, size_t n, size_t *k, fk_error *err)
{
    int *map = malloc(n * sizeof *map);
    if (!map)
        return fk__fail(err, FK_E_NO_MEMORY, "fk_cluster: out of memory");
    for (size_t i = 0; i < n; i++)
        map[i] = -1;
    int next = 0;
    for (size_t i = 0; i < n; i++) {
        const int l = labels[i];
        if (map[l] < 0)
            map[l] = next++;
        labels[i] = map[l];
    }
    free(map);
    *k = (size_t)next;
    return FK_OK;
}

fk_status fk_cluster(const float *descriptors, size_t n, int dim, const fk_cluster_options *o, int *labels,
                     size_t *clusters, fk_error *err)
{
    if (!o || !clusters || (n && (!descriptors || !labels)) || dim <= 0 || !(o->threshold > 0) ||
        (int)o->method < 0 || o->method >= FK_CLUSTER_METHOD_COUNT || o->min_points < 1 || o->iterations < 1)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_cluster: bad argument");
    *clusters = 0;
    if (n == 0)
        return FK_OK;
    for (size_t i = 0; i < n * (size_t)dim; i++)
        if (!isfinite(descriptors[i]))
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_cluster: descriptor %zu has a non-finite value",
                            i / (size_t)dim);
    if (o->method == FK_CLUSTER_AVERAGE_LINKAGE)
        return fk_cluster_descriptors(descriptors, n, dim, o->groups, o->threshold, labels, clusters, err);
    if (n > FK__CLUSTER_GRAPH_MAX)
        return fk__fail(err, FK_E_LIMIT, "fk_cluster: %zu faces, more than %d", n, FK__CLUSTER_GRAPH_MAX);
    graph g;
    fk_status st = build_graph(descriptors, n, dim, o->threshold, o->groups, &g, err);
    if (st != FK_OK)
        return st;
    st = o->method == FK_CLUSTER_DBSCAN ? dbscan(&g, n, o, labels, err) : chinese_whispers(&g, n, o, labels, err);
    graph_free(&g);
    if (st != FK_OK)
        return st;
    return renumber(labels, n, clusters, err);
}

static int cmp_pair(const void *a, const void *b)
{
    const int *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

fk_status fk_cluster_score(const int *labels, const int *truth, size_t n, fk_cluster_scores *s, fk_error *err)
{
    if (!s || (n && (!labels || !truth)))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_cluster_score: bad argument");
    memset(s, 0, sizeof *s);
    s->items = n;
    if (n == 0)
        return FK_OK;
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || truth[i] < 0)
            return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_cluster_score: a negative label or class at %zu", i);
    /* the contingency table's cells, as sorted (cluster, class) pairs */
    int *pairs = malloc(2 * n * sizeof *pairs);
    int lmax = 0, tmax = 0;
    for (size_t i = 0; i < n; i++) {
        lmax = labels[i] > lmax ? labels[i] : lmax;
        tmax = truth[i] > tmax ? truth[i] : tmax;
    }
    size_t *csize = calloc((size_t)lmax + 1, sizeof *csize), *tsize = calloc((size_t)tmax + 1, sizeof *tsize);
    if (!pairs || !csize || !tsize) {
        free(pairs);
        free(csize);
        free(tsize);
        return fk__fail(err, FK_E_NO_MEMORY, "fk_cluster_score: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        pairs[2 * i] = labels[i];
        pairs[2 * i + 1] = truth[i];
        csize[labels[i]]++;
        tsize[truth[i]]++;
    }
    qsort(pairs, n, 2 * sizeof *pairs, cmp_pair);
    double tp = 0, same_cluster = 0, same_class = 0, bp = 0, br = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && pairs[2 * j] == pairs[2 * i] && pairs[2 * j + 1] == pairs[2 * i + 1])
            j++;
        const double cell = (double)(j - i);
        tp += cell * (cell - 1) / 2;
        /* every face of the cell has this cell's precision and recall */
        bp += cell * cell / (double)csize[pairs[2 * i]];
        br += cell * cell / (double)tsize[pairs[2 * i + 1]];
        i = j;
    }
    for (int l = 0; l <= lmax; l++) {
        same_cluster += (double)csize[l] * ((double)csize[l] - 1) / 2;
        s->clusters += csize[l] > 0;
    }
    for (int t = 0; t <= tmax; t++) {
        same_class += (double)tsize[t] * ((double)tsize[t] - 1) / 2;
        s->classes += tsize[t] > 0;
    }
    s->pairwise_precision = same_cluster > 0 ? tp / same_cluster : 1;
    s->pairwise_recall = same_class > 0 ? tp / same_class : 1;
    const double pp = s->pairwise_precision, pr = s->pairwise_recall;
    s->pairwise_f = pp + pr > 0 ? 2 * pp * pr / (pp + pr) : 0;
    s->bcubed_precision = bp / (double)n;
    s->bcubed_recall = br / (double)n;
    const double cp = s->bcubed_precision, cr = s->bcubed_recall;
    s->bcubed_f = cp + cr > 0 ? 2 * cp * cr / (cp + cr) : 0;
    free(pairs);
    free(csize);
    free(tsize);
    return FK_OK;
}
