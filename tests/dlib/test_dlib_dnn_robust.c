/* test_dlib_dnn_robust.c: dlib DNN files, synthetic and real, whole, cut, flipped, with a NaN, a missing or unknown layer: correct graphs or errors naming the file and layer, never a crash. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pool.h"
#include "dlib_test.h"
#include "dnn_writer.h"
#include "face/dlib/dlib_nets.h"

/* FK_TEST_WRITE_SEEDS=DIR also writes the fuzz corpus (fuzz/corpus/fuzz_dlib_dnn) to DIR. */

static const int tiny_wrappers[] = {1, 1, 2, -1}, tiny_adds[] = {1, 2};
static const fk__dlib_wiring tiny_wiring = {tiny_wrappers, 4, tiny_adds, 2};

static void make(dat_buf *b, int mmod, const dnn_layer *l, int n)
{
    memset(b, 0, sizeof *b);
    dnn_net(b, mmod, 35, l, n);
    CHECK(!b->failed);
}

/* A failure leaves no net and one line naming the file (and, past the loss, a layer). */
static int failed_cleanly(fk_status st, const fk__dlib_net *net, const fk_error *e, const char *name, int layer)
{
    return st != FK_OK && net == NULL && memchr(e->message, 0, sizeof e->message) && strstr(e->message, name) &&
           (!layer || strstr(e->message, "layer "));
}

/* ---- a plain NCHW evaluation of a parsed net, dlib's formulas, for the graph builder ---------- */

typedef struct tens {
    int c, h, w;
    float *d;
} tens;

static tens tnew(int c, int h, int w)
{
    tens t = {c, h, w, calloc((size_t)c * h * w, sizeof(float))};
    return t;
}

static float at(const tens *t, int c, int y, int x)
{
    if (c >= t->c || y < 0 || y >= t->h || x < 0 || x >= t->w)
        return 0.0f;
    return t->d[((size_t)c * t->h + y) * t->w + x];
}

/* Runs net's layers on in (consumed); wiring as for fk__dlib_graph_build. */
static tens ref_run(const fk__dlib_net *net, const fk__dlib_wiring *wr, tens x)
{
    tens tags[16] = {{0}};
    int wi = 0, ai = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const fk__dlib_layer *l = &net->layers[i];
        tens y = {0};
        switch (l->kind) {
        case FK__DLIB_CON: {
            const fk__dlib_con *c = &l->u.con;
            y = tnew(c->num_filters, 1 + (x.h + 2 * c->pad_y - c->nr) / c->stride_y,
                     1 + (x.w + 2 * c->pad_x - c->nc) / c->stride_x);
            for (int o = 0; o < y.c; o++)
                for (int r = 0; r < y.h; r++)
                    for (int q = 0; q < y.w; q++) {
                        double s = 0;
                        for (int k = 0; k < c->k; k++)
                            for (int a = 0; a < c->nr; a++)
                                for (int b = 0; b < c->nc; b++)
                                    s += (double)c->filters[(((size_t)o * c->k + k) * c->nr + a) * c->nc + b] *
                                         at(&x, k, r * c->stride_y - c->pad_y + a, q * c->stride_x - c->pad_x + b);
                        y.d[((size_t)o * y.h + r) * y.w + q] = (float)s + (c->bias ? c->bias[o] : 0.0f);
                    }
            break;
        }
        case FK__DLIB_AFFINE:
            y = tnew(x.c, x.h, x.w);
            for (int c = 0; c < x.c; c++)
                for (int p = 0; p < x.h * x.w; p++)
                    y.d[(size_t)c * x.h * x.w + p] =
                        x.d[(size_t)c * x.h * x.w + p] * l->u.affine.gamma[c] + l->u.affine.beta[c];
            break;
        case FK__DLIB_RELU:
            y = tnew(x.c, x.h, x.w);
            for (size_t p = 0; p < (size_t)x.c * x.h * x.w; p++)
                y.d[p] = x.d[p] > 0 ? x.d[p] : 0;
            break;
        case FK__DLIB_MAX_POOL:
        case FK__DLIB_AVG_POOL: {
            const fk__dlib_pool *q = &l->u.pool;
            int wh = q->nr ? q->nr : x.h, ww = q->nc ? q->nc : x.w;
            y = tnew(x.c, 1 + (x.h - wh) / q->stride_y, 1 + (x.w - ww) / q->stride_x);
            for (int c = 0; c < y.c; c++)
                for (int r = 0; r < y.h; r++)
                    for (int s = 0; s < y.w; s++) {
                        double acc = l->kind == FK__DLIB_MAX_POOL ? -INFINITY : 0;
                        for (int a = 0; a < wh; a++)
                            for (int b = 0; b < ww; b++) {
                                float v = at(&x, c, r * q->stride_y + a, s * q->stride_x + b);
                                acc = l->kind == FK__DLIB_MAX_POOL ? (v > acc ? v : acc) : acc + v;
                            }
                        y.d[((size_t)c * y.h + r) * y.w + s] =
                            (float)(l->kind == FK__DLIB_MAX_POOL ? acc : acc / (wh * ww));
                    }
            break;
        }
        case FK__DLIB_TAG_OR_SKIP: {
            int id = wr->wrappers[wi++];
            if (id > 0) {
                free(tags[id].d);
                tags[id] = tnew(x.c, x.h, x.w);
                memcpy(tags[id].d, x.d, sizeof(float) * (size_t)x.c * x.h * x.w);
                continue;
            }
            y = tnew(tags[-id].c, tags[-id].h, tags[-id].w);
            memcpy(y.d, tags[-id].d, sizeof(float) * (size_t)y.c * y.h * y.w);
            break;
        }
        case FK__DLIB_ADD_PREV: {
            const tens *t = &tags[wr->adds[ai++]];
            y = tnew(x.c > t->c ? x.c : t->c, x.h > t->h ? x.h : t->h, x.w > t->w ? x.w : t->w);
            for (int c = 0; c < y.c; c++)
                for (int r = 0; r < y.h; r++)
                    for (int s = 0; s < y.w; s++)
                        y.d[((size_t)c * y.h + r) * y.w + s] = at(&x, c, r, s) + at(t, c, r, s);
            break;
        }
        case FK__DLIB_FC: {
            const fk__dlib_fc *f = &l->u.fc;
            y = tnew(f->num_outputs, 1, 1);
            for (int m = 0; m < f->num_outputs; m++) {
                double s = 0;
                for (int k = 0; k < f->num_inputs; k++)
                    s += (double)f->weights[(size_t)k * f->num_outputs + m] * x.d[k]; /* x: (c, r, s) order */
                y.d[m] = (float)s + (f->bias ? f->bias[m] : 0.0f);
            }
            break;
        }
        default:
            break;
        }
        free(x.d);
        x = y;
    }
    for (int t = 0; t < 16; t++)
        free(tags[t].d);
    return x;
}

