/* hog_detect.c: dlib's HOG scan: pyramid_up, the pyramid_down<6> levels, fhog, filter responses, thresholds, box mapping and non-max suppression. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "face/hog/hog.h"
#include "nn/ops/ops.h"

bool fk__hog_cpu_avx2(void)
{
    return fk__cpu_has_avx2_fma();
}

/* dlib rectangles: inclusive, empty when right < left or bottom < top. */
typedef struct rect {
    long l, t, r, b;
} rect;

static double rect_area(rect a)
{
    if (a.r < a.l || a.b < a.t)
        return 0;
    return (double)(unsigned long)(a.r - a.l + 1) * (double)(unsigned long)(a.b - a.t + 1);
}

static long round_half_up(double v)
{
    return (long)floor(v + 0.5); /* drectangle to rectangle */
}

/* pyramid_down<6>::rect_down: each corner (p - 0.3) * 5/6, rounded. */
static rect rect_down6(rect a)
{
    const double k = 5 / 6.0;
    rect o = {round_half_up((a.l - 0.3) * k), round_half_up((a.t - 0.3) * k), round_half_up((a.r - 0.3) * k),
              round_half_up((a.b - 0.3) * k)};
    return o;
}

/* pyramid_down<6>::rect_up(rect, levels): each corner p * 6/5 + 0.3, `levels` times, rounded once.
 * dlib's -march=native build fuses the multiply-add (fma), which moves some x.5 boxes by a pixel. */
static rect rect_up6(rect a, int levels)
{
    const double k = 6 / 5.0;
    double l = (double)a.l, t = (double)a.t, r = (double)a.r, b = (double)a.b;
    for (int i = 0; i < levels; i++) {
        l = fma(l, k, 0.3);
        t = fma(t, k, 0.3);
        r = fma(r, k, 0.3);
        b = fma(b, k, 0.3);
    }
    rect o = {round_half_up(l), round_half_up(t), round_half_up(r), round_half_up(b)};
    return o;
}

/* pyramid_down<2>::rect_down(rect, levels): each corner p / 2 - (1.25, 0.75), rounded once. */
static rect rect_down2(rect a, int levels)
{
    double l = (double)a.l, t = (double)a.t, r = (double)a.r, b = (double)a.b;
    for (int i = 0; i < levels; i++) {
        l = l / 2.0 - 1.25;
        t = t / 2.0 - 0.75;
        r = r / 2.0 - 1.25;
        b = b / 2.0 - 0.75;
    }
    rect o = {round_half_up(l), round_half_up(t), round_half_up(r), round_half_up(b)};
    return o;
}

/* fhog_to_image(p, cell, fh, fw): the cell's image position, moved to the cell's centre away from 0. */
static void fhog_to_image(long *x, long *y, int cell, int fh, int fw)
{
    long px = (*x + 1 - (fw - 1) / 2) * cell + 1, py = (*y + 1 - (fh - 1) / 2) * cell + 1;
    long ox = px >= 0 ? cell / 2 : -(cell / 2), oy = py >= 0 ? cell / 2 : -(cell / 2);
    *x = px + ox;
    *y = py + oy;
}

/* dlib's test_box_overlap(a, b): intersection over the bounding box of both ("a + b" is the
 * smallest rectangle holding both), or the share of either box covered. */
static bool overlaps(const fk__hog *m, rect a, rect b)
{
    rect in = {a.l > b.l ? a.l : b.l, a.t > b.t ? a.t : b.t, a.r < b.r ? a.r : b.r, a.b < b.b ? a.b : b.b};
    const double inner = rect_area(in);
    if (inner == 0)
        return false;
    rect u = {a.l < b.l ? a.l : b.l, a.t < b.t ? a.t : b.t, a.r > b.r ? a.r : b.r, a.b > b.b ? a.b : b.b};
    const double outer = rect_area(u);
    return inner / outer > m->iou_thresh || inner / rect_area(a) > m->pcov_thresh ||
           inner / rect_area(b) > m->pcov_thresh;
}

