/* test_image_ops.c: crop, resize, clipped drawing and text, and save/load round trips with their errors. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facekit/image.h"
#include "harness.h"
#include "image/image_internal.h"

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static uint8_t *px(const fk_image *img, int x, int y)
{
    return img->data + (size_t)y * img->stride + (size_t)x * 3;
}

static fk_image *pattern(int w, int h)
{
    fk_image *img = NULL;
    if (fk_image_new(w, h, &img, NULL) != FK_OK)
        return NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px(img, x, y);
            p[0] = (uint8_t)(x * 13 + y), p[1] = (uint8_t)(y * 7), p[2] = (uint8_t)(x ^ y);
        }
    return img;
}

static void test_new_free(void)
{
    fk_image *img = NULL;
    fk_error err;
    CHECK_OK(fk_image_new(3, 2, &img, &err));
    CHECK(img && img->width == 3 && img->height == 2 && img->stride == 9);
    if (img)
        for (int i = 0; i < 18; i++)
            CHECK(img->data[i] == 0);
    fk_image_free(img);
    fk_image_free(NULL);
    CHECK(fk_image_new(0, 5, &img, &err) == FK_E_INVALID_ARGUMENT && img == NULL);
    CHECK(fk_image_new(5, -1, &img, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_image_new(5, 5, NULL, &err) == FK_E_INVALID_ARGUMENT);
}

static void test_crop(void)
{
    fk_image *src = pattern(10, 8), *c = NULL;
    fk_error err;
    CHECK_OK(fk_image_crop(src, 3, 2, 4, 5, &c, &err));
    if (c) {
        CHECK(c->width == 4 && c->height == 5);
        for (int y = 0; y < 5; y++)
            CHECK(memcmp(px(c, 0, y), px(src, 3, y + 2), 12) == 0);
    }
    fk_image_free(c);
    CHECK_OK(fk_image_crop(src, 0, 0, 10, 8, &c, &err)); /* the whole image */
    fk_image_free(c);
    const int bad[][4] = {{-1, 0, 2, 2}, {0, -1, 2, 2}, {9, 0, 2, 2}, {0, 7, 2, 2}, {0, 0, 0, 2}, {0, 0, 2, 0},
                          {0, 0, 11, 1}, {INT_MAX, 0, 1, 1}, {1, 1, INT_MAX, 1}, {INT_MIN, 0, INT_MAX, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = NULL;
        CHECK_MSG(fk_image_crop(src, bad[i][0], bad[i][1], bad[i][2], bad[i][3], &c, &err) == FK_E_INVALID_ARGUMENT,
                  "crop %zu accepted", i);
        CHECK(c == NULL);
    }
    CHECK(fk_image_crop(NULL, 0, 0, 1, 1, &c, &err) == FK_E_INVALID_ARGUMENT);
    fk_image_free(src);
}