/* Our graph of net on a random input against the plain evaluation; returns max |diff| / (1 + |ref|). */
static double graph_vs_ref(const fk__dlib_net *net, const fk__dlib_wiring *w, int h, int wd, unsigned seed)
{
    fk__graph *g = NULL;
    fk_error err;
    fk_status st = fk__dlib_graph_build(net, w, fk__shape_make(1, h, wd, 3), "tiny", &g, &err);
    CHECK_MSG(st == FK_OK, "%s", err.message);
    if (st != FK_OK)
        return INFINITY;
    fk__plan *p = NULL;
    CHECK_OK(fk__plan_new(g, 1, FK__KERNELS_FAST, &p, &err));
    tens x = tnew(3, h, wd);
    float *in = fk__plan_input(p);
    for (int y = 0; y < h; y++)
        for (int q = 0; q < wd; q++)
            for (int c = 0; c < 3; c++) {
                float v = fk_test_randf(&seed);
                x.d[((size_t)c * h + y) * wd + q] = v;
                in[((size_t)y * wd + q) * 3 + c] = v;
            }
    fk__plan_run(p);
    fk__shape os;
    const float *o = fk__plan_output(p, 0, &os);
    tens r = ref_run(net, w, x);
    double worst = 0;
    CHECK_MSG(os.c == r.c && os.h == r.h && os.w == r.w, "graph %dx%dx%d, reference %dx%dx%d", os.h, os.w, os.c, r.h,
              r.w, r.c);
    if (os.c == r.c && os.h == r.h && os.w == r.w)
        for (int c = 0; c < r.c; c++)
            for (int y = 0; y < r.h; y++)
                for (int q = 0; q < r.w; q++) {
                    float a = o[((size_t)y * r.w + q) * r.c + c], b = r.d[((size_t)c * r.h + y) * r.w + q];
                    worst = fk_test_max(worst, fabs((double)a - b) / (1 + fabs((double)b)));
                }
    free(r.d);
    fk__plan_free(p);
    fk__graph_free(g);
    return worst;
}

/* ---- the zero-extending add of the shortcuts, fast against the reference, bit for bit -------- */

