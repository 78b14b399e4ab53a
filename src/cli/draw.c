/* draw.c: annotated output images: choosing their paths (never over an input) and drawing boxes, points, labels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cli/args.h"
#include "cli/draw.h"
#include "cli/pipeline.h"

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The extension of a file name including its dot, or "" when it has none. */
static const char *extension(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && dot != name ? dot : name + strlen(name);
}

static int writable_ext(const char *ext)
{
    return strcasecmp(ext, ".png") == 0 || strcasecmp(ext, ".jpg") == 0 || strcasecmp(ext, ".jpeg") == 0;
}

/* mkdir -p; 0 or -1 with errno set. */
static int make_dirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                rc = -1;
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    if (rc == 0 && !is_dir(path)) {
        errno = ENOTDIR;
        rc = -1;
    }
    return rc;
}

int cli_draw_target_init(cli_draw_target *t, const char *verb, const char *out, size_t ninputs, int always_dir)
{
    memset(t, 0, sizeof *t);
    t->out = out;
    size_t len = strlen(out);
    t->is_dir = always_dir || ninputs > 1 || is_dir(out) || (len && out[len - 1] == '/');
    if (!t->is_dir) {
        if (!writable_ext(extension(cli_basename(out))))
            return cli_usage_error(verb, "--draw: '%s' must end in .png, .jpg or .jpeg (or be a folder)", out);
        return 0;
    }
    struct stat st;
    if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
        if (always_dir)
            return cli_usage_error(verb, "'%s' is a file, not a folder", out);
        return cli_usage_error(verb, "--draw: '%s' is a file; several images need a folder", out);
    }
    if (make_dirs(out) != 0) {
        cli_error("%s: cannot create the folder: %s", out, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    return 0;
}

static int name_used(const cli_draw_target *t, const char *name)
{
    for (size_t i = 0; i < t->nused; i++)
        if (strcmp(t->used[i], name) == 0)
            return 1;
    return 0;
}

static int remember(cli_draw_target *t, char *name)
{
    if (t->nused == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **grown = realloc(t->used, cap * sizeof *grown);
        if (!grown)
            return -1;
        t->used = grown;
        t->cap = cap;
    }
    t->used[t->nused++] = name;
    return 0;
}

/* Whether a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

char *cli_draw_target_path(cli_draw_target *t, const char *input, fk_error *err)
{
    char *path = NULL;
    if (!t->is_dir) {
        path = strdup(t->out);
    } else {
        const char *base = cli_basename(input), *ext = extension(base);
        size_t stem = (size_t)(ext - base);
        const char *out_ext = writable_ext(ext) ? ext : ".png";
        size_t size = strlen(t->out) + strlen(base) + 32;
        char *name = malloc(size);
        path = malloc(size);
        if (!name || !path) {
            free(name);
            free(path);
            path = NULL;
        } else {
            snprintf(name, size, "%.*s%s", (int)stem, base, out_ext);
            for (int k = 2; name_used(t, name); k++)
                snprintf(name, size, "%.*s-%d%s", (int)stem, base, k, out_ext);
            size_t len = strlen(t->out);
            snprintf(path, size, "%s%s%s", t->out, len && t->out[len - 1] == '/' ? "" : "/", name);
            if (remember(t, name) != 0) {
                free(name);
                free(path);
                path = NULL;
            }
        }
    }
    if (!path) {
        err->status = FK_E_NO_MEMORY;
        snprintf(err->message, sizeof err->message, "%s: out of memory for the output name", input);
        return NULL;
    }
    if (same_file(path, input)) {
        err->status = FK_E_INVALID_ARGUMENT;
        snprintf(err->message, sizeof err->message, "%s: not drawn: the output %s is the input itself", input, path);
        free(path);
        return NULL;
    }
    return path;
}

void cli_draw_target_free(cli_draw_target *t)
{
    for (size_t i = 0; i < t->nused; i++)
        free(t->used[i]);
    free(t->used);
    memset(t, 0, sizeof *t);
}

uint32_t cli_person_color(size_t person)
{
    static const uint32_t palette[] = {0x00e676, 0xff1744, 0x2979ff, 0xffea00, 0xd500f9, 0x00e5ff,
                                       0xff9100, 0x76ff03, 0xf50057, 0x651fff, 0x1de9b6, 0xc6ff00};
    return palette[person % (sizeof palette / sizeof palette[0])];
}

/* Black or white, whichever reads better on bg. */
static uint32_t text_color(uint32_t bg)
{
    unsigned r = bg >> 16 & 0xff, g = bg >> 8 & 0xff, b = bg & 0xff;
    return 299 * r + 587 * g + 114 * b > 128000 ? 0x000000 : 0xffffff;
}

/* A coordinate as an int, clamped far outside any image so the conversion is always defined. */
static int to_int(double v)
{
    if (!(v > -1e8))
        return -100000000;
    return v < 1e8 ? (int)v : 100000000;
}

void cli_draw_faces(fk_image *img, const fk_face *faces, size_t count, const char *const *labels,
                    const uint32_t *colors)
{
    int side = img->width < img->height ? img->width : img->height;
    int thick = side / 400 > 2 ? side / 400 : 2;
    int radius = side / 700 > 1 ? side / 700 : 1;
    int scale = side / 400 > 1 ? side / 400 : 1;
    for (size_t i = 0; i < count; i++) {
        const fk_face *f = &faces[i];
        uint32_t c = colors ? colors[i] : 0x00e676;
        fk_image_draw_rect(img, f->box.x, f->box.y, f->box.width, f->box.height, thick, c);
        if (f->has_landmarks)
            for (int k = 0; k < FK_LANDMARK_COUNT; k++)
                fk_image_draw_point(img, f->landmarks[k].x, f->landmarks[k].y, radius, 0xffff00);
        for (int k = 0; k < f->keypoint_count && k < FK_KEYPOINT_COUNT; k++)
            fk_image_draw_point(img, f->keypoints[k].x, f->keypoints[k].y, radius + 1, 0xff1744);
    }
    /* labels last, so that no box or point of a neighbour covers them */
    for (size_t i = 0; labels && i < count; i++) {
        if (!labels[i])
            continue;
        const fk_face *f = &faces[i];
        uint32_t c = colors ? colors[i] : 0x00e676;
        int text_h = 9 * scale;
        double y = f->box.y - text_h - thick;
        if (y < 0)
            y = f->box.y + thick;
        double x = f->box.x < 0 ? 0 : f->box.x;
        fk_image_draw_text(img, to_int(x), to_int(y), labels[i], scale, text_color(c), c);
    }
}
