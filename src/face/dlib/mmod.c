/* mmod.c: dlib's MMOD CNN face detector: upsampling, the tiled pyramid, the net over the tiled image in bands, and loss_mmod's to_label with its NMS. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/pool.h"
#include "face/dlib/dlib_nets.h"

/* A band runs the net on a horizontal strip of the tiled image. The detector's layers are a
 * chain: first a prefix of unpadded (VALID) convolutions, any stride, then stride-1 layers padded
 * by k/2 (SAME). A prefix output row j reads input rows [j * stride, j * stride + extent); the
 * padded layers then widen each row's reach by `halo` rows (the sum of their paddings) on either
 * side. So a band of prefix rows [s, s + n) computes every row in [s + halo, s + n - halo) exactly
 * as a whole-image run does (the rows at a band edge that is the image's edge too are right as
 * well: the padding there is the zeros dlib pads with), and the kernels give every output value
 * the same sum in the same order whatever the image's height: scores are bit for bit the
 * whole-image run's. A net of another shape runs as one band. */

#define MAX_SPATIAL 64

typedef struct geo {
    int k_y, k_x, s_y, s_x, p_y, p_x;
} geo;

struct fk__mmod {
    fk__dlib_net *net; /* the layers, kept to build a graph per band size */
    int pyramid_n;
    float avg[3];
    int padding, outer;
    fk__dlib_mmod_options opt;
    int n_geo;
    geo geos[MAX_SPATIAL]; /* the spatial layers, input to output */
    int channels;          /* the net's output channels: one per detector window */
    bool bandable;
    int stride, extent, halo; /* see above; valid when bandable */
};

void fk__mmod_free(fk__mmod *m)
{
    if (!m)
        return;
    fk__dlib_net_free(m->net);
    free(m);
}

const fk__dlib_mmod_options *fk__mmod_options(const fk__mmod *m)
{
    return m ? &m->opt : NULL;
}

/* The band geometry of the chain, when it has the prefix-then-padded shape. */
static void band_geometry(fk__mmod *m)
{
    int i = 0;
    m->bandable = false;
    while (i < m->n_geo && m->geos[i].p_y == 0 && m->geos[i].p_x == 0)
        i++;
    int prefix = i;
    int halo = 0;
    for (; i < m->n_geo; i++) {
        const geo *g = &m->geos[i];
        if (g->s_y != 1 || g->p_y != g->k_y / 2 || !(g->k_y & 1) || g->p_y > 4096)
            return;
        halo += g->p_y;
    }
    long long stride = 1, extent = 1;
    for (int k = prefix - 1; k >= 0; k--) {
        extent = (extent - 1) * m->geos[k].s_y + m->geos[k].k_y;
        stride *= m->geos[k].s_y;
        if (stride > 4096 || extent > 65536 || halo > 4096)
            return; /* not a detector's shape: one band */
    }
    m->stride = (int)stride;
    m->extent = (int)extent;
    m->halo = halo;
    m->bandable = true;
}

/* The checks before a model is made; net is still the caller's. */
static fk_status check_net(const fk__dlib_net *net, int pyramid_n, fk_error *err)
{
    if (pyramid_n < 4 || pyramid_n > 20)
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: pyramid_down<%d>: only N of 4 to 20 are supported", net->path,
                        pyramid_n);
    if (net->loss.kind != FK__DLIB_LOSS_MMOD)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: not an MMOD detector (its loss is not loss_mmod)", net->path);
    if (net->loss.mmod.use_bbr)
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: layer 0 (loss_mmod_): bounding box regression is not supported",
                        net->path);
    if (net->input.kind != FK__DLIB_INPUT_RGB_PYRAMID)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: layer %d (input): expected input_rgb_image_pyramid", net->path,
                        net->n_layers + 1);
    return FK_OK;
}