static void test_add_ext(void)
{
    static const int shapes[][6] = {{17, 17, 32, 17, 17, 64}, {3, 3, 256, 4, 4, 256}, {1, 1, 256, 2, 2, 256},
                                    {5, 4, 7, 5, 4, 7},       {4, 5, 3, 2, 5, 9},     {2, 3, 1, 3, 2, 5}};
    unsigned seed = 3;
    int same = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int *d = shapes[s];
        fk__shape sa = fk__shape_make(1, d[0], d[1], d[2]), sb = fk__shape_make(1, d[3], d[4], d[5]);
        fk__shape sy =
            fk__shape_make(1, d[0] > d[3] ? d[0] : d[3], d[1] > d[4] ? d[1] : d[4], d[2] > d[5] ? d[2] : d[5]);
        size_t na = (size_t)d[0] * d[1] * d[2], nb = (size_t)d[3] * d[4] * d[5], ny = (size_t)sy.h * sy.w * sy.c;
        float *a = malloc(na * 4), *b = malloc(nb * 4), *y1 = malloc(ny * 4), *y2 = malloc(ny * 4);
        for (size_t i = 0; i < na; i++)
            a[i] = i % 7 == 0 ? -0.0f : fk_test_randf(&seed);
        for (size_t i = 0; i < nb; i++)
            b[i] = fk_test_randf(&seed);
        fk__view va = fk__view_packed(a, sa), vb = fk__view_packed(b, sb);
        fk__view v1 = fk__view_packed(y1, sy), v2 = fk__view_packed(y2, sy);
        for (int act = 0; act < 2; act++) {
            const fk__epilogue ep = {.act = act ? FK__ACT_RELU : FK__ACT_NONE};
            fk__add_ref(&va, &vb, &v1, &ep, 0, 1);
            CHECK(fk__add_fast_fits(&va, &vb, &v2));
            for (int ith = 0; ith < 3; ith++)
                fk__add_fast(&va, &vb, &v2, &ep, ith, 3);
            same += memcmp(y1, y2, ny * 4) == 0;
        }
        free(a);
        free(b);
        free(y1);
        free(y2);
    }
    CHECK(same == 12);
}

/* Two threads detecting on one model at once (the model is shared and read-only). */
typedef struct detect_job {
    const fk__mmod *m;
    const fk_image *img;
    fk__mmod_rect *d;
    size_t n;
    fk_status st;
} detect_job;

static void *detect_thread(void *arg)
{
    detect_job *j = arg;
    fk_error e;
    fk__mmod_run run = {.adjust_threshold = -1e9, .band_bytes = 1};
    j->st = fk__mmod_detect(j->m, j->img, 1, &run, &j->d, &j->n, &e);
    return NULL;
}

/* ---- the synthetic nets ---------------------------------------------------------------------- */

