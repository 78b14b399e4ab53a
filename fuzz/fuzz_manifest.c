/* fuzz_manifest.c: libFuzzer target for the tfjs weight-manifest loader (JSON, shapes, dtypes, shard sizes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/load/weights.h"

/* The input is "JSON \0 shard bytes": the JSON becomes m-weights_manifest.json, the bytes after
 * the first NUL become a.bin, and their second half also b.bin, so a manifest can name one or
 * two shards. All in one temporary folder per process (in /dev/shm when there is one, for speed);
 * a fuzzer process is single-threaded, so this one static is safe. */
static char dir[256];

static int write_file(const char *name, const uint8_t *data, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Leaves no folder behind when the fuzzer exits normally (a crash keeps it, which is fine). */
static void remove_dir(void)
{
    static const char *const names[] = {"m-weights_manifest.json", "a.bin", "b.bin"};
    char path[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/fk_fuzz_manifest_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t json = nul ? (size_t)(nul - data) : size;
    const uint8_t *rest = nul ? nul + 1 : data + size;
    size_t nrest = nul ? size - json - 1 : 0;
    if (!write_file("m-weights_manifest.json", data, json) || !write_file("a.bin", rest, nrest) ||
        !write_file("b.bin", rest + nrest / 2, nrest - nrest / 2))
        abort();

    char path[512];
    snprintf(path, sizeof path, "%s/m-weights_manifest.json", dir);
    /* no pins here (the names are not face-api's), and a small limit keeps the fuzzer's memory low */
    fk__weights_options o = {.verify = false, .max_bytes = (size_t)64 << 20};
    fk__weights *w = NULL;
    fk_error err;
    fk_status st = fk__weights_load_opts(path, &o, &w, &err);
    if (st != FK_OK) {
        if (w || !err.message[0] || !memchr(err.message, 0, sizeof err.message))
            abort(); /* a failure must leave no object and say why */
        return 0;
    }
    /* touch every value and look every weight up by name and shape */
    volatile float sink = 0;
    for (size_t i = 0; i < fk__weights_count(w); i++) {
        const fk__weight *x = fk__weights_at(w, i);
        for (size_t k = 0; k < x->count; k++)
            sink += x->data[k];
        const float *got = NULL;
        if (fk__weights_find(w, x->name) != x ||
            fk__weights_get(w, x->name, x->rank, x->dims, &got, &err) != FK_OK || got != x->data)
            abort();
    }
    (void)sink;
    fk__weights_free(w);
    return 0;
}
