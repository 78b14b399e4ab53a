/* image_internal.h: what the files of src/image share: limits, the codec entry points, EXIF and drawing helpers. */
#ifndef FK_IMAGE_INTERNAL_H
#define FK_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "facekit/image.h"

/* What a codec hands back: the stored (not yet oriented) image and the EXIF orientation
 * it found (1..8), or 0 when the file has none or the caller did not ask for it. */
typedef struct fk__image_decoded {
    fk_image *img;
    int orientation;
} fk__image_decoded;

/* Library messages start with a capital ("Premature end of JPEG file"); inside our
 * "name: what (detail)" line they read better in lower case. Acronyms ("IDAT: ...") stay. */
static inline void fk__image_lower_first(char *s)
{
    if (s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z')
        s[0] = (char)(s[0] - 'A' + 'a');
}

/* ---- image.c ---- */

/* True when img describes a usable image: pixels present, sizes positive, stride large
 * enough and stride * height addressable. Every public operation checks its inputs with it. */
bool fk__image_valid(const fk_image *img);

/* ---- limits.c ---- */

/* Fills every zero field of the caller's limits with the default; FK_E_INVALID_ARGUMENT
 * for a negative side. `opt` may be NULL. */
fk_status fk__image_limits_resolve(const fk_decode_options *opt, fk_image_limits *out, fk_error *err);

/* FK_E_LIMIT (message naming `name` and the sizes) when width x height breaks a limit,
 * FK_E_BAD_FORMAT when a side is not positive. Called from each header before any pixel
 * memory is allocated. */
fk_status fk__image_check_size(long long width, long long height, const fk_image_limits *lim,
                               const char *name, fk_error *err);

/* ---- decode_jpeg.c, decode_png.c, decode_pnm.c ----
 * Each decodes a whole buffer (already sniffed as its format) into RGB8, checks the limits
 * from the header before allocating, and fills `out` only on success. `want_orientation`
 * zero skips the EXIF search. Messages start with `name`. */
fk_status fk__image_decode_jpeg(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                                int want_orientation, fk__image_decoded *out, fk_error *err);
fk_status fk__image_decode_png(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                               int want_orientation, fk__image_decoded *out, fk_error *err);
fk_status fk__image_decode_pnm(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                               fk__image_decoded *out, fk_error *err);
/* ---- decode_webp.c, decode_gif.c, decode_tiff.c ---- the same contract; a TIFF applies its own
 * Orientation tag (its orientation is always 0 here), a GIF has none. */
fk_status fk__image_decode_webp(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                                int want_orientation, fk__image_decoded *out, fk_error *err);
fk_status fk__image_decode_gif(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                               fk__image_decoded *out, fk_error *err);
fk_status fk__image_decode_tiff(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                                fk__image_decoded *out, fk_error *err);
/* ---- decode_bmp.c ---- our own reader (no library does BMP alone); no orientation */
fk_status fk__image_decode_bmp(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                               fk__image_decoded *out, fk_error *err);

/* ---- exif.c ---- */

/* The Orientation tag (1..8) of IFD0 of a TIFF-structured EXIF block (starting at the
 * "II"/"MM" byte-order mark), or 0 when absent, malformed or out of range. Never reads
 * outside bytes[0, size). */
int fk__image_exif_orientation(const uint8_t *tiff, size_t size);

/* Same, for a JPEG APP1 payload that starts with "Exif\0\0"; 0 for any other APP1. */
int fk__image_exif_orientation_app1(const uint8_t *app1, size_t size);

/* ---- orient.c ---- */

/* A new upright image from src stored with EXIF orientation 2..8 (orientations 5..8
 * swap width and height). Orientation 1 or anything else gives a plain copy. */
fk_status fk__image_orient(const fk_image *src, int orientation, fk_image **out, fk_error *err);

/* ---- draw.c ---- */

/* Fills the pixels [x0, x1) x [y0, y1), clipped to the image; any int64 values allowed. */
void fk__image_fill_box(fk_image *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1, uint32_t rgb);

/* ---- font.c ---- */

#define FK__FONT_W 5
#define FK__FONT_H 7

/* The 5x7 glyph of character c as 5 columns, bit r (0 = top) set where the pixel is ink;
 * characters outside printable ASCII get the glyph of '?'. */
const uint8_t *fk__image_font_glyph(unsigned char c);

#endif
