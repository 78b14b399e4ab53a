/* cmd_cluster.c: `facekit cluster DIR --out REPORT`: every face of a photo collection grouped by person, as an HTML page of thumbnails and JSON; `facekit cluster name` turns a cluster into a gallery person. */
/* realpath is XSI */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "core/base64.h"
#include "cli/image_batch.h"
#include "cli/output.h"
#include "facekit/cluster.h"
#include "facekit/gallery.h"
#include "facekit/models.h"

static void print_help(void)
{
    char def[1024];
    fputs("Usage: facekit cluster [OPTIONS] --out REPORT DIR|IMAGE...\n"
          "       facekit cluster name [--db PATH] REPORT CLUSTER NAME\n"
          "\n"
          "Groups every face of every photo (folders are read recursively) by person, without\n"
          "knowing anyone: faces nearer than --threshold are joined, never two of one photo.\n"
          "REPORT/index.html shows each cluster as a grid of face thumbnails linking to the\n"
          "photos, largest first; REPORT/clusters.json lists the clusters and their faces, and\n"
          "REPORT/gallery.json holds them as a gallery export (cluster-1, cluster-2, ...).\n"
          "`cluster name` enrolls one cluster's faces into the gallery as a person.\n"
          "\n"
          "Options:\n"
          "  --out REPORT         the report folder (made when absent)\n"
          "  --method M           chinese-whispers (dlib's), dbscan (Immich's), average-linkage, or\n"
          "                       auto: average linkage (the most accurate on LFW, but time n^3 and\n"
          "                       memory 8 n^2 bytes) up to 5000 faces, chinese whispers beyond [auto]\n",
          stdout);
    printf("  --threshold T        the L2 distance under which two faces are joined [the method's:\n"
           "                       chinese whispers %g, dbscan %g, average linkage %g]; not the\n"
           "                       verification threshold: at 0.6 dlib's descriptors chain people\n"
           "  --min-points N       dbscan: neighbours (the face included) that make a core [3]\n"
           "  --seed S             chinese whispers' visiting order [1]\n"
           "  --truth folders      score the clustering against each photo's folder name as its\n"
           "                       person (pairwise and BCubed precision, recall, F)\n"
           "  --largest            only the largest face of each photo (portraits, LFW)\n"
           "  --fresh              embed every photo again; by default the faces of photos that\n"
           "                       REPORT already holds (same path, same embedder) are reused, so\n"
           "                       a run after adding photos embeds only the new ones\n"
           "  --jobs N             images processed at once, 1 to 64 [the number of CPUs]\n"
           "  --db PATH            (cluster name) the gallery file [%s]\n",
           fk_cluster_default_threshold(FK_CLUSTER_CHINESE_WHISPERS), fk_cluster_default_threshold(FK_CLUSTER_DBSCAN),
           fk_cluster_default_threshold(FK_CLUSTER_AVERAGE_LINKAGE), fk_gallery_default_path(def, sizeof def));
    cli_face_opts_help(stdout, 1);
    fputs("  -h, --help           this help\n"
          "\n"
          "Example:\n"
          "  facekit cluster --out report/ ~/Pictures/2024\n"
          "  facekit cluster name --db people.db report/ 3 \"Aunt May\"\n"
          "\n"
          "Exit status:\n"
          "  0  the report was written (files that could not be read are listed at the end)\n"
          "  1  an image could not be read, or the report or gallery failed\n"
          "  2  usage error\n",
          stdout);
}

typedef struct face_rec {
    size_t image; /* index into the run's photos */
    fk_box box;
    float d[FK_DESCRIPTOR_DIM];
    int dim;
    char thumb[32]; /* file name under REPORT/faces, "" when none */
    unsigned char *jpeg; /* its bytes, for gallery.json */
    size_t jpeg_size;
} face_rec;

typedef struct cluster_ctx {
    const char *out;
    int largest;
    const size_t *todo_index; /* the photo of each path the batch embeds */
    face_rec *faces;
    size_t n, cap;
    cli_bad_files bad;
    int oom;
} cluster_ctx;

