/* facekit/status.h: status codes and the error record every fallible call fills. */
#ifndef FACEKIT_STATUS_H
#define FACEKIT_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Every fallible facekit call returns one of these. The integer values are stable. */
typedef enum fk_status {
    FK_OK = 0,
    FK_E_INVALID_ARGUMENT = 1, /* a bad argument: NULL where a value is needed, bad option */
    FK_E_NO_MEMORY = 2,        /* an allocation failed */
    FK_E_OVERFLOW = 3,         /* a size computation would overflow */
    FK_E_IO = 4,               /* a file could not be opened, read or written */
    FK_E_BAD_FORMAT = 5,       /* the data is corrupt, truncated or not what it claims */
    FK_E_UNSUPPORTED = 6,      /* valid data that facekit cannot handle */
    FK_E_BAD_STATE = 7,        /* the object cannot do this now (earlier failure, wrong order) */
    FK_E_LIMIT = 8,            /* the input exceeds a configured limit (image size, count) */
    FK_E_NOT_FOUND = 9,        /* a named thing (file, model, weight) does not exist */
    FK_STATUS_COUNT
} fk_status;

/* A short, static, English description of a status code. Never NULL. */
const char *fk_strerror(fk_status status);

/* The error record filled by calls that have no handle to keep a message on.
 * Pass NULL when the message is not wanted. On success the record is left untouched. */
#define FK_ERROR_MESSAGE_MAX 512
typedef struct fk_error {
    fk_status status;
    char message[FK_ERROR_MESSAGE_MAX]; /* one line, names the file and the problem */
} fk_error;

#ifdef __cplusplus
}
#endif
#endif
