/* image_batch.c: image lists from folders, the embed pipeline over a batch on every core, the progress bar and the list of skipped files. */
#include "cli/image_batch.h"

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval/parallel.h"

void cli_paths_free(cli_paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    memset(p, 0, sizeof *p);
}

int cli_paths_add(cli_paths *p, const char *path)
{
    if (p->n == p->cap) {
        const size_t nc = p->cap ? 2 * p->cap : 64;
        char **nv = realloc(p->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        p->v = nv;
        p->cap = nc;
    }
    if (!(p->v[p->n] = strdup(path)))
        return -1;
    p->n++;
    return 0;
}

int cli_is_image_name(const char *name)
{
    static const char *const ext[] = {"jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "pgm", "ppm", "pnm"};
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.')
        return 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot + 1, ext[i]) == 0)
            return 1;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* depth bounds a folder tree with a link loop */
static int expand(cli_paths *p, const char *path, int depth)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        cli_error("%s: no such file or folder", path);
        return -1;
    }
    if (!S_ISDIR(sb.st_mode))
        return cli_paths_add(p, path) == 0 ? 0 : (cli_error("out of memory"), -1);
    if (depth > 32) {
        cli_error("%s: folders nested more than 32 deep", path);
        return -1;
    }
    DIR *d = opendir(path);
    if (!d) {
        cli_error("%s: cannot read the folder", path);
        return -1;
    }
    cli_paths here = {0};
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        const size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (!child) {
            rc = -1;
            break;
        }
        snprintf(child, n, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
        struct stat cs;
        if (stat(child, &cs) == 0 && (S_ISDIR(cs.st_mode) || cli_is_image_name(e->d_name)))
            rc = cli_paths_add(&here, child);
        free(child);
    }
    closedir(d);
    if (here.n > 1)
        qsort(here.v, here.n, sizeof *here.v, by_name);
    for (size_t i = 0; rc == 0 && i < here.n; i++)
        rc = expand(p, here.v[i], depth + 1);
    cli_paths_free(&here);
    return rc;
}

int cli_paths_expand(cli_paths *p, const char *path)
{
    return expand(p, path, 0);
}

void cli_progress_begin(cli_progress *p, const char *what, size_t total, int quiet)
{
    memset(p, 0, sizeof *p);
    p->on = !quiet && total > 1 && isatty(STDERR_FILENO);
    p->total = total;
    p->what = what;
    p->t0 = cli_now_ms();
}

void cli_progress_update(cli_progress *p, size_t done)
{
    if (!p->on)
        return;
    const double now = cli_now_ms();
    if (done < p->total && now - p->last < 100)
        return;
    p->last = now;
    const double s = (now - p->t0) / 1000, rate = s > 0 ? (double)done / s : 0;
    const double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
    const int width = 30, fill = p->total ? (int)((double)width * (double)done / (double)p->total) : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r%s [%s] %zu/%zu, %.1f/s, ETA %02d:%02d ", p->what, bar, done, p->total, rate,
            (int)(eta / 60), (int)eta % 60);
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->on)
        fputs("\n", stderr);
    p->on = 0;
}

void cli_bad_add(cli_bad_files *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (b->n == b->cap) {
        const size_t nc = b->cap ? 2 * b->cap : 16;
        char **nv = realloc(b->lines, nc * sizeof *nv);
        if (!nv)
            return;
        b->lines = nv;
        b->cap = nc;
    }
    if ((b->lines[b->n] = strdup(line)))
        b->n++;
}

void cli_bad_report(cli_bad_files *b, const char *verb)
{
    if (b->n)
        fprintf(stderr, "facekit %s: %zu file%s skipped:\n", verb, b->n, b->n == 1 ? " was" : "s were");
    for (size_t i = 0; i < b->n; i++) {
        fprintf(stderr, "  %s\n", b->lines[i]);
        free(b->lines[i]);
    }
    free(b->lines);
    memset(b, 0, sizeof *b);
}

