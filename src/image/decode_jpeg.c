/* decode_jpeg.c: JPEG to RGB8 through libjpeg-turbo with its default (OpenCV/dlib-identical) settings; every libjpeg error or data warning becomes an fk_error. */
#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "core/checked.h"
#include "core/error.h"
#include "image/image_internal.h"

/* A real progressive JPEG has about ten scans; thousands of tiny scans are the classic
 * way to make a small file take minutes to decode. */
#define FK_JPEG_MAX_SCANS 500

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first: libjpeg hands us this pointer back */
    struct jpeg_progress_mgr progress;
    jmp_buf jmp;
    int msg_code;       /* the libjpeg code that stopped the decode, or -1 for our own reasons */
    int warning;        /* nonzero when it was a warning libjpeg would have let pass */
    char msg[JMSG_LENGTH_MAX];
    struct jpeg_decompress_struct cinfo;
    int cinfo_made;
    fk_image *img;
    uint8_t *row4;      /* one CMYK row */
} jpeg_ctx;

static jpeg_ctx *ctx_of(j_common_ptr cinfo)
{
    return (jpeg_ctx *)(void *)cinfo->err;
}

static void on_error_exit(j_common_ptr cinfo)
{
    jpeg_ctx *c = ctx_of(cinfo);
    c->msg_code = cinfo->err->msg_code;
    c->warning = 0;
    (*cinfo->err->format_message)(cinfo, c->msg);
    longjmp(c->jmp, 1);
}

/* Warnings are level -1. libjpeg only warns on truncated or corrupt entropy data and then
 * makes up grey pixels; a face toolkit must not silently run on those, so every warning
 * that concerns the image data stops the decode. Trace messages (level >= 0) are ignored. */
static void on_emit_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return;
    int code = cinfo->err->msg_code;
    /* metadata problems that leave the pixels intact */
    if (code == JWRN_ADOBE_XFORM || code == JWRN_BOGUS_ICC || code == JWRN_JFIF_MAJOR)
        return;
    /* junk just before EOI: every scan was complete (some cameras write this) */
    if (code == JWRN_EXTRANEOUS_DATA && cinfo->err->msg_parm.i[1] == 0xd9)
        return;
    jpeg_ctx *c = ctx_of(cinfo);
    c->msg_code = code;
    c->warning = 1;
    (*cinfo->err->format_message)(cinfo, c->msg);
    longjmp(c->jmp, 1);
}

static void on_output_message(j_common_ptr cinfo)
{
    (void)cinfo; /* never print to stderr: the message travels in the fk_error */
}

static void on_progress(j_common_ptr cinfo)
{
    if (!cinfo->is_decompressor)
        return;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > FK_JPEG_MAX_SCANS) {
        jpeg_ctx *c = ctx_of(cinfo);
        c->msg_code = -1;
        c->warning = 0;
        snprintf(c->msg, sizeof c->msg, "more than %d progressive scans", FK_JPEG_MAX_SCANS);
        longjmp(c->jmp, 1);
    }
}

/* One line for the user: "truncated" for the two ways a cut file shows up, the library's
 * own text always included. */
static fk_status fail_from_lib(jpeg_ctx *c, const char *name, fk_error *err)
{
    char *text = c->msg;
    static const char corrupt_prefix[] = "Corrupt JPEG data: ";
    if (strncmp(text, corrupt_prefix, sizeof corrupt_prefix - 1) == 0)
        text += sizeof corrupt_prefix - 1;
    fk__image_lower_first(text);
    switch (c->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JERR_INPUT_EOF:
    case JERR_INPUT_EMPTY:
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated JPEG data (%s)", name, text);
    case JERR_BAD_PRECISION:
    case JERR_NOT_COMPILED:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_ARITH_NOTIMPL:
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: unsupported JPEG (%s)", name, text);
    case JERR_OUT_OF_MEMORY:
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory decoding JPEG (%s)", name, text);
    default:
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: corrupt JPEG data (%s)", name, text);
    }
}

/* Adobe writes CMYK inverted (0 = full ink) and says so with its APP14 marker; without it
 * the values are taken as plain ink amounts. Either way R = (1-C)(1-K) in [0,1] terms,
 * rounded as x*y/255. */
