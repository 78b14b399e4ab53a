/* cmd_train.c: `facekit train`: a head trained on a base embedder's descriptors of a folder of people, with the field's losses, validated on verification pairs. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/image_batch.h"
#include "cli/output.h"
#include "cli/people.h"
#include "cli/pipeline.h"
#include "facekit/align.h"
#include "facekit/eval.h"
#include "facekit/image.h"
#include "facekit/models.h"
#include "facekit/train.h"

#define HEAD_ARCH "fc:256,bn,prelu,fc:128,l2"

static void print_help(void)
{
    fputs("Usage: facekit train --data DIR --out MODEL [OPTIONS]\n"
          "\n"
          "Trains an embedding on a folder of people (DIR/Name/*.jpg, or DIR/images_deepfunneled/Name/*.jpg\n"
          "as LFW) with one of the losses of the field, and writes MODEL (FKTN, docs/TRAINING.md): a head\n"
          "on the descriptors a base embedder (--base) gives, or a CNN on aligned face chips. Each\n"
          "image's largest face is found and described as `facekit embed` does; its descriptor and\n"
          "landmarks are cached (--cache), so a second run on the same images starts at once. Batches\n"
          "are P people × K images (--batch P,K). With --val-pairs, the verification accuracy of the\n"
          "pairs is measured for the inputs themselves (the base descriptors, or raw pixels), for the\n"
          "untrained net and after every epoch, at the threshold best on --tune-pairs (else best on the\n"
          "validation pairs themselves); that threshold is stored in MODEL.\n"
          "A checkpoint is written after every epoch (--checkpoint); --resume continues from it and\n"
          "ends with the same weights as an uninterrupted run. The same seed and --threads give the same\n"
          "weights.\n"
          "\n"
          "Options:\n"
          "  --data DIR           the people's folders (required)\n"
          "  --people FILE        only these people (the first word of each line; LFW's people lists)\n"
          "  --out MODEL          the trained model (required)\n"
          "  --arch A             head (" HEAD_ARCH ") on descriptors; small-cnn or\n"
          "                       deepface-lc on aligned chips; or an architecture string (facekit/train.h) [head]\n"
          "  --chip-size S        train on S×S chips (dlib's alignment) [64 for small-cnn and deepface-lc]\n"
          "  --base NAME          the embedder whose descriptors are trained on [dlib-resnet, as embed]\n"
          "  --loss L             softmax, focal, ohem, contrastive, triplet, coupled-cluster, center,\n"
          "                       arcface, cosface; distill: a student CNN (small-cnn unless --arch)\n"
          "                       learns to give the base's descriptor of each image [triplet]\n"
          "  --mining M           triplet negatives: random, semi-hard, batch-hard [semi-hard]\n"
          "  --margin X           triplet/contrastive/coupled-cluster margin; ArcFace/CosFace m [the loss's]\n"
          "  --scale S            the logits' scale s: ArcFace/CosFace s·cos [64], softmax, focal,\n"
          "                       OHEM and center s·W·x [1]\n"
          "  --gamma G, --alpha A focal loss [2, 1]\n"
          "  --keep F             OHEM: the share of each batch kept [0.5]\n"
          "  --center-weight W    center loss: softmax + W × center [0.01]\n"
          "  --epochs N           [20]\n"
          "  --batch P,K          people per batch, images per person [32,4]\n"
          "  --max-steps N        at most N batches an epoch [enough to see every image once]\n"
          "  --optim O            sgd, adam, adamw [adam]\n"
          "  --lr X               the base learning rate [1e-3; sgd 0.1]\n"
          "  --weight-decay X     [5e-4; adamw 1e-2]\n"
          "  --schedule S         constant, step, cosine [cosine]; --warmup EPOCHS [1]\n"
          "  --clip X             clip the gradient's norm to X (0: off) [0]\n"
          "  --augment A          chips: none, default (flip,shift=0.05,scale=0.05,brightness=0.1,\n"
          "                       contrast=0.1) or such a list: a mirror, a shift and a scale change\n"
          "                       (shares of the side), brightness and contrast, drawn per sample [none]\n"
          "  --seed N             [1]\n"
          "  --val-pairs FILE     verification pairs (LFW's pairs format or a CSV, as eval verify)\n"
          "  --tune-pairs FILE    pairs the threshold is chosen on\n"
          "  --pairs-root DIR     the pairs' image folder [DIR, or DIR/images_deepfunneled]\n"
          "  --cache FILE         the descriptor cache [$XDG_CACHE_HOME/facekit/train-EMBEDDER-jJITTER.tsv]\n"
          "  --checkpoint FILE    [MODEL.ckpt]\n"
          "  --resume             continue from the checkpoint\n"
          "  --threads N          images described at once, and the threads each batch is split over\n"
          "                       [the number of CPUs]; the same seed and thread count give the same bits\n",
          stdout);
    cli_face_opts_help(stdout, 1);
    fputs("  -h, --help           this help\n"
          "\n"
          "Example (LFW View 1):\n"
          "  facekit train --data lfw --people lfw/peopleDevTrain.txt --loss triplet --mining batch-hard \\\n"
          "                --val-pairs lfw/pairsDevTest.txt --tune-pairs lfw/pairsDevTrain.txt --out head.fktn\n"
          "\n"
          "Exit status: 0 trained, 1 the data, the models or the training failed, 2 usage error.\n",
          stdout);
}

/* ---- the descriptor cache: "path<TAB>128 floats" lines under a header naming how they were made */

