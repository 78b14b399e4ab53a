/* decode.c: the public decode entry points: read a file under a size limit, sniff the format by content (never by name), run its codec, apply EXIF orientation. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checked.h"
#include "core/error.h"
#include "image/image_internal.h"

static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

fk_image_format fk_image_sniff(const void *bytes, size_t size)
{
    const uint8_t *b = bytes;
    if (!b)
        return FK_IMAGE_FORMAT_UNKNOWN;
    if (size >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return FK_IMAGE_FORMAT_JPEG;
    if (size >= 8 && memcmp(b, png_sig, 8) == 0)
        return FK_IMAGE_FORMAT_PNG;
    /* binary PNM only: P4, P5, P6 followed by the whitespace (or comment) the format requires */
    if (size >= 3 && b[0] == 'P' && b[1] >= '4' && b[1] <= '6' &&
        (b[2] == ' ' || b[2] == '\t' || b[2] == '\r' || b[2] == '\n' || b[2] == '#'))
        return FK_IMAGE_FORMAT_PNM;
    if (size >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return FK_IMAGE_FORMAT_WEBP;
    if (size >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
        return FK_IMAGE_FORMAT_GIF;
    /* classic TIFF, both byte orders, and BigTIFF */
    if (size >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0 || memcmp(b, "II+\0", 4) == 0 ||
                      memcmp(b, "MM\0+", 4) == 0))
        return FK_IMAGE_FORMAT_TIFF;
    /* "BM" alone is too weak a mark (text starts so): the header size must be one of BMP's too */
    if (size >= 18 && b[0] == 'B' && b[1] == 'M') {
        uint32_t hs = (uint32_t)b[14] | (uint32_t)b[15] << 8 | (uint32_t)b[16] << 16 | (uint32_t)b[17] << 24;
        if (hs == 12 || (hs >= 40 && hs <= 124))
            return FK_IMAGE_FORMAT_BMP;
    }
    return FK_IMAGE_FORMAT_UNKNOWN;
}

/* A clearer message than "not an image" for the near misses people actually feed in. */
static fk_status fail_unknown(const uint8_t *b, size_t size, const char *name, fk_error *err)
{
    if (size == 0)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: empty file (0 bytes), not an image", name);
    if (size >= 2 && b[0] == 'P' && ((b[1] >= '1' && b[1] <= '3') || b[1] == '7'))
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: ASCII PNM and PAM (P%c) are not supported, only binary P4, P5, P6",
                        name, b[1]);
    /* a prefix of a signature: the file was cut before its header */
    if ((size < 3 && b[0] == 0xff && (size < 2 || b[1] == 0xd8)) || (size < 8 && memcmp(b, png_sig, size) == 0) ||
        (size < 3 && b[0] == 'P' && (size < 2 || (b[1] >= '4' && b[1] <= '6'))))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated image header (only %zu bytes)", name, size);
    if ((size < 12 && size >= 4 && memcmp(b, "RIFF", 4) == 0) || (size < 6 && memcmp(b, "GIF8", size < 4 ? size : 4) == 0))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated image header (only %zu bytes)", name, size);
    if (size < 18 && size >= 2 && b[0] == 'B' && b[1] == 'M')
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated image header (only %zu bytes)", name, size);
    return fk__fail(err, FK_E_BAD_FORMAT, "%s: not a JPEG, PNG, PNM, WebP, GIF, TIFF or BMP image", name);
}

