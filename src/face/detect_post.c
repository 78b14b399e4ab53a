/* detect_post.c: anchor selection, non-maximum suppression and box mapping for the SSD and Tiny detectors. */
#include "face/detect_post.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/nets.h"

/* IoU of two [ymin, xmin, ymax, xmax] boxes, corner order normalised (SSD boxes may be flipped). */
static double iou_yxyx(const float *a, const float *b)
{
    double ay0 = fmin(a[0], a[2]), ax0 = fmin(a[1], a[3]), ay1 = fmax(a[0], a[2]), ax1 = fmax(a[1], a[3]);
    double by0 = fmin(b[0], b[2]), bx0 = fmin(b[1], b[3]), by1 = fmax(b[0], b[2]), bx1 = fmax(b[1], b[3]);
    double area_a = (ay1 - ay0) * (ax1 - ax0), area_b = (by1 - by0) * (bx1 - bx0);
    if (area_a <= 0 || area_b <= 0)
        return 0.0;
    double ih = fmax(fmin(ay1, by1) - fmax(ay0, by0), 0.0), iw = fmax(fmin(ax1, bx1) - fmax(ax0, bx0), 0.0);
    double inter = ih * iw;
    return inter / (area_a + area_b - inter);
}

/* A stable sort of candidate indices by descending score (insertion into runs is plenty: the
 * candidates above a detection threshold are few). */
static void sort_desc(int *idx, int n, const float *scores)
{
    for (int i = 1; i < n; i++) {
        int v = idx[i], j = i - 1;
        while (j >= 0 && scores[idx[j]] < scores[v]) {
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = v;
    }
}

int fk__ssd_nms(const float *boxes, const float *scores, int n, float min_score, float iou, int max_out,
                int *keep, int *scratch)
{
    int cand = 0;
    for (int i = 0; i < n; i++)
        if (scores[i] > min_score)
            scratch[cand++] = i;
    sort_desc(scratch, cand, scores);
    int kept = 0, limit = max_out < n ? max_out : n;
    for (int c = 0; c < cand && kept < limit; c++) {
        int i = scratch[c];
        int suppressed = 0;
        for (int j = kept - 1; j >= 0 && !suppressed; j--)
            if (iou_yxyx(boxes + 4 * i, boxes + 4 * keep[j]) > iou)
                suppressed = 1;
        if (!suppressed)
            keep[kept++] = i;
    }
    return kept;
}

fk_box fk__ssd_box_to_image(const float *box, int img_w, int img_h, int input_size)
{
    double scale = (double)input_size / (img_w > img_h ? img_w : img_h);
    /* face-api's computeReshapedDimensions rounds the resized image size */
    double pad_x = input_size / round(img_w * scale), pad_y = input_size / round(img_h * scale);
    double top = fmax(0.0, box[0]) * pad_y, bottom = fmin(1.0, box[2]) * pad_y;
    double left = fmax(0.0, box[1]) * pad_x, right = fmin(1.0, box[3]) * pad_x;
    fk_box b = {left * img_w, top * img_h, (right - left) * img_w, (bottom - top) * img_h};
    return b;
}

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

typedef struct tiny_cand {
    double x, y, w, h, score; /* relative to the image */
} tiny_cand;

static double iou_rect(const tiny_cand *a, const tiny_cand *b, double s)
{
    double ax0 = a->x * s, ay0 = a->y * s, ax1 = ax0 + a->w * s, ay1 = ay0 + a->h * s;
    double bx0 = b->x * s, by0 = b->y * s, bx1 = bx0 + b->w * s, by1 = by0 + b->h * s;
    double w = fmax(0.0, fmin(ax1, bx1) - fmax(ax0, bx0)), h = fmax(0.0, fmin(ay1, by1) - fmax(ay0, by0));
    double inter = w * h;
    return inter / ((ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter);
}

int fk__tiny_decode(const float *raw, int grid, int img_w, int img_h, int input_size, float min_score, float iou,
                    fk_face *out, int max_out)
{
    double scale = (double)input_size / (img_w > img_h ? img_w : img_h);
    double rw = round(img_w * scale), rh = round(img_h * scale);
    double side = fmax(rw, rh), corr_x = side / rw, corr_y = side / rh;
    size_t cells = (size_t)grid * grid * FK__TINY_ANCHORS;
    tiny_cand *cand = malloc(sizeof *cand * (cells ? cells : 1));
    if (!cand)
        return -1;
    int n = 0;
    for (int row = 0; row < grid; row++)
        for (int col = 0; col < grid; col++)
            for (int a = 0; a < FK__TINY_ANCHORS; a++) {
                const float *e = raw + (((size_t)row * grid + col) * FK__TINY_ANCHORS + a) * 5;
                double score = sigmoid(e[4]);
                if (!(score > min_score))
                    continue;
                double cx = ((col + sigmoid(e[0])) / grid) * corr_x;
                double cy = ((row + sigmoid(e[1])) / grid) * corr_y;
                double w = ((exp(e[2]) * fk__tiny_anchors[a][0]) / grid) * corr_x;
                double h = ((exp(e[3]) * fk__tiny_anchors[a][1]) / grid) * corr_y;
                tiny_cand c = {cx - w / 2, cy - h / 2, w, h, score};
                cand[n++] = c;
            }
    /* face-api pops the best remaining candidate and drops every other overlapping it by more
     * than iou; a stable descending order picks the same one among equal scores */
    int kept = 0;
    while (n > 0 && kept < max_out) {
        int best = 0;
        for (int i = 1; i < n; i++)
            if (cand[i].score >= cand[best].score)
                best = i;
        tiny_cand pick = cand[best];
        fk_face *f = &out[kept++];
        memset(f, 0, sizeof *f);
        f->score = (float)pick.score;
        f->box.x = pick.x * img_w;
        f->box.y = pick.y * img_h;
        f->box.width = pick.w * img_w;
        f->box.height = pick.h * img_h;
        int m = 0;
        for (int i = 0; i < n; i++)
            if (i != best && iou_rect(&cand[i], &pick, input_size) <= iou)
                cand[m++] = cand[i];
        n = m;
    }
    free(cand);
    return kept;
}
