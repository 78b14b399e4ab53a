/* test_cluster.c: average-linkage clustering of descriptors: chains do not merge, cannot-link groups hold, labels by first appearance. */
#include <string.h>

#include "facekit/cluster.h"
#include "facekit/face.h"
#include "harness.h"

#define DIM 4

int main(void)
{
    fk_error err = {0};
    size_t k = 0;
    /* on a line: 0, 0.5, 1.0 form a chain (neighbours 0.5 apart, ends 1.0 apart) and 5.0 is alone */
    float line[4][DIM] = {{0}, {0.5f}, {1.0f}, {5.0f}};
    int labels[4];
    CHECK_OK(fk_cluster_descriptors(&line[0][0], 4, DIM, NULL, 0.6, labels, &k, &err));
    /* 0-0.5 merge first (tie with 0.5-1.0 broken by order), then the pair's mean distance to 1.0 is
     * (1.0 + 0.5) / 2 = 0.75 > 0.6: the chain stops */
    CHECK(k == 3);
    CHECK(labels[0] == 0 && labels[1] == 0 && labels[2] == 1 && labels[3] == 2);

    /* a looser threshold takes the whole chain but not the far point */
    CHECK_OK(fk_cluster_descriptors(&line[0][0], 4, DIM, NULL, 0.8, labels, &k, &err));
    CHECK(k == 2 && labels[0] == labels[2] && labels[3] != labels[0]);

    /* cannot-link: faces 0 and 1 come from the same photo and stay apart even at distance 0.5 */
    int photo[4] = {7, 7, -1, -1};
    CHECK_OK(fk_cluster_descriptors(&line[0][0], 4, DIM, photo, 0.6, labels, &k, &err));
    CHECK(labels[0] != labels[1]);
    CHECK(labels[1] == labels[2]); /* 0.5 and 1.0 are free to merge */

    /* the constraint is inherited by merged clusters */
    float pts[3][DIM] = {{0}, {0.1f}, {0.2f}};
    int grp[3] = {1, -1, 1};
    CHECK_OK(fk_cluster_descriptors(&pts[0][0], 3, DIM, grp, 0.6, labels, &k, &err));
    CHECK(k == 2 && labels[0] == labels[1] && labels[2] != labels[0]);

    /* empty input and bad arguments */
    CHECK_OK(fk_cluster_descriptors(NULL, 0, DIM, NULL, 0.6, NULL, &k, &err));
    CHECK(k == 0);
    CHECK(fk_cluster_descriptors(&pts[0][0], 3, DIM, NULL, 0.0, labels, &k, &err) == FK_E_INVALID_ARGUMENT);
    return fk_test_finish("clustering");
}
