/* args.h: the CLI's option parser: a table of long options per verb, checked values, usage errors on one line. */
#ifndef FK_CLI_ARGS_H
#define FK_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes of the facekit tool. */
enum {
    CLI_EXIT_OK = 0,    /* everything asked for was done */
    CLI_EXIT_FAIL = 1,  /* an input (image, model folder, output file) failed */
    CLI_EXIT_USAGE = 2  /* the command line is wrong */
};

typedef enum cli_arg_kind {
    CLI_ARG_FLAG,   /* int: set to 1, takes no value */
    CLI_ARG_STRING, /* const char *: the value as given */
    CLI_ARG_FLOAT,  /* double in [min, max] */
    CLI_ARG_INT,    /* int in [min, max] */
    CLI_ARG_U64,    /* uint64_t in [min, max] (max 0: no upper bound) */
    CLI_ARG_BOXES,  /* cli_boxes: "x,y,w,h", repeatable */
    CLI_ARG_KIND_COUNT
} cli_arg_kind;

/* The boxes given by a repeatable --box x,y,w,h. */
#define CLI_MAX_BOXES 256
typedef struct cli_boxes {
    double v[CLI_MAX_BOXES][4];
    int n;
} cli_boxes;

/* One option: --name VALUE, --name=VALUE, or -c for the short form (flags only). */
typedef struct cli_opt {
    const char *name; /* without the leading dashes */
    char short_name;  /* 0 when none */
    cli_arg_kind kind;
    void *dest; /* int *, const char **, double *, int *, uint64_t * by kind */
    double min, max;
} cli_opt;

/* Parses argv[first..argc) against opts: options may come anywhere; `--` ends them. The
 * positional arguments are moved to argv[first..first + *npos) in their order.
 * Returns 0 when parsed, 1 when --help or -h was given anywhere (nothing else is checked),
 * CLI_EXIT_USAGE after printing a one-line error naming the verb's --help. */
int cli_parse(const char *verb, int argc, char **argv, int first, const cli_opt *opts, size_t nopts, int *npos);

/* Prints `facekit: <message> (see facekit VERB --help)` on stderr and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *verb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prints `facekit: <message>` on stderr (one line). */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
