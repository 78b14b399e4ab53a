/* status.c: names of the status codes. */
#include "facekit/status.h"

const char *fk_strerror(fk_status status)
{
    switch (status) {
    case FK_OK: return "success";
    case FK_E_INVALID_ARGUMENT: return "invalid argument";
    case FK_E_NO_MEMORY: return "out of memory";
    case FK_E_OVERFLOW: return "size overflow";
    case FK_E_IO: return "input/output error";
    case FK_E_BAD_FORMAT: return "bad or corrupt data";
    case FK_E_UNSUPPORTED: return "unsupported";
    case FK_E_BAD_STATE: return "bad state";
    case FK_E_LIMIT: return "limit exceeded";
    case FK_E_NOT_FOUND: return "not found";
    case FK_STATUS_COUNT: break;
    }
    return "unknown status";
}
