/* test_image_decode.c: decoding JPEG, PNG and PNM made at test time: colour types, EXIF orientation, truncation, bad files and limits. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "facekit/image.h"
#include "harness.h"
#include "image/image_internal.h"
#include "testgen.h"

#if defined(__SANITIZE_ADDRESS__)
#define TG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_ASAN 1
#endif
#endif

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static const uint8_t *px(const fk_image *img, int x, int y)
{
    return img->data + (size_t)y * img->stride + (size_t)x * 3;
}

static int near3(const uint8_t *p, int r, int g, int b, int tol)
{
    return abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
}

static fk_status decode(const tg_buf *b, const char *name, const fk_decode_options *opt, fk_image **img,
                        fk_error *err)
{
    *img = NULL;
    memset(err, 0, sizeof *err);
    return fk_image_decode(b->data, b->size, name, opt, img, err);
}

/* Every failure must be one line that names the input. */
static void check_message(const fk_error *err, const char *name)
{
    CHECK_MSG(strstr(err->message, name) == err->message, "message does not start with '%s': %s", name,
              err->message);
    CHECK_MSG(!strchr(err->message, '\n'), "message is not one line: %s", err->message);
}

static void expect_fail(const tg_buf *b, const char *name, fk_status want, const char *needle)
{
    fk_image *img = NULL;
    fk_error err;
    fk_status st = decode(b, name, NULL, &img, &err);
    CHECK_MSG(st == want, "%s: status %d, want %d (%s)", name, st, want, err.message);
    CHECK(img == NULL);
    fk_image_free(img);
    if (st != FK_OK) {
        check_message(&err, name);
        if (needle)
            CHECK_MSG(strstr(err.message, needle) != NULL, "%s: message lacks '%s': %s", name, needle, err.message);
    }
}

static void test_sniff(void)
{
    const uint8_t jpg[] = {0xff, 0xd8, 0xff, 0xe0};
    const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    CHECK(fk_image_sniff(jpg, sizeof jpg) == FK_IMAGE_FORMAT_JPEG);
    CHECK(fk_image_sniff(png, sizeof png) == FK_IMAGE_FORMAT_PNG);
    CHECK(fk_image_sniff("P6\n1 1 255\n", 11) == FK_IMAGE_FORMAT_PNM);
    CHECK(fk_image_sniff("P4 ", 3) == FK_IMAGE_FORMAT_PNM);
    CHECK(fk_image_sniff("P3\n", 3) == FK_IMAGE_FORMAT_UNKNOWN);
    CHECK(fk_image_sniff("P6x", 3) == FK_IMAGE_FORMAT_UNKNOWN);
    CHECK(fk_image_sniff(png, 7) == FK_IMAGE_FORMAT_UNKNOWN);
    CHECK(fk_image_sniff(NULL, 10) == FK_IMAGE_FORMAT_UNKNOWN);
    CHECK(fk_image_sniff("", 0) == FK_IMAGE_FORMAT_UNKNOWN);
}

/* A 16x16 RGB pattern of smooth ramps that JPEG at quality 100 keeps within a few levels. */
static uint8_t *ramp_rgb(int w, int h)
{
    uint8_t *p = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * 3;
            q[0] = (uint8_t)(x * 255 / (w - 1));
            q[1] = (uint8_t)(y * 255 / (h - 1));
            q[2] = (uint8_t)(128 + (x - y) * 2);
        }
    return p;
}

static void test_jpeg_rgb(void)
{
    const int w = 16, h = 16;
    uint8_t *src = ramp_rgb(w, h);
    for (int prog = 0; prog < 2; prog++) {
        tg_jpeg_opts o = {.components = 3, .quality = 100, .full_chroma = 1, .progressive = prog};
        tg_buf b = tg_jpeg(src, w, h, &o);
        fk_image *img;
        fk_error err;
        CHECK_OK(decode(&b, "rgb.jpg", NULL, &img, &err));
        if (img) {
            CHECK(img->width == w && img->height == h && img->stride == (size_t)w * 3);
            int worst = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w * 3; x++) {
                    int d = abs(img->data[(size_t)y * img->stride + x] - src[(size_t)y * w * 3 + x]);
                    worst = d > worst ? d : worst;
                }
            CHECK_MSG(worst <= 6, "RGB JPEG (progressive %d) differs by %d", prog, worst);
        }
        fk_image_free(img);
        tg_free(&b);
    }
    free(src);
}

static void test_jpeg_gray(void)
{
    const int w = 24, h = 8;
    uint8_t src[24 * 8];
    for (int i = 0; i < w * h; i++)
        src[i] = (uint8_t)((i % w) * 10 + 5);
    tg_jpeg_opts o = {.components = 1, .quality = 100};
    tg_buf b = tg_jpeg(src, w, h, &o);
    fk_image *img;
    fk_error err;
    CHECK_OK(decode(&b, "gray.jpg", NULL, &img, &err));
    if (img) {
        CHECK(img->width == w && img->height == h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                const uint8_t *p = px(img, x, y);
                CHECK(p[0] == p[1] && p[1] == p[2]);
                CHECK_NEAR(p[0], src[y * w + x], 3);
            }
    }
    fk_image_free(img);
    tg_free(&b);
}

