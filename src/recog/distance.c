/* distance.c: distances between face descriptors. */
#include <math.h>

#include "facekit/face.h"

float fk_descriptor_distance(const float *a, const float *b)
{
    double sum = 0.0;
    for (int i = 0; i < FK_DESCRIPTOR_DIM; i++) {
        double d = (double)a[i] - b[i];
        sum += d * d;
    }
    return (float)sqrt(sum);
}
