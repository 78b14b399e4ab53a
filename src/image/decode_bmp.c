/* decode_bmp.c: Windows BMP (1, 4, 8-bit palette; 16, 24, 32-bit, with bit-field masks; bottom-up or top-down) to RGB8, every read bounds-checked; RLE refused by name. */
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "image/image_internal.h"

/* No Debian library reads BMP on its own, and the format is small: this reader is ours, and
 * fuzzed with the other decoders (fuzz_decode). */

enum { BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_ALPHABITFIELDS = 6 };

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A channel of a bit-field pixel, scaled to 0..255 from however many bits its mask has. */
typedef struct channel {
    int shift, bits;
} channel;

static int mask_channel(uint32_t mask, channel *c)
{
    if (!mask) {
        c->shift = 0, c->bits = 0;
        return 1;
    }
    int s = __builtin_ctz(mask);
    uint32_t m = mask >> s;
    int b = 0;
    while (m & 1)
        m >>= 1, b++;
    if (m) /* not one run of ones */
        return 0;
    c->shift = s, c->bits = b;
    return 1;
}

static uint8_t channel_value(uint32_t px, const channel *c)
{
    if (!c->bits)
        return 0;
    uint32_t v = (px >> c->shift) & ((c->bits >= 32 ? 0u : 1u << c->bits) - 1u);
    if (c->bits >= 8)
        return (uint8_t)(v >> (c->bits - 8));
    /* a short field spread over 0..255, 31 -> 255 for 5 bits */
    return (uint8_t)((v * 255u + ((1u << c->bits) - 1u) / 2u) / ((1u << c->bits) - 1u));
}

fk_status fk__image_decode_bmp(const uint8_t *b, size_t size, const char *name, const fk_image_limits *lim,
                               fk__image_decoded *out, fk_error *err)
{
    if (size < 26)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated BMP header (%zu bytes)", name, size);
    uint32_t data_off = le32(b + 10), hsize = le32(b + 14);
    long long w, h;
    uint32_t planes, bpp, comp = BI_RGB, colors = 0;
    size_t pal_entry = 4;
    if (hsize == 12) { /* OS/2 BITMAPCOREHEADER: 16-bit sides, 3-byte palette entries */
        w = le16(b + 18), h = (int16_t)le16(b + 20), planes = le16(b + 22), bpp = le16(b + 24);
        pal_entry = 3;
    } else if (hsize >= 40 && hsize <= 124) {
        if (size < 14 + 40)
            return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated BMP header (%zu bytes)", name, size);
        w = (int32_t)le32(b + 18), h = (int32_t)le32(b + 22), planes = le16(b + 26), bpp = le16(b + 28);
        comp = le32(b + 30), colors = le32(b + 46);
    } else {
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: BMP header of %u bytes is not one of BMP's", name, hsize);
    }
    if (planes != 1)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt BMP header (%u planes)", name, planes);
    if (comp == BI_RLE8 || comp == BI_RLE4)
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: run-length encoded BMP (RLE%d) is not supported", name,
                        comp == BI_RLE8 ? 8 : 4);
    if (comp != BI_RGB && comp != BI_BITFIELDS && comp != BI_ALPHABITFIELDS)
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: BMP compression %u is not supported", name, comp);
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt BMP header (%u bits per pixel)", name, bpp);
    int top_down = h < 0;
    if (top_down)
        h = -h;
    fk_status st = fk__image_check_size(w, h, lim, name, err);
    if (st)
        return st;

    /* bit fields: after a 40-byte header (BI_BITFIELDS), or inside a V2-V5 header */
    channel ch[3];
    if (bpp == 16 || bpp == 32) {
        uint32_t m[3];
        if (comp == BI_RGB) {
            m[0] = bpp == 16 ? 0x7c00 : 0xff0000, m[1] = bpp == 16 ? 0x03e0 : 0x00ff00, m[2] = bpp == 16 ? 0x001f : 0xff;
        } else {
            if (size < 14 + 40 + 12)
                return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated BMP bit-field masks", name);
            m[0] = le32(b + 54), m[1] = le32(b + 58), m[2] = le32(b + 62);
        }
        for (int k = 0; k < 3; k++)
            if (!mask_channel(m[k], &ch[k]))
                return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt BMP bit-field mask 0x%x", name, m[k]);
    } else if (comp != BI_RGB) {
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: BMP bit fields on a %u-bit image", name, bpp);
    }

    /* the palette follows the header (and a 40-byte header's masks) */
    const uint8_t *pal = NULL;
    uint32_t npal = 0;
    if (bpp <= 8) {
        size_t pal_off = 14 + (size_t)hsize + (hsize == 40 && comp == BI_BITFIELDS ? 12 : 0);
        npal = colors ? colors : 1u << bpp;
        if (npal > 1u << bpp)
            npal = 1u << bpp; /* a writer counting past what the depth can index: the rest is unused */
        if (pal_off > size || (size - pal_off) / pal_entry < npal)
            return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated BMP palette", name);
        pal = b + pal_off;
    }

    /* rows are padded to 4 bytes; all of them must be in the file */
    size_t row_bytes, need;
    if (!fk__mul_size((size_t)w, bpp, &row_bytes))
        return fk__fail(err, FK_E_LIMIT, "%s: BMP row too large", name);
    row_bytes = (row_bytes + 31) / 32 * 4;
    if (!fk__mul_size(row_bytes, (size_t)h, &need) || data_off > size || size - data_off < need)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated BMP pixel data (%zu bytes, %zu wanted)", name,
                        data_off > size ? 0 : size - data_off, need);

    fk_image *img = NULL;
    st = fk_image_new((int)w, (int)h, &img, err);
    if (st) {
        fk__error_prefix(err, name);
        return st;
    }
    for (long long y = 0; y < h; y++) {
        const uint8_t *src = b + data_off + (size_t)(top_down ? y : h - 1 - y) * row_bytes;
        uint8_t *dst = img->data + (size_t)y * img->stride;
        for (long long x = 0; x < w; x++, dst += 3) {
            if (bpp <= 8) {
                uint32_t i = bpp == 8 ? src[x] : (src[x * bpp / 8] >> (8 - bpp - (x * bpp) % 8)) & ((1u << bpp) - 1u);
                if (i >= npal) {
                    fk_image_free(img);
                    return fk__fail(err, FK_E_BAD_FORMAT, "%s: BMP pixel (%lld, %lld) indexes colour %u of a %u-colour palette",
                                    name, x, y, i, npal);
                }
                const uint8_t *c = pal + (size_t)i * pal_entry; /* stored blue, green, red */
                dst[0] = c[2], dst[1] = c[1], dst[2] = c[0];
            } else if (bpp == 24) {
                const uint8_t *c = src + x * 3;
                dst[0] = c[2], dst[1] = c[1], dst[2] = c[0];
            } else {
                uint32_t px = bpp == 16 ? le16(src + x * 2) : le32(src + x * 4);
                for (int k = 0; k < 3; k++)
                    dst[k] = channel_value(px, &ch[k]);
            }
        }
    }
    out->img = img;
    out->orientation = 0;
    return FK_OK;
}