/* A new face record with its thumbnail written under REPORT/faces; NULL when out of memory. */
static face_rec *add_face(cluster_ctx *c, size_t image, const fk_box *box, const float *d, int dim,
                          const unsigned char *jpeg, size_t size)
{
    if (c->n == c->cap) {
        const size_t nc = c->cap ? 2 * c->cap : 256;
        face_rec *nv = realloc(c->faces, nc * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            return NULL;
        }
        c->faces = nv;
        c->cap = nc;
    }
    face_rec *f = &c->faces[c->n];
    memset(f, 0, sizeof *f);
    f->image = image;
    f->box = *box;
    f->dim = dim > FK_DESCRIPTOR_DIM ? FK_DESCRIPTOR_DIM : dim;
    memcpy(f->d, d, sizeof(float) * (size_t)f->dim);
    if (jpeg && size) {
        char p[PATH_MAX];
        snprintf(f->thumb, sizeof f->thumb, "%06zu.jpg", c->n);
        snprintf(p, sizeof p, "%s/faces/%s", c->out, f->thumb);
        FILE *o = fopen(p, "wb");
        if (!o || fwrite(jpeg, 1, size, o) != size)
            f->thumb[0] = 0;
        if (o && fclose(o) != 0)
            f->thumb[0] = 0;
        if (f->thumb[0] && (f->jpeg = malloc(size))) {
            memcpy(f->jpeg, jpeg, size);
            f->jpeg_size = size;
        }
    }
    c->n++;
    return f;
}

static void on_image(size_t i, const char *path, const fk_image *img, const fk_face *faces, size_t count,
                     const fk_error *err, void *arg)
{
    cluster_ctx *c = arg;
    if (err) {
        cli_bad_add(&c->bad, "%s", err->message);
        return;
    }
    const size_t big = cli_largest_face(faces, count);
    for (size_t k = 0; k < count; k++) {
        if (!faces[k].has_descriptor || (c->largest && k != big))
            continue;
        size_t size = 0;
        unsigned char *jpeg = cli_face_thumbnail(img, &faces[k].box, 96, &size);
        add_face(c, c->todo_index[i], &faces[k].box, faces[k].descriptor, faces[k].descriptor_dim, jpeg, size);
        free(jpeg);
    }
    (void)path;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const fk_gallery_face *)a)->source, ((const fk_gallery_face *)b)->source);
}

/* The faces of the last report (REPORT/gallery.json, read by the gallery's fuzzed importer) for
 * the photos of this run that it covered: those photos are not embedded again. done[i] is set
 * for each photo found there. A report of another embedder is not reused. */
static int reuse_report(cluster_ctx *c, const cli_paths *paths, const char *embedder, unsigned char *done)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/gallery.json", c->out);
    struct stat sb;
    if (stat(p, &sb) != 0)
        return 0;
    fk_gallery *g = NULL;
    fk_error err = {0};
    if (fk_gallery_open(":memory:", &g, &err) != FK_OK) {
        cli_error("%s", err.message);
        return -1;
    }
    fk_gallery_face *f = NULL;
    size_t n = 0, reused = 0;
    if (fk_gallery_import(g, p, NULL) != FK_OK) {
        fprintf(stderr, "facekit cluster: not reusing the last report: %s\n", fk_gallery_errmsg(g));
    } else if (fk_gallery_embedder(g)[0] && strcmp(fk_gallery_embedder(g), embedder) != 0) {
        fprintf(stderr, "facekit cluster: not reusing the last report: its descriptors are %s, these %s\n",
                fk_gallery_embedder(g), embedder);
    } else if (fk_gallery_faces(g, NULL, &f, &n) == FK_OK) {
        qsort(f, n, sizeof *f, by_path);
        for (size_t i = 0; i < paths->n && !c->oom; i++) {
            fk_gallery_face key = {.source = paths->v[i]};
            fk_gallery_face *hit = n ? bsearch(&key, f, n, sizeof *f, by_path) : NULL;
            if (!hit)
                continue;
            while (hit > f && strcmp(hit[-1].source, paths->v[i]) == 0)
                hit--;
            for (; hit < f + n && strcmp(hit->source, paths->v[i]) == 0; hit++)
                if (add_face(c, i, &hit->box, hit->descriptor, hit->dim, hit->thumbnail, hit->thumbnail_size))
                    reused++;
            done[i] = 1;
        }
        if (reused)
            fprintf(stderr, "facekit cluster: %zu faces of the last report reused\n", reused);
    }
    fk_gallery_faces_free(f, n);
    fk_gallery_close(g);
    return c->oom ? -1 : 0;
}

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

