/* timing.c: the stage clock behind --timings, and its one-line report on stderr. */
#include <time.h>

#include "cli/timing.h"

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *cli_stage_name(cli_stage s)
{
    static const char *const names[CLI_STAGE_COUNT] = {"decode", "detect", "landmarks", "descriptor", "attributes"};
    return s >= 0 && s < CLI_STAGE_COUNT ? names[s] : "?";
}

void cli_times_add(cli_times *sum, const cli_times *t)
{
    for (int i = 0; i < CLI_STAGE_COUNT; i++)
        sum->ms[i] += t->ms[i];
    sum->ran |= t->ran;
}

double cli_times_total(const cli_times *t, unsigned stages)
{
    double total = 0;
    for (int i = 0; i < CLI_STAGE_COUNT; i++)
        if (stages & CLI_STAGE_BIT(i))
            total += t->ms[i];
    return total;
}

void cli_times_print(FILE *f, const char *label, const cli_times *t, unsigned stages, const char *extra)
{
    fprintf(f, "timings %s:", label);
    if (extra)
        fprintf(f, " %s;", extra);
    stages &= t->ran;
    for (int i = 0; i < CLI_STAGE_COUNT; i++)
        if (stages & CLI_STAGE_BIT(i))
            fprintf(f, " %s %.1f ms,", cli_stage_name((cli_stage)i), t->ms[i]);
    fprintf(f, " total %.1f ms\n", cli_times_total(t, stages));
}
