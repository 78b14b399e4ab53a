/* test_train_torch.c: the same nets, weights and batches as PyTorch (tests/train/fixtures, tools/gen_train_fixtures.py): loss, gradients and one optimiser step within 1e-4. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "facekit/train.h"
#include "harness.h"

#define TOL 1e-4 /* relative, as |c - torch| / max(|torch|) over a tensor, float32 on both sides */

static float *floats(const cJSON *j, const char *key, size_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);
    *n = (size_t)cJSON_GetArraySize(a);
    float *v = malloc((*n ? *n : 1) * sizeof *v);
    size_t i = 0;
    for (const cJSON *e = a ? a->child : NULL; e; e = e->next)
        v[i++] = (float)e->valuedouble;
    return v;
}

static double num(const cJSON *j, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(j, key)->valuedouble;
}

/* max |a - b| over max |b|: a scale-free error that a single wrong element cannot hide in */
static double rel_err(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return m > 0 ? d / m : d;
}

static void run_fixture(const char *path, int reference)
{
    size_t len = 0;
    char *text = NULL;
    fk_error err = {0};
    if (fk__file_read_all(path, 1 << 24, (void **)&text, &len, &err) != FK_OK) {
        CHECK_MSG(0, "%s", err.message);
        return;
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    CHECK_MSG(j != NULL, "%s: not JSON", path);
    if (!j)
        return;
    const char *name = cJSON_GetObjectItemCaseSensitive(j, "name")->valuestring;
    const char *arch = cJSON_GetObjectItemCaseSensitive(j, "arch")->valuestring;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(j, "input");
    int h = cJSON_GetArrayItem(in, 0)->valueint, w = cJSON_GetArrayItem(in, 1)->valueint,
        c = cJSON_GetArrayItem(in, 2)->valueint;
    const cJSON *lab = cJSON_GetObjectItemCaseSensitive(j, "labels");
    int b = cJSON_GetArraySize(lab), classes = (int)num(j, "classes");
    int *y = malloc((size_t)b * sizeof *y);
    for (int i = 0; i < b; i++)
        y[i] = cJSON_GetArrayItem(lab, i)->valueint;
    const cJSON *oj = cJSON_GetObjectItemCaseSensitive(j, "options");
    fk_loss_options o;
    fk_loss_options_init(&o, (fk_loss)fk_loss_from_name(cJSON_GetObjectItemCaseSensitive(oj, "loss")->valuestring));
    o.mining = (fk_mining)fk_mining_from_name(cJSON_GetObjectItemCaseSensitive(oj, "mining")->valuestring);
    o.margin = num(oj, "margin"), o.scale = num(oj, "scale"), o.gamma = num(oj, "gamma"), o.alpha = num(oj, "alpha");
    o.keep = num(oj, "keep"), o.seed = (uint64_t)num(oj, "seed");

    size_t nx, np, nw, ng, ncg, nsgd, nadam;
    float *x = floats(j, "x", &nx), *p = floats(j, "params", &np), *cm = floats(j, "class_matrix", &nw);
    float *tg = floats(j, "grads", &ng), *tcg = floats(j, "class_grads", &ncg);
    float *sgd = floats(j, "after_sgd", &nsgd), *adam = floats(j, "after_adam", &nadam);
    fk_tnet *net = NULL;
    CHECK_OK(fk_tnet_new(arch, h, w, c, 1, &net, &err));
    if (!net) {
        fprintf(stderr, "%s: %s\n", name, err.message);
        goto done;
    }
    CHECK_MSG(fk_tnet_param_count(net) == np, "%s: %zu parameters here, %zu in the fixture", name,
              fk_tnet_param_count(net), np);
    CHECK(nx == (size_t)b * h * w * c);
    if (fk_tnet_param_count(net) != np)
        goto done;
    memcpy(fk_tnet_params(net), p, np * sizeof *p);
    fk_tnet_set_reference(net, reference);
    const float *emb = NULL;
    CHECK_OK(fk_tnet_forward(net, x, b, 1, &emb, &err));
    int d = fk_tnet_out_dim(net);
    float *dx = calloc((size_t)b * d, sizeof *dx), *dw = calloc(nw ? nw : 1, sizeof *dw);
    fk_loss_result r;
    CHECK_OK(fk_loss_eval(&o, emb, b, d, y, nw ? cm : NULL, classes, dx, nw ? dw : NULL, &r, &err));
    double tl = num(j, "loss");
    double le = fabs(r.value - tl) / fmax(fabs(tl), 1e-12);
    CHECK_MSG(le <= TOL, "%s: loss %.9g, PyTorch %.9g", name, r.value, tl);
    fk_tnet_zero_grad(net);
    CHECK_OK(fk_tnet_backward(net, dx, &err));
    double ge = rel_err(fk_tnet_grads(net), tg, ng);
    CHECK_MSG(ge <= TOL, "%s: parameter gradients differ from PyTorch's by %.3g", name, ge);
    double ce = ncg ? rel_err(dw, tcg, ncg) : 0;
    CHECK_MSG(ce <= TOL, "%s: class-matrix gradient differs from PyTorch's by %.3g", name, ce);
    /* one step of each optimiser from PyTorch's gradients, so a step checks the update alone */
    double se = 0, ae = 0;
    for (int k = 0; k < 2; k++) {
        fk_optim_options oo;
        fk_optim_options_init(&oo, k ? FK_OPTIM_ADAM : FK_OPTIM_SGD);
        oo.lr = k ? 1e-3 : 0.1;
        oo.weight_decay = 5e-4;
        fk_optim *opt = NULL;
        CHECK_OK(fk_optim_new(&oo, np, &opt, &err));
        float *q = malloc(np * sizeof *q);
        memcpy(q, p, np * sizeof *q);
        fk_optim_step(opt, q, tg, oo.lr);
        /* the step's size sets the scale: compare the change, not the parameters */
        float *dq = malloc(np * sizeof *dq), *dt = malloc(np * sizeof *dt);
        for (size_t i = 0; i < np; i++) {
            dq[i] = q[i] - p[i];
            dt[i] = (k ? adam : sgd)[i] - p[i];
        }
        *(k ? &ae : &se) = rel_err(dq, dt, np);
        free(dq);
        free(dt);
        free(q);
        fk_optim_free(opt);
    }
    CHECK_MSG(se <= TOL, "%s: SGD step differs from PyTorch's by %.3g of its size", name, se);
    CHECK_MSG(ae <= TOL, "%s: Adam step differs from PyTorch's by %.3g of its size", name, ae);
    printf("  %-9s %-24s loss %.6f (torch %.6f)  errors: loss %.1e, grads %.1e, class grads %.1e, sgd %.1e, adam %.1e\n",
           reference ? "reference" : "sgemm", name, r.value, tl, le, ge, ce, se, ae);
    free(dx);
    free(dw);
done:
    fk_tnet_free(net);
    free(x), free(p), free(cm), free(tg), free(tcg), free(sgd), free(adam), free(y);
    cJSON_Delete(j);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    const char *src = getenv("FK_TEST_SRC");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/train/fixtures", src ? src : ".");
    DIR *dd = opendir(dir);
    CHECK_MSG(dd != NULL, "%s: no fixtures", dir);
    if (!dd)
        return fk_test_finish("train vs PyTorch");
    char *names[64];
    int n = 0;
    for (struct dirent *e; (e = readdir(dd)) && n < 64;)
        if (strstr(e->d_name, ".json"))
            names[n++] = strdup(e->d_name);
    closedir(dd);
    qsort(names, (size_t)n, sizeof *names, cmp_name);
    CHECK_MSG(n >= 17, "%d fixtures, expected one per loss and mining, two scaled softmaxes and the CNNs (17)", n);
    for (int i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        run_fixture(path, 1); /* the plain kernels */
        run_fixture(path, 0); /* and the fast ones */
        free(names[i]);
    }
    return fk_test_finish("train vs PyTorch");
}
