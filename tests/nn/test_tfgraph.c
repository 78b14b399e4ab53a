/* test_tfgraph.c: TensorFlow.js graph models through nn/load/tfgraph.c: parity with tfjs on the human-models nets (tests/nn/tfgraph), a small graph against a hand reference, and every damaged-file error. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "nn/load/tfgraph.h"
#include "nn/plan.h"

static char dir[256];

static void write_file(const char *name, const void *data, size_t n)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    CHECK_MSG(f && fwrite(data, 1, n, f) == n, "cannot write %s", p);
    if (f)
        fclose(f);
}

/* A conv (SAME or EXPLICIT, bias, ReLU) then a mean over H and W, as the tfjs converter writes
 * them. The "%s" slots take the conv's padding attributes, the op name and input of the mean and
 * the filter's declared shape. */
static const char *model_fmt =
    "{\"format\":\"graph-model\",\"signature\":{\"outputs\":{\"y\":{\"name\":\"Identity:0\"}}},\"modelTopology\":{\"node\":["
    "{\"name\":\"x\",\"op\":\"Placeholder\",\"attr\":{\"shape\":{\"shape\":{\"dim\":[{\"size\":\"-1\"},{\"size\":\"4\"},{\"size\":\"5\"},{\"size\":\"2\"}]}},\"dtype\":{\"type\":\"DT_FLOAT\"}}},"
    "{\"name\":\"w\",\"op\":\"Const\"},{\"name\":\"b\",\"op\":\"Const\"},{\"name\":\"axes\",\"op\":\"Const\"},"
    "{\"name\":\"conv\",\"op\":\"_FusedConv2D\",\"input\":[\"x\",\"w\",\"b\"],\"attr\":{%s,"
    "\"strides\":{\"list\":{\"i\":[\"1\",\"1\",\"1\",\"1\"]}},\"fused_ops\":{\"list\":{\"s\":[\"Qmlhc0FkZA==\",\"UmVsdQ==\"]}},\"num_args\":{\"i\":\"1\"}}},"
    "{\"name\":\"mean\",\"op\":\"%s\",\"input\":[\"%s\",\"axes\"],\"attr\":{\"keep_dims\":{\"b\":false}}},"
    "{\"name\":\"Identity\",\"op\":\"Identity\",\"input\":[\"mean\"]}]},"
    "\"weightsManifest\":[{\"paths\":[\"g.bin\"],\"weights\":["
    "{\"name\":\"w\",\"shape\":[%s],\"dtype\":\"float32\"},{\"name\":\"b\",\"shape\":[3],\"dtype\":\"float32\"},"
    "{\"name\":\"axes\",\"shape\":[2],\"dtype\":\"int32\"}]}]}";

static float wv[3 * 3 * 2 * 3], bv[3];

static const char *pad_same = "\"padding\":{\"s\":\"U0FNRQ==\"}";
/* EXPLICIT, 1 row above, none below, none left, 2 columns right */
static const char *pad_explicit = "\"padding\":{\"s\":\"RVhQTElDSVQ=\"},\"explicit_paddings\":{\"list\":{\"i\":"
                                  "[\"0\",\"0\",\"1\",\"0\",\"0\",\"2\",\"0\",\"0\"]}}";

static void write_model_pad(const char *pad, const char *mean_op, const char *mean_in, const char *wshape,
                            size_t shard_bytes)
{
    char text[4096];
    snprintf(text, sizeof text, model_fmt, pad, mean_op, mean_in, wshape);
    write_file("g.json", text, strlen(text));
    unsigned char bin[sizeof wv + sizeof bv + 8];
    memcpy(bin, wv, sizeof wv);
    memcpy(bin + sizeof wv, bv, sizeof bv);
    int axes[2] = {1, 2};
    memcpy(bin + sizeof wv + sizeof bv, axes, sizeof axes);
    write_file("g.bin", bin, shard_bytes < sizeof bin ? shard_bytes : sizeof bin);
}

static void write_model(const char *mean_op, const char *mean_in, const char *wshape, size_t shard_bytes)
{
    write_model_pad(pad_same, mean_op, mean_in, wshape, shard_bytes);
}

static fk_status load(fk__graph **g, fk__tfgraph_info *info, fk_error *err)
{
    char p[512];
    snprintf(p, sizeof p, "%s/g.json", dir);
    fk__tfgraph_options o = {.verify = false, .max_bytes = 1 << 20};
    return fk__tfgraph_load(p, &o, g, info, err);
}

static void expect_error(const char *what, fk_status want, const char *needle)
{
    fk__graph *g = NULL;
    fk_error err;
    fk_status st = load(&g, NULL, &err);
    CHECK_MSG(st == want && !g, "%s: status %d (want %d)", what, (int)st, (int)want);
    CHECK_MSG(st != FK_OK && strstr(err.message, needle) && strstr(err.message, dir),
              "%s: message '%s' lacks '%s' or the file", what, st != FK_OK ? err.message : "", needle);
    fk__graph_free(g);
}

