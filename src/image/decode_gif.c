/* decode_gif.c: the first frame of a GIF to RGB8 through giflib (palette looked up, transparency dropped, interlace undone); limits checked from the screen and frame sizes first. */
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "core/error.h"
#include "image/image_internal.h"

typedef struct gif_src {
    const uint8_t *bytes;
    size_t size, pos;
} gif_src;

static int gif_read(GifFileType *g, GifByteType *buf, int len)
{
    gif_src *s = g->UserData;
    size_t n = len > 0 ? (size_t)len : 0;
    if (n > s->size - s->pos)
        n = s->size - s->pos;
    memcpy(buf, s->bytes + s->pos, n);
    s->pos += n;
    return (int)n;
}

static fk_status gif_fail(GifFileType *g, const char *name, const char *what, fk_error *err)
{
    int code = g ? g->Error : 0;
    const char *why = code ? GifErrorString(code) : NULL;
    if (code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated GIF (%s)", name, what);
    return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt GIF (%s%s%s)", name, what, why ? ": " : "", why ? why : "");
}

/* Reads the frame's rows into the canvas through its palette, interlaced or not; the part of
 * the frame outside the screen is read and dropped. */
static int read_frame(GifFileType *g, const ColorMapObject *cm, fk_image *img, GifPixelType *line)
{
    const GifImageDesc *d = &g->Image;
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    int passes = d->Interlace ? 4 : 1;
    for (int p = 0; p < passes; p++)
        for (int y = d->Interlace ? start[p] : 0; y < d->Height; y += d->Interlace ? step[p] : 1) {
            if (DGifGetLine(g, line, d->Width) != GIF_OK)
                return 0;
            long long cy = (long long)d->Top + y;
            if (cy < 0 || cy >= img->height)
                continue;
            uint8_t *row = img->data + (size_t)cy * img->stride;
            for (int x = 0; x < d->Width; x++) {
                long long cx = (long long)d->Left + x;
                /* an index past the palette is a broken file; giflib leaves it to us */
                if (cx < 0 || cx >= img->width || line[x] >= cm->ColorCount)
                    continue;
                const GifColorType *c = &cm->Colors[line[x]];
                row[cx * 3] = c->Red, row[cx * 3 + 1] = c->Green, row[cx * 3 + 2] = c->Blue;
            }
        }
    return 1;
}

fk_status fk__image_decode_gif(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                               fk__image_decoded *out, fk_error *err)
{
    gif_src src = {bytes, size, 0};
    int code = 0;
    GifFileType *g = DGifOpen(&src, gif_read, &code);
    if (!g)
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt GIF header (%s)", name,
                        GifErrorString(code) ? GifErrorString(code) : "unknown error");
    fk_image *img = NULL;
    GifPixelType *line = NULL;
    fk_status st = fk__image_check_size(g->SWidth, g->SHeight, lim, name, err);
    if (st)
        goto done;
    for (;;) {
        GifRecordType rt;
        if (DGifGetRecordType(g, &rt) != GIF_OK) {
            st = gif_fail(g, name, "before the first frame", err);
            goto done;
        }
        if (rt == TERMINATE_RECORD_TYPE) {
            st = fk__fail(err, FK_E_BAD_FORMAT, "%s: GIF without an image", name);
            goto done;
        }
        if (rt == EXTENSION_RECORD_TYPE) {
            int ext_code;
            GifByteType *ext = NULL;
            if (DGifGetExtension(g, &ext_code, &ext) != GIF_OK) {
                st = gif_fail(g, name, "an extension block", err);
                goto done;
            }
            while (ext)
                if (DGifGetExtensionNext(g, &ext) != GIF_OK) {
                    st = gif_fail(g, name, "an extension block", err);
                    goto done;
                }
            continue;
        }
        if (rt != IMAGE_DESC_RECORD_TYPE)
            continue;
        if (DGifGetImageDesc(g) != GIF_OK) {
            st = gif_fail(g, name, "the first frame's descriptor", err);
            goto done;
        }
        const GifImageDesc *d = &g->Image;
        const ColorMapObject *cm = d->ColorMap ? d->ColorMap : g->SColorMap;
        if (!cm || cm->ColorCount <= 0) {
            st = fk__fail(err, FK_E_BAD_FORMAT, "%s: GIF frame without a palette", name);
            goto done;
        }
        /* the frame is decoded in full, whatever part of it the screen shows */
        if ((st = fk__image_check_size(d->Width, d->Height, lim, name, err)) != FK_OK)
            goto done;
        if ((st = fk_image_new(g->SWidth, g->SHeight, &img, err)) != FK_OK) {
            fk__error_prefix(err, name);
            goto done;
        }
        /* what the frame does not cover shows the screen's background colour */
        const GifColorType *bg = g->SColorMap && g->SBackGroundColor < g->SColorMap->ColorCount
                                     ? &g->SColorMap->Colors[g->SBackGroundColor]
                                     : NULL;
        for (int y = 0; y < img->height; y++)
            for (int x = 0; x < img->width; x++) {
                uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x * 3;
                p[0] = bg ? bg->Red : 0, p[1] = bg ? bg->Green : 0, p[2] = bg ? bg->Blue : 0;
            }
        line = malloc((size_t)d->Width);
        if (!line) {
            st = fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory decoding a GIF frame", name);
            goto done;
        }
        if (!read_frame(g, cm, img, line)) {
            st = gif_fail(g, name, "the first frame's pixels", err);
            goto done;
        }
        out->img = img;
        out->orientation = 0;
        img = NULL;
        goto done;
    }
done:
    free(line);
    fk_image_free(img);
    DGifCloseFile(g, &code);
    return st;
}
