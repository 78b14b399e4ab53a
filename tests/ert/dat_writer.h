/* dat_writer.h: dlib's serialization (integers, floats, doubles) into a growing buffer, and small synthetic shape_predictor files, for the dlib-format tests and fuzz corpora. */
#ifndef FK_TEST_DAT_WRITER_H
#define FK_TEST_DAT_WRITER_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A growing byte buffer; on allocation failure `failed` is set and further writes are dropped. */
typedef struct dat_buf {
    uint8_t *data;
    size_t size, cap;
    int failed;
} dat_buf;

static inline void dat_put(dat_buf *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->size + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->size + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->size, p, n);
    b->size += n;
}

/* dlib's integer encoding: a control byte (length | 0x80 when negative), then the magnitude's
 * bytes, little-endian, at least one. */
static inline void dat_int(dat_buf *b, int64_t v)
{
    uint8_t buf[9];
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint8_t n = 0;
    do {
        buf[1 + n++] = (uint8_t)(mag & 0xFF);
        mag >>= 8;
    } while (mag);
    buf[0] = (uint8_t)(n | (v < 0 ? 0x80 : 0));
    dat_put(b, buf, 1u + n);
}

/* dlib's float encoding (float_details): mantissa = frexp(v) * 2^24 with trailing zero bytes
 * shifted off, exponent to match; both as integers. */
static inline void dat_float(dat_buf *b, float v)
{
    int e = 0;
    int64_t m = 0;
    int exp = 0;
    if (v != 0) {
        m = (int64_t)(frexpf(v, &e) * (float)(1 << 24));
        exp = e - 24;
        for (int i = 0; i < 8 && (m & 0xFF) == 0; i++) {
            m >>= 8;
            exp += 8;
        }
    }
    dat_int(b, m);
    dat_int(b, exp);
}

/* dlib's float_details for a double: mantissa = frexp(v) * 2^53 with trailing zero bytes shifted
 * off, exponent to match. */
static inline void dat_double(dat_buf *b, double v)
{
    int64_t m = 0;
    int exp = 0;
    if (v != 0) {
        int e;
        m = (int64_t)(frexp(v, &e) * 9007199254740992.0); /* 2^53 */
        exp = e - 53;
        for (int i = 0; i < 8 && (m & 0xFF) == 0; i++) {
            m >>= 8;
            exp += 8;
        }
    }
    dat_int(b, m);
    dat_int(b, exp);
}

/* A column vector matrix header in the current format (negated sizes). */
static inline void dat_colvec(dat_buf *b, const float *v, int n)
{
    dat_int(b, -(int64_t)n);
    dat_int(b, -1);
    for (int i = 0; i < n; i++)
        dat_float(b, v[i]);
}

/* A little deterministic generator for model contents. */
static inline float dat_rand(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (float)(*s & 0xFFFFFF) / (float)0x1000000; /* [0, 1) */
}

/* A valid model: `parts` points, `levels` cascade levels of `trees` complete trees of `depth`
 * (0 = a single leaf), `features` feature pixels per level; values drawn from seed. */
static inline void dat_model(dat_buf *b, int parts, int levels, int trees, int depth, int features, unsigned seed)
{
    unsigned s = seed ? seed : 1;
    const int vals = 2 * parts, splits = (1 << depth) - 1;
    float *v = malloc(sizeof(float) * (size_t)(vals > 2 ? vals : 2));
    if (!v) {
        b->failed = 1;
        return;
    }
    dat_int(b, 1); /* version */
    for (int i = 0; i < vals; i++)
        v[i] = 0.2f + 0.6f * dat_rand(&s);
    dat_colvec(b, v, vals);
    dat_int(b, levels);
    for (int l = 0; l < levels; l++) {
        dat_int(b, trees);
        for (int t = 0; t < trees; t++) {
            dat_int(b, splits);
            for (int k = 0; k < splits; k++) {
                dat_int(b, (int64_t)(dat_rand(&s) * features));
                dat_int(b, (int64_t)(dat_rand(&s) * features));
                dat_float(b, (dat_rand(&s) - 0.5f) * 60);
            }
            dat_int(b, splits + 1);
            for (int k = 0; k <= splits; k++) {
                for (int i = 0; i < vals; i++)
                    v[i] = (dat_rand(&s) - 0.5f) * 0.02f;
                dat_colvec(b, v, vals);
            }
        }
    }
    dat_int(b, levels); /* anchors */
    for (int l = 0; l < levels; l++) {
        dat_int(b, features);
        for (int f = 0; f < features; f++)
            dat_int(b, (int64_t)(dat_rand(&s) * parts));
    }
    dat_int(b, levels); /* deltas */
    for (int l = 0; l < levels; l++) {
        dat_int(b, features);
        for (int f = 0; f < features; f++) {
            dat_float(b, (dat_rand(&s) - 0.5f) * 0.3f);
            dat_float(b, (dat_rand(&s) - 0.5f) * 0.3f);
        }
    }
    free(v);
}

#endif
