/* test_image_formats.c: WebP, GIF and TIFF made by their own libraries, and BMPs of every depth written here, decode to the exact pixels, by content whatever the name; damaged, truncated and oversized files are errors naming the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gif_lib.h>
#include <tiffio.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "facekit/image.h"
#include "harness.h"

enum { W = 37, H = 23 };

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

/* A test picture with every pixel different from its neighbours, so that a shift, a flip or a
 * channel swap shows. */
static void picture(uint8_t *rgb)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = rgb + (y * W + x) * 3;
            p[0] = (uint8_t)(x * 7), p[1] = (uint8_t)(y * 11), p[2] = (uint8_t)(x * y + 3);
        }
}

static blob make_webp(const uint8_t *rgb)
{
    blob b = {NULL, 0};
    b.n = WebPEncodeLosslessRGB(rgb, W, H, W * 3, &b.p);
    return b;
}

/* The same WebP with an EXIF chunk that says Orientation 3 (turned 180 degrees), written by
 * libwebpmux as cameras' and phones' software does. */
static blob webp_with_exif(const blob *plain)
{
    static const uint8_t exif[] = {'I', 'I', 42, 0, 8, 0, 0, 0, /* one IFD entry: 0x0112 SHORT 1 = 3 */
                                   1, 0, 0x12, 1, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};
    blob out = {NULL, 0};
    WebPData img = {plain->p, plain->n}, chunk = {exif, sizeof exif}, assembled = {NULL, 0};
    WebPMux *mux = WebPMuxCreate(&img, 1);
    if (mux && WebPMuxSetChunk(mux, "EXIF", &chunk, 1) == WEBP_MUX_OK && WebPMuxAssemble(mux, &assembled) == WEBP_MUX_OK) {
        out.p = (uint8_t *)assembled.bytes;
        out.n = assembled.size;
    }
    WebPMuxDelete(mux);
    return out;
}

/* orientation: the TIFF Orientation tag to write (the pixels are stored as given) */
static blob make_tiff(const uint8_t *rgb, int orientation, const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/t.tif", dir);
    TIFF *t = TIFFOpen(path, "w");
    blob b = {NULL, 0};
    if (!t)
        return b;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, W);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, H);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 4);
    TIFFSetField(t, TIFFTAG_ORIENTATION, orientation);
    for (int y = 0; y < H; y++)
        TIFFWriteScanline(t, (void *)(rgb + y * W * 3), (uint32_t)y, 0);
    TIFFClose(t);
    b.p = fk_test_read_file(path, &b.n);
    unlink(path);
    return b;
}

static int gif_write(GifFileType *g, const GifByteType *buf, int len)
{
    blob *b = g->UserData;
    uint8_t *p = realloc(b->p, b->n + (size_t)len);
    if (!p)
        return 0;
    memcpy(p + b->n, buf, (size_t)len);
    b->p = p;
    b->n += (size_t)len;
    return len;
}

/* A GIF of a 32-colour palette picture; the frame sits at (left, top) on a bigger screen when
 * asked, and may be interlaced. idx gets the frame's indices (W x H). */
static blob make_gif(int left, int top, int interlace, uint8_t *idx, uint8_t *palette_rgb)
{
    blob b = {NULL, 0};
    int e = 0;
    GifFileType *g = EGifOpen(&b, gif_write, &e);
    if (!g)
        return b;
    GifColorType colors[32];
    for (int i = 0; i < 32; i++) {
        colors[i].Red = (GifByteType)(i * 8), colors[i].Green = (GifByteType)(255 - i * 5),
        colors[i].Blue = (GifByteType)(i * 3 + 1);
        palette_rgb[3 * i] = colors[i].Red, palette_rgb[3 * i + 1] = colors[i].Green, palette_rgb[3 * i + 2] = colors[i].Blue;
    }
    ColorMapObject *cm = GifMakeMapObject(32, colors);
    EGifSetGifVersion(g, true);
    EGifPutScreenDesc(g, W + left, H + top, 5, 3, cm); /* colour resolution 5, background entry 3 */
    EGifPutImageDesc(g, left, top, W, H, interlace, NULL);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            idx[y * W + x] = (uint8_t)((x + 3 * y) % 32);
    /* giflib takes interlaced rows in file order */
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    for (int p = 0; p < (interlace ? 4 : 1); p++)
        for (int y = interlace ? start[p] : 0; y < H; y += interlace ? step[p] : 1)
            EGifPutLine(g, idx + y * W, W);
    EGifCloseFile(g, &e);
    GifFreeMapObject(cm);
    return b;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v), put16(p + 2, v >> 16);
}

