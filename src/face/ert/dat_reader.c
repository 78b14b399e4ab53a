/* dat_reader.c: dlib's integer, float, count and matrix encodings read with every byte bounds-checked. */
#include "face/ert/dat_reader.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"

void fk__dat_init_mem(fk__dat_reader *r, const void *data, size_t size, const char *name, fk_error *err)
{
    memset(r, 0, sizeof *r);
    static const uint8_t empty[1] = {0};
    r->window = data ? (const uint8_t *)data : empty;
    r->p = r->window;
    r->end = r->window + (data ? size : 0);
    r->size = data ? size : 0;
    r->fd = -1;
    r->name = name ? name : "(memory)";
    r->err = err;
    r->status = FK_OK;
}

void fk__dat_init_fd(fk__dat_reader *r, int fd, uint64_t size, uint64_t limit, uint8_t *buf, size_t cap,
                     fk__sha256 *sha, const char *name, fk_error *err)
{
    memset(r, 0, sizeof *r);
    r->window = r->p = r->end = buf;
    r->size = size ? size : limit;
    r->fd = fd;
    r->buf = buf;
    r->cap = cap;
    r->sha = sha;
    r->name = name ? name : "(file)";
    r->err = err;
    r->status = FK_OK;
}

bool fk__dat_fail(fk__dat_reader *r, fk_status status, const char *fmt, ...)
{
    if (r->status != FK_OK)
        return false;
    r->status = status;
    char what[FK_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (r->ctx[0])
        fk__fail(r->err, status, "%s: at byte %llu (%s): %s", r->name, (unsigned long long)fk__dat_pos(r), r->ctx,
                 what);
    else
        fk__fail(r->err, status, "%s: at byte %llu: %s", r->name, (unsigned long long)fk__dat_pos(r), what);
    return false;
}

/* Reads more of the file after the unread bytes, which move to the buffer's start. */
static bool refill(fk__dat_reader *r)
{
    size_t keep = (size_t)(r->end - r->p);
    r->window_pos += (uint64_t)(r->p - r->window);
    memmove(r->buf, r->p, keep);
    r->window = r->p = r->buf;
    r->end = r->buf + keep;
    size_t got = 0;
    fk_error e;
    if (fk__file_read_some(r->fd, r->name, r->buf + keep, r->cap - keep, &got, &e) != FK_OK) {
        if (r->status == FK_OK) {
            r->status = e.status;
            if (r->err)
                *r->err = e;
        }
        return false;
    }
    if (r->sha)
        fk__sha256_update(r->sha, r->buf + keep, got);
    r->end += got;
    return got > 0;
}

bool fk__dat_fill(fk__dat_reader *r, size_t n, const char *what)
{
    if (r->status != FK_OK)
        return false;
    while ((size_t)(r->end - r->p) < n) {
        if (r->fd < 0 || !refill(r)) {
            if (r->status != FK_OK)
                return false;
            return fk__dat_fail(r, FK_E_BAD_FORMAT, "the file ends inside %s (truncated)", what);
        }
    }
    return true;
}

/* The control byte and magnitude of an integer; *neg only for signed types. */
static bool read_int(fk__dat_reader *r, bool is_signed, unsigned bytes, uint64_t *mag, bool *neg, const char *what)
{
    if (!fk__dat_fill(r, 1, what))
        return false;
    unsigned ctl = r->p[0];
    /* dlib masks a signed type's control byte with 0x0F (0x80 is the sign) and an unsigned
     * type's with 0x8F, so a sign bit on an unsigned value reads as an impossible length */
    unsigned n = is_signed ? (ctl & 0x0Fu) : (ctl & 0x8Fu);
    if (n == 0 || n > bytes)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "bad integer encoding (control byte 0x%02x) in %s", ctl, what);
    if (!fk__dat_fill(r, 1 + n, what))
        return false;
    uint64_t v = 0;
    for (unsigned i = n; i >= 1; i--)
        v = (v << 8) | r->p[i];
    r->p += 1 + n;
    *mag = v;
    *neg = is_signed && (ctl & 0x80u);
    return true;
}

bool fk__dat_uint(fk__dat_reader *r, unsigned bytes, uint64_t *v, const char *what)
{
    bool neg = false;
    *v = 0;
    return read_int(r, false, bytes, v, &neg, what);
}

bool fk__dat_int(fk__dat_reader *r, unsigned bytes, int64_t *v, const char *what)
{
    uint64_t mag = 0;
    bool neg = false;
    if (!read_int(r, true, bytes, &mag, &neg, what))
        return false;
    uint64_t max = bytes >= 8 ? (uint64_t)INT64_MAX : ((uint64_t)1 << (8 * bytes - 1)) - 1;
    if (mag > max)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "integer magnitude %llu out of range in %s",
                            (unsigned long long)mag, what);
    *v = neg ? -(int64_t)mag : (int64_t)mag;
    return true;
}

/* mantissa * 2^exponent as ldexpf gives it: a product by an exact power of two is correctly
 * rounded, as ldexpf is, whenever that power is a normal float. */
