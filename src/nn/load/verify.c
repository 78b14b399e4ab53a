/* verify.c: the sha256 pins of model files (from models/models.lock) and the messages that go with them. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "core/sha256.h"
#include "fk_model_pins.h"
#include "nn/load/weights.h"

#define MODELS_HINT "run `make models` (fetches @vladmandic/face-api@1.7.15 with npm pack) or set FACEKIT_MODELS=DIR"

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool fk__model_verify_enabled(void)
{
    const char *v = getenv("FACEKIT_MODELS_NOVERIFY");
    return !(v && *v && strcmp(v, "0") != 0);
}

const char *fk__model_pin(const char *path)
{
    if (!path)
        return NULL;
    const char *base = base_name(path);
    for (size_t i = 0; i < sizeof fk__model_pins / sizeof fk__model_pins[0]; i++)
        if (strcmp(fk__model_pins[i].name, base) == 0)
            return fk__model_pins[i].sha256;
    return NULL;
}

/* Hex digests compared without regard to case, in case the lock file is written in capitals. */
static int hex_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'F' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'F' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static fk_status check_hex(const char *path, const char *pin, const char *hex, fk_error *err)
{
    if (hex_equal(hex, pin))
        return FK_OK;
    return fk__fail(err, FK_E_BAD_FORMAT,
                    "%s: sha256 %s differs from the pinned %s (damaged or a different version); "
                    "run `make models` or set FACEKIT_MODELS",
                    path, hex, pin);
}

fk_status fk__model_not_found(const char *path, fk_status st, fk_error *err)
{
    if (st != FK_E_NOT_FOUND)
        return st;
    if (fk__model_pin(path))
        return fk__fail(err, st, "%s: model file not found; " MODELS_HINT, path);
    return fk__fail(err, st, "%s: model file not found", path);
}

fk_status fk__model_bytes_verify(const char *path, const void *data, size_t size, fk_error *err)
{
    const char *pin = fk__model_pin(path);
    if (!pin)
        return FK_OK;
    char hex[FK__SHA256_HEX_SIZE];
    fk__sha256_hex(data, size, hex);
    return check_hex(path, pin, hex, err);
}

fk_status fk__model_file_verify(const char *path, fk_error *err)
{
    if (!path)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "no model file name given");
    const char *pin = fk__model_pin(path);
    fk_status st;
    if (!pin) {
        /* nothing to compare, but a missing file is still worth saying now */
        int fd = -1;
        st = fk__file_open_read(path, &fd, NULL, err);
        if (st != FK_OK)
            return fk__model_not_found(path, st, err);
        close(fd);
        return FK_OK;
    }
    char hex[FK__SHA256_HEX_SIZE];
    st = fk__sha256_file(path, hex, err);
    if (st != FK_OK)
        return fk__model_not_found(path, st, err);
    return check_hex(path, pin, hex, err);
}
