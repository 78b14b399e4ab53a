/* test_manifest.c: the tfjs weight-manifest loader on tiny generated manifests (every dtype, every error) and on the real face-api models. */
#define _XOPEN_SOURCE 700 /* nftw, to remove the temporary folders */
#include <ftw.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "harness.h"
#include "nn/load/dequant.h"
#include "nn/load/weights.h"

/* ---- helpers: a temporary folder, files in it, shard bytes ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_tmpdir(char *dir, size_t n, const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, n, "%s/fk_%s_XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
    if (mkdtemp(dir))
        return 1;
    CHECK_MSG(0, "mkdtemp %s failed", dir);
    return 0;
}

static void put(const char *dir, const char *name, const void *data, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f)
        return;
    CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

typedef struct bytes {
    unsigned char b[4096];
    size_t n;
} bytes;

static void add_u8(bytes *b, unsigned v)
{
    b->b[b->n++] = (unsigned char)v;
}

static void add_u16(bytes *b, unsigned v)
{
    add_u8(b, v & 0xff);
    add_u8(b, v >> 8);
}

static void add_u32(bytes *b, uint32_t v)
{
    add_u16(b, v & 0xffff);
    add_u16(b, v >> 16);
}

static void add_f32(bytes *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    add_u32(b, u);
}

static fk__weights_options verify_on(void)
{
    fk__weights_options o = {.verify = true, .max_bytes = FK__WEIGHTS_MAX_BYTES};
    return o;
}

/* Writes json as DIR/t-weights_manifest.json and loads it (pins checked: none of these names is pinned). */
static fk_status load_json(const char *dir, const char *json, fk__weights **w, fk_error *err)
{
    put(dir, "t-weights_manifest.json", json, strlen(json));
    char path[1024];
    snprintf(path, sizeof path, "%s/t-weights_manifest.json", dir);
    fk__weights_options o = verify_on();
    return fk__weights_load_opts(path, &o, w, err);
}

/* A manifest that must fail with status and a message containing each of the given parts. */
static void expect_fail(const char *dir, const char *json, fk_status want, const char *part1, const char *part2)
{
    fk__weights *w = (fk__weights *)&w; /* not NULL: the loader must reset it */
    fk_error err = {0};
    fk_status st = load_json(dir, json, &w, &err);
    CHECK_MSG(st == want, "%s: status %d (%s), want %d", json, (int)st, err.message, (int)want);
    CHECK_MSG(w == NULL, "%s: *out not NULL after failure", json);
    CHECK_MSG(strstr(err.message, dir) != NULL, "%s: message names no file: %s", json, err.message);
    if (part1)
        CHECK_MSG(strstr(err.message, part1) != NULL, "%s: message lacks '%s': %s", json, part1, err.message);
    if (part2)
        CHECK_MSG(strstr(err.message, part2) != NULL, "%s: message lacks '%s': %s", json, part2, err.message);
    if (st == FK_OK)
        fk__weights_free(w);
}

