/* bench_stages.c: `make bench`: every stage on the demo photos, median of several runs after a warm-up, in the peers' results schema, with each net's FLOPs and share of peak. */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/file.h"
#include "face/session.h"
#include "facekit/facekit.h"
#include "nn/plan.h"
#include "peak.h"

#define MAX_SAMPLES 4096

typedef enum stage {
    ST_DECODE,
    ST_SSD,
    ST_TINY,
    ST_LANDMARKS,
    ST_DESCRIPTOR,
    ST_AGE_GENDER,
    ST_PIPELINE,
    ST_ERT,
    ST_HOG,
    ST_MMOD,
    ST_DLIB5,
    ST_DLIB_DESC,
    ST_DESC_PHOTO,
    ST_COUNT
} stage;

static const char *stage_name[ST_COUNT] = {"decode_jpeg",  "ssd_mobilenetv1_detect", "tiny_face_detector_416_detect",
                                           "landmarks68",  "descriptor128",          "age_gender",
                                           "pipeline_ssd_lm_desc_ag", "landmarks68_ert", "hog_detect_up1",
                                           "mmod_detect_up1", "landmarks5_dlib", "descriptor128_dlib",
                                           "descriptor128_photo_batched"};
static const int per_face[ST_COUNT] = {0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1};
static const int net_of[ST_COUNT] = {-1, FK__NET_SSD, FK__NET_TINY, FK__NET_LANDMARK68, FK__NET_RECOGNITION,
                                     FK__NET_AGE_GENDER, -1, -1, -1, -1, -1, -1, FK__NET_RECOGNITION};

