/* hog_model.c: reading dlib's serialized HOG object_detector (.dat), every field bounds-checked, and building its filter bank as dlib does. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/file.h"
#include "face/ert/dat_reader.h"
#include "face/hog/hog.h"
#include "nn/load/weights.h"

/* The layout (dlib/image_processing/object_detector.h, scan_fhog_pyramid.h, box_overlap_testing.h):
 *   int version                       2 (1: an older layout, also read)
 *   scan_fhog_pyramid:
 *     int version                     1
 *     (default_fhog_feature_extractor writes nothing)
 *     array<fhog_image> feats         max_size, size: both 0 in a saved detector (it saves a fresh
 *                                     scanner), and refused otherwise
 *     int cell_size; unsigned long padding, window_width, window_height, max_pyramid_levels,
 *     min_pyramid_layer_width, min_pyramid_layer_height; double nuclear_norm_regularization_strength;
 *     long num_dimensions             fw * fh * 31, checked against the window
 *   test_box_overlap                  double iou_thresh, double percent_covered_thresh
 *   unsigned long num_detectors, then that many matrix<double,0,1> of num_dimensions + 1 values
 *   (version 1: the scanner, one matrix, then the overlap tester)
 * Bytes after the last matrix are ignored, as dlib ignores them. */

#define MIN_DOUBLE_BYTES 4u /* a float_details: two integers of at least 2 bytes */

void fk__hog_free(fk__hog *m)
{
    if (!m)
        return;
    if (m->filters)
        for (int i = 0; i < m->num_filters; i++) {
            free(m->filters[i].full);
            free(m->filters[i].sep);
            free(m->filters[i].taps);
        }
    free(m->filters);
    free(m->path);
    free(m);
}

static bool no_memory(fk__dat_reader *r)
{
    return fk__dat_fail(r, FK_E_NO_MEMORY, "out of memory loading the detector");
}

/* A double as dlib's float_details: ldexp((double)mantissa, exponent); non-finite refused. */
static bool read_double(fk__dat_reader *r, double *v, const char *what)
{
    if (!fk__dat_fill(r, 1, what))
        return false;
    if (r->p[0] & 0x70u)
        return fk__dat_fail(r, FK_E_BAD_FORMAT,
                            "%s is not in dlib's binary float encoding (byte 0x%02x; corrupt, or dlib's old text "
                            "encoding, which is not supported)",
                            what, r->p[0]);
    int64_t mantissa, exponent;
    if (!fk__dat_int(r, 8, &mantissa, what) || !fk__dat_int(r, 2, &exponent, what))
        return false;
    if (exponent >= 32000)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%s is %s, which no detector holds", what,
                            exponent == 32000   ? "inf"
                            : exponent == 32001 ? "-inf"
                                                : "NaN");
    double d = ldexp((double)mantissa, (int)exponent);
    if (!isfinite(d))
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%s overflows a double (mantissa %lld, exponent %lld)", what,
                            (long long)mantissa, (long long)exponent);
    *v = d;
    return true;
}

/* C++ integer division, which truncates toward zero, as dlib's point / int does. */
static long div_trunc(long a, long b)
{
    return a / b; /* C99 and later truncate toward zero too */
}

/* compute_fhog_window_size: the detection window centred on (0, 0), mapped to fhog cells with
 * image_to_fhog(rect, cell, 1, 1), grown by the padding. */
static void fhog_window(long cell, long ww, long wh, long pad, long *fw, long *fh)
{
    long left = 0 - ww / 2, top = 0 - wh / 2;
    long right = left + ww - 1, bottom = top + wh - 1;
    long l = div_trunc(left - 1, cell) - 1, t = div_trunc(top - 1, cell) - 1;
    long rr = div_trunc(right - 1, cell) - 1, b = div_trunc(bottom - 1, cell) - 1;
    l -= pad, t -= pad, rr += pad, b += pad;
    *fw = rr >= l ? rr - l + 1 : 0;
    *fh = b >= t ? b - t + 1 : 0;
}

