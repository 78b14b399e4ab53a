/* base64.h: base64 encoding and strict decoding (RFC 4648, padded). */
#ifndef FK_CORE_BASE64_H
#define FK_CORE_BASE64_H

#include <stddef.h>

/* A NUL-terminated string; NULL when out of memory. free() it. */
char *fk__base64_encode(const unsigned char *p, size_t n);
/* The bytes, their count in *size; NULL for text that is not padded base64 (or out of memory). */
unsigned char *fk__base64_decode(const char *s, size_t *size);

#endif