/* A BMP of the W x H picture at `bpp` bits (1, 4, 8: palette of idx; 16: 5-6-5 bit fields; 24;
 * 32: 8-8-8 bit fields), with a header of hsize bytes (12, 40 or 124), bottom-up or top-down.
 * want gets what a reader must give. */
static blob make_bmp(const uint8_t *rgb, int bpp, int hsize, int top_down, uint8_t *want)
{
    int ncol = bpp <= 8 ? 1 << bpp : 0, entry = hsize == 12 ? 3 : 4;
    int masks = (bpp == 16 || bpp == 32) && hsize == 40 ? 12 : 0;
    size_t row = ((size_t)W * bpp + 31) / 32 * 4, off = 14 + (size_t)hsize + masks + (size_t)ncol * entry;
    blob b = {calloc(1, off + row * H), off + row * H};
    uint8_t *p = b.p;
    p[0] = 'B', p[1] = 'M';
    put32(p + 2, (uint32_t)b.n), put32(p + 10, (uint32_t)off), put32(p + 14, (uint32_t)hsize);
    if (hsize == 12) {
        put16(p + 18, W), put16(p + 20, H), put16(p + 22, 1), put16(p + 24, (uint32_t)bpp);
    } else {
        put32(p + 18, W), put32(p + 22, top_down ? (uint32_t)-H : H), put16(p + 26, 1), put16(p + 28, (uint32_t)bpp);
        put32(p + 30, bpp == 16 || bpp == 32 ? 3 : 0); /* BI_BITFIELDS */
        if (bpp == 16 || bpp == 32) {
            put32(p + 54, bpp == 16 ? 0xf800 : 0xff0000), put32(p + 58, bpp == 16 ? 0x07e0 : 0xff00),
                put32(p + 62, bpp == 16 ? 0x001f : 0xff);
        }
    }
    uint8_t *pal = p + 14 + hsize + masks;
    for (int i = 0; i < ncol; i++) /* blue, green, red */
        pal[i * entry] = (uint8_t)(i * 9 + 1), pal[i * entry + 1] = (uint8_t)(200 - i * 3), pal[i * entry + 2] = (uint8_t)(i * 17);
    for (int y = 0; y < H; y++) {
        uint8_t *r = p + off + (size_t)(top_down ? y : H - 1 - y) * row;
        for (int x = 0; x < W; x++) {
            const uint8_t *c = rgb + (y * W + x) * 3;
            uint8_t *o = want + (y * W + x) * 3;
            if (ncol) {
                int i = (x + 3 * y) % ncol;
                r[x * bpp / 8] |= (uint8_t)(i << (8 - bpp - (x * bpp) % 8));
                o[0] = pal[i * entry + 2], o[1] = pal[i * entry + 1], o[2] = pal[i * entry];
            } else if (bpp == 16) {
                uint32_t v = (uint32_t)(c[0] >> 3) << 11 | (uint32_t)(c[1] >> 2) << 5 | (uint32_t)(c[2] >> 3);
                put16(r + x * 2, v);
                /* 5 and 6 bits spread over 0..255, rounded */
                o[0] = (uint8_t)(((c[0] >> 3) * 255 + 15) / 31), o[1] = (uint8_t)(((c[1] >> 2) * 255 + 31) / 63),
                o[2] = (uint8_t)(((c[2] >> 3) * 255 + 15) / 31);
            } else {
                uint8_t *q = r + x * (bpp / 8);
                q[0] = c[2], q[1] = c[1], q[2] = c[0];
                memcpy(o, c, 3);
            }
        }
    }
    return b;
}

static int same_pixels(const fk_image *img, const uint8_t *rgb, int w, int h)
{
    if (!img || img->width != w || img->height != h)
        return 0;
    for (int y = 0; y < h; y++)
        if (memcmp(img->data + (size_t)y * img->stride, rgb + (size_t)y * w * 3, (size_t)w * 3))
            return 0;
    return 1;
}

