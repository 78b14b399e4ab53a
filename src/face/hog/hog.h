/* hog.h: dlib's HOG face detector (object_detector<scan_fhog_pyramid<pyramid_down<6>>>) in our own C: the model, its fhog features, image pyramid and scan. */
#ifndef FK_FACE_HOG_HOG_H
#define FK_FACE_HOG_HOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "facekit/image.h"
#include "facekit/status.h"

/* Usage:
 *     fk__hog *m;
 *     if (fk__hog_load("models/dlib/frontal_face_detector.dat", &m, &err) != FK_OK) ...
 *     fk__hog_det *d; size_t n;
 *     fk__hog_detect(m, img, 1, 0.0, &d, &n, &err);   // = dlib python detector(img, 1)
 *     ... free(d); fk__hog_free(m);
 *
 * Parity: the numbers are dlib 19.24's as its headers compute them when built with g++ 12
 * -O3 -march=native on x86-64 (the build that made ../shared/golden/dlib and that dlib's own
 * benchmarks use). That build fuses some multiply-adds (FMA contraction) and sums 4-lane
 * vectors in the SSE3 order; both change pixels of the pyramid and low bits of features, so
 * each place where it matters is written out with fma()/fmaf() and commented. A plain -O2
 * build of dlib gives other numbers: scores up to 6e-3 apart on the demo photos, up to 3.4e-2 and
 * 5 other boxes on the 20 AFW photos of tests/hog/data. */

/* One detection, as dlib's object_detector returns it. */
typedef struct fk__hog_det {
    long left, top, right, bottom; /* dlib's inclusive rectangle, in the input image's pixels */
    double score;                  /* detection_confidence: filter response - threshold */
    int weight_index;              /* which of the model's filters fired (0..num_detectors-1) */
} fk__hog_det;

/* Bounds the loader accepts; a file outside them is refused (FK_E_UNSUPPORTED or BAD_FORMAT). */
#define FK__HOG_PLANES 31        /* dlib's default_fhog_feature_extractor */
#define FK__HOG_MAX_CELL 64      /* pixels per cell side */
#define FK__HOG_MAX_FILTER 64    /* cells per filter side */
#define FK__HOG_MAX_DETECTORS 64 /* weight vectors in one object_detector */
#define FK__HOG_MAX_BYTES ((uint64_t)64 << 20)
/* The largest image fk__hog_detect scans (after upsampling), in pixels: 256 megapixels (the
 * features of such an image take about 4 GB); larger gives FK_E_LIMIT. */
#define FK__HOG_MAX_SCAN_PIXELS ((uint64_t)1 << 28)
#define FK__HOG_MAX_UPSAMPLE 8

/* One separable part of a filter: col (fh taps, down the rows) times row (fw taps, along x). */
typedef struct fk__hog_sep {
    int plane;
    const float *row, *col; /* into the detector's taps */
} fk__hog_sep;

/* One weight vector, made ready for scanning as dlib's build_fhog_filterbank makes it. */
typedef struct fk__hog_filter {
    double thresh;  /* w(dims): a window fires when its response >= thresh + adjust */
    float *full;    /* FK__HOG_PLANES planes of fh x fw, row-major: matrix_cast<float>(w) */
    bool separable; /* dlib's choice in apply_filters_to_fhog */
    int num_sep;    /* separable parts, in dlib's order: planes ascending, singular values descending */
    fk__hog_sep *sep;
    float *taps; /* num_sep * (fw + fh) floats behind sep[].row / .col */
} fk__hog_filter;

typedef struct fk__hog {
    int cell_size, padding;
    int window_w, window_h; /* detection window in pixels */
    int fw, fh;             /* the fhog window (filter size) in cells, padding included */
    uint64_t max_levels;    /* pyramid levels at most */
    uint64_t min_layer_w, min_layer_h;
    double nuclear_norm;            /* training setting, kept for messages only */
    double iou_thresh, pcov_thresh; /* the detector's test_box_overlap */
    int num_filters;
    fk__hog_filter *filters;
    char *path;
} fk__hog;

/* Loads an object_detector<scan_fhog_pyramid<pyramid_down<6>>> saved by dlib::serialize (such as
 * models/dlib/frontal_face_detector.dat). A file pinned in models.lock must match its sha256
 * (FACEKIT_MODELS_NOVERIFY=1 skips this). Errors: FK_E_NOT_FOUND, FK_E_IO, FK_E_BAD_FORMAT
 * ("PATH: at byte N: what is wrong"), FK_E_UNSUPPORTED (a valid file outside the bounds above),
 * FK_E_NO_MEMORY. On failure *out is NULL. */
