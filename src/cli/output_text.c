/* output_text.c: the readable default output: a header line per image and a fixed-width table of its faces. */
#include <math.h>
#include <stdio.h>

#include "cli/output.h"

double cli_descriptor_norm(const float *d, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++)
        s += (double)d[i] * d[i];
    return sqrt(s);
}

void cli_text_image_header(FILE *f, const char *path, const fk_image *img, size_t count)
{
    fprintf(f, "%s: %dx%d, %zu face%s\n", path, img->width, img->height, count, count == 1 ? "" : "s");
}

static const char *gender_name(fk_gender g)
{
    return g == FK_GENDER_MALE ? "male" : g == FK_GENDER_FEMALE ? "female" : "?";
}

void cli_text_faces(FILE *f, const fk_face *faces, size_t count, unsigned what, int full)
{
    if (!count)
        return;
    int lm = (what & FK_ANALYZE_ALL) != 0, desc = (what & FK_ANALYZE_DESCRIPTOR) != 0,
        attr = (what & FK_ANALYZE_ATTRIBUTES) != 0;
    fprintf(f, "  %3s %6s %6s %6s %6s %6s", "#", "x", "y", "w", "h", "score");
    if (lm && !desc && !attr)
        fprintf(f, "  %-13s %-13s %-13s %-13s %s", "left eye", "right eye", "nose", "mouth left", "mouth right");
    if (desc)
        fprintf(f, "  %6s  %s", "norm", "descriptor");
    if (attr)
        fprintf(f, "  %5s  %-6s %5s", "age", "gender", "prob");
    fputc('\n', f);

    for (size_t i = 0; i < count; i++) {
        const fk_face *x = &faces[i];
        fprintf(f, "  %3zu %6.0f %6.0f %6.0f %6.0f %6.3f", i, x->box.x, x->box.y, x->box.width, x->box.height,
                (double)x->score);
        if (lm && !desc && !attr) {
            if (x->has_landmarks) {
                for (int k = 0; k < 5; k++) {
                    char cell[32];
                    snprintf(cell, sizeof cell, "%.0f,%.0f", x->points5[k].x, x->points5[k].y);
                    fprintf(f, k < 4 ? "  %-13s" : "  %s", cell);
                }
            } else {
                fputs("  -", f);
            }
        }
        if (desc) {
            if (x->has_descriptor) {
                fprintf(f, "  %6.3f  [", cli_descriptor_norm(x->descriptor, x->descriptor_dim > 0 ? x->descriptor_dim : FK_DESCRIPTOR_DIM));
                for (int k = 0; k < 4; k++)
                    fprintf(f, "%s%.4f", k ? ", " : "", (double)x->descriptor[k]);
                fputs(", ...]", f);
            } else {
                fprintf(f, "  %6s  %s", "-", "-");
            }
        }
        if (attr) {
            if (x->has_attributes)
                fprintf(f, "  %5.1f  %-6s %5.2f", (double)x->age, gender_name(x->gender),
                        (double)x->gender_probability);
            else
                fprintf(f, "  %5s  %-6s %5s", "-", "-", "-");
        }
        fputc('\n', f);

        if (full && lm && !desc && !attr && x->has_landmarks) {
            fputs("      landmarks:", f);
            for (int k = 0; k < FK_LANDMARK_COUNT; k++)
                fprintf(f, "%s%2d: %.1f,%.1f", k % 6 ? "  " : "\n        ", k, x->landmarks[k].x, x->landmarks[k].y);
            fputc('\n', f);
        }
        if (full && desc && x->has_descriptor) {
            fputs("      descriptor:", f);
            for (int k = 0; k < (x->descriptor_dim > 0 ? x->descriptor_dim : FK_DESCRIPTOR_DIM); k++)
                fprintf(f, "%s%9.6f", k % 8 ? " " : "\n        ", (double)x->descriptor[k]);
            fputc('\n', f);
        }
    }
}