typedef struct entry {
    char *path;
    float d[FK_DESCRIPTOR_DIM];
    int ok;
    int nlm;      /* landmarks kept for chips: 68, 5 (dlib's 5-point model) or 0 */
    float lm[136];
} entry;

typedef struct cache {
    entry *e;
    size_t n, cap;
    char header[256];
    int dirty;
} cache;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

static entry *cache_find(cache *c, const char *path)
{
    entry key = {(char *)path, {0}, 0, 0, {0}};
    return c->n ? bsearch(&key, c->e, c->n, sizeof *c->e, cmp_entry) : NULL;
}

static int cache_add(cache *c, const char *path, const float *d, int ok, int nlm, const float *lm)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        entry *e = realloc(c->e, cap * sizeof *e);
        if (!e)
            return -1;
        c->e = e;
        c->cap = cap;
    }
    entry *x = &c->e[c->n];
    x->path = cli_dup(path);
    if (!x->path)
        return -1;
    x->ok = ok;
    if (ok)
        memcpy(x->d, d, sizeof x->d);
    x->nlm = ok ? nlm : 0;
    if (x->nlm)
        memcpy(x->lm, lm, (size_t)nlm * 2 * sizeof *lm);
    c->n++;
    return 0;
}

static void cache_free(cache *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].path);
    free(c->e);
}

/* Reads the cache when its header matches (else starts empty: other descriptors). Lines that do
 * not parse are dropped (recomputed), so a damaged cache costs time, never a wrong descriptor. */
static void cache_read(cache *c, const char *path, size_t *dropped)
{
    *dropped = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, f);
    /* version 1 had no landmarks: its lines are read with none, and chips recompute them */
    const char *v2 = strstr(c->header, " v2: ");
    size_t pre = v2 ? (size_t)(v2 - c->header) : 0;
    int ok_header = len > 0 && (strncmp(line, c->header, strlen(c->header)) == 0 ||
                                (v2 && !strncmp(line, c->header, pre) && !strncmp(line + pre, " v1: ", 5) &&
                                 !strncmp(line + pre + 5, v2 + 5, strlen(v2 + 5))));
    if (!ok_header) {
        free(line);
        fclose(f);
        return;
    }
    while ((len = getline(&line, &cap, f)) > 0) {
        char *tab = strchr(line, '\t');
        if (!tab) {
            (*dropped)++;
            continue;
        }
        *tab = 0;
        char *p = tab + 1;
        float d[FK_DESCRIPTOR_DIM], lm[136];
        int ok = 1, k = 0, nlm = 0;
        if (!strncmp(p, "none", 4)) {
            ok = 0;
        } else {
            for (; k < FK_DESCRIPTOR_DIM; k++) {
                char *end;
                errno = 0;
                d[k] = strtof(p, &end);
                if (end == p || errno || !isfinite(d[k]))
                    break;
                p = end;
            }
            /* then a tab, the landmark count and the points (none in version 1) */
            char *end = p;
            long nl = *p == '\t' ? strtol(p + 1, &end, 10) : *p == '\n' || !*p ? 0 : -1;
            if (nl == 68 || nl == 5 || nl == 0) {
                p = end;
                nlm = (int)nl;
                for (int q = 0; q < 2 * nlm; q++) {
                    errno = 0;
                    lm[q] = strtof(p, &end);
                    if (end == p || errno || !isfinite(lm[q])) {
                        nlm = -1;
                        break;
                    }
                    p = end;
                }
            } else {
                nlm = -1;
            }
            if (k < FK_DESCRIPTOR_DIM || nlm < 0) {
                (*dropped)++;
                continue;
            }
        }
        if (cache_add(c, line, d, ok, nlm, lm))
            break;
    }
    free(line);
    fclose(f);
    if (c->n > 1)
        qsort(c->e, c->n, sizeof *c->e, cmp_entry);
    /* a path listed twice: keep one */
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (k && !strcmp(c->e[k - 1].path, c->e[i].path))
            free(c->e[i].path);
        else
            c->e[k++] = c->e[i];
    }
    c->n = k;
}

static int mkdirs_for(const char *file)
{
    char *d = cli_dup(file);
    if (!d)
        return -1;
    for (char *p = d + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(d, 0755);
            *p = '/';
        }
    free(d);
    return 0;
}

