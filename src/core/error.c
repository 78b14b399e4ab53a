/* error.c: formatting of error messages into fk_error records. */
#include "core/error.h"

#include <stdio.h>
#include <string.h>

fk_status fk__vfail(fk_error *err, fk_status status, const char *fmt, va_list ap)
{
    if (err) {
        err->status = status;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        /* keep it one line: a message is printed as `facekit: <message>` */
        for (char *p = err->message; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
    return status;
}

fk_status fk__fail(fk_error *err, fk_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fk__vfail(err, status, fmt, ap);
    va_end(ap);
    return status;
}

void fk__error_prefix(fk_error *err, const char *prefix)
{
    if (!err || !prefix)
        return;
    char tmp[FK_ERROR_MESSAGE_MAX];
    /* a message too long for the record is cut, never overrun */
    int n = snprintf(tmp, sizeof tmp, "%s: ", prefix);
    if (n < 0 || (size_t)n >= sizeof tmp)
        n = 0;
    snprintf(tmp + n, sizeof tmp - (size_t)n, "%.*s", (int)(sizeof tmp - (size_t)n - 1), err->message);
    memcpy(err->message, tmp, sizeof tmp);
}