static int same_bits(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- the value conversions ---- */

static void test_half(void)
{
    static const struct {
        uint16_t h;
        float f;
    } cases[] = {
        {0x0000, 0.0f},
        {0x3c00, 1.0f},
        {0xc000, -2.0f},
        {0x3555, 0.333251953125f},
        {0x7bff, 65504.0f},
        {0x0400, 6.103515625e-05f},         /* smallest normal, 2^-14 */
        {0x0001, 5.9604644775390625e-08f},  /* smallest subnormal, 2^-24 */
        {0x03ff, 6.097555160522461e-05f},   /* largest subnormal, 1023 * 2^-24 */
        {0x8001, -5.9604644775390625e-08f},
        {0x0200, 3.0517578125e-05f},        /* 2^-15 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_MSG(same_bits(fk__half_to_float(cases[i].h), cases[i].f), "half %04x -> %.9g, want %.9g", cases[i].h,
                  fk__half_to_float(cases[i].h), cases[i].f);
    CHECK(same_bits(fk__half_to_float(0x8000), -0.0f));
    CHECK(isinf(fk__half_to_float(0x7c00)) && fk__half_to_float(0x7c00) > 0);
    CHECK(isinf(fk__half_to_float(0xfc00)) && fk__half_to_float(0xfc00) < 0);
    CHECK(isnan(fk__half_to_float(0x7e00)) && isnan(fk__half_to_float(0xfc01)));
    /* every finite half round-trips through float arithmetic: v = sign * m * 2^(e-25) */
    for (unsigned h = 0; h < 0x10000; h++) {
        unsigned e = (h >> 10) & 0x1f, m = h & 0x3ff;
        if (e == 0x1f)
            continue;
        double v = e ? ldexp(1024 + m, (int)e - 25) : ldexp(m, -24);
        if (h & 0x8000)
            v = -v;
        if (!same_bits(fk__half_to_float((uint16_t)h), (float)v)) {
            CHECK_MSG(0, "half %04x -> %.9g, want %.9g", h, fk__half_to_float((uint16_t)h), v);
            break;
        }
    }
}

/* ---- one group of every dtype, a scalar and an empty tensor ---- */

static void test_dtypes(const char *dir)
{
    bytes b = {.n = 0};
    const float f32[6] = {1.5f, -2.25f, 3.0e-38f, 1e30f, -0.0f, 7.0f};
    for (int i = 0; i < 6; i++)
        add_f32(&b, f32[i]); /* a: float32 [2,3] */
    const unsigned q8[5] = {0, 1, 128, 254, 255};
    for (int i = 0; i < 5; i++)
        add_u8(&b, q8[i]); /* b: uint8 [5], scale 0.1, min -0.3 */
    const unsigned q16[3] = {0, 1000, 65535};
    for (int i = 0; i < 3; i++)
        add_u16(&b, q16[i]); /* c: uint16 [3,1], scale 0.001, min 2 */
    const uint16_t h[6] = {0x3c00, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00};
    for (int i = 0; i < 6; i++)
        add_u16(&b, h[i]); /* d: float16 [1,2,3] */
    for (unsigned i = 0; i < 7; i++)
        add_u8(&b, i); /* e: int32 via uint8 [7], scale 0.5, min -1.5 */
    add_u32(&b, (uint32_t)-7);
    add_u32(&b, 0);
    add_u32(&b, 123456); /* f: int32 [3] */
    add_u32(&b, 0x80000000u); /* g: int32 [] = INT32_MIN */
    const unsigned bl[4] = {0, 1, 2, 0};
    for (int i = 0; i < 4; i++)
        add_u8(&b, bl[i]); /* h: bool [2,2] */
    add_f32(&b, 3.5f);     /* s: float32 [] */
                           /* z: float32 [0,3], no bytes */
    add_u8(&b, 200);       /* y: float32 [1,1,1,1] uint8 */
    put(dir, "dt.bin", b.b, b.n);
    const char *json =
        "[{\"paths\": [\"dt.bin\"], \"weights\": ["
        "{\"name\": \"a\", \"shape\": [2, 3], \"dtype\": \"float32\"},"
        "{\"name\": \"b\", \"shape\": [5], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint8\", \"scale\": 0.1, \"min\": -0.3}},"
        "{\"name\": \"c\", \"shape\": [3, 1], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint16\", \"scale\": 0.001, \"min\": 2}},"
        "{\"name\": \"d\", \"shape\": [1, 2, 3], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"float16\"}},"
        "{\"name\": \"e\", \"shape\": [7], \"dtype\": \"int32\", \"quantization\": {\"dtype\": \"uint8\", \"scale\": 0.5, \"min\": -1.5}},"
        "{\"name\": \"f\", \"shape\": [3], \"dtype\": \"int32\"},"
        "{\"name\": \"g\", \"shape\": [], \"dtype\": \"int32\"},"
        "{\"name\": \"h\", \"shape\": [2, 2], \"dtype\": \"bool\"},"
        "{\"name\": \"s\", \"shape\": [], \"dtype\": \"float32\"},"
        "{\"name\": \"z\", \"shape\": [0, 3], \"dtype\": \"float32\"},"
        "{\"name\": \"y\", \"shape\": [1, 1, 1, 1], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint8\", \"scale\": 2, \"min\": 0}}"
        "]}]";
    fk__weights *w = NULL;
    fk_error err = {0};
    CHECK_OK(load_json(dir, json, &w, &err));
    if (!w) {
        fprintf(stderr, "load: %s\n", err.message);
        return;
    }
    CHECK(fk__weights_count(w) == 11);
    CHECK(strcmp(fk__weights_at(w, 0)->name, "a") == 0 && strcmp(fk__weights_at(w, 10)->name, "y") == 0);
    CHECK(fk__weights_at(w, 11) == NULL);
    CHECK(strstr(fk__weights_path(w), "t-weights_manifest.json") != NULL);
    for (size_t i = 0; i < fk__weights_count(w); i++)
        CHECK_MSG((uintptr_t)fk__weights_at(w, i)->data % 64 == 0, "weight %zu not 64-byte aligned", i);

    const fk__weight *a = fk__weights_find(w, "a");
    CHECK(a && a->rank == 2 && a->dims[0] == 2 && a->dims[1] == 3 && a->dims[2] == 1 && a->dims[3] == 1 &&
          a->count == 6);
    for (int i = 0; a && i < 6; i++)
        CHECK(same_bits(a->data[i], f32[i]));

    const fk__weight *x = fk__weights_find(w, "b");
    for (int i = 0; x && i < 5; i++) /* tfjs: q * scale + min in double, stored as float32 */
        CHECK_MSG(same_bits(x->data[i], (float)(q8[i] * 0.1 + -0.3)), "b[%d] = %.9g", i, x->data[i]);
    x = fk__weights_find(w, "c");
    CHECK(x && x->rank == 2 && x->count == 3);
    for (int i = 0; x && i < 3; i++)
        CHECK_MSG(same_bits(x->data[i], (float)(q16[i] * 0.001 + 2.0)), "c[%d] = %.9g", i, x->data[i]);
    CHECK(x && x->data[2] == (float)67.535);

    x = fk__weights_find(w, "d");
    CHECK(x && x->rank == 3 && x->count == 6);
    if (x) {
        CHECK(x->data[0] == 1.0f);
        CHECK(x->data[1] == 5.9604644775390625e-08f); /* subnormal half, 2^-24 */
        CHECK(x->data[2] == 6.097555160522461e-05f);
        CHECK(isinf(x->data[3]) && x->data[3] > 0);
        CHECK(isinf(x->data[4]) && x->data[4] < 0);
        CHECK(isnan(x->data[5]));
    }

    /* Math.round(q * 0.5 - 1.5): -1.5 -> -1, -1 -> -1, -0.5 -> -0, 0, 0.5 -> 1, 1, 1.5 -> 2
     * (halves go towards +infinity, unlike C's round) */
    x = fk__weights_find(w, "e");
    const float e_want[7] = {-1, -1, 0, 0, 1, 1, 2};
    for (int i = 0; x && i < 7; i++)
        CHECK_MSG(x->data[i] == e_want[i], "e[%d] = %g, want %g", i, x->data[i], e_want[i]);

    x = fk__weights_find(w, "f");
    CHECK(x && x->data[0] == -7.0f && x->data[1] == 0.0f && x->data[2] == 123456.0f);
    x = fk__weights_find(w, "g");
    CHECK(x && x->rank == 0 && x->count == 1 && x->data[0] == -2147483648.0f);
    x = fk__weights_find(w, "h");
    CHECK(x && x->data[0] == 0.0f && x->data[1] == 1.0f && x->data[2] == 1.0f && x->data[3] == 0.0f);
    x = fk__weights_find(w, "s");
    CHECK(x && x->rank == 0 && x->count == 1 && x->dims[0] == 1 && x->data[0] == 3.5f);
    x = fk__weights_find(w, "z");
    CHECK(x && x->rank == 2 && x->dims[0] == 0 && x->dims[1] == 3 && x->count == 0);
    x = fk__weights_find(w, "y");
    CHECK(x && x->rank == 4 && x->count == 1 && x->data[0] == 400.0f);
    CHECK(fk__weights_find(w, "nope") == NULL && fk__weights_find(w, "") == NULL);

    /* fk__weights_get: the right shape, a wrong one, a missing name, a scalar */
    const float *data = NULL;
    CHECK_OK(fk__weights_get(w, "a", 2, (const int[]){2, 3}, &data, &err));
    CHECK(data == fk__weights_find(w, "a")->data);
    CHECK(fk__weights_get(w, "a", 2, (const int[]){3, 2}, &data, &err) == FK_E_BAD_FORMAT && data == NULL);
    CHECK_MSG(strstr(err.message, "t-weights_manifest.json: weight 'a' has shape [2,3], expected [3,2]") != NULL,
              "%s", err.message);
    CHECK(fk__weights_get(w, "a", 3, (const int[]){2, 3, 1}, &data, &err) == FK_E_BAD_FORMAT);
    CHECK_MSG(strstr(err.message, "expected [2,3,1]") != NULL, "%s", err.message);
    CHECK(fk__weights_get(w, "fc", 2, (const int[]){256, 64}, &data, &err) == FK_E_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "t-weights_manifest.json has no weight 'fc'") != NULL, "%s", err.message);
    CHECK_OK(fk__weights_get(w, "s", 0, NULL, &data, &err));
    CHECK(data && *data == 3.5f);
    CHECK(fk__weights_get(w, "s", 1, (const int[]){1}, &data, &err) == FK_E_BAD_FORMAT);
    CHECK_MSG(strstr(err.message, "has shape [], expected [1]") != NULL, "%s", err.message);
    CHECK(fk__weights_get(w, "a", 5, (const int[]){1, 1, 1, 1, 1}, &data, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk__weights_get(NULL, "a", 0, NULL, &data, &err) == FK_E_INVALID_ARGUMENT);
    fk__weights_free(w);
    fk__weights_free(NULL);
    CHECK(fk__weights_count(NULL) == 0 && fk__weights_at(NULL, 0) == NULL && fk__weights_find(NULL, "a") == NULL);
}

/* ---- two groups, the first split over three shards with weights across the seams ---- */

static void test_groups(const char *dir)
{
    /* group 0: p [5] float32 (20 bytes), q [3] uint16 (6 bytes), r [2] float32 (8 bytes) = 34 bytes
     * cut at 7 and 23: p spans shards 1-2, q spans shards 2-3 */
    bytes b = {.n = 0};
    for (int i = 0; i < 5; i++)
        add_f32(&b, (float)i + 0.25f);
    add_u16(&b, 1);
    add_u16(&b, 2);
    add_u16(&b, 3);
    add_f32(&b, -1.0f);
    add_f32(&b, -2.0f);
    CHECK(b.n == 34);
    put(dir, "g0-1.bin", b.b, 7);
    put(dir, "g0-2.bin", b.b + 7, 16);
    put(dir, "g0-3.bin", b.b + 23, 11);
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CHECK(mkdir(sub, 0755) == 0);
    bytes c = {.n = 0};
    add_u8(&c, 10);
    add_u8(&c, 20);
    put(dir, "sub/g1.bin", c.b, c.n);
    const char *json =
        "[{\"paths\": [\"g0-1.bin\", \"g0-2.bin\", \"g0-3.bin\"], \"weights\": ["
        "  {\"name\": \"p\", \"shape\": [5], \"dtype\": \"float32\"},"
        "  {\"name\": \"q\", \"shape\": [3], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint16\", \"scale\": 1, \"min\": 0.5}},"
        "  {\"name\": \"r\", \"shape\": [2], \"dtype\": \"float32\"}]},"
        " {\"paths\": [\"sub/g1.bin\"], \"weights\": ["
        "  {\"name\": \"t\", \"shape\": [1, 2], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint8\", \"scale\": 0.5, \"min\": 0}}]},"
        " {\"paths\": [], \"weights\": []}]";
    fk__weights *w = NULL;
    fk_error err = {0};
    CHECK_OK(load_json(dir, json, &w, &err));
    if (!w) {
        fprintf(stderr, "load: %s\n", err.message);
        return;
    }
    CHECK(fk__weights_count(w) == 4);
    const fk__weight *x = fk__weights_find(w, "p");
    for (int i = 0; x && i < 5; i++)
        CHECK(x->data[i] == (float)i + 0.25f);
    x = fk__weights_find(w, "q");
    CHECK(x && x->data[0] == 1.5f && x->data[1] == 2.5f && x->data[2] == 3.5f);
    x = fk__weights_find(w, "r");
    CHECK(x && x->data[0] == -1.0f && x->data[1] == -2.0f);
    x = fk__weights_find(w, "t");
    CHECK(x && x->data[0] == 5.0f && x->data[1] == 10.0f);
    fk__weights_free(w);

    /* the same group with its last shard one byte short and then one byte long */
    put(dir, "g0-3.bin", b.b + 23, 10);
    expect_fail(dir, json, FK_E_BAD_FORMAT, "g0-1.bin and the 2 shards after it: 33 bytes in all",
                "needs 34");
    unsigned char longer[12];
    memcpy(longer, b.b + 23, 11);
    longer[11] = 0;
    put(dir, "g0-3.bin", longer, 12);
    expect_fail(dir, json, FK_E_BAD_FORMAT, "35 bytes in all", "needs 34");
}

/* ---- every kind of bad manifest ---- */

static void test_errors(const char *dir)
{
    unsigned char four[4] = {0, 0, 128, 63}; /* 1.0f */
    put(dir, "one.bin", four, 4);
    const char *ok_weight = "{\"name\": \"w\", \"shape\": [1], \"dtype\": \"float32\"}";
    char json[2048];

    /* the baseline loads */
    fk__weights *w = NULL;
    fk_error err = {0};
    snprintf(json, sizeof json, "[{\"paths\": [\"one.bin\"], \"weights\": [%s]}]", ok_weight);
    CHECK_OK(load_json(dir, json, &w, &err));
    CHECK(w && fk__weights_find(w, "w") && fk__weights_find(w, "w")->data[0] == 1.0f);
    fk__weights_free(w);
    CHECK_OK(load_json(dir, "[]", &w, &err));
    CHECK(w && fk__weights_count(w) == 0);
    fk__weights_free(w);

    /* JSON and structure */
    expect_fail(dir, "[{\"paths\": [\"one.bin\"],\n  \"weights\": [", FK_E_BAD_FORMAT, "invalid JSON at line 2", NULL);
    expect_fail(dir, "", FK_E_BAD_FORMAT, "invalid JSON", NULL);
    expect_fail(dir, "[] x", FK_E_BAD_FORMAT, "invalid JSON at line 1, column 4", NULL);
    expect_fail(dir, "{\"paths\": []}", FK_E_BAD_FORMAT, "not a weights manifest", NULL);
    expect_fail(dir, "[1]", FK_E_BAD_FORMAT, "[0] is not an object", NULL);
    expect_fail(dir, "[{\"weights\": []}]", FK_E_BAD_FORMAT, "[0].paths", NULL);
    expect_fail(dir, "[{\"paths\": [1], \"weights\": []}]", FK_E_BAD_FORMAT, "[0].paths[0]", NULL);
    expect_fail(dir, "[{\"paths\": []}]", FK_E_BAD_FORMAT, "[0].weights is missing", NULL);
    expect_fail(dir, "[{\"paths\": [\"one.bin\"], \"weights\": [7]}]", FK_E_BAD_FORMAT, "[0].weights[0] is not an object", NULL);
    expect_fail(dir, "[{\"paths\": [\"one.bin\"], \"weights\": [{\"shape\": [1], \"dtype\": \"float32\"}]}]",
                FK_E_BAD_FORMAT, "[0].weights[0].name", NULL);
    expect_fail(dir, "[{\"paths\": [\"one.bin\"], \"weights\": [{\"name\": \"w\", \"dtype\": \"float32\"}]}]",
                FK_E_BAD_FORMAT, "[0].weights[0].shape is not an array of non-negative integers", NULL);
    expect_fail(dir, "[{\"paths\": [\"one.bin\"], \"weights\": [{\"name\": \"w\", \"shape\": [1]}]}]",
                FK_E_BAD_FORMAT, "[0].weights[0].dtype", NULL);
    snprintf(json, sizeof json,
             "[{\"paths\": [\"one.bin\"], \"weights\": [%s]}, {\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [-1], \"dtype\": \"float32\"}]}]",
             ok_weight);
    expect_fail(dir, json, FK_E_BAD_FORMAT, "[1].weights[0].shape is not an array of non-negative integers", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [1.5], \"dtype\": \"float32\"}]}]",
                FK_E_BAD_FORMAT, ".shape is not an array", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [\"2\"], \"dtype\": \"float32\"}]}]",
                FK_E_BAD_FORMAT, ".shape is not an array", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": 3, \"dtype\": \"float32\"}]}]",
                FK_E_BAD_FORMAT, ".shape is not an array", NULL);

    /* sizes: overflow, limits, rank */
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [2147483647, 2147483647, 2147483647], \"dtype\": \"float32\"}]}]",
                FK_E_OVERFLOW, "'v'", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [65536, 65536, 65536, 65536], \"dtype\": \"bool\"}]}]",
                FK_E_OVERFLOW, "'v'", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [2147483647, 2147483647], \"dtype\": \"float32\"}]}]",
                FK_E_LIMIT, "limit", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [4294967296], \"dtype\": \"float32\"}]}]",
                FK_E_LIMIT, "too large", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [1e400], \"dtype\": \"float32\"}]}]",
                FK_E_LIMIT, "too large", NULL);
    /* two weights of 600 MiB each: each fine, together over the 1 GiB limit */
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"u\", \"shape\": [157286400], \"dtype\": \"float32\"},"
                     "{\"name\": \"v\", \"shape\": [157286400], \"dtype\": \"float32\"}]}]",
                FK_E_LIMIT, "'v'", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [1, 1, 1, 1, 1], \"dtype\": \"float32\"}]}]",
                FK_E_UNSUPPORTED, "rank 5", NULL);

    /* dtypes and quantization */
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [1], \"dtype\": \"string\"}]}]",
                FK_E_UNSUPPORTED, "dtype 'string'", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [1], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"int8\", \"scale\": 1, \"min\": 0}}]}]",
                FK_E_UNSUPPORTED, "'int8'", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [1], \"dtype\": \"int32\", \"quantization\": {\"dtype\": \"float16\"}}]}]",
                FK_E_UNSUPPORTED, "float16 quantization of int32", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [1], \"dtype\": \"bool\", \"quantization\": {\"dtype\": \"uint8\", \"scale\": 1, \"min\": 0}}]}]",
                FK_E_UNSUPPORTED, "bool", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [1], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint8\", \"min\": 0}}]}]",
                FK_E_BAD_FORMAT, "'scale' and 'min'", NULL);
    expect_fail(dir, "[{\"paths\": [], \"weights\": [{\"name\": \"v\", \"shape\": [1], \"dtype\": \"float32\", \"quantization\": \"uint8\"}]}]",
                FK_E_BAD_FORMAT, "quantization is not an object", NULL);

    /* names */
    snprintf(json, sizeof json,
             "[{\"paths\": [\"one.bin\"], \"weights\": [%s]}, {\"paths\": [], \"weights\": [{\"name\": \"w\", \"shape\": [0], \"dtype\": \"float32\"}]}]",
             ok_weight);
    expect_fail(dir, json, FK_E_BAD_FORMAT, "'w' appears twice ([0].weights[0] and [1].weights[0])", NULL);

    /* shards: missing, short, long, outside the folder, none listed */
    snprintf(json, sizeof json, "[{\"paths\": [\"two.bin\"], \"weights\": [%s]}]", ok_weight);
    expect_fail(dir, json, FK_E_NOT_FOUND, "two.bin: weights shard not found", "t-weights_manifest.json");
    put(dir, "three.bin", four, 3);
    snprintf(json, sizeof json, "[{\"paths\": [\"three.bin\"], \"weights\": [%s]}]", ok_weight);
    expect_fail(dir, json, FK_E_BAD_FORMAT, "three.bin: 3 bytes, the manifest needs 4 (truncated or wrong file)", NULL);
    snprintf(json, sizeof json, "[{\"paths\": [\"t-weights_manifest.json\"], \"weights\": [%s]}]", ok_weight);
    expect_fail(dir, json, FK_E_BAD_FORMAT, "bytes, the manifest needs 4", NULL);
    snprintf(json, sizeof json, "[{\"paths\": [\"../one.bin\"], \"weights\": [%s]}]", ok_weight);
    expect_fail(dir, json, FK_E_BAD_FORMAT, "inside the manifest's folder", NULL);
    snprintf(json, sizeof json, "[{\"paths\": [\"/etc/passwd\"], \"weights\": [%s]}]", ok_weight);
    expect_fail(dir, json, FK_E_BAD_FORMAT, "inside the manifest's folder", NULL);
    snprintf(json, sizeof json, "[{\"paths\": [\"sub\"], \"weights\": [%s]}]", ok_weight);
    expect_fail(dir, json, FK_E_IO, "is a directory", NULL);
    snprintf(json, sizeof json, "[{\"paths\": [], \"weights\": [%s]}]", ok_weight);
    expect_fail(dir, json, FK_E_BAD_FORMAT, "lists no shard files", NULL);

    /* the manifest itself: missing, a directory, bad arguments */
    char path[1024];
    snprintf(path, sizeof path, "%s/none-weights_manifest.json", dir);
    w = (fk__weights *)&w;
    CHECK(fk__weights_load(path, &w, &err) == FK_E_NOT_FOUND && w == NULL);
    CHECK_MSG(strstr(err.message, "none-weights_manifest.json: model file not found") != NULL, "%s", err.message);
    CHECK(fk__weights_load(dir, &w, &err) == FK_E_IO && w == NULL);
    CHECK(fk__weights_load(NULL, &w, &err) == FK_E_INVALID_ARGUMENT && w == NULL);
    CHECK(fk__weights_load(path, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk__weights_load(path, &w, NULL) == FK_E_NOT_FOUND); /* a NULL error record is allowed */
}

/* ---- the real face-api models ---- */

typedef struct known {
    const char *name;
    int rank, dims[4];
    float first, last;
} known;

static void check_real(const char *dir, const char *stem, size_t count, const known *k, size_t nk)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s-weights_manifest.json", dir, stem);
    fk__weights_options o = verify_on();
    fk__weights *w = NULL;
    fk_error err = {0};
    fk_status st = fk__weights_load_opts(path, &o, &w, &err);
    CHECK_MSG(st == FK_OK, "%s: %s", stem, err.message);
    if (!w)
        return;
    CHECK_MSG(fk__weights_count(w) == count, "%s: %zu weights, want %zu", stem, fk__weights_count(w), count);
    for (size_t i = 0; i < nk; i++) {
        const float *data = NULL;
        st = fk__weights_get(w, k[i].name, k[i].rank, k[i].dims, &data, &err);
        CHECK_MSG(st == FK_OK, "%s: %s", stem, err.message);
        if (!data)
            continue;
        size_t n = fk__weights_find(w, k[i].name)->count;
        CHECK_MSG(data[0] == k[i].first && data[n - 1] == k[i].last, "%s '%s': first %.9g last %.9g, want %.9g %.9g",
                  stem, k[i].name, data[0], data[n - 1], k[i].first, k[i].last);
    }
    fk__weights_free(w);
    CHECK_OK(fk__model_file_verify(path, &err));
    snprintf(path, sizeof path, "%s/%s.bin", dir, stem);
    CHECK_OK(fk__model_file_verify(path, &err));
    CHECK(fk__model_pin(path) != NULL);
}