static void test_small(void)
{
    unsigned r = 7;
    for (size_t i = 0; i < sizeof wv / sizeof wv[0]; i++)
        wv[i] = fk_test_randf(&r);
    for (int i = 0; i < 3; i++)
        bv[i] = 0.1f * fk_test_randf(&r);
    /* SAME 3x3 stride 1 (one pixel of zeros around, 4x5 out), then EXPLICIT (1 row above, 2
     * columns right: 3x5 out); ReLU; the mean of the output positions */
    for (int pass = 0; pass < 2; pass++) {
        int pt = 1, pl = 1, oh = 4;
        if (pass)
            pt = 1, pl = 0, oh = 4 + 1 - 3 + 1;
        write_model_pad(pass ? pad_explicit : pad_same, "Mean", "conv", "3,3,2,3", (size_t)-1);
        fk__graph *g = NULL;
        fk__tfgraph_info info;
        fk_error err;
        CHECK_OK(load(&g, &info, &err));
        if (!g) {
            fprintf(stderr, "%s\n", err.message);
            return;
        }
        CHECK(info.input_h == 4 && info.input_w == 5 && info.input_c == 2 && info.n_outputs == 1);
        CHECK(info.outputs[0].rank == 1 && info.outputs[0].dims[0] == 3);
        fk__plan *p = NULL;
        CHECK_OK(fk__plan_new(g, 1, FK__KERNELS_REFERENCE, &p, &err));
        float x[4 * 5 * 2], want[3] = {0};
        for (int i = 0; i < 40; i++)
            x[i] = fk_test_randf(&r);
        memcpy(fk__plan_input(p), x, sizeof x);
        fk__plan_run(p);
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < 5; ox++)
                for (int co = 0; co < 3; co++) {
                    double acc = bv[co];
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = oy + ky - pt, ix = ox + kx - pl;
                            if (iy < 0 || iy >= 4 || ix < 0 || ix >= 5)
                                continue;
                            for (int ci = 0; ci < 2; ci++)
                                acc += (double)x[(iy * 5 + ix) * 2 + ci] * wv[((ky * 3 + kx) * 2 + ci) * 3 + co];
                        }
                    want[co] += (float)((acc > 0 ? acc : 0) / (oh * 5.0));
                }
        fk__shape s;
        const float *y = fk__plan_output(p, 0, &s);
        CHECK(s.c == 3 && fk__graph_node(g, fk__graph_output(g, 0))->shape.c == 3);
        CHECK_MSG(fk_test_max_abs_diff(y, want, 3) <= 1e-5, "small graph (%s) differs from the hand reference by %g",
                  pass ? "EXPLICIT" : "SAME", fk_test_max_abs_diff(y, want, 3));
        fk__plan_free(p);
        fk__graph_free(g);
    }

    /* damaged files: each a clear error naming the file */
    write_file("g.json", "{\"modelTopology\": [", 19);
    expect_error("bad JSON", FK_E_BAD_FORMAT, "JSON");
    write_model("Mean", "conv", "3,3,2,3", 20);
    expect_error("short shard", FK_E_BAD_FORMAT, "g.bin");
    char p2[512];
    write_model("Mean", "conv", "3,3,2,3", (size_t)-1);
    snprintf(p2, sizeof p2, "%s/g.bin", dir);
    unlink(p2);
    expect_error("missing shard", FK_E_NOT_FOUND, "g.bin");
    write_model("Mean", "conv", "3,3,3,2", (size_t)-1);
    expect_error("wrong filter shape", FK_E_BAD_FORMAT, "filter of shape");
    write_model("Erf", "conv", "3,3,2,3", (size_t)-1);
    expect_error("unknown op", FK_E_UNSUPPORTED, "op 'Erf' is not supported");
    write_model("Mean", "nosuch", "3,3,2,3", (size_t)-1);
    expect_error("dangling input", FK_E_BAD_FORMAT, "names no node");
    write_model("Mean", "Identity", "3,3,2,3", (size_t)-1);
    expect_error("a cycle", FK_E_UNSUPPORTED, "cycle");
}

/* The same input tools/gen_tfgraph_golden.mjs gives tfjs. */
static void golden_input(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(sin(0.007 * (double)i) * 0.5 + 0.5);
}

/* One model against its tfjs reference tests/nn/tfgraph/<name>.json, on golden_input; the
 * error relative to each output's largest value (at least 1). Fills *info; false when it did not
 * load or run. */
