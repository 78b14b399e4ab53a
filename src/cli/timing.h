/* timing.h: wall-clock milliseconds per pipeline stage, per image and summed over a run. */
#ifndef FK_CLI_TIMING_H
#define FK_CLI_TIMING_H

#include <stdio.h>

typedef enum cli_stage {
    CLI_STAGE_DECODE = 0,
    CLI_STAGE_DETECT,
    CLI_STAGE_LANDMARKS,
    CLI_STAGE_DESCRIPTOR,
    CLI_STAGE_ATTRIBUTES,
    CLI_STAGE_COUNT
} cli_stage;

/* Bit (1u << stage) set for each stage a verb runs. */
#define CLI_STAGE_BIT(s) (1u << (s))

typedef struct cli_times {
    double ms[CLI_STAGE_COUNT];
    unsigned ran; /* CLI_STAGE_BIT of each stage that ran: only those are reported */
} cli_times;

/* A monotonic clock in milliseconds. */
double cli_now_ms(void);

/* "decode", "detect", "landmarks", "descriptor", "attributes". */
const char *cli_stage_name(cli_stage s);

/* sum += t, stage by stage (and sum->ran |= t->ran). */
void cli_times_add(cli_times *sum, const cli_times *t);

/* The sum of the stages in `stages`. */
double cli_times_total(const cli_times *t, unsigned stages);

/* One line on f: "timings LABEL: decode 12.3 ms, detect 45.6 ms, ..., total 70.1 ms" for the
 * stages in `stages` that ran; `extra` (may be NULL) comes first, e.g. "models loaded in 80.0 ms;",
 * and is not part of the total. */
void cli_times_print(FILE *f, const char *label, const cli_times *t, unsigned stages, const char *extra);

#endif