static void copy_file(const char *from, const char *to)
{
    void *data = NULL;
    size_t n = 0;
    fk_error err = {0};
    CHECK_OK(fk__file_read_all(from, (size_t)1 << 28, &data, &n, &err));
    if (data) {
        FILE *f = fopen(to, "wb");
        CHECK(f && fwrite(data, 1, n, f) == n);
        if (f)
            fclose(f);
        free(data);
    }
}

/* A copy of tiny_face_detector with one byte of its shard flipped: the pin catches it, with
 * the sha256 named; the size is right, so without verification it loads. */
static void test_pins(const char *models, const char *tmp)
{
    char from[1024], manifest[1024], bin[1024];
    snprintf(from, sizeof from, "%s/tiny_face_detector_model-weights_manifest.json", models);
    snprintf(manifest, sizeof manifest, "%s/tiny_face_detector_model-weights_manifest.json", tmp);
    copy_file(from, manifest);
    snprintf(from, sizeof from, "%s/tiny_face_detector_model.bin", models);
    snprintf(bin, sizeof bin, "%s/tiny_face_detector_model.bin", tmp);
    copy_file(from, bin);

    fk__weights_options on = verify_on(), off = {.verify = false, .max_bytes = FK__WEIGHTS_MAX_BYTES};
    fk__weights *w = NULL;
    fk_error err = {0};
    CHECK_OK(fk__weights_load_opts(manifest, &on, &w, &err));
    fk__weights_free(w);

    FILE *f = fopen(bin, "r+b");
    CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, 1000, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 1000, SEEK_SET);
    fputc(c ^ 0x01, f);
    fclose(f);

    CHECK(fk__weights_load_opts(manifest, &on, &w, &err) == FK_E_BAD_FORMAT && w == NULL);
    CHECK_MSG(strstr(err.message, "tiny_face_detector_model.bin: sha256 ") &&
                  strstr(err.message, "differs from the pinned b7503ce7df31039b") && strstr(err.message, "make models"),
              "%s", err.message);
    CHECK(fk__model_file_verify(bin, &err) == FK_E_BAD_FORMAT);
    CHECK_MSG(strstr(err.message, "sha256") != NULL, "%s", err.message);
    CHECK_OK(fk__weights_load_opts(manifest, &off, &w, &err));
    fk__weights_free(w);

    /* FACEKIT_MODELS_NOVERIFY=1 turns the check off for fk__weights_load (custom models) */
    const char *saved = getenv("FACEKIT_MODELS_NOVERIFY");
    char *keep = saved ? strdup(saved) : NULL;
    setenv("FACEKIT_MODELS_NOVERIFY", "1", 1);
    CHECK_OK(fk__weights_load(manifest, &w, &err));
    fk__weights_free(w);
    setenv("FACEKIT_MODELS_NOVERIFY", "0", 1);
    CHECK(fk__weights_load(manifest, &w, &err) == FK_E_BAD_FORMAT);
    unsetenv("FACEKIT_MODELS_NOVERIFY");
    CHECK(fk__weights_load(manifest, &w, &err) == FK_E_BAD_FORMAT);
    if (keep) {
        setenv("FACEKIT_MODELS_NOVERIFY", keep, 1);
        free(keep);
    }

    /* a pinned file that is missing says how to get the models */
    remove(bin);
    CHECK(fk__weights_load_opts(manifest, &on, &w, &err) == FK_E_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "tiny_face_detector_model.bin: model file not found; run `make models`") &&
                  strstr(err.message, "FACEKIT_MODELS=DIR"),
              "%s", err.message);
    CHECK(fk__model_file_verify(bin, &err) == FK_E_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "@vladmandic/face-api@1.7.15") != NULL, "%s", err.message);
    /* an unpinned name passes as long as it exists */
    CHECK_OK(fk__model_file_verify(manifest, &err)); /* pinned and intact */
    char other[1024];
    snprintf(other, sizeof other, "%s/custom.bin", tmp);
    put(tmp, "custom.bin", "x", 1);
    CHECK_OK(fk__model_file_verify(other, &err));
    CHECK(fk__model_pin(other) == NULL);
}

