/* model_file.c: the trained model's file (FKTN): its net, weights and running statistics, and a checkpoint's training state; checked by a SHA-256 at its end.
 *
 * Layout, little-endian, version 1 (docs/TRAINING.md):
 *   "FKTN" u32 version u32 kind (1 model, 2 checkpoint)
 *   str arch, i32 h w c, str base (the embedder whose descriptors a head takes; "" for images),
 *   f32 threshold (the distance threshold calibrated on the tuning pairs; 0: none)
 *   u64 n, n × f32 params; u64 n, n × f32 state
 *   checkpoint only: str loss, i32 classes, u64 n, n × f32 class matrices, u64 n, n × f32 optimiser
 *   moments (net, then classes), i64 optimiser steps (net, classes), i32 epochs done, u64 dropout rng
 *   32 bytes: SHA-256 of everything before
 * str is u32 length and bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "core/sha256.h"
#include "train/net_internal.h"
#include "train/trainer_internal.h"

#define MAGIC "FKTN"
#define VERSION 1u
#define MAX_FILE ((size_t)1 << 31)

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *v, size_t n)
{
    if (b->oom || n == 0) /* an empty string's bytes may be NULL */
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}

static void put_u32(wbuf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    put(b, c, 4);
}

static void put_u64(wbuf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(wbuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

static void put_f32s(wbuf *b, const float *v, size_t n)
{
    put_u64(b, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        put_u32(b, u);
    }
}

fk_status fk__train_write(const char *path, const fk_tnet *net, const char *base, float threshold,
                          const fk__train_ckpt *ck, fk_error *err)
{
    wbuf b = {0};
    put(&b, MAGIC, 4);
    put_u32(&b, VERSION);
    put_u32(&b, ck ? 2 : 1);
    put_str(&b, net->arch);
    put_u32(&b, (uint32_t)net->in.h);
    put_u32(&b, (uint32_t)net->in.w);
    put_u32(&b, (uint32_t)net->in.c);
    put_str(&b, base);
    uint32_t tu;
    memcpy(&tu, &threshold, 4);
    put_u32(&b, tu);
    put_f32s(&b, net->params, net->nparams);
    put_f32s(&b, net->state, net->nstate);
    if (ck) {
        put_str(&b, ck->loss);
        put_u32(&b, (uint32_t)ck->classes);
        put_f32s(&b, ck->class_w, ck->class_count);
        put_f32s(&b, ck->moments, ck->moment_count);
        put_u64(&b, (uint64_t)ck->steps[0]);
        put_u64(&b, (uint64_t)ck->steps[1]);
        put_u32(&b, (uint32_t)ck->epochs_done);
        put_u64(&b, ck->rng);
    }
    if (b.oom) {
        free(b.p);
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory writing the model", path);
    }
    unsigned char digest[32];
    fk__sha256 s;
    fk__sha256_init(&s);
    fk__sha256_update(&s, b.p, b.n);
    fk__sha256_final(&s, digest);
    put(&b, digest, 32);
    /* written beside and renamed, so a kill mid-write leaves the previous file whole */
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 8);
    fk_status st = FK_OK;
    if (!tmp || b.oom) {
        st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory writing the model", path);
        goto done;
    }
    snprintf(tmp, plen + 8, "%s.part", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = fk__fail(err, FK_E_IO, "%s: cannot write", tmp);
        goto done;
    }
    size_t wr = fwrite(b.p, 1, b.n, f);
    int bad = wr != b.n || fflush(f) != 0;
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        st = fk__fail(err, FK_E_IO, "%s: write failed", tmp);
        goto done;
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        st = fk__fail(err, FK_E_IO, "%s: cannot rename to %s", tmp, path);
    }
done:
    free(tmp);
    free(b.p);
    return st;
}

typedef struct rbuf {
    const unsigned char *p;
    size_t n, at;
    int bad;
} rbuf;

static const unsigned char *take(rbuf *r, size_t n)
{
    if (r->bad || n > r->n - r->at) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *q = r->p + r->at;
    r->at += n;
    return q;
}

