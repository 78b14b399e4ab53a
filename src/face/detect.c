/* detect.c: fk_face_detect: the SSD or Tiny detector over a whole image, with face-api's post-processing. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "face/detect_post.h"
#include "face/session.h"

void fk_detect_options_init(fk_detect_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->detector = FK_DETECTOR_SSD;
    opt->min_score = 0.5f;
    opt->iou_threshold = 0.5f;
    opt->max_faces = 100;
    opt->tiny_input_size = 416;
    opt->closeup = FK_CLOSEUP_IF_NONE;
    opt->closeup_border = 0.5f;
    opt->upsample = 1;
    opt->dlib_threshold = 0.0f;
}

static fk_status check_image(fk_session *s, const fk_image *img)
{
    if (!img || !img->data || img->width <= 0 || img->height <= 0 || img->stride < (size_t)img->width * 3)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "invalid image");
    return FK_OK;
}

static fk_status detect_ssd(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                            size_t *count)
{
    fk__plan *plan = fk__session_plan(s, FK__NET_SSD);
    if (!plan)
        return s->err.status;
    const int size = 512;
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__irect whole = {0, 0, img->width, img->height};
    fk__session_run_crop(s, plan, FK__NET_SSD, img, whole, size, false);

    size_t n = FK__SSD_ANCHORS;
    float *boxes = malloc(sizeof(float) * 4 * n), *scores = malloc(sizeof(float) * n);
    int *keep = malloc(sizeof(int) * n), *scratch = malloc(sizeof(int) * n);
    fk_status st = FK_OK;
    if (!boxes || !scores || !keep || !scratch) {
        st = fk__session_fail(s, FK_E_NO_MEMORY, "out of memory decoding detections");
        goto done;
    }
    fk__ssd_decode(s->models->nets[FK__NET_SSD], plan, boxes, scores);
    int kept = fk__ssd_nms(boxes, scores, (int)n, o->min_score, o->iou_threshold, o->max_faces, keep, scratch);
    if (kept > 0) {
        *faces = calloc((size_t)kept, sizeof **faces);
        if (!*faces) {
            st = fk__session_fail(s, FK_E_NO_MEMORY, "out of memory for detections");
            goto done;
        }
        for (int i = 0; i < kept; i++) {
            (*faces)[i].box = fk__ssd_box_to_image(boxes + 4 * keep[i], img->width, img->height, size);
            (*faces)[i].score = scores[keep[i]];
        }
    }
    *count = (size_t)kept;
done:
    free(boxes);
    free(scores);
    free(keep);
    free(scratch);
    return st;
}

static fk_status detect_tiny(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                             size_t *count)
{
    int size = o->tiny_input_size;
    fk__plan *plan = fk__session_tiny_plan(s, size);
    if (!plan)
        return s->err.status;
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__irect whole = {0, 0, img->width, img->height};
    fk__session_run_crop(s, plan, FK__NET_TINY, img, whole, size, false);
    fk__shape shape;
    const float *raw = fk__plan_output(plan, 0, &shape);
    int max = o->max_faces;
    fk_face *out = calloc((size_t)max, sizeof *out);
    if (!out)
        return fk__session_fail(s, FK_E_NO_MEMORY, "out of memory for detections");
    int kept = fk__tiny_decode(raw, shape.h, img->width, img->height, size, o->min_score, o->iou_threshold, out, max);
    if (kept < 0) {
        free(out);
        return fk__session_fail(s, FK_E_NO_MEMORY, "out of memory decoding detections");
    }
    if (kept == 0) {
        free(out);
        out = NULL;
    }
    *faces = out;
    *count = (size_t)kept;
    return FK_OK;
}

static fk_status detect_once(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                             size_t *count)
{
    if (o->detector == FK_DETECTOR_SSD)
        return detect_ssd(s, img, o, faces, count);
    if (o->detector == FK_DETECTOR_BLAZEFACE)
        return fk__detect_blazeface(s, img, o, faces, count);
    return detect_tiny(s, img, o, faces, count);
}

static double box_iou(fk_box a, fk_box b)
{
    double x0 = fmax(a.x, b.x), y0 = fmax(a.y, b.y);
    double x1 = fmin(a.x + a.width, b.x + b.width), y1 = fmin(a.y + a.height, b.y + b.height);
    double inter = fmax(0, x1 - x0) * fmax(0, y1 - y0);
    double u = a.width * a.height + b.width * b.height - inter;
    return u > 0 ? inter / u : 0;
}

static int by_score(const void *a, const void *b)
{
    float x = ((const fk_face *)a)->score, y = ((const fk_face *)b)->score;
    return (x < y) - (x > y);
}

/* Appends `extra` (n faces, freed here) to *faces and keeps the best by score with non-maximum
 * suppression, at most max_faces. */