static int cache_write(const cache *c, const char *path)
{
    mkdirs_for(path);
    size_t n = strlen(path);
    char *tmp = malloc(n + 8);
    if (!tmp)
        return -1;
    snprintf(tmp, n + 8, "%s.part", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cli_error("%s: cannot write the descriptor cache", tmp);
        free(tmp);
        return -1;
    }
    fprintf(f, "%s\n", c->header);
    for (size_t i = 0; i < c->n; i++) {
        fprintf(f, "%s\t", c->e[i].path);
        if (!c->e[i].ok)
            fputs("none", f);
        else {
            for (int k = 0; k < FK_DESCRIPTOR_DIM; k++)
                fprintf(f, "%s%.9g", k ? " " : "", (double)c->e[i].d[k]);
            fprintf(f, "\t%d", c->e[i].nlm);
            for (int k = 0; k < 2 * c->e[i].nlm; k++)
                fprintf(f, " %.6g", (double)c->e[i].lm[k]);
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    if ((fclose(f) != 0) | bad || rename(tmp, path) != 0) {
        cli_error("%s: cannot write the descriptor cache", path);
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

/* ---- progress */

typedef struct train_view {
    int on, quiet, json;
} train_view;

static void on_progress(const fk_train_progress *p, void *ctx)
{
    train_view *v = ctx;
    if (p->epoch_done) {
        if (v->on)
            fputc('\r', stderr);
        if (!v->quiet && !v->json) {
            fprintf(stderr, "epoch %d/%d: loss %.4f, active %.1f %%", p->epoch, p->epochs, p->loss, 100 * p->active);
            if (!isnan(p->val_accuracy))
                fprintf(stderr, ", validation accuracy %.2f %%", 100 * p->val_accuracy);
            fprintf(stderr, ", %.0f images/s%s\n", p->images_per_s, v->on ? "          " : "");
        }
        return;
    }
    if (v->on && (p->step % 5 == 0 || p->step == p->steps))
        fprintf(stderr, "\repoch %d/%d [%lld/%lld] loss %.4f, active %.1f %%, %.0f images/s   ", p->epoch, p->epochs,
                p->step, p->steps, p->loss, 100 * p->active, p->images_per_s);
}

static int parse_batch(const char *s, int *p, int *k)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != ',')
        return -1;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || a < 2 || b < 1 || a > 4096 || b > 4096 || a * b > 4096)
        return -1;
    *p = (int)a;
    *k = (int)b;
    return 0;
}

/* the image folders of the people, each person's images, labels in name order */
static int gather(const char *imgdir, const cli_strv *names, cli_strv *paths, int **labels, cli_strv *people)
{
    size_t cap = 0;
    int *lab = NULL;
    for (size_t p = 0; p < names->n; p++) {
        char *dir = cli_path_join(imgdir, names->v[p]);
        if (!dir)
            goto oom;
        cli_strv files = {0};
        if (!cli_is_dir(dir) || cli_list_dir(dir, 0, &files)) {
            free(dir);
            continue; /* a listed person without a folder here */
        }
        if (files.n) {
            if (cli_strv_push(people, cli_dup(names->v[p]))) {
                cli_strv_free(&files);
                free(dir);
                goto oom;
            }
            for (size_t k = 0; k < files.n; k++) {
                if (paths->n == cap) {
                    cap = cap ? cap * 2 : 1024;
                    int *nl = realloc(lab, cap * sizeof *nl);
                    if (!nl) {
                        cli_strv_free(&files);
                        free(dir);
                        goto oom;
                    }
                    lab = nl;
                }
                lab[paths->n] = (int)people->n - 1;
                if (cli_strv_push(paths, cli_path_join(dir, files.v[k]))) {
                    cli_strv_free(&files);
                    free(dir);
                    goto oom;
                }
            }
        }
        cli_strv_free(&files);
        free(dir);
    }
    *labels = lab;
    return 0;
oom:
    free(lab);
    cli_error("out of memory listing the people");
    return -1;
}

typedef struct pairs_data {
    float *a, *b;
    int *same;
    size_t n, skipped;
    fk_pair_set set;
} pairs_data;

static void pairs_data_free(pairs_data *p)
{
    free(p->a);
    free(p->b);
    free(p->same);
}

/* the image's aligned chip as the net takes it (fk_train_chip: what --embedder gives every verb) */
static int make_chip(const entry *e, int size, float *out)
{
    fk_image *img = NULL;
    fk_error err = {0};
    fk_point p[68];
    for (int q = 0; q < e->nlm; q++)
        p[q] = (fk_point){e->lm[2 * q], e->lm[2 * q + 1]};
    if (fk_image_load(e->path, NULL, &img, &err) != FK_OK)
        return -1;
    fk_status st = fk_train_chip(img, p, e->nlm, size, out, &err);
    fk_image_free(img);
    return st == FK_OK ? 0 : -1;
}

/* what the net takes from an entry: its descriptor, or its chip */
static int input_of(const entry *e, int chip_size, float *out)
{
    if (!e || !e->ok || (chip_size && !e->nlm))
        return -1;
    if (!chip_size) {
        memcpy(out, e->d, sizeof e->d);
        return 0;
    }
    return make_chip(e, chip_size, out);
}

/* the pairs whose two images have a descriptor (and a chip, with chips) */
static int make_pairs(const fk_pairs *pairs, cache *c, int chip_size, pairs_data *out)
{
    memset(out, 0, sizeof *out);
    size_t n = pairs->count, dim = chip_size ? (size_t)chip_size * chip_size * 3 : FK_DESCRIPTOR_DIM;
    out->a = malloc((n ? n : 1) * sizeof(float) * dim);
    out->b = malloc((n ? n : 1) * sizeof(float) * dim);
    out->same = malloc((n ? n : 1) * sizeof(int));
    if (!out->a || !out->b || !out->same)
        return -1;
    for (size_t i = 0; i < n; i++) {
        entry *ea = cache_find(c, pairs->items[i].a), *eb = cache_find(c, pairs->items[i].b);
        if (input_of(ea, chip_size, out->a + out->n * dim) || input_of(eb, chip_size, out->b + out->n * dim)) {
            out->skipped++;
            continue;
        }
        out->same[out->n++] = pairs->items[i].same;
    }
    out->set = (fk_pair_set){out->a, out->b, out->same, out->n, (int)dim};
    return 0;
}

static void embed_progress(size_t done, size_t total, void *ctx)
{
    (void)total;
    cli_progress_update(ctx, done);
}

/* --augment: none, default, or a comma list of flip and key=value */
static int parse_augment(const char *spec, fk_augment_options *a)
{
    memset(a, 0, sizeof *a);
    if (!strcmp(spec, "none"))
        return 0;
    if (!strcmp(spec, "default")) {
        fk_augment_options_default(a);
        return 0;
    }
    char buf[256];
    if (strlen(spec) >= sizeof buf)
        return -1;
    strcpy(buf, spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "flip")) {
            a->flip = 1;
            continue;
        }
        char *eq = strchr(tok, '=');
        if (!eq)
            return -1;
        *eq = 0;
        char *end;
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(v >= 0 && v <= 0.5))
            return -1;
        if (!strcmp(tok, "shift"))
            a->shift = v;
        else if (!strcmp(tok, "scale"))
            a->scale = v;
        else if (!strcmp(tok, "brightness"))
            a->brightness = v;
        else if (!strcmp(tok, "contrast"))
            a->contrast = v;
        else
            return -1;
    }
    return 0;
}