static void test_resize(void)
{
    fk_image *out = NULL;
    fk_error err;
    /* the OpenCV INTER_LINEAR result for a 2-pixel ramp widened to 4: [0, 64, 191, 255] */
    fk_image *two = NULL;
    fk_image_new(2, 1, &two, NULL);
    memset(px(two, 1, 0), 255, 3);
    CHECK_OK(fk_image_resize(two, 4, 1, &out, &err));
    if (out) {
        const int want[4] = {0, 64, 191, 255};
        for (int x = 0; x < 4; x++)
            CHECK_MSG(px(out, x, 0)[0] == want[x] && px(out, x, 0)[2] == want[x], "x=%d got %d", x, px(out, x, 0)[0]);
    }
    fk_image_free(out);
    fk_image_free(two);

    /* same size is a copy; a constant image stays constant at any size */
    fk_image *src = pattern(31, 17);
    CHECK_OK(fk_image_resize(src, 31, 17, &out, &err));
    if (out)
        for (int y = 0; y < 17; y++)
            CHECK(memcmp(px(out, 0, y), px(src, 0, y), 31 * 3) == 0);
    fk_image_free(out);
    fk_image *flat = NULL;
    fk_image_new(7, 5, &flat, NULL);
    memset(flat->data, 77, flat->stride * 5);
    const int sizes[][2] = {{1, 1}, {3, 2}, {14, 10}, {100, 3}, {2, 50}};
    for (size_t i = 0; i < 5; i++) {
        CHECK_OK(fk_image_resize(flat, sizes[i][0], sizes[i][1], &out, &err));
        if (out)
            for (int y = 0; y < out->height; y++)
                for (int x = 0; x < out->width * 3; x++)
                    CHECK(out->data[(size_t)y * out->stride + x] == 77);
        fk_image_free(out);
    }
    fk_image_free(flat);

    /* against a floating-point bilinear reference with the same centre convention */
    const int dw = 20, dh = 7;
    CHECK_OK(fk_image_resize(src, dw, dh, &out, &err));
    if (out) {
        double worst = 0;
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++) {
                double fx = (x + 0.5) * 31.0 / dw - 0.5, fy = (y + 0.5) * 17.0 / dh - 0.5;
                fx = fx < 0 ? 0 : fx > 30 ? 30 : fx;
                fy = fy < 0 ? 0 : fy > 16 ? 16 : fy;
                int x0 = (int)fx, y0 = (int)fy, x1 = x0 < 30 ? x0 + 1 : x0, y1 = y0 < 16 ? y0 + 1 : y0;
                double ax = fx - x0, ay = fy - y0;
                for (int c = 0; c < 3; c++) {
                    double v = (1 - ay) * ((1 - ax) * px(src, x0, y0)[c] + ax * px(src, x1, y0)[c]) +
                               ay * ((1 - ax) * px(src, x0, y1)[c] + ax * px(src, x1, y1)[c]);
                    double d = fabs(v - px(out, x, y)[c]);
                    worst = fk_test_max(worst, d);
                }
            }
        CHECK_MSG(worst <= 1.0, "resize differs from the float reference by %.2f", worst);
    }
    fk_image_free(out);

    CHECK(fk_image_resize(src, 0, 5, &out, &err) == FK_E_INVALID_ARGUMENT && out == NULL);
    CHECK(fk_image_resize(NULL, 5, 5, &out, &err) == FK_E_INVALID_ARGUMENT);
    fk_image_free(src);
}

/* ---- drawing ---- */

/* An image inside a bigger buffer whose guard bytes (around it and in the stride padding)
 * must survive every drawing call. */
#define CW 20
#define CH 15
#define PAD 9
#define GUARD 64
typedef struct canvas {
    uint8_t buf[GUARD + (CW * 3 + PAD) * CH + GUARD];
    fk_image img;
} canvas;

static void canvas_init(canvas *c)
{
    memset(c->buf, 0xab, sizeof c->buf);
    c->img.width = CW;
    c->img.height = CH;
    c->img.stride = CW * 3 + PAD;
    c->img.data = c->buf + GUARD;
    for (int y = 0; y < CH; y++)
        memset(px(&c->img, 0, y), 0, CW * 3);
}

static int guards_ok(const canvas *c)
{
    for (size_t i = 0; i < sizeof c->buf; i++) {
        size_t off = i - GUARD;
        int inside = i >= GUARD && off < (size_t)c->img.stride * CH && off % c->img.stride < CW * 3;
        if (!inside && c->buf[i] != 0xab)
            return 0;
    }
    return 1;
}

static int is_set(const canvas *c, int x, int y)
{
    const uint8_t *p = px(&c->img, x, y);
    return p[0] == 0x12 && p[1] == 0x34 && p[2] == 0x56;
}

static int count_set(const canvas *c)
{
    int n = 0;
    for (int y = 0; y < CH; y++)
        for (int x = 0; x < CW; x++)
            n += is_set(c, x, y);
    return n;
}

