/* cmd_eval.c: `facekit eval`: verification on pair lists (LFW View 2, ROC, AUC, TAR@FAR), LFW 1:N identification, detection AP, plots. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/image_batch.h"
#include "cli/people.h"
#include "cli/output.h"
#include "cli/pipeline.h"
#include "facekit/eval.h"
#include "facekit/models.h"

static int plot_curves(const char *out, int n, char **specs);

static void print_help(void)
{
    fputs("Usage: facekit eval verify --pairs FILE [--root DIR] [OPTIONS]\n"
          "\n"
          "Face verification accuracy on a list of image pairs. FILE is LFW's pairs.txt (View 2: 10 folds\n"
          "of 300 same-person and 300 different-person pairs; images are ROOT/Name/Name_NNNN.jpg) or a CSV\n"
          "with a header and columns img1,img2,same (same: 1/0, yes/no; images are ROOT/img).\n"
          "\n"
          "For every image the largest face is found and described. facekit's protocol (the default)\n"
          "is what `facekit embed` does with the same options: with its defaults it also detects on the\n"
          "image centred in a black border of half its longer side and merges both passes (faces that\n"
          "fill the frame are found that way), retries at score 0.2 when nothing is found, then runs\n"
          "dlib's MMOD detector where it is installed. face-api's protocol (--protocol faceapi) only\n"
          "retries at 0.2 and uses face-api's crop (it sets --closeup, --retry and --fallback).\n"
          "An image still without a face counts as wrong in every pair that uses it, and is listed.\n"
          "--threads sets how many images are processed at once, one thread each.\n"
          "\n"
          "Reports: accuracy at the fixed threshold (same person when the L2 distance is below it), the\n"
          "same over the pairs where both faces were found, the LFW protocol (each fold tested at the\n"
          "threshold that maximises accuracy on the other folds: mean and standard deviation), ROC AUC,\n"
          "equal error rate, and TAR at FAR 0.001 and 0.01.\n"
          "\n"
          "Options:\n"
          "  --pairs FILE         the pair list (required)\n"
          "  --root DIR           folder the image names are relative to [folder of FILE]\n"
          "  --folds LIST         only these folds, e.g. 1-2 or 1,3,5 [all]\n"
          "  --per-class N        only the first N same-person and N different-person pairs of each\n"
          "                       fold (quick checks) [all]\n"
          "  --threshold T        the fixed decision threshold [0.6]\n"
          "  --protocol P         facekit or faceapi (see above) [facekit]\n"

          "  --roc OUT.csv        write the ROC (threshold, far, tar) as CSV\n"
          "  --failures OUT.txt   write the images without a face, one per line\n"
          "  --distances OUT.csv  write every pair: image a, image b, same (1/0), distance (empty: no face)\n"
          "  --plot OUT.svg       draw the ROC (needs --roc; several runs: facekit eval plot)\n",
          stdout);
    cli_face_opts_help(stdout, 1);
    fputs("  -h, --help           this help\n"
          "\n"
          "Example:\n"
          "  facekit eval verify --pairs ../shared/data/lfw-deepfunneled/pairs.txt \\\n"
          "      --root ../shared/data/lfw-deepfunneled/images_deepfunneled --folds 1-2\n"
          "\n"
          "Exit status: 0 evaluated, 1 the pair list or the models failed, 2 usage error.\n",
          stdout);
}

/* "1-2", "1,3,5" or "all" into a mask of 0-based folds; -1 when malformed. */
static long parse_folds(const char *s)
{
    if (!s || strcmp(s, "all") == 0)
        return 0xffff;
    long mask = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p)
            return -1;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1)
                return -1;
            p = end;
        }
        if (a < 1 || b > 16 || a > b)
            return -1;
        for (long f = a; f <= b; f++)
            mask |= 1L << (f - 1);
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return mask;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct progress {
    int on;
    time_t start;
} progress;

static void show_progress(size_t done, size_t total, void *ctx)
{
    progress *p = ctx;
    if (!p->on || (done % 50 && done != total))
        return;
    double el = difftime(time(NULL), p->start);
    fprintf(stderr, "\r[%zu/%zu] %.0f s elapsed, about %.0f s left   ", done, total, el,
            done ? el * (double)(total - done) / (double)done : 0.0);
    if (done == total)
        fputc('\n', stderr);
}

static size_t index_of(char *const *sorted, size_t n, const char *path)
{
    char *const *hit = bsearch(&path, sorted, n, sizeof *sorted, cmp_str);
    return (size_t)(hit - sorted);
}

