/* fuzz_tfgraph.c: libFuzzer target for the TensorFlow.js graph-model loader (GraphDef JSON, attributes, folding, lowering) and one run of what it builds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/load/tfgraph.h"
#include "nn/plan.h"

/* The input is "JSON \0 shard bytes": the JSON becomes m.json, the bytes after the first NUL
 * become a.bin, and their second half also b.bin, so a model can name one or two shards. All in one temporary folder per process (in /dev/shm when there is one, for speed);
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
    static const char *const names[] = {"m.json", "a.bin", "b.bin"};
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
        snprintf(dir, sizeof dir, "%s/fk_fuzz_tfgraph_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t json = nul ? (size_t)(nul - data) : size;
    const uint8_t *rest = nul ? nul + 1 : data + size;
    size_t nrest = nul ? size - json - 1 : 0;
    if (!write_file("m.json", data, json) || !write_file("a.bin", rest, nrest) ||
        !write_file("b.bin", rest + nrest / 2, nrest - nrest / 2))
        abort();

    char path[512];
    snprintf(path, sizeof path, "%s/m.json", dir);
    /* no pins here, a small limit keeps the fuzzer's memory low, and open input sizes get 16 x 16 */
    fk__tfgraph_options o = {.verify = false, .max_bytes = (size_t)16 << 20, .input_h = 16, .input_w = 16};
    fk__graph *g = NULL;
    fk__tfgraph_info info;
    fk_error err;
    fk_status st = fk__tfgraph_load(path, &o, &g, &info, &err);
    if (st != FK_OK) {
        if (g || !err.message[0] || !memchr(err.message, 0, sizeof err.message))
            abort(); /* a failure must leave no object and say why */
        return 0;
    }
    if (info.n_outputs < 1 || info.n_outputs > FK__TFGRAPH_MAX_OUTPUTS || fk__graph_output_count(g) != info.n_outputs)
        abort();
    /* run what was built when it is small: a loaded graph must be runnable */
    size_t in = (size_t)info.input_h * info.input_w * info.input_c;
    fk__plan *p = NULL;
    if (in <= 65536 && fk__graph_flops(g) < 5e7 && fk__plan_new(g, 1, FK__KERNELS_REFERENCE, &p, &err) == FK_OK) {
        float *x = fk__plan_input(p);
        for (size_t i = 0; i < in; i++)
            x[i] = (float)(i % 7) * 0.25f - 0.5f;
        fk__plan_run(p);
        volatile float sink = 0;
        for (int k = 0; k < info.n_outputs; k++) {
            fk__shape s;
            const float *y = fk__plan_output(p, k, &s);
            sink += y[0];
        }
        (void)sink;
    }
    fk__plan_free(p);
    fk__graph_free(g);
    return 0;
}