/* libjpeg writes CMYK with an Adobe marker and the values as given, so the test gives
 * Adobe's inverted convention: 255 means no ink. */
static void test_jpeg_cmyk(void)
{
    const int w = 16, h = 16;
    uint8_t src[16 * 16 * 4];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = src + (y * w + x) * 4;
            if (y < 8) { /* no black ink: RGB = the inverted CMY */
                q[0] = 200, q[1] = 100, q[2] = 50, q[3] = 255;
            } else { /* half black: RGB = inverted CMY * 128/255 */
                q[0] = 255, q[1] = 0, q[2] = 128, q[3] = 128;
            }
        }
    tg_jpeg_opts o = {.components = 4, .quality = 100};
    tg_buf b = tg_jpeg(src, w, h, &o);
    fk_image *img;
    fk_error err;
    CHECK_OK(decode(&b, "cmyk.jpg", NULL, &img, &err));
    if (img) {
        const uint8_t *t = px(img, 3, 2), *u = px(img, 12, 13);
        CHECK_MSG(near3(t, 200, 100, 50, 3), "CMYK top %d %d %d", t[0], t[1], t[2]);
        CHECK_MSG(near3(u, 128, 0, 64, 3), "CMYK bottom %d %d %d", u[0], u[1], u[2]);
    }
    fk_image_free(img);
    tg_free(&b);
}

/* ---- orientation ---- */

/* The 4x3 test picture: four flat quadrants, the top two rows and the bottom row. */
static const uint8_t quad_colours[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};

static int quad_of(int x, int y)
{
    return (x >= 2) + 2 * (y >= 2);
}

static int nearest_quad(const uint8_t *p)
{
    int best = 0, best_d = 1 << 30;
    for (int i = 0; i < 4; i++) {
        int d = 0;
        for (int c = 0; c < 3; c++)
            d += (p[c] - quad_colours[i][c]) * (p[c] - quad_colours[i][c]);
        if (d < best_d)
            best_d = d, best = i;
    }
    return best;
}

/* Where destination (dx, dy) of the upright picture comes from in the stored one, straight
 * from the EXIF definitions (row 0 / column 0 of the stored image is shown at ...). */
static void stored_pos(int o, int dx, int dy, int w, int h, int *sx, int *sy)
{
    switch (o) {
    case 2: *sx = w - 1 - dx; *sy = dy; break;         /* mirrored */
    case 3: *sx = w - 1 - dx; *sy = h - 1 - dy; break; /* upside down */
    case 4: *sx = dx; *sy = h - 1 - dy; break;         /* flipped */
    case 5: *sx = dy; *sy = dx; break;                 /* transposed */
    case 6: *sx = dy; *sy = h - 1 - dx; break;         /* needs 90 degrees clockwise */
    case 7: *sx = w - 1 - dy; *sy = h - 1 - dx; break; /* transverse */
    case 8: *sx = w - 1 - dy; *sy = dx; break;         /* needs 90 degrees anticlockwise */
    default: *sx = dx; *sy = dy; break;
    }
}

static void check_quadrants(const fk_image *img, int o, const char *what)
{
    const int w = 4, h = 3;
    int swap = o >= 5;
    CHECK_MSG(img->width == (swap ? h : w) && img->height == (swap ? w : h), "%s o=%d: size %dx%d", what, o,
              img->width, img->height);
    if (img->width != (swap ? h : w) || img->height != (swap ? w : h))
        return;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            int sx, sy;
            stored_pos(o, x, y, w, h, &sx, &sy);
            CHECK_MSG(nearest_quad(px(img, x, y)) == quad_of(sx, sy), "%s o=%d: pixel (%d,%d)", what, o, x, y);
        }
}

static void make_quad_pixels(uint8_t *p)
{
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 4; x++)
            memcpy(p + (y * 4 + x) * 3, quad_colours[quad_of(x, y)], 3);
}

static void test_jpeg_orientation(void)
{
    uint8_t pix[4 * 3 * 3];
    make_quad_pixels(pix);
    for (int o = 1; o <= 8; o++) {
        tg_buf exif = tg_exif(o, o % 2, 1); /* both byte orders */
        tg_jpeg_opts jo = {.components = 3, .quality = 100, .full_chroma = 1, .app1 = exif.data,
                           .app1_size = exif.size};
        tg_buf b = tg_jpeg(pix, 4, 3, &jo);
        fk_image *img;
        fk_error err;
        CHECK_OK(decode(&b, "orient.jpg", NULL, &img, &err));
        if (img)
            check_quadrants(img, o, "JPEG");
        /* the plain meaning, said once more without the table: red is the stored top-left */
        if (img && o == 6)
            CHECK(nearest_quad(px(img, img->width - 1, 0)) == 0); /* rotated clockwise: top-right */
        if (img && o == 3)
            CHECK(nearest_quad(px(img, img->width - 1, img->height - 1)) == 0);
        if (img && o == 8)
            CHECK(nearest_quad(px(img, 0, img->height - 1)) == 0);
        fk_image_free(img);

        fk_decode_options opt = {.ignore_orientation = 1};
        CHECK_OK(decode(&b, "orient.jpg", &opt, &img, &err));
        if (img)
            check_quadrants(img, 1, "JPEG ignoring orientation");
        fk_image_free(img);
        tg_free(&b);
        tg_free(&exif);
    }
}