/* A file URL for an absolute path (percent-encoding all but the unreserved characters and '/'). */
static void html_file_url(FILE *f, const char *path)
{
    char abs[PATH_MAX];
    if (!realpath(path, abs))
        snprintf(abs, sizeof abs, "%s", path);
    fputs("file://", f);
    for (const unsigned char *s = (const unsigned char *)abs; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("/-._~", *s))
            fputc(*s, f);
        else
            fprintf(f, "%%%02X", *s);
    }
}

typedef struct cluster_view {
    int label;
    size_t size;
} cluster_view;

static int by_size(const void *a, const void *b)
{
    const cluster_view *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->label > y->label) - (x->label < y->label);
}

/* The reports: index.html, clusters.json, gallery.json. Clusters are numbered 1.. by size. */
static int write_reports(const char *out, const cli_paths *paths, const face_rec *faces, size_t n, const int *labels,
                         size_t k, const char *embedder, const char *method, double threshold,
                         const fk_cluster_scores *scores)
{
    cluster_view *v = calloc(k ? k : 1, sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < k; i++)
        v[i].label = (int)i;
    for (size_t i = 0; i < n; i++)
        v[labels[i]].size++;
    qsort(v, k, sizeof *v, by_size);
    size_t multi = 0;
    for (size_t i = 0; i < k; i++)
        multi += v[i].size > 1;

    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/index.html", out);
    FILE *f = fopen(p, "w");
    if (!f) {
        free(v);
        cli_error("%s: cannot create the report: %s", p, strerror(errno));
        return -1;
    }
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>facekit clusters</title>\n"
               "<style>body{font-family:sans-serif;margin:1em;background:#fafafa}"
               "section{margin:0 0 1.2em;padding:.5em;background:#fff;border:1px solid #ddd}"
               "h2{font-size:1em;margin:.2em 0 .5em}img{width:96px;height:96px;object-fit:cover;margin:2px;"
               "border-radius:4px}p.meta{color:#555}</style></head><body>\n"
               "<h1>Faces by person</h1>\n<p class=\"meta\">%zu faces in %zu photos, %zu clusters (%zu with more than one "
               "face); %s at threshold %g, %s descriptors.",
            n, paths->n, k, multi, method, threshold, embedder);
    if (scores)
        fprintf(f, " Against the folder names: pairwise F %.4f, BCubed F %.4f.", scores->pairwise_f, scores->bcubed_f);
    fputs("</p>\n", f);
    for (size_t c = 0; c < k; c++) {
        fprintf(f, "<section id=\"cluster-%zu\" class=\"cluster\"><h2>cluster-%zu: %zu face%s</h2>\n", c + 1, c + 1,
                v[c].size, v[c].size == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
            if (labels[i] != v[c].label)
                continue;
            fputs("<a href=\"", f);
            html_file_url(f, paths->v[faces[i].image]);
            fputs("\" title=\"", f);
            html_text(f, paths->v[faces[i].image]);
            fputs("\">", f);
            if (faces[i].thumb[0])
                fprintf(f, "<img src=\"faces/%s\" alt=\"face %zu\">", faces[i].thumb, i);
            else
                fprintf(f, "[face %zu]", i);
            fputs("</a>\n", f);
        }
        fputs("</section>\n", f);
    }
    /* the page checks itself: a thumbnail that failed to load is counted on <body>, where a
     * headless browser test (and anyone with the inspector) reads it */
    fputs("<script>window.addEventListener('load',function(){var b=0;for(var i of document.images)"
          "if(!i.complete||i.naturalWidth===0)b++;document.body.dataset.broken=b;"
          "document.body.dataset.clusters=document.querySelectorAll('section.cluster').length;});</script>\n",
          f);
    fputs("</body></html>\n", f);
    const int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(v);
        cli_error("%s: write failed", p);
        return -1;
    }

    /* clusters.json (for people) and gallery.json (a gallery export, for `cluster name`) */
    cJSON *cj = cJSON_CreateObject(), *carr = cJSON_CreateArray();
    cJSON *gj = cJSON_CreateObject(), *people = cJSON_CreateArray();
    cJSON_AddNumberToObject(cj, "faces", (double)n);
    cJSON_AddNumberToObject(cj, "photos", (double)paths->n);
    cJSON_AddStringToObject(cj, "method", method);
    cJSON_AddItemToObject(cj, "threshold", cli_json_double(threshold));
    cJSON_AddItemToObject(cj, "embedder", cli_json_string(embedder));
    if (scores) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddItemToObject(s, "pairwise_precision", cli_json_double(scores->pairwise_precision));
        cJSON_AddItemToObject(s, "pairwise_recall", cli_json_double(scores->pairwise_recall));
        cJSON_AddItemToObject(s, "pairwise_f", cli_json_double(scores->pairwise_f));
        cJSON_AddItemToObject(s, "bcubed_precision", cli_json_double(scores->bcubed_precision));
        cJSON_AddItemToObject(s, "bcubed_recall", cli_json_double(scores->bcubed_recall));
        cJSON_AddItemToObject(s, "bcubed_f", cli_json_double(scores->bcubed_f));
        cJSON_AddNumberToObject(s, "classes", (double)scores->classes);
        cJSON_AddItemToObject(cj, "scores", s);
    }
    cJSON_AddItemToObject(cj, "clusters", carr);
    cJSON_AddStringToObject(gj, "format", "facekit-gallery");
    cJSON_AddNumberToObject(gj, "version", 1);
    cJSON_AddItemToObject(gj, "embedder", cli_json_string(embedder));
    cJSON_AddNumberToObject(gj, "dim", n ? faces[0].dim : 0);
    cJSON_AddItemToObject(gj, "people", people);
    for (size_t c = 0; c < k; c++) {
        char name[32];
        snprintf(name, sizeof name, "cluster-%zu", c + 1);
        cJSON *co = cJSON_CreateObject(), *cf = cJSON_CreateArray();
        cJSON *po = cJSON_CreateObject(), *pf = cJSON_CreateArray();
        cJSON_AddStringToObject(co, "name", name);
        cJSON_AddNumberToObject(co, "size", (double)v[c].size);
        cJSON_AddItemToObject(co, "faces", cf);
        cJSON_AddStringToObject(po, "name", name);
        cJSON_AddItemToObject(po, "faces", pf);
        for (size_t i = 0; i < n; i++) {
            if (labels[i] != v[c].label)
                continue;
            const double b[4] = {faces[i].box.x, faces[i].box.y, faces[i].box.width, faces[i].box.height};
            cJSON *e = cJSON_CreateObject(), *box = cJSON_CreateArray(), *pe = cJSON_CreateObject(),
                  *pbox = cJSON_CreateArray(), *d = cJSON_CreateArray();
            for (int j = 0; j < 4; j++) {
                cJSON_AddItemToArray(box, cli_json_double(b[j]));
                cJSON_AddItemToArray(pbox, cli_json_double(b[j]));
            }
            cJSON_AddItemToObject(e, "source", cli_json_string(paths->v[faces[i].image]));
            cJSON_AddItemToObject(e, "box", box);
            if (faces[i].thumb[0]) {
                char t[64];
                snprintf(t, sizeof t, "faces/%s", faces[i].thumb);
                cJSON_AddStringToObject(e, "thumbnail", t);
            }
            cJSON_AddItemToArray(cf, e);
            cJSON_AddItemToObject(pe, "source", cli_json_string(paths->v[faces[i].image]));
            cJSON_AddItemToObject(pe, "box", pbox);
            for (int j = 0; j < faces[i].dim; j++)
                cJSON_AddItemToArray(d, cli_json_float(faces[i].d[j]));
            cJSON_AddItemToObject(pe, "descriptor", d);
            if (faces[i].jpeg) {
                /* the thumbnail travels with the face, so a later run can reuse both */
                char *b64 = fk__base64_encode(faces[i].jpeg, faces[i].jpeg_size);
                if (b64)
                    cJSON_AddStringToObject(pe, "thumbnail_jpeg", b64);
                free(b64);
            }
            cJSON_AddItemToArray(pf, pe);
        }
        cJSON_AddItemToArray(carr, co);
        cJSON_AddItemToArray(people, po);
    }
    free(v);
    int rc = 0;
    const char *names[2] = {"clusters.json", "gallery.json"};
    cJSON *docs[2] = {cj, gj};
    for (int j = 0; j < 2; j++) {
        snprintf(p, sizeof p, "%s/%s", out, names[j]);
        FILE *o = fopen(p, "w");
        if (!o || cli_json_write(o, docs[j]) != 0) {
            cli_error("%s: cannot write the report", p);
            rc = -1;
        }
        if (o && fclose(o) != 0 && rc == 0) {
            cli_error("%s: write failed", p);
            rc = -1;
        }
        cJSON_Delete(docs[j]);
    }
    return rc;
}

