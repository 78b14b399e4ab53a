/* cmd_eval_liveness.c: `facekit eval liveness IMG...`: both liveness models' scores on real photos and on attacks synthesized from them, with the ROC of real against attack. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/output.h"
#include "cli/pipeline.h"
#include "facekit/analysis.h"
#include "facekit/eval.h"

/* One scored face: the largest face of an image or of an attack made from it. */
typedef struct scored {
    int attack, found;
    float antispoof, liveness;
} scored;

typedef struct paths {
    char **v;
    size_t n, cap;
} paths;

static int add_path(paths *p, const char *s)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        char **v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n] = malloc(strlen(s) + 1);
    if (!p->v[p->n])
        return -1;
    strcpy(p->v[p->n++], s);
    return 0;
}

static int read_list(paths *p, const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        cli_error("%s: cannot open the image list", file);
        return -1;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] && line[0] != '#' && add_path(p, line) != 0) {
            fclose(f);
            cli_error("out of memory reading %s", file);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

/* The score of a face for model m (0 antispoof, 1 liveness, 2 the lower of both); an attack whose
 * face the detector did not find counts as rejected (-1). */
static double score_of(const scored *s, int m)
{
    if (!s->found)
        return -1;
    return m == 0 ? s->antispoof : m == 1 ? s->liveness : fmin(s->antispoof, s->liveness);
}

/* Mann-Whitney AUC of real (attack 0) against the attacks `which` (-1: all); found_only: only the
 * attacks whose face was found (the model's own part, without the detector's). */
static double auc_of(const scored *s, size_t n, int m, int which, int found_only)
{
    double wins = 0, pairs = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].attack != 0 || !s[i].found)
            continue;
        for (size_t j = 0; j < n; j++) {
            if (s[j].attack == 0 || (which >= 0 && s[j].attack != which) || (found_only && !s[j].found))
                continue;
            double a = score_of(&s[i], m), b = score_of(&s[j], m);
            wins += a > b ? 1 : a == b ? 0.5 : 0;
            pairs++;
        }
    }
    return pairs ? wins / pairs : NAN;
}

static double auc(const scored *s, size_t n, int m, int which)
{
    return auc_of(s, n, m, which, 0);
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* The ROC (x: share of attacks accepted, y: share of real faces accepted) of model m. */
static size_t roc(const scored *s, size_t n, int m, double *x, double *y)
{
    double *t = malloc(sizeof(double) * (n + 1));
    if (!t)
        return 0;
    size_t nt = 0, nr = 0, na = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].attack == 0 && !s[i].found)
            continue;
        t[nt++] = score_of(&s[i], m);
        if (s[i].attack == 0)
            nr++;
        else
            na++;
    }
    qsort(t, nt, sizeof *t, cmp_desc);
    size_t k = 0;
    x[k] = 0;
    y[k++] = 0;
    for (size_t i = 0; i < nt; i++) {
        if (i + 1 < nt && t[i + 1] == t[i])
            continue;
        size_t ar = 0, aa = 0;
        for (size_t j = 0; j < n; j++) {
            if (s[j].attack == 0 && !s[j].found)
                continue;
            if (score_of(&s[j], m) >= t[i]) {
                if (s[j].attack == 0)
                    ar++;
                else
                    aa++;
            }
        }
        x[k] = na ? (double)aa / na : 0;
        y[k++] = nr ? (double)ar / nr : 0;
    }
    free(t);
    return k;
}

