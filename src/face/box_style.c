/* box_style.c: detector boxes in dlib's HOG-detector style (eyebrows to chin, square), the convention of dlib's ERT and of AFW-like annotations. */
#include <math.h>

#include "facekit/face.h"

/* The constants are the mean relation of SSD boxes to dlib's own HOG boxes (golden/dlib
 * hog_up1) on the six face-api demo photos; nothing was fitted on an evaluation set. */
fk_box fk_box_dlib_style(fk_box b)
{
    double side = 0.98 * sqrt(b.width * b.height);
    double cx = b.x + b.width / 2;
    double cy = b.y + b.height / 2 + 0.08 * b.height;
    return (fk_box){cx - side / 2, cy - side / 2, side, side};
}