fk_status fk__mmod_from_net(fk__dlib_net *net, int pyramid_n, fk__mmod **out, fk_error *err)
{
    if (!out || !net) {
        fk__dlib_net_free(net);
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__mmod_from_net: NULL argument");
    }
    *out = NULL;
    fk_status st = check_net(net, pyramid_n, err);
    if (st != FK_OK) {
        fk__dlib_net_free(net);
        return st;
    }
    const fk__dlib_mmod_options *o = &net->loss.mmod;
    fk__mmod *m = calloc(1, sizeof *m);
    if (!m) {
        fk__dlib_net_free(net);
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory", net->path);
    }
    m->net = net;
    m->pyramid_n = pyramid_n;
    m->avg[0] = net->input.avg_red;
    m->avg[1] = net->input.avg_green;
    m->avg[2] = net->input.avg_blue;
    m->padding = net->input.pyramid_padding;
    m->outer = net->input.pyramid_outer_padding;
    m->opt = *o;
    char label[80];
    for (int i = 0; i < net->n_layers && st == FK_OK; i++) {
        const fk__dlib_layer *l = &net->layers[i];
        fk__dlib_layer_label(l, label, sizeof label);
        geo g;
        switch (l->kind) {
        case FK__DLIB_CON:
            g = (geo){l->u.con.nr, l->u.con.nc, l->u.con.stride_y, l->u.con.stride_x, l->u.con.pad_y, l->u.con.pad_x};
            m->channels = l->u.con.num_filters;
            break;
        case FK__DLIB_MAX_POOL:
        case FK__DLIB_AVG_POOL:
            if (l->u.pool.nr == 0) {
                st = fk__fail(err, FK_E_UNSUPPORTED, "%s: %s: pooling over everything in a detector", net->path, label);
                continue;
            }
            g = (geo){l->u.pool.nr, l->u.pool.nc, l->u.pool.stride_y, l->u.pool.stride_x, l->u.pool.pad_y,
                      l->u.pool.pad_x};
            break;
        case FK__DLIB_AFFINE:
        case FK__DLIB_RELU:
            continue;
        default:
            st = fk__fail(err, FK_E_UNSUPPORTED, "%s: %s: a detector's layers must be a chain of con, affine, relu and "
                          "pooling layers", net->path, label);
            continue;
        }
        if (m->n_geo == MAX_SPATIAL) {
            st = fk__fail(err, FK_E_LIMIT, "%s: more than %d spatial layers", net->path, MAX_SPATIAL);
            continue;
        }
        m->geos[m->n_geo++] = g;
    }
    if (st == FK_OK && m->channels != o->n_windows)
        st = fk__fail(err, FK_E_BAD_FORMAT, "%s: the net gives %d channels for %d detector windows", net->path,
                      m->channels, o->n_windows);
    /* a trial build on the smallest input every layer fits: the layers must chain (channels) */
    if (st == FK_OK) {
        long need_h = 1, need_w = 1;
        for (int i = m->n_geo - 1; i >= 0; i--) {
            const geo *q = &m->geos[i];
            need_h = (need_h - 1) * q->s_y + q->k_y - 2 * q->p_y;
            need_w = (need_w - 1) * q->s_x + q->k_x - 2 * q->p_x;
            need_h = need_h < 1 ? 1 : need_h;
            need_w = need_w < 1 ? 1 : need_w;
            if (need_h > 100000 || need_w > 100000) {
                st = fk__fail(err, FK_E_UNSUPPORTED, "%s: its layers need an input of over 100000 pixels", net->path);
                break;
            }
        }
        fk__graph *g = NULL;
        if (st == FK_OK)
            st = fk__dlib_graph_build(net, NULL, fk__shape_make(1, (int)need_h, (int)need_w, 3), "dlib-mmod", &g, err);
        fk__graph_free(g);
    }
    if (st != FK_OK) {
        fk__mmod_free(m); /* and net with it */
        return st;
    }
    band_geometry(m);
    *out = m;
    return FK_OK;
}