/* The file decodes (with opt) to exactly want, w x h; what names the case in the message. */
static void expect_pixels(const blob *b, const char *name, const fk_decode_options *opt, const uint8_t *want, int w,
                          int h, const char *what)
{
    fk_image *img = NULL;
    fk_error err;
    fk_status st = fk_image_decode(b->p, b->n, name, opt, &img, &err);
    CHECK_MSG(st == FK_OK && same_pixels(img, want, w, h), "%s: %s", what, st ? err.message : "pixels differ");
    fk_image_free(img);
}

/* The picture turned 180 degrees: what EXIF and TIFF orientation 3 ask for. */
static void turned_180(const uint8_t *rgb, uint8_t *out)
{
    for (int i = 0; i < W * H; i++)
        memcpy(out + 3 * i, rgb + 3 * (W * H - 1 - i), 3);
}

/* Every cut of the file and a few damaged bytes: an error naming the file, or (for a damaged
 * byte that still decodes) a whole image of the right size; never a crash or a leak. */
static void damage(const blob *b, const char *name, fk_image_format fmt)
{
    fk_error err;
    for (size_t cut = 0; cut < b->n; cut += 1 + cut / 8) {
        fk_image *img = NULL;
        fk_status st = fk_image_decode(b->p, cut, name, NULL, &img, &err);
        CHECK_MSG(st != FK_OK && !img && strstr(err.message, name), "%s cut at %zu of %zu: status %d, '%s'", name, cut,
                  b->n, (int)st, st ? err.message : "decoded");
        fk_image_free(img);
    }
    uint8_t *copy = malloc(b->n);
    for (size_t at = 8; at < b->n; at += 1 + b->n / 40) {
        memcpy(copy, b->p, b->n);
        copy[at] ^= 0x5a;
        fk_image *img = NULL;
        fk_status st = fk_image_decode(copy, b->n, name, NULL, &img, &err);
        CHECK_MSG(st == FK_OK ? img && img->width > 0 : !img && strstr(err.message, name) && !strchr(err.message, '\n'),
                  "%s damaged at %zu: status %d", name, at, (int)st);
        fk_image_free(img);
    }
    free(copy);
    CHECK(fk_image_sniff(b->p, b->n) == fmt);
}

/* The header is read before any pixel memory: a limit below the image's size refuses it. */
static void limits(const blob *b, const char *name)
{
    fk_decode_options opt;
    memset(&opt, 0, sizeof opt);
    opt.limits.max_pixels = (uint64_t)W * H - 1;
    fk_image *img = NULL;
    fk_error err;
    CHECK_MSG(fk_image_decode(b->p, b->n, name, &opt, &img, &err) == FK_E_LIMIT && !img, "%s: over the pixel limit",
              name);
    opt.limits.max_pixels = 0;
    opt.limits.max_width = W - 1;
    CHECK_MSG(fk_image_decode(b->p, b->n, name, &opt, &img, &err) == FK_E_LIMIT && !img, "%s: over the width limit",
              name);
}