static bool read_scanner(fk__dat_reader *r, fk__hog *m, uint64_t *dims)
{
    int64_t version, cell, idims;
    uint64_t feats_max, feats_size, pad, ww, wh;
    snprintf(r->ctx, sizeof r->ctx, "scan_fhog_pyramid");
    if (!fk__dat_int(r, 4, &version, "the scanner's version"))
        return false;
    if (version != 1)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "scan_fhog_pyramid version %lld; dlib writes version 1",
                            (long long)version);
    if (!fk__dat_uint(r, 8, &feats_max, "the stored feature pyramid's capacity") ||
        !fk__dat_uint(r, 8, &feats_size, "the stored feature pyramid's size"))
        return false;
    if (feats_size != 0)
        return fk__dat_fail(r, FK_E_BAD_FORMAT,
                            "the scanner holds %llu levels of an image's features; a saved detector holds none",
                            (unsigned long long)feats_size);
    if (!fk__dat_int(r, 4, &cell, "the cell size") || !fk__dat_uint(r, 8, &pad, "the padding") ||
        !fk__dat_uint(r, 8, &ww, "the detection window width") ||
        !fk__dat_uint(r, 8, &wh, "the detection window height") ||
        !fk__dat_uint(r, 8, &m->max_levels, "the most pyramid levels") ||
        !fk__dat_uint(r, 8, &m->min_layer_w, "the smallest pyramid layer width") ||
        !fk__dat_uint(r, 8, &m->min_layer_h, "the smallest pyramid layer height") ||
        !read_double(r, &m->nuclear_norm, "the nuclear norm regularization strength") ||
        !fk__dat_int(r, 8, &idims, "the number of dimensions"))
        return false;
    if (cell < 1)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "the cell size is %lld", (long long)cell);
    if (cell == 1 || cell > FK__HOG_MAX_CELL)
        return fk__dat_fail(r, FK_E_UNSUPPORTED, "cell size %lld is not supported (2 to %d are)", (long long)cell,
                            FK__HOG_MAX_CELL);
    const uint64_t max_win = (uint64_t)FK__HOG_MAX_FILTER * (uint64_t)cell;
    if (ww == 0 || wh == 0 || ww > max_win || wh > max_win || pad > FK__HOG_MAX_FILTER)
        return fk__dat_fail(r, FK_E_UNSUPPORTED,
                            "a %llu x %llu detection window with padding %llu is not supported (windows of 1 to "
                            "%llu pixels, padding up to %d)",
                            (unsigned long long)ww, (unsigned long long)wh, (unsigned long long)pad,
                            (unsigned long long)max_win, FK__HOG_MAX_FILTER);
    long fw, fh;
    fhog_window((long)cell, (long)ww, (long)wh, (long)pad, &fw, &fh);
    if (fw < 1 || fh < 1 || fw > FK__HOG_MAX_FILTER || fh > FK__HOG_MAX_FILTER || fw <= 2 * (long)pad ||
        fh <= 2 * (long)pad)
        return fk__dat_fail(r, FK_E_UNSUPPORTED,
                            "the window makes a %ld x %ld cell filter (padding %llu); 1 to %d cells inside the "
                            "padding are supported",
                            fw, fh, (unsigned long long)pad, FK__HOG_MAX_FILTER);
    const uint64_t want = (uint64_t)fw * (uint64_t)fh * FK__HOG_PLANES;
    if (idims < 0 || (uint64_t)idims != want)
        return fk__dat_fail(r, FK_E_BAD_FORMAT,
                            "the scanner says %lld dimensions; its %ld x %ld cell window of 31 planes has %llu",
                            (long long)idims, fw, fh, (unsigned long long)want);
    m->cell_size = (int)cell;
    m->padding = (int)pad;
    m->window_w = (int)ww;
    m->window_h = (int)wh;
    m->fw = (int)fw;
    m->fh = (int)fh;
    *dims = want;
    r->ctx[0] = '\0';
    return true;
}

static bool read_overlap(fk__dat_reader *r, fk__hog *m)
{
    snprintf(r->ctx, sizeof r->ctx, "test_box_overlap");
    if (!read_double(r, &m->iou_thresh, "the overlap tester's IoU threshold") ||
        !read_double(r, &m->pcov_thresh, "the overlap tester's percent-covered threshold"))
        return false;
    /* dlib asserts both in [0, 1] when it builds the tester */
    if (!(m->iou_thresh >= 0 && m->iou_thresh <= 1) || !(m->pcov_thresh >= 0 && m->pcov_thresh <= 1))
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "overlap thresholds %g and %g; both must lie in [0, 1]", m->iou_thresh,
                            m->pcov_thresh);
    r->ctx[0] = '\0';
    return true;
}