fk_status fk_image_decode(const void *bytes, size_t size, const char *name, const fk_decode_options *opt,
                          fk_image **out, fk_error *err)
{
    if (!name)
        name = "image data";
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: fk_image_decode: out is NULL", name);
    *out = NULL;
    if (!bytes && size)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: fk_image_decode: bytes is NULL", name);

    fk_image_limits lim;
    fk_status st = fk__image_limits_resolve(opt, &lim, err);
    if (st)
        return st;
    if (size > lim.max_file_bytes)
        return fk__fail(err, FK_E_LIMIT, "%s: %zu bytes of data, over the limit of %zu bytes", name, size,
                        lim.max_file_bytes);

    int want_orientation = !(opt && opt->ignore_orientation);
    fk__image_decoded dec = {NULL, 0};
    switch (fk_image_sniff(bytes, size)) {
    case FK_IMAGE_FORMAT_JPEG:
        st = fk__image_decode_jpeg(bytes, size, name, &lim, want_orientation, &dec, err);
        break;
    case FK_IMAGE_FORMAT_PNG:
        st = fk__image_decode_png(bytes, size, name, &lim, want_orientation, &dec, err);
        break;
    case FK_IMAGE_FORMAT_PNM:
        st = fk__image_decode_pnm(bytes, size, name, &lim, &dec, err);
        break;
    case FK_IMAGE_FORMAT_WEBP:
        st = fk__image_decode_webp(bytes, size, name, &lim, want_orientation, &dec, err);
        break;
    case FK_IMAGE_FORMAT_GIF:
        st = fk__image_decode_gif(bytes, size, name, &lim, &dec, err);
        break;
    case FK_IMAGE_FORMAT_TIFF:
        st = fk__image_decode_tiff(bytes, size, name, &lim, &dec, err);
        break;
    case FK_IMAGE_FORMAT_BMP:
        st = fk__image_decode_bmp(bytes, size, name, &lim, &dec, err);
        break;
    default:
        return fail_unknown(bytes, size, name, err);
    }
    if (st)
        return st;

    if (want_orientation && dec.orientation >= 2 && dec.orientation <= 8) {
        fk_image *upright = NULL;
        st = fk__image_orient(dec.img, dec.orientation, &upright, err);
        fk_image_free(dec.img);
        if (st) {
            fk__error_prefix(err, name);
            return st;
        }
        dec.img = upright;
    }
    *out = dec.img;
    return FK_OK;
}

static fk_status fail_errno(fk_error *err, const char *path, const char *what, int e)
{
    char buf[128];
    if (strerror_r(e, buf, sizeof buf) != 0)
        buf[0] = '\0';
    fk_status st = (e == ENOENT || e == ENOTDIR) ? FK_E_NOT_FOUND : FK_E_IO;
    return fk__fail(err, st, "%s: %s: %s", path, what, buf[0] ? buf : "unknown error");
}

/* Reads the whole file, refusing anything that is not a regular file or is over `limit`
 * bytes. Reads in a loop rather than trusting st_size, so a file that grows or shrinks
 * while being read is still handled within the limit. */
static fk_status read_file(const char *path, size_t limit, uint8_t **out, size_t *out_size, fk_error *err)
{
    fk_status st = FK_OK;
    uint8_t *buf = NULL;
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail_errno(err, path, "cannot open", errno);

    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = fail_errno(err, path, "cannot stat", errno);
        goto done;
    }
    if (S_ISDIR(sb.st_mode)) {
        st = fk__fail(err, FK_E_IO, "%s: is a directory, not an image file", path);
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = fk__fail(err, FK_E_IO, "%s: not a regular file", path);
        goto done;
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > (uint64_t)limit) {
        st = fk__fail(err, FK_E_LIMIT, "%s: file is %lld bytes, over the limit of %zu bytes", path,
                      (long long)sb.st_size, limit);
        goto done;
    }

    /* one byte more than expected, so that reaching EOF needs no second allocation */
    size_t cap = (size_t)sb.st_size < SIZE_MAX ? (size_t)sb.st_size + 1 : SIZE_MAX;
    buf = malloc(cap);
    if (!buf) {
        st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory reading %zu bytes", path, cap);
        goto done;
    }
    /* reading `hard` bytes proves the file is over the limit */
    size_t hard = limit < SIZE_MAX ? limit + 1 : SIZE_MAX;
    for (;;) {
        if (len == cap) {
            if (cap >= hard) {
                st = fk__fail(err, FK_E_LIMIT, "%s: file is over the limit of %zu bytes", path, limit);
                goto done;
            }
            size_t ncap = cap > hard / 2 ? hard : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory reading %zu bytes", path, ncap);
                goto done;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            st = fail_errno(err, path, "read failed", errno);
            goto done;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > limit) {
        st = fk__fail(err, FK_E_LIMIT, "%s: file is over the limit of %zu bytes", path, limit);
        goto done;
    }
    *out = buf;
    *out_size = len;
    buf = NULL;
done:
    free(buf);
    close(fd);
    return st;
}

fk_status fk_image_load(const char *path, const fk_decode_options *opt, fk_image **out, fk_error *err)
{
    if (!out)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_load: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_load: empty file name");

    fk_image_limits lim;
    fk_status st = fk__image_limits_resolve(opt, &lim, err);
    if (st)
        return st;
    uint8_t *bytes = NULL;
    size_t size = 0;
    st = read_file(path, lim.max_file_bytes, &bytes, &size, err);
    if (st)
        return st;
    st = fk_image_decode(bytes, size, path, opt, out, err);
    free(bytes);
    return st;
}
