/* people.c: the folder-of-people layout (ROOT/Name/images) and LFW's people lists, shared by eval and train. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/people.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cli_strv_free(cli_strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Takes `owned` (NULL: an allocation already failed); -1 when out of memory. */
int cli_strv_push(cli_strv *s, char *owned)
{
    if (!owned)
        return -1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **v = cap > SIZE_MAX / sizeof *v ? NULL : realloc(s->v, cap * sizeof *v);
        if (!v) {
            free(owned);
            return -1;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = owned;
    return 0;
}

char *cli_dup(const char *a)
{
    size_t n = strlen(a) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, a, n);
    return p;
}

char *cli_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SIZE_MAX - lb - 2)
        return NULL;
    char *p = malloc(la + lb + 2);
    if (p)
        snprintf(p, la + lb + 2, "%s%s%s", a, la && a[la - 1] == '/' ? "" : "/", b);
    return p;
}

int cli_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

/* The entries of dir that are folders (want_dirs) or image files, by name; -1 with a message on failure. */
int cli_list_dir(const char *dir, int want_dirs, cli_strv *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("%s: cannot read the folder", dir);
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.' || (!want_dirs && !image_name(e->d_name)))
            continue;
        char *p = cli_path_join(dir, e->d_name);
        if (!p) {
            rc = -1;
            break;
        }
        struct stat st;
        int ok = stat(p, &st) == 0 && (want_dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
        free(p);
        if (ok)
            rc = cli_strv_push(out, cli_dup(e->d_name));
    }
    closedir(d);
    if (rc)
        cli_error("out of memory listing %s", dir);
    else if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return rc;
}

/* --people FILE: the first word of each line, sorted, without repeats. */
int cli_read_people(const char *path, cli_strv *out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("%s: cannot open", path);
        return -1;
    }
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char *w = line;
        while (*w == ' ' || *w == '\t')
            w++;
        size_t n = strcspn(w, " \t\r\n");
        if (!n)
            continue;
        w[n] = 0;
        size_t digits = strspn(w, "0123456789");
        if (digits == n) /* LFW's fold headers: a count alone */
            continue;
        if (strchr(w, '/') || !strcmp(w, "..")) {
            cli_error("%s: '%s' is not a person's name (a folder name, without '/')", path, w);
            rc = -2;
            break;
        }
        rc = cli_strv_push(out, cli_dup(w));
    }
    if (rc == 0 && ferror(f)) {
        cli_error("%s: read failed", path);
        rc = -2;
    }
    fclose(f);
    if (rc == -1)
        cli_error("out of memory reading %s", path);
    if (rc)
        return -1;
    cli_strv_sort_unique(out);
    return 0;
}

void cli_strv_sort_unique(cli_strv *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (k && !strcmp(s->v[k - 1], s->v[i]))
            free(s->v[i]);
        else
            s->v[k++] = s->v[i];
    }
    s->n = k;
}