static void test_tiny_nets(void)
{
    dnn_layer l[32];
    dat_buf b;
    fk_error err;
    fk__dlib_net *net = NULL;

    /* the resnet-shaped net: every layer kind, tags, skips, zero-extending adds, fc after the average */
    int n = dnn_tiny_resnet(l);
    make(&b, 0, l, n);
    CHECK_OK(fk__dlib_dnn_parse(b.data, b.size, "tiny_resnet.dat", &net, &err));
    if (net) {
        CHECK(net->n_layers == n && net->loss.kind == FK__DLIB_LOSS_METRIC);
        CHECK(net->input.kind == FK__DLIB_INPUT_RGB_SIZED && net->input.nr == 35);
        CHECK(net->layers[0].index == n && net->layers[n - 1].index == 1);
        double d = graph_vs_ref(net, &tiny_wiring, 35, 35, 5);
        printf("tiny resnet: graph vs plain dlib formulas %.3g\n", d);
        CHECK(d <= 1e-5);
        /* without its wiring the tags cannot be told apart: a clear refusal */
        fk__graph *g = NULL;
        fk_status st = fk__dlib_graph_build(net, NULL, fk__shape_make(1, 35, 35, 3), "tiny", &g, &err);
        CHECK(st == FK_E_BAD_FORMAT && g == NULL && strstr(err.message, "tiny_resnet.dat"));
        /* it is not dlib's ResNet */
        st = fk__dlib_resnet_from_net(net, &g, &err);
        CHECK_MSG(st == FK_E_BAD_FORMAT && g == NULL && strstr(err.message, "input_rgb_image_sized<150>"), "%s",
                  err.message);
        /* a wiring that skips to a tag no layer has */
        static const int bad_wrappers[] = {1, 1, 2, -3};
        fk__dlib_wiring bad = {bad_wrappers, 4, tiny_adds, 2};
        st = fk__dlib_graph_build(net, &bad, fk__shape_make(1, 35, 35, 3), "tiny", &g, &err);
        CHECK_MSG(st == FK_E_BAD_FORMAT && strstr(err.message, "layer ") && strstr(err.message, "tag3"), "%s",
                  err.message);
        /* an input the kernels do not fit */
        st = fk__dlib_graph_build(net, &tiny_wiring, fk__shape_make(1, 4, 4, 3), "tiny", &g, &err);
        CHECK_MSG(st == FK_E_BAD_FORMAT && strstr(err.message, "layer "), "%s", err.message);
        /* the wrong channel count */
        st = fk__dlib_graph_build(net, &tiny_wiring, fk__shape_make(1, 35, 35, 4), "tiny", &g, &err);
        CHECK_MSG(st == FK_E_BAD_FORMAT && strstr(err.message, "(con_)") && strstr(err.message, "channels"), "%s",
                  err.message);
        fk__dlib_net_free(net);
    }
    free(b.data);

    /* fc over a 2x2x8 input: dlib flattens (k, r, c), the graph (r, c, k) */
    n = dnn_tiny_resnet(l);
    n--;                                              /* drop the fc */
    l[n - 1] = (dnn_layer){DNN_CON, 8, 8, 3, 3, 1, 1, 1, 31, 0}; /* a padded con on the 4x4 instead of the average */
    l[n++] = (dnn_layer){DNN_MAXPOOL, 0, 0, 2, 2, 2, 0, 0, 0, 0};
    l[n++] = (dnn_layer){DNN_FC, 5, 32, 0, 0, 0, 0, 1, 32, 0};
    make(&b, 0, l, n);
    net = NULL;
    CHECK_OK(fk__dlib_dnn_parse(b.data, b.size, "tiny_fc.dat", &net, &err));
    if (net) {
        double d = graph_vs_ref(net, &tiny_wiring, 35, 35, 9);
        printf("tiny fc over 2x2: graph vs plain dlib formulas %.3g\n", d);
        CHECK(d <= 1e-5);
        fk__dlib_net_free(net);
    }
    free(b.data);

    /* the MMOD-shaped chain: bn_con converted, detection end to end, bands and threads invisible */
    n = dnn_tiny_mmod(l);
    make(&b, 1, l, n);
    net = NULL;
    CHECK_OK(fk__dlib_dnn_parse(b.data, b.size, "tiny_mmod.dat", &net, &err));
    if (net) {
        CHECK(net->loss.kind == FK__DLIB_LOSS_MMOD && net->loss.mmod.n_windows == 1);
        CHECK(net->input.kind == FK__DLIB_INPUT_RGB_PYRAMID && net->input.pyramid_outer_padding == 11);
        CHECK(net->layers[1].u.affine.from_bn);
        double d = graph_vs_ref(net, NULL, 61, 47, 3);
        printf("tiny mmod chain: graph vs plain dlib formulas %.3g\n", d);
        CHECK(d <= 1e-5);
        fk__mmod *m = NULL;
        CHECK_OK(fk__mmod_from_net(net, 6, &m, &err));
        fk_image *img = NULL;
        CHECK_OK(fk_image_new(173, 131, &img, &err));
        unsigned s = 17;
        for (int y = 0; img && y < img->height; y++)
            for (int x = 0; x < img->width * 3; x++)
                img->data[(size_t)y * img->stride + (size_t)x] = (uint8_t)(128 + 127 * fk_test_randf(&s));
        if (m && img) {
            fk__mmod_rect *d1 = NULL, *d2 = NULL, *d3 = NULL;
            size_t n1 = 0, n2 = 0, n3 = 0;
            fk__mmod_run one = {.adjust_threshold = -1e9, .band_bytes = (size_t)1 << 34};
            fk__mmod_run many = {.adjust_threshold = -1e9, .band_bytes = 1};
            CHECK_OK(fk__mmod_detect(m, img, 1, &one, &d1, &n1, &err));
            CHECK_OK(fk__mmod_detect(m, img, 1, &many, &d2, &n2, &err));
            fk__pool *pool = NULL;
            if (fk__pool_new(2, &pool, &err) == FK_OK) {
                fk__mmod_run threads = {.adjust_threshold = -1e9, .band_bytes = 1, .pool = pool};
                CHECK_OK(fk__mmod_detect(m, img, 1, &threads, &d3, &n3, &err));
                fk__pool_free(pool);
            }
            detect_job jobs[2] = {{m, img, NULL, 0, FK_OK}, {m, img, NULL, 0, FK_OK}};
            pthread_t th[2];
            int started = 0;
            for (int k = 0; k < 2; k++)
                started += pthread_create(&th[k], NULL, detect_thread, &jobs[k]) == 0;
            CHECK(started == 2);
            for (int k = 0; k < started; k++)
                pthread_join(th[k], NULL);
            for (int k = 0; k < started; k++) {
                CHECK(jobs[k].st == FK_OK && jobs[k].n == n1 &&
                      (n1 == 0 || memcmp(jobs[k].d, d1, n1 * sizeof *d1) == 0));
                free(jobs[k].d);
            }
            printf("tiny mmod: %zu detections in one band, %zu in many, %zu on two workers, the same in two threads "
                   "at once\n", n1, n2, n3);
            CHECK(n1 > 0 && n1 == n2 && n1 == n3);
            CHECK(n1 == n2 && (n1 == 0 || memcmp(d1, d2, n1 * sizeof *d1) == 0));
            CHECK(n1 == n3 && (n1 == 0 || memcmp(d1, d3, n1 * sizeof *d1) == 0));
            free(d1);
            free(d2);
            free(d3);
            /* images too small for the net, and bad arguments */
            fk_image *small = NULL;
            CHECK_OK(fk_image_new(3, 2, &small, &err));
            CHECK_OK(fk__mmod_detect(m, small, 0, &one, &d1, &n1, &err));
            CHECK(n1 == 0 && d1 == NULL);
            CHECK(fk__mmod_detect(m, small, 7, &one, &d1, &n1, &err) == FK_E_INVALID_ARGUMENT);
            CHECK(fk__mmod_detect(m, NULL, 0, &one, &d1, &n1, &err) == FK_E_INVALID_ARGUMENT);
            fk_image_free(small);
        }
        fk_image_free(img);
        fk__mmod_free(m);
    }
    free(b.data);
}

