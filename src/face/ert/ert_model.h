/* ert_model.h: the loaded ERT model (initial shape, forests of trees, feature pixels) shared by the loader and the cascade. */
#ifndef FK_FACE_ERT_ERT_MODEL_H
#define FK_FACE_ERT_ERT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "facekit/landmarks.h"

/* Invariants, all checked by the loader, so the cascade never checks an index:
 *   num_parts >= 1; initial holds 2 * num_parts floats (x0, y0, x1, y1, ...), in the unit
 *   square of the face box.
 *   Every tree is complete: num_splits = 2^depth - 1 splits in breadth-first order (node i has
 *   children 2i+1 and 2i+2) and num_splits + 1 leaves, each a shape update of 2 * num_parts
 *   floats; every split's idx1, idx2 < its forest's num_features.
 *   A forest's feature pixel f sits at deltas[2f], deltas[2f+1] from the initial shape's point
 *   anchor[f] < num_parts (after the similarity transform from the initial to the current
 *   shape). max_features is the largest num_features. */
typedef struct fk__ert_split {
    uint32_t idx1, idx2; /* go left when pixel[idx1] - pixel[idx2] > thresh */
    float thresh;
} fk__ert_split;

typedef struct fk__ert_tree {
    uint32_t num_splits;
    uint32_t first_split; /* its splits are the forest's splits[first_split ...] */
    const float *leaves;  /* (num_splits + 1) * 2 * num_parts */
} fk__ert_tree;

/* A level's splits lie together (the tree walks touch a few KiB, not the whole model); each
 * tree's leaves are a block of their own. */
typedef struct fk__ert_forest {
    uint32_t num_trees;
    fk__ert_tree *trees;
    fk__ert_split *splits;
    size_t num_splits, cap_splits;
    uint32_t num_features;
    uint32_t *anchor; /* num_features */
    float *deltas;    /* 2 * num_features */
} fk__ert_forest;

struct fk_ert {
    int num_parts;
    float *initial;
    uint32_t num_forests;
    fk__ert_forest *forests;
    uint32_t max_features;
    void **blocks; /* every tree's leaves, one block per tree, until moved into `arena` */
    float *arena;  /* all leaves in one block on huge pages, when that could be allocated */
    size_t num_blocks;
    char *path;
};

/* Limits beyond which a file is refused as not a model (the 68-point model has 68 parts,
 * 15 forests of 500 depth-4 trees and 400 feature pixels per forest). */
#define FK__ERT_MAX_BYTES ((uint64_t)1 << 30)
#define FK__ERT_MAX_PARTS 10000u
#define FK__ERT_MAX_FORESTS 1000u
#define FK__ERT_MAX_DEPTH 20u
#define FK__ERT_MAX_FEATURES 1000000u

/* Parses a shape_predictor from memory (no pin check); `name` is used in messages and as the
 * model's path. The fuzzers' and tests' entry point. Errors as fk_ert_load's. */
fk_status fk__ert_load_mem(const void *data, size_t size, const char *name, fk_ert **out, fk_error *err);

/* Whether fk_ert_predict accepts the box: finite, sides >= 1, coordinates within +-1e7. */
bool fk__ert_box_valid(fk_box box);

/* FK_OK for a 68-point model, else FK_E_UNSUPPORTED naming the file: face landmarks are 68 points. */
fk_status fk__ert_need_68(const fk_ert *m, fk_error *err);

#endif