static fk_status merge_faces(fk_session *s, const fk_detect_options *o, fk_face **faces, size_t *count,
                             fk_face *more, size_t keep)
{
    fk_face *all = realloc(*faces, (*count + keep + 1) * sizeof *all);
    if (!all) {
        free(more);
        return fk__session_fail(s, FK_E_NO_MEMORY, "out of memory merging detections");
    }
    if (keep) /* more may be NULL when nothing was found */
        memcpy(all + *count, more, keep * sizeof *more);
    free(more);
    size_t total = *count + keep, kept = 0;
    qsort(all, total, sizeof *all, by_score);
    for (size_t i = 0; i < total; i++) {
        int dup = 0;
        for (size_t j = 0; j < kept && !dup; j++)
            dup = box_iou(all[i].box, all[j].box) > o->iou_threshold;
        if (!dup && kept < (size_t)o->max_faces)
            all[kept++] = all[i];
    }
    if (kept == 0) {
        free(all);
        all = NULL;
    }
    *faces = all;
    *count = kept;
    return FK_OK;
}

/* The close-up pass: detect on the image centred in a black border, map the boxes back (clipped to
 * the image), and merge with the first pass's faces by score with non-maximum suppression. */
static fk_status closeup_pass(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                              size_t *count)
{
    int side = img->width > img->height ? img->width : img->height;
    int border = (int)(side * o->closeup_border);
    fk_image *p = NULL;
    fk_error e;
    if (fk_image_new(img->width + 2 * border, img->height + 2 * border, &p, &e) != FK_OK)
        return fk__session_take(s, e.status, &e);
    for (int y = 0; y < img->height; y++)
        memcpy(p->data + (size_t)(y + border) * p->stride + (size_t)border * 3, img->data + (size_t)y * img->stride,
               (size_t)img->width * 3);
    fk_face *more = NULL;
    size_t n = 0;
    fk_status st = detect_once(s, p, o, &more, &n);
    fk_image_free(p);
    if (st != FK_OK)
        return st;
    size_t keep = 0;
    for (size_t i = 0; i < n; i++) {
        fk_box b = more[i].box;
        double x0 = fmax(0, b.x - border), y0 = fmax(0, b.y - border);
        double x1 = fmin(img->width, b.x + b.width - border), y1 = fmin(img->height, b.y + b.height - border);
        if (x1 - x0 < 1 || y1 - y0 < 1)
            continue; /* a "face" in the border */
        more[keep] = more[i];
        more[keep].box = (fk_box){x0, y0, x1 - x0, y1 - y0};
        keep++;
    }
    return merge_faces(s, o, faces, count, more, keep);
}

/* The tiling pass: an n x n grid of overlapping tiles, each run through the detector at its full
 * input size, so a face n times smaller is seen at the scale a whole-image pass sees the larger
 * ones. A box that touches a tile's inner edge is a cut face, left to the whole-image pass or the
 * neighbouring tile; the rest are merged with non-maximum suppression. */
#define FK__TILE_OVERLAP 0.25 /* of a tile's side: faces up to a quarter tile wide lie whole in one */

static fk_status tiles_pass(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                            size_t *count)
{
    int n = o->tiles;
    int tw = (int)ceil(img->width / (double)n * (1 + FK__TILE_OVERLAP));
    int th = (int)ceil(img->height / (double)n * (1 + FK__TILE_OVERLAP));
    if (tw > img->width)
        tw = img->width;
    if (th > img->height)
        th = img->height;
    for (int ty = 0; ty < n; ty++)
        for (int tx = 0; tx < n; tx++) {
            int x0 = (int)lround((double)(img->width - tw) * tx / (n - 1));
            int y0 = (int)lround((double)(img->height - th) * ty / (n - 1));
            fk_image tile = {tw, th, img->stride, img->data + (size_t)y0 * img->stride + (size_t)x0 * 3};
            fk_face *more = NULL;
            size_t m = 0;
            fk_status st = detect_once(s, &tile, o, &more, &m);
            if (st != FK_OK)
                return st;
            double margin = 0.01 * (tw > th ? tw : th);
            size_t keep = 0;
            for (size_t i = 0; i < m; i++) {
                fk_box b = more[i].box;
                bool cut = (x0 > 0 && b.x <= margin) || (y0 > 0 && b.y <= margin) ||
                           (x0 + tw < img->width && b.x + b.width >= tw - margin) ||
                           (y0 + th < img->height && b.y + b.height >= th - margin);
                if (cut)
                    continue;
                more[keep] = more[i];
                more[keep].box.x += x0;
                more[keep].box.y += y0;
                keep++;
            }
            st = merge_faces(s, o, faces, count, more, keep);
            if (st != FK_OK)
                return st;
        }
    return FK_OK;
}

