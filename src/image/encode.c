/* encode.c: fk_image_save: PNG through libpng, JPEG through libjpeg, chosen by the file name's extension. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "core/error.h"
#include "image/image_internal.h"

#define FK_JPEG_DEFAULT_QUALITY 90

typedef struct save_ctx {
    const fk_image *img;
    const char *path;
    FILE *f;
    char msg[JMSG_LENGTH_MAX > 200 ? JMSG_LENGTH_MAX : 200];
    /* JPEG */
    struct jpeg_error_mgr jerr;
    jmp_buf jmp;
    struct jpeg_compress_struct cinfo;
    int cinfo_made;
    /* PNG */
    png_structp png;
    png_infop info;
} save_ctx;

static void on_jpeg_error(j_common_ptr cinfo)
{
    save_ctx *c = (save_ctx *)((char *)cinfo->err - offsetof(save_ctx, jerr));
    (*cinfo->err->format_message)(cinfo, c->msg);
    longjmp(c->jmp, 1);
}

static void on_jpeg_output(j_common_ptr cinfo)
{
    (void)cinfo; /* the compressor's warnings are not ours to print */
}

static fk_status write_jpeg(save_ctx *c, int quality, fk_error *err)
{
    struct jpeg_compress_struct *cinfo = &c->cinfo;
    if (setjmp(c->jmp))
        return fk__fail(err, FK_E_IO, "%s: cannot write JPEG (%s)", c->path, c->msg);
    jpeg_create_compress(cinfo);
    c->cinfo_made = 1;
    jpeg_stdio_dest(cinfo, c->f);
    cinfo->image_width = (JDIMENSION)c->img->width;
    cinfo->image_height = (JDIMENSION)c->img->height;
    cinfo->input_components = 3;
    cinfo->in_color_space = JCS_RGB;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    jpeg_start_compress(cinfo, TRUE);
    while (cinfo->next_scanline < cinfo->image_height) {
        /* libjpeg's API is not const-correct; it only reads the row */
        JSAMPROW row = (JSAMPROW)(c->img->data + (size_t)cinfo->next_scanline * c->img->stride);
        jpeg_write_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_compress(cinfo);
    return FK_OK;
}

static void on_png_error(png_structp png, png_const_charp msg)
{
    save_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg ? msg : "unknown libpng error");
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static fk_status write_png(save_ctx *c, fk_error *err)
{
    png_structp png = c->png;
    if (setjmp(png_jmpbuf(png)))
        return fk__fail(err, FK_E_IO, "%s: cannot write PNG (%s)", c->path, c->msg);
    png_init_io(png, c->f);
    png_set_IHDR(png, c->info, (png_uint_32)c->img->width, (png_uint_32)c->img->height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, c->info);
    for (int y = 0; y < c->img->height; y++)
        png_write_row(png, c->img->data + (size_t)y * c->img->stride);
    png_write_end(png, c->info);
    return FK_OK;
}

/* 1 for PNG, 2 for JPEG, 0 for anything else; the extension is what follows the last dot
 * of the last path component, in any case. */
static int format_of(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base + 1 : path, '.');
    if (!dot)
        return 0;
    if (strcasecmp(dot, ".png") == 0)
        return 1;
    if (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0)
        return 2;
    return 0;
}

fk_status fk_image_save(const fk_image *img, const char *path, int jpeg_quality, fk_error *err)
{
    if (!path || !*path)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_save: empty file name");
    if (!fk__image_valid(img))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: fk_image_save: invalid image", path);
    int fmt = format_of(path);
    if (!fmt)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: unknown image file extension (use .png, .jpg or .jpeg)", path);
    if (jpeg_quality < 0 || jpeg_quality > 100)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "%s: JPEG quality %d is not in 1..100 (or 0 for %d)", path,
                        jpeg_quality, FK_JPEG_DEFAULT_QUALITY);

    save_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for the encoder", path);
    c->img = img;
    c->path = path;
    fk_status st;
    c->f = fopen(path, "wb");
    if (!c->f) {
        int e = errno;
        char buf[128];
        if (strerror_r(e, buf, sizeof buf) != 0)
            snprintf(buf, sizeof buf, "error %d", e);
        st = fk__fail(err, e == ENOENT || e == ENOTDIR ? FK_E_NOT_FOUND : FK_E_IO, "%s: cannot create file: %s",
                      path, buf);
        free(c);
        return st;
    }

    if (fmt == 2) {
        c->cinfo.err = jpeg_std_error(&c->jerr);
        c->jerr.error_exit = on_jpeg_error;
        c->jerr.output_message = on_jpeg_output;
        st = write_jpeg(c, jpeg_quality ? jpeg_quality : FK_JPEG_DEFAULT_QUALITY, err);
        if (c->cinfo_made)
            jpeg_destroy_compress(&c->cinfo);
    } else {
        c->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, on_png_error, on_png_warning);
        if (c->png)
            c->info = png_create_info_struct(c->png);
        if (!c->png || !c->info)
            st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory creating the PNG encoder", path);
        else
            st = write_png(c, err);
        if (c->png)
            png_destroy_write_struct(&c->png, c->info ? &c->info : NULL);
    }

    /* a full disk often shows only here, when the buffered tail is flushed */
    int bad = ferror(c->f);
    if (fclose(c->f) != 0 || bad) {
        if (st == FK_OK)
            st = fk__fail(err, FK_E_IO, "%s: write failed (disk full or I/O error)", path);
    }
    if (st != FK_OK)
        remove(path); /* leave no half-written image behind */
    free(c);
    return st;
}

fk_status fk_image_encode_jpeg(const fk_image *img, int jpeg_quality, unsigned char **out, size_t *size,
                               fk_error *err)
{
    if (!out || !size)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_encode_jpeg: NULL output");
    *out = NULL;
    *size = 0;
    if (!fk__image_valid(img))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_encode_jpeg: invalid image");
    if (jpeg_quality < 0 || jpeg_quality > 100)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_image_encode_jpeg: JPEG quality %d is not in 1..100 (or 0)",
                        jpeg_quality);
    save_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return fk__fail(err, FK_E_NO_MEMORY, "fk_image_encode_jpeg: out of memory");
    char *buf = NULL;
    size_t len = 0;
    /* a memory stream lets the file writer's libjpeg setup serve both */
    c->f = open_memstream(&buf, &len);
    if (!c->f) {
        free(c);
        return fk__fail(err, FK_E_NO_MEMORY, "fk_image_encode_jpeg: out of memory");
    }
    c->img = img;
    c->path = "(memory)";
    c->cinfo.err = jpeg_std_error(&c->jerr);
    c->jerr.error_exit = on_jpeg_error;
    c->jerr.output_message = on_jpeg_output;
    fk_status st = write_jpeg(c, jpeg_quality ? jpeg_quality : FK_JPEG_DEFAULT_QUALITY, err);
    if (c->cinfo_made)
        jpeg_destroy_compress(&c->cinfo);
    if (fclose(c->f) != 0 && st == FK_OK)
        st = fk__fail(err, FK_E_NO_MEMORY, "fk_image_encode_jpeg: out of memory");
    free(c);
    if (st != FK_OK) {
        free(buf);
        return st;
    }
    *out = (unsigned char *)buf;
    *size = len;
    return FK_OK;
}