static void print_help(void)
{
    fputs("Usage: facekit eval liveness [OPTIONS] IMG...\n"
          "\n"
          "How well the single-frame liveness models tell real photos from attacks made from them.\n"
          "For each image, its largest face is scored by antispoof and liveness (facekit liveness);\n"
          "then five presentation attacks are synthesized from the whole photo (fk_attack_make):\n"
          "  tilt        the photo as a print held at 25-40 degrees (a plane's perspective)\n"
          "  screen      a screen replay: RGB subpixel grid (moire), raised black level, blue cast\n"
          "  glare       specular highlights and a veil of reflected light\n"
          "  recompress  shrunk to half and saved as JPEG twice (quality 15, then 30)\n"
          "  paper       a matte print: narrow ink range, washed colour, warm cast, paper grain\n"
          "and each attack's largest face is detected again and scored. The table gives per kind the\n"
          "faces found, the mean scores and the share at or above each threshold (accepted as live);\n"
          "then the ROC AUC of real against attack for each model and for the lower of the two (an\n"
          "attack whose face is not found counts as rejected). These are simulations, not captures of\n"
          "real prints and screens: docs/LIVENESS.md says what that means for the figures.\n"
          "\n"
          "Options:\n"
          "  --list FILE          also the images listed in FILE, one path per line\n"
          "  --limit N            only the first N images\n"
          "  --seed N             the attacks' random seed [1]\n"
          "  --save-attacks DIR   write each attack of the first 10 images as DIR/<name>-<attack>.png\n"
          "  --csv OUT            one row per scored face: image, attack, found, antispoof, liveness\n"
          "  --plot OUT.svg       the ROC curves of both models and their minimum\n",
          stdout);
    cli_face_opts_help(stdout, 0);
    fputs("  -h, --help           this help\n"
          "\nExample:\n  facekit eval liveness --plot liveness-roc.svg models/face-api/demo/*.jpg\n"
          "\nExit status: 0 done, 1 the models or every image failed, 2 usage error.\n",
          stdout);
}

/* The largest face's scores in img; found 0 when no face was detected. */
static int score_image(fk_session *s, const fk_image *img, const fk_detect_options *det, int attack, scored *out)
{
    memset(out, 0, sizeof *out);
    out->attack = attack;
    fk_face *faces = NULL;
    size_t n = 0;
    if (fk_face_detect(s, img, det, &faces, &n) != FK_OK)
        return -1;
    if (n) {
        fk_liveness l;
        if (fk_face_liveness(s, img, &faces[cli_largest_face(faces, n)], &l) == FK_OK) {
            out->found = 1;
            out->antispoof = l.antispoof;
            out->liveness = l.liveness;
        }
    }
    fk_faces_free(faces);
    return 0;
}

