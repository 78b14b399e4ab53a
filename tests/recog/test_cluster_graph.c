/* test_cluster_graph.c: chinese whispers and DBSCAN on planted clusters, their determinism, cannot-link groups, and the pairwise and BCubed scores on hand-counted cases. */
#include <string.h>

#include "facekit/cluster.h"
#include "harness.h"

#define DIM 8
#define PER 6
#define PEOPLE 5

int main(void)
{
    /* five people of six faces each around the corners of a cube, 0.1 apart; one outlier */
    enum { N = PEOPLE * PER + 1 };
    float x[N][DIM];
    int truth[N];
    unsigned seed = 7;
    memset(x, 0, sizeof x);
    for (int p = 0; p < PEOPLE; p++)
        for (int j = 0; j < PER; j++) {
            const int i = p * PER + j;
            x[i][p] = 1.0f;
            for (int k = 0; k < DIM; k++)
                x[i][k] += 0.03f * fk_test_randf(&seed);
            truth[i] = p;
        }
    x[N - 1][DIM - 1] = 5;
    truth[N - 1] = PEOPLE;
    int labels[N], again[N];
    size_t k = 0;
    fk_error err;
    fk_cluster_options o;
    for (int m = FK_CLUSTER_CHINESE_WHISPERS; m <= FK_CLUSTER_AVERAGE_LINKAGE; m++) {
        fk_cluster_options_init(&o);
        o.method = (fk_cluster_method)m;
        CHECK_OK(fk_cluster(&x[0][0], N, DIM, &o, labels, &k, &err));
        CHECK_MSG(k == PEOPLE + 1, "%s: %zu clusters", fk_cluster_method_name(o.method), k);
        fk_cluster_scores s;
        CHECK_OK(fk_cluster_score(labels, truth, N, &s, &err));
        CHECK_MSG(s.bcubed_f == 1 && s.pairwise_f == 1, "%s: F %g %g", fk_cluster_method_name(o.method), s.bcubed_f,
                  s.pairwise_f);
        CHECK(labels[0] == 0); /* numbered by first appearance */
        CHECK_OK(fk_cluster(&x[0][0], N, DIM, &o, again, &k, &err));
        CHECK(memcmp(labels, again, sizeof labels) == 0);
        CHECK(fk_cluster_method_parse(fk_cluster_method_name(o.method)) == m);
    }
    CHECK(fk_cluster_method_parse("cw") == FK_CLUSTER_CHINESE_WHISPERS && fk_cluster_method_parse("x") < 0);

    /* at a threshold past the people's distance (sqrt 2) everything but the outlier is one */
    fk_cluster_options_init(&o);
    o.threshold = 1.6;
    CHECK_OK(fk_cluster(&x[0][0], N, DIM, &o, labels, &k, &err));
    CHECK(k == 2);
    /* DBSCAN's min_points: with 7 no face has enough neighbours, every face is alone */
    o.method = FK_CLUSTER_DBSCAN;
    o.threshold = 0.5;
    o.min_points = PER + 1;
    CHECK_OK(fk_cluster(&x[0][0], N, DIM, &o, labels, &k, &err));
    CHECK(k == N);
    /* a group (one photo) is never joined: person 0's faces all in one photo stay apart */
    int groups[N];
    for (int i = 0; i < N; i++)
        groups[i] = i < PER ? 0 : -1;
    fk_cluster_options_init(&o);
    o.groups = groups;
    CHECK_OK(fk_cluster(&x[0][0], N, DIM, &o, labels, &k, &err));
    CHECK(k == PEOPLE + PER);

    /* scores counted by hand: truth {0,0,0,1,1}, clusters {0,0,1,1,1} */
    const int t5[5] = {0, 0, 0, 1, 1}, l5[5] = {0, 0, 1, 1, 1};
    fk_cluster_scores s;
    CHECK_OK(fk_cluster_score(l5, t5, 5, &s, &err));
    /* pairs: same cluster 1 + 3 = 4, same class 3 + 1 = 4, both: (0,1) and (3,4) = 2 */
    CHECK_NEAR(s.pairwise_precision, 0.5, 1e-12);
    CHECK_NEAR(s.pairwise_recall, 0.5, 1e-12);
    /* BCubed precision: (1 + 1 + 1/3 + 2/3 + 2/3) / 5; recall: (2/3 + 2/3 + 1/3 + 1 + 1) / 5 */
    CHECK_NEAR(s.bcubed_precision, (1 + 1 + 1.0 / 3 + 2.0 / 3 + 2.0 / 3) / 5, 1e-12);
    CHECK_NEAR(s.bcubed_recall, (2.0 / 3 + 2.0 / 3 + 1.0 / 3 + 1 + 1) / 5, 1e-12);
    CHECK(s.clusters == 2 && s.classes == 2 && s.items == 5);

    /* bad input */
    float bad[2][DIM] = {{0}, {NAN}};
    fk_cluster_options_init(&o);
    CHECK(fk_cluster(&bad[0][0], 2, DIM, &o, labels, &k, &err) == FK_E_INVALID_ARGUMENT);
    o.threshold = 0;
    CHECK(fk_cluster(&x[0][0], N, DIM, &o, labels, &k, &err) == FK_E_INVALID_ARGUMENT);
    fk_cluster_options_init(&o);
    CHECK_OK(fk_cluster(NULL, 0, DIM, &o, NULL, &k, &err));
    CHECK(k == 0);
    const int neg[2] = {0, -1};
    CHECK(fk_cluster_score(neg, t5, 2, &s, &err) == FK_E_INVALID_ARGUMENT);
    return fk_test_finish("cluster graph");
}