/* ---- damaged synthetic files ------------------------------------------------------------------- */

static size_t find(const dat_buf *b, const void *pat, size_t n, size_t from)
{
    for (size_t i = from; i + n <= b->size; i++)
        if (memcmp(b->data + i, pat, n) == 0)
            return i;
    return (size_t)-1;
}

static void test_damaged_tiny(void)
{
    dnn_layer l[32];
    dat_buf b;
    fk_error err;
    for (int kind = 0; kind < 2; kind++) {
        int n = kind ? dnn_tiny_mmod(l) : dnn_tiny_resnet(l);
        make(&b, kind, l, n);
        const char *name = kind ? "tiny_mmod.dat" : "tiny_resnet.dat";
        /* every cut point */
        int clean = 0, cuts = 0;
        for (size_t cut = 0; cut < b.size; cut++) {
            fk__dlib_net *net = NULL;
            err.message[0] = 0;
            fk_status st = fk__dlib_dnn_parse(b.data, cut, name, &net, &err);
            cuts++;
            /* past the loss layer's first bytes every message names a layer */
            if (st == FK_E_BAD_FORMAT && failed_cleanly(st, net, &err, name, cut > 20))
                clean++;
            else
                printf("cut at %zu of %zu: status %d, %s\n", cut, b.size, st, err.message);
            fk__dlib_net_free(net);
        }
        printf("%s: %d of %d cut points refused with the file and layer named\n", name, clean, cuts);
        CHECK(clean == cuts);
        /* every byte flipped: a net or a clean error; a net still builds or fails cleanly */
        int flips = 0, loaded = 0;
        for (size_t i = 0; i < b.size; i++) {
            b.data[i] ^= 0xFF;
            fk__dlib_net *net = NULL;
            err.message[0] = 0;
            fk_status st = fk__dlib_dnn_parse(b.data, b.size, name, &net, &err);
            if (st == FK_OK) {
                loaded++;
                fk__graph *g = NULL;
                st = fk__dlib_graph_build(net, kind ? NULL : &tiny_wiring, fk__shape_make(1, 35, 35, 3), "tiny", &g,
                                          &err);
                CHECK(st == FK_OK || (g == NULL && strstr(err.message, name)));
                fk__graph_free(g);
                fk__dlib_net_free(net);
            } else if (failed_cleanly(st, net, &err, name, 0)) {
                flips++;
            } else {
                printf("flip at %zu: status %d, %s\n", i, st, err.message);
            }
            b.data[i] ^= 0xFF;
        }
        printf("%s: %zu bytes flipped: %d loaded (a weight's byte), %d refused cleanly\n", name, b.size, loaded, flips);
        CHECK((size_t)(flips + loaded) == b.size);

        /* a NaN in the second convolution's weights */
        float first = dnn_first_param(l[kind ? 3 : 5].seed), nan = NAN;
        size_t at = find(&b, &first, 4, 0);
        CHECK(at != (size_t)-1);
        if (at != (size_t)-1) {
            float keep;
            memcpy(&keep, b.data + at, 4);
            memcpy(b.data + at, &nan, 4);
            fk__dlib_net *net = NULL;
            fk_status st = fk__dlib_dnn_parse(b.data, b.size, name, &net, &err);
            char want[32];
            snprintf(want, sizeof want, "layer %d (con_)", n - (kind ? 3 : 5));
            CHECK_MSG(st == FK_E_BAD_FORMAT && failed_cleanly(st, net, &err, name, 1) && strstr(err.message, want) &&
                          strstr(err.message, "NaN"),
                      "%s", err.message);
            memcpy(b.data + at, &keep, 4);
        }
        /* an unknown layer name, and a dlib layer we do not run */
        size_t relu = find(&b, "relu_", 5, 0);
        CHECK(relu != (size_t)-1);
        if (relu != (size_t)-1) {
            fk__dlib_net *net = NULL;
            memcpy(b.data + relu, "relx_", 5);
            fk_status st = fk__dlib_dnn_parse(b.data, b.size, name, &net, &err);
            CHECK_MSG(st == FK_E_BAD_FORMAT && failed_cleanly(st, net, &err, name, 1) && strstr(err.message, "relx_"),
                      "%s", err.message);
            memcpy(b.data + relu, "htan_", 5);
            st = fk__dlib_dnn_parse(b.data, b.size, name, &net, &err);
            CHECK_MSG(st == FK_E_UNSUPPORTED && strstr(err.message, "layer ") && strstr(err.message, "htan_"), "%s",
                      err.message);
            memcpy(b.data + relu, "relu_", 5);
        }
        free(b.data);

        /* wrong sizes: a con whose filters' shape does not match its filter count */
        n = kind ? dnn_tiny_mmod(l) : dnn_tiny_resnet(l);
        l[0].bad = 1;
        make(&b, kind, l, n);
        fk__dlib_net *net = NULL;
        fk_status st = fk__dlib_dnn_parse(b.data, b.size, name, &net, &err);
        char want[32];
        snprintf(want, sizeof want, "layer %d (con_)", n);
        CHECK_MSG(st == FK_E_BAD_FORMAT && failed_cleanly(st, net, &err, name, 1) && strstr(err.message, want), "%s",
                  err.message);
        free(b.data);

        /* a missing layer: the resnet without its first tag no longer fits its wiring; the
         * detector without its last con gives a channel count its windows do not have */
        n = kind ? dnn_tiny_mmod(l) : dnn_tiny_resnet(l);
        if (kind)
            n -= 1;
        else
            memmove(&l[4], &l[5], sizeof l[0] * (size_t)(n-- - 5));
        make(&b, kind, l, n);
        net = NULL;
        CHECK_OK(fk__dlib_dnn_parse(b.data, b.size, name, &net, &err));
        if (net && !kind) {
            fk__graph *g = NULL;
            st = fk__dlib_graph_build(net, &tiny_wiring, fk__shape_make(1, 35, 35, 3), "tiny", &g, &err);
            CHECK_MSG(st == FK_E_BAD_FORMAT && strstr(err.message, name) && strstr(err.message, "missing"), "%s",
                      err.message);
            fk__dlib_net_free(net);
        } else if (net) {
            fk__mmod *m = NULL;
            st = fk__mmod_from_net(net, 6, &m, &err);
            CHECK_MSG(st == FK_E_BAD_FORMAT && m == NULL && strstr(err.message, name) &&
                          strstr(err.message, "channels"),
                      "%s", err.message);
        }
        free(b.data);
    }
    /* not a dlib file at all, and empty */
    fk__dlib_net *net = NULL;
    static const char jpeg[] = "\xff\xd8\xff\xe0\x00\x10JFIF";
    fk_status st = fk__dlib_dnn_parse(jpeg, sizeof jpeg - 1, "photo.jpg", &net, &err);
    CHECK_MSG(st == FK_E_BAD_FORMAT && strstr(err.message, "not a dlib DNN file") && strstr(err.message, "photo.jpg"),
              "%s", err.message);
    st = fk__dlib_dnn_parse("", 0, "empty.dat", &net, &err);
    CHECK(st == FK_E_BAD_FORMAT && net == NULL && strstr(err.message, "empty.dat"));
    CHECK(fk__dlib_dnn_parse(NULL, 5, "x", &net, &err) == FK_E_INVALID_ARGUMENT);
}