fk_status fk__mmod_load(const char *path, fk__mmod **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__mmod_load: NULL out");
    *out = NULL;
    fk__dlib_net *net = NULL;
    fk_status st = fk__dlib_dnn_load(path, &net, err);
    if (st != FK_OK)
        return st;
    /* dnn_mmod_face_detection_ex.cpp: input_rgb_image_pyramid<pyramid_down<6>> */
    return fk__mmod_from_net(net, 6, out, err);
}

/* ---- the net over the tiled image ------------------------------------------------------------ */

/* Floats of the graph's largest pair of consecutive buffers: what a plan of it needs at least. */
static double peak_floats(const fk__graph *g)
{
    double best = 0;
    for (int i = 1; i < fk__graph_node_count(g); i++) {
        const fk__node *n = fk__graph_node(g, i), *x = fk__graph_node(g, n->inputs[0]);
        double v = (double)n->shape.h * n->shape.w * n->shape.c + (double)x->shape.h * x->shape.w * x->shape.c;
        if (v > best)
            best = v;
    }
    return best;
}

typedef struct band_run {
    const fk__mmod *m;
    const fk_image *img;         /* level 0 of the pyramid */
    const fk__dlib_tiling *t;
    const float *levels;         /* levels 1.. (fk__dlib_pyramid_levels) */
    long nr, nc;                 /* the tiled image */
    long out_h, out_w;
    float *scores; /* [channels][out_h][out_w] */
} band_run;

/* Runs bands of n prefix rows (n <= out_h) over the tiled image into br->scores. */
static fk_status run_bands(band_run *br, int n, const fk__mmod_run *run, fk_error *err)
{
    const fk__mmod *m = br->m;
    const long in_rows = m->bandable ? (long)(n - 1) * m->stride + m->extent : br->nr;
    fk__graph *g = NULL;
    fk__plan *plan = NULL;
    int threads = run->pool ? fk__pool_size(run->pool) : 1;
    fk__kernels kernels = run->kernels_from_env ? fk__kernels_from_env() : run->kernels;
    fk_status st = fk__dlib_graph_build(m->net, NULL, fk__shape_make(1, (int)in_rows, (int)br->nc, 3), "dlib-mmod",
                                        &g, err);
    if (st == FK_OK)
        st = fk__plan_new_threads(g, 1, kernels, threads < 1 ? 1 : threads, &plan, err);
    if (st != FK_OK)
        goto done;
    fk__shape os = fk__graph_node(g, fk__graph_output(g, 0))->shape;
    if (os.w != br->out_w || os.c != m->channels || (!m->bandable && os.h != br->out_h) ||
        (m->bandable && os.h != n)) {
        st = fk__fail(err, FK_E_BAD_FORMAT, "%s: the band's output is %dx%dx%d, expected %ldx%ldx%d", m->net->path,
                      os.h, os.w, os.c, m->bandable ? (long)n : br->out_h, br->out_w, m->channels);
        goto done;
    }
    const int halo = m->bandable ? m->halo : 0;
    long kept = 0, s = 0;
    while (kept < br->out_h) {
        bool last = s + n >= br->out_h;
        if (last)
            s = br->out_h - n;
        long lo = kept, hi = last ? br->out_h : s + n - halo;
        long y0 = m->bandable ? s * m->stride : 0;
        fk__dlib_tiled_rows(br->img, br->t, m->avg, br->levels, y0, in_rows, fk__plan_input(plan));
        if (run->pool)
            fk__plan_run_pool(plan, run->pool);
        else
            fk__plan_run(plan);
        const float *o = fk__plan_output(plan, 0, NULL);
        for (long r = lo; r < hi; r++)
            for (long c = 0; c < br->out_w; c++)
                for (int k = 0; k < m->channels; k++)
                    br->scores[((size_t)k * br->out_h + (size_t)r) * br->out_w + (size_t)c] =
                        o[((size_t)(r - s) * br->out_w + (size_t)c) * m->channels + (size_t)k];
        kept = hi;
        s = hi - halo;
    }
done:
    fk__plan_free(plan);
    fk__graph_free(g);
    return st;
}

