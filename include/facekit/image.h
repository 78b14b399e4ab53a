/* facekit/image.h: RGB8 images: decode (JPEG, PNG, PNM, WebP, GIF, TIFF) with EXIF orientation, limits, drawing, encoding. */
#ifndef FACEKIT_IMAGE_H
#define FACEKIT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "facekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An 8-bit RGB image, rows top to bottom, pixels R,G,B interleaved.
 * `stride` is the distance in bytes between the starts of two rows (>= 3 * width).
 * Images made by facekit own their pixels and are freed with fk_image_free. */
typedef struct fk_image {
    int width;
    int height;
    size_t stride;
    uint8_t *data;
} fk_image;

/* Limits that refuse decompression bombs before any pixel memory is allocated.
 * A zero field means "use the default". */
typedef struct fk_image_limits {
    int max_width;         /* default FK_IMAGE_DEFAULT_MAX_SIDE */
    int max_height;        /* default FK_IMAGE_DEFAULT_MAX_SIDE */
    uint64_t max_pixels;   /* default FK_IMAGE_DEFAULT_MAX_PIXELS (width * height) */
    size_t max_file_bytes; /* default FK_IMAGE_DEFAULT_MAX_FILE_BYTES */
} fk_image_limits;

#define FK_IMAGE_DEFAULT_MAX_SIDE 30000
#define FK_IMAGE_DEFAULT_MAX_PIXELS 100000000ull /* 100 megapixels, 300 MB of RGB8 */
#define FK_IMAGE_DEFAULT_MAX_FILE_BYTES ((size_t)512 << 20)

/* Options for decoding. NULL means all defaults. */
typedef struct fk_decode_options {
    fk_image_limits limits;
    int ignore_orientation; /* nonzero: do not apply the EXIF orientation tag */
} fk_decode_options;

typedef enum fk_image_format {
    FK_IMAGE_FORMAT_UNKNOWN = 0,
    FK_IMAGE_FORMAT_JPEG,
    FK_IMAGE_FORMAT_PNG,
    FK_IMAGE_FORMAT_PNM,
    FK_IMAGE_FORMAT_WEBP, /* still images; an animated WebP is refused */
    FK_IMAGE_FORMAT_GIF,  /* the first frame */
    FK_IMAGE_FORMAT_TIFF, /* the first page */
    FK_IMAGE_FORMAT_BMP,  /* uncompressed or bit fields; RLE is refused */
    FK_IMAGE_FORMAT_COUNT
} fk_image_format;

/* Allocates a width x height image, pixels zeroed. */
fk_status fk_image_new(int width, int height, fk_image **out, fk_error *err);

/* NULL-safe. */
void fk_image_free(fk_image *img);

/* Decodes a JPEG, PNG, binary PNM (P4, P5, P6), WebP (still), GIF (the first frame), TIFF (the
 * first page) or BMP file into RGB8, whatever its colour type (grayscale, palette, CMYK/YCCK, 16-bit,
 * with alpha: alpha is dropped), and applies the EXIF orientation (JPEG APP1, PNG eXIf, WebP
 * EXIF chunk; a TIFF's own Orientation tag) unless told not to (a TIFF's tag is always applied). The format is sniffed from the bytes,
 * not the file name. Truncated or corrupt data is an error (FK_E_BAD_FORMAT) whose message
 * names the file and the reason; images over a limit give FK_E_LIMIT. */
fk_status fk_image_load(const char *path, const fk_decode_options *opt, fk_image **out, fk_error *err);

/* Same as fk_image_load from memory; `name` is only used in messages (may be NULL). */
fk_status fk_image_decode(const void *bytes, size_t size, const char *name,
                          const fk_decode_options *opt, fk_image **out, fk_error *err);

/* The format the bytes look like, from their signature. */
fk_image_format fk_image_sniff(const void *bytes, size_t size);

/* A new image holding the region (x, y, w, h) of src; the region must lie inside src. */
fk_status fk_image_crop(const fk_image *src, int x, int y, int w, int h, fk_image **out, fk_error *err);

/* A new image of the given size, bilinear (pixel centres aligned, as OpenCV INTER_LINEAR). */
fk_status fk_image_resize(const fk_image *src, int width, int height, fk_image **out, fk_error *err);

/* Drawing, clipped to the image; colour is 0xRRGGBB. */
void fk_image_draw_rect(fk_image *img, double x, double y, double w, double h, int thickness, uint32_t rgb);
void fk_image_draw_point(fk_image *img, double x, double y, int radius, uint32_t rgb);
void fk_image_draw_line(fk_image *img, double x0, double y0, double x1, double y1, int thickness, uint32_t rgb);
/* Text in a built-in 5x7 bitmap font (printable ASCII), scaled by `scale` (>= 1), top-left at x, y,
 * on a filled background box of colour bg_rgb. */
void fk_image_draw_text(fk_image *img, int x, int y, const char *text, int scale, uint32_t rgb, uint32_t bg_rgb);

/* Writes PNG, or JPEG (quality 1..100, 0 = 90), chosen by the file name's extension
 * (.png, .jpg, .jpeg; any other is an error). */
fk_status fk_image_save(const fk_image *img, const char *path, int jpeg_quality, fk_error *err);
/* The image as JPEG bytes in memory (quality 1..100, 0 = 90); the caller frees *out with free(). */
fk_status fk_image_encode_jpeg(const fk_image *img, int jpeg_quality, unsigned char **out, size_t *size,
                               fk_error *err);

#ifdef __cplusplus
}
#endif
#endif