fk_status fk__hog_load(const char *path, fk__hog **out, fk_error *err);
/* The same from size bytes at data (not kept); name is used in messages only (may be NULL). No
 * pin applies. */
fk_status fk__hog_load_mem(const void *data, size_t size, const char *name, fk__hog **out, fk_error *err);
/* NULL-safe. */
void fk__hog_free(fk__hog *m);

/* dlib python's detector(img, upsample) with adjust_threshold: the image pyramid_up'ed `upsample`
 * times (pyramid_down<2>, bilinear), scanned, each box mapped back with rect_down. *dets gets a
 * malloc'ed array (free() it; NULL when *n is 0) in dlib's order: descending score after its
 * non-max suppression. Boxes may reach outside the image, as dlib's do. Thread-safe: m is only
 * read. Errors: FK_E_INVALID_ARGUMENT, FK_E_LIMIT (upsample > FK__HOG_MAX_UPSAMPLE, or the image
 * to scan over FK__HOG_MAX_SCAN_PIXELS), FK_E_NO_MEMORY. */
fk_status fk__hog_detect(const fk__hog *m, const fk_image *img, int upsample, double adjust_threshold,
                         fk__hog_det **dets, size_t *n, fk_error *err);

/* The kernels: FK__HOG_KERNELS_AUTO picks AVX2 where the CPU has it (FACEKIT_KERNELS=reference
 * forces the plain C). Every tier gives the same bits. */
typedef enum fk__hog_kernels {
    FK__HOG_KERNELS_AUTO = 0,
    FK__HOG_KERNELS_REFERENCE,
    FK__HOG_KERNELS_AVX2,
    FK__HOG_KERNELS_COUNT
} fk__hog_kernels;
fk_status fk__hog_detect_with(const fk__hog *m, const fk_image *img, int upsample, double adjust_threshold,
                              fk__hog_kernels kernels, fk__hog_det **dets, size_t *n, fk_error *err);

/* A scan context keeps what a scan allocates (for a 1920 x 1280 photo at upsample 1 about 120 MB:
 * the upsampled image, the pyramid levels, the features) for the next scan, as dlib's detector
 * keeps its feature pyramid; one context per thread, any number of models. fk__hog_detect and
 * fk__hog_detect_with make a context for the one call. */
typedef struct fk__hog_ctx fk__hog_ctx;
fk_status fk__hog_ctx_new(fk__hog_ctx **out, fk_error *err);
void fk__hog_ctx_free(fk__hog_ctx *c); /* NULL-safe */
fk_status fk__hog_detect_ctx(fk__hog_ctx *c, const fk__hog *m, const fk_image *img, int upsample,
                             double adjust_threshold, fk__hog_kernels kernels, fk__hog_det **dets, size_t *n,
                             fk_error *err);

/* ---- internals shared by the files of src/face/hog/, exposed for the tests ---- */

/* An RGB8 image: rows of interleaved RGB (plane 0), or three colour planes `plane` bytes apart
 * (rows `stride` bytes apart in each, with room past the last pixel for the fast kernels). */
typedef struct fk__hog_rgb {
    int w, h;
    size_t stride;
    uint8_t *px;
    size_t plane;
} fk__hog_rgb;

/* dlib's resize_image(in, out) for RGB images (interpolate_bilinear, its SIMD path and tail) into
 * out (size set by the caller, px allocated), each side in either layout: iplane and oplane are 0
 * for rows of interleaved RGB, else the bytes from one colour plane to the next (rows `istride` or
 * `ostride` bytes apart within each). The plain C reads and writes nothing outside either image's
 * pixels, nor does the fast kernel on interleaved rows; its planar rows must have 32 bytes of room
 * past their last pixel (it reads and writes 8 and 16 bytes at a time there). */
void fk__hog_resize_ref(const uint8_t *in, int iw, int ih, size_t istride, size_t iplane, uint8_t *out, int ow, int oh,
                        size_t ostride, size_t oplane);
void fk__hog_resize_avx2(const uint8_t *in, int iw, int ih, size_t istride, size_t iplane, uint8_t *out, int ow, int oh,
                         size_t ostride, size_t oplane);
