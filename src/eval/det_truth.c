/* det_truth.c: reading face-detection ground truth: AFW (our afw_boxes.txt), WIDER FACE and FDDB ellipse lists. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "eval/parse.h"
#include "facekit/eval.h"

#define FK__TRUTH_MAX_BYTES ((size_t)256 << 20)
#define FK__TRUTH_MAX_FACES 100000 /* per image */
/* No image is 10 million pixels on a side; the bound keeps every box sum and square finite. */
#define FK__TRUTH_MAX_COORD 1e7

typedef struct reader {
    fk__eval_lines l;
    const char *path;
} reader;

static int is_blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return !*s;
}

/* The next line with something on it; *line is NULL at the end of the text. */
static fk_status next_line(reader *r, char **line, fk_error *err)
{
    do {
        if (fk__eval_lines_next(&r->l, line) != FK_OK)
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", r->path);
    } while (*line && is_blank(*line));
    return FK_OK;
}

static fk_status grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return FK_OK;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return FK_E_NO_MEMORY;
    *p = q;
    *cap = nc;
    return FK_OK;
}

static char *join(const char *root, const char *name, const char *ext)
{
    size_t n = strlen(root) + strlen(name) + strlen(ext) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s%s", root, (*root && root[strlen(root) - 1] != '/') ? "/" : "", name, ext);
    return p;
}

/* A face count: one whole number in [0, FK__TRUTH_MAX_FACES] on its line ("1.5" or "2 faces"
 * would be a misread file, not a count). */
static int parse_count(const char *s, long *v)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || errno == ERANGE || x < 0 || x > FK__TRUTH_MAX_FACES || !is_blank(end))
        return 0;
    *v = x;
    return 1;
}

/* Up to max numbers separated by blanks; returns how many, or -1 when something else is on the line. */
static int parse_numbers(const char *s, double *v, int max)
{
    int n = 0;
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            return n;
        if (n == max)
            return -1;
        char *end = NULL;
        v[n] = strtod(s, &end);
        if (end == s || (*end && !isspace((unsigned char)*end)))
            return -1;
        n++;
        s = end;
    }
}

