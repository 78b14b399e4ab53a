/* plot_svg.c: small SVG line charts for ROC and precision-recall curves, several series on one figure. */
#include <math.h>
#include <stdio.h>

#include "core/error.h"
#include "facekit/eval.h"

#define W 720
#define H 520
#define L 80  /* left margin */
#define R 200 /* right margin: the legend */
#define T 50
#define B 60

static const char *colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

static void escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static double px(double x, int x_log, double x_min)
{
    double t = x_log ? (log10(fmax(x, x_min)) - log10(x_min)) / -log10(x_min) : x;
    return L + t * (W - L - R);
}

static double py(double y)
{
    return H - B - y * (H - T - B);
}

fk_status fk_plot_svg(const char *path, const char *title, const char *xlabel, const char *ylabel,
                      const fk_plot_series *series, size_t count, int x_log, double x_min, fk_error *err)
{
    if (!path || (!series && count) || (x_log && !(x_min > 0 && x_min < 1)))
        return fk__fail(err, FK_E_INVALID_ARGUMENT, "fk_plot_svg: bad argument");
    FILE *f = fopen(path, "w");
    if (!f)
        return fk__fail(err, FK_E_IO, "%s: cannot write", path);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    fprintf(f, "<text x=\"%d\" y=\"28\" font-size=\"16\" text-anchor=\"middle\">", (W - R + L) / 2);
    escape(f, title);
    fputs("</text>\n", f);
    /* grid and ticks */
    for (int i = 0; i <= 10; i++) {
        double y = i / 10.0;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, py(y), W - R, py(y));
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", L - 6, py(y) + 4, y);
    }
    if (x_log) {
        for (double x = x_min; x <= 1.0 + 1e-12; x *= 10) {
            fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", px(x, 1, x_min), T,
                    px(x, 1, x_min), H - B);
            fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px(x, 1, x_min), H - B + 18, x);
        }
    } else {
        for (int i = 0; i <= 10; i++) {
            double x = i / 10.0;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", px(x, 0, 0), T,
                    px(x, 0, 0), H - B);
            fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>\n", px(x, 0, 0), H - B + 18, x);
        }
    }
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n", L, T,
            W - L - R, H - T - B);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (W - R + L) / 2, H - 18);
    escape(f, xlabel);
    fprintf(f, "</text>\n<text x=\"20\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 20 %d)\">",
            (H - B + T) / 2, (H - B + T) / 2);
    escape(f, ylabel);
    fputs("</text>\n", f);
    for (size_t k = 0; k < count; k++) {
        const fk_plot_series *s = &series[k];
        const char *c = colours[k % (sizeof colours / sizeof *colours)];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", c);
        for (size_t i = 0; i < s->n; i++) {
            if (!isfinite(s->x[i]) || !isfinite(s->y[i]))
                continue;
            fprintf(f, "%.1f,%.1f ", px(s->x[i], x_log, x_min), py(fmin(fmax(s->y[i], 0), 1)));
        }
        fputs("\"/>\n", f);
        double ly = T + 14 + 20.0 * (double)k;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                W - R + 12, ly - 4, W - R + 36, ly - 4, c);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\">", W - R + 42, ly);
        escape(f, s->label);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    return bad ? fk__fail(err, FK_E_IO, "%s: write failed", path) : FK_OK;
}