/* The folder an image lies in, as its person's name (--truth folders). */
static void parent_name(const char *path, char *out, size_t n)
{
    const char *end = strrchr(path, '/');
    if (!end) {
        snprintf(out, n, ".");
        return;
    }
    const char *start = end;
    while (start > path && start[-1] != '/')
        start--;
    snprintf(out, n, "%.*s", (int)(end - start), start);
}

static int cmd_cluster_name(int argc, char **argv)
{
    const char *db = NULL;
    cli_opt table[] = {{"db", 0, CLI_ARG_STRING, &db, 0, 0}};
    int npos = 0;
    int rc = cli_parse("cluster", argc, argv, 1, table, 1, &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos != 3)
        return cli_usage_error("cluster", "cluster name takes REPORT CLUSTER NAME");
    char *end = NULL;
    const long c = strtol(argv[2], &end, 10);
    if (!end || *end || c < 1)
        return cli_usage_error("cluster", "cluster name: \"%s\" is not a cluster number (1, 2, ...)", argv[2]);
    char path[PATH_MAX], who[32];
    snprintf(path, sizeof path, "%s/gallery.json", argv[1]);
    snprintf(who, sizeof who, "cluster-%ld", c);
    fk_error err = {0};
    fk_gallery *g = NULL;
    if (fk_gallery_open(db, &g, &err) != FK_OK) {
        cli_error("%s", err.message);
        return CLI_EXIT_FAIL;
    }
    size_t added = 0;
    rc = CLI_EXIT_OK;
    if (fk_gallery_import_person(g, path, who, argv[3], &added) != FK_OK) {
        cli_error("%s", fk_gallery_errmsg(g));
        rc = CLI_EXIT_FAIL;
    } else {
        printf("enrolled %zu face%s of %s as \"%s\" into %s\n", added, added == 1 ? "" : "s", who, argv[3],
               fk_gallery_path(g));
    }
    fk_gallery_close(g);
    return rc;
}