#define COL 0x123456u

static void test_draw_rect(void)
{
    canvas c;
    canvas_init(&c);
    fk_image_draw_rect(&c.img, 2, 3, 6, 5, 1, COL); /* columns 2..7, rows 3..7 */
    for (int y = 0; y < CH; y++)
        for (int x = 0; x < CW; x++) {
            int edge = (x >= 2 && x <= 7 && y >= 3 && y <= 7) && (x == 2 || x == 7 || y == 3 || y == 7);
            CHECK_MSG(is_set(&c, x, y) == edge, "rect (%d,%d)", x, y);
        }
    CHECK(guards_ok(&c));

    /* thick, partly off the image on every side, and negative sizes */
    canvas_init(&c);
    fk_image_draw_rect(&c.img, -5, -5, CW + 10, CH + 10, 6, COL);
    CHECK(is_set(&c, 0, 0) && is_set(&c, CW - 1, CH - 1) && !is_set(&c, CW / 2, CH / 2));
    CHECK(guards_ok(&c));
    canvas_init(&c);
    fk_image_draw_rect(&c.img, 8, 8, -4, -4, 1, COL); /* same as (4, 4, 4, 4) */
    CHECK(is_set(&c, 4, 4) && is_set(&c, 7, 7) && !is_set(&c, 8, 8) && !is_set(&c, 5, 5));
    canvas_init(&c);
    fk_image_draw_rect(&c.img, 3, 3, 0.2, 0.2, 0, COL); /* degenerate: one pixel */
    CHECK(count_set(&c) == 1 && is_set(&c, 3, 3));

    /* far away, huge, or not finite: nothing, and nothing broken */
    const double odd[][4] = {{-1e300, -1e300, 2e300, 2e300}, {1e300, 0, 5, 5},   {NAN, 1, 2, 2},
                             {1, 1, INFINITY, 2},            {-INFINITY, 0, 1, 1}, {1e18, 1e18, -2e18, -2e18},
                             {-DBL_MAX, -DBL_MAX, DBL_MAX, DBL_MAX}};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        canvas_init(&c);
        fk_image_draw_rect(&c.img, odd[i][0], odd[i][1], odd[i][2], odd[i][3], INT_MAX, COL);
        fk_image_draw_rect(&c.img, odd[i][0], odd[i][1], odd[i][2], odd[i][3], 1, COL);
        CHECK(guards_ok(&c));
    }
    canvas_init(&c);
    fk_image_draw_rect(&c.img, -1e300, -1e300, 2e300, 2e300, 1, COL); /* its sides are all far outside */
    CHECK(count_set(&c) == 0);
    fk_image_draw_rect(&c.img, 0, 0, 5, 5, INT_MAX, COL); /* thickness swallows the box: filled */
    CHECK(count_set(&c) == 25);
    fk_image_draw_rect(NULL, 0, 0, 5, 5, 1, COL);
}