/* The band height: at most as many prefix rows as fit in the budget (at least a few beyond the
 * halos), then evened out over the bands it takes, so the last band overlaps the one before by
 * no more than the halos need. */
static fk_status band_rows(const fk__mmod *m, long nc, long out_h, size_t budget, int *rows, fk_error *err)
{
    if (!m->bandable) {
        *rows = (int)out_h;
        return FK_OK;
    }
    const int probe = 64;
    fk__graph *g = NULL;
    fk_status st = fk__dlib_graph_build(m->net, NULL,
                                        fk__shape_make(1, (probe - 1) * m->stride + m->extent, (int)nc, 3),
                                        "dlib-mmod", &g, err);
    if (st != FK_OK)
        return st;
    double per_row = peak_floats(g) * sizeof(float) / probe;
    fk__graph_free(g);
    double n = per_row > 0 ? (double)budget / per_row : (double)out_h;
    long minimum = 2L * m->halo + 16;
    if (n < (double)minimum)
        n = (double)minimum;
    if (n >= (double)out_h) {
        *rows = (int)out_h;
        return FK_OK;
    }
    long most = (long)n, h2 = 2L * m->halo;
    long bands = (out_h - h2 + (most - h2) - 1) / (most - h2);    /* B (n - 2h) >= H - 2h */
    long even = (out_h + h2 * (bands - 1) + bands - 1) / bands; /* B n >= H + 2h (B - 1) */
    *rows = (int)(even < most ? even : most);
    return FK_OK;
}

/* ---- loss_mmod's to_label -------------------------------------------------------------------- */

typedef struct cand {
    double score;
    long l, t, r, b;
    size_t order; /* dlib's scan order (window, row, column), to break ties the same way every run */
} cand;

