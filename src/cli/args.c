/* args.c: parsing a verb's options from its table; every problem is one `facekit: ...` line and exit code 2. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("facekit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("facekit: ", stderr);
    vfprintf(stderr, fmt, ap);
    if (verb)
        fprintf(stderr, " (see facekit %s --help)\n", verb);
    else
        fputs(" (see facekit --help)\n", stderr);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

static const cli_opt *find_long(const cli_opt *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static const cli_opt *find_short(const cli_opt *opts, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i].short_name && opts[i].short_name == c)
            return &opts[i];
    return NULL;
}

/* Describes the accepted range of a numeric option for an error message. */
static void range_text(const cli_opt *o, char *buf, size_t size)
{
    if (o->kind == CLI_ARG_U64 && o->max <= 0)
        snprintf(buf, size, "a whole number from %.0f up", o->min);
    else if (o->kind == CLI_ARG_FLOAT)
        snprintf(buf, size, "a number from %g to %g", o->min, o->max);
    else
        snprintf(buf, size, "a whole number from %.0f to %.0f", o->min, o->max);
}

static int set_value(const char *verb, const cli_opt *o, const char *value)
{
    char range[96];
    range_text(o, range, sizeof range);
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case CLI_ARG_STRING:
        if (!*value)
            return cli_usage_error(verb, "--%s: empty value", o->name);
        *(const char **)o->dest = value;
        return 0;
    case CLI_ARG_FLOAT: {
        double v = strtod(value, &end);
        if (end == value || *end || errno == ERANGE || !isfinite(v) || v < o->min || v > o->max)
            return cli_usage_error(verb, "--%s: '%s' is not %s", o->name, value, range);
        *(double *)o->dest = v;
        return 0;
    }
    case CLI_ARG_INT: {
        long v = strtol(value, &end, 10);
        if (end == value || *end || errno == ERANGE || (double)v < o->min || (double)v > o->max)
            return cli_usage_error(verb, "--%s: '%s' is not %s", o->name, value, range);
        *(int *)o->dest = (int)v;
        return 0;
    }
    case CLI_ARG_U64: {
        const char *p = value;
        while (*p == ' ' || *p == '\t')
            p++;
        unsigned long long v = *p == '-' ? 0 : strtoull(p, &end, 10);
        if (*p == '-' || end == p || *end || errno == ERANGE || (double)v < o->min || (o->max > 0 && (double)v > o->max))
            return cli_usage_error(verb, "--%s: '%s' is not %s", o->name, value, range);
        *(uint64_t *)o->dest = (uint64_t)v;
        return 0;
    }
    case CLI_ARG_BOXES: {
        cli_boxes *b = o->dest;
        double v[4];
        char extra;
        if (sscanf(value, "%lf,%lf,%lf,%lf%c", &v[0], &v[1], &v[2], &v[3], &extra) != 4 || !isfinite(v[0]) ||
            !isfinite(v[1]) || !(v[2] >= 1 && v[2] < 1e7) || !(v[3] >= 1 && v[3] < 1e7) || fabs(v[0]) > 1e7 ||
            fabs(v[1]) > 1e7)
            return cli_usage_error(verb, "--%s: '%s' is not x,y,w,h (pixels, width and height at least 1)", o->name,
                                   value);
        if (b->n == CLI_MAX_BOXES)
            return cli_usage_error(verb, "--%s: at most %d boxes", o->name, CLI_MAX_BOXES);
        memcpy(b->v[b->n++], v, sizeof v);
        return 0;
    }
    case CLI_ARG_FLAG:
    case CLI_ARG_KIND_COUNT:
        break;
    }
    return cli_usage_error(verb, "--%s takes no value", o->name);
}

int cli_parse(const char *verb, int argc, char **argv, int first, const cli_opt *opts, size_t nopts, int *npos)
{
    *npos = 0;
    /* --help wins over everything else on the line, even over mistakes */
    for (int i = first; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;

    int out = first, only_positional = 0;
    for (int i = first; i < argc; i++) {
        char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            argv[out++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const cli_opt *o = find_long(opts, nopts, name, len);
            if (!o)
                return cli_usage_error(verb, "unknown option '--%.*s'", (int)len, name);
            if (o->kind == CLI_ARG_FLAG) {
                if (eq)
                    return cli_usage_error(verb, "--%s takes no value", o->name);
                *(int *)o->dest = 1;
                continue;
            }
            const char *value = eq ? eq + 1 : NULL;
            if (!value) {
                if (i + 1 >= argc)
                    return cli_usage_error(verb, "--%s needs a value", o->name);
                value = argv[++i];
            }
            int rc = set_value(verb, o, value);
            if (rc)
                return rc;
            continue;
        }
        /* short flags, possibly grouped: -q */
        for (const char *c = a + 1; *c; c++) {
            const cli_opt *o = find_short(opts, nopts, *c);
            if (!o)
                return cli_usage_error(verb, "unknown option '-%c'", *c);
            if (o->kind != CLI_ARG_FLAG)
                return cli_usage_error(verb, "-%c: write --%s VALUE", *c, o->name);
            *(int *)o->dest = 1;
        }
    }
    *npos = out - first;
    return 0;
}