/* SSD or Tiny with the close-up and tile passes the options ask for. */
static fk_status detect_all_passes(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                                   size_t *count)
{
    fk_status st = detect_once(s, img, o, faces, count);
    if (st == FK_OK && (o->closeup == FK_CLOSEUP_ALWAYS || (o->closeup == FK_CLOSEUP_IF_NONE && *count == 0)))
        st = closeup_pass(s, img, o, faces, count);
    if (st == FK_OK && o->tiles >= 2)
        st = tiles_pass(s, img, o, faces, count);
    if (st != FK_OK) {
        fk_faces_free(*faces);
        *faces = NULL;
        *count = 0;
    }
    for (size_t i = 0; i < *count; i++)
        (*faces)[i].detector = o->detector;
    return st;
}

fk_status fk_face_detect(fk_session *s, const fk_image *img, const fk_detect_options *opt, fk_face **faces,
                         size_t *count)
{
    if (!s)
        return FK_E_INVALID_ARGUMENT;
    if (!faces || !count)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "fk_face_detect: NULL output");
    *faces = NULL;
    *count = 0;
    fk_status st = check_image(s, img);
    if (st != FK_OK)
        return st;
    fk_detect_options o;
    fk_detect_options_init(&o);
    if (opt) {
        o.detector = opt->detector;
        if (opt->min_score > 0)
            o.min_score = opt->min_score;
        if (opt->max_faces > 0)
            o.max_faces = opt->max_faces;
        if (opt->tiny_input_size > 0)
            o.tiny_input_size = opt->tiny_input_size;
        o.iou_threshold = opt->iou_threshold > 0 ? opt->iou_threshold : (o.detector == FK_DETECTOR_TINY ? 0.4f : 0.5f);
        o.closeup = opt->closeup;
        o.tiles = opt->tiles;
        if (opt->closeup_border > 0)
            o.closeup_border = opt->closeup_border;
        o.upsample = opt->upsample;
        o.dlib_threshold = opt->dlib_threshold;
        o.retry_min_score = opt->retry_min_score;
        o.use_fallback = opt->use_fallback;
        o.fallback = opt->fallback;
    } else {
        o.iou_threshold = 0.5f;
    }
    if (!(o.min_score < 1.0f) || !(o.iou_threshold <= 1.0f) || o.max_faces > 100000 || o.closeup < 0 ||
        o.closeup >= FK_CLOSEUP_COUNT || !(o.closeup_border <= 4.0f) || o.tiles < 0 || o.tiles > 8)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "detect options out of range");
    if (o.detector == FK_DETECTOR_TINY &&
        (o.tiny_input_size % 32 || o.tiny_input_size < 64 || o.tiny_input_size > 2048))
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "tiny input size %d: use a multiple of 32 from 64 to 2048",
                                o.tiny_input_size);
    if (o.detector < 0 || o.detector >= FK_DETECTOR_COUNT)
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "unknown detector %d", (int)o.detector);
    if (!(o.retry_min_score >= 0.0f && o.retry_min_score < 1.0f) ||
        (o.use_fallback && (o.fallback < 0 || o.fallback >= FK_DETECTOR_COUNT)))
        return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "detect options: retry score %g or fallback detector %d out "
                                "of range", (double)o.retry_min_score, (int)o.fallback);
    if (o.detector == FK_DETECTOR_HOG || o.detector == FK_DETECTOR_MMOD) {
        if (o.upsample < 0 || o.upsample > 4 || !isfinite(o.dlib_threshold))
            return fk__session_fail(s, FK_E_INVALID_ARGUMENT, "upsample %d out of 0..4 (or a bad threshold)",
                                    o.upsample);
        st = fk__detect_dlib(s, img, &o, faces, count);
    } else {
        st = detect_all_passes(s, img, &o, faces, count);
        if (st == FK_OK && *count == 0 && o.retry_min_score > 0 && o.retry_min_score < o.min_score) {
            fk_detect_options lower = o;
            lower.min_score = o.retry_min_score;
            fk_faces_free(*faces);
            *faces = NULL;
            st = detect_all_passes(s, img, &lower, faces, count);
        }
    }
    if (st == FK_OK && *count == 0 && o.use_fallback && o.fallback != o.detector) {
        fk_detect_options last;
        fk_detect_options_init(&last);
        last.detector = o.fallback;
        last.max_faces = o.max_faces;
        last.use_fallback = 0;
        fk_faces_free(*faces);
        *faces = NULL;
        return fk_face_detect(s, img, &last, faces, count);
    }
    return st;
}

void fk_faces_free(fk_face *faces)
{
    free(faces);
}
