/* exif.c: a minimal, bounds-checked TIFF/EXIF reader that finds only the Orientation tag (0x0112) of IFD0, in either byte order. */
#include <string.h>

#include "image/image_internal.h"

#define TAG_ORIENTATION 0x0112
#define TYPE_SHORT 3
#define TYPE_LONG 4

static unsigned get16(const uint8_t *p, int big)
{
    return big ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t get32(const uint8_t *p, int big)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int fk__image_exif_orientation(const uint8_t *tiff, size_t size)
{
    if (!tiff || size < 8)
        return 0;
    int big;
    if (tiff[0] == 'I' && tiff[1] == 'I')
        big = 0;
    else if (tiff[0] == 'M' && tiff[1] == 'M')
        big = 1;
    else
        return 0;
    if (get16(tiff + 2, big) != 42)
        return 0;

    /* every comparison is written as "offset <= size - need" so nothing can wrap */
    uint32_t ifd = get32(tiff + 4, big);
    if (ifd > size || size - ifd < 2)
        return 0;
    unsigned count = get16(tiff + ifd, big);
    size_t pos = (size_t)ifd + 2;
    for (unsigned i = 0; i < count; i++, pos += 12) {
        if (size - pos < 12)
            return 0;
        const uint8_t *e = tiff + pos;
        if (get16(e, big) != TAG_ORIENTATION)
            continue;
        unsigned type = get16(e + 2, big);
        uint32_t n = get32(e + 4, big);
        uint32_t v;
        if (n != 1)
            return 0;
        /* SHORT is what the standard says; LONG has been seen from a few writers */
        if (type == TYPE_SHORT)
            v = get16(e + 8, big);
        else if (type == TYPE_LONG)
            v = get32(e + 8, big);
        else
            return 0;
        return v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}

int fk__image_exif_orientation_app1(const uint8_t *app1, size_t size)
{
    static const uint8_t sig[6] = {'E', 'x', 'i', 'f', 0, 0};
    if (!app1 || size < sizeof sig || memcmp(app1, sig, sizeof sig) != 0)
        return 0;
    return fk__image_exif_orientation(app1 + sizeof sig, size - sizeof sig);
}
