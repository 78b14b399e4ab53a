/* file.h: reading whole files with limits and one-line errors that name the file and the reason. */
#ifndef FK_CORE_FILE_H
#define FK_CORE_FILE_H

#include <stddef.h>

#include "facekit/status.h"

/* Reads the whole file at path into a new buffer.
 * On FK_OK, *data holds *size bytes followed by one extra '\0' (not counted in *size), so text
 * can be parsed in place; the caller frees *data with free(). On failure *data is NULL, *size 0.
 * A file larger than max_bytes is refused before it is read (regular files) or as soon as the
 * limit is passed (pipes, growing files). Errors, each naming path:
 *   FK_E_NOT_FOUND  the file (or a folder on its path) does not exist
 *   FK_E_IO         permission denied, path is a directory, or a read error
 *   FK_E_LIMIT      larger than max_bytes
 *   FK_E_NO_MEMORY  the buffer could not be allocated
 *   FK_E_INVALID_ARGUMENT  path, data or size is NULL */
fk_status fk__file_read_all(const char *path, size_t max_bytes, void **data, size_t *size, fk_error *err);

/* The two steps fk__file_read_all is made of, for readers that stream (sha256 of a file).
 * fk__file_open_read opens path read-only (close-on-exec) and refuses a directory, with the
 * errors above; *size_hint (may be NULL) gets the size of a regular file, else 0.
 * fk__file_read_some reads up to n bytes, retrying interrupted reads; *got is 0 at end of file. */
fk_status fk__file_open_read(const char *path, int *fd, size_t *size_hint, fk_error *err);
fk_status fk__file_read_some(int fd, const char *path, void *buf, size_t n, size_t *got, fk_error *err);

#endif
