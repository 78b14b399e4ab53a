/* decode_png.c: PNG to RGB8 through libpng: palette, grey, 16-bit and interlaced images, alpha dropped; limits checked from IHDR first. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "core/checked.h"
#include "core/error.h"
#include "image/image_internal.h"

/* Ancillary chunks may carry compressed text or ICC profiles; none of it is needed here,
 * and this bounds what libpng will allocate for one chunk. */
#define FK_PNG_CHUNK_MALLOC_MAX ((png_alloc_size_t)8 << 20)

typedef struct png_ctx {
    const uint8_t *bytes;
    size_t size;
    size_t pos;
    int eof; /* a read went past the end of the data */
    char msg[200];
    png_structp png;
    png_infop info;
    fk_image *img;
    png_bytepp rows;
} png_ctx;

static void on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg ? msg : "unknown libpng error");
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* warnings concern skipped ancillary chunks; never print to stderr */
}

static void on_read(png_structp png, png_bytep dst, size_t n)
{
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->size - c->pos) {
        c->eof = 1;
        png_error(png, "unexpected end of file");
    }
    memcpy(dst, c->bytes + c->pos, n);
    c->pos += n;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The size from IHDR, read directly so an over-limit image gets a clear FK_E_LIMIT
 * before libpng (whose own user limits are only a second line) allocates anything. */
static fk_status precheck_ihdr(const uint8_t *b, size_t size, const char *name, const fk_image_limits *lim,
                               fk_error *err)
{
    if (size < 8 + 8 + 13 + 4)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated PNG data (%zu bytes, no complete IHDR)", name, size);
    if (be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt PNG data (first chunk is not IHDR)", name);
    return fk__image_check_size(be32(b + 16), be32(b + 20), lim, name, err);
}

static fk_status fail_from_lib(png_ctx *c, const char *name, fk_error *err)
{
    fk__image_lower_first(c->msg);
    if (c->eof || strstr(c->msg, "not enough image data"))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated PNG data (%s)", name, c->msg);
    if (strstr(c->msg, "out of memory") || strstr(c->msg, "insufficient memory"))
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory decoding PNG (%s)", name, c->msg);
    return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt PNG data (%s)", name, c->msg);
}

static fk_status decode(png_ctx *c, const char *name, const fk_image_limits *lim, int want_orientation,
                        int *orientation, fk_error *err)
{
    png_structp png = c->png;
    png_infop info = c->info;
    if (setjmp(png_jmpbuf(png)))
        return fail_from_lib(c, name, err);

    png_set_read_fn(png, c, on_read);
    png_set_user_limits(png, (png_uint_32)lim->max_width, (png_uint_32)lim->max_height);
    png_set_chunk_malloc_max(png, FK_PNG_CHUNK_MALLOC_MAX);
    /* skip every ancillary chunk but tRNS (kept by libpng anyway) and, when wanted, eXIf:
     * nothing else changes the RGB pixels, and skipping avoids text/ICC decompression */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    if (want_orientation) {
        static const png_byte exif[] = {'e', 'X', 'I', 'f', '\0'};
        png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_AS_DEFAULT, exif, 1);
    }
    png_read_info(png, info);

    png_uint_32 w32, h32;
    int depth, color, interlace;
    png_get_IHDR(png, info, &w32, &h32, &depth, &color, &interlace, NULL, NULL);
    fk_status st = fk__image_check_size(w32, h32, lim, name, err);
    if (st)
        return st;

    /* no png_set_tRNS_to_alpha: transparency is dropped, as PIL's convert('RGB') does */
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_scale_16(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    /* palette_to_rgb also expands tRNS into an alpha channel, so strip in every case */
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    if (png_get_bit_depth(png, info) != 8 || png_get_channels(png, info) != 3 ||
        png_get_rowbytes(png, info) != (size_t)w32 * 3)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: PNG decoder gave an unexpected output layout", name);

    st = fk_image_new((int)w32, (int)h32, &c->img, err);
    if (st) {
        fk__error_prefix(err, name);
        return st;
    }
    size_t rows_bytes;
    if (!fk__mul_size(h32, sizeof *c->rows, &rows_bytes))
        return fk__fail(err, FK_E_OVERFLOW, "%s: PNG row table size overflows", name);
    c->rows = malloc(rows_bytes);
    if (!c->rows)
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for the PNG row table", name);
    for (png_uint_32 y = 0; y < h32; y++)
        c->rows[y] = c->img->data + (size_t)y * c->img->stride;
    png_read_image(png, c->rows);
    /* on to IEND: a file cut after the image data is still truncated, and eXIf may follow IDAT */
    png_read_end(png, info);

#ifdef PNG_eXIf_SUPPORTED
    png_uint_32 exif_len = 0;
    png_bytep exif = NULL;
    if (want_orientation && png_get_eXIf_1(png, info, &exif_len, &exif) && exif) {
        int o = fk__image_exif_orientation(exif, exif_len);
        /* some writers keep the JPEG APP1 prefix in eXIf */
        if (!o)
            o = fk__image_exif_orientation_app1(exif, exif_len);
        *orientation = o;
    }
#else
    (void)want_orientation;
    (void)orientation;
#endif
    return FK_OK;
}

fk_status fk__image_decode_png(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                               int want_orientation, fk__image_decoded *out, fk_error *err)
{
    fk_status st = precheck_ihdr(bytes, size, name, lim, err);
    if (st)
        return st;

    png_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for the PNG decoder", name);
    c->bytes = bytes;
    c->size = size;
    int orientation = 0;
    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, on_error, on_warning);
    if (c->png)
        c->info = png_create_info_struct(c->png);
    if (!c->png || !c->info)
        st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory creating the PNG decoder", name);
    else
        st = decode(c, name, lim, want_orientation, &orientation, err);

    if (c->png)
        png_destroy_read_struct(&c->png, c->info ? &c->info : NULL, NULL);
    free(c->rows);
    if (st == FK_OK) {
        out->img = c->img;
        out->orientation = orientation;
    } else {
        fk_image_free(c->img);
    }
    free(c);
    return st;
}
