/* replay_main.c: runs a fuzz target's LLVMFuzzerTestOneInput on each file named on the command line (the ctest replay of the corpora). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole file in a buffer of exactly its size, as libFuzzer gives it, so that ASan sees a
 * read one byte past the input. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *grown = realloc(buf, cap *= 2);
        if (!grown)
            free(buf);
        buf = grown;
    }
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    uint8_t *exact = malloc(n ? n : 1);
    if (exact)
        memcpy(exact, buf, n);
    free(buf);
    *size = n;
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
        errno = 0;
        uint8_t *data = read_file(argv[i], &size);
        if (!data) {
            fprintf(stderr, "replay: %s: cannot read: %s\n", argv[i], errno ? strerror(errno) : "out of memory");
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