static void test_draw_line(void)
{
    canvas c;
    canvas_init(&c);
    fk_image_draw_line(&c.img, -100, 5, 100, 5, 1, COL);
    for (int y = 0; y < CH; y++)
        for (int x = 0; x < CW; x++)
            CHECK(is_set(&c, x, y) == (y == 5));
    CHECK(guards_ok(&c));

    canvas_init(&c);
    fk_image_draw_line(&c.img, 3, -1e300, 3, 1e300, 1, COL); /* vertical through huge values */
    CHECK(count_set(&c) == CH);
    for (int y = 0; y < CH; y++)
        CHECK(is_set(&c, 3, y));

    canvas_init(&c);
    fk_image_draw_line(&c.img, 0, 0, 14, 14, 1, COL); /* the diagonal, one pixel per row */
    CHECK(count_set(&c) == 15);
    for (int i = 0; i < 15; i++)
        CHECK(is_set(&c, i, i));

    /* a shallow line is connected: a pixel in every column */
    canvas_init(&c);
    fk_image_draw_line(&c.img, 0, 2, 19, 9, 1, COL);
    for (int x = 0; x < CW; x++) {
        int any = 0;
        for (int y = 0; y < CH; y++)
            any |= is_set(&c, x, y);
        CHECK_MSG(any, "shallow line has a gap at column %d", x);
    }
    CHECK(guards_ok(&c));

    /* thick: a 5-wide horizontal band */
    canvas_init(&c);
    fk_image_draw_line(&c.img, 4, 7, 15, 7, 5, COL);
    CHECK(is_set(&c, 10, 5) && is_set(&c, 10, 9) && !is_set(&c, 10, 4) && !is_set(&c, 10, 10));

    /* a line of enormous thickness covers everything, quickly */
    canvas_init(&c);
    fk_image_draw_line(&c.img, -1e9, 3, 1e9, 3, INT_MAX, COL);
    CHECK(count_set(&c) == CW * CH);
    CHECK(guards_ok(&c));

    const double odd[][4] = {{NAN, 0, 5, 5},          {0, 0, INFINITY, 5},         {-DBL_MAX, -DBL_MAX, DBL_MAX, DBL_MAX},
                             {1e300, 1e300, 1e300, 1e300}, {-5, -5, -1, -1},       {-DBL_MAX, 3, DBL_MAX, 4},
                             {5, 5, 5, 5},            {1e15, -1e15, -1e15, 1e15}};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        canvas_init(&c);
        fk_image_draw_line(&c.img, odd[i][0], odd[i][1], odd[i][2], odd[i][3], 3, COL);
        fk_image_draw_line(&c.img, odd[i][0], odd[i][1], odd[i][2], odd[i][3], -7, COL);
        CHECK(guards_ok(&c));
        if (i < 2)
            CHECK(count_set(&c) == 0);
    }
    canvas_init(&c);
    fk_image_draw_line(&c.img, -1e6, -1e6, 1e6, 1e6, 1, COL); /* clipped, still exactly the diagonal */
    CHECK(count_set(&c) == 15 && is_set(&c, 0, 0) && is_set(&c, 14, 14));
    canvas_init(&c);
    fk_image_draw_line(&c.img, -DBL_MAX, 3, DBL_MAX, 4, 1, COL); /* nearly horizontal, at y 3.5 */
    CHECK(is_set(&c, 0, 3) || is_set(&c, 0, 4));
}

static void test_draw_point(void)
{
    canvas c;
    canvas_init(&c);
    fk_image_draw_point(&c.img, 5, 5, 0, COL);
    CHECK(count_set(&c) == 1 && is_set(&c, 5, 5));
    canvas_init(&c);
    fk_image_draw_point(&c.img, 10.4, 7.4, 2, COL);
    CHECK(count_set(&c) == 21); /* rows of 3, 5, 5, 5, 3 */
    CHECK(is_set(&c, 10, 5) && is_set(&c, 12, 7) && !is_set(&c, 12, 5));
    canvas_init(&c);
    fk_image_draw_point(&c.img, -3, 5, 2, COL);
    CHECK(count_set(&c) == 0);
    fk_image_draw_point(&c.img, -1, 5, 2, COL);
    CHECK(count_set(&c) > 0 && is_set(&c, 0, 5) && is_set(&c, 1, 5) && !is_set(&c, 2, 5));
    const double odd[][2] = {{NAN, 1}, {1, INFINITY}, {1e300, 1e300}, {-DBL_MAX, 0}};
    for (size_t i = 0; i < 4; i++) {
        canvas_init(&c);
        fk_image_draw_point(&c.img, odd[i][0], odd[i][1], INT_MAX, COL);
        fk_image_draw_point(&c.img, odd[i][0], odd[i][1], 3, COL);
        CHECK(count_set(&c) == 0 && guards_ok(&c));
    }
    canvas_init(&c);
    fk_image_draw_point(&c.img, 3, 3, INT_MAX, COL); /* covers all, without a radius-sized loop */
    CHECK(count_set(&c) == CW * CH && guards_ok(&c));
}