static void test_orient_exact(void)
{
    /* every pixel distinct, so the whole permutation is checked, with a padded stride */
    fk_image src = {.width = 5, .height = 3, .stride = 5 * 3 + 7};
    uint8_t buf[(5 * 3 + 7) * 3];
    memset(buf, 0xee, sizeof buf);
    src.data = buf;
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++) {
            uint8_t *p = buf + y * src.stride + x * 3;
            p[0] = (uint8_t)x, p[1] = (uint8_t)y, p[2] = (uint8_t)(x * 10 + y);
        }
    for (int o = 0; o <= 9; o++) {
        fk_image *img = NULL;
        CHECK_OK(fk__image_orient(&src, o, &img, NULL));
        if (!img)
            continue;
        int eff = o >= 1 && o <= 8 ? o : 1, swap = eff >= 5;
        CHECK(img->width == (swap ? 3 : 5) && img->height == (swap ? 5 : 3));
        for (int y = 0; y < img->height; y++)
            for (int x = 0; x < img->width; x++) {
                int sx, sy;
                stored_pos(eff, x, y, 5, 3, &sx, &sy);
                const uint8_t *p = px(img, x, y);
                CHECK_MSG(p[0] == sx && p[1] == sy && p[2] == sx * 10 + sy, "orient %d (%d,%d)", o, x, y);
            }
        fk_image_free(img);
    }
}

static void test_exif_parser(void)
{
    for (int big = 0; big < 2; big++)
        for (int o = 0; o <= 10; o++) {
            tg_buf t = tg_exif(o, big, 0);
            CHECK(fk__image_exif_orientation(t.data, t.size) == (o >= 1 && o <= 8 ? o : 0));
            /* every shorter prefix is refused without reading past it (ASan watches) */
            for (size_t n = 0; n < t.size; n++) {
                uint8_t *cut = malloc(n ? n : 1);
                memcpy(cut, t.data, n);
                int got = fk__image_exif_orientation(cut, n);
                CHECK_MSG(got == 0 || n >= 22, "prefix %zu gave %d", n, got);
                free(cut);
            }
            tg_free(&t);
            tg_buf a = tg_exif(o, big, 1);
            CHECK(fk__image_exif_orientation_app1(a.data, a.size) == (o >= 1 && o <= 8 ? o : 0));
            CHECK(fk__image_exif_orientation(a.data, a.size) == 0); /* the prefix is not TIFF */
            tg_free(&a);
        }
    /* IFD offsets and counts pointing anywhere */
    tg_buf t = tg_exif(6, 1, 0);
    uint8_t bad[64];
    memcpy(bad, t.data, t.size);
    bad[4] = 0xff, bad[5] = 0xff, bad[6] = 0xff, bad[7] = 0xf0;
    CHECK(fk__image_exif_orientation(bad, t.size) == 0);
    memcpy(bad, t.data, t.size);
    bad[8] = 0xff, bad[9] = 0xff; /* 65535 entries in a 26-byte block: the first is still read */
    CHECK(fk__image_exif_orientation(bad, t.size) == 6);
    bad[11] = 0x13; /* and the rest, which are not there, are not */
    CHECK(fk__image_exif_orientation(bad, t.size) == 0);
    memcpy(bad, t.data, t.size);
    bad[3] = 43; /* not 42 */
    CHECK(fk__image_exif_orientation(bad, t.size) == 0);
    CHECK(fk__image_exif_orientation(NULL, 100) == 0);
    tg_free(&t);
}

/* ---- PNG ---- */

static void test_png_16bit(void)
{
    const uint16_t vals[8][3] = {{0, 65535, 257},    {257 * 100, 257 * 200, 257 * 255}, {1, 127, 128},
                                 {32767, 32768, 65534}, {12345, 54321, 40000},           {300, 600, 900},
                                 {65280, 65407, 65408}, {0x1234, 0xabcd, 0x8000}};
    uint8_t rows[2 * 4 * 6];
    for (int i = 0; i < 8; i++)
        for (int c = 0; c < 3; c++) {
            rows[i * 6 + c * 2] = (uint8_t)(vals[i][c] >> 8);
            rows[i * 6 + c * 2 + 1] = (uint8_t)vals[i][c];
        }
    tg_png_opts o = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 16};
    tg_buf b = tg_png(rows, 4 * 6, 4, 2, &o);
    fk_image *img;
    fk_error err;
    CHECK_OK(decode(&b, "rgb16.png", NULL, &img, &err));
    if (img) {
        for (int i = 0; i < 8; i++)
            for (int c = 0; c < 3; c++) {
                double want = vals[i][c] * 255.0 / 65535.0;
                int got = px(img, i % 4, i / 4)[c];
                /* png_set_scale_16 rounds; exact multiples of 257 map exactly */
                CHECK_MSG(fabs(got - want) <= 0.5 + 1e-9 || (vals[i][c] % 257 != 0 && fabs(got - want) < 1.0),
                          "16-bit %u -> %d (want %.2f)", vals[i][c], got, want);
                if (vals[i][c] % 257 == 0)
                    CHECK(got == vals[i][c] / 257);
            }
    }
    fk_image_free(img);
    tg_free(&b);
}

