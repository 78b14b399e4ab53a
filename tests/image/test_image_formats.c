/* test_image_formats.c: WebP, GIF and TIFF made by their own libraries decode to the exact pixels, by content whatever the name; damaged, truncated and oversized files are errors naming the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gif_lib.h>
#include <tiffio.h>
#include <webp/encode.h>

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

static blob read_whole(const char *path)
{
    blob b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return b;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.p = n > 0 ? malloc((size_t)n) : NULL;
    if (b.p && fread(b.p, 1, (size_t)n, f) == (size_t)n)
        b.n = (size_t)n;
    fclose(f);
    return b;
}

static blob make_webp(const uint8_t *rgb)
{
    blob b = {NULL, 0};
    b.n = WebPEncodeLosslessRGB(rgb, W, H, W * 3, &b.p);
    return b;
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
    b = read_whole(path);
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

static int same_pixels(const fk_image *img, const uint8_t *rgb, int w, int h)
{
    if (!img || img->width != w || img->height != h)
        return 0;
    for (int y = 0; y < h; y++)
        if (memcmp(img->data + (size_t)y * img->stride, rgb + (size_t)y * w * 3, (size_t)w * 3))
            return 0;
    return 1;
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
    CHECK_OK(fk_image_decode(webp.p, webp.n, "x.webp", NULL, &img, &err));
    CHECK_MSG(same_pixels(img, rgb, W, H), "lossless WebP pixels differ");
    fk_image_free(img);
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
    WebPFree(webp.p);

    /* TIFF (LZW, 4-row strips): exact; the Orientation tag is applied (3: turned 180 degrees) */
    blob tif = make_tiff(rgb, ORIENTATION_TOPLEFT, dir);
    CHECK(tif.n > 8);
    img = NULL;
    CHECK_OK(fk_image_decode(tif.p, tif.n, "x.tif", NULL, &img, &err));
    CHECK_MSG(same_pixels(img, rgb, W, H), "TIFF pixels differ");
    fk_image_free(img);
    damage(&tif, "bad.tif", FK_IMAGE_FORMAT_TIFF);
    limits(&tif, "big.tif");
    free(tif.p);
    tif = make_tiff(rgb, ORIENTATION_BOTRIGHT, dir);
    for (int i = 0; i < W * H; i++)
        memcpy(want + 3 * i, rgb + 3 * (W * H - 1 - i), 3);
    img = NULL;
    CHECK_OK(fk_image_decode(tif.p, tif.n, "turned.tif", NULL, &img, &err));
    CHECK_MSG(same_pixels(img, want, W, H), "TIFF orientation 3 not applied");
    fk_image_free(img);
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
        img = NULL;
        CHECK_OK(fk_image_decode(gif.p, gif.n, "x.gif", NULL, &img, &err));
        CHECK_MSG(same_pixels(img, want, sw, sh), "GIF pixels differ (interlace %d)", interlace);
        fk_image_free(img);
        damage(&gif, "bad.gif", FK_IMAGE_FORMAT_GIF);
        if (!interlace)
            limits(&gif, "big.gif");
        free(gif.p);
    }

    /* near misses get a message that says what they are */
    img = NULL;
    CHECK(fk_image_decode("BM\x36\0\0\0", 6, "x.bmp", NULL, &img, &err) == FK_E_UNSUPPORTED && !img);
    CHECK(strstr(err.message, "BMP") != NULL);
    CHECK(fk_image_decode("RIFF\0\0", 6, "x.webp", NULL, &img, &err) == FK_E_BAD_FORMAT && !img);
    CHECK(strstr(err.message, "truncated") != NULL);
    CHECK(fk_image_decode("GIF8", 4, "x.gif", NULL, &img, &err) == FK_E_BAD_FORMAT && strstr(err.message, "truncated"));
    rmdir(dir);
    return fk_test_finish("image formats");
}
