/* decode_webp.c: WebP (lossy, lossless, with or without alpha) to RGB8 through libwebp, alpha dropped; limits checked from the header first, EXIF orientation from the EXIF chunk. */
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "core/error.h"
#include "image/image_internal.h"

static const char *vp8_status(VP8StatusCode s)
{
    switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY:
        return "out of memory";
    case VP8_STATUS_INVALID_PARAM:
        return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR:
        return "corrupt bitstream";
    case VP8_STATUS_UNSUPPORTED_FEATURE:
        return "unsupported feature";
    case VP8_STATUS_SUSPENDED:
    case VP8_STATUS_NOT_ENOUGH_DATA:
        return "truncated data";
    default:
        return "decoder error";
    }
}

/* The orientation in the file's EXIF chunk, 0 when it has none. The chunk holds the TIFF
 * structure itself; some writers put JPEG's "Exif\0\0" before it. */
static int exif_orientation(const uint8_t *bytes, size_t size)
{
    WebPData data = {bytes, size};
    WebPDemuxer *dmx = WebPDemux(&data);
    if (!dmx)
        return 0;
    int o = 0;
    WebPChunkIterator it;
    if (WebPDemuxGetChunk(dmx, "EXIF", 1, &it)) {
        const uint8_t *p = it.chunk.bytes;
        size_t n = it.chunk.size;
        o = n >= 6 && memcmp(p, "Exif\0\0", 6) == 0 ? fk__image_exif_orientation_app1(p, n)
                                                    : fk__image_exif_orientation(p, n);
        WebPDemuxReleaseChunkIterator(&it);
    }
    WebPDemuxDelete(dmx);
    return o;
}

fk_status fk__image_decode_webp(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                                int want_orientation, fk__image_decoded *out, fk_error *err)
{
    WebPBitstreamFeatures f;
    VP8StatusCode vs = WebPGetFeatures(bytes, size, &f);
    if (vs != VP8_STATUS_OK)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt WebP header (%s)", name, vp8_status(vs));
    if (f.has_animation)
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: animated WebP is not supported (a still image is)", name);
    fk_status st = fk__image_check_size(f.width, f.height, lim, name, err);
    if (st)
        return st;
    fk_image *img = NULL;
    st = fk_image_new(f.width, f.height, &img, err);
    if (st) {
        fk__error_prefix(err, name);
        return st;
    }
    /* the buffer was sized from the same header: stride * height is what fk_image_new made */
    if (!WebPDecodeRGBInto(bytes, size, img->data, img->stride * (size_t)img->height, (int)img->stride)) {
        fk_image_free(img);
        /* the header was fine: what is missing or broken is in the bitstream after it */
        WebPDecoderConfig cfg;
        vs = WebPInitDecoderConfig(&cfg) ? WebPDecode(bytes, size, &cfg) : VP8_STATUS_INVALID_PARAM;
        WebPFreeDecBuffer(&cfg.output);
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt or truncated WebP data (%s)", name,
                        vp8_status(vs == VP8_STATUS_OK ? VP8_STATUS_BITSTREAM_ERROR : vs));
    }
    out->img = img;
    out->orientation = want_orientation ? exif_orientation(bytes, size) : 0;
    return FK_OK;
}