/* ---- the real model files -------------------------------------------------------------------------- */

static void test_real_file(const char *path, int resnet)
{
    size_t size = 0;
    uint8_t *data = fk_test_read_file(path, &size);
    CHECK(data != NULL);
    if (!data)
        return;
    fk_error err;
    fk__dlib_net *net = NULL;
    const char *name = resnet ? "resnet.dat" : "mmod.dat";
    CHECK_OK(fk__dlib_dnn_parse(data, size, name, &net, &err));
    CHECK(net && net->n_layers == (resnet ? 130 : 19));
    fk__dlib_net_free(net);

    /* cuts: the first 400 bytes one by one (the loss, the versions, the input, the first layer),
     * then 200 points through the file */
    int cuts = 0, clean = 0;
    for (size_t i = 0; i < 600; i++) {
        size_t cut = i < 400 ? i : (size_t)((double)(i - 400) / 200 * (double)size);
        net = NULL;
        err.message[0] = 0;
        fk_status st = fk__dlib_dnn_parse(data, cut, name, &net, &err);
        cuts++;
        if (st == FK_E_BAD_FORMAT && failed_cleanly(st, net, &err, name, cut > 20))
            clean++;
        else
            printf("%s cut at %zu: status %d, %s\n", name, cut, st, err.message);
        fk__dlib_net_free(net);
    }
    printf("%s: %d of %d cut points refused with the file and layer named\n", name, clean, cuts);
    CHECK(clean == cuts);

    /* a NaN in the weights half way through the file (8 bytes: at least one whole float) */
    uint8_t keep[8];
    size_t mid = size / 2;
    memcpy(keep, data + mid, 8);
    memset(data + mid, 0xFF, 8);
    net = NULL;
    fk_status st = fk__dlib_dnn_parse(data, size, name, &net, &err);
    printf("%s with a NaN at byte %zu: %s\n", name, mid, err.message);
    CHECK_MSG(st == FK_E_BAD_FORMAT && failed_cleanly(st, net, &err, name, 1) && strstr(err.message, "(con_)") &&
                  strstr(err.message, "NaN"),
              "%s", err.message);
    memcpy(data + mid, keep, 8);

    if (resnet) {
        /* a missing layer: the first relu's 40 bytes ("relu_", its state, three empty tensors) cut
         * out: the layers after it no longer line up; cut out with its version too, the file
         * parses but is not anet_type */
        static const uint8_t relu[] = {0x01, 0x05, 'r', 'e', 'l', 'u', '_'};
        size_t at = (size_t)-1;
        for (size_t i = 0; i + sizeof relu <= size; i++)
            if (memcmp(data + i, relu, sizeof relu) == 0) {
                at = i;
                break;
            }
        CHECK(at != (size_t)-1);
        uint8_t *cut = malloc(size);
        if (at != (size_t)-1 && cut) {
            size_t len = 40;
            memcpy(cut, data, at);
            memcpy(cut + at, data + at + len, size - at - len);
            net = NULL;
            st = fk__dlib_dnn_parse(cut, size - len, name, &net, &err);
            printf("%s without a relu: %s\n", name, err.message);
            CHECK_MSG(st == FK_E_BAD_FORMAT && failed_cleanly(st, net, &err, name, 1), "%s", err.message);
            /* the versions start after the loss: its version, "loss_metric_2", two 6-byte floats */
            size_t v = 2 + 2 + 13 + 6 + 6;
            CHECK(cut[v] == 0x01 && cut[v + 1] == 0x02);
            memmove(cut + v, cut + v + 2, size - len - v - 2);
            net = NULL;
            st = fk__dlib_dnn_parse(cut, size - len - 2, name, &net, &err);
            CHECK_MSG(st == FK_OK, "%s", err.message);
            if (net) {
                fk__graph *g = NULL;
                st = fk__dlib_resnet_from_net(net, &g, &err);
                printf("%s without a relu, versions fixed: %s\n", name, err.message);
                CHECK_MSG(st == FK_E_BAD_FORMAT && g == NULL && strstr(err.message, "129 layers"), "%s", err.message);
                fk__dlib_net_free(net);
            }
        }
        free(cut);
    }

    /* a flipped byte in a copy under the pinned name: its sha256 says it is damaged */
    char dir[] = "/tmp/fk_dlib_robust_XXXXXX", copy[256];
    if (mkdtemp(dir)) {
        snprintf(copy, sizeof copy, "%s/%s", dir,
                 resnet ? "dlib_face_recognition_resnet_model_v1.dat" : "mmod_human_face_detector.dat");
        data[size / 3] ^= 0x10;
        FILE *f = fopen(copy, "wb");
        CHECK(f && fwrite(data, 1, size, f) == size);
        if (f)
            fclose(f);
        data[size / 3] ^= 0x10;
        if (resnet) {
            fk__graph *g = NULL;
            st = fk__dlib_resnet_load(copy, &g, &err);
            CHECK(g == NULL);
        } else {
            fk__mmod *m = NULL;
            st = fk__mmod_load(copy, &m, &err);
            CHECK(m == NULL);
        }
        CHECK_MSG(st == FK_E_BAD_FORMAT && strstr(err.message, copy) && strstr(err.message, "sha256"), "%s",
                  err.message);
        unlink(copy);
        /* a missing pinned file says how to get it */
        if (resnet) {
            fk__graph *g = NULL;
            st = fk__dlib_resnet_load(copy, &g, &err);
            CHECK_MSG(st == FK_E_NOT_FOUND && strstr(err.message, "make models"), "%s", err.message);
        }
        rmdir(dir);
    }
    free(data);
}