int cmd_train(int argc, char **argv)
{
    cli_face_opts fo;
    cli_face_opts_init_embed(&fo);
    fo.threads = cli_cpu_count();
    fk_train_options to;
    fk_train_options_init(&to);
    const char *data = NULL, *people_path = NULL, *out = NULL, *arch = "head", *base = NULL, *loss = "triplet",
               *mining = "semi-hard", *optim = "adam", *schedule = "cosine", *batch = NULL, *val_path = NULL,
               *tune_path = NULL, *pairs_root = NULL, *cache_path = NULL, *ckpt = NULL, *augment = "none";
    double margin = -1, scale = 0, gamma = -1, alpha = 0, keep = 0, lr = 0, wd = -1, clip = 0, warmup = 1,
           center_weight = 0.01;
    int epochs = 20, resume = 0, chip_size = 0;
    long long max_steps = 0;
    int max_steps_i = 0;
    uint64_t seed = 1;
    cli_opt opts[40 + CLI_FACE_OPTS_COUNT] = {
        {"data", 0, CLI_ARG_STRING, &data, 0, 0},
        {"people", 0, CLI_ARG_STRING, &people_path, 0, 0},
        {"out", 0, CLI_ARG_STRING, &out, 0, 0},
        {"arch", 0, CLI_ARG_STRING, &arch, 0, 0},
        {"base", 0, CLI_ARG_STRING, &base, 0, 0},
        {"loss", 0, CLI_ARG_STRING, &loss, 0, 0},
        {"mining", 0, CLI_ARG_STRING, &mining, 0, 0},
        {"margin", 0, CLI_ARG_FLOAT, &margin, 0, 100},
        {"scale", 0, CLI_ARG_FLOAT, &scale, 1e-3, 1e4},
        {"gamma", 0, CLI_ARG_FLOAT, &gamma, 0, 100},
        {"alpha", 0, CLI_ARG_FLOAT, &alpha, 1e-6, 1e6},
        {"keep", 0, CLI_ARG_FLOAT, &keep, 1e-6, 1},
        {"center-weight", 0, CLI_ARG_FLOAT, &center_weight, 0, 1e6},
        {"epochs", 0, CLI_ARG_INT, &epochs, 1, 100000},
        {"batch", 0, CLI_ARG_STRING, &batch, 0, 0},
        {"max-steps", 0, CLI_ARG_INT, &max_steps_i, 1, 1000000000},
        {"optim", 0, CLI_ARG_STRING, &optim, 0, 0},
        {"lr", 0, CLI_ARG_FLOAT, &lr, 1e-12, 100},
        {"weight-decay", 0, CLI_ARG_FLOAT, &wd, 0, 10},
        {"schedule", 0, CLI_ARG_STRING, &schedule, 0, 0},
        {"warmup", 0, CLI_ARG_FLOAT, &warmup, 0, 1e6},
        {"clip", 0, CLI_ARG_FLOAT, &clip, 0, 1e9},
        {"augment", 0, CLI_ARG_STRING, &augment, 0, 0},
        {"seed", 0, CLI_ARG_U64, &seed, 0, 0},
        {"val-pairs", 0, CLI_ARG_STRING, &val_path, 0, 0},
        {"tune-pairs", 0, CLI_ARG_STRING, &tune_path, 0, 0},
        {"pairs-root", 0, CLI_ARG_STRING, &pairs_root, 0, 0},
        {"cache", 0, CLI_ARG_STRING, &cache_path, 0, 0},
        {"checkpoint", 0, CLI_ARG_STRING, &ckpt, 0, 0},
        {"resume", 0, CLI_ARG_FLAG, &resume, 0, 0},
        {"chip-size", 0, CLI_ARG_INT, &chip_size, 8, 256},
        {NULL, 0, 0, NULL, 0, 0},
    };
    /* counted, not written down: a hand count went stale when --augment was added */
    size_t nopts = 0;
    while (opts[nopts].name)
        nopts++;
    nopts += cli_face_opts_table(&fo, opts + nopts);
    int npos = 0;
    int rc = cli_parse("train", argc, argv, 1, opts, nopts, &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos)
        return cli_usage_error("train", "unexpected argument '%s' (the data is --data DIR)", argv[1]);
    if (!data || !out)
        return cli_usage_error("train", "--data DIR and --out MODEL are required");
    int distill = !strcmp(loss, "distill");
    int lk = distill ? FK_LOSS_TRIPLET : fk_loss_from_name(loss), mk = fk_mining_from_name(mining);
    if (lk < 0)
        return cli_usage_error("train", "unknown --loss '%s' (softmax, focal, ohem, contrastive, triplet, "
                                        "coupled-cluster, center, arcface, cosface, distill)", loss);
    if (mk < 0)
        return cli_usage_error("train", "unknown --mining '%s' (random, semi-hard, batch-hard)", mining);
    fk_optim_kind ok = !strcmp(optim, "sgd") ? FK_OPTIM_SGD : !strcmp(optim, "adam") ? FK_OPTIM_ADAM
                                               : !strcmp(optim, "adamw")             ? FK_OPTIM_ADAMW
                                                                                     : FK_OPTIM_COUNT;
    if (ok == FK_OPTIM_COUNT)
        return cli_usage_error("train", "unknown --optim '%s' (sgd, adam, adamw)", optim);
    fk_schedule sk = !strcmp(schedule, "constant") ? FK_SCHEDULE_CONSTANT : !strcmp(schedule, "step") ? FK_SCHEDULE_STEP
                                                   : !strcmp(schedule, "cosine")                     ? FK_SCHEDULE_COSINE
                                                                                                     : FK_SCHEDULE_COUNT;
    if (sk == FK_SCHEDULE_COUNT)
        return cli_usage_error("train", "unknown --schedule '%s' (constant, step, cosine)", schedule);
    if (batch && parse_batch(batch, &to.p, &to.k))
        return cli_usage_error("train", "--batch is P,K with P >= 2 people and K >= 1 images, P × K <= 4096, not '%s'",
                               batch);
    if (base)
        fo.embedder = base, fo.embedder_default = 0;
    max_steps = max_steps_i;
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("train", &fo, &det, &dec)))
        return rc;
    const fk_model_info *em = fk_model_find(fo.embedder);
    const char *ename = em ? em->name : fo.embedder;

    if (distill && !strcmp(arch, "head"))
        arch = "small-cnn"; /* a student learns from images what the base makes of them */
    const char *named = fk_train_arch(arch);
    to.arch = named ? named : arch;
    /* the CNNs take aligned chips; a head and a plain string, descriptors (unless --chip-size) */
    if (!chip_size && named && strcmp(arch, "head"))
        chip_size = 64;
    fk_loss_options_init(&to.loss, (fk_loss)lk);
    to.loss.mining = (fk_mining)mk;
    if (margin >= 0)
        to.loss.margin = margin;
    if (scale > 0)
        to.loss.scale = scale;
    if (gamma >= 0)
        to.loss.gamma = gamma;
    if (alpha > 0)
        to.loss.alpha = alpha;
    if (keep > 0)
        to.loss.keep = keep;
    to.center_weight = center_weight;
    fk_optim_options_init(&to.optim, ok);
    if (lr > 0)
        to.optim.lr = lr;
    if (wd >= 0)
        to.optim.weight_decay = wd;
    to.optim.clip_norm = clip;
    to.schedule = sk;
    to.warmup_epochs = warmup;
    to.epochs = epochs;
    to.seed = seed;
    to.max_steps = max_steps;
    to.base = chip_size ? "" : ename; /* what the net takes: descriptors of that embedder, or images */
    to.resume = resume;
    to.threads = fo.threads;
    to.distill = distill;
    if (parse_augment(augment, &to.augment) != 0)
        return cli_usage_error("train", "--augment: '%s' is not none, default or a list of flip, shift=X, scale=X, "
                               "brightness=X, contrast=X (X in [0, 0.5])", augment);
    if (fk_augment_active(&to.augment) && !chip_size)
        return cli_usage_error("train", "--augment works on chips (a CNN), not on descriptors");

    char *ckbuf = NULL, *cachebuf = NULL, *imgdir = NULL;
    cli_strv names = {0}, paths = {0}, people = {0};
    int *labels = NULL;
    cache c = {0};
    fk_pairs *vp = NULL, *tp = NULL;
    pairs_data vd = {0}, td = {0};
    fk_models *models = NULL;
    float *x = NULL, *tgt = NULL;
    int *y = NULL;
    fk_tnet *net = NULL;
    cJSON *j = NULL;
    rc = CLI_EXIT_FAIL;
    fk_error err = {0};
    if (!ckpt) {
        size_t n = strlen(out) + 6;
        ckbuf = malloc(n);
        if (!ckbuf)
            goto oom;
        snprintf(ckbuf, n, "%s.ckpt", out);
        ckpt = ckbuf;
    }
    to.checkpoint = ckpt;
    if (resume && access(ckpt, R_OK) != 0) {
        cli_error("%s: no checkpoint to resume from", ckpt);
        goto done;
    }
    if (!cache_path) {
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        size_t n = 256 + strlen(xdg && *xdg ? xdg : home ? home : "/tmp") + strlen(ename);
        cachebuf = malloc(n);
        if (!cachebuf)
            goto oom;
        snprintf(cachebuf, n, "%s%s/facekit/train-%s-j%d.tsv", xdg && *xdg ? xdg : home ? home : "/tmp",
                 xdg && *xdg ? "" : home ? "/.cache" : "", ename, fo.jitter);
        cache_path = cachebuf;
    }
    snprintf(c.header, sizeof c.header, "# facekit train descriptor cache v2: embedder %s, jitter %d, seed %d, crop %s",
             ename, fo.jitter, fo.seed, fo.crop ? fo.crop : "default");

    if (!cli_is_dir(data)) {
        cli_error("%s: no such folder", data);
        goto done;
    }
    imgdir = cli_path_join(data, "images_deepfunneled");
    if (!imgdir)
        goto oom;
    if (!cli_is_dir(imgdir)) {
        free(imgdir);
        if (!(imgdir = cli_dup(data)))
            goto oom;
    }
    if (people_path ? cli_read_people(people_path, &names) : cli_list_dir(imgdir, 1, &names))
        goto done;
    if (gather(imgdir, &names, &paths, &labels, &people))
        goto done;
    if (!paths.n) {
        cli_error("%s: no images in the people's folders (%zu people looked at)", imgdir, names.n);
        goto done;
    }
    const char *proot = pairs_root ? pairs_root : imgdir;
    if (val_path && fk_pairs_load(val_path, proot, &vp, &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    if (tune_path && fk_pairs_load(tune_path, proot, &tp, &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }

    /* every image the run needs that the cache lacks */
    size_t dropped = 0;
    cache_read(&c, cache_path, &dropped);
    if (dropped && !fo.quiet)
        fprintf(stderr, "facekit train: note: %zu damaged lines of %s are recomputed\n", dropped, cache_path);
    cli_strv todo = {0};
    for (int pass = 0; pass < 3; pass++) {
        size_t n = pass == 0 ? paths.n : pass == 1 ? (vp ? vp->count * 2 : 0) : (tp ? tp->count * 2 : 0);
        for (size_t i = 0; i < n; i++) {
            const char *p = pass == 0 ? paths.v[i] : pass == 1 ? (i % 2 ? vp->items[i / 2].b : vp->items[i / 2].a)
                                                            : (i % 2 ? tp->items[i / 2].b : tp->items[i / 2].a);
            const entry *e = cache_find(&c, p);
            if ((!e || (chip_size && e->ok && !e->nlm)) && cli_strv_push(&todo, cli_dup(p))) {
                cli_strv_free(&todo);
                goto oom;
            }
        }
    }
    cli_strv_sort_unique(&todo); /* an image in several pairs is described once */
    if (todo.n) {
        if (fk_models_load(fo.models, cli_nets_for_opts(&fo, det.detector, FK_ANALYZE_DESCRIPTOR), &models, &err) !=
            FK_OK) {
            cli_strv_free(&todo);
            cli_error("%s", err.message);
            goto done;
        }
        fk_embed_options eo;
        cli_embed_options("facekit", &fo, &det, &eo);
        fk_image_embedding *emb = calloc(todo.n, sizeof *emb);
        if (!emb) {
            cli_strv_free(&todo);
            goto oom;
        }
        cli_progress pr;
        cli_progress_begin(&pr, "describing", todo.n, fo.quiet || fo.json);
        fk_status st = fk_eval_embed_images(models, (const char *const *)todo.v, todo.n, &eo, fo.threads,
                                            embed_progress, &pr, emb, &err);
        cli_progress_end(&pr);
        if (st != FK_OK) {
            free(emb);
            cli_strv_free(&todo);
            cli_error("%s", err.message);
            goto done;
        }
        int failed = 0;
        for (size_t i = 0; i < todo.n; i++) {
            const fk_face *fc = &emb[i].face;
            float lm[136];
            int nlm = fc->has_landmarks ? (fc->landmark_count == 5 ? 5 : 68) : 0;
            for (int q = 0; q < nlm; q++) {
                lm[2 * q] = (float)fc->landmarks[q].x;
                lm[2 * q + 1] = (float)fc->landmarks[q].y;
            }
            entry *old = cache_find(&c, todo.v[i]);
            if (old) { /* a version-1 entry without landmarks, now with them */
                old->ok = emb[i].ok;
                memcpy(old->d, fc->descriptor, sizeof old->d);
                old->nlm = emb[i].ok ? nlm : 0;
                memcpy(old->lm, lm, (size_t)nlm * 2 * sizeof *lm);
            } else {
                failed |= cache_add(&c, todo.v[i], fc->descriptor, emb[i].ok, nlm, lm);
            }
        }
        free(emb);
        cli_strv_free(&todo);
        if (failed)
            goto oom;
        qsort(c.e, c.n, sizeof *c.e, cmp_entry);
        if (cache_write(&c, cache_path))
            goto done;
    }
    cli_strv_free(&todo);

    /* the training set: images with a descriptor (and a chip), with their person's label */
    size_t n = 0, nodesc = 0, dim = chip_size ? (size_t)chip_size * chip_size * 3 : FK_DESCRIPTOR_DIM;
    x = malloc(paths.n * sizeof(float) * dim);
    y = malloc(paths.n * sizeof *y);
    tgt = distill ? malloc(paths.n * sizeof(float) * FK_DESCRIPTOR_DIM) : NULL;
    if (!x || !y || (distill && !tgt))
        goto oom;
    {
        cli_progress pr;
        cli_progress_begin(&pr, "chips", chip_size ? paths.n : 0, fo.quiet || fo.json || !chip_size);
        for (size_t i = 0; i < paths.n; i++) {
            const entry *e = cache_find(&c, paths.v[i]);
            if (input_of(e, chip_size, x + n * dim)) {
                nodesc++;
                continue;
            }
            if (tgt)
                memcpy(tgt + n * FK_DESCRIPTOR_DIM, e->d, sizeof e->d);
            y[n++] = labels[i];
            if (chip_size)
                cli_progress_update(&pr, i + 1);
        }
        cli_progress_end(&pr);
    }
    if ((vp && make_pairs(vp, &c, chip_size, &vd)) || (tp && make_pairs(tp, &c, chip_size, &td)))
        goto oom;
    to.val = vp ? &vd.set : NULL;
    to.tune = tp ? &td.set : NULL;
    fk_train_set ts = {x,   y, n, chip_size ? chip_size : 1, chip_size ? chip_size : 1, chip_size ? 3 : FK_DESCRIPTOR_DIM,
                       tgt, FK_DESCRIPTOR_DIM};
    double base_acc = NAN, base_thr = 0;
    if (vp && fk_train_pair_eval(NULL, &vd.set, to.tune, &base_acc, &base_thr, &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    if (!fo.quiet && !fo.json) {
        fprintf(stderr, "facekit train: %zu images of %zu people (%zu without a face), %s%s; %s with %s%s%s\n",
                n, people.n, nodesc, chip_size ? "chips by " : "", chip_size ? "dlib's alignment" : ename, to.arch, fk_loss_name(to.loss.loss),
                to.loss.loss == FK_LOSS_TRIPLET ? ", mining " : "",
                to.loss.loss == FK_LOSS_TRIPLET ? fk_mining_name(to.loss.mining) : "");
        if (vp)
            fprintf(stderr, "facekit train: %zu validation pairs (%zu without a face skipped): the %s score %.2f %%\n",
                    vd.n, vd.skipped, chip_size ? "raw pixels" : "base descriptors", 100 * base_acc);
    }
    train_view view = {cli_want_progress(2, fo.quiet || fo.json), fo.quiet, fo.json};
    to.progress = on_progress;
    to.ctx = &view;
    fk_train_result res = {0};
    if (fk_train_run(&to, &ts, &net, &res, &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    if (fk_tnet_save(net, out, to.base, (float)res.threshold, &err) != FK_OK) {
        cli_error("%s", err.message);
        goto done;
    }
    if (fo.json) {
        j = cJSON_CreateObject();
        if (!j)
            goto oom;
        cJSON_AddItemToObject(j, "model", cli_json_string(out));
        cJSON_AddItemToObject(j, "arch", cli_json_string(to.arch));
        cJSON_AddItemToObject(j, "base", chip_size ? cJSON_CreateNull() : cli_json_string(ename));
        cJSON_AddItemToObject(j, "loss", cli_json_string(distill ? "distill" : fk_loss_name(to.loss.loss)));
        cJSON_AddItemToObject(j, "gflop_per_input", cli_json_double(fk_tnet_flops(net) / 1e9));
        cJSON_AddItemToObject(j, "mining", to.loss.loss == FK_LOSS_TRIPLET && !distill
                                               ? cli_json_string(fk_mining_name(to.loss.mining))
                                               : cJSON_CreateNull());
        cJSON_AddNumberToObject(j, "images", (double)n);
        cJSON_AddNumberToObject(j, "people", (double)people.n);
        cJSON_AddNumberToObject(j, "images_without_face", (double)nodesc);
        cJSON_AddNumberToObject(j, "parameters", (double)fk_tnet_param_count(net));
        cJSON_AddNumberToObject(j, "epochs", res.epochs);
        cJSON_AddNumberToObject(j, "batch", res.batch);
        cJSON_AddNumberToObject(j, "steps_per_epoch", (double)res.steps_per_epoch);
        cJSON_AddItemToObject(j, "final_loss", cli_json_double(res.loss));
        cJSON_AddItemToObject(j, "final_active", cli_json_double(res.active));
        cJSON_AddItemToObject(j, "seconds", cli_json_double(round(res.seconds * 10) / 10));
        cJSON_AddNumberToObject(j, "val_pairs", (double)vd.n);
        /* the inputs' own accuracy: the base descriptors, or with chips the raw pixels */
        cJSON_AddItemToObject(j, "base_accuracy", vp ? cli_json_double(base_acc) : cJSON_CreateNull());
        cJSON_AddItemToObject(j, "accuracy", vp ? cli_json_double(res.val_accuracy) : cJSON_CreateNull());
        cJSON_AddItemToObject(j, "untrained_accuracy",
                              vp && !isnan(res.initial_accuracy) ? cli_json_double(res.initial_accuracy) : cJSON_CreateNull());
        cJSON_AddItemToObject(j, "input", cli_json_string(chip_size ? "chips" : "descriptors"));
        cJSON_AddItemToObject(j, "augment", cli_json_string(augment));
        cJSON_AddNumberToObject(j, "chip_size", chip_size);
        cJSON_AddItemToObject(j, "threshold", cli_json_double(res.threshold));
        cJSON_AddItemToObject(j, "threshold_from",
                              cli_json_string(!vp ? "none" : tp ? "tune pairs" : "validation pairs (best)"));
        if (cli_json_write(stdout, j) != 0) {
            cli_error("could not write the JSON report");
            goto done;
        }
    } else {
        printf("trained %s: %s on %s%s with %s, %d epochs × %lld steps of %d, %.1f s\n", out, to.arch,
               chip_size ? "aligned chips" : ename, chip_size ? "" : " descriptors", fk_loss_name(to.loss.loss),
               res.epochs, res.steps_per_epoch, res.batch, res.seconds);
        if (vp)
            printf("  validation accuracy %.2f %% (%s %.2f %%, untrained net %.2f %%), threshold %.4f chosen on the %s\n",
                   100 * res.val_accuracy, chip_size ? "raw pixels" : "base descriptors", 100 * base_acc,
                   100 * res.initial_accuracy, res.threshold, tp ? "tune pairs" : "validation pairs");
    }
    rc = CLI_EXIT_OK;
    goto done;
oom:
    cli_error("out of memory");
done:
    cJSON_Delete(j);
    fk_tnet_free(net);
    fk_models_free(models);
    pairs_data_free(&vd);
    pairs_data_free(&td);
    fk_pairs_free(vp);
    fk_pairs_free(tp);
    cache_free(&c);
    free(x);
    free(tgt);
    free(y);
    free(labels);
    cli_strv_free(&names);
    cli_strv_free(&paths);
    cli_strv_free(&people);
    free(imgdir);
    free(ckbuf);
    free(cachebuf);
    return rc;
}