/* Pixel x's channel ch of a row in either layout. */
static inline int fk__hog_px_get(const uint8_t *row, size_t plane, long x, int ch)
{
    return plane ? row[(size_t)ch * plane + (size_t)x] : row[(size_t)x * 3 + (size_t)ch];
}
static inline void fk__hog_px_put(uint8_t *row, size_t plane, long x, int ch, uint8_t v)
{
    if (plane)
        row[(size_t)ch * plane + (size_t)x] = v;
    else
        row[(size_t)x * 3 + (size_t)ch] = v;
}
/* pyramid_up's output size for w x h with pyramid_down<2> (0 x 0 for an empty image). */
void fk__hog_up_size(int w, int h, long *ow, long *oh);

/* 31 fhog planes, each rows x cols, row stride `stride` floats, planes `plane` floats apart. */
typedef struct fk__hog_fmap {
    int rows, cols;
    size_t stride, plane;
    float *data;
} fk__hog_fmap;

/* The fmap's size for a w x h image (dlib's extract_fhog_features with filter padding fh, fw);
 * 0 x 0 when the image is too small for one feature cell. */
void fk__hog_fmap_size(int w, int h, int cell, int fh, int fw, int *rows, int *cols);
/* extract_fhog_features(img, hog, cell, fh, fw) into f (sized by fk__hog_fmap_size, stride >= cols
 * rounded up to 8, data allocated for 31 planes; every element of each row's first stride floats
 * is written). img: w x h RGB8 in either layout (plane: 0 for interleaved RGB rows, else the bytes
 * from one colour plane to the next, rows `stride` bytes apart in each); nothing past its pixels
 * is read, except that the fast kernel's planar rows must have 32 bytes of room past their last
 * pixel. scratch: at least fk__hog_fhog_scratch(w, h, cell) floats. olut: fk__hog_orient_lut's
 * table (the fast kernel reads it; the plain C computes each bin). */
size_t fk__hog_fhog_scratch(int w, int h, int cell);
void fk__hog_fhog_ref(const uint8_t *img, int w, int h, size_t stride, size_t plane, int cell, int fh, int fw,
                      fk__hog_fmap *f, float *scratch, const uint8_t *olut);
void fk__hog_fhog_avx2(const uint8_t *img, int w, int h, size_t stride, size_t plane, int cell, int fh, int fw,
                       fk__hog_fmap *f, float *scratch, const uint8_t *olut);
/* The orientation bin (0..17) of every integer gradient (gx, gy) in [-255, 255]^2, at
 * (gy + 255) * 511 + gx + 255, as dlib bins it; FK__HOG_OLUT_SIZE bytes (4 of slack at the end). */
#define FK__HOG_OLUT_SIZE (511 * 511 + 4)
void fk__hog_orient_lut(uint8_t *lut);
/* That table, made once per process on first use (thread-safe) and never changed; NULL when it
 * could not be allocated. */
const uint8_t *fk__hog_olut(void);

/* dlib's apply_filters_to_fhog: the filter's response over f into sal (f->rows x f->cols, stride
 * f->stride; the border outside the returned area is zero). scratch: fk__hog_apply_scratch floats.
 * *top, *left, *bottom, *right get the area (inclusive; empty when bottom < top). */
void fk__hog_apply_ref(const fk__hog *m, const fk__hog_filter *flt, const fk__hog_fmap *f, float *sal, float *scratch,
                       long *top, long *left, long *bottom, long *right);
void fk__hog_apply_avx2(const fk__hog *m, const fk__hog_filter *flt, const fk__hog_fmap *f, float *sal, float *scratch,
                        long *top, long *left, long *bottom, long *right);

/* The SVD of a rows x cols matrix f (row-major, both <= FK__HOG_MAX_FILTER): f = u diag(w) v^T with
 * k = min(rows, cols) triplets, singular values descending; u is rows x k, v is cols x k (row-major).
 * work: 2 * rows * cols doubles. Returns k. */
int fk__hog_svd(const double *f, int rows, int cols, double *u, double *w, double *v, double *work);

/* The fast kernel's strips of output rows. */
#define FK__HOG_STRIP 96
/* Scratch floats both filter kernels need for an fmap of rows x stride and filters fh rows high. */
size_t fk__hog_apply_scratch(int rows, size_t stride, int fh);

bool fk__hog_cpu_avx2(void);

#endif
