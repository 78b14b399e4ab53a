/* trainer_internal.h: what a checkpoint holds besides the net, and the model file's reader and writer (model_file.c). */
#ifndef FK_TRAIN_TRAINER_INTERNAL_H
#define FK_TRAIN_TRAINER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/train.h"

typedef struct fk__train_ckpt {
    char *loss;     /* the loss's name: a resume with another loss is refused */
    int classes;
    float *class_w; /* the loss's class matrix (and the centres after it, for center loss) */
    size_t class_count;
    float *moments; /* the net's optimiser moments, then the class matrix's */
    size_t moment_count;
    long long steps[2]; /* the two optimisers' step counts */
    int epochs_done;
    uint64_t rng; /* the net's dropout generator */
} fk__train_ckpt;

/* ck NULL: a finished model. The file is written beside and renamed into place. */
fk_status fk__train_write(const char *path, const fk_tnet *net, const char *base, float threshold,
                          const fk__train_ckpt *ck, fk_error *err);
/* ck NULL: a model or a checkpoint, the net only; else a checkpoint, whose state goes into ck
 * (free with fk__train_ckpt_free). base: the base embedder's name (malloc'd; may be NULL). */
fk_status fk__train_read(const char *path, fk_tnet **out, char **base, float *threshold, fk__train_ckpt *ck,
                         fk_error *err);
/* fk__train_read's parser on bytes in memory; path names them in messages (the fuzz target's entry) */
fk_status fk__train_parse(const void *bytes, size_t size, const char *path, fk_tnet **out, char **base,
                          float *threshold, fk__train_ckpt *ck, fk_error *err);
void fk__train_ckpt_free(fk__train_ckpt *ck);

#endif
