/* dat_reader.h: a bounds-checked reader of dlib's serialization encodings (integers, floats, counts) over memory or a file. */
#ifndef FK_FACE_ERT_DAT_READER_H
#define FK_FACE_ERT_DAT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sha256.h"
#include "facekit/status.h"

/* dlib's stream encodings (dlib/serialize.h, dlib/float_details.h, dlib/matrix serialization),
 * as this reader accepts them:
 *   integer   a control byte, then n = (control & 0x0F) little-endian bytes of the magnitude,
 *             1 <= n <= sizeof the C++ type; bit 0x80 is the sign (signed types only: for an
 *             unsigned type a set sign bit is an error, as in dlib). Bits 0x70 are ignored.
 *   float     float_details: a signed 64-bit mantissa then a signed 16-bit exponent, both as
 *             integers; the value is ldexpf((float)mantissa, exponent). Exponents 32000..32002
 *             mean inf, -inf and NaN, which a model never holds: they are refused here. dlib's
 *             pre-2013 text encoding (a first byte with a bit of 0x70 set) is refused too.
 *   count     a std::vector's size: an unsigned long (8 bytes), then that many elements.
 *   matrix    rows and columns as signed longs (negated in the current format), then the
 *             elements row by row.
 *
 * Every read checks what is left of the stream; a count is refused when even its smallest
 * possible elements could not fit in the bytes that remain, so a damaged count can never make
 * the caller allocate more than a small multiple of the file's size. The first failure is
 * sticky: it is recorded once (FK_E_BAD_FORMAT "NAME: at byte N: ...", N being where reading
 * stopped, or the I/O error) and
 * every later read fails at once, so a parser may check only where it must stop. */

typedef struct fk__dat_reader {
    const uint8_t *p, *end; /* the unread bytes of the current window */
    uint64_t window_pos;    /* stream offset of the window's first byte */
    const uint8_t *window;  /* the window's first byte */
    uint64_t size;          /* the stream's size (a file: its size when known, else a limit) */
    /* a file source (fd >= 0); memory sources have fd < 0 and the whole stream as the window */
    int fd;
    uint8_t *buf;
    size_t cap;
    fk__sha256 *sha; /* every byte read from the file goes through it (NULL: no hash) */
    const char *name; /* the file name for messages */
    char ctx[96];     /* where the parser is ("forest 3, tree 17"), added to messages when set */
    fk_error *err;
    fk_status status; /* FK_OK until the first failure */
} fk__dat_reader;

/* Over size bytes at data (not copied; they must outlive the reader). */
void fk__dat_init_mem(fk__dat_reader *r, const void *data, size_t size, const char *name, fk_error *err);
/* Over an open file of `size` bytes (or, size 0, of unknown size up to `limit` bytes), read
 * through buf (cap >= 64 bytes, owned by the caller); sha (may be NULL) sees every byte. */
void fk__dat_init_fd(fk__dat_reader *r, int fd, uint64_t size, uint64_t limit, uint8_t *buf, size_t cap,
                     fk__sha256 *sha, const char *name, fk_error *err);

/* Records a failure (the first one only) as "NAME: at byte N: message" and returns false. */
bool fk__dat_fail(fk__dat_reader *r, fk_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The stream offset of the next unread byte, and how many bytes are left after it. */
static inline uint64_t fk__dat_pos(const fk__dat_reader *r)
{
    return r->window_pos + (uint64_t)(r->p - r->window);
}
static inline uint64_t fk__dat_remaining(const fk__dat_reader *r)
{
    uint64_t pos = fk__dat_pos(r);
    return pos < r->size ? r->size - pos : 0;
}

/* Makes at least n (<= 64) bytes readable at r->p, refilling from the file; false at the
 * end of the stream (recorded as a truncation naming `what`) or on a read error. */
bool fk__dat_fill(fk__dat_reader *r, size_t n, const char *what);

/* An unsigned integer of a C++ type of `bytes` bytes (1..8). `what` names it in messages. */
bool fk__dat_uint(fk__dat_reader *r, unsigned bytes, uint64_t *v, const char *what);
/* A signed integer of a C++ type of `bytes` bytes; magnitudes beyond the type's range are refused. */
bool fk__dat_int(fk__dat_reader *r, unsigned bytes, int64_t *v, const char *what);
/* A float (float_details); non-finite values are refused. */
bool fk__dat_float(fk__dat_reader *r, float *v, const char *what);
/* A std::vector's element count, at most `max`, and such that count * min_elem_bytes fits in
 * what remains of the stream. */
bool fk__dat_count(fk__dat_reader *r, size_t min_elem_bytes, uint64_t max, uint64_t *count, const char *what);
/* A matrix header: rows and columns (either format), each at most max_dim. */
bool fk__dat_matrix_dims(fk__dat_reader *r, uint64_t max_dim, uint64_t *rows, uint64_t *cols, const char *what);

/* Reads the rest of the file (so the hash covers all of it) without parsing; the reader is done
 * after this. FK_OK, or the read error (written to err, which may differ from the reader's). */
fk_status fk__dat_drain(fk__dat_reader *r, fk_error *err);

/* The smallest encodings, for fk__dat_count: an integer takes 2 bytes, a float 4. */
#define FK__DAT_MIN_INT 2u
#define FK__DAT_MIN_FLOAT 4u

#endif