static void test_png_palette_trns(void)
{
    const png_color pal[4] = {{10, 20, 30}, {200, 100, 0}, {0, 255, 0}, {255, 255, 255}};
    const png_byte alpha[4] = {0, 128, 255, 255};
    for (int interlace = 0; interlace < 2; interlace++)
        for (int depth = 2; depth <= 8; depth += 6) {
            const int w = 9, h = 5;
            uint8_t idx[9 * 5], rows[9 * 5];
            for (int i = 0; i < w * h; i++)
                idx[i] = (uint8_t)((i * 7 + i / w) % 4);
            size_t row_bytes = depth == 8 ? (size_t)w : (size_t)(w + 3) / 4;
            memset(rows, 0, sizeof rows);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    if (depth == 8)
                        rows[y * row_bytes + x] = idx[y * w + x];
                    else
                        rows[y * row_bytes + x / 4] |= (uint8_t)(idx[y * w + x] << (6 - 2 * (x % 4)));
                }
            tg_png_opts o = {.color_type = PNG_COLOR_TYPE_PALETTE, .bit_depth = depth, .interlace = interlace,
                             .palette = pal, .palette_n = 4, .trans = alpha, .trans_n = 4};
            tg_buf b = tg_png(rows, row_bytes, w, h, &o);
            fk_image *img;
            fk_error err;
            CHECK_OK(decode(&b, "palette.png", NULL, &img, &err));
            if (img) {
                CHECK(img->width == w && img->height == h);
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) {
                        const png_color *c = &pal[idx[y * w + x]];
                        CHECK_MSG(near3(px(img, x, y), c->red, c->green, c->blue, 0), "palette depth %d il %d (%d,%d)",
                                  depth, interlace, x, y);
                    }
            }
            fk_image_free(img);
            tg_free(&b);
        }
}

static void test_png_gray_alpha_rgba(void)
{
    fk_image *img;
    fk_error err;
    /* grey + alpha, 8-bit: grey replicated, alpha dropped */
    uint8_t ga[3 * 2 * 2] = {0, 255, 100, 0, 200, 17, 255, 9, 1, 1, 128, 128};
    tg_png_opts o = {.color_type = PNG_COLOR_TYPE_GRAY_ALPHA, .bit_depth = 8};
    tg_buf b = tg_png(ga, 6, 3, 2, &o);
    CHECK_OK(decode(&b, "ga.png", NULL, &img, &err));
    if (img)
        for (int i = 0; i < 6; i++)
            CHECK(near3(px(img, i % 3, i / 3), ga[2 * i], ga[2 * i], ga[2 * i], 0));
    fk_image_free(img);
    tg_free(&b);

    /* RGBA, 8-bit and 16-bit */
    uint8_t rgba[2 * 2 * 4] = {1, 2, 3, 0, 40, 50, 60, 255, 255, 254, 253, 128, 7, 8, 9, 9};
    o = (tg_png_opts){.color_type = PNG_COLOR_TYPE_RGB_ALPHA, .bit_depth = 8};
    b = tg_png(rgba, 8, 2, 2, &o);
    CHECK_OK(decode(&b, "rgba.png", NULL, &img, &err));
    if (img)
        for (int i = 0; i < 4; i++)
            CHECK(near3(px(img, i % 2, i / 2), rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], 0));
    fk_image_free(img);
    tg_free(&b);

    uint8_t rgba16[2 * 1 * 8] = {0xff, 0xff, 0, 0, 0x80, 0x80, 0x12, 0x34, 0x01, 0x01, 0x02, 0x02, 0x03, 0x03, 0, 0};
    o = (tg_png_opts){.color_type = PNG_COLOR_TYPE_RGB_ALPHA, .bit_depth = 16};
    b = tg_png(rgba16, 16, 2, 1, &o);
    CHECK_OK(decode(&b, "rgba16.png", NULL, &img, &err));
    if (img) {
        CHECK(near3(px(img, 0, 0), 255, 0, 128, 0));
        CHECK(near3(px(img, 1, 0), 1, 2, 3, 0));
    }
    fk_image_free(img);
    tg_free(&b);

    /* grey 1-bit, and grey 16-bit with a tRNS colour (ignored) */
    uint8_t g1[2] = {0xa5, 0x80}; /* 10100101 1.. */
    o = (tg_png_opts){.color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 1};
    b = tg_png(g1, 2, 9, 1, &o);
    CHECK_OK(decode(&b, "g1.png", NULL, &img, &err));
    if (img) {
        const int bits[9] = {1, 0, 1, 0, 0, 1, 0, 1, 1};
        for (int x = 0; x < 9; x++)
            CHECK(near3(px(img, x, 0), bits[x] * 255, bits[x] * 255, bits[x] * 255, 0));
    }
    fk_image_free(img);
    tg_free(&b);

    uint8_t g16[2 * 2] = {0x80, 0x00, 0xff, 0xff};
    png_color_16 tc = {.gray = 0xffff};
    o = (tg_png_opts){.color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 16, .trans_color = &tc};
    b = tg_png(g16, 4, 2, 1, &o);
    CHECK_OK(decode(&b, "g16.png", NULL, &img, &err));
    if (img) {
        CHECK(near3(px(img, 0, 0), 128, 128, 128, 0));
        CHECK(near3(px(img, 1, 0), 255, 255, 255, 0));
    }
    fk_image_free(img);
    tg_free(&b);
}