/* build_fhog_filterbank: each plane's fh x fw weights as a float filter, and split by its SVD into
 * col * row parts, keeping the singular values of at least max(1e-4, largest * 0.001), each part
 * scaled by sqrt of its singular value. dlib scans with the parts when there are few enough:
 * at most planes * min(fh, fw) / 3 of them. */
static bool build_filter(fk__dat_reader *r, const fk__hog *m, const double *w, fk__hog_filter *flt)
{
    const int fw = m->fw, fh = m->fh, size = fw * fh;
    const int k = fw < fh ? fw : fh;
    flt->full = malloc(sizeof(float) * (size_t)size * FK__HOG_PLANES);
    double *u = malloc(sizeof(double) * (size_t)size * 5); /* u, v and the SVD's work */
    if (!u)
        return no_memory(r);
    double *v = u + size, *work = v + size;
    /* at most k parts per plane */
    flt->sep = malloc(sizeof *flt->sep * (size_t)k * FK__HOG_PLANES);
    flt->taps = malloc(sizeof(float) * (size_t)k * FK__HOG_PLANES * (size_t)(fw + fh));
    if (!flt->full || !flt->sep || !flt->taps) {
        free(u);
        return no_memory(r);
    }
    for (int i = 0; i < size * FK__HOG_PLANES; i++)
        flt->full[i] = (float)w[i];
    double sv[FK__HOG_MAX_FILTER];
    int n = 0;
    float *taps = flt->taps;
    for (int p = 0; p < FK__HOG_PLANES; p++) {
        const double *f = w + (size_t)p * (size_t)size;
        int kk = fk__hog_svd(f, fh, fw, u, sv, v, work);
        double top = kk ? sv[0] : 0;
        for (int j = 1; j < kk; j++)
            if (sv[j] > top)
                top = sv[j];
        double th = top * 0.001 > 1e-4 ? top * 0.001 : 1e-4;
        for (int j = 0; j < kk; j++) {
            if (!(sv[j] >= th || sv[j] <= -th)) /* dlib's round_zeros */
                continue;
            double s = sqrt(sv[j]);
            float *row = taps, *col = taps + fw;
            for (int c = 0; c < fw; c++)
                row[c] = (float)(v[c * kk + j] * s);
            for (int rr = 0; rr < fh; rr++)
                col[rr] = (float)(u[rr * kk + j] * s);
            flt->sep[n].plane = p;
            flt->sep[n].row = row;
            flt->sep[n].col = col;
            n++;
            taps += fw + fh;
        }
    }
    free(u);
    flt->num_sep = n;
    flt->separable = !((double)n > (double)FK__HOG_PLANES * (double)k / 3.0);
    return true;
}

static bool read_weights(fk__dat_reader *r, fk__hog *m, uint64_t dims, int index)
{
    uint64_t rows, cols;
    snprintf(r->ctx, sizeof r->ctx, "weight vector %d", index);
    if (!fk__dat_matrix_dims(r, dims + 1, &rows, &cols, "the weight vector's size"))
        return false;
    if (rows != dims + 1 || cols != 1)
        return fk__dat_fail(r, FK_E_BAD_FORMAT,
                            "the weight vector is %llu x %llu; the scanner needs %llu x 1 (its dimensions and the "
                            "threshold)",
                            (unsigned long long)rows, (unsigned long long)cols, (unsigned long long)(dims + 1));
    if ((dims + 1) * MIN_DOUBLE_BYTES > fk__dat_remaining(r))
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "the weight vector's %llu values cannot fit in the %llu bytes left",
                            (unsigned long long)(dims + 1), (unsigned long long)fk__dat_remaining(r));
    double *w = malloc(sizeof *w * (size_t)(dims + 1));
    if (!w)
        return no_memory(r);
    bool ok = true;
    for (uint64_t i = 0; i <= dims && ok; i++)
        ok = read_double(r, &w[i], "a weight");
    if (ok) {
        fk__hog_filter *flt = &m->filters[index];
        flt->thresh = w[dims];
        ok = build_filter(r, m, w, flt);
    }
    free(w);
    if (ok)
        r->ctx[0] = '\0';
    return ok;
}

