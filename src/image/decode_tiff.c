/* decode_tiff.c: the first page of a TIFF to RGB8 through libtiff's RGBA reader (any photometric, bit depth and compression it reads), oriented by the TIFF Orientation tag, alpha dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "core/checked.h"
#include "core/error.h"
#include "image/image_internal.h"

typedef struct tiff_src {
    const uint8_t *bytes;
    size_t size;
    toff_t pos;
    char msg[256]; /* libtiff's first error, for our message */
} tiff_src;

static tmsize_t t_read(thandle_t h, void *buf, tmsize_t n)
{
    tiff_src *s = h;
    if (n <= 0 || s->pos >= s->size)
        return 0;
    size_t k = (size_t)n;
    if (k > s->size - s->pos)
        k = s->size - (size_t)s->pos;
    memcpy(buf, s->bytes + s->pos, k);
    s->pos += k;
    return (tmsize_t)k;
}

static tmsize_t t_write(thandle_t h, void *buf, tmsize_t n)
{
    return 0; /* opened read-only */
}

static toff_t t_seek(thandle_t h, toff_t off, int whence)
{
    tiff_src *s = h;
    toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : (toff_t)s->size;
    /* an offset past the end is allowed (reads there return nothing); a wrap is not */
    if (off > (toff_t)-1 - base)
        return (toff_t)-1;
    s->pos = base + off;
    return s->pos;
}

static int t_close(thandle_t h)
{
    return 0;
}

static toff_t t_size(thandle_t h)
{
    return ((tiff_src *)h)->size;
}

static int t_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    tiff_src *s = user;
    if (!s->msg[0])
        vsnprintf(s->msg, sizeof s->msg, fmt, ap);
    return 1; /* handled: nothing on stderr */
}

static int t_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    return 1; /* unknown tags and the like: not the caller's problem, and not for stderr */
}

static fk_status tiff_fail(tiff_src *s, const char *name, const char *what, fk_error *err)
{
    for (char *p = s->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fk__image_lower_first(s->msg);
    return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt or truncated TIFF (%s%s%s)", name, what, s->msg[0] ? ": " : "",
                    s->msg);
}

fk_status fk__image_decode_tiff(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                                fk__image_decoded *out, fk_error *err)
{
    tiff_src s = {bytes, size, 0, {0}};
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory opening a TIFF", name);
    TIFFOpenOptionsSetErrorHandlerExtR(o, t_error, &s);
    TIFFOpenOptionsSetWarningHandlerExtR(o, t_warning, &s);
    /* the pixel limit bounds the raster; this bounds what libtiff allocates for strips and tags */
    uint64_t most = lim->max_pixels < ((uint64_t)1 << 40) ? lim->max_pixels * 4 + (1 << 20) : (uint64_t)1 << 42;
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)most);
    /* "m": no memory mapping, our procedures are the only way in */
    TIFF *tif = TIFFClientOpenExt(name, "rm", &s, t_read, t_write, t_seek, t_close, t_size, NULL, NULL, o);
    TIFFOpenOptionsFree(o);
    if (!tif)
        return tiff_fail(&s, name, "header", err);
    uint32_t w = 0, h = 0;
    fk_image *img = NULL;
    uint32_t *raster = NULL;
    fk_status st;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h)) {
        st = tiff_fail(&s, name, "no image size", err);
        goto done;
    }
    if ((st = fk__image_check_size(w, h, lim, name, err)) != FK_OK)
        goto done;
    char why[1024] = "";
    if (!TIFFRGBAImageOK(tif, why)) {
        fk__image_lower_first(why);
        st = fk__fail(err, FK_E_UNSUPPORTED, "%s: TIFF this reader cannot convert to RGB (%s)", name, why);
        goto done;
    }
    size_t n;
    if (!fk__mul_size((size_t)w * h, sizeof *raster, &n) || !(raster = malloc(n))) {
        st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory decoding a %ux%u TIFF", name, w, h);
        goto done;
    }
    /* the Orientation tag is applied here, to TOPLEFT: what EXIF orientation is to a JPEG */
    if (!TIFFReadRGBAImageOriented(tif, w, h, raster, ORIENTATION_TOPLEFT, 0)) {
        st = tiff_fail(&s, name, "pixels", err);
        goto done;
    }
    if ((st = fk_image_new((int)w, (int)h, &img, err)) != FK_OK) {
        fk__error_prefix(err, name);
        goto done;
    }
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = img->data + (size_t)y * img->stride;
        const uint32_t *src = raster + (size_t)y * w;
        for (uint32_t x = 0; x < w; x++) {
            row[3 * x] = (uint8_t)TIFFGetR(src[x]);
            row[3 * x + 1] = (uint8_t)TIFFGetG(src[x]);
            row[3 * x + 2] = (uint8_t)TIFFGetB(src[x]);
        }
    }
    out->img = img;
    out->orientation = 0;
    img = NULL;
done:
    free(raster);
    fk_image_free(img);
    TIFFClose(tif);
    return st;
}
