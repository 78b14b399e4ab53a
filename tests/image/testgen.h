/* testgen.h: writers for the image tests: JPEG and PNG made with libjpeg/libpng at test time, so every expectation is known. */
#ifndef FK_TEST_IMAGE_TESTGEN_H
#define FK_TEST_IMAGE_TESTGEN_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

/* A growable byte buffer; tests abort on out-of-memory (nothing to recover there). */
typedef struct tg_buf {
    uint8_t *data;
    size_t size, cap;
} tg_buf;

static void tg_put(tg_buf *b, const void *p, size_t n)
{
    if (b->size + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->size + n)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data)
            abort();
        b->cap = cap;
    }
    memcpy(b->data + b->size, p, n);
    b->size += n;
}

static void tg_free(tg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->size = b->cap = 0;
}

static void tg_p16(uint8_t **p, unsigned v, int big)
{
    (*p)[big ? 0 : 1] = (uint8_t)(v >> 8);
    (*p)[big ? 1 : 0] = (uint8_t)v;
    *p += 2;
}

static void tg_p32(uint8_t **p, uint32_t v, int big)
{
    tg_p16(p, big ? v >> 16 : v & 0xffff, big);
    tg_p16(p, big ? v & 0xffff : v >> 16, big);
}

/* A minimal EXIF (TIFF) block whose IFD0 holds only Orientation; big-endian "MM" or
 * little-endian "II". With `app1` it carries the "Exif\0\0" prefix of a JPEG APP1. */
static tg_buf tg_exif(int orientation, int big, int app1)
{
    tg_buf b = {0};
    if (app1)
        tg_put(&b, "Exif\0\0", 6);
    uint8_t t[32], *p = t;
    *p++ = big ? 'M' : 'I';
    *p++ = big ? 'M' : 'I';
    tg_p16(&p, 42, big);
    tg_p32(&p, 8, big);         /* IFD0 at offset 8 */
    tg_p16(&p, 1, big);         /* one entry */
    tg_p16(&p, 0x0112, big);    /* Orientation */
    tg_p16(&p, 3, big);         /* SHORT */
    tg_p32(&p, 1, big);         /* count */
    tg_p16(&p, (unsigned)orientation, big); /* the value, left-justified in its 4 bytes */
    tg_p16(&p, 0, big);
    tg_p32(&p, 0, big);         /* no next IFD */
    tg_put(&b, t, (size_t)(p - t));
    return b;
}

/* ---- JPEG ---- */

typedef struct tg_jpeg_err {
    struct jpeg_error_mgr pub;
    jmp_buf jmp;
} tg_jpeg_err;

static void tg_jpeg_error_exit(j_common_ptr cinfo)
{
    char msg[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, msg);
    fprintf(stderr, "test JPEG writer: %s\n", msg);
    longjmp(((tg_jpeg_err *)(void *)cinfo->err)->jmp, 1);
}

typedef struct tg_jpeg_opts {
    int components;            /* 1 gray, 3 RGB, 4 CMYK (values as given, Adobe-style) */
    int quality;               /* 1..100 */
    int full_chroma;           /* 4:4:4 instead of 4:2:0 */
    int progressive;
    const uint8_t *app1;       /* optional APP1 payload */
    size_t app1_size;
} tg_jpeg_opts;

/* Compresses w x h pixels (rows packed, `components` bytes each) to a JPEG in memory. */
static tg_buf tg_jpeg(const uint8_t *pixels, int w, int h, const tg_jpeg_opts *o)
{
    struct jpeg_compress_struct cinfo;
    tg_jpeg_err jerr;
    unsigned char *mem = NULL;
    unsigned long mem_size = 0;
    tg_buf out = {0};
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = tg_jpeg_error_exit;
    if (setjmp(jerr.jmp)) {
        jpeg_destroy_compress(&cinfo);
        free(mem);
        return out;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &mem, &mem_size);
    cinfo.image_width = (JDIMENSION)w;
    cinfo.image_height = (JDIMENSION)h;
    cinfo.input_components = o->components;
    cinfo.in_color_space = o->components == 1 ? JCS_GRAYSCALE : o->components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, o->quality, TRUE);
    if (o->full_chroma)
        for (int i = 0; i < cinfo.num_components; i++)
            cinfo.comp_info[i].h_samp_factor = cinfo.comp_info[i].v_samp_factor = 1;
    if (o->progressive)
        jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    if (o->app1)
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, o->app1, (unsigned)o->app1_size);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)w * (size_t)o->components);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    tg_put(&out, mem, mem_size);
    free(mem);
    return out;
}

/* ---- PNG ---- */

static void tg_png_write(png_structp png, png_bytep p, size_t n)
{
    tg_put(png_get_io_ptr(png), p, n);
}

static void tg_png_flush(png_structp png)
{
    (void)png;
}

typedef struct tg_png_opts {
    int color_type;            /* PNG_COLOR_TYPE_* */
    int bit_depth;
    int interlace;             /* nonzero: Adam7 */
    const png_color *palette;
    int palette_n;
    const png_byte *trans;     /* palette alphas */
    int trans_n;
    const png_color_16 *trans_color; /* grey/RGB transparent colour */
    const uint8_t *exif;       /* eXIf payload (TIFF, no prefix) */
    size_t exif_size;
} tg_png_opts;

/* Writes w x h rows, each `row_bytes` long in PNG's own packing (big-endian 16-bit). */
static tg_buf tg_png(const uint8_t *pixels, size_t row_bytes, int w, int h, const tg_png_opts *o)
{
    tg_buf out = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep *rows = calloc((size_t)h, sizeof *rows);
    if (!png || !info || !rows)
        abort();
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        tg_free(&out);
        return out;
    }
    png_set_write_fn(png, &out, tg_png_write, tg_png_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, o->bit_depth, o->color_type,
                 o->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (o->palette)
        png_set_PLTE(png, info, o->palette, o->palette_n);
    if (o->trans || o->trans_color)
        png_set_tRNS(png, info, o->trans, o->trans_n, o->trans_color);
    if (o->exif)
        png_set_eXIf_1(png, info, (png_uint_32)o->exif_size, (png_bytep)o->exif);
    for (int y = 0; y < h; y++)
        rows[y] = (png_bytep)(pixels + (size_t)y * row_bytes);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    return out;
}

static uint32_t tg_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void tg_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Rewrites the size in a PNG's IHDR (and its CRC), as a decompression bomb would. */
static void tg_png_patch_size(tg_buf *b, uint32_t w, uint32_t h)
{
    tg_be32(b->data + 16, w);
    tg_be32(b->data + 20, h);
    tg_be32(b->data + 29, tg_crc32(b->data + 12, 17));
}

/* Rewrites the size in a baseline JPEG's SOF0 marker. Returns 0 when there is none. */
static int tg_jpeg_patch_size(tg_buf *b, unsigned w, unsigned h)
{
    for (size_t i = 2; i + 9 < b->size; i++) {
        if (b->data[i] == 0xff && (b->data[i + 1] == 0xc0 || b->data[i + 1] == 0xc2)) {
            b->data[i + 5] = (uint8_t)(h >> 8);
            b->data[i + 6] = (uint8_t)h;
            b->data[i + 7] = (uint8_t)(w >> 8);
            b->data[i + 8] = (uint8_t)w;
            return 1;
        }
    }
    return 0;
}

/* ---- files ---- */

static int tg_write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

#endif
