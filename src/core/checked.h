/* checked.h: overflow-checked size arithmetic; every w*h*c in facekit goes through these. */
#ifndef FK_CORE_CHECKED_H
#define FK_CORE_CHECKED_H

#include <stdbool.h>
#include <stddef.h>

/* Each returns false (and leaves *out unspecified) when the result does not fit. */
static inline bool fk__mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static inline bool fk__add_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

static inline bool fk__mul3_size(size_t a, size_t b, size_t c, size_t *out)
{
    size_t ab;
    return fk__mul_size(a, b, &ab) && fk__mul_size(ab, c, out);
}

static inline bool fk__mul4_size(size_t a, size_t b, size_t c, size_t d, size_t *out)
{
    size_t abc;
    return fk__mul3_size(a, b, c, &abc) && fk__mul_size(abc, d, out);
}

#endif
