/* people.h: string lists, paths and the folder-of-people layout (ROOT/Name/images), shared by eval and train. */
#ifndef FK_CLI_PEOPLE_H
#define FK_CLI_PEOPLE_H

#include <stddef.h>

/* A growable list of owned strings. */
typedef struct cli_strv {
    char **v;
    size_t n, cap;
} cli_strv;

void cli_strv_free(cli_strv *s);
/* Takes `owned` (NULL: an allocation already failed); -1 when out of memory. */
int cli_strv_push(cli_strv *s, char *owned);
char *cli_dup(const char *a);
/* Sorts the strings and frees the repeats. */
void cli_strv_sort_unique(cli_strv *s);
char *cli_path_join(const char *a, const char *b);
int cli_is_dir(const char *path);
/* The entries of dir that are folders (want_dirs) or image files, by name; -1 with a message on failure. */
int cli_list_dir(const char *dir, int want_dirs, cli_strv *out);
/* A people list (the first word of each line; LFW's count lines skipped), sorted, without repeats. */
int cli_read_people(const char *path, cli_strv *out);

#endif
