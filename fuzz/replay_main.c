/* replay_main.c: runs a fuzz target's LLVMFuzzerTestOneInput on each file named on the command line (the ctest replay of the corpora). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole file in a buffer of exactly its size, as libFuzzer gives it: fk__file_read_all ends
 * its copy with a NUL, which would hide a read one byte past the input from ASan. */
static uint8_t *read_file(const char *path, size_t *size, fk_error *err)
{
    void *bytes = NULL;
    if (fk__file_read_all(path, (size_t)1 << 30, &bytes, size, err) != FK_OK)
        return NULL;
    uint8_t *exact = malloc(*size ? *size : 1);
    if (exact)
        memcpy(exact, bytes, *size);
    else
        snprintf(err->message, sizeof err->message, "out of memory");
    free(bytes);
    return exact;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argv[0]);
        return 2;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        /* said before the call: a crash inside it names the file that caused it */
        fprintf(stderr, "replay: %s\n", argv[i]);
        fflush(stderr);
        size_t size = 0;
        fk_error err = {0};
        uint8_t *data = read_file(argv[i], &size, &err);
        if (!data) {
            fprintf(stderr, "replay: %s: cannot read: %s\n", argv[i], err.message);
            failed++;
            continue;
        }
        int rc = LLVMFuzzerTestOneInput(data, size);
        free(data);
        /* -1 is libFuzzer's "keep this out of the corpus"; anything else but 0 is not allowed */
        if (rc != 0 && rc != -1) {
            fprintf(stderr, "replay: %s: the target returned %d\n", argv[i], rc);
            failed++;
        }
    }
    fprintf(stderr, "replay: %d of %d files went through\n", argc - 1 - failed, argc - 1);
    return failed ? 1 : 0;
}