static void cmyk_row_to_rgb(const uint8_t *src, uint8_t *dst, int width, int inverted)
{
    for (int x = 0; x < width; x++, src += 4, dst += 3) {
        unsigned k = inverted ? src[3] : 255u - src[3];
        for (int i = 0; i < 3; i++) {
            unsigned v = inverted ? src[i] : 255u - src[i];
            unsigned t = v * k + 128;
            dst[i] = (uint8_t)((t + (t >> 8)) >> 8);
        }
    }
}

static int find_orientation(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1)
            continue;
        int o = fk__image_exif_orientation_app1(m->data, m->data_length);
        if (o)
            return o;
    }
    return 0;
}

/* Everything that can longjmp lives here, with its state in *c (owned by the caller, so it
 * keeps its values across the longjmp). */
static fk_status decode(jpeg_ctx *c, const uint8_t *bytes, size_t size, const char *name,
                        const fk_image_limits *lim, int want_orientation, int *orientation, fk_error *err)
{
    j_decompress_ptr cinfo = &c->cinfo;
    if (setjmp(c->jmp))
        return fail_from_lib(c, name, err);

    jpeg_create_decompress(cinfo);
    c->cinfo_made = 1;
    cinfo->progress = &c->progress;
    jpeg_mem_src(cinfo, bytes, (unsigned long)size);
    if (want_orientation)
        jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(cinfo, TRUE);

    fk_status st = fk__image_check_size(cinfo->image_width, cinfo->image_height, lim, name, err);
    if (st)
        return st;

    int cmyk = 0;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo->out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        /* libjpeg turns YCCK into (Adobe-inverted) CMYK; the rest is ours */
        cinfo->out_color_space = JCS_CMYK;
        cmyk = 1;
        break;
    default:
        return fk__fail(err, FK_E_UNSUPPORTED, "%s: unsupported JPEG colour space (%d components)", name,
                        cinfo->num_components);
    }
    if (want_orientation)
        *orientation = find_orientation(cinfo);

    jpeg_start_decompress(cinfo);
    if (cinfo->output_width != cinfo->image_width || cinfo->output_height != cinfo->image_height ||
        cinfo->output_components != (cmyk ? 4 : 3))
        return fk__fail(err, FK_E_BAD_FORMAT, "%s: JPEG decoder gave an unexpected output layout", name);

    int w = (int)cinfo->output_width, h = (int)cinfo->output_height;
    st = fk_image_new(w, h, &c->img, err);
    if (st) {
        fk__error_prefix(err, name);
        return st;
    }
    if (cmyk) {
        size_t row_bytes;
        if (!fk__mul_size((size_t)w, 4, &row_bytes))
            return fk__fail(err, FK_E_OVERFLOW, "%s: JPEG row size overflows", name);
        c->row4 = malloc(row_bytes);
        if (!c->row4)
            return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for a JPEG row", name);
    }
    int inverted = cinfo->saw_Adobe_marker;
    while (cinfo->output_scanline < cinfo->output_height) {
        uint8_t *dst = c->img->data + (size_t)cinfo->output_scanline * c->img->stride;
        JSAMPROW row = cmyk ? c->row4 : dst;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1)
            return fk__fail(err, FK_E_BAD_FORMAT, "%s: truncated JPEG data (no scanline returned)", name);
        if (cmyk)
            cmyk_row_to_rgb(c->row4, dst, w, inverted);
    }
    /* reads up to EOI, so a file cut after the last scanline is still caught */
    jpeg_finish_decompress(cinfo);
    return FK_OK;
}

fk_status fk__image_decode_jpeg(const uint8_t *bytes, size_t size, const char *name, const fk_image_limits *lim,
                                int want_orientation, fk__image_decoded *out, fk_error *err)
{
    jpeg_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return fk__fail(err, FK_E_NO_MEMORY, "%s: out of memory for the JPEG decoder", name);
    c->cinfo.err = jpeg_std_error(&c->pub);
    c->pub.error_exit = on_error_exit;
    c->pub.emit_message = on_emit_message;
    c->pub.output_message = on_output_message;
    c->progress.progress_monitor = on_progress;

    int orientation = 0;
    fk_status st;
    if (size > (unsigned long)-1)
        st = fk__fail(err, FK_E_LIMIT, "%s: JPEG data too large for libjpeg", name);
    else
        st = decode(c, bytes, size, name, lim, want_orientation, &orientation, err);

    if (c->cinfo_made)
        jpeg_destroy_decompress(&c->cinfo);
    free(c->row4);
    if (st == FK_OK) {
        out->img = c->img;
        out->orientation = orientation;
    } else {
        fk_image_free(c->img);
    }
    free(c);
    return st;
}