static int eval_verify(int argc, char **argv)
{
    cli_face_opts fo;
    cli_face_opts_init_embed(&fo);
    const char *pairs_path = NULL, *root = NULL, *folds = NULL, *protocol = "facekit", *roc = NULL,
               *failures = NULL, *plot = NULL, *dist_path = NULL;
    double threshold = FK_DESCRIPTOR_THRESHOLD;
    int per_class = 0;
    int threads;
    fo.threads = cli_cpu_count(); /* here: images in parallel, one thread each */
    cli_opt opts[16 + CLI_FACE_OPTS_COUNT] = {
        {"pairs", 0, CLI_ARG_STRING, &pairs_path, 0, 0},
        {"root", 0, CLI_ARG_STRING, &root, 0, 0},
        {"folds", 0, CLI_ARG_STRING, &folds, 0, 0},
        {"threshold", 0, CLI_ARG_FLOAT, &threshold, 1e-9, 1e9},
        {"protocol", 0, CLI_ARG_STRING, &protocol, 0, 0},
        {"roc", 0, CLI_ARG_STRING, &roc, 0, 0},
        {"failures", 0, CLI_ARG_STRING, &failures, 0, 0},
        {"plot", 0, CLI_ARG_STRING, &plot, 0, 0},
        {"per-class", 0, CLI_ARG_INT, &per_class, 1, 1000000},
        {"distances", 0, CLI_ARG_STRING, &dist_path, 0, 0},
    };
    size_t nopts = 10;
    nopts += cli_face_opts_table(&fo, opts + nopts);
    int npos = 0;
    int rc = cli_parse("eval verify", argc, argv, 1, opts, nopts, &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos)
        return cli_usage_error("eval verify", "unexpected argument '%s'", argv[1]);
    if (!pairs_path)
        return cli_usage_error("eval verify", "--pairs FILE is required");
    if (plot && !roc)
        return cli_usage_error("eval verify", "--plot draws the ROC written by --roc: give --roc OUT.csv too");
    long fold_mask = parse_folds(folds);
    if (fold_mask < 0)
        return cli_usage_error("eval verify", "bad --folds '%s' (e.g. 1-2 or 1,3,5)", folds);
    if (strcmp(protocol, "facekit") && strcmp(protocol, "faceapi"))
        return cli_usage_error("eval verify", "--protocol is facekit or faceapi, not '%s'", protocol);
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("eval verify", &fo, &det, &dec)))
        return rc;
    threads = fo.threads;

    char rootbuf[4096];
    if (!root) {
        snprintf(rootbuf, sizeof rootbuf, "%s", pairs_path);
        char *slash = strrchr(rootbuf, '/');
        if (slash)
            *slash = 0;
        else
            snprintf(rootbuf, sizeof rootbuf, ".");
        root = rootbuf;
    }
    fk_error err = {0};
    fk_pairs *pairs = NULL;
    if (fk_pairs_load(pairs_path, root, &pairs, &err) != FK_OK) {
        cli_error("%s", err.message);
        return CLI_EXIT_FAIL;
    }
    /* keep the selected folds (and the first per_class pairs of each class in each), in order */
    size_t kept = 0;
    int taken[16][2] = {{0}};
    for (size_t i = 0; i < pairs->count; i++) {
        fk_pair *q = &pairs->items[i];
        int *n = &taken[q->fold & 15][q->same != 0];
        if ((fold_mask & (1L << q->fold)) && (!per_class || (*n)++ < per_class))
            pairs->items[kept++] = pairs->items[i];
        else {
            free(pairs->items[i].a);
            free(pairs->items[i].b);
        }
    }
    pairs->count = kept;
    if (!kept) {
        fk_pairs_free(pairs);
        return cli_usage_error("eval verify", "no pairs in the folds asked for");
    }

    /* every distinct image once */
    char **paths = malloc(2 * kept * sizeof *paths);
    fk_image_embedding *emb = NULL;
    double *dist = malloc(kept * sizeof *dist);
    fk_models *models = NULL;
    rc = CLI_EXIT_FAIL;
    if (!paths || !dist) {
        cli_error("out of memory");
        goto done;
    }
    size_t np = 0;
    for (size_t i = 0; i < kept; i++) {
        paths[np++] = pairs->items[i].a;
        paths[np++] = pairs->items[i].b;
    }
    qsort(paths, np, sizeof *paths, cmp_str);
    size_t nu = 0;
    for (size_t i = 0; i < np; i++)
        if (!nu || strcmp(paths[nu - 1], paths[i]))
            paths[nu++] = paths[i];
    emb = calloc(nu, sizeof *emb);
    if (!emb) {
        cli_error("out of memory");
        goto done;
    }
    if (fk_models_load(fo.models ? fo.models : NULL, cli_nets_for_opts(&fo, det.detector, FK_ANALYZE_DESCRIPTOR), &models,
                       &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    fk_embed_options eo;
    cli_embed_options(protocol, &fo, &det, &eo);
    progress pr = {!fo.quiet && isatty(2), time(NULL)};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (fk_eval_embed_images(models, (const char *const *)paths, nu, &eo, threads, show_progress, &pr, emb, &err) !=
        FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;

    size_t noface = 0, lowscore = 0, fellback = 0;
    FILE *ff = failures ? fopen(failures, "w") : NULL;
    if (failures && !ff) {
        cli_error("%s: cannot write", failures);
        goto done;
    }
    for (size_t i = 0; i < nu; i++) {
        lowscore += emb[i].retried == 1;
        fellback += emb[i].fallback == 1;
        if (!emb[i].ok) {
            noface++;
            if (ff)
                fprintf(ff, "%s\n", emb[i].error);
        }
    }
    if (ff && fclose(ff) != 0) {
        cli_error("%s: write failed", failures);
        goto done;
    }
    for (size_t i = 0; i < kept; i++) {
        const fk_image_embedding *a = &emb[index_of(paths, nu, pairs->items[i].a)];
        const fk_image_embedding *b = &emb[index_of(paths, nu, pairs->items[i].b)];
        dist[i] = a->ok && b->ok ? fk_descriptor_distance(a->face.descriptor, b->face.descriptor) : NAN;
    }
    if (dist_path) {
        FILE *df = fopen(dist_path, "w");
        if (!df) {
            cli_error("%s: cannot write", dist_path);
            goto done;
        }
        fprintf(df, "a,b,same,distance\n");
        for (size_t i = 0; i < kept; i++) {
            fprintf(df, "%s,%s,%d,", pairs->items[i].a, pairs->items[i].b, pairs->items[i].same);
            if (isnan(dist[i]))
                fputc('\n', df);
            else
                fprintf(df, "%.6f\n", dist[i]);
        }
        if (fclose(df) != 0) {
            cli_error("%s: write failed", dist_path);
            goto done;
        }
    }
    fk_verify_report r;
    if (fk_verify_evaluate(pairs, dist, threshold, &r, &err) != FK_OK ||
        (roc && fk_verify_write_roc(pairs, dist, roc, &err) != FK_OK)) {
        cli_error("%s", err.message);
        goto done;
    }
    if (fo.json) {
        printf("{\"pairs_file\": \"%s\", \"protocol\": \"%s\", \"images\": %zu, \"images_without_face\": %zu, "
               "\"found_by_low_score_retry\": %zu, \"found_by_fallback\": %zu, \"pairs\": %zu, "
               "\"pairs_failed\": %zu, \"threshold\": %.6g, \"accuracy_at_threshold\": %.6f, "
               "\"accuracy_valid_pairs\": %.6f, \"folds\": %d, \"mean_accuracy\": %.6f, \"std_accuracy\": %.6f, "
               "\"auc\": %.6f, \"eer\": %.6f, \"tar_at_far_0.001\": %.6f, \"tar_at_far_0.01\": %.6f, "
               "\"seconds\": %.1f}\n",
               pairs_path, protocol, nu, noface, lowscore, fellback, r.pairs, r.failed_pairs, threshold,
               r.accuracy_at_fixed, r.accuracy_valid_pairs, r.folds, r.mean_accuracy, r.std_accuracy, r.auc, r.eer,
               r.tar_at_far[0], r.tar_at_far[1], secs);
    } else {
        const fk_model_info *dm = fk_model_by_id(FK_ROLE_DETECTOR, det.detector);
        const fk_model_info *fm = eo.detect.use_fallback ? fk_model_by_id(FK_ROLE_DETECTOR, eo.detect.fallback) : NULL;
        printf("pairs %s (%s protocol, %s detector%s%s)\n", pairs_path, protocol, dm ? dm->name : "?",
               fm ? ", fallback " : "", fm ? fm->name : "");
        printf("  images %zu: %zu without a face, %zu found only by the low-score retry, %zu only by the fallback\n",
               nu, noface, lowscore, fellback);
        printf("  pairs %zu (%zu with an image without a face, counted wrong)\n", r.pairs, r.failed_pairs);
        printf("  accuracy at threshold %.3g: %.2f %%  (%.2f %% over the pairs where both faces were found)\n",
               threshold, 100 * r.accuracy_at_fixed, 100 * r.accuracy_valid_pairs);
        if (r.folds) {
            printf("  %d-fold protocol: %.2f %% +- %.2f  (thresholds", r.folds, 100 * r.mean_accuracy,
                   100 * r.std_accuracy);
            for (int f = 0; f < r.folds; f++)
                printf(" %.3f", r.fold_threshold[f]);
            printf(")\n");
        } else {
            printf("  k-fold protocol: needs two folds or more\n");
        }
        printf("  AUC %.4f, EER %.2f %% (at %.3f), TAR %.2f %% at FAR 0.001, %.2f %% at FAR 0.01\n", r.auc,
               100 * r.eer, r.eer_threshold, 100 * r.tar_at_far[0], 100 * r.tar_at_far[1]);
        printf("  %.1f s, %.1f ms per image on %d thread%s\n", secs, 1000 * secs / (double)nu, threads,
               threads == 1 ? "" : "s");
        for (size_t i = 0, shown = 0; i < nu && shown < 10; i++)
            if (!emb[i].ok) {
                printf("  no descriptor: %s\n", emb[i].error);
                if (++shown == 10 && noface > 10)
                    printf("  ... and %zu more (--failures FILE lists them all)\n", noface - 10);
            }
    }
    if (plot && plot_curves(plot, 1, (char **)&roc) != CLI_EXIT_OK)
        goto done;
    rc = CLI_EXIT_OK;
done:
    fk_models_free(models);
    free(emb);
    free(dist);
    free(paths);
    fk_pairs_free(pairs);
    return rc;
}

/* ---- eval identify: LFW 1:N identification */

static void print_identify_help(void)
{
    fputs("Usage: facekit eval identify [--root DIR] [--people FILE] [OPTIONS]\n"
          "\n"
          "1:N face identification on a folder of people (LFW's layout: ROOT/Name/Name_NNNN.jpg). Every\n"
          "person with two images or more is enrolled with their first image by file name (when it has\n"
          "no descriptor, with their first image that has one; the report says how many), and all their\n"
          "other images are searched for among everyone enrolled (exact nearest neighbours, L2).\n"
          "For every image the largest face is found and described, as `eval verify` does with the same\n"
          "options (facekit's protocol by default, --protocol faceapi for face-api's).\n"
          "\n"
          "Closed set: rank-1 and rank-5, the share of probes whose person is the nearest, or among the\n"
          "5 nearest, people enrolled. A probe without a descriptor counts as a miss, and is counted.\n"
          "Open set: the people are taken in name order and every second one (the 2nd, 4th, ...) is left\n"
          "out of the gallery; the same probes are searched again. At the threshold (a probe is accepted\n"
          "when its nearest face is nearer than it): the false accept rate (probes of left-out people\n"
          "accepted, over those with a descriptor), and the known half's rank-1 plain and at the\n"
          "threshold (nearest is the right person and accepted); the same two figures at the thresholds\n"
          "0.30, 0.35, ... 0.60 follow, to choose an open-set threshold for `facekit identify`.\n"
          "--threads sets how many images are processed at once, one thread each (default: the number\n"
          "of CPUs).\n"
          "\n"
          "Options:\n"
          "  --root DIR           the people's folders, or a folder holding them in images_deepfunneled/\n"
          "                       [$FACEKIT_SHARED/data/lfw-deepfunneled, else ../shared/data/lfw-deepfunneled]\n"
          "  --people FILE        only these people: the first word of each line is a name (LFW's\n"
          "                       people.txt and lfw-names.txt work; lines of a number alone are skipped;\n"
          "                       the images are those found in the folders) [every folder]\n"
          "  --limit N            only the first N people (by name) with two images or more (quick checks) [all]\n"
          "  --threshold T        the open set's threshold [the embedder's calibrated one: facekit models]\n"
          "  --protocol P         facekit or faceapi, as in eval verify [facekit]\n"
          "  --failures OUT.txt   write the images without a descriptor, one per line\n"
          "  --descriptors OUT.tsv  write every image: path, person (a number, in name order), role\n"
          "                       (gallery, probe or unused), faces found, the box used (x y w h) and\n"
          "                       the descriptor, tab-separated, for analysis (scripts/identify_breakdown.py)\n",
          stdout);
    cli_face_opts_help(stdout, 1);
    fputs("  -h, --help           this help\n"
          "\n"
          "Example:\n"
          "  facekit eval identify --limit 100 --embedder faceapi-resnet --jitter 0\n"
          "\n"
          "Exit status: 0 evaluated, 1 the folder, the people or the models failed, 2 usage error.\n",
          stdout);
}

static double pct(double v)
{
    return 100 * v;
}

/* --descriptors: what each image gave, so a miss can be traced to its detection or its descriptor. */
static int write_identify_descriptors(const char *path, const char *const *paths, const fk_identify_image *items,
                                      const int *roles, const fk_image_embedding *emb, size_t count)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_error("%s: cannot write", path);
        return -1;
    }
    fprintf(f, "# path\tperson\trole\tfaces\tx\ty\tw\th\tdescriptor (%d values, empty without one)\n",
            FK_DESCRIPTOR_DIM);
    for (size_t i = 0; i < count; i++) {
        const char *role = roles[i] == FK_IDENTIFY_GALLERY ? "gallery" : roles[i] == FK_IDENTIFY_PROBE ? "probe"
                                                                                                     : "unused";
        const fk_box *b = &emb[i].face.box;
        fprintf(f, "%s\t%zu\t%s\t%d", paths[i], items[i].person, role, emb[i].faces);
        if (emb[i].ok) {
            fprintf(f, "\t%.2f\t%.2f\t%.2f\t%.2f\t", b->x, b->y, b->width, b->height);
            for (int k = 0; k < FK_DESCRIPTOR_DIM; k++)
                fprintf(f, "%s%.9g", k ? " " : "", (double)emb[i].face.descriptor[k]);
        } else {
            fputs("\t\t\t\t\t", f);
        }
        fputc('\n', f);
    }
    if (ferror(f) | (fclose(f) != 0)) {
        cli_error("%s: write failed", path);
        return -1;
    }
    return 0;
}