static void test_real(const char *tmp)
{
    const char *models = fk_test_models_dir();
    if (!models) {
        fk_test_skip("test_manifest real models", "face-api models not found (run `make models` or set FACEKIT_MODELS)");
        return;
    }
    const known rec[] = {
        {"fc", 2, {256, 128}, -0.006796070374548435f, 0.006438382435590029f},
        {"conv32_down/conv/bias", 1, {32}, 1.948432509379927e-05f, 4.828724195249379e-05f},
    };
    const known ssd[] = {
        {"Output/extra_dim", 3, {1, 5118, 4}, -0.03437500074505806f, 0.7742276787757874f},
        {"Postprocessor/stack/1", 0, {0}, 5118.0f, 5118.0f},
        {"Postprocessor/Slice/begin", 1, {3}, 0.0f, 1.0f}, /* int32: Math.round(255 / 255) */
        {"Postprocessor/Slice/size", 1, {3}, -1.0f, -1.0f},
    };
    const known tiny[] = {{"conv0/filters", 4, {3, 3, 3, 16}, 0.2882254123687744f, -0.1981549710035324f}};
    const known lm[] = {
        {"fc/weights", 2, {256, 136}, -0.28127220273017883f, -0.06250493228435516f},
        {"fc/bias", 1, {136}, 0.07683877646923065f, 0.5609642863273621f},
    };
    const known ag[] = {
        {"fc/age/weights", 2, {512, 1}, -0.8066871166229248f, 0.09541460126638412f},
        {"fc/gender/bias", 1, {2}, -0.0708373486995697f, 0.0708373561501503f},
    };
    check_real(models, "face_recognition_model", 117, rec, 2);
    check_real(models, "ssd_mobilenetv1_model", 151, ssd, 4);
    check_real(models, "tiny_face_detector_model", 19, tiny, 1);
    check_real(models, "face_landmark_68_model", 49, lm, 2);
    check_real(models, "age_gender_model", 51, ag, 2);
    test_pins(models, tmp);
}

int main(void)
{
    char dir[512], tmp[512];
    test_half();
    if (make_tmpdir(dir, sizeof dir, "manifest")) {
        test_dtypes(dir);
        test_groups(dir);
        test_errors(dir);
        remove_tree(dir);
    }
    if (make_tmpdir(tmp, sizeof tmp, "pins")) {
        test_real(tmp);
        remove_tree(tmp);
    }
    return fk_test_finish("test_manifest");
}
