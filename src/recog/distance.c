/* distance.c: distances between face descriptors. */
#include <math.h>

#include "core/error.h"
#include "facekit/face.h"
#include "facekit/models.h"

float fk_descriptor_distance(const float *a, const float *b)
{
    double sum = 0.0;
    for (int i = 0; i < FK_DESCRIPTOR_DIM; i++) {
        double d = (double)a[i] - b[i];
        sum += d * d;
    }
    return (float)sqrt(sum);
}

fk_status fk_descriptor_compare(const fk_face *a, const fk_face *b, float *distance, fk_error *err)
{
    if (!a || !b || !distance)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_descriptor_compare: NULL argument");
    if (!a->has_descriptor || !b->has_descriptor)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "a face without a descriptor cannot be compared");
    int da = a->descriptor_dim ? a->descriptor_dim : FK_DESCRIPTOR_DIM;
    int db = b->descriptor_dim ? b->descriptor_dim : FK_DESCRIPTOR_DIM;
    if (a->embedder != b->embedder) {
        const fk_model_info *ia = fk_model_by_id(FK_ROLE_EMBEDDER, a->embedder);
        const fk_model_info *ib = fk_model_by_id(FK_ROLE_EMBEDDER, b->embedder);
        return fk__fail(err, FK_E_INVALID_ARGUMENT,
                        "descriptors of two embedders (%s and %s) are not comparable: describe both faces with one",
                        ia ? ia->name : "?", ib ? ib->name : "?");
    }
    if (da != db || da < 1 || da > FK_DESCRIPTOR_MAX)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "descriptors of %d and %d numbers are not comparable", da, db);
    if (da == FK_DESCRIPTOR_DIM) {
        *distance = fk_descriptor_distance(a->descriptor, b->descriptor);
        return FK_OK;
    }
    double sum = 0;
    for (int i = 0; i < da; i++) {
        double d = (double)a->descriptor[i] - b->descriptor[i];
        sum += d * d;
    }
    *distance = (float)sqrt(sum);
    return FK_OK;
}