static fk_status parse(reader *r, fk_det_format fmt, const char *root, fk_det_truth *t, fk_error *err)
{
    /* numbers on a face line: AFW x1 y1 x2 y2; WIDER x y w h and up to 6 attributes; FDDB ra rb theta cx cy [1] */
    static const int need[FK_DET_FORMAT_COUNT] = {4, 4, 5}, most[FK_DET_FORMAT_COUNT] = {4, 10, 6};
    size_t cap_i = 0, cap_f = 0;
    char *line;
    fk_status st;
    while ((st = next_line(r, &line, err)) == FK_OK && line) {
        char *name = line;
        while (isspace((unsigned char)*name))
            name++;
        char *e = name + strlen(name);
        while (e > name && isspace((unsigned char)e[-1]))
            *--e = 0;
        long imgline = r->l.line;
        if (grow((void **)&t->images, &cap_i, t->n_images + 1, sizeof *t->images))
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", r->path);
        fk_det_image *im = &t->images[t->n_images];
        /* the name is needed in messages after its line buffer has been reused */
        char *nm = strdup(name);
        im->path = nm ? join(root, name, fmt == FK_DET_FORMAT_FDDB && !strchr(name, '.') ? ".jpg" : "") : NULL;
        if (!im->path) {
            free(nm);
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", r->path);
        }
        im->first = t->n_faces;
        im->count = 0;
        t->n_images++;
        long count = -1;
        if ((st = next_line(r, &line, err)) != FK_OK) {
            free(nm);
            return st;
        }
        if (!line || !parse_count(line, &count)) {
            st = line ? fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: expected the face count (0-%d) of '%s'", r->path,
                                 r->l.line, FK__TRUTH_MAX_FACES, nm)
                      : fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: ends before the face count of '%s'", r->path,
                                 imgline, nm);
            free(nm);
            return st;
        }
        /* WIDER writes one dummy line "0 0 0 0 0 0 0 0 0 0" for an image without faces */
        long lines = (fmt == FK_DET_FORMAT_WIDER && count == 0) ? 1 : count;
        for (long k = 0; k < lines; k++) {
            if ((st = next_line(r, &line, err)) != FK_OK)
                break;
            double v[10] = {0};
            int n = line ? parse_numbers(line, v, most[fmt]) : 0;
            if (!line) {
                st = count ? fk__fail(err, FK_E_BAD_FORMAT, "%s: ends after %ld of the %ld faces of '%s'", r->path,
                                      k, count, nm)
                           : fk__fail(err, FK_E_BAD_FORMAT, "%s: ends before the dummy face line of '%s' (no faces)",
                                      r->path, nm);
                break;
            }
            if (n < need[fmt]) {
                st = need[fmt] == most[fmt]
                         ? fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: expected %d numbers for a face of '%s'", r->path,
                                    r->l.line, need[fmt], nm)
                         : fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: expected %d to %d numbers for a face of '%s'",
                                    r->path, r->l.line, need[fmt], most[fmt], nm);
                break;
            }
            int i = 0;
            while (i < n && isfinite(v[i]) && fabs(v[i]) <= FK__TRUTH_MAX_COORD)
                i++;
            if (i < n) {
                st = fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: number %d is not finite or beyond +-1e7", r->path,
                              r->l.line, i + 1);
                break;
            }
            if (count == 0)
                break;
            if (grow((void **)&t->faces, &cap_f, t->n_faces + 1, sizeof *t->faces)) {
                st = fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", r->path);
                break;
            }
            fk_gt_face *f = &t->faces[t->n_faces];
            memset(f, 0, sizeof *f);
            if (fmt == FK_DET_FORMAT_AFW) {
                f->box = (fk_box){fmin(v[0], v[2]), fmin(v[1], v[3]), fabs(v[2] - v[0]), fabs(v[3] - v[1])};
                /* a box without area matches no detection: every method would "miss" it */
                if (f->box.width <= 0 || f->box.height <= 0) {
                    st = fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: a face box without area", r->path, r->l.line);
                    break;
                }
            } else if (fmt == FK_DET_FORMAT_WIDER) {
                f->box = (fk_box){v[0], v[1], v[2], v[3]};
                /* WIDER's own evaluation sets aside invalid faces and boxes without area */
                f->ignore = (n >= 8 && v[7] != 0) || v[2] <= 0 || v[3] <= 0;
            } else {
                /* FDDB: major radius, minor radius, angle (radians), centre x, centre y */
                double ra = v[0], rb = v[1], th = v[2], cx = v[3], cy = v[4];
                if (ra <= 0 || rb <= 0) {
                    st = fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: an ellipse radius is not positive", r->path,
                                  r->l.line);
                    break;
                }
                memcpy(f->ellipse, v, sizeof f->ellipse);
                /* the major semi-axis ra points along angle th from the x axis */
                double hw = sqrt(ra * ra * cos(th) * cos(th) + rb * rb * sin(th) * sin(th));
                double hh = sqrt(ra * ra * sin(th) * sin(th) + rb * rb * cos(th) * cos(th));
                f->box = (fk_box){cx - hw, cy - hh, 2 * hw, 2 * hh};
            }
            t->n_faces++;
            im->count++;
        }
        free(nm);
        if (st != FK_OK)
            return st;
    }
    if (st != FK_OK)
        return st;
    if (!t->n_images)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: no images", r->path);
    return FK_OK;
}

fk_status fk__det_truth_parse(const void *data, size_t size, fk_det_format format, const char *name,
                              const char *root, fk_det_truth **out, fk_error *err)
{
    if (!out || (!data && size) || format < 0 || format >= FK_DET_FORMAT_COUNT)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk__det_truth_parse: bad argument");
    *out = NULL;
    name = name ? name : "ground truth";
    fk_status st = fk__eval_check_text(data, size, name, err);
    if (st != FK_OK)
        return st;
    fk_det_truth *t = calloc(1, sizeof *t);
    if (!t)
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", name);
    t->format = format;
    reader r = {.path = name};
    fk__eval_lines_init(&r.l, data, size);
    st = parse(&r, format, root ? root : "", t, err);
    fk__eval_lines_free(&r.l);
    if (st != FK_OK) {
        fk_det_truth_free(t);
        return st;
    }
    *out = t;
    return FK_OK;
}

fk_status fk_det_truth_load(const char *path, fk_det_format format, const char *root, fk_det_truth **out,
                            fk_error *err)
{
    if (!path || !out || format < 0 || format >= FK_DET_FORMAT_COUNT)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_det_truth_load: bad argument");
    *out = NULL;
    void *data = NULL;
    size_t size = 0;
    fk_status st = fk__file_read_all(path, FK__TRUTH_MAX_BYTES, &data, &size, err);
    if (st != FK_OK)
        return st;
    st = fk__det_truth_parse(data, size, format, path, root, out, err);
    free(data);
    return st;
}

void fk_det_truth_free(fk_det_truth *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_images; i++)
        free(t->images[i].path);
    free(t->images);
    free(t->faces);
    free(t);
}