int cmd_cluster(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "name") == 0)
        return cmd_cluster_name(argc - 1, argv + 1);
    cli_face_opts o;
    cli_face_opts_init_embed(&o);
    const char *out = NULL, *method = "auto", *truth = NULL;
    double threshold = 0;
    int min_points = 3, seed = 1, jobs = cli_cpu_count(), largest = 0, fresh = 0;
    cli_opt table[CLI_FACE_OPTS_COUNT + 9];
    size_t nopts = cli_face_opts_table(&o, table);
    table[nopts++] = (cli_opt){"out", 0, CLI_ARG_STRING, &out, 0, 0};
    table[nopts++] = (cli_opt){"method", 0, CLI_ARG_STRING, &method, 0, 0};
    table[nopts++] = (cli_opt){"threshold", 0, CLI_ARG_FLOAT, &threshold, 0, 1000};
    table[nopts++] = (cli_opt){"min-points", 0, CLI_ARG_INT, &min_points, 1, 100000};
    table[nopts++] = (cli_opt){"seed", 0, CLI_ARG_INT, &seed, 0, 2147483647};
    table[nopts++] = (cli_opt){"truth", 0, CLI_ARG_STRING, &truth, 0, 0};
    table[nopts++] = (cli_opt){"jobs", 0, CLI_ARG_INT, &jobs, 1, 64};
    table[nopts++] = (cli_opt){"largest", 0, CLI_ARG_FLAG, &largest, 0, 0};
    table[nopts++] = (cli_opt){"fresh", 0, CLI_ARG_FLAG, &fresh, 0, 0};
    int npos = 0;
    int rc = cli_parse("cluster", argc, argv, 1, table, nopts, &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (!out || !*out)
        return cli_usage_error("cluster", "cluster needs --out REPORT");
    if (npos < 1)
        return cli_usage_error("cluster", "cluster takes at least one folder or image");
    const int automatic = strcmp(method, "auto") == 0;
    int m = automatic ? FK_CLUSTER_AVERAGE_LINKAGE : fk_cluster_method_parse(method);
    if (m < 0)
        return cli_usage_error("cluster",
                               "--method: \"%s\" is not auto, chinese-whispers, dbscan or average-linkage", method);
    const int threshold_given = threshold > 0;
    if (truth && strcmp(truth, "folders") != 0)
        return cli_usage_error("cluster", "--truth: only \"folders\" is known");
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("cluster", &o, &det, &dec)) != 0)
        return rc;
    cli_paths paths = {0};
    for (int i = 1; i <= npos; i++)
        if (cli_paths_expand(&paths, argv[i]) != 0) {
            cli_paths_free(&paths);
            return CLI_EXIT_FAIL;
        }
    char faces_dir[PATH_MAX];
    snprintf(faces_dir, sizeof faces_dir, "%s/faces", out);
    if ((mkdir(out, 0755) != 0 && errno != EEXIST) || (mkdir(faces_dir, 0755) != 0 && errno != EEXIST)) {
        cli_error("%s: cannot create the report folder: %s", out, strerror(errno));
        cli_paths_free(&paths);
        return CLI_EXIT_FAIL;
    }
    fk_models *models = NULL;
    double load_ms = 0;
    const unsigned what = FK_ANALYZE_LANDMARKS | FK_ANALYZE_DESCRIPTOR;
    if ((rc = cli_open(&o, cli_nets_for_opts(&o, det.detector, what), &models, NULL, &load_ms)) != 0) {
        cli_paths_free(&paths);
        return rc;
    }
    cluster_ctx c = {.out = out, .largest = largest};
    unsigned char *done = calloc(paths.n ? paths.n : 1, 1);
    size_t *todo_index = malloc((paths.n ? paths.n : 1) * sizeof *todo_index);
    cli_paths todo = {0};
    if (!done || !todo_index || (!fresh && reuse_report(&c, &paths, cli_face_opts_embedder_name(&o), done) != 0)) {
        cli_error("%s: cannot reuse the last report", out);
        rc = CLI_EXIT_FAIL;
    }
    for (size_t i = 0; rc == 0 && i < paths.n; i++)
        if (!done[i]) {
            todo_index[todo.n] = i;
            if (cli_paths_add(&todo, paths.v[i]) != 0)
                rc = CLI_EXIT_FAIL;
        }
    c.todo_index = todo_index;
    if (rc == 0 && todo.n)
        rc = cli_embed_batch(&o, models, &det, &dec, &todo, jobs, "cluster", on_image, &c);
    cli_paths_free(&todo);
    free(todo_index);
    free(done);
    fk_models_free(models);
    int *labels = malloc((c.n ? c.n : 1) * sizeof *labels), *groups = malloc((c.n ? c.n : 1) * sizeof *groups);
    int *classes = truth ? malloc((c.n ? c.n : 1) * sizeof *classes) : NULL;
    if (rc == 0 && (c.oom || !labels || !groups || (truth && !classes))) {
        cli_error("out of memory for %zu faces", c.n);
        rc = CLI_EXIT_FAIL;
    }
    float *desc = rc == 0 ? malloc((c.n ? c.n : 1) * sizeof(float) * FK_DESCRIPTOR_DIM) : NULL;
    size_t k = 0;
    fk_cluster_scores scores;
    if (rc == 0 && desc) {
        for (size_t i = 0; i < c.n; i++) {
            memcpy(desc + i * FK_DESCRIPTOR_DIM, c.faces[i].d, sizeof c.faces[i].d);
            groups[i] = (int)c.faces[i].image;
        }
        if (truth) {
            /* the folder names, numbered in order of first appearance */
            char (*seen)[256] = malloc((c.n ? c.n : 1) * sizeof *seen);
            size_t ns = 0;
            for (size_t i = 0; seen && i < c.n; i++) {
                char name[256];
                parent_name(paths.v[c.faces[i].image], name, sizeof name);
                size_t j = 0;
                while (j < ns && strcmp(seen[j], name) != 0)
                    j++;
                if (j == ns)
                    memcpy(seen[ns++], name, sizeof name);
                classes[i] = (int)j;
            }
            free(seen);
        }
        if (automatic && c.n > 5000)
            m = FK_CLUSTER_CHINESE_WHISPERS;
        method = fk_cluster_method_name((fk_cluster_method)m);
        if (!threshold_given)
            threshold = cli_face_opts_threshold(&o, fk_cluster_default_threshold((fk_cluster_method)m));
        fk_cluster_options co;
        fk_cluster_options_init(&co);
        co.method = (fk_cluster_method)m;
        co.threshold = threshold;
        co.min_points = min_points;
        co.seed = (unsigned)seed;
        co.groups = groups;
        fk_error err = {0};
        if (fk_cluster(desc, c.n, FK_DESCRIPTOR_DIM, &co, labels, &k, &err) != FK_OK ||
            (truth && fk_cluster_score(labels, classes, c.n, &scores, &err) != FK_OK)) {
            cli_error("%s", err.message);
            rc = CLI_EXIT_FAIL;
        } else if (write_reports(out, &paths, c.faces, c.n, labels, k, cli_face_opts_embedder_name(&o), method, threshold,
                                 truth ? &scores : NULL) != 0) {
            rc = CLI_EXIT_FAIL;
        }
    } else if (rc == 0) {
        cli_error("out of memory for %zu faces", c.n);
        rc = CLI_EXIT_FAIL;
    }
    if (rc == 0) {
        if (o.json) {
            cJSON *s = cJSON_CreateObject();
            cJSON_AddItemToObject(s, "report", cli_json_string(out));
            cJSON_AddNumberToObject(s, "photos", (double)paths.n);
            cJSON_AddNumberToObject(s, "faces", (double)c.n);
            cJSON_AddNumberToObject(s, "clusters", (double)k);
            cJSON_AddStringToObject(s, "method", method);
            cJSON_AddItemToObject(s, "threshold", cli_json_double(threshold));
            if (truth) {
                cJSON_AddItemToObject(s, "pairwise_precision", cli_json_double(scores.pairwise_precision));
                cJSON_AddItemToObject(s, "pairwise_recall", cli_json_double(scores.pairwise_recall));
                cJSON_AddItemToObject(s, "pairwise_f", cli_json_double(scores.pairwise_f));
                cJSON_AddItemToObject(s, "bcubed_precision", cli_json_double(scores.bcubed_precision));
                cJSON_AddItemToObject(s, "bcubed_recall", cli_json_double(scores.bcubed_recall));
                cJSON_AddItemToObject(s, "bcubed_f", cli_json_double(scores.bcubed_f));
                cJSON_AddNumberToObject(s, "classes", (double)scores.classes);
            }
            cli_json_write(stdout, s);
            cJSON_Delete(s);
        } else {
            printf("%zu faces in %zu photos: %zu clusters (%s, threshold %g); report in %s/index.html\n", c.n,
                   paths.n, k, method, threshold, out);
            if (truth)
                printf("against the folder names (%zu people): pairwise P %.4f R %.4f F %.4f; BCubed P %.4f R %.4f "
                       "F %.4f\n",
                       scores.classes, scores.pairwise_precision, scores.pairwise_recall, scores.pairwise_f,
                       scores.bcubed_precision, scores.bcubed_recall, scores.bcubed_f);
        }
    }
    const int bad = c.bad.n > 0;
    cli_bad_report(&c.bad, "cluster");
    free(desc);
    free(labels);
    free(groups);
    free(classes);
    for (size_t i = 0; i < c.n; i++)
        free(c.faces[i].jpeg);
    free(c.faces);
    cli_paths_free(&paths);
    if (rc)
        return rc;
    return bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