int cli_cpu_count(void)
{
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

typedef struct batch {
    const cli_face_opts *o;
    const fk_detect_options *det;
    const fk_decode_options *dec;
    const cli_paths *paths;
    cli_image_done_fn done;
    void *ctx;
    pthread_mutex_t lock;
    cli_progress bar;
    size_t finished;
} batch;

static void one(fk_session *s, size_t i, void *arg)
{
    batch *b = arg;
    const cli_face_opts *o = b->o;
    /* the settings cli_open gives its session; a fresh seed per image keeps the jitter's result
     * independent of which thread took the image */
    fk_session_set_descriptor_crop(s, cli_face_opts_crop(o));
    fk_session_set_descriptor_flip(s, o->flip);
    fk_session_set_landmarker(s, cli_face_opts_landmarker(o));
    fk_session_set_embedder(s, cli_face_opts_embedder(o));
    if (o->trained)
        fk_session_set_trained_embedder(s, o->trained, NULL); /* checked by cli_face_opts_resolve */
    fk_session_set_jitter(s, o->jitter, (unsigned)o->seed);
    fk_session_set_threads(s, o->threads); /* --threads: per worker, as the help says of the nets */
    fk_image *img = NULL;
    fk_face *faces = NULL;
    size_t count = 0;
    cli_times t;
    fk_error err = {0};
    fk_status st = cli_analyze(s, b->paths->v[i], b->dec, b->det, NULL, FK_ANALYZE_LANDMARKS | FK_ANALYZE_DESCRIPTOR, 0,
                               cli_face_opts_dlib_boxes(o), 1, &img, &faces, &count, &t, &err);
    pthread_mutex_lock(&b->lock);
    b->done(i, b->paths->v[i], img, faces, count, st == FK_OK ? NULL : &err, b->ctx);
    cli_progress_update(&b->bar, ++b->finished);
    pthread_mutex_unlock(&b->lock);
    fk_faces_free(faces);
    fk_image_free(img);
}

int cli_embed_batch(const cli_face_opts *o, const fk_models *models, const fk_detect_options *det,
                    const fk_decode_options *dec, const cli_paths *paths, int jobs, const char *what,
                    cli_image_done_fn done, void *ctx)
{
    batch b = {.o = o, .det = det, .dec = dec, .paths = paths, .done = done, .ctx = ctx};
    pthread_mutex_init(&b.lock, NULL);
    cli_progress_begin(&b.bar, what, paths->n, o->quiet);
    fk_error err = {0};
    fk_status st = fk__eval_parallel(models, paths->n, jobs, one, &b, NULL, NULL, &err);
    cli_progress_end(&b.bar);
    pthread_mutex_destroy(&b.lock);
    if (st != FK_OK) {
        cli_error("%s", err.message[0] ? err.message : fk_strerror(st));
        return CLI_EXIT_FAIL;
    }
    return 0;
}

unsigned char *cli_face_thumbnail(const fk_image *img, const fk_box *box, int side, size_t *size)
{
    *size = 0;
    if (!img)
        return NULL;
    const double s = (box->width > box->height ? box->width : box->height) * 1.4;
    const double cx = box->x + box->width / 2, cy = box->y + box->height / 2;
    int x0 = (int)(cx - s / 2), y0 = (int)(cy - s / 2), w = (int)s, h = (int)s;
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x0 + w > img->width)
        w = img->width - x0;
    if (y0 + h > img->height)
        h = img->height - y0;
    if (w < 1 || h < 1)
        return NULL;
    fk_image *crop = NULL, *small = NULL;
    unsigned char *jpeg = NULL;
    if (fk_image_crop(img, x0, y0, w, h, &crop, NULL) == FK_OK &&
        fk_image_resize(crop, side, side * h / w > 0 ? side * h / w : 1, &small, NULL) == FK_OK)
        fk_image_encode_jpeg(small, 85, &jpeg, size, NULL);
    fk_image_free(crop);
    fk_image_free(small);
    return jpeg;
}