static void test_png_interlaced(void)
{
    const int w = 13, h = 11;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h * 3; i++)
        rgb[i] = (uint8_t)(i * 37 + 11);
    tg_png_opts o = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8, .interlace = 1};
    tg_buf b = tg_png(rgb, (size_t)w * 3, w, h, &o);
    fk_image *img;
    fk_error err;
    CHECK_OK(decode(&b, "adam7.png", NULL, &img, &err));
    if (img) {
        CHECK(img->width == w && img->height == h);
        int same = 1;
        for (int y = 0; y < h; y++)
            same &= memcmp(img->data + (size_t)y * img->stride, rgb + (size_t)y * w * 3, (size_t)w * 3) == 0;
        CHECK_MSG(same, "interlaced PNG pixels differ");
    }
    fk_image_free(img);
    tg_free(&b);
    free(rgb);
}

static void test_png_exif(void)
{
    uint8_t pix[4 * 3 * 3];
    make_quad_pixels(pix);
    for (int o = 1; o <= 8; o++) {
        tg_buf exif = tg_exif(o, o % 2, 0);
        tg_png_opts po = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8, .exif = exif.data,
                          .exif_size = exif.size};
        tg_buf b = tg_png(pix, 12, 4, 3, &po);
        fk_image *img;
        fk_error err;
        CHECK_OK(decode(&b, "exif.png", NULL, &img, &err));
        if (img)
            check_quadrants(img, o, "PNG eXIf");
        fk_image_free(img);
        fk_decode_options opt = {.ignore_orientation = 1};
        CHECK_OK(decode(&b, "exif.png", &opt, &img, &err));
        if (img)
            check_quadrants(img, 1, "PNG eXIf ignored");
        fk_image_free(img);
        tg_free(&b);
        tg_free(&exif);
    }
}

/* eXIf may also come after the image data; it still counts. */
static void test_png_exif_after_idat(void)
{
    uint8_t pix[4 * 3 * 3];
    make_quad_pixels(pix);
    tg_png_opts po = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8};
    tg_buf plain = tg_png(pix, 12, 4, 3, &po);
    tg_buf exif = tg_exif(6, 0, 0);
    /* everything up to IEND, then eXIf, then IEND (the last 12 bytes) */
    tg_buf b = {0};
    tg_put(&b, plain.data, plain.size - 12);
    uint8_t head[8];
    tg_be32(head, (uint32_t)exif.size);
    memcpy(head + 4, "eXIf", 4);
    tg_buf crc_in = {0};
    tg_put(&crc_in, "eXIf", 4);
    tg_put(&crc_in, exif.data, exif.size);
    uint8_t crc[4];
    tg_be32(crc, tg_crc32(crc_in.data, crc_in.size));
    tg_put(&b, head, 8);
    tg_put(&b, exif.data, exif.size);
    tg_put(&b, crc, 4);
    tg_put(&b, plain.data + plain.size - 12, 12);
    fk_image *img;
    fk_error err;
    CHECK_OK(decode(&b, "late-exif.png", NULL, &img, &err));
    if (img)
        check_quadrants(img, 6, "PNG eXIf after IDAT");
    fk_image_free(img);
    tg_free(&b);
    tg_free(&crc_in);
    tg_free(&exif);
    tg_free(&plain);
}

/* ---- PNM ---- */

static tg_buf pnm(const char *header, const uint8_t *data, size_t n)
{
    tg_buf b = {0};
    tg_put(&b, header, strlen(header));
    tg_put(&b, data, n);
    return b;
}

