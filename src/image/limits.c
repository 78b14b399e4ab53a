/* limits.c: decode limits: defaults, validation, and the size check each decoder runs on its header before allocating. */
#include <inttypes.h>

#include "core/error.h"
#include "image/image_internal.h"

fk_status fk__image_limits_resolve(const fk_decode_options *opt, fk_image_limits *out, fk_error *err)
{
    fk_image_limits lim = {0};
    if (opt)
        lim = opt->limits;
    if (lim.max_width < 0 || lim.max_height < 0)
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "image limits: negative maximum size %dx%d", lim.max_width,
                        lim.max_height);
    if (lim.max_width == 0)
        lim.max_width = FK_IMAGE_DEFAULT_MAX_SIDE;
    if (lim.max_height == 0)
        lim.max_height = FK_IMAGE_DEFAULT_MAX_SIDE;
    if (lim.max_pixels == 0)
        lim.max_pixels = FK_IMAGE_DEFAULT_MAX_PIXELS;
    if (lim.max_file_bytes == 0)
        lim.max_file_bytes = FK_IMAGE_DEFAULT_MAX_FILE_BYTES;
    *out = lim;
    return FK_OK;
}

fk_status fk__image_check_size(long long width, long long height, const fk_image_limits *lim, const char *name,
                               fk_error *err)
{
    if (width <= 0 || height <= 0)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: image header gives an empty size %lldx%lld", name, width, height);
    if (width > lim->max_width || height > lim->max_height)
        return fk__fail(err, FK_E_LIMIT, "%s: image is %lldx%lld, over the limit of %dx%d pixels", name, width,
                        height, lim->max_width, lim->max_height);
    /* both sides fit in an int here, so the product fits in 64 bits */
    uint64_t pixels = (uint64_t)width * (uint64_t)height;
    if (pixels > lim->max_pixels)
        return fk__fail(err, FK_E_LIMIT, "%s: image is %lldx%lld (%" PRIu64 " pixels), over the limit of %" PRIu64
                        " pixels", name, width, height, pixels, lim->max_pixels);
    return FK_OK;
}
