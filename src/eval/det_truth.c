/* det_truth.c: reading face-detection ground truth: AFW (our afw_boxes.txt), WIDER FACE and FDDB ellipse lists. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "facekit/eval.h"

#define FK__TRUTH_MAX_BYTES ((size_t)256 << 20)

typedef struct reader {
    char *text, *save;
    long line;
    const char *path;
} reader;

static char *next_line(reader *r)
{
    char *l;
    do {
        l = strtok_r(r->text ? r->text : NULL, "\r\n", &r->save);
        r->text = NULL;
        r->line++;
    } while (l && !*l);
    return l;
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
        snprintf(p, n, "%s%s%s%s", root, *root ? "/" : "", name, ext);
    return p;
}

static fk_status parse(reader *r, fk_det_format fmt, const char *root, fk_det_truth *t, fk_error *err)
{
    size_t cap_i = 0, cap_f = 0;
    char *name;
    while ((name = next_line(r))) {
        while (*name == ' ' || *name == '\t')
            name++;
        long imgline = r->line;
        char *cl = next_line(r), *end = NULL;
        long count = cl ? strtol(cl, &end, 10) : -1;
        if (!cl || end == cl || count < 0 || count > 100000)
            return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: expected the face count of '%s'", r->path, imgline + 1,
                            name);
        if (grow((void **)&t->images, &cap_i, t->n_images + 1, sizeof *t->images))
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", r->path);
        fk_det_image *im = &t->images[t->n_images];
        im->path = join(root, name, fmt == FK_DET_FORMAT_FDDB && !strchr(name, '.') ? ".jpg" : "");
        if (!im->path)
            return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", r->path);
        im->first = t->n_faces;
        im->count = 0;
        t->n_images++;
        /* WIDER writes one dummy line "0 0 0 0 0 0 0 0 0 0" for an image without faces */
        long lines = (fmt == FK_DET_FORMAT_WIDER && count == 0) ? 1 : count;
        for (long k = 0; k < lines; k++) {
            char *fl = next_line(r);
            double v[10] = {0};
            int n = fl ? sscanf(fl, "%lf %lf %lf %lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                                &v[6], &v[7], &v[8], &v[9])
                       : 0;
            int need = fmt == FK_DET_FORMAT_AFW ? 4 : fmt == FK_DET_FORMAT_WIDER ? 4 : 5;
            if (n < need)
                return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: expected %d numbers for a face of '%s'", r->path,
                                r->line, need, name);
            for (int i = 0; i < n; i++)
                if (!isfinite(v[i]))
                    return fk__fail(err, FK_E_BAD_FORMAT, "%s:%ld: a number is not finite", r->path, r->line);
            if (count == 0)
                break;
            if (grow((void **)&t->faces, &cap_f, t->n_faces + 1, sizeof *t->faces))
                return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", r->path);
            fk_gt_face *f = &t->faces[t->n_faces];
            memset(f, 0, sizeof *f);
            if (fmt == FK_DET_FORMAT_AFW) {
                f->box = (fk_box){fmin(v[0], v[2]), fmin(v[1], v[3]), fabs(v[2] - v[0]), fabs(v[3] - v[1])};
            } else if (fmt == FK_DET_FORMAT_WIDER) {
                f->box = (fk_box){v[0], v[1], v[2], v[3]};
                f->ignore = (n >= 8 && v[7] != 0) || v[2] <= 0 || v[3] <= 0;
            } else {
                /* FDDB: major radius, minor radius, angle (radians), centre x, centre y */
                double ra = v[0], rb = v[1], th = v[2], cx = v[3], cy = v[4];
                memcpy(f->ellipse, v, sizeof f->ellipse);
                /* the major semi-axis ra points along angle th from the x axis */
                double hw = sqrt(ra * ra * cos(th) * cos(th) + rb * rb * sin(th) * sin(th));
                double hh = sqrt(ra * ra * sin(th) * sin(th) + rb * rb * cos(th) * cos(th));
                f->box = (fk_box){cx - hw, cy - hh, 2 * hw, 2 * hh};
            }
            t->n_faces++;
            im->count++;
        }
    }
    if (!t->n_images)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: no images", r->path);
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
    fk_det_truth *t = calloc(1, sizeof *t);
    if (!t) {
        free(data);
        return fk__fail(err, FK_E_NO_MEMORY, "out of memory reading %s", path);
    }
    t->format = format;
    /* fk__file_read_all terminates the buffer, so it can be tokenised in place */
    reader r = {data, NULL, 0, path};
    st = parse(&r, format, root ? root : "", t, err);
    free(data);
    if (st != FK_OK) {
        fk_det_truth_free(t);
        return st;
    }
    *out = t;
    return FK_OK;
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