static void test_pnm(void)
{
    fk_image *img;
    fk_error err;
    /* P4: 10 pixels wide, rows padded to two bytes; 1 is black; comments in the header */
    const uint8_t p4[3 * 2] = {0xa0, 0x40, 0xff, 0xc0, 0x00, 0x00};
    tg_buf b = pnm("P4\n# a comment\n10 # width\r\n3\n", p4, sizeof p4);
    CHECK_OK(decode(&b, "a.pbm", NULL, &img, &err));
    if (img) {
        CHECK(img->width == 10 && img->height == 3);
        const char *rows[3] = {"#.#......#", "##########", ".........."};
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 10; x++) {
                int v = rows[y][x] == '#' ? 0 : 255;
                CHECK_MSG(near3(px(img, x, y), v, v, v, 0), "P4 (%d,%d)", x, y);
            }
    }
    fk_image_free(img);
    tg_free(&b);

    /* P5 maxval 255 (identity) and 15 (scaled with rounding) */
    const uint8_t g[4] = {0, 7, 8, 15};
    b = pnm("P5 2 2 15\n", g, 4);
    CHECK_OK(decode(&b, "a.pgm", NULL, &img, &err));
    if (img) {
        CHECK(near3(px(img, 0, 0), 0, 0, 0, 0));
        CHECK(near3(px(img, 1, 0), 119, 119, 119, 0)); /* 7*255/15 = 119 */
        CHECK(near3(px(img, 0, 1), 136, 136, 136, 0));
        CHECK(near3(px(img, 1, 1), 255, 255, 255, 0));
    }
    fk_image_free(img);
    tg_free(&b);

    /* P5 16-bit, big-endian, maxval 1000 */
    const uint8_t g16[4] = {0x01, 0xf4, 0x03, 0xe8}; /* 500, 1000 */
    b = pnm("P5\n2 1\n1000\n", g16, 4);
    CHECK_OK(decode(&b, "16.pgm", NULL, &img, &err));
    if (img) {
        CHECK(near3(px(img, 0, 0), 128, 128, 128, 0)); /* 127.5 rounds up */
        CHECK(near3(px(img, 1, 0), 255, 255, 255, 0));
    }
    fk_image_free(img);
    tg_free(&b);

    /* P6 8-bit and 16-bit (maxval 65535) */
    const uint8_t c8[6] = {1, 2, 3, 250, 251, 252};
    b = pnm("P6 2 1 255\n", c8, 6);
    CHECK_OK(decode(&b, "a.ppm", NULL, &img, &err));
    if (img) {
        CHECK(memcmp(img->data, c8, 6) == 0);
    }
    fk_image_free(img);
    tg_free(&b);
    const uint8_t c16[6] = {0xff, 0xff, 0x00, 0x00, 0x80, 0x00};
    b = pnm("P6\n1 1\n65535\n", c16, 6);
    CHECK_OK(decode(&b, "16.ppm", NULL, &img, &err));
    if (img)
        CHECK(near3(px(img, 0, 0), 255, 0, 128, 0));
    fk_image_free(img);
    tg_free(&b);

    /* trailing data (a second image) is ignored */
    b = pnm("P5 1 1 255\n", (const uint8_t *)"\x40P5 1 1 255\n\x41", 14);
    CHECK_OK(decode(&b, "two.pgm", NULL, &img, &err));
    if (img)
        CHECK(img->data[0] == 0x40);
    fk_image_free(img);
    tg_free(&b);

    /* corrupt headers and samples */
    const uint8_t z[8] = {0};
    const uint8_t over[2] = {0, 16};
    b = pnm("P5 2 1 0\n", z, 2);
    expect_fail(&b, "m0.pgm", FK_E_BAD_FORMAT, "maxval");
    tg_free(&b);
    b = pnm("P5 2 1 70000\n", z, 8);
    expect_fail(&b, "m70k.pgm", FK_E_BAD_FORMAT, "maxval");
    tg_free(&b);
    b = pnm("P5 2 1 15\n", over, 2);
    expect_fail(&b, "over.pgm", FK_E_BAD_FORMAT, "maxval");
    tg_free(&b);
    b = pnm("P6 x 1 255\n", z, 3);
    expect_fail(&b, "x.ppm", FK_E_BAD_FORMAT, "width");
    tg_free(&b);
    b = pnm("P6 0 1 255\n", z, 3);
    expect_fail(&b, "zero.ppm", FK_E_BAD_FORMAT, NULL);
    tg_free(&b);
    b = pnm("P6 1 1 255", z, 0);
    expect_fail(&b, "nodata.ppm", FK_E_BAD_FORMAT, "truncated");
    tg_free(&b);
    b = pnm("P6 99999999999999999999999 1 255\n", z, 3);
    expect_fail(&b, "huge.ppm", FK_E_LIMIT, "over the limit");
    tg_free(&b);
    b = pnm("P3\n1 1\n255\n0 0 0\n", z, 0);
    expect_fail(&b, "ascii.ppm", FK_E_UNSUPPORTED, "P3");
    tg_free(&b);
}

/* ---- truncation ---- */

static void check_cuts(const tg_buf *whole, const char *name)
{
    size_t n = whole->size;
    size_t cuts[] = {1, 2, 3, 7, 12, 20, 40, n / 4, n / 3, n / 2, (3 * n) / 4, n - 20, n - 8, n - 3, n - 2, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        if (cuts[i] == 0 || cuts[i] >= n)
            continue;
        uint8_t *p = malloc(cuts[i]); /* exactly the prefix: ASan sees any read past it */
        memcpy(p, whole->data, cuts[i]);
        fk_image *img = NULL;
        fk_error err = {0};
        fk_status st = fk_image_decode(p, cuts[i], name, NULL, &img, &err);
        CHECK_MSG(st == FK_E_BAD_FORMAT, "%s cut at %zu of %zu: status %d (%s)", name, cuts[i], n, st, err.message);
        CHECK(img == NULL);
        if (st != FK_OK) {
            check_message(&err, name);
            CHECK_MSG(strstr(err.message, "truncated") != NULL, "%s cut at %zu: %s", name, cuts[i], err.message);
        }
        fk_image_free(img);
        free(p);
    }
}