typedef struct samples {
    double v[MAX_SAMPLES];
    int n;
} samples;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static void add(samples *s, double v)
{
    if (s->n < MAX_SAMPLES)
        s->v[s->n++] = v;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct stats {
    double median, mean, min, max;
    int n;
} stats;

static stats summarize(samples *s)
{
    stats r = {0, 0, 0, 0, s->n};
    if (!s->n)
        return r;
    qsort(s->v, (size_t)s->n, sizeof(double), cmp_d);
    r.median = s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
    r.min = s->v[0];
    r.max = s->v[s->n - 1];
    for (int i = 0; i < s->n; i++)
        r.mean += s->v[i] / s->n;
    return r;
}

static void print_stats(FILE *f, const char *indent, stats st, const char *unit)
{
    fprintf(f, "{%s\"unit\": \"%s\", \"median_ms\": %.3f, \"mean_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f, \"n\": %d}",
            indent, unit, st.median, st.mean, st.min, st.max, st.n);
}

int main(int argc, char **argv)
{
    const char *json = NULL;
    int runs = 5, warmup = 1, threads = 1, mmod_runs = 1;
    char **images = NULL;
    int nimages = 0;
    glob_t g = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mmod-runs") && i + 1 < argc)
            mmod_runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--help")) {
            puts("Usage: bench_stages [--runs N] [--warmup N] [--threads N] [--mmod-runs N] [--json OUT] [IMG...]\n"
                 "Times every stage on the images (default: the six demo photos), median of N runs;\n"
                 "dlib's MMOD detector (seconds a photo) runs --mmod-runs times (1) without warm-up, and\n"
                 "dlib's models are timed when models/dlib is fetched. Then each per-face net alone at\n"
                 "batch 1, 4, 8 and 16, with its weights and its batch-1 floors (FMA peak; the weights\n"
                 "at this thread's measured read bandwidth).");
            return 0;
        } else {
            images = &argv[i];
            nimages = argc - i;
            break;
        }
    }
    if (runs < 1 || runs > 100 || warmup < 0 || threads < 1 || threads > 256 || mmod_runs < 0 || mmod_runs > 100)
        return fprintf(stderr, "bench: bad --runs or --warmup\n"), 2;
    fk_error err = {0};
    fk_models *m = NULL;
    /* dlib's ERT too when libdlib-data is installed; without it its stage is left out */
    int have_ert = fk_models_load(NULL, FK_NET_ALL | FK_NET_ERT, &m, &err) == FK_OK;
    if (!have_ert) {
        fprintf(stderr, "bench: SKIP landmarks68_ert: %s\n", err.message);
        if (fk_models_load(NULL, FK_NET_ALL, &m, &err) != FK_OK)
            return fprintf(stderr, "bench: %s\n", err.message), 1;
    }
    if (!nimages) {
        char pat[4200];
        snprintf(pat, sizeof pat, "%s/demo/sample*.jpg", fk_models_dir(m));
        if (glob(pat, 0, NULL, &g) != 0 || !g.gl_pathc)
            return fprintf(stderr, "bench: no images at %s\n", pat), 1;
        images = g.gl_pathv;
        nimages = (int)g.gl_pathc;
    }
    fk_session *s = NULL;
    fk_session_new(m, &s, &err);
    if (fk_session_set_threads(s, threads) != FK_OK)
        return fprintf(stderr, "bench: %s\n", fk_session_errmsg(s)), 1;
    /* dlib's models, face_recognition's pipeline: HOG (upsample 1), 5 points, the float ResNet */
    fk_models *md = NULL;
    fk_session *sd = NULL;
    if (fk_models_load(NULL, FK_NET_HOG | FK_NET_MMOD | FK_NET_DLIB5 | FK_NET_DLIB_RESNET, &md, &err) != FK_OK ||
        fk_session_new(md, &sd, &err) != FK_OK || fk_session_set_threads(sd, threads) != FK_OK) {
        fprintf(stderr, "bench: SKIP dlib's models: %s\n", err.message);
        fk_session_free(sd);
        sd = NULL;
    } else {
        fk_session_use(sd, "dlib5");
        fk_session_use(sd, "dlib-resnet");
    }
    fk_detect_options hog, mmod;
    fk_detect_options_init(&hog);
    hog.detector = FK_DETECTOR_HOG;
    fk_detect_options_init(&mmod);
    mmod.detector = FK_DETECTOR_MMOD;
    fk_session *se = NULL; /* the same with the ERT landmarker (always one thread: it runs per face) */
    if (have_ert && fk_session_new(m, &se, &err) == FK_OK)
        fk_session_set_landmarker(se, FK_LANDMARKER_ERT);
    samples *all = calloc(ST_COUNT, sizeof *all);
    samples *per = calloc((size_t)nimages * ST_COUNT, sizeof *per);
    int *faces_ssd = calloc((size_t)nimages, sizeof(int)), *faces_tiny = calloc((size_t)nimages, sizeof(int));
    int *w = calloc((size_t)nimages, sizeof(int)), *h = calloc((size_t)nimages, sizeof(int));
    fk_detect_options ssd, tiny;
    fk_detect_options_init(&ssd);
    fk_detect_options_init(&tiny);
    tiny.detector = FK_DETECTOR_TINY;
    for (int i = 0; i < nimages; i++) {
        void *bytes = NULL;
        size_t size = 0;
        if (fk__file_read_all(images[i], (size_t)1 << 30, &bytes, &size, &err) != FK_OK)
            return fprintf(stderr, "bench: %s\n", err.message), 1;
        for (int r = 0; r < warmup + runs; r++) {
            int timed = r >= warmup;
            double t0 = now_ms();
            fk_image *img = NULL;
            if (fk_image_decode(bytes, size, images[i], NULL, &img, &err) != FK_OK)
                return fprintf(stderr, "bench: %s\n", err.message), 1;
            double t1 = now_ms();
            fk_face *faces = NULL, *tf = NULL;
            size_t n = 0, nt = 0;
            fk_face_detect(s, img, &ssd, &faces, &n);
            double t2 = now_ms();
            fk_face_detect(s, img, &tiny, &tf, &nt);
            double t3 = now_ms();
            fk_faces_free(tf);
            if (timed) {
                add(&all[ST_DECODE], t1 - t0);
                add(&per[i * ST_COUNT + ST_DECODE], t1 - t0);
                add(&all[ST_SSD], t2 - t1);
                add(&per[i * ST_COUNT + ST_SSD], t2 - t1);
                add(&all[ST_TINY], t3 - t2);
                add(&per[i * ST_COUNT + ST_TINY], t3 - t2);
            }
            faces_ssd[i] = (int)n;
            faces_tiny[i] = (int)nt;
            w[i] = img->width;
            h[i] = img->height;
            for (size_t k = 0; k < n; k++) {
                double a = now_ms();
                fk_face_landmarks(s, img, &faces[k]);
                double b = now_ms();
                fk_face_descriptor(s, img, &faces[k]);
                double c = now_ms();
                fk_face_attributes(s, img, &faces[k]);
                double d = now_ms();
                if (timed) {
                    add(&all[ST_LANDMARKS], b - a);
                    add(&per[i * ST_COUNT + ST_LANDMARKS], b - a);
                    add(&all[ST_DESCRIPTOR], c - b);
                    add(&per[i * ST_COUNT + ST_DESCRIPTOR], c - b);
                    add(&all[ST_AGE_GENDER], d - c);
                    add(&per[i * ST_COUNT + ST_AGE_GENDER], d - c);
                }
            }
            if (n) {
                /* all the photo's faces through fk_faces_descriptors (batches of up to 8); each face
                 * counts the call's time / n */
                double b0 = now_ms();
                fk_faces_descriptors(s, img, faces, n);
                double b1 = now_ms();
                for (size_t k = 0; k < n && timed; k++) {
                    add(&all[ST_DESC_PHOTO], (b1 - b0) / (double)n);
                    add(&per[i * ST_COUNT + ST_DESC_PHOTO], (b1 - b0) / (double)n);
                }
            }
            if (se && n) {
                /* the ERT on all the photo's faces in one call, as fk_face_analyze and the CLI
                 * run it (the faces side by side); each face counts the call's time / n */
                fk_face *copy = malloc(n * sizeof *copy);
                if (!copy)
                    return fprintf(stderr, "bench: out of memory\n"), 1;
                memcpy(copy, faces, n * sizeof *copy);
                double e0 = now_ms();
                fk_faces_landmarks(se, img, copy, n);
                double e1 = now_ms();
                free(copy);
                for (size_t k = 0; k < n && timed; k++) {
                    add(&all[ST_ERT], (e1 - e0) / (double)n);
                    add(&per[i * ST_COUNT + ST_ERT], (e1 - e0) / (double)n);
                }
            }
            if (sd) {
                fk_face *hf = NULL;
                size_t nh = 0;
                double h0 = now_ms();
                fk_face_detect(sd, img, &hog, &hf, &nh);
                double h1 = now_ms();
                if (timed) {
                    add(&all[ST_HOG], h1 - h0);
                    add(&per[i * ST_COUNT + ST_HOG], h1 - h0);
                }
                for (size_t k = 0; k < nh; k++) {
                    double a = now_ms();
                    fk_face_landmarks(sd, img, &hf[k]);
                    double b = now_ms();
                    fk_face_descriptor(sd, img, &hf[k]);
                    double c = now_ms();
                    if (timed) {
                        add(&all[ST_DLIB5], b - a);
                        add(&per[i * ST_COUNT + ST_DLIB5], b - a);
                        add(&all[ST_DLIB_DESC], c - b);
                        add(&per[i * ST_COUNT + ST_DLIB_DESC], c - b);
                    }
                }
                fk_faces_free(hf);
                if (r - warmup >= 0 && r - warmup < mmod_runs) {
                    double m0 = now_ms();
                    fk_face_detect(sd, img, &mmod, &hf, &nh);
                    double m1 = now_ms();
                    add(&all[ST_MMOD], m1 - m0);
                    add(&per[i * ST_COUNT + ST_MMOD], m1 - m0);
                    fk_faces_free(hf);
                }
            }
            fk_faces_free(faces);
            fk_image_free(img);
            /* the whole pipeline, from the JPEG bytes */
            double p0 = now_ms();
            fk_image_decode(bytes, size, images[i], NULL, &img, &err);
            fk_face_analyze(s, img, &ssd, FK_ANALYZE_ALL, &faces, &n);
            double p1 = now_ms();
            fk_faces_free(faces);
            fk_image_free(img);
            if (timed) {
                add(&all[ST_PIPELINE], p1 - p0);
                add(&per[i * ST_COUNT + ST_PIPELINE], p1 - p0);
            }
        }
        free(bytes);
    }

    stats st[ST_COUNT];
    char title[64];
    snprintf(title, sizeof title, "stage (%d thread%s)", threads, threads == 1 ? "" : "s");
    /* measured here, after the timed runs, on the widest ISA the kernels in use run: with
     * FACEKIT_KERNELS=avx2 on an AVX-512 CPU that is the AVX2 peak, so the AVX2 tier's share is
     * quoted against what that tier can reach */
    fk_peak_isa peak_isa;
    double peak = fk_peak_best(&peak_isa);
    if (peak_isa == FK_PEAK_AVX512 && fk__kernels_from_env() == FK__KERNELS_AVX2) {
        peak_isa = FK_PEAK_AVX2;
        peak = fk_peak_gflops(peak_isa, 5);
    }
    printf("peak: %.1f GFLOP/s per thread (%s, measured now)\n", peak, fk_peak_isa_name(peak_isa));
    printf("%-32s %10s %6s %12s %9s %8s\n", title, "median ms", "n", "GFLOP", "GFLOP/s", "of peak");
    for (int k = 0; k < ST_COUNT; k++) {
        st[k] = summarize(&all[k]);
        if (all[k].n == 0)
            continue; /* a stage without its model (the ERT without libdlib-data) */
        double gflop = 0;
        if (net_of[k] >= 0) {
            const fk__net *net = m->nets[net_of[k]];
            gflop = fk__graph_flops(net->graph) / 1e9;
        } else if (k == ST_DLIB_DESC && md && md->dlib_resnet) {
            gflop = fk__graph_flops(md->dlib_resnet) / 1e9;
        }
        if (gflop > 0)
            printf("%-32s %10.2f %6d %12.3f %9.1f %7.1f%%\n", stage_name[k], st[k].median, st[k].n, gflop,
                   gflop / (st[k].median / 1e3), 100 * gflop / (st[k].median / 1e3) / (peak * threads));
        else
            printf("%-32s %10.2f %6d\n", stage_name[k], st[k].median, st[k].n);
    }
    printf("(GFLOP counts the net alone; stage times include cropping, resizing and post-processing)\n");

    /* Each per-face net alone at batch 1, 4, 8 and 16: the weights are read once a batch */
    static const int batches[] = {1, 4, 8, 16};
    enum { NB = sizeof batches / sizeof batches[0], NBN = 4 };
    const char *bname[NBN] = {"descriptor128", "landmarks68", "age_gender", "descriptor128_dlib"};
    const fk__graph *bg[NBN] = {m->nets[FK__NET_RECOGNITION] ? m->nets[FK__NET_RECOGNITION]->graph : NULL,
                                m->nets[FK__NET_LANDMARK68] ? m->nets[FK__NET_LANDMARK68]->graph : NULL,
                                m->nets[FK__NET_AGE_GENDER] ? m->nets[FK__NET_AGE_GENDER]->graph : NULL,
                                md ? md->dlib_resnet : NULL};
    double bms[NBN][NB] = {{0}};
    /* a batch-1 run reads every weight once: past L2 they stream at this thread's read bandwidth */
    double gbs = fk_peak_read_gbs((size_t)24 << 20, 5);
    printf("\nread bandwidth past L2 (24 MB, one thread): %.1f GB/s\n", gbs);
    printf("%-32s", "net alone, ms per face (of peak)");
    for (int b = 0; b < NB; b++)
        printf("   batch %-2d       ", batches[b]);
    printf("  weights MB  batch-1 floor ms (FMA, weights)\n");
    for (int k = 0; k < NBN; k++) {
        if (!bg[k])
            continue;
        double gflop = fk__graph_flops(bg[k]) / 1e9;
        printf("%-32s", bname[k]);
        for (int b = 0; b < NB; b++) {
            fk__plan *p = NULL;
            fk_error pe;
            if (fk__plan_new_threads(bg[k], batches[b], fk__kernels_from_env(), threads, &p, &pe) != FK_OK) {
                printf(" %-18s", "(no memory)");
                continue;
            }
            fk__shape in = fk__graph_node(bg[k], 0)->shape;
            size_t nin = (size_t)batches[b] * (size_t)in.h * in.w * in.c;
            samples t = {.n = 0};
            for (int r = 0; r < warmup + runs; r++) {
                float *x = fk__plan_input(p);
                for (size_t j = 0; j < nin; j++)
                    x[j] = (float)((j * 2654435761u) % 1000) / 1000.0f - 0.5f; /* any values: no denormals */
                double t0 = now_ms();
                fk__plan_run_pool(p, s->pool);
                if (r >= warmup)
                    add(&t, (now_ms() - t0) / batches[b]);
            }
            fk__plan_free(p);
            bms[k][b] = summarize(&t).median;
            printf(" %7.2f (%5.1f%%)  ", bms[k][b], 100 * gflop / (bms[k][b] / 1e3) / (peak * threads));
        }
        double mb = fk__graph_weight_bytes(bg[k]) / 1e6;
        printf("  %8.1f    %.2f, %.2f\n", mb, 1e3 * gflop / (peak * threads), gbs > 0 ? mb / gbs : 0);
    }

    if (json) {
        FILE *f = fopen(json, "w");
        if (!f)
            return fprintf(stderr, "bench: %s: %s\n", json, strerror(errno)), 1;
        fk__kernels kern = fk__kernels_from_env();
        const char *variant = kern == FK__KERNELS_REFERENCE ? "c-reference"
                              : kern == FK__KERNELS_PORTABLE ? "c-portable"
                              : kern == FK__KERNELS_FAST && fk__cpu_has_avx512() ? "c-avx512"
                                                                                 : "c-avx2";
        fprintf(f, "{\"schema\": \"face-peers-bench/v1\", \"system\": \"facekit\", \"variant\": \"%s\", "
                   "\"backend\": \"cpu\", \"decoder\": \"libjpegturbo\", \"threads\": %d,\n"
                   " \"versions\": {\"facekit\": \"%s\", \"face-api-models\": \"1.7.15\"},\n"
                   " \"config\": {\"runs\": %d, \"warmup\": %d},\n \"stages\": {",
                variant, threads, FACEKIT_VERSION_STRING, runs, warmup);
        for (int k = 0, first = 1; k < ST_COUNT; k++) {
            if (all[k].n == 0)
                continue;
            fprintf(f, "%s\n  \"%s\": ", first ? "" : ",", stage_name[k]);
            first = 0;
            print_stats(f, "", st[k], per_face[k] ? "per_face" : "per_image");
        }
        fprintf(f, "},\n \"batched_ms_per_face\": {");
        for (int k = 0, first = 1; k < NBN; k++) {
            if (!bg[k])
                continue;
            fprintf(f, "%s\n  \"%s\": {", first ? "" : ",", bname[k]);
            first = 0;
            for (int b = 0; b < NB; b++)
                fprintf(f, "%s\"%d\": %.3f", b ? ", " : "", batches[b], bms[k][b]);
            fprintf(f, "}");
        }
        fprintf(f, "},\n \"peak_gflops_per_thread\": %.1f, \"read_gbs_24mb\": %.1f,\n \"images\": [", peak, gbs);
        for (int i = 0; i < nimages; i++) {
            const char *base = strrchr(images[i], '/');
            fprintf(f, "%s\n  {\"image\": \"%s\", \"width\": %d, \"height\": %d, \"faces\": {\"ssd_mobilenetv1\": %d, "
                       "\"tiny_face_detector_416\": %d}, \"stages\": {",
                    i ? "," : "", base ? base + 1 : images[i], w[i], h[i], faces_ssd[i], faces_tiny[i]);
            for (int k = 0, first = 1; k < ST_COUNT; k++) {
                if (all[k].n == 0)
                    continue;
                fprintf(f, "%s\"%s\": ", first ? "" : ", ", stage_name[k]);
                first = 0;
                stats si = summarize(&per[i * ST_COUNT + k]);
                print_stats(f, "", si, per_face[k] ? "per_face" : "per_image");
            }
            fprintf(f, "}}");
        }
        fprintf(f, "]}\n");
        fclose(f);
        printf("wrote %s\n", json);
    }
    free(all);
    free(per);
    free(faces_ssd);
    free(faces_tiny);
    free(w);
    free(h);
    fk_session_free(s);
    fk_session_free(se);
    fk_session_free(sd);
    fk_models_free(md);
    fk_models_free(m);
    globfree(&g);
    return 0;
}
