/* sha256.h: SHA-256 (FIPS 180-4), incremental and one-shot, used to check model files against their pins. */
#ifndef FK_CORE_SHA256_H
#define FK_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/status.h"

/* Usage:
 *     fk__sha256 s;
 *     fk__sha256_init(&s);
 *     fk__sha256_update(&s, part1, n1);
 *     fk__sha256_update(&s, part2, n2);
 *     uint8_t digest[FK__SHA256_SIZE];
 *     fk__sha256_final(&s, digest);
 * The context is plain data on the caller's stack; nothing is allocated. */
#define FK__SHA256_SIZE 32
#define FK__SHA256_HEX_SIZE 65 /* 64 lowercase hex digits and a NUL */

typedef struct fk__sha256 {
    uint32_t h[8];        /* the chaining state */
    uint64_t bytes;       /* message length so far, in bytes (FIPS allows < 2^64 bits) */
    uint8_t block[64];    /* a partial block waiting for more input */
    size_t fill;          /* bytes used in block, 0..63 */
} fk__sha256;

void fk__sha256_init(fk__sha256 *s);
/* data may be NULL when n is 0. */
void fk__sha256_update(fk__sha256 *s, const void *data, size_t n);
/* Writes the digest; the context must be initialised again before reuse. */
void fk__sha256_final(fk__sha256 *s, uint8_t digest[FK__SHA256_SIZE]);

/* The digest as 64 lowercase hex digits and a NUL. */
void fk__sha256_to_hex(const uint8_t digest[FK__SHA256_SIZE], char hex[FK__SHA256_HEX_SIZE]);
/* The hex digest of one buffer (data may be NULL when n is 0). */
void fk__sha256_hex(const void *data, size_t n, char hex[FK__SHA256_HEX_SIZE]);
/* The hex digest of a file's contents, read in pieces (any size works).
 * Returns FK_OK, or the fk__file_open_read / read errors (FK_E_NOT_FOUND, FK_E_IO) naming path. */
fk_status fk__sha256_file(const char *path, char hex[FK__SHA256_HEX_SIZE], fk_error *err);

#endif
