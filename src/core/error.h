/* error.h: filling fk_error records and handle messages; every failure path goes through here. */
#ifndef FK_CORE_ERROR_H
#define FK_CORE_ERROR_H

#include <stdarg.h>
#include "facekit/status.h"

#if defined(__GNUC__)
#define FK__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FK__PRINTF(a, b)
#endif

/* Writes status and a formatted one-line message into err (if not NULL); returns status,
 * so a failure reads `return fk__fail(err, FK_E_IO, "%s: cannot open", path);`. */
fk_status fk__fail(fk_error *err, fk_status status, const char *fmt, ...) FK__PRINTF(3, 4);
fk_status fk__vfail(fk_error *err, fk_status status, const char *fmt, va_list ap);

/* Prefixes an existing message with "prefix: " (used to add a file name to a nested error). */
void fk__error_prefix(fk_error *err, const char *prefix);

#endif