static float scale2(int64_t mantissa, int exponent)
{
    if (exponent >= -126 && exponent <= 127) {
        union {
            uint32_t u;
            float f;
        } p2 = {(uint32_t)(exponent + 127) << 23};
        return (float)mantissa * p2.f;
    }
    return ldexpf((float)mantissa, exponent);
}

/* The common case, with no bounds to refill: both integers well formed and in the window.
 * Anything else (including every error) goes the careful way below, from the same byte. */
static bool float_fast(fk__dat_reader *r, float *v)
{
    const uint8_t *p = r->p;
    unsigned c0 = p[0];
    unsigned n0 = c0 & 0x0Fu;
    if ((c0 & 0x70u) || n0 == 0 || n0 > 7) /* 8-byte mantissas take the careful way */
        return false;
    uint64_t mag = 0;
    for (unsigned i = n0; i >= 1; i--)
        mag = (mag << 8) | p[i];
    const uint8_t *q = p + 1 + n0;
    unsigned c1 = q[0];
    unsigned n1 = c1 & 0x0Fu;
    if (n1 == 0 || n1 > 2)
        return false;
    unsigned e = n1 == 1 ? q[1] : (unsigned)q[1] | ((unsigned)q[2] << 8);
    if (e > 32767 || ((c1 & 0x80u) == 0 && e >= 32000))
        return false;
    int64_t m = (c0 & 0x80u) ? -(int64_t)mag : (int64_t)mag;
    int ex = (c1 & 0x80u) ? -(int)e : (int)e;
    float f = scale2(m, ex);
    if (!isfinite(f))
        return false;
    *v = f;
    r->p = q + 1 + n1;
    return true;
}

bool fk__dat_float(fk__dat_reader *r, float *v, const char *what)
{
    if (r->status == FK_OK && r->end - r->p >= 12 && float_fast(r, v))
        return true;
    if (!fk__dat_fill(r, 1, what))
        return false;
    if (r->p[0] & 0x70u)
        return fk__dat_fail(r, FK_E_BAD_FORMAT,
                            "%s is not in dlib's binary float encoding (byte 0x%02x; corrupt, or dlib's old "
                            "text encoding, which is not supported)",
                            what, r->p[0]);
    int64_t mantissa, exponent;
    if (!fk__dat_int(r, 8, &mantissa, what) || !fk__dat_int(r, 2, &exponent, what))
        return false;
    if (exponent >= 32000)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%s is %s, which no model holds", what,
                            exponent == 32000 ? "inf" : exponent == 32001 ? "-inf" : "NaN");
    float f = scale2(mantissa, (int)exponent);
    if (!isfinite(f))
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%s overflows a float (mantissa %lld, exponent %lld)", what,
                            (long long)mantissa, (long long)exponent);
    *v = f;
    return true;
}

bool fk__dat_count(fk__dat_reader *r, size_t min_elem_bytes, uint64_t max, uint64_t *count, const char *what)
{
    uint64_t n;
    if (!fk__dat_uint(r, 8, &n, what))
        return false;
    if (n > max)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%s is %llu, more than the %llu this reader accepts", what,
                            (unsigned long long)n, (unsigned long long)max);
    uint64_t need;
    if (__builtin_mul_overflow(n, (uint64_t)min_elem_bytes, &need) || need > fk__dat_remaining(r))
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%s is %llu, but only %llu bytes remain (truncated or corrupt)",
                            what, (unsigned long long)n, (unsigned long long)fk__dat_remaining(r));
    *count = n;
    return true;
}

bool fk__dat_matrix_dims(fk__dat_reader *r, uint64_t max_dim, uint64_t *rows, uint64_t *cols, const char *what)
{
    int64_t nr, nc;
    if (!fk__dat_int(r, 8, &nr, what) || !fk__dat_int(r, 8, &nc, what))
        return false;
    /* the current format stores both negated; the old one both as they are */
    if (nr < 0 || nc < 0) {
        nr = -nr;
        nc = -nc;
    }
    if (nr < 0 || nc < 0)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%s is %lld x %lld, not a matrix size", what, (long long)nr,
                            (long long)nc);
    if ((uint64_t)nr > max_dim || (uint64_t)nc > max_dim)
        return fk__dat_fail(r, FK_E_BAD_FORMAT, "%s is %lld x %lld, larger than the %llu this reader accepts", what,
                            (long long)nr, (long long)nc, (unsigned long long)max_dim);
    *rows = (uint64_t)nr;
    *cols = (uint64_t)nc;
    return true;
}

fk_status fk__dat_drain(fk__dat_reader *r, fk_error *err)
{
    r->window = r->p = r->end = r->buf;
    if (r->fd < 0)
        return FK_OK;
    for (;;) {
        size_t got = 0;
        fk_status st = fk__file_read_some(r->fd, r->name, r->buf, r->cap, &got, err);
        if (st != FK_OK || got == 0)
            return st;
        if (r->sha)
            fk__sha256_update(r->sha, r->buf, got);
    }
}