/* ---- the fuzz seeds ----------------------------------------------------------------------------- */

static void write_seed(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(p, 1, n, f) == n);
    if (f)
        fclose(f);
}

static void write_seeds(const char *dir, const char *mmod_model)
{
    dnn_layer l[32];
    dat_buf b;
    mkdir(dir, 0755);
    int n = dnn_tiny_mmod(l);
    make(&b, 1, l, n);
    write_seed(dir, "tiny_mmod.dat", b.data, b.size);
    write_seed(dir, "tiny_mmod_cut.dat", b.data, b.size * 2 / 3);
    free(b.data);
    n = dnn_tiny_resnet(l);
    make(&b, 0, l, n);
    write_seed(dir, "tiny_resnet.dat", b.data, b.size);
    write_seed(dir, "tiny_resnet_cut.dat", b.data, b.size / 2);
    size_t relu = find(&b, "relu_", 5, 0);
    if (relu != (size_t)-1) {
        memcpy(b.data + relu, "relx_", 5);
        write_seed(dir, "tiny_resnet_unknown_layer.dat", b.data, b.size);
    }
    free(b.data);
    n = dnn_tiny_resnet(l);
    l[5].bad = 1;
    make(&b, 0, l, n);
    write_seed(dir, "tiny_resnet_bad_shape.dat", b.data, b.size);
    free(b.data);
    /* the real detector's first 3 KB: its loss, versions, input and first layer, cut in its weights */
    size_t size = 0;
    uint8_t *real = mmod_model ? fk_test_read_file(mmod_model, &size) : NULL;
    if (real && size > 3072)
        write_seed(dir, "mmod_head.dat", real, 3072);
    free(real);
}