typedef struct det {
    double score; /* raw response (double of the float), then the confidence */
    rect r;
    int weight;
    size_t seq; /* position in dlib's accumulation order, the tie-break */
} det;

typedef struct det_list {
    det *v;
    size_t n, cap;
} det_list;

static bool push(det_list *d, det x)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64, bytes;
        if (!fk__mul_size(cap, sizeof *d->v, &bytes))
            return false;
        det *v = realloc(d->v, bytes);
        if (!v)
            return false;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = x;
    return true;
}

/* Descending score. dlib sorts with std::sort, which is not stable; equal scores keep the order
 * they were found in here (dlib's order for them is its sort's own). */
static int by_score_desc(const void *pa, const void *pb)
{
    const det *a = pa, *b = pb;
    if (a->score > b->score)
        return -1;
    if (a->score < b->score)
        return 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

typedef struct kernels {
    void (*resize)(const uint8_t *, int, int, size_t, size_t, uint8_t *, int, int, size_t, size_t);
    void (*fhog)(const uint8_t *, int, int, size_t, size_t, int, int, int, fk__hog_fmap *, float *, const uint8_t *);
    void (*apply)(const fk__hog *, const fk__hog_filter *, const fk__hog_fmap *, float *, float *, long *, long *,
                  long *, long *);
    /* the scan's own images (the upsampled one, the pyramid's levels) as colour planes: the fast
     * kernels then split no row into planes, which they would do twice per level (fhog and the
     * next level's resize) */
    bool planar;
} kernels;

static kernels pick(fk__hog_kernels k)
{
    kernels ref = {fk__hog_resize_ref, fk__hog_fhog_ref, fk__hog_apply_ref, false};
#if defined(__x86_64__) || defined(__i386__)
    kernels fast = {fk__hog_resize_avx2, fk__hog_fhog_avx2, fk__hog_apply_avx2, true};
#else
    kernels fast = ref;
#endif
    if (k == FK__HOG_KERNELS_AUTO) {
        const char *e = getenv("FACEKIT_KERNELS");
        if (e && (strcmp(e, "reference") == 0 || strcmp(e, "portable") == 0))
            k = FK__HOG_KERNELS_REFERENCE;
    }
    if (k == FK__HOG_KERNELS_REFERENCE || !fk__hog_cpu_avx2())
        return ref;
    return fast;
}

/* A buffer of at least n bytes (its old contents are not kept). */
static bool grow_bytes(uint8_t **p, size_t *cap, size_t n)
{
    if (n <= *cap && *p)
        return true;
    free(*p);
    *p = malloc(n ? n : 1);
    *cap = *p ? n : 0;
    return *p != NULL;
}

/* An image of w x h in buffer k of the context: packed rows of RGB, or colour planes whose rows
 * have 32 bytes of room past the last pixel. */
static bool image_in(fk__hog_ctx *c, int k, long w, long h, bool planar, fk__hog_rgb *im);
/* Room for an fmap of rows x cols, the saliency and the filter scratch, all of one size. */
typedef struct level_buf {
    float *fm, *sal, *scratch, *fscratch;
    size_t fm_cap, sal_cap, scratch_cap, fscratch_cap;
} level_buf;

/* What a scan allocates, kept for the next scan through the same context: the upsampled image
 * and the pyramid levels (two buffers, ping-pong), the features and filter responses, the
 * detections. */
struct fk__hog_ctx {
    uint8_t *img[2];
    size_t img_cap[2];
    level_buf lb;
    det_list per[FK__HOG_MAX_DETECTORS], all;
};

static bool image_in(fk__hog_ctx *c, int k, long w, long h, bool planar, fk__hog_rgb *im)
{
    /* w is at most INT32_MAX / 4 (checked before the scan): the strides cannot overflow */
    const size_t stride = planar ? ((size_t)w + 63) / 32 * 32 : (size_t)w * 3;
    size_t bytes;
    if (!fk__mul3_size(stride, (size_t)h, 3, &bytes) || !grow_bytes(&c->img[k], &c->img_cap[k], bytes))
        return false;
    im->w = (int)w;
    im->h = (int)h;
    im->stride = stride;
    im->px = c->img[k];
    im->plane = planar ? stride * (size_t)h : 0;
    return true;
}

fk_status fk__hog_ctx_new(fk__hog_ctx **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__hog_ctx_new: NULL out");
    *out = calloc(1, sizeof **out);
    return *out ? FK_OK : fk__fail(err, FK_E_NO_MEMORY, "HOG: out of memory for a scan context");
}

void fk__hog_ctx_free(fk__hog_ctx *c)
{
    if (!c)
        return;
    free(c->img[0]);
    free(c->img[1]);
    free(c->lb.fm);
    free(c->lb.sal);
    free(c->lb.scratch);
    free(c->lb.fscratch);
    for (int k = 0; k < FK__HOG_MAX_DETECTORS; k++)
        free(c->per[k].v);
    free(c->all.v);
    free(c);
}

static bool grow(float **p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return true;
    size_t bytes;
    if (!fk__mul_size(n, sizeof(float), &bytes) || !fk__add_size(bytes, 64, &bytes))
        return false;
    free(*p);
    *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    *cap = *p ? n : 0;
    return *p != NULL;
}

static fk_status scan_level(const fk__hog *m, const kernels *kn, const fk__hog_rgb *im, int level, level_buf *lb,
                            double adjust, det_list *per, size_t *seq, fk_error *err)
{
    fk__hog_fmap f;
    fk__hog_fmap_size(im->w, im->h, m->cell_size, m->fh, m->fw, &f.rows, &f.cols);
    if (f.rows == 0 || f.cols == 0)
        return FK_OK; /* no feature cell: no window fits */
    f.stride = ((size_t)f.cols + 15) / 16 * 16;
    size_t plane, all;
    if (!fk__mul_size(f.stride, (size_t)f.rows, &plane) || !fk__mul_size(plane, FK__HOG_PLANES, &all))
        return fk__fail(err, FK_E_OVERFLOW, "HOG: the feature planes' size overflows");
    f.plane = plane;
    const size_t fs = fk__hog_fhog_scratch(im->w, im->h, m->cell_size);
    if (!grow(&lb->fm, &lb->fm_cap, all) || !grow(&lb->sal, &lb->sal_cap, plane) ||
        !grow(&lb->scratch, &lb->scratch_cap, fk__hog_apply_scratch(f.rows, f.stride, m->fh)) ||
        !grow(&lb->fscratch, &lb->fscratch_cap, fs))
        return fk__fail(err, FK_E_NO_MEMORY, "HOG: out of memory for a %d x %d feature map", f.cols, f.rows);
    f.data = lb->fm;
    kn->fhog(im->px, im->w, im->h, im->stride, im->plane, m->cell_size, m->fh, m->fw, &f, lb->fscratch, fk__hog_olut());
    const long bw = m->fw - 2 * m->padding, bh = m->fh - 2 * m->padding;
    for (int k = 0; k < m->num_filters; k++) {
        const fk__hog_filter *flt = &m->filters[k];
        long t, l, b, r;
        kn->apply(m, flt, &f, lb->sal, lb->scratch, &t, &l, &b, &r);
        const double thresh = flt->thresh + adjust;
        for (long y = t; y <= b; y++) {
            const float *s = lb->sal + (size_t)y * f.stride;
            for (long x = l; x <= r; x++) {
                if (!((double)s[x] >= thresh))
                    continue;
                /* centered_rect(point(x, y), bw, bh), to the image, up the pyramid */
                long x0 = x - bw / 2, y0 = y - bh / 2, x1 = x0 + bw - 1, y1 = y0 + bh - 1;
                fhog_to_image(&x0, &y0, m->cell_size, m->fh, m->fw);
                fhog_to_image(&x1, &y1, m->cell_size, m->fh, m->fw);
                rect rr = {x0, y0, x1, y1};
                det d = {(double)s[x], rect_up6(rr, level), k, (*seq)++};
                if (!push(&per[k], d))
                    return fk__fail(err, FK_E_NO_MEMORY, "HOG: out of memory for detections");
            }
        }
    }
    return FK_OK;
}

fk_status fk__hog_detect_ctx(fk__hog_ctx *c, const fk__hog *m, const fk_image *img, int upsample,
                             double adjust_threshold, fk__hog_kernels which, fk__hog_det **out, size_t *n_out,
                             fk_error *err)
{
    if (out)
        *out = NULL;
    if (n_out)
        *n_out = 0;
    if (!c || !m || !img || !out || !n_out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__hog_detect: NULL argument");
    if (img->width < 0 || img->height < 0 || (img->width > 0 && img->height > 0 && !img->data) ||
        (img->width > 0 && img->stride < (size_t)img->width * 3))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__hog_detect: a %d x %d image with stride %zu", img->width,
                        img->height, img->stride);
    if (upsample < 0 || upsample > FK__HOG_MAX_UPSAMPLE)
        return fk__fail(err, upsample < 0 ? FK_E_INVALID_ARGUMENT : FK_E_LIMIT, "HOG: upsample %d; 0 to %d are allowed",
                        upsample, FK__HOG_MAX_UPSAMPLE);
    if (!isfinite(adjust_threshold))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "HOG: adjust_threshold is not finite");
    if (img->width == 0 || img->height == 0)
        return FK_OK;
    const kernels kn = pick(which);
    /* the size to scan, checked before anything is allocated */
    long sw = img->width, sh = img->height;
    for (int u = 0; u < upsample; u++) {
        fk__hog_up_size((int)sw, (int)sh, &sw, &sh);
        if ((uint64_t)sw * (uint64_t)sh > FK__HOG_MAX_SCAN_PIXELS || sw > INT32_MAX / 4 || sh > INT32_MAX / 4)
            return fk__fail(err, FK_E_LIMIT,
                            "HOG: a %d x %d image upsampled %d times is over the %llu pixels scanned at most",
                            img->width, img->height, upsample, (unsigned long long)FK__HOG_MAX_SCAN_PIXELS);
    }
    if ((uint64_t)sw * (uint64_t)sh > FK__HOG_MAX_SCAN_PIXELS)
        return fk__fail(err, FK_E_LIMIT, "HOG: a %d x %d image is over the %llu pixels scanned at most", img->width,
                        img->height, (unsigned long long)FK__HOG_MAX_SCAN_PIXELS);

    fk_status st = FK_OK;
    level_buf *lb = &c->lb;
    det_list *per = c->per, *all = &c->all;
    for (int k = 0; k < m->num_filters; k++)
        per[k].n = 0;
    all->n = 0;
    /* the image to scan: the input itself (the kernels read nothing outside its pixels), or its
     * pyramid_up in the context's buffers */
    fk__hog_rgb a = {img->width, img->height, img->stride, img->data, 0}, b;
    int in_buf = -1; /* which buffer holds a (-1: the caller's image) */
    for (int u = 0; u < upsample; u++) {
        long w2, h2;
        fk__hog_up_size(a.w, a.h, &w2, &h2);
        const int k = in_buf == 0 ? 1 : 0;
        if (!image_in(c, k, w2, h2, kn.planar, &b))
            goto oom;
        kn.resize(a.px, a.w, a.h, a.stride, a.plane, b.px, b.w, b.h, b.stride, b.plane);
        a = b;
        in_buf = k;
    }

    /* how many levels: rect_down until a side is under the smallest layer (at least one level) */
    uint64_t levels = 0;
    rect rr = {0, 0, a.w - 1, a.h - 1};
    do {
        rr = rect_down6(rr);
        levels++;
    } while ((uint64_t)(rr.r >= rr.l ? rr.r - rr.l + 1 : 0) >= m->min_layer_w &&
             (uint64_t)(rr.b >= rr.t ? rr.b - rr.t + 1 : 0) >= m->min_layer_h && levels < m->max_levels &&
             rr.r >= rr.l && rr.b >= rr.t); /* an empty level finds nothing: stop there */

    size_t seq = 0;
    for (uint64_t l = 0; l < levels; l++) {
        if (l > 0) {
            /* the levels ping-pong between the two buffers */
            long w2 = (5L * a.w) / 6, h2 = (5L * a.h) / 6;
            if (w2 <= 0 || h2 <= 0)
                break;
            const int k = in_buf == 0 ? 1 : 0;
            if (!image_in(c, k, w2, h2, kn.planar, &b))
                goto oom;
            kn.resize(a.px, a.w, a.h, a.stride, a.plane, b.px, b.w, b.h, b.stride, b.plane);
            a = b;
            in_buf = k;
        }
        st = scan_level(m, &kn, &a, (int)l, lb, adjust_threshold, per, &seq, err);
        if (st != FK_OK)
            goto done;
    }
    /* per weight vector: descending score (detect_from_fhog_pyramid's sort), the threshold taken
     * off (object_detector's detection_confidence), all of them together in weight order, then
     * sorted again when there is more than one, then greedy non-max suppression */
    for (int k = 0; k < m->num_filters; k++) {
        if (per[k].n > 1)
            qsort(per[k].v, per[k].n, sizeof(det), by_score_desc);
        for (size_t i = 0; i < per[k].n; i++) {
            det d = per[k].v[i];
            d.score -= m->filters[k].thresh;
            d.seq = all->n;
            if (!push(all, d))
                goto oom;
        }
    }
    if (m->num_filters > 1 && all->n > 1)
        qsort(all->v, all->n, sizeof(det), by_score_desc);
    size_t kept = 0;
    for (size_t i = 0; i < all->n; i++) {
        bool hit = false;
        for (size_t j = 0; j < kept && !hit; j++)
            hit = overlaps(m, all->v[j].r, all->v[i].r);
        if (!hit)
            all->v[kept++] = all->v[i];
    }
    if (kept) {
        fk__hog_det *o = malloc(sizeof *o * kept);
        if (!o)
            goto oom;
        for (size_t i = 0; i < kept; i++) {
            rect r = upsample ? rect_down2(all->v[i].r, upsample) : all->v[i].r;
            o[i].left = r.l, o[i].top = r.t, o[i].right = r.r, o[i].bottom = r.b;
            o[i].score = all->v[i].score;
            o[i].weight_index = all->v[i].weight;
        }
        *out = o;
        *n_out = kept;
    }
    goto done;
oom:
    st = fk__fail(err, FK_E_NO_MEMORY, "HOG: out of memory scanning a %d x %d image", img->width, img->height);
done:
    return st;
}

fk_status fk__hog_detect_with(const fk__hog *m, const fk_image *img, int upsample, double adjust_threshold,
                              fk__hog_kernels which, fk__hog_det **dets, size_t *n, fk_error *err)
{
    fk__hog_ctx *c = NULL;
    if (dets)
        *dets = NULL;
    if (n)
        *n = 0;
    fk_status st = fk__hog_ctx_new(&c, err);
    if (st == FK_OK)
        st = fk__hog_detect_ctx(c, m, img, upsample, adjust_threshold, which, dets, n, err);
    fk__hog_ctx_free(c);
    return st;
}

fk_status fk__hog_detect(const fk__hog *m, const fk_image *img, int upsample, double adjust_threshold,
                         fk__hog_det **dets, size_t *n, fk_error *err)
{
    return fk__hog_detect_with(m, img, upsample, adjust_threshold, FK__HOG_KERNELS_AUTO, dets, n, err);
}