int main(void)
{
    char dir[] = "/tmp/fk_formats_XXXXXX";
    if (!mkdtemp(dir))
        return fk_test_finish("image formats");
    static uint8_t rgb[W * H * 3], want[(W + 9) * (H + 5) * 3];
    picture(rgb);
    fk_error err;
    fk_image *img = NULL;

    /* WebP, lossless: exact; and by content under a .jpg name, as people save them */
    blob webp = make_webp(rgb);
    CHECK(webp.n > 12);
    expect_pixels(&webp, "x.webp", NULL, rgb, W, H, "lossless WebP");
    char path[600];
    snprintf(path, sizeof path, "%s/really_a_webp.jpg", dir);
    FILE *f = fopen(path, "wb");
    fwrite(webp.p, 1, webp.n, f);
    fclose(f);
    img = NULL;
    CHECK_OK(fk_image_load(path, NULL, &img, &err));
    CHECK_MSG(same_pixels(img, rgb, W, H), "a WebP named .jpg is not read as a WebP");
    fk_image_free(img);
    unlink(path);
    damage(&webp, "bad.webp", FK_IMAGE_FORMAT_WEBP);
    limits(&webp, "big.webp");
    /* the EXIF chunk's orientation is applied, unless asked not to */
    blob turned = webp_with_exif(&webp);
    CHECK(turned.n > webp.n);
    turned_180(rgb, want);
    expect_pixels(&turned, "exif.webp", NULL, want, W, H, "WebP with EXIF orientation 3");
    fk_decode_options as_stored;
    memset(&as_stored, 0, sizeof as_stored);
    as_stored.ignore_orientation = 1;
    expect_pixels(&turned, "exif.webp", &as_stored, rgb, W, H, "WebP with ignore_orientation, as stored");
    WebPFree(turned.p);
    WebPFree(webp.p);

    /* TIFF (LZW, 4-row strips): exact; the Orientation tag is applied (3: turned 180 degrees) */
    blob tif = make_tiff(rgb, ORIENTATION_TOPLEFT, dir);
    CHECK(tif.n > 8);
    expect_pixels(&tif, "x.tif", NULL, rgb, W, H, "LZW TIFF");
    damage(&tif, "bad.tif", FK_IMAGE_FORMAT_TIFF);
    limits(&tif, "big.tif");
    free(tif.p);
    tif = make_tiff(rgb, ORIENTATION_BOTRIGHT, dir);
    turned_180(rgb, want);
    expect_pixels(&tif, "turned.tif", NULL, want, W, H, "TIFF with orientation 3");
    free(tif.p);

    /* GIF: the palette looked up, interlaced or not; a frame off the screen's corner leaves the
     * background colour (palette entry 3) around it */
    for (int interlace = 0; interlace < 2; interlace++) {
        static uint8_t idx[W * H], pal[32 * 3];
        int left = interlace ? 9 : 0, top = interlace ? 5 : 0, sw = W + left, sh = H + top;
        blob gif = make_gif(left, top, interlace, idx, pal);
        CHECK(gif.n > 13);
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++) {
                int in = x >= left && y >= top;
                memcpy(want + (y * sw + x) * 3, pal + 3 * (in ? idx[(y - top) * W + (x - left)] : 3), 3);
            }
        expect_pixels(&gif, "x.gif", NULL, want, sw, sh, interlace ? "interlaced GIF, frame at (9, 5)" : "GIF");
        damage(&gif, "bad.gif", FK_IMAGE_FORMAT_GIF);
        if (!interlace)
            limits(&gif, "big.gif");
        free(gif.p);
    }

    /* BMP: every depth, both row orders, the three header sizes */
    static const int bmps[][3] = {{24, 40, 0}, {24, 40, 1}, {32, 40, 1}, {16, 40, 0}, {8, 40, 0}, {4, 40, 1},
                                  {1, 40, 0},  {24, 124, 0}, {8, 124, 1}, {24, 12, 0}, {8, 12, 0}};
    for (size_t k = 0; k < sizeof bmps / sizeof bmps[0]; k++) {
        blob bmp = make_bmp(rgb, bmps[k][0], bmps[k][1], bmps[k][2], want);
        char what[64];
        snprintf(what, sizeof what, "BMP %d-bit, %d-byte header, %s", bmps[k][0], bmps[k][1],
                 bmps[k][2] ? "top-down" : "bottom-up");
        expect_pixels(&bmp, "x.bmp", NULL, want, W, H, what);
        if (k == 0 || k == 4) {
            damage(&bmp, "bad.bmp", FK_IMAGE_FORMAT_BMP);
            limits(&bmp, "big.bmp");
        }
        free(bmp.p);
    }
    /* run-length encoding is refused by name */
    blob rle = make_bmp(rgb, 8, 40, 0, want);
    put32(rle.p + 30, 1);
    img = NULL;
    CHECK(fk_image_decode(rle.p, rle.n, "rle.bmp", NULL, &img, &err) == FK_E_UNSUPPORTED && !img);
    CHECK(strstr(err.message, "RLE8") != NULL);
    free(rle.p);

    /* near misses get a message that says what they are */
    img = NULL;
    CHECK(fk_image_decode("BM\x36\0\0\0", 6, "x.bmp", NULL, &img, &err) == FK_E_BAD_FORMAT && !img);
    CHECK(strstr(err.message, "truncated") != NULL);
    CHECK(fk_image_decode("RIFF\0\0", 6, "x.webp", NULL, &img, &err) == FK_E_BAD_FORMAT && !img);
    CHECK(strstr(err.message, "truncated") != NULL);
    CHECK(fk_image_decode("GIF8", 4, "x.gif", NULL, &img, &err) == FK_E_BAD_FORMAT && strstr(err.message, "truncated"));
    rmdir(dir);
    return fk_test_finish("image formats");
}