static int eval_identify(int argc, char **argv)
{
    cli_face_opts fo;
    cli_face_opts_init_embed(&fo);
    const char *root = NULL, *people_path = NULL, *protocol = "facekit", *failures = NULL, *descriptors = NULL;
    double threshold = 0;
    int limit = 0;
    fo.threads = cli_cpu_count(); /* here: images in parallel, one thread each */
    cli_opt opts[16 + CLI_FACE_OPTS_COUNT] = {
        {"root", 0, CLI_ARG_STRING, &root, 0, 0},
        {"people", 0, CLI_ARG_STRING, &people_path, 0, 0},
        {"limit", 0, CLI_ARG_INT, &limit, 1, 100000000},
        {"threshold", 0, CLI_ARG_FLOAT, &threshold, 1e-9, 1e9},
        {"protocol", 0, CLI_ARG_STRING, &protocol, 0, 0},
        {"failures", 0, CLI_ARG_STRING, &failures, 0, 0},
        {"descriptors", 0, CLI_ARG_STRING, &descriptors, 0, 0},
    };
    size_t nopts = 7;
    nopts += cli_face_opts_table(&fo, opts + nopts);
    int npos = 0;
    int rc = cli_parse("eval identify", argc, argv, 1, opts, nopts, &npos);
    if (rc == 1) {
        print_identify_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos)
        return cli_usage_error("eval identify", "unexpected argument '%s'", argv[1]);
    if (strcmp(protocol, "facekit") && strcmp(protocol, "faceapi"))
        return cli_usage_error("eval identify", "--protocol is facekit or faceapi, not '%s'", protocol);
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("eval identify", &fo, &det, &dec)))
        return rc;
    const fk_model_info *em = fk_model_find(fo.embedder);
    int threshold_given = threshold > 0;
    if (!threshold_given)
        threshold = cli_face_opts_threshold(&fo, em && em->threshold > 0 ? em->threshold : FK_DESCRIPTOR_THRESHOLD);

    char *rootbuf = NULL, *imgdir = NULL;
    cli_strv names = {0}, paths = {0};
    fk_identify_image *items = NULL;
    fk_image_embedding *emb = NULL;
    int *roles = NULL;
    fk_models *models = NULL;
    cJSON *j = NULL;
    rc = CLI_EXIT_FAIL;
    if (!root) {
        /* where the tests and the benchmarks keep LFW */
        const char *shared = getenv("FACEKIT_SHARED");
        rootbuf = cli_path_join(shared && *shared ? shared : "../shared", "data/lfw-deepfunneled");
        if (!rootbuf) {
            cli_error("out of memory");
            goto done;
        }
        root = rootbuf;
    }
    if (!cli_is_dir(root)) {
        cli_error("%s: no such folder (give --root DIR, LFW's folder, or set FACEKIT_SHARED)", root);
        goto done;
    }
    imgdir = cli_path_join(root, "images_deepfunneled");
    if (!imgdir) {
        cli_error("out of memory");
        goto done;
    }
    if (!cli_is_dir(imgdir)) {
        free(imgdir);
        imgdir = cli_dup(root);
        if (!imgdir) {
            cli_error("out of memory");
            goto done;
        }
    }
    if (people_path ? cli_read_people(people_path, &names) : cli_list_dir(imgdir, 1, &names))
        goto done;

    /* the images of the first `limit` people with two or more, labelled in name order */
    size_t cap = 0, count = 0, eligible = 0, looked = 0, missing = 0;
    const char *first_missing = NULL;
    for (size_t p = 0; p < names.n && (!limit || eligible < (size_t)limit); p++) {
        looked++;
        char *dir = cli_path_join(imgdir, names.v[p]);
        cli_strv files = {0};
        if (!dir) {
            cli_error("out of memory");
            goto done;
        }
        if (!cli_is_dir(dir)) {
            /* LFW's lists name people of the whole set, and a copy may hold a part of it */
            missing++;
            if (!first_missing)
                first_missing = names.v[p];
            free(dir);
            continue;
        }
        if (cli_list_dir(dir, 0, &files)) {
            free(dir);
            goto done;
        }
        if (files.n >= 2) {
            if (count + files.n > cap) {
                size_t ncap = cap ? cap * 2 : 1024;
                while (ncap < count + files.n)
                    ncap *= 2;
                fk_identify_image *ni = ncap > SIZE_MAX / sizeof *ni ? NULL : realloc(items, ncap * sizeof *ni);
                if (ni)
                    items = ni;
                if (!ni) {
                    cli_strv_free(&files);
                    free(dir);
                    cli_error("out of memory");
                    goto done;
                }
                cap = ncap;
            }
            for (size_t k = 0; k < files.n; k++) {
                if (cli_strv_push(&paths, cli_path_join(dir, files.v[k]))) {
                    cli_strv_free(&files);
                    free(dir);
                    cli_error("out of memory");
                    goto done;
                }
                items[count++] = (fk_identify_image){eligible, k, NULL};
            }
            eligible++;
        }
        cli_strv_free(&files);
        free(dir);
    }
    if (people_path && missing && !fo.quiet && !fo.json)
        fprintf(stderr, "facekit eval identify: note: %zu of the %zu people looked at have no folder in %s (%s, ...)\n",
                missing, looked, imgdir, first_missing);
    if (!eligible) {
        cli_error("%s: no person with two images or more (%zu people looked at): nothing to enroll and search for",
                  imgdir, looked);
        goto done;
    }

    emb = calloc(count, sizeof *emb);
    roles = calloc(count, sizeof *roles);
    if (!emb || !roles) {
        cli_error("out of memory");
        goto done;
    }
    fk_error err = {0};
    if (fk_models_load(fo.models, cli_nets_for_opts(&fo, det.detector, FK_ANALYZE_DESCRIPTOR), &models, &err) !=
        FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    fk_embed_options eo;
    cli_embed_options(protocol, &fo, &det, &eo);
    progress pr = {!fo.quiet && isatty(2), time(NULL)};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (fk_eval_embed_images(models, (const char *const *)paths.v, count, &eo, fo.threads, show_progress, &pr, emb,
                             &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    size_t nodesc = 0;
    for (size_t i = 0; i < count; i++) {
        items[i].descriptor = emb[i].ok ? emb[i].face.descriptor : NULL;
        nodesc += !emb[i].ok;
    }
    if (failures) {
        FILE *ff = fopen(failures, "w");
        if (!ff) {
            cli_error("%s: cannot write", failures);
            goto done;
        }
        for (size_t i = 0; i < count; i++)
            if (!emb[i].ok)
                fprintf(ff, "%s\n", emb[i].error);
        if (fclose(ff) != 0) {
            cli_error("%s: write failed", failures);
            goto done;
        }
    }
    fk_identify_report r;
    if (fk_identify_evaluate(items, count, FK_DESCRIPTOR_DIM, threshold, &r, roles, &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    /* the open set at other thresholds: 0.6 is 1:1's, and 1:N against many people wants a tighter one */
    enum { SWEEP = 7 };
    fk_identify_report sweep[SWEEP];
    for (int k = 0; k < SWEEP; k++)
        if (fk_identify_evaluate(items, count, FK_DESCRIPTOR_DIM, 0.30 + 0.05 * k, &sweep[k], NULL, &err) != FK_OK) {
            cli_error("%s", err.message);
            goto done;
        }
    if (descriptors && write_identify_descriptors(descriptors, (const char *const *)paths.v, items, roles, emb,
                                                  count) != 0)
        goto done;
    const fk_model_info *dm = fk_model_by_id(FK_ROLE_DETECTOR, eo.detect.detector);
    const fk_model_info *fm = eo.detect.use_fallback ? fk_model_by_id(FK_ROLE_DETECTOR, eo.detect.fallback) : NULL;
    const char *rule = "people in name order, the 2nd, 4th, ... left out of the gallery";
    if (fo.json) {
        j = cJSON_CreateObject();
        cJSON *o = j ? cJSON_CreateObject() : NULL;
        if (!o) {
            cli_error("out of memory");
            goto done;
        }
        cJSON_AddItemToObject(j, "root", cli_json_string(imgdir));
        cJSON_AddItemToObject(j, "protocol", cli_json_string(protocol));
        cJSON_AddItemToObject(j, "detector", cli_json_string(dm ? dm->name : "?"));
        cJSON_AddItemToObject(j, "fallback", fm ? cli_json_string(fm->name) : cJSON_CreateNull());
        cJSON_AddItemToObject(j, "embedder", cli_json_string(em ? em->name : fo.embedder));
        cJSON_AddNumberToObject(j, "jitter", fo.jitter);
        cJSON_AddNumberToObject(j, "people_looked_at", (double)looked);
        cJSON_AddNumberToObject(j, "people", (double)r.people);
        cJSON_AddNumberToObject(j, "images", (double)r.images);
        cJSON_AddNumberToObject(j, "images_without_descriptor", (double)nodesc);
        cJSON_AddNumberToObject(j, "gallery", (double)r.gallery);
        cJSON_AddNumberToObject(j, "enrolled_with_later_image", (double)r.enrolled_later);
        cJSON_AddNumberToObject(j, "people_not_enrolled", (double)r.not_enrolled);
        cJSON_AddNumberToObject(j, "probes", (double)r.probes);
        cJSON_AddNumberToObject(j, "probes_without_descriptor", (double)r.probes_without_descriptor);
        cJSON_AddNumberToObject(j, "rank1_hits", (double)r.rank1_hits);
        cJSON_AddNumberToObject(j, "rank5_hits", (double)r.rank5_hits);
        cJSON_AddItemToObject(j, "rank1", cli_json_double(r.rank1));
        cJSON_AddItemToObject(j, "rank5", cli_json_double(r.rank5));
        /* the registry's threshold is a float: printed as one, it reads 0.6, not 0.6000000238 */
        cJSON_AddItemToObject(j, "threshold",
                              threshold_given ? cli_json_double(r.threshold) : cli_json_float((float)r.threshold));
        cJSON_AddItemToObject(j, "threshold_from", cli_json_string(threshold_given ? "--threshold" : "registry"));
        cJSON_AddItemToObject(o, "rule", cli_json_string(rule));
        cJSON_AddNumberToObject(o, "known_people", (double)r.known_people);
        cJSON_AddNumberToObject(o, "unknown_people", (double)r.unknown_people);
        cJSON_AddNumberToObject(o, "gallery", (double)r.open_gallery);
        cJSON_AddNumberToObject(o, "known_probes", (double)r.known_probes);
        cJSON_AddNumberToObject(o, "known_probes_without_descriptor", (double)r.known_probes_without_descriptor);
        cJSON_AddNumberToObject(o, "unknown_probes", (double)r.unknown_probes);
        cJSON_AddNumberToObject(o, "unknown_probes_without_descriptor", (double)r.unknown_probes_without_descriptor);
        cJSON_AddNumberToObject(o, "false_accepts", (double)r.false_accepts);
        cJSON_AddItemToObject(o, "far", cli_json_double(r.far));
        cJSON_AddItemToObject(o, "known_rank1", cli_json_double(r.known_rank1));
        cJSON_AddItemToObject(o, "known_rank1_at_threshold", cli_json_double(r.known_rank1_at_threshold));
        cJSON_AddItemToObject(j, "open_set", o);
        cJSON *sw = cJSON_AddArrayToObject(j, "open_set_sweep");
        for (int k = 0; sw && k < SWEEP; k++) {
            cJSON *e = cJSON_CreateObject();
            if (!e)
                break;
            cJSON_AddItemToObject(e, "threshold", cli_json_double(round(sweep[k].threshold * 100) / 100));
            cJSON_AddItemToObject(e, "far", cli_json_double(sweep[k].far));
            cJSON_AddItemToObject(e, "known_rank1_at_threshold", cli_json_double(sweep[k].known_rank1_at_threshold));
            cJSON_AddItemToArray(sw, e);
        }
        cJSON *later = cJSON_AddArrayToObject(j, "enrolled_later");
        for (size_t i = 0; later && i < count; i++)
            if (roles[i] == FK_IDENTIFY_GALLERY && items[i].order > 0)
                cJSON_AddItemToArray(later, cli_json_string(paths.v[i]));
        cJSON_AddNumberToObject(j, "threads", fo.threads);
        cJSON_AddItemToObject(j, "seconds", cli_json_double(round(secs * 10) / 10));
        if (cli_json_write(stdout, j) != 0) {
            cli_error("could not write the JSON report");
            goto done;
        }
    } else {
        printf("identification on %s (%s protocol, %s detector%s%s, %s embedder, jitter %d)\n", imgdir, protocol,
               dm ? dm->name : "?", fm ? ", fallback " : "", fm ? fm->name : "", em ? em->name : fo.embedder,
               fo.jitter);
        printf("  %zu people with two images or more (of %zu looked at), %zu images, %zu without a descriptor\n",
               r.people, looked, r.images, nodesc);
        printf("\n  %-26s %7s %8s %7s %10s %9s %9s\n", "", "people", "gallery", "probes", "no descr.", "rank-1",
               "rank-5");
        printf("  %-26s %7zu %8zu %7zu %10zu %7.2f %% %7.2f %%\n", "closed set", r.people, r.gallery, r.probes,
               r.probes_without_descriptor, pct(r.rank1), pct(r.rank5));
        printf("  %-26s %7zu %8zu %7zu %10zu %7.2f %%\n", "open set: known half", r.known_people, r.open_gallery,
               r.known_probes, r.known_probes_without_descriptor, pct(r.known_rank1));
        printf("  %-26s %7s %8s %7s %10s %7.2f %%\n", "  ... and below threshold", "", "", "", "",
               pct(r.known_rank1_at_threshold));
        printf("  %-26s %7zu %8s %7zu %10zu   ", "open set: left-out half", r.unknown_people, "-", r.unknown_probes,
               r.unknown_probes_without_descriptor);
        if (isnan(r.far))
            printf("false accepts: no probe to count (one person)\n");
        else
            printf("false accepts %.2f %% (%zu of %zu)\n", pct(r.far), r.false_accepts,
                   r.unknown_probes - r.unknown_probes_without_descriptor);
        printf("\n  open set at other thresholds:  ");
        for (int k = 0; k < SWEEP; k++)
            printf(" %5.2f", sweep[k].threshold);
        printf("\n    false accepts            ");
        for (int k = 0; k < SWEEP; k++)
            printf(" %5.1f", pct(sweep[k].far));
        printf("  %%\n    known half's rank-1 below ");
        for (int k = 0; k < SWEEP; k++)
            printf(" %5.1f", pct(sweep[k].known_rank1_at_threshold));
        printf("  %%\n");
        printf("\n  threshold %.4g (%s); open set: %s\n", r.threshold,
               threshold_given ? "--threshold" : "the embedder's calibrated threshold", rule);
        printf("  probes without a descriptor are misses at every rank, and are not in the false accept rate\n");
        if (r.enrolled_later || r.not_enrolled)
            printf("  %zu people enrolled with a later image (their first has no descriptor), %zu not enrolled "
                   "(none has one)\n",
                   r.enrolled_later, r.not_enrolled);
        for (size_t i = 0, shown = 0; i < count && shown < 10; i++)
            if (roles[i] == FK_IDENTIFY_GALLERY && items[i].order > 0) {
                printf("    enrolled with %s\n", paths.v[i]);
                if (++shown == 10 && r.enrolled_later > 10)
                    printf("    ... and %zu more (--json lists them all)\n", r.enrolled_later - 10);
            }
        printf("  %.1f s, %.1f ms per image on %d thread%s\n", secs, 1000 * secs / (double)count, fo.threads,
               fo.threads == 1 ? "" : "s");
    }
    rc = CLI_EXIT_OK;
done:
    cJSON_Delete(j);
    fk_models_free(models);
    free(emb);
    free(roles);
    free(items);
    cli_strv_free(&paths);
    cli_strv_free(&names);
    free(imgdir);
    free(rootbuf);
    return rc;
}

static void print_detect_help(void)
{
    fputs("Usage: facekit eval detect --annotations FILE [--format afw|wider|fddb] [--root DIR] [OPTIONS]\n"
          "\n"
          "Face detection accuracy against ground-truth boxes. Every image is run through the detector\n"
          "with a low score threshold (--min-score, default 0.05), detections are matched greedily in\n"
          "descending score to the face they overlap most (IoU >= --iou, each face once; WIDER's invalid\n"
          "faces are ignored), and the precision-recall curve gives the VOC average precision.\n"
          "\n"
          "Formats: afw (../shared/data/afw/afw_boxes.txt: name, count, x1 y1 x2 y2 per face), wider\n"
          "(wider_face_val_bbx_gt.txt), fddb (FDDB-fold-NN-ellipseList.txt; overlap of the ellipse and the\n"
          "box, and FDDB's discrete and continuous true positive rates at 1000 false positives).\n"
          "--threads sets how many images are processed at once (default: the number of CPUs).\n"
          "\n"
          "Options:\n"
          "  --annotations FILE   the ground truth (required)\n"
          "  --format F           afw, wider or fddb [afw]\n"
          "  --root DIR           the image folder [for afw: FILE's folder/images; else FILE's folder]\n"
          "  --iou T              the overlap a detection needs to count, 0 < T <= 1 [0.5]\n"
          "  --limit N            only the first N images (quick checks) [all]\n"
          "  --pr OUT.csv         write the precision-recall curve (score, recall, precision)\n"
          "  --misses OUT.txt     write the missed faces and the false alarms scoring above the best-F1\n"
          "                       threshold, one per line\n"
          "  --plot OUT.svg       draw the precision-recall curve (needs --pr; several: facekit eval plot)\n",
          stdout);
    cli_face_opts_help(stdout, 0);
    fputs("  -h, --help           this help\n"
          "\n"
          "Example:\n"
          "  facekit eval detect --annotations ../shared/data/afw/afw_boxes.txt\n"
          "\n"
          "Exit status: 0 evaluated, 1 the annotations or the models failed, 2 usage error.\n",
          stdout);
}

static int eval_detect(int argc, char **argv)
{
    cli_face_opts fo;
    cli_face_opts_init(&fo);
    fo.min_score = 0.05;
    const char *ann = NULL, *format = "afw", *root = NULL, *pr_path = NULL, *misses = NULL, *plot = NULL;
    double iou = 0.5;
    int limit = 0;
    int threads;
    fo.threads = cli_cpu_count(); /* here: images in parallel, one thread each */
    cli_opt opts[16 + CLI_FACE_OPTS_COUNT] = {
        {"annotations", 0, CLI_ARG_STRING, &ann, 0, 0},
        {"format", 0, CLI_ARG_STRING, &format, 0, 0},
        {"root", 0, CLI_ARG_STRING, &root, 0, 0},
        {"iou", 0, CLI_ARG_FLOAT, &iou, 1e-6, 1},
        {"limit", 0, CLI_ARG_INT, &limit, 1, 100000000},
        {"pr", 0, CLI_ARG_STRING, &pr_path, 0, 0},
        {"misses", 0, CLI_ARG_STRING, &misses, 0, 0},
        {"plot", 0, CLI_ARG_STRING, &plot, 0, 0},
    };
    size_t nopts = 8;
    nopts += cli_face_opts_table(&fo, opts + nopts);
    int npos = 0;
    int rc = cli_parse("eval detect", argc, argv, 1, opts, nopts, &npos);
    if (rc == 1) {
        print_detect_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos)
        return cli_usage_error("eval detect", "unexpected argument '%s'", argv[1]);
    if (!ann)
        return cli_usage_error("eval detect", "--annotations FILE is required");
    if (plot && !pr_path)
        return cli_usage_error("eval detect", "--plot draws the curve written by --pr: give --pr OUT.csv too");
    fk_det_format fmt;
    if (!strcmp(format, "afw"))
        fmt = FK_DET_FORMAT_AFW;
    else if (!strcmp(format, "wider"))
        fmt = FK_DET_FORMAT_WIDER;
    else if (!strcmp(format, "fddb"))
        fmt = FK_DET_FORMAT_FDDB;
    else
        return cli_usage_error("eval detect", "--format is afw, wider or fddb, not '%s'", format);
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("eval detect", &fo, &det, &dec)))
        return rc;
    threads = fo.threads;
    char rootbuf[4096];
    if (!root) {
        snprintf(rootbuf, sizeof rootbuf, "%s", ann);
        char *slash = strrchr(rootbuf, '/');
        if (slash)
            *slash = 0;
        else
            snprintf(rootbuf, sizeof rootbuf, ".");
        if (fmt == FK_DET_FORMAT_AFW)
            strncat(rootbuf, "/images", sizeof rootbuf - strlen(rootbuf) - 1);
        root = rootbuf;
    }
    fk_error err = {0};
    fk_det_truth *t = NULL;
    if (fk_det_truth_load(ann, fmt, root, &t, &err) != FK_OK) {
        cli_error("%s", err.message);
        return CLI_EXIT_FAIL;
    }
    if (limit > 0 && (size_t)limit < t->n_images) {
        for (size_t i = (size_t)limit; i < t->n_images; i++)
            free(t->images[i].path);
        t->n_images = (size_t)limit;
        t->n_faces = t->images[limit - 1].first + t->images[limit - 1].count;
    }
    fk_models *models = NULL;
    const char **paths = malloc(t->n_images * sizeof *paths);
    fk_image_detections *dets = calloc(t->n_images, sizeof *dets);
    fk_det_result *res = NULL;
    int *tp = NULL;
    long *matched = NULL;
    rc = CLI_EXIT_FAIL;
    if (!paths || !dets) {
        cli_error("out of memory");
        goto done;
    }
    for (size_t i = 0; i < t->n_images; i++)
        paths[i] = t->images[i].path;
    if (fk_models_load(fo.models, cli_nets_for(det.detector, 0), &models, &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    progress pr = {!fo.quiet && isatty(2), time(NULL)};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (fk_eval_detect_images(models, paths, t->n_images, &det, threads, show_progress, &pr, dets, &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    size_t n = 0, failed = 0;
    for (size_t i = 0; i < t->n_images; i++) {
        n += dets[i].count;
        if (!dets[i].ok) {
            failed++;
            cli_error("%s", dets[i].error);
        }
    }
    res = malloc((n ? n : 1) * sizeof *res);
    tp = malloc((n ? n : 1) * sizeof *tp);
    matched = malloc((t->n_faces ? t->n_faces : 1) * sizeof *matched);
    if (!res || !tp || !matched) {
        cli_error("out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < t->n_images; i++)
        for (size_t j = 0; j < dets[i].count; j++)
            res[k++] = (fk_det_result){i,
                                       cli_face_opts_dlib_boxes(&fo) ? fk_box_dlib_style(dets[i].faces[j].box)
                                                                     : dets[i].faces[j].box,
                                       dets[i].faces[j].score};
    fk_det_report r, r3;
    if (fk_det_evaluate(t, res, n, iou, &r, tp, matched, &err) != FK_OK ||
        fk_det_evaluate(t, res, n, 0.3, &r3, NULL, NULL, &err) != FK_OK ||
        (pr_path && fk_det_write_pr(t, res, n, iou, pr_path, &err) != FK_OK)) {
        cli_error("%s", err.message);
        goto done;
    }
    if (misses) {
        FILE *f = fopen(misses, "w");
        if (!f) {
            cli_error("%s: cannot write", misses);
            goto done;
        }
        for (size_t i = 0; i < t->n_images; i++)
            for (size_t fi = t->images[i].first; fi < t->images[i].first + t->images[i].count; fi++)
                if (matched[fi] < 0 && !t->faces[fi].ignore)
                    fprintf(f, "miss %s %.1f %.1f %.1f %.1f\n", t->images[i].path, t->faces[fi].box.x,
                            t->faces[fi].box.y, t->faces[fi].box.width, t->faces[fi].box.height);
        for (size_t d = 0; d < n; d++)
            if (tp[d] == 0 && res[d].score >= r.best_f1_score)
                fprintf(f, "false_alarm %s %.1f %.1f %.1f %.1f %.4f\n", t->images[res[d].image].path, res[d].box.x,
                        res[d].box.y, res[d].box.width, res[d].box.height, res[d].score);
        if (fclose(f) != 0) {
            cli_error("%s: write failed", misses);
            goto done;
        }
    }
    const fk_model_info *det_info = fk_model_by_id(FK_ROLE_DETECTOR, det.detector);
    const char *det_name = det_info ? det_info->name : "?";
    if (fo.json) {
        printf("{\"annotations\": \"%s\", \"format\": \"%s\", \"detector\": \"%s\", \"box_style\": \"%s\", \"images\": %zu, "
               "\"images_failed\": %zu, \"faces\": %zu, \"ignored\": %zu, \"detections\": %zu, \"min_score\": %.6g, "
               "\"iou\": %.3g, \"ap\": %.6f, \"ap_iou_0.3\": %.6f, \"max_recall\": %.6f, \"best_f1\": %.6f, "
               "\"best_f1_score\": %.6f, \"fddb_discrete_tpr\": %.6f, \"fddb_continuous_tpr\": %.6f, "
               "\"seconds\": %.1f}\n",
               ann, format, det_name, fo.box_style, t->n_images, failed, r.faces,
               r.ignored, n, (double)det.min_score, iou, r.ap, r3.ap, r.max_recall, r.best_f1,
               r.best_f1_score, r.fddb_discrete_tpr, r.fddb_continuous_tpr, secs);
    } else {
        printf("annotations %s (%s, %s detector, %s boxes, scores above %.3g)\n", ann, format,
               det_name, fo.box_style, (double)det.min_score);
        printf("  images %zu (%zu failed), faces %zu (+%zu ignored), detections %zu\n", t->n_images, failed, r.faces,
               r.ignored, n);
        printf("  AP %.4f at IoU %.2g (%.4f at IoU 0.3); recall %.4f with every detection\n", r.ap, iou, r3.ap,
               r.max_recall);
        printf("  best F1 %.4f at score %.3f", r.best_f1, r.best_f1_score);
        if (fmt == FK_DET_FORMAT_FDDB)
            printf("; FDDB TPR at 1000 FP: discrete %.4f, continuous %.4f", r.fddb_discrete_tpr,
                   r.fddb_continuous_tpr);
        printf("\n  %.1f s, %.1f ms per image on %d thread%s\n", secs, 1000 * secs / (double)t->n_images, threads,
               threads == 1 ? "" : "s");
    }
    if (plot && plot_curves(plot, 1, (char **)&pr_path) != CLI_EXIT_OK)
        goto done;
    rc = failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
done:
    if (dets)
        fk_image_detections_free(dets, t->n_images);
    free(dets);
    free(paths);
    free(res);
    free(tp);
    free(matched);
    fk_models_free(models);
    fk_det_truth_free(t);
    return rc;
}

/* A curve CSV written by --roc (threshold,far,tar) or --pr (score,recall,precision). */
typedef struct curve {
    double *x, *y;
    size_t n;
    int roc;
} curve;

static int read_curve(const char *path, curve *c)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("%s: cannot open", path);
        return -1;
    }
    char line[256];
    if (!fgets(line, sizeof line, f) || (strncmp(line, "threshold,far,tar", 17) && strncmp(line, "score,recall,precision", 22))) {
        cli_error("%s: not a ROC (threshold,far,tar) or PR (score,recall,precision) CSV", path);
        fclose(f);
        return -1;
    }
    c->roc = line[0] == 't';
    size_t cap = 0;
    double a, b, v;
    while (fscanf(f, "%lf,%lf,%lf", &v, &a, &b) == 3) {
        if (c->n == cap) {
            cap = cap ? cap * 2 : 1024;
            double *nx = realloc(c->x, cap * sizeof *nx), *ny = nx ? realloc(c->y, cap * sizeof *ny) : NULL;
            if (!nx || !ny) {
                free(nx ? nx : c->x);
                free(c->y);
                fclose(f);
                cli_error("out of memory reading %s", path);
                return -1;
            }
            c->x = nx;
            c->y = ny;
        }
        c->x[c->n] = a; /* far or recall */
        c->y[c->n] = b; /* tar or precision */
        c->n++;
    }
    fclose(f);
    return 0;
}

/* `facekit eval plot OUT.svg CSV[=LABEL]...`; also used by --plot with one curve. */
static int plot_curves(const char *out, int n, char **specs)
{
    curve *cs = calloc((size_t)n, sizeof *cs);
    fk_plot_series *ss = calloc((size_t)n, sizeof *ss);
    char **labels = calloc((size_t)n, sizeof *labels);
    int rc = CLI_EXIT_FAIL;
    if (!cs || !ss || !labels) {
        cli_error("out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        labels[i] = strdup(specs[i]);
        if (!labels[i]) {
            cli_error("out of memory");
            goto done;
        }
        char *eq = strchr(labels[i], '=');
        const char *label = labels[i];
        if (eq) {
            *eq = 0;
            label = eq + 1;
        }
        if (read_curve(labels[i], &cs[i]) != 0)
            goto done;
        if (cs[i].roc != cs[0].roc) {
            cli_error("%s: cannot mix ROC and precision-recall curves on one plot", labels[i]);
            goto done;
        }
        ss[i] = (fk_plot_series){eq ? label : cli_basename(labels[i]), cs[i].x, cs[i].y, cs[i].n};
    }
    fk_error err = {0};
    int roc = n ? cs[0].roc : 1;
    if (fk_plot_svg(out, roc ? "ROC: face verification" : "Precision-recall: face detection",
                    roc ? "false accept rate" : "recall", roc ? "true accept rate" : "precision", ss, (size_t)n, roc,
                    1e-4, &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    rc = CLI_EXIT_OK;
done:
    for (int i = 0; cs && i < n; i++) {
        free(cs[i].x);
        free(cs[i].y);
        if (labels)
            free(labels[i]);
    }
    free(cs);
    free(ss);
    free(labels);
    return rc;
}

static int eval_plot(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs("Usage: facekit eval plot OUT.svg CSV[=LABEL]...\n"
              "\n"
              "Draws several curves written by `eval verify --roc` (ROC: true accept rate against a log false\n"
              "accept rate) or by `eval detect --pr` (precision against recall) on one SVG figure, e.g. to\n"
              "compare detectors, embedders or settings. LABEL names a curve in the legend (default: the\n"
              "file name).\n"
              "\n"
              "Example:\n"
              "  facekit eval plot roc.svg ssd.csv=SSD tiny.csv=Tiny\n"
              "\n"
              "Exit status: 0 written, 1 a CSV could not be read or the SVG written, 2 usage error.\n",
              stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 3)
        return cli_usage_error("eval plot", "give the output SVG and at least one CSV");
    return plot_curves(argv[1], argc - 2, argv + 2);
}

int cmd_eval(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs("Usage: facekit eval verify|identify|detect|liveness|plot [OPTIONS]\n"
              "  verify   face verification on a pair list (LFW pairs.txt or CSV): accuracy, ROC, AUC, TAR@FAR\n"
              "  identify 1:N identification on LFW's people: rank-1, rank-5, open-set false accepts\n"
              "  detect   face detection against ground-truth boxes (AFW, WIDER, FDDB): average precision\n"
              "  liveness liveness scores of real photos against attacks synthesized from them: ROC AUC\n"
              "  plot     draw ROC or precision-recall curves of several runs on one SVG figure\n"
              "`facekit eval verify --help`, `eval identify --help` and `eval detect --help` give the details.\n\n",
              stdout);
        print_help();
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "verify") == 0)
        return eval_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "identify") == 0)
        return eval_identify(argc - 1, argv + 1);
    if (strcmp(argv[1], "detect") == 0)
        return eval_detect(argc - 1, argv + 1);
    if (strcmp(argv[1], "plot") == 0)
        return eval_plot(argc - 1, argv + 1);
    if (strcmp(argv[1], "liveness") == 0)
        return cmd_eval_liveness(argc - 1, argv + 1);
    return cli_usage_error("eval", "unknown evaluation '%s'; there are: verify, identify, detect, liveness, plot",
                           argv[1]);
}