int main(void)
{
    test_add_ext();
    test_tiny_nets();
    test_damaged_tiny();
    const char *seeds = getenv("FK_TEST_WRITE_SEEDS");
    if (seeds && *seeds)
        write_seeds(seeds, dlib_test_model("mmod_human_face_detector.dat"));
    /* the real files: both must be there (the synthetic checks above count either way) */
    char rpath[4096] = "", mpath[4096] = "";
    const char *resnet = dlib_test_model("dlib_face_recognition_resnet_model_v1.dat");
    if (resnet)
        snprintf(rpath, sizeof rpath, "%s", resnet);
    const char *mmod = dlib_test_model("mmod_human_face_detector.dat");
    if (mmod)
        snprintf(mpath, sizeof mpath, "%s", mmod);
    if (!rpath[0] || !mpath[0]) {
        int rc = fk_test_skip("test_dlib_dnn_robust (the real model files)",
                              "no models/dlib/dlib_face_recognition_resnet_model_v1.dat or "
                              "mmod_human_face_detector.dat (make models)");
        return fk_test_failures ? fk_test_finish("test_dlib_dnn_robust") : rc;
    }
    test_real_file(rpath, 1);
    test_real_file(mpath, 0);
    return fk_test_finish("test_dlib_dnn_robust");
}