static void test_truncated(void)
{
    const int w = 32, h = 24;
    uint8_t *rgb = ramp_rgb(w, h);
    tg_jpeg_opts jo = {.components = 3, .quality = 90};
    tg_buf b = tg_jpeg(rgb, w, h, &jo);
    check_cuts(&b, "x.jpg");
    tg_free(&b);
    jo.progressive = 1;
    b = tg_jpeg(rgb, w, h, &jo);
    check_cuts(&b, "prog.jpg");
    tg_free(&b);

    tg_png_opts po = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8};
    b = tg_png(rgb, (size_t)w * 3, w, h, &po);
    check_cuts(&b, "x.png");
    tg_free(&b);
    po.interlace = 1;
    b = tg_png(rgb, (size_t)w * 3, w, h, &po);
    check_cuts(&b, "adam7.png");
    tg_free(&b);

    b = pnm("P6\n32 24\n255\n", rgb, (size_t)w * h * 3);
    check_cuts(&b, "x.ppm");
    tg_free(&b);
    free(rgb);
}

/* A PNG whose IDAT stream ends early though every chunk is whole: still corrupt. */
static void test_png_short_idat(void)
{
    const int w = 16, h = 16;
    uint8_t *rgb = ramp_rgb(w, h);
    tg_png_opts po = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8};
    /* a 16x8 image's IDAT under the 16x16 IHDR */
    tg_buf half = tg_png(rgb, (size_t)w * 3, w, h / 2, &po);
    tg_png_patch_size(&half, 16, 16);
    expect_fail(&half, "short.png", FK_E_BAD_FORMAT, NULL);
    tg_free(&half);
    free(rgb);
}

/* ---- files, bombs and limits ---- */

static void test_files(void)
{
    fk_image *img = NULL;
    fk_error err;
    const char *p;

    p = tmp_path("empty.jpg");
    CHECK(tg_write_file(p, "", 0));
    CHECK(fk_image_load(p, NULL, &img, &err) == FK_E_BAD_FORMAT);
    check_message(&err, p);
    CHECK(strstr(err.message, "empty") != NULL);

    uint8_t rnd[1000];
    unsigned s = 12345;
    for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (uint8_t)(fk_test_randf(&s) * 127 + 128);
    rnd[0] = 0x17;
    p = tmp_path("photo.jpg");
    CHECK(tg_write_file(p, rnd, sizeof rnd));
    CHECK(fk_image_load(p, NULL, &img, &err) == FK_E_BAD_FORMAT);
    check_message(&err, p);
    CHECK_MSG(strstr(err.message, "not a JPEG, PNG, PNM, WebP, GIF, TIFF or BMP image") != NULL, "%s", err.message);

    const char *text = "name,score\nalice,1\n";
    p = tmp_path("notes.png");
    CHECK(tg_write_file(p, text, strlen(text)));
    CHECK(fk_image_load(p, NULL, &img, &err) == FK_E_BAD_FORMAT);
    CHECK(strstr(err.message, "not a JPEG, PNG, PNM, WebP, GIF, TIFF or BMP image") != NULL);

    p = tmp_path("adir.jpg");
    CHECK(mkdir(p, 0700) == 0);
    CHECK(fk_image_load(p, NULL, &img, &err) == FK_E_IO);
    check_message(&err, p);
    CHECK_MSG(strstr(err.message, "directory") != NULL, "%s", err.message);
    rmdir(p);

    p = tmp_path("missing.jpg");
    CHECK(fk_image_load(p, NULL, &img, &err) == FK_E_NOT_FOUND);
    check_message(&err, p);

    /* a good file loads, and the file-size limit refuses it */
    uint8_t *rgb = ramp_rgb(16, 16);
    tg_png_opts po = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8};
    tg_buf b = tg_png(rgb, 48, 16, 16, &po);
    p = tmp_path("good.png");
    CHECK(tg_write_file(p, b.data, b.size));
    CHECK_OK(fk_image_load(p, NULL, &img, &err));
    CHECK(img && img->width == 16 && img->height == 16 && memcmp(img->data, rgb, 48) == 0);
    fk_image_free(img);
    img = NULL;
    fk_decode_options opt = {.limits.max_file_bytes = 10};
    CHECK(fk_image_load(p, &opt, &img, &err) == FK_E_LIMIT);
    check_message(&err, p);
    CHECK(img == NULL);
    CHECK(fk_image_decode(b.data, b.size, "mem", &opt, &img, &err) == FK_E_LIMIT);
    tg_free(&b);
    free(rgb);

    remove(tmp_path("empty.jpg"));
    remove(tmp_path("photo.jpg"));
    remove(tmp_path("notes.png"));
    remove(tmp_path("good.png"));

    /* arguments */
    CHECK(fk_image_load(NULL, NULL, &img, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_image_load("x", NULL, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_image_decode(NULL, 5, "x", NULL, &img, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_image_decode("abc", 3, NULL, NULL, &img, NULL) == FK_E_BAD_FORMAT); /* NULL err is fine */
}

/* Decodes `b` and expects FK_E_LIMIT. Outside ASan it runs in a child whose address space
 * is capped, so a decoder that allocated the claimed pixels first would fail differently. */
static void expect_limit_no_alloc(const tg_buf *b, const char *name, const fk_decode_options *opt)
{
    fk_image *img = NULL;
    fk_error err;
#ifndef TG_ASAN
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)1 << 30, (rlim_t)1 << 30}; /* 1 GiB: a tenth of the claimed pixels */
        setrlimit(RLIMIT_AS, &rl);
        fk_status st = fk_image_decode(b->data, b->size, name, opt, &img, &err);
        _exit(st == FK_E_LIMIT ? 0 : 10 + (int)st);
    }
    int ws = 0;
    CHECK(pid > 0 && waitpid(pid, &ws, 0) == pid);
    CHECK_MSG(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "%s: child exit %d", name, WEXITSTATUS(ws));
