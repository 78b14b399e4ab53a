/* weights.h: loading TensorFlow.js weight manifests (face-api models) into named float tensors. */
#ifndef FK_NN_LOAD_WEIGHTS_H
#define FK_NN_LOAD_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>

#include "facekit/status.h"

/* Usage:
 *     fk__weights *w = NULL;
 *     fk_status st = fk__weights_load("models/face-api/face_recognition_model-weights_manifest.json", &w, &err);
 *     const int fc_dims[2] = {256, 128};
 *     const float *fc;
 *     st = fk__weights_get(w, "fc", 2, fc_dims, &fc, &err);   // shape-checked, message names the file
 *     ...
 *     fk__weights_free(w);
 *
 * A manifest (`*-weights_manifest.json`) is a JSON array of groups
 *     {"paths": ["shard1.bin", ...], "weights": [{"name", "shape", "dtype", "quantization"?}, ...]}
 * Shard paths are relative to the manifest's folder and must stay inside it (no absolute paths,
 * no ".." parts). A group's shards are concatenated in order and its weights read from them one
 * after the other; the total must match to the byte. Every value is converted to float32 (see
 * nn/load/dequant.h for the exact rules, which follow tfjs). A loaded fk__weights is immutable:
 * share it between threads freely. */

/* One named tensor. Its dims beyond rank are 1; a scalar (shape []) has rank 0 and count 1.
 * data is 64-byte aligned and holds count floats (int32 and bool values are stored as floats). */
typedef struct fk__weight {
    char *name;
    int rank;     /* 0..4 */
    int dims[4];  /* each >= 0 */
    size_t count; /* product of dims[0..rank) */
    float *data;
} fk__weight;

typedef struct fk__weights fk__weights; /* opaque: the items, in manifest order, and the manifest path */

/* The loader's limits and checks. fk__weights_load uses the defaults below. */
typedef struct fk__weights_options {
    bool verify;      /* check pinned files' sha256 (fk__model_bytes_verify) */
    size_t max_bytes; /* limit on each group's shard bytes and on the loaded float data, each */
} fk__weights_options;

#define FK__WEIGHTS_MAX_BYTES ((size_t)1 << 30)      /* 1 GiB: ten times the largest face-api net */
#define FK__MANIFEST_MAX_BYTES ((size_t)64 << 20)    /* a manifest is a few KiB of JSON */

/* Loads the manifest at manifest_path and all its shards. On FK_OK *out owns everything; on
 * failure *out is NULL and nothing leaks. Pinned files (a basename listed in models/models.lock)
 * are sha256-checked unless FACEKIT_MODELS_NOVERIFY is set (to anything but "" or "0").
 * Errors, each with a message naming the file and what is wrong:
 *   FK_E_NOT_FOUND    the manifest or a shard is missing (the message says how to get the models)
 *   FK_E_BAD_FORMAT   bad JSON, a bad structure ("...: [0].weights[3].shape is not an array of
 *                     non-negative integers"), duplicate names, a sha256 that differs from the pin,
 *                     or shard bytes that differ from what the manifest needs
 *   FK_E_UNSUPPORTED  rank > 4, a dtype or quantization other than those above
 *   FK_E_OVERFLOW     a shape whose element or byte count overflows size_t
 *   FK_E_LIMIT        over the limits above, or a dimension > INT_MAX
 *   FK_E_IO, FK_E_NO_MEMORY, FK_E_INVALID_ARGUMENT (a NULL path or out) */
fk_status fk__weights_load(const char *manifest_path, fk__weights **out, fk_error *err);
/* The same with explicit options (opts NULL: the defaults, verification on; the environment
 * is not read). */
fk_status fk__weights_load_opts(const char *manifest_path, const fk__weights_options *opts, fk__weights **out,
                                fk_error *err);

/* NULL-safe. */
void fk__weights_free(fk__weights *w);

/* The weight with this exact name, or NULL. O(log n). */
const fk__weight *fk__weights_find(const fk__weights *w, const char *name);

/* Fetches a weight that must exist with exactly this shape (rank and dims[0..rank); dims may be
 * NULL when rank is 0). Sets *data on FK_OK, else NULL. Errors:
 *   FK_E_NOT_FOUND    "MANIFEST has no weight 'fc'"
 *   FK_E_BAD_FORMAT   "MANIFEST: weight 'fc' has shape [256,128], expected [256,64]"
 *   FK_E_INVALID_ARGUMENT  NULL w, name or data, rank outside 0..4 */
fk_status fk__weights_get(const fk__weights *w, const char *name, int rank, const int *dims, const float **data,
                          fk_error *err);

size_t fk__weights_count(const fk__weights *w);
/* The i-th weight in manifest order; NULL when i >= count. */
const fk__weight *fk__weights_at(const fk__weights *w, size_t i);
/* The manifest path as given to the loader. */
const char *fk__weights_path(const fk__weights *w);

/* Pinned model files (models/models.lock via the generated fk_model_pins.h).
 * fk__model_file_verify: a file whose basename is pinned must have the pinned sha256, else
 * FK_E_BAD_FORMAT "PATH: sha256 X differs from the pinned Y (damaged or a different version);
 * run `make models` or set FACEKIT_MODELS". A missing file is FK_E_NOT_FOUND with the hint how to
 * fetch the models. An existing unpinned file passes. The file is streamed, not loaded whole.
 * fk__model_bytes_verify: the same check on bytes already read (so a loader reads a file once).
 * fk__model_pin: the pinned lowercase hex sha256 for path's basename, or NULL. */
fk_status fk__model_file_verify(const char *path, fk_error *err);
fk_status fk__model_bytes_verify(const char *path, const void *data, size_t size, fk_error *err);
const char *fk__model_pin(const char *path);
/* Whether loaders check pins: yes unless FACEKIT_MODELS_NOVERIFY is set to anything but "" or
 * "0" (for a retrained or custom model saved under a pinned file name). */
bool fk__model_verify_enabled(void);
/* Rewrites a FK_E_NOT_FOUND from reading the model file at path into "PATH: model file not
 * found; ..." with the hint to fetch the models (when path's basename is pinned). Returns st. */
fk_status fk__model_not_found(const char *path, fk_status st, fk_error *err);

#endif