static int by_score(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static long round_half_up(double v)
{
    return (long)floor(v + 0.5);
}

/* dlib's rectangle geometry, inclusive corners, areas as unsigned products. */
static double area(long l, long t, long r, long b)
{
    if (r < l || b < t)
        return 0;
    return (double)((uint64_t)(r - l + 1) * (uint64_t)(b - t + 1));
}

/* test_box_overlap(iou, covered)(a, b): the intersection over the bounding box of both (dlib's
 * (a + b)), or over either's area. */
static bool overlaps(const fk__dlib_mmod_options *o, const cand *a, const cand *b)
{
    long il = a->l > b->l ? a->l : b->l, it = a->t > b->t ? a->t : b->t;
    long ir = a->r < b->r ? a->r : b->r, ib = a->b < b->b ? a->b : b->b;
    double inner = area(il, it, ir, ib);
    if (inner == 0)
        return false;
    double outer = area(a->l < b->l ? a->l : b->l, a->t < b->t ? a->t : b->t, a->r > b->r ? a->r : b->r,
                        a->b > b->b ? a->b : b->b);
    return inner / outer > o->nms_iou || inner / area(a->l, a->t, a->r, a->b) > o->nms_covered ||
           inner / area(b->l, b->t, b->r, b->b) > o->nms_covered;
}

/* tiled_pyramid_to_image: the level nearest the rectangle's centre (rounded to a point, as
 * nearest_rect takes one), the rectangle moved to that level's origin, then up the pyramid
 * `level` times with pyramid_down<N>::point_up (p * N / (N - 1) + 0.3). */
static void to_image(const fk__dlib_tiling *t, int pyramid_n, double l, double tp, double r, double b, double *out)
{
    long cx = round_half_up((l + r) / 2.0), cy = round_half_up((tp + b) / 2.0);
    int idx = 0;
    double best = INFINITY;
    for (int i = 0; i < t->n_levels; i++) {
        const fk__dlib_rect *q = &t->levels[i];
        if (cx >= q->left && cx <= q->right && cy >= q->top && cy <= q->bottom) {
            idx = i;
            break;
        }
        long nx = cx < q->left ? q->left : cx > q->right ? q->right : cx;
        long ny = cy < q->top ? q->top : cy > q->bottom ? q->bottom : cy;
        long dx = nx - cx, dy = ny - cy;
        double d = sqrt((double)(dx * dx + dy * dy));
        if (d < best) {
            best = d;
            idx = i;
        }
    }
    double ox = (double)t->levels[idx].left, oy = (double)t->levels[idx].top;
    double p[4] = {l - ox, tp - oy, r - ox, b - oy};
    const double ratio = pyramid_n / (pyramid_n - 1.0);
    for (int k = 0; k < idx; k++)
        for (int j = 0; j < 4; j++)
            p[j] = p[j] * ratio + 0.3;
    memcpy(out, p, sizeof p);
}

fk_status fk__mmod_detect(const fk__mmod *m, const fk_image *img, int upsample, const fk__mmod_run *run,
                          fk__mmod_rect **dets, size_t *count, fk_error *err)
{
    if (!dets || !count)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__mmod_detect: NULL output");
    *dets = NULL;
    *count = 0;
    if (!m || !img || !img->data || img->width < 1 || img->height < 1)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__mmod_detect: no model or image");
    if (upsample < 0 || upsample > 4)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__mmod_detect: upsample %d out of 0..4", upsample);
    static const fk__mmod_run defaults = {0};
    if (!run)
        run = &defaults;
    fk_status st = FK_OK;
    fk_image *up = NULL;
    float *levels = NULL, *scores = NULL;
    cand *cands = NULL, *kept = NULL;
    fk__dlib_tiling *t = malloc(sizeof *t);
    if (!t)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory");
    const fk_image *src = img;
    for (int i = 0; i < upsample && st == FK_OK; i++) {
        fk_image *next = NULL;
        st = fk__dlib_pyramid_up(src, &next, err);
        fk_image_free(up);
        up = next;
        src = up;
    }
    if (st != FK_OK)
        goto done;
    st = fk__dlib_tiling_compute(src->height, src->width, m->pyramid_n, m->padding, m->outer, t, err);
    if (st != FK_OK)
        goto done;
    if (t->n_levels == 0)
        goto done;
    /* the output size: the spatial layers' rule, 1 + (n + 2 pad - k) / stride */
    long oh = t->nr, ow = t->nc;
    for (int i = 0; i < m->n_geo; i++) {
        const geo *g = &m->geos[i];
        if (oh + 2 * g->p_y < g->k_y || ow + 2 * g->p_x < g->k_x) {
            oh = 0;
            break;
        }
        oh = 1 + (oh + 2 * g->p_y - g->k_y) / g->s_y;
        ow = 1 + (ow + 2 * g->p_x - g->k_x) / g->s_x;
    }
    if (oh <= 0 || ow <= 0)
        goto done; /* an image smaller than the net's reach: nothing to find */
    size_t tiled_n, score_n;
    if (!fk__mul3_size((size_t)t->nr, (size_t)t->nc, 3, &tiled_n) || tiled_n > ((size_t)1 << 33) ||
        !fk__mul3_size((size_t)oh, (size_t)ow, (size_t)m->channels, &score_n)) {
        st = fk__fail(err, FK_E_LIMIT, "a %dx%d image makes a tiled pyramid of %ldx%ld, too large", src->width,
                      src->height, t->nc, t->nr);
        goto done;
    }
    scores = malloc(score_n * sizeof(float));
    if (!scores) {
        st = fk__fail(err, FK_E_NO_MEMORY, "out of memory for a %ldx%ld score map", ow, oh);
        goto done;
    }
    st = fk__dlib_pyramid_levels(src, t, m->avg, &levels, err);
    if (st != FK_OK)
        goto done;

    int rows;
    st = band_rows(m, t->nc, oh, run->band_bytes ? run->band_bytes : (size_t)384 << 20, &rows, err);
    if (st != FK_OK)
        goto done;
    band_run br = {m, src, t, levels, t->nr, t->nc, oh, ow, scores};
    st = run_bands(&br, rows, run, err);
    free(levels);
    levels = NULL;
    fk_image_free(up);
    up = NULL;
    if (st != FK_OK)
        goto done;

    /* tensor_to_dets: every position above the threshold, in dlib's scan order */
    size_t n = 0, cap = 0;
    for (int k = 0; k < m->channels; k++)
        for (long r = 0; r < oh; r++)
            for (long c = 0; c < ow; c++) {
                size_t at = ((size_t)k * oh + (size_t)r) * ow + (size_t)c;
                double score = scores[at];
                if (!(score > run->adjust_threshold))
                    continue;
                /* output_tensor_to_input_tensor: back through the layers, output to input */
                double px = (double)c, py = (double)r;
                for (int i = m->n_geo - 1; i >= 0; i--) {
                    const geo *g = &m->geos[i];
                    px = px * g->s_x - g->p_x + g->k_x / 2;
                    py = py * g->s_y - g->p_y + g->k_y / 2;
                }
                /* centered_drect(p, width, height) */
                double w = m->opt.windows[k].width - 1.0, h = m->opt.windows[k].height - 1.0;
                double box[4];
                to_image(t, m->pyramid_n, px - w / 2, py - h / 2, px + w / 2, py + h / 2, box);
                if (n == cap) {
                    cap = cap ? cap * 2 : 256;
                    cand *grown = realloc(cands, cap * sizeof *grown);
                    if (!grown) {
                        st = fk__fail(err, FK_E_NO_MEMORY, "out of memory for %zu detections", n);
                        goto done;
                    }
                    cands = grown;
                }
                cands[n++] = (cand){score, round_half_up(box[0]), round_half_up(box[1]), round_half_up(box[2]),
                                    round_half_up(box[3]), at};
            }
    /* std::sort by confidence, best first; then greedy NMS against what is kept */
    if (n)
        qsort(cands, n, sizeof *cands, by_score);
    size_t nk = 0;
    kept = n ? malloc(n * sizeof *kept) : NULL;
    if (n && !kept) {
        st = fk__fail(err, FK_E_NO_MEMORY, "out of memory for %zu detections", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        bool hit = false;
        for (size_t j = 0; j < nk && !hit; j++)
            hit = overlaps(&m->opt, &kept[j], &cands[i]);
        if (!hit)
            kept[nk++] = cands[i];
    }
    if (nk) {
        fk__mmod_rect *o = malloc(nk * sizeof *o);
        if (!o) {
            st = fk__fail(err, FK_E_NO_MEMORY, "out of memory for %zu detections", nk);
            goto done;
        }
        for (size_t i = 0; i < nk; i++) {
            /* pyr.rect_down(rect, upsample) with pyramid_down<2>: p / 2 - (1.25, 0.75) per level */
            double q[4] = {(double)kept[i].l, (double)kept[i].t, (double)kept[i].r, (double)kept[i].b};
            for (int u = 0; u < upsample; u++) {
                q[0] = q[0] / 2.0 - 1.25;
                q[1] = q[1] / 2.0 - 0.75;
                q[2] = q[2] / 2.0 - 1.25;
                q[3] = q[3] / 2.0 - 0.75;
            }
            o[i] = (fk__mmod_rect){round_half_up(q[0]), round_half_up(q[1]), round_half_up(q[2]), round_half_up(q[3]),
                                   kept[i].score};
        }
        *dets = o;
        *count = nk;
    }
done:
    fk_image_free(up);
    free(t);
    free(levels);
    free(scores);
    free(cands);
    free(kept);
    return st;
}