int cmd_eval_liveness(int argc, char **argv)
{
    cli_face_opts fo;
    cli_face_opts_init(&fo);
    const char *list = NULL, *save = NULL, *csv = NULL, *plot = NULL;
    int limit = 0, seed = 1;
    cli_opt opts[8 + CLI_FACE_OPTS_COUNT] = {
        {"list", 0, CLI_ARG_STRING, &list, 0, 0},         {"limit", 0, CLI_ARG_INT, &limit, 1, 100000000},
        {"seed", 0, CLI_ARG_INT, &seed, 0, 1000000000},   {"save-attacks", 0, CLI_ARG_STRING, &save, 0, 0},
        {"csv", 0, CLI_ARG_STRING, &csv, 0, 0},           {"plot", 0, CLI_ARG_STRING, &plot, 0, 0},
    };
    size_t nopts = 6;
    nopts += cli_face_opts_table(&fo, opts + nopts);
    int npos = 0;
    int rc = cli_parse("eval liveness", argc, argv, 1, opts, nopts, &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    paths p = {0};
    for (int i = 0; i < npos; i++)
        if (add_path(&p, argv[1 + i]) != 0)
            return CLI_EXIT_FAIL;
    if (list && read_list(&p, list) != 0)
        return CLI_EXIT_FAIL;
    if (!p.n)
        return cli_usage_error("eval liveness", "no image given (IMG... or --list FILE)");
    size_t total = p.n; /* --limit scores fewer; all are freed */
    if (limit > 0 && (size_t)limit < p.n)
        p.n = (size_t)limit;
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("eval liveness", &fo, &det, &dec)) != 0) {
        for (size_t i = 0; i < total; i++)
            free(p.v[i]);
        free(p.v);
        return rc;
    }
    fk_models *models = NULL;
    fk_session *s = NULL;
    double load_ms;
    unsigned nets = cli_nets_for(det.detector, 0) | FK_NET_ANTISPOOF | FK_NET_LIVENESS;
    if ((rc = cli_open(&fo, nets, &models, &s, &load_ms)) != 0) {
        for (size_t i = 0; i < total; i++)
            free(p.v[i]);
        free(p.v);
        return rc;
    }
    scored *all = calloc(p.n * FK_ATTACK_COUNT, sizeof *all);
    size_t ns = 0, failed = 0;
    FILE *cf = csv ? fopen(csv, "w") : NULL;
    if (csv && !cf)
        cli_error("%s: cannot write", csv);
    if (cf)
        fputs("image,attack,found,antispoof,liveness\n", cf);
    int progress = cli_want_progress(p.n, fo.quiet);
    for (size_t i = 0; all && i < p.n; i++) {
        if (progress)
            fprintf(stderr, "[%zu/%zu] %s\n", i + 1, p.n, p.v[i]);
        fk_image *img = NULL;
        fk_error err = {0};
        if (fk_image_load(p.v[i], &dec, &img, &err) != FK_OK) {
            cli_error("%s", err.message);
            failed++;
            continue;
        }
        for (int a = 0; a < FK_ATTACK_COUNT; a++) {
            fk_image *x = NULL;
            if (fk_attack_make(img, (fk_attack)a, (unsigned)seed + (unsigned)i, &x, &err) != FK_OK) {
                cli_error("%s: %s: %s", p.v[i], fk_attack_name((fk_attack)a), err.message);
                continue;
            }
            if (save && i < 10 && a) {
                char out[4600];
                const char *base = cli_basename(p.v[i]);
                snprintf(out, sizeof out, "%s/%.*s-%s.png", save, (int)strcspn(base, "."), base,
                         fk_attack_name((fk_attack)a));
                if (fk_image_save(x, out, 90, &err) != FK_OK)
                    cli_error("%s", err.message);
            }
            scored *sc = &all[ns];
            if (score_image(s, x, &det, a, sc) == 0) {
                ns++;
                if (cf)
                    fprintf(cf, "%s,%s,%d,%.6f,%.6f\n", p.v[i], fk_attack_name((fk_attack)a), sc->found,
                            (double)sc->antispoof, (double)sc->liveness);
            } else {
                cli_error("%s (%s): %s", p.v[i], fk_attack_name((fk_attack)a), fk_session_errmsg(s));
            }
            fk_image_free(x);
        }
        fk_image_free(img);
    }
    if (cf)
        fclose(cf);
    static const char *model_names[3] = {"antispoof", "liveness", "both (min)"};
    cJSON *root = NULL, *kinds = NULL;
    if (fo.json) {
        root = cJSON_CreateObject();
        cJSON_AddNumberToObject(root, "images", (double)p.n);
        cJSON_AddNumberToObject(root, "failed", (double)failed);
        cJSON *th = cJSON_AddObjectToObject(root, "thresholds");
        cJSON_AddItemToObject(th, "antispoof", cli_json_float(FK_ANTISPOOF_THRESHOLD));
        cJSON_AddItemToObject(th, "liveness", cli_json_float(FK_LIVENESS_THRESHOLD));
        kinds = cJSON_AddArrayToObject(root, "kinds");
    } else {
        printf("%zu images (%zu failed); largest face of each; %s detector\n", p.n, failed, fo.detector);
        printf("  %-11s %6s %6s  %9s %7s  %9s %7s  %7s\n", "kind", "faces", "found", "antispoof", "live", "liveness",
               "live", "both");
    }
    for (int a = 0; a < FK_ATTACK_COUNT; a++) {
        size_t n = 0, found = 0, pa = 0, pl = 0, pb = 0;
        double sa = 0, sl = 0;
        for (size_t i = 0; i < ns; i++) {
            if (all[i].attack != a)
                continue;
            n++;
            if (!all[i].found)
                continue;
            found++;
            sa += all[i].antispoof;
            sl += all[i].liveness;
            pa += all[i].antispoof >= FK_ANTISPOOF_THRESHOLD;
            pl += all[i].liveness >= FK_LIVENESS_THRESHOLD;
            pb += all[i].antispoof >= FK_ANTISPOOF_THRESHOLD && all[i].liveness >= FK_LIVENESS_THRESHOLD;
        }
        double f = found ? (double)found : NAN;
        if (kinds) {
            cJSON *k = cJSON_CreateObject();
            cJSON_AddStringToObject(k, "kind", fk_attack_name((fk_attack)a));
            cJSON_AddNumberToObject(k, "images", (double)n);
            cJSON_AddNumberToObject(k, "found", (double)found);
            const char *keys[5] = {"antispoof_mean", "antispoof_live", "liveness_mean", "liveness_live", "both_live"};
            double vals[5] = {sa / f, pa / f, sl / f, pl / f, pb / f};
            for (int j = 0; j < 5; j++)
                cJSON_AddItemToObject(k, keys[j], cli_json_double(vals[j]));
            cJSON *au = cJSON_AddArrayToObject(k, "auc");
            for (int m = 0; m < 3; m++)
                cJSON_AddItemToArray(au, cli_json_double(a ? auc(all, ns, m, a) : NAN));
            cJSON_AddItemToArray(kinds, k);
        } else

            printf("  %-11s %6zu %6zu  %9.3f %6.1f%%  %9.3f %6.1f%%  %6.1f%%\n", fk_attack_name((fk_attack)a), n, found,
                   sa / f, 100 * pa / f, sl / f, 100 * pl / f, 100 * pb / f);
    }
    if (root) {
        cJSON *au = cJSON_AddArrayToObject(root, "auc_all");
        cJSON *af = cJSON_AddArrayToObject(root, "auc_all_found");
        for (int m = 0; m < 3; m++) {
            cJSON_AddItemToArray(au, cli_json_double(auc(all, ns, m, -1)));
            cJSON_AddItemToArray(af, cli_json_double(auc_of(all, ns, m, -1, 1)));
        }
        char *text = cJSON_PrintUnformatted(root);
        if (text)
            puts(text);
        free(text);
        cJSON_Delete(root);
    } else {
        printf("\n  ROC AUC, real against attack (an attack whose face is not found is rejected):\n");
        printf("  %-11s", "");
        for (int a = 1; a < FK_ATTACK_COUNT; a++)
            printf(" %10s", fk_attack_name((fk_attack)a));
        printf(" %10s\n", "all");
        for (int m = 0; m < 3; m++) {
            printf("  %-11s", model_names[m]);
            for (int a = 1; a < FK_ATTACK_COUNT; a++)
                printf(" %10.3f", auc(all, ns, m, a));
            printf(" %10.3f\n", auc(all, ns, m, -1));
        }
        printf("\n  the same over the attacks whose face was found (the models alone):\n");
        for (int m = 0; m < 3; m++) {
            printf("  %-11s", model_names[m]);
            for (int a = 1; a < FK_ATTACK_COUNT; a++)
                printf(" %10.3f", auc_of(all, ns, m, a, 1));
            printf(" %10.3f\n", auc_of(all, ns, m, -1, 1));
        }
        printf("  live = score >= threshold (antispoof %.2f, liveness %.2f); the live column of an attack is\n"
               "  the share of attacks that pass\n",
               (double)FK_ANTISPOOF_THRESHOLD, (double)FK_LIVENESS_THRESHOLD);
    }
    if (plot && ns) {
        double *x[3], *y[3];
        fk_plot_series ser[3];
        int ok = 1;
        for (int m = 0; m < 3; m++) {
            x[m] = malloc(sizeof(double) * (ns + 2));
            y[m] = malloc(sizeof(double) * (ns + 2));
            ok &= x[m] && y[m];
            ser[m] = (fk_plot_series){model_names[m], x[m], y[m], ok ? roc(all, ns, m, x[m], y[m]) : 0};
        }
        fk_error err = {0};
        if (ok && fk_plot_svg(plot, "Liveness: real photos against synthesized attacks", "attacks accepted as live",
                              "real faces accepted as live", ser, 3, 0, 0, &err) != FK_OK)
            cli_error("%s", err.message);
        for (int m = 0; m < 3; m++) {
            free(x[m]);
            free(y[m]);
        }
    }
    rc = (ns == 0 || failed == p.n) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    free(all);
    for (size_t i = 0; i < total; i++)
        free(p.v[i]);
    free(p.v);
    fk_session_free(s);
    fk_models_free(models);
    return rc;
}