static void test_draw_text(void)
{
    canvas c;
    canvas_init(&c);
    fk_image_draw_text(&c.img, 0, 0, "A", 1, COL, 0x000001);
    /* background box 7x9, glyph at (1, 1) */
    const uint8_t *g = fk__image_font_glyph('A');
    for (int y = 0; y < CH; y++)
        for (int x = 0; x < CW; x++) {
            const uint8_t *p = px(&c.img, x, y);
            int in_box = x < 7 && y < 9;
            int ink = x >= 1 && x <= 5 && y >= 1 && y <= 7 && (g[x - 1] >> (y - 1) & 1);
            if (ink)
                CHECK_MSG(is_set(&c, x, y), "text ink missing at (%d,%d)", x, y);
            else if (in_box)
                CHECK_MSG(p[0] == 0 && p[1] == 0 && p[2] == 1, "text background at (%d,%d)", x, y);
            else
                CHECK_MSG(p[0] == 0 && p[1] == 0 && p[2] == 0, "text outside its box at (%d,%d)", x, y);
        }
    /* the 'A' has its crossbar (row 4 of the glyph) and an open top corner */
    CHECK(is_set(&c, 3, 5) && !is_set(&c, 3, 4) && !is_set(&c, 1, 1) && is_set(&c, 2, 1));

    /* clipped at every edge, scaled, multi-line, non-ASCII, huge values */
    const struct {
        int x, y, scale;
        const char *s;
    } cases[] = {{-7, -4, 2, "Hello,\nworld!"}, {15, 10, 3, "xyz"},     {INT_MIN, INT_MIN, INT_MAX, "M"},
                 {INT_MAX, INT_MAX, 1, "far"},    {-3, 2, 0, "\x01\xff\t~"}, {0, 0, INT_MAX, "big"},
                 {-100000, 0, 1, "a long line that starts well left of the image"}, {0, 0, 1, ""},
                 {0, -5, 1, "\n\n\nbelow"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        canvas_init(&c);
        fk_image_draw_text(&c.img, cases[i].x, cases[i].y, cases[i].s, cases[i].scale, COL, 0x654321);
        CHECK_MSG(guards_ok(&c), "text case %zu wrote outside the image", i);
    }
    canvas_init(&c);
    fk_image_draw_text(&c.img, 0, 0, NULL, 1, COL, 0);
    fk_image_draw_text(NULL, 0, 0, "x", 1, COL, 0);
    CHECK(count_set(&c) == 0);
}

/* ---- save and load ---- */

static void test_save_load(void)
{
    fk_error err;
    fk_image *src = NULL, *back = NULL;
    /* a padded stride, to prove the writer honours it */
    fk_image padded = {.width = 17, .height = 9, .stride = 17 * 3 + 5};
    uint8_t *buf = malloc(padded.stride * 9);
    padded.data = buf;
    unsigned s = 99;
    for (size_t i = 0; i < padded.stride * 9; i++)
        buf[i] = (uint8_t)(fk_test_randf(&s) * 127 + 128);

    const char *names[] = {"rt.png", "RT2.PNG"};
    for (int i = 0; i < 2; i++) {
        const char *p = tmp_path(names[i]);
        CHECK_OK(fk_image_save(&padded, p, 0, &err));
        CHECK_OK(fk_image_load(p, NULL, &back, &err));
        if (back) {
            CHECK(back->width == 17 && back->height == 9);
            for (int y = 0; y < 9; y++)
                CHECK_MSG(memcmp(px(back, 0, y), buf + y * padded.stride, 17 * 3) == 0, "PNG round trip row %d", y);
        }
        fk_image_free(back);
        back = NULL;
        remove(p);
    }

    /* JPEG: approximate, on something smooth; quality 0 means 90 */
    src = pattern(40, 30);
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 40; x++) {
            uint8_t *q = px(src, x, y);
            q[0] = (uint8_t)(x * 6), q[1] = (uint8_t)(y * 8), q[2] = 100;
        }
    const char *jnames[] = {"rt.jpg", "rt.JpEg"};
    const int quality[] = {0, 100};
    for (int i = 0; i < 2; i++) {
        const char *p = tmp_path(jnames[i]);
        CHECK_OK(fk_image_save(src, p, quality[i], &err));
        CHECK_OK(fk_image_load(p, NULL, &back, &err));
        if (back) {
            CHECK(back->width == 40 && back->height == 30);
            double sum = 0;
            int worst = 0;
            for (int y = 0; y < 30; y++)
                for (int x = 0; x < 120; x++) {
                    int d = abs(px(back, 0, y)[x] - px(src, 0, y)[x]);
                    sum += d;
                    worst = fk_test_max(worst, d);
                }
            CHECK_MSG(sum / 3600 < 2.5 && worst <= 16, "JPEG q%d round trip: mean %.2f max %d", quality[i],
                      sum / 3600, worst);
        }
        fk_image_free(back);
        back = NULL;
        remove(p);
    }

    /* errors name the file */
    const char *bad_ext[] = {"x.bmp", "noext", "x.png.txt", "dir.png/file", "x."};
    for (int i = 0; i < 5; i++) {
        const char *p = tmp_path(bad_ext[i]);
        CHECK(fk_image_save(src, p, 0, &err) == FK_E_INVALID_ARGUMENT);
        CHECK_MSG(strstr(err.message, p) == err.message, "%s", err.message);
        CHECK(access(p, F_OK) != 0);
    }
    const char *nodir = tmp_path("no/such/dir/x.png");
    fk_status st = fk_image_save(src, nodir, 0, &err);
    CHECK(st == FK_E_NOT_FOUND || st == FK_E_IO);
    CHECK_MSG(strstr(err.message, nodir) == err.message, "%s", err.message);
    CHECK(fk_image_save(src, tmp_path("q.jpg"), 101, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_image_save(src, tmp_path("q.jpg"), -1, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_image_save(src, NULL, 0, &err) == FK_E_INVALID_ARGUMENT);
    fk_image broken = {.width = 4, .height = 4, .stride = 12, .data = NULL};
    CHECK(fk_image_save(&broken, tmp_path("b.png"), 0, &err) == FK_E_INVALID_ARGUMENT);
    broken.data = buf;
    broken.stride = 5; /* less than 3 * width */
    CHECK(fk_image_save(&broken, tmp_path("b.png"), 0, &err) == FK_E_INVALID_ARGUMENT);

    /* a full disk: the error is reported and no partial file is left */
    struct stat sb;
    if (stat("/dev/full", &sb) == 0) {
        const char *formats[] = {"full.png", "full.jpg"};
        for (int i = 0; i < 2; i++) {
            const char *p = tmp_path(formats[i]);
            if (symlink("/dev/full", p) != 0)
                continue;
            fk_image *big = pattern(300, 200);
            st = fk_image_save(big, p, 0, &err);
            CHECK_MSG(st == FK_E_IO, "%s: status %d", formats[i], st);
            CHECK_MSG(strstr(err.message, p) == err.message, "%s", err.message);
            fk_image_free(big);
            remove(p);
        }
    } else {
        fk_test_not_applicable("save to a full disk", "no /dev/full");
    }
    fk_image_free(src);
    free(buf);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/fk_image_ops_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_new_free();
    test_crop();
    test_resize();
    test_draw_rect();
    test_draw_line();
    test_draw_point();
    test_draw_text();
    test_save_load();
    rmdir(tmpdir);
    return fk_test_finish("test_image_ops");
}