static bool parity_one(const char *name, const char *model, const fk__tfgraph_options *o, fk__tfgraph_info *info)
{
    const char *src = getenv("FK_TEST_SRC");
    char gp[1200];
    snprintf(gp, sizeof gp, "%s/tests/nn/tfgraph/%s.json", src ? src : ".", name);
    cJSON *gold = fk_test_read_json(gp);
    CHECK_MSG(gold != NULL, "%s: no reference", gp);
    if (!gold)
        return false;
    fk__graph *g = NULL;
    fk_error err;
    fk_status st = fk__tfgraph_load(model, o, &g, info, &err);
    CHECK_MSG(st == FK_OK, "%s: %s", model, st == FK_OK ? "" : err.message);
    fk__plan *p = NULL;
    if (st == FK_OK)
        CHECK_OK(fk__plan_new(g, 1, fk__kernels_from_env(), &p, &err));
    if (p) {
        golden_input(fk__plan_input(p), (size_t)info->input_h * info->input_w * info->input_c);
        fk__plan_run(p);
        const cJSON *outs = cJSON_GetObjectItemCaseSensitive(gold, "outputs");
        CHECK_MSG(cJSON_GetArraySize(outs) == info->n_outputs, "%s: %d outputs, tfjs %d", name, info->n_outputs,
                  cJSON_GetArraySize(outs));
        int k = 0;
        double worst = 0;
        for (const cJSON *out = outs ? outs->child : NULL; out && k < info->n_outputs; out = out->next, k++) {
            fk__shape s;
            const float *y = fk__plan_output(p, k, &s);
            size_t count = (size_t)s.h * s.w * s.c, stride = (size_t)fk_test_json_num(out, "stride");
            CHECK_MSG(count == (size_t)fk_test_json_num(out, "count"), "%s output %d: %zu values, tfjs %g", name, k,
                      count, fk_test_json_num(out, "count"));
            const cJSON *vals = cJSON_GetObjectItemCaseSensitive(out, "values");
            double scale = 0;
            for (const cJSON *v = vals ? vals->child : NULL; v; v = v->next)
                scale = fmax(scale, fabs(v->valuedouble));
            size_t i = 0;
            for (const cJSON *v = vals ? vals->child : NULL; v && i < count; v = v->next, i += stride)
                worst = fk_test_max(worst, fabs(y[i] - v->valuedouble) / fmax(1.0, scale));
        }
        /* relative to the output's largest value (at least 1): logits of 90 carry float32's 1e-5 */
        CHECK_MSG(worst <= 1e-4, "%s: differs from tfjs by %g", name, worst);
        printf("%s: %d nodes lowered to %d, max error against tfjs %.2g\n", name, info->n_nodes, info->n_lowered,
               worst);
    }
    bool ran = p != NULL;
    fk__plan_free(p);
    fk__graph_free(g);
    cJSON_Delete(gold);
    return ran;
}

static void test_parity(const char *human)
{
    static const char *const names[] = {"antispoof", "liveness", "emotion", "gender", "gear", "blazeface",
                                        "blazeface-front", "faceres", "facemesh", "age", "mobileface",
                                        "mobilefacenet", "iris"};
    for (size_t m = 0; m < sizeof names / sizeof names[0]; m++) {
        char mp[1200];
        fk__tfgraph_info info;
        snprintf(mp, sizeof mp, "%s/%s.json", human, names[m]);
        parity_one(names[m], mp, NULL, &info);
    }
}

/* tests/nn/tfgraph/model/patterns (tools/gen_tfgraph_patterns.py): the element-wise forms of
 * PReLU and L2 normalisation, EXPLICIT padding, Tanh, channel slices, a Mul of two tensors and
 * ExpandDims, against tfjs; the patterns lower into single nodes (9 of 37), the output keeps
 * TF's [N, 2, 1]. Needs no fetched models. */
static void test_patterns(void)
{
    const char *src = getenv("FK_TEST_SRC");
    char mp[1200];
    snprintf(mp, sizeof mp, "%s/tests/nn/tfgraph/model/patterns.json", src ? src : ".");
    fk__tfgraph_options o = {.verify = false, .max_bytes = 1 << 20};
    fk__tfgraph_info info;
    if (parity_one("patterns", mp, &o, &info))
        CHECK_MSG(info.n_lowered == 9 && info.outputs[0].rank == 2 && info.outputs[0].dims[0] == 2 &&
                      info.outputs[0].dims[1] == 1,
                  "patterns: %d executor nodes, output rank %d", info.n_lowered, info.outputs[0].rank);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/fk_test_tfgraph_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "cannot make a temporary folder\n");
        return 1;
    }
    test_small();
    test_patterns();
    char p[512];
    snprintf(p, sizeof p, "%s/g.json", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/g.bin", dir);
    unlink(p);
    rmdir(dir);

    const char *models = fk_test_models_dir();
    char human[900];
    snprintf(human, sizeof human, "%s/../human", models ? models : "");
    char probe[1100];
    snprintf(probe, sizeof probe, "%s/antispoof.json", human);
    if (!models || access(probe, R_OK) != 0) {
        int rc = fk_test_skip("tfjs parity of the human-models graph models", "models/human not fetched (make models)");
        fk_test_finish("test_tfgraph");
        return rc;
    }
    test_parity(human);
    return fk_test_finish("test_tfgraph");
}
