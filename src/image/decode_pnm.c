/* decode_pnm.c: binary PNM (P4 bitmap, P5 grey, P6 colour; maxval 1..65535) to RGB8, header comments allowed, every read bounds-checked. */
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "image/image_internal.h"

/* Larger than any limit, small enough that the arithmetic on it cannot overflow. */
#define PNM_NUMBER_CAP 1000000000000ll

typedef struct pnm_reader {
    const uint8_t *b;
    size_t size;
    size_t pos;
} pnm_reader;

static int is_space(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Skips whitespace and '#' comments (to the end of the line), then reads a decimal number.
 * Returns 0 on success, 1 at the end of the data, 2 when something else is there. */
static int read_number(pnm_reader *r, long long *out)
{
    for (;;) {
        if (r->pos >= r->size)
            return 1;
        uint8_t ch = r->b[r->pos];
        if (ch == '#') {
            while (r->pos < r->size && r->b[r->pos] != '\n' && r->b[r->pos] != '\r')
                r->pos++;
        } else if (is_space(ch)) {
            r->pos++;
        } else {
            break;
        }
    }
    if (r->b[r->pos] < '0' || r->b[r->pos] > '9')
        return 2;
    long long v = 0;
    while (r->pos < r->size && r->b[r->pos] >= '0' && r->b[r->pos] <= '9') {
        v = v * 10 + (r->b[r->pos] - '0');
        if (v > PNM_NUMBER_CAP)
            v = PNM_NUMBER_CAP; /* saturate: the limits check refuses it with the real meaning */
        r->pos++;
    }
    *out = v;
    return 0;
}

static fk_status header_fail(int why, const char *what, const char *name, fk_error *err)
{
    if (why == 1)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated PNM header (no %s)", name, what);
    return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt PNM header (%s is not a number)", name, what);
}

static void bits_to_rgb(const uint8_t *src, uint8_t *dst, int width)
{
    /* P4: 1 is black; rows are padded to whole bytes */
    for (int x = 0; x < width; x++, dst += 3) {
        uint8_t v = (src[x >> 3] >> (7 - (x & 7))) & 1 ? 0 : 255;
        dst[0] = dst[1] = dst[2] = v;
    }
}

fk_status fk__image_decode_pnm(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                               fk__image_decoded *out, fk_error *err)
{
    pnm_reader r = {bytes, size, 2};
    int kind = bytes[1] - '0'; /* 4, 5 or 6: the sniffer checked */
    long long w, h, maxval = 1;
    int why;
    if ((why = read_number(&r, &w)) != 0)
        return header_fail(why, "width", name, err);
    if ((why = read_number(&r, &h)) != 0)
        return header_fail(why, "height", name, err);
    if (kind != 4 && (why = read_number(&r, &maxval)) != 0)
        return header_fail(why, "maxval", name, err);
    /* exactly one whitespace byte separates the header from the pixels */
    if (r.pos >= r.size)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated PNM data (no pixel data)", name);
    if (!is_space(r.b[r.pos]))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt PNM header (no whitespace after the header)", name);
    r.pos++;
    if (maxval < 1 || maxval > 65535)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt PNM header (maxval %lld is not in 1..65535)", name, maxval);

    fk_status st = fk__image_check_size(w, h, lim, name, err);
    if (st)
        return st;

    int channels = kind == 6 ? 3 : 1;
    int bps = maxval > 255 ? 2 : 1;
    size_t row_bytes, need;
    if (kind == 4)
        row_bytes = ((size_t)w + 7) / 8;
    else if (!fk__mul3_size((size_t)w, (size_t)channels, (size_t)bps, &row_bytes))
        return fk__fail(err, FK_E_OVERFLOW, "%s: PNM row size overflows", name);
    if (!fk__mul_size(row_bytes, (size_t)h, &need))
        return fk__fail(err, FK_E_OVERFLOW, "%s: PNM data size overflows", name);
    if (r.size - r.pos < need)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated PNM data (%zu of %zu bytes of pixel data)", name,
                        r.size - r.pos, need);

    fk_image *img = NULL;
    st = fk_image_new((int)w, (int)h, &img, err);
    if (st) {
        fk__error_prefix(err, name);
        return st;
    }
    /* 8-bit samples map through a table; values above maxval are corrupt data */
    uint8_t lut[256];
    if (bps == 1)
        for (unsigned v = 0; v < 256; v++)
            lut[v] = v <= (unsigned)maxval ? (uint8_t)((v * 255u + (unsigned)maxval / 2) / (unsigned)maxval) : 0;

    const uint8_t *src = r.b + r.pos;
    const uint32_t mv = (uint32_t)maxval;
    for (int y = 0; y < img->height; y++, src += row_bytes) {
        uint8_t *dst = img->data + (size_t)y * img->stride;
        if (kind == 4) {
            bits_to_rgb(src, dst, img->width);
            continue;
        }
        size_t n = (size_t)img->width * (size_t)channels;
        for (size_t i = 0; i < n; i++) {
            uint32_t v = bps == 1 ? src[i] : (uint32_t)src[2 * i] << 8 | src[2 * i + 1];
            if (v > mv) {
                fk_image_free(img);
                return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt PNM data (sample %u is over maxval %u)", name,
                                (unsigned)v, (unsigned)mv);
            }
            uint8_t v8 = bps == 1 ? lut[v] : (uint8_t)((v * 255u + mv / 2) / mv);
            if (channels == 3)
                dst[i] = v8;
            else
                dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = v8;
        }
    }
    out->img = img;
    out->orientation = 0;
    return FK_OK;
}
