/* fuzz_dlib_dnn.c: libFuzzer target for the dlib DNN reader (nn/load/dlib_dnn.c), and the graph builder and MMOD detector on whatever parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "face/dlib/dlib_nets.h"
#include "nn/load/dlib_dnn.h"

/* The input is a whole .dat file, parsed from memory (no pin applies to the name). A net that
 * parses is built as a graph on a small input (the tag-free wiring: nets with tags are refused
 * by the builder, which is part of what is fuzzed) and tried as dlib's ResNet; an MMOD net runs
 * on a small image, so the detector's geometry is fuzzed with the parser.
 * The seeds (fuzz/corpus/fuzz_dlib_dnn) are synthetic nets of tests/dlib/dnn_writer.h, cut and
 * damaged, and the real detector's first 3 KB, written by
 *   FK_TEST_WRITE_SEEDS=fuzz/corpus/fuzz_dlib_dnn build/tests/test_dlib_dnn_robust */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fk__dlib_net *net = NULL;
    fk_error err;
    err.message[0] = 0;
    fk_status st = fk__dlib_dnn_parse(data, size, "fuzz.dat", &net, &err);
    if (st != FK_OK) {
        if (net || !err.message[0] || !memchr(err.message, 0, sizeof err.message))
            abort(); /* a failure must leave no object and say why */
        return 0;
    }
    if (net->n_layers < 1)
        abort();
    /* parameters bound the work: skip nets whose layers would take long on a 48 x 40 input */
    size_t params = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const fk__dlib_layer *l = &net->layers[i];
        if (l->kind == FK__DLIB_CON)
            params += (size_t)l->u.con.num_filters * l->u.con.k * l->u.con.nr * l->u.con.nc;
        if (l->kind == FK__DLIB_FC)
            params += (size_t)l->u.fc.num_inputs * l->u.fc.num_outputs;
    }
    if (params > 20000) {
        fk__dlib_net_free(net);
        return 0;
    }
    fk__graph *g = NULL;
    st = fk__dlib_graph_build(net, NULL, fk__shape_make(1, 40, 48, 3), "fuzz", &g, &err);
    if ((st == FK_OK) != (g != NULL) || (st != FK_OK && !err.message[0]))
        abort();
    if (g) {
        fk__plan *p = NULL;
        if (fk__plan_new(g, 1, FK__KERNELS_FAST, &p, &err) == FK_OK) {
            float *in = fk__plan_input(p);
            for (int i = 0; i < 40 * 48 * 3; i++)
                in[i] = (float)((i * 37) % 255) / 256.0f - 0.5f;
            fk__plan_run(p);
            fk__plan_free(p);
        }
        fk__graph_free(g);
    }
    g = NULL;
    if (fk__dlib_resnet_from_net(net, &g, &err) == FK_OK)
        fk__graph_free(g);
    if (net->loss.kind == FK__DLIB_LOSS_MMOD) {
        fk__mmod *m = NULL;
        if (fk__mmod_from_net(net, 6, &m, &err) == FK_OK) { /* takes net */
            enum { W = 48, H = 40 };
            static uint8_t rgb[W * H * 3];
            for (int i = 0; i < W * H * 3; i++)
                rgb[i] = (uint8_t)(i * 7 + (i >> 5));
            fk_image img = {W, H, (size_t)W * 3, rgb};
            fk__mmod_rect *d = NULL;
            size_t n = 0;
            fk__mmod_run run = {.adjust_threshold = -1e30};
            if (fk__mmod_detect(m, &img, 0, &run, &d, &n, &err) != FK_OK && (d || n))
                abort();
            free(d);
            fk__mmod_free(m);
        }
        return 0;
    }
    fk__dlib_net_free(net);
    return 0;
}