static uint32_t get_u32(rbuf *r)
{
    const unsigned char *c = take(r, 4);
    return c ? (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24 : 0;
}

static uint64_t get_u64(rbuf *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static char *get_str(rbuf *r)
{
    uint32_t n = get_u32(r);
    if (n > 4096) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *c = take(r, n);
    char *s = c ? malloc((size_t)n + 1) : NULL;
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, c, n);
    s[n] = 0;
    if (strlen(s) != n) { /* an embedded NUL */
        free(s);
        r->bad = 1;
        return NULL;
    }
    return s;
}

/* n floats into a fresh array; the count must be `want` when want != SIZE_MAX */
static float *get_f32s(rbuf *r, size_t want, size_t *count)
{
    uint64_t n = get_u64(r);
    if (r->bad || (want != SIZE_MAX && n != want) || n > (r->n - r->at) / 4) {
        r->bad = 1;
        return NULL;
    }
    float *v = malloc(n ? (size_t)n * 4 : 1);
    if (!v) {
        r->bad = 1;
        return NULL;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint32_t u = get_u32(r);
        memcpy(&v[i], &u, 4);
    }
    if (count)
        *count = (size_t)n;
    return v;
}

fk_status fk__train_read(const char *path, fk_tnet **out, char **base, float *threshold, fk__train_ckpt *ck,
                         fk_error *err)
{
    *out = NULL;
    void *data = NULL;
    size_t size = 0;
    fk_status st = fk__file_read_all(path, MAX_FILE, &data, &size, err);
    if (st != FK_OK)
        return st;
    st = fk__train_parse(data, size, path, out, base, threshold, ck, err);
    free(data);
    return st;
}

fk_status fk__train_parse(const void *bytes, size_t size, const char *path, fk_tnet **out, char **base,
                          float *threshold, fk__train_ckpt *ck, fk_error *err)
{
    *out = NULL;
    if (base)
        *base = NULL;
    const unsigned char *p = bytes;
    fk_status st = FK_OK;
    if (size < 4 + 32 || memcmp(p, MAGIC, 4) != 0)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: not a facekit trained model (no FKTN header)", path);
    unsigned char digest[32];
    fk__sha256 s;
    fk__sha256_init(&s);
    fk__sha256_update(&s, p, size - 32);
    fk__sha256_final(&s, digest);
    if (memcmp(digest, p + size - 32, 32) != 0)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: damaged (its SHA-256 does not match: cut short or altered)", path);
    rbuf r = {p, size - 32, 4, 0};
    uint32_t version = get_u32(&r), kind = get_u32(&r);
    if (version != VERSION) {
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: model file version %u; this facekit reads version %u", path,
                        version, VERSION);
    }
    if (kind != 1 && kind != 2) {
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: unknown kind %u", path, kind);
    }
    if (ck && kind != 2) {
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: a finished model, not a checkpoint: nothing to resume", path);
    }
    char *arch = get_str(&r);
    if (!arch) /* the header is cut short: reported below */
        r.bad = 1;
    int h = (int)get_u32(&r), w = (int)get_u32(&r), c = (int)get_u32(&r);
    char *b = get_str(&r);
    uint32_t tu = get_u32(&r);
    fk_tnet *net = NULL;
    if (r.bad) {
        st = fk__fail(err, FK_E_BAD_FORMAT, "%s: the header is cut short", path);
        goto fail;
    }
    fk_error aerr = {0};
    st = fk__tnet_new_limited(arch, h, w, c, 0, (r.n - r.at) / 4, &net, &aerr);
    if (st != FK_OK) {
        st = fk__fail(err, FK_E_BAD_FORMAT, "%s: its architecture does not fit the file: %s", path, aerr.message);
        goto fail;
    }
    float *pv = get_f32s(&r, net->nparams, NULL);
    float *sv = pv ? get_f32s(&r, net->nstate, NULL) : NULL;
    if (!pv || !sv) {
        free(pv);
        st = fk__fail(err, FK_E_BAD_FORMAT, "%s: the weights do not fit the architecture '%s'", path, arch);
        goto fail;
    }
    memcpy(net->params, pv, net->nparams * 4);
    memcpy(net->state, sv, net->nstate * 4);
    free(pv);
    free(sv);
    if (ck) {
        memset(ck, 0, sizeof *ck);
        ck->loss = get_str(&r);
        ck->classes = (int)get_u32(&r);
        ck->class_w = get_f32s(&r, SIZE_MAX, &ck->class_count);
        ck->moments = ck->class_w ? get_f32s(&r, SIZE_MAX, &ck->moment_count) : NULL;
        ck->steps[0] = (long long)get_u64(&r);
        ck->steps[1] = (long long)get_u64(&r);
        ck->epochs_done = (int)get_u32(&r);
        ck->rng = get_u64(&r);
        if (r.bad) {
            fk__train_ckpt_free(ck);
            st = fk__fail(err, FK_E_BAD_FORMAT, "%s: the training state is cut short", path);
            goto fail;
        }
        net->rng = ck->rng;
    }
    if (r.at != r.n) {
        if (ck)
            fk__train_ckpt_free(ck);
        st = fk__fail(err, FK_E_BAD_FORMAT, "%s: %zu bytes after the end of the model", path, r.n - r.at);
        goto fail;
    }
    memcpy(threshold, &tu, 4);
    free(arch);
    if (base)
        *base = b;
    else
        free(b);
    *out = net;
    return FK_OK;
fail:
    fk_tnet_free(net);
    free(arch);
    free(b);
    return st;
}

void fk__train_ckpt_free(fk__train_ckpt *ck)
{
    free(ck->loss);
    free(ck->class_w);
    free(ck->moments);
    memset(ck, 0, sizeof *ck);
}
