/* file.c: whole-file reads with a size limit; the only place that turns errno into file messages. */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checked.h"
#include "core/error.h"

/* strerror is not thread-safe; the XSI strerror_r (what _POSIX_C_SOURCE selects) is. */
static const char *errno_text(int errnum, char *buf, size_t n)
{
    if (strerror_r(errnum, buf, n) != 0)
        snprintf(buf, n, "error %d", errnum);
    return buf;
}

static fk_status open_error(const char *path, int errnum, fk_error *err)
{
    char text[128];
    switch (errnum) {
    case ENOENT:
    case ENOTDIR:
        return fk__fail(err, FK_E_NOT_FOUND, "%s: file not found", path);
    case EACCES:
    case EPERM:
        return fk__fail(err, FK_E_IO, "%s: permission denied", path);
    case EISDIR:
        return fk__fail(err, FK_E_IO, "%s: is a directory, not a file", path);
    default:
        return fk__fail(err, FK_E_IO, "%s: cannot open: %s", path, errno_text(errnum, text, sizeof text));
    }
}

fk_status fk__file_open_read(const char *path, int *fd, size_t *size_hint, fk_error *err)
{
    if (size_hint)
        *size_hint = 0;
    *fd = -1;
    if (!path || !*path)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "no file name given");
    int f;
    do
        f = open(path, O_RDONLY | O_CLOEXEC);
    while (f < 0 && errno == EINTR);
    if (f < 0)
        return open_error(path, errno, err);
    /* fstat on the open descriptor, not stat on the name: the file checked is the file read */
    struct stat st;
    if (fstat(f, &st) != 0) {
        int e = errno;
        close(f);
        return open_error(path, e, err);
    }
    if (S_ISDIR(st.st_mode)) {
        close(f);
        return open_error(path, EISDIR, err);
    }
    if (size_hint && S_ISREG(st.st_mode) && st.st_size > 0)
        *size_hint = (uintmax_t)st.st_size > SIZE_MAX ? SIZE_MAX : (size_t)st.st_size;
    *fd = f;
    return FK_OK;
}

fk_status fk__file_read_some(int fd, const char *path, void *buf, size_t n, size_t *got, fk_error *err)
{
    *got = 0;
    ssize_t r;
    do
        r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        char text[128];
        int e = errno;
        if (e == EISDIR)
            return open_error(path, e, err);
        return fk__fail(err, FK_E_IO, "%s: read error: %s", path, errno_text(e, text, sizeof text));
    }
    *got = (size_t)r;
    return FK_OK;
}

fk_status fk__file_read_all(const char *path, size_t max_bytes, void **data, size_t *size, fk_error *err)
{
    if (data)
        *data = NULL;
    if (size)
        *size = 0;
    if (!data || !size)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: no place to put the file's bytes", path ? path : "(null)");
    /* the buffer holds one byte more than the data (the '\0'), so keep that sum in range */
    if (max_bytes > SIZE_MAX - 1)
        max_bytes = SIZE_MAX - 1;

    int fd = -1;
    size_t hint = 0;
    fk_status st = fk__file_open_read(path, &fd, &hint, err);
    if (st != FK_OK)
        return st;
    unsigned char *buf = NULL;
    size_t len = 0;
    if (hint > max_bytes) {
        st = fk__fail(err, FK_E_LIMIT, "%s: %zu bytes, more than the limit of %zu bytes", path, hint, max_bytes);
        goto done;
    }
    /* A regular file is read into a buffer of its size; a pipe (or a file that grows while we
     * read) grows the buffer geometrically up to max_bytes. */
    size_t cap = hint;
    buf = malloc(cap + 1);
    if (!buf) {
        st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for %zu bytes", path, cap);
        goto done;
    }
    for (;;) {
        size_t got = 0;
        if (len < cap) {
            st = fk__file_read_some(fd, path, buf + len, cap - len, &got, err);
            if (st != FK_OK)
                goto done;
            if (got == 0)
                break;
            len += got;
            continue;
        }
        /* full: one byte more tells end of file from more data without growing for nothing */
        unsigned char probe;
        st = fk__file_read_some(fd, path, &probe, 1, &got, err);
        if (st != FK_OK)
            goto done;
        if (got == 0)
            break;
        if (cap >= max_bytes) {
            st = fk__fail(err, FK_E_LIMIT, "%s: more than the limit of %zu bytes", path, max_bytes);
            goto done;
        }
        size_t next;
        if (cap < 65536)
            next = 65536;
        else if (!fk__mul_size(cap, 2, &next))
            next = max_bytes;
        if (next > max_bytes)
            next = max_bytes;
        unsigned char *grown = realloc(buf, next + 1);
        if (!grown) {
            st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for %zu bytes", path, next);
            goto done;
        }
        buf = grown;
        cap = next;
        buf[len++] = probe;
    }
    buf[len] = '\0';
    *data = buf;
    *size = len;
    buf = NULL;
done:
    free(buf);
    close(fd);
    return st;
}