/* The first bytes of the stream in hex, for "not a HOG detector" messages. */
static void first_bytes(const uint8_t *p, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0, len = 0; i < n && i < 8 && len + 4 < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, i ? " %02x" : "%02x", p[i]);
}

static fk_status parse(fk__dat_reader *r, const char *name, fk__hog **out)
{
    fk__hog *m = calloc(1, sizeof *m);
    if (!m) {
        no_memory(r);
        return r->status;
    }
    size_t nlen = strlen(name);
    m->path = malloc(nlen + 1);
    if (!m->path) {
        no_memory(r);
        goto fail;
    }
    memcpy(m->path, name, nlen + 1);

    int64_t version = 0;
    char head[40] = "";
    if (fk__dat_fill(r, 1, "the version"))
        first_bytes(r->p, (size_t)(r->end - r->p), head, sizeof head);
    else
        goto fail;
    if (!fk__dat_int(r, 4, &version, "the version") || (version != 1 && version != 2)) {
        if (r->status != FK_OK && r->status != FK_E_BAD_FORMAT)
            goto fail;
        r->status = FK_E_BAD_FORMAT;
        fk__fail(r->err, FK_E_BAD_FORMAT,
                 "%s: not a dlib HOG object_detector (it starts with bytes %s; one starts with dlib's version 2 "
                 "then the scanner's version 1, bytes 01 02 01 01)",
                 name, head);
        goto fail;
    }
    uint64_t dims = 0, nd = 1;
    if (!read_scanner(r, m, &dims))
        goto fail;
    if (version == 2) {
        if (!read_overlap(r, m))
            goto fail;
        /* each weight vector takes at least a matrix header and dims + 1 doubles */
        if (!fk__dat_count(r, (size_t)(2 * FK__DAT_MIN_INT + (dims + 1) * MIN_DOUBLE_BYTES), FK__HOG_MAX_DETECTORS, &nd,
                           "the number of weight vectors"))
            goto fail;
        if (nd == 0) {
            fk__dat_fail(r, FK_E_BAD_FORMAT, "the detector has no weight vectors");
            goto fail;
        }
    }
    m->filters = calloc((size_t)nd, sizeof *m->filters);
    if (!m->filters) {
        no_memory(r);
        goto fail;
    }
    m->num_filters = (int)nd;
    for (int i = 0; i < (int)nd; i++)
        if (!read_weights(r, m, dims, i))
            goto fail;
    if (version == 1 && !read_overlap(r, m))
        goto fail;
    *out = m;
    return FK_OK;
fail:
    fk__hog_free(m);
    return r->status != FK_OK ? r->status : FK_E_BAD_FORMAT;
}

fk_status fk__hog_load_mem(const void *data, size_t size, const char *name, fk__hog **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__hog_load_mem: NULL out");
    *out = NULL;
    if (!data && size)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__hog_load_mem: NULL data");
    if (!name)
        name = "(memory)";
    if ((uint64_t)size > FK__HOG_MAX_BYTES)
        return fk__fail(err, FK_E_LIMIT, "%s: %zu bytes, more than the %llu a HOG detector may have", name, size,
                        (unsigned long long)FK__HOG_MAX_BYTES);
    fk__dat_reader r;
    fk__dat_init_mem(&r, data, size, name, err);
    return parse(&r, name, out);
}

fk_status fk__hog_load(const char *path, fk__hog **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__hog_load: NULL out");
    *out = NULL;
    if (!path)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__hog_load: NULL path");
    void *data = NULL;
    size_t size = 0;
    fk_status st = fk__file_read_all(path, (size_t)FK__HOG_MAX_BYTES, &data, &size, err);
    if (st != FK_OK)
        return fk__model_not_found(path, st, err);
    if (fk__model_verify_enabled() && (st = fk__model_bytes_verify(path, data, size, err)) != FK_OK) {
        free(data);
        return st;
    }
    st = fk__hog_load_mem(data, size, path, out, err);
    free(data);
    return st;
}