#endif
    fk_status st = fk_image_decode(b->data, b->size, name, opt, &img, &err);
    CHECK_MSG(st == FK_E_LIMIT, "%s: status %d (%s)", name, st, err.message);
    CHECK(img == NULL);
    check_message(&err, name);
    fk_image_free(img);
}

static void test_bombs_and_limits(void)
{
    uint8_t *rgb = ramp_rgb(16, 16);
    fk_error err;
    fk_image *img = NULL;

    tg_jpeg_opts jo = {.components = 3, .quality = 75};
    tg_buf j = tg_jpeg(rgb, 16, 16, &jo);
    tg_buf jb = {0};
    tg_put(&jb, j.data, j.size);
    CHECK(tg_jpeg_patch_size(&jb, 60000, 60000));
    expect_limit_no_alloc(&jb, "bomb.jpg", NULL);
    fk_image_decode(jb.data, jb.size, "bomb.jpg", NULL, &img, &err);
    CHECK_MSG(strstr(err.message, "60000x60000") && strstr(err.message, "30000x30000"), "%s", err.message);
    /* within the side limit but over the pixel limit */
    CHECK(tg_jpeg_patch_size(&jb, 20000, 20000));
    expect_limit_no_alloc(&jb, "bomb2.jpg", NULL);
    tg_free(&jb);

    tg_png_opts po = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8};
    tg_buf p = tg_png(rgb, 48, 16, 16, &po);
    tg_buf pb = {0};
    tg_put(&pb, p.data, p.size);
    tg_png_patch_size(&pb, 60000, 60000);
    expect_limit_no_alloc(&pb, "bomb.png", NULL);
    /* the largest size IHDR can state */
    tg_png_patch_size(&pb, 0x7fffffff, 0x7fffffff);
    expect_limit_no_alloc(&pb, "bomb3.png", NULL);
    tg_free(&pb);

    tg_buf nb = pnm("P6 60000 60000 255\n", rgb, 16);
    expect_limit_no_alloc(&nb, "bomb.ppm", NULL);
    tg_free(&nb);

    /* small limits refuse a normal image, in each format */
    fk_decode_options side = {.limits = {.max_width = 8}};
    fk_decode_options pixels = {.limits = {.max_pixels = 100}};
    tg_buf n = pnm("P6 16 16 255\n", rgb, 16 * 16 * 3);
    const tg_buf *all[3] = {&j, &p, &n};
    for (int i = 0; i < 3; i++) {
        CHECK(fk_image_decode(all[i]->data, all[i]->size, "small", &side, &img, &err) == FK_E_LIMIT);
        CHECK_MSG(strstr(err.message, "16x16") && strstr(err.message, "8x30000"), "%s", err.message);
        CHECK(fk_image_decode(all[i]->data, all[i]->size, "small", &pixels, &img, &err) == FK_E_LIMIT);
        CHECK(img == NULL);
        fk_decode_options ok = {.limits = {.max_width = 16, .max_height = 16, .max_pixels = 256}};
        CHECK_OK(fk_image_decode(all[i]->data, all[i]->size, "exact", &ok, &img, &err));
        fk_image_free(img);
        img = NULL;
    }
    fk_decode_options neg = {.limits = {.max_height = -1}};
    CHECK(fk_image_decode(j.data, j.size, "neg", &neg, &img, &err) == FK_E_INVALID_ARGUMENT);
    tg_free(&n);
    tg_free(&j);
    tg_free(&p);
    free(rgb);
}

/* Corrupt entropy data inside a complete file is an error, not grey pixels. */
static void test_jpeg_corrupt(void)
{
    uint8_t *rgb = ramp_rgb(32, 32);
    tg_jpeg_opts jo = {.components = 3, .quality = 90};
    tg_buf j = tg_jpeg(rgb, 32, 32, &jo);
    /* an RST-less marker in the middle of the scan: "premature end of data segment" */
    size_t sos = 0;
    for (size_t i = 2; i + 1 < j.size; i++)
        if (j.data[i] == 0xff && j.data[i + 1] == 0xda)
            sos = i;
    CHECK(sos > 0);
    size_t mid = sos + (j.size - sos) / 2;
    j.data[mid] = 0xff;
    j.data[mid + 1] = 0xd9;
    expect_fail(&j, "corrupt.jpg", FK_E_BAD_FORMAT, "JPEG");
    tg_free(&j);
    free(rgb);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/fk_image_test_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_sniff();
    test_jpeg_rgb();
    test_jpeg_gray();
    test_jpeg_cmyk();
    test_jpeg_orientation();
    test_jpeg_corrupt();
    test_orient_exact();
    test_exif_parser();
    test_png_16bit();
    test_png_palette_trns();
    test_png_gray_alpha_rgba();
    test_png_interlaced();
    test_png_exif();
    test_png_exif_after_idat();
    test_png_short_idat();
    test_pnm();
    test_truncated();
    test_files();
    test_bombs_and_limits();
    rmdir(tmpdir);
    return fk_test_finish("test_image_decode");
}
