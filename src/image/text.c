/* text.c: text in the built-in 5x7 font on a filled background box, clipped; '\n' starts a new line. */
#include <string.h>

#include "image/image_internal.h"

/* A character cell is 6x9 font pixels: one column of spacing after the glyph, one row of
 * margin above and below; the box also has one column of margin on the left. */
#define CELL_W (FK__FONT_W + 1)
#define CELL_H (FK__FONT_H + 2)

void fk_image_draw_text(fk_image *img, int x, int y, const char *text, int scale, uint32_t rgb, uint32_t bg_rgb)
{
    if (!fk__image_valid(img) || !text)
        return;
    const int64_t s = scale < 1 ? 1 : scale;
    const int64_t line_h = CELL_H * s, cell_w = CELL_W * s;
    int64_t top = y;

    for (const char *line = text; *line && top < img->height; top += line_h) {
        size_t len = strcspn(line, "\n");
        /* characters past the right edge are never drawn; counting them could overflow */
        int64_t visible = ((int64_t)img->width - x) / cell_w + 2;
        size_t n = visible <= 0 ? 0 : (uint64_t)visible < len ? (size_t)visible : len;
        if (top + line_h > 0) {
            int64_t left = x;
            fk__image_fill_box(img, left, top, left + s + (int64_t)n * cell_w, top + line_h, bg_rgb);
            /* skip, without visiting them, the characters left of the image */
            int64_t first = left < 0 ? -left / cell_w - 1 : 0;
            for (size_t i = first > 0 ? (size_t)first : 0; i < n; i++) {
                int64_t gx = left + s + (int64_t)i * cell_w, gy = top + s;
                if (gx + FK__FONT_W * s <= 0)
                    continue;
                const uint8_t *g = fk__image_font_glyph((unsigned char)line[i]);
                for (int col = 0; col < FK__FONT_W; col++)
                    for (int row = 0; row < FK__FONT_H; row++)
                        if (g[col] >> row & 1)
                            fk__image_fill_box(img, gx + col * s, gy + row * s, gx + (col + 1) * s,
                                               gy + (row + 1) * s, rgb);
            }
        }
        line += len;
        if (*line == '\n')
            line++;
    }
}
