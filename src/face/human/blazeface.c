/* blazeface.c: the BlazeFace detector: anchors, box and keypoint decoding, non-maximum suppression (Human's blazeface.ts). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/detect_post.h"
#include "face/human/human.h"
#include "face/session.h"

#define BF_KEYPOINTS 6
#define BF_ROW 17 /* logit, cx, cy, w, h, then 6 keypoints (x, y) */

/* Human's generateAnchors: strides size/16 and size/8 with 2 and 6 anchors a cell, all at the
 * cell's centre; the first 2*(16^2) rows are the fine grid. */
static int anchors_for(int size, float *xy, int max)
{
    const int strides[2] = {size / 16, size / 8}, per[2] = {2, 6};
    int n = 0;
    for (int l = 0; l < 2; l++) {
        int grid = (size + strides[l] - 1) / strides[l];
        for (int gy = 0; gy < grid; gy++)
            for (int gx = 0; gx < grid; gx++)
                for (int a = 0; a < per[l]; a++) {
                    if (n >= max)
                        return -1;
                    xy[2 * n] = (float)(strides[l] * (gx + 0.5));
                    xy[2 * n + 1] = (float)(strides[l] * (gy + 0.5));
                    n++;
                }
    }
    return n;
}

static float sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

fk_status fk__detect_blazeface(fk_session *s, const fk_image *img, const fk_detect_options *o, fk_face **faces,
                               size_t *count)
{
    fk__plan *plan = fk__session_gplan(s, FK__GM_BLAZEFACE);
    if (!plan)
        return s->err.status;
    const fk__tfgraph_info *info = fk__session_ginfo(s, FK__GM_BLAZEFACE);
    const int size = info->input_h;
    if (size != info->input_w || size < 64 || size > 1024 || size % 16)
        return fk__session_fail(s, FK_E_BAD_FORMAT, "blazeface: a %dx%d input is not a BlazeFace model's", info->input_h,
                                info->input_w);
    /* the two grids: (size/16)^2 * 2 and (size/8)^2 * 6 anchors (512 and 384 at 256) */
    const int fine = 16 * 16 * 2, coarse = 8 * 8 * 6;
    const int n = fine + coarse;
    /* the whole image on a centred square, as Human does with detector.square (without it Human
     * stretches the image to the square; facekit always pads, so a face keeps its shape) */
    if (!fk__session_input(s, (size_t)size * size * 3))
        return FK_E_NO_MEMORY;
    fk__irect whole = {0, 0, img->width, img->height};
    fk__net_input(img, whole, size, true, s->input);
    float *in = fk__plan_input(plan);
    for (size_t i = 0; i < (size_t)size * size * 3; i++)
        in[i] = s->input[i] / 127.5f - 1.0f;
    fk__plan_run_pool(plan, s->pool);
    const float *sc_f = fk__gm_output(plan, info, (size_t)fine), *sc_c = fk__gm_output(plan, info, (size_t)coarse);
    const float *rg_f = fk__gm_output(plan, info, (size_t)fine * 16), *rg_c = fk__gm_output(plan, info, (size_t)coarse * 16);
    const float *single = fk__gm_output(plan, info, (size_t)n * BF_ROW);
    if (!single && (!sc_f || !sc_c || !rg_f || !rg_c))
        return fk__session_fail(s, FK_E_BAD_FORMAT, "blazeface: the model's outputs are not BlazeFace's (%d anchors)", n);

    float *anchors = malloc(sizeof(float) * 2 * (size_t)n), *boxes = malloc(sizeof(float) * 4 * (size_t)n);
    float *scores = malloc(sizeof(float) * (size_t)n);
    int *keep = malloc(sizeof(int) * (size_t)n), *scratch = malloc(sizeof(int) * (size_t)n);
    float *rows = malloc(sizeof(float) * BF_ROW * (size_t)n);
    fk_status st = FK_OK;
    if (!anchors || !boxes || !scores || !keep || !scratch || !rows) {
        st = fk__session_fail(s, FK_E_NO_MEMORY, "out of memory decoding detections");
        goto done;
    }
    if (anchors_for(size, anchors, n) != n) {
        st = fk__session_fail(s, FK_E_BAD_FORMAT, "blazeface: anchor count mismatch");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        float *r = rows + (size_t)i * BF_ROW;
        if (single) {
            memcpy(r, single + (size_t)i * BF_ROW, sizeof(float) * BF_ROW);
        } else if (i < fine) {
            r[0] = sc_f[i];
            memcpy(r + 1, rg_f + (size_t)i * 16, sizeof(float) * 16);
        } else {
            r[0] = sc_c[i - fine];
            memcpy(r + 1, rg_c + (size_t)(i - fine) * 16, sizeof(float) * 16);
        }
        float cx = r[1] + anchors[2 * i], cy = r[2] + anchors[2 * i + 1];
        float hw = r[3] / 2, hh = r[4] / 2;
        boxes[4 * i] = cy - hh;
        boxes[4 * i + 1] = cx - hw;
        boxes[4 * i + 2] = cy + hh;
        boxes[4 * i + 3] = cx + hw;
        scores[i] = isfinite(r[0]) ? sigmoid(r[0]) : 0.0f;
    }
    int kept = fk__ssd_nms(boxes, scores, n, o->min_score, o->iou_threshold, o->max_faces, keep, scratch);
    if (kept > 0) {
        *faces = calloc((size_t)kept, sizeof **faces);
        if (!*faces) {
            st = fk__session_fail(s, FK_E_NO_MEMORY, "out of memory for detections");
            goto done;
        }
        /* the net's square back onto the image: fk__net_input's centred padding */
        int side = img->width > img->height ? img->width : img->height;
        int diff = side - (img->width > img->height ? img->height : img->width);
        int before = diff - (diff + 1) / 2;
        double offx = img->width < img->height ? before : 0, offy = img->height < img->width ? before : 0;
        double k = (double)side / size;
        for (int j = 0; j < kept; j++) {
            int i = keep[j];
            fk_face *f = &(*faces)[j];
            double x0 = boxes[4 * i + 1] * k - offx, y0 = boxes[4 * i] * k - offy;
            double x1 = boxes[4 * i + 3] * k - offx, y1 = boxes[4 * i + 2] * k - offy;
            f->box = (fk_box){x0, y0, x1 - x0, y1 - y0};
            f->score = scores[i];
            const float *r = rows + (size_t)i * BF_ROW;
            f->keypoint_count = BF_KEYPOINTS;
            for (int p = 0; p < BF_KEYPOINTS; p++)
                f->keypoints[p] = (fk_point){(r[5 + 2 * p] + anchors[2 * i]) * k - offx,
                                             (r[6 + 2 * p] + anchors[2 * i + 1]) * k - offy};
        }
    }
    *count = (size_t)(kept > 0 ? kept : 0);
done:
    free(anchors);
    free(boxes);
    free(scores);
    free(keep);
    free(scratch);
    free(rows);
    return st;
}
