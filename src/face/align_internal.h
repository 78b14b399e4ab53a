/* align_internal.h: chip geometry and sampling shared by the aligners and the aligned descriptor. */
#ifndef FK_FACE_ALIGN_INTERNAL_H
#define FK_FACE_ALIGN_INTERNAL_H

#include "facekit/align.h"

/* A square chip: chip pixel (c, r) shows the image at to_image(c, r).
 * A dlib chip also keeps dlib's chip_details (the rectangle before rotation, and the angle),
 * from which it is extracted exactly as dlib's extract_image_chip does (image pyramid for large
 * faces, bilinear interpolation truncated to 8 bits); any other chip is sampled bilinearly. */
typedef struct fk__chip {
    fk_affine to_image;
    int size;
    int dlib;       /* nonzero: rect and angle below are set */
    double rect[4]; /* dlib's chip rectangle in the image: left, top, right, bottom */
    double angle;   /* radians */
} fk__chip;

/* dlib's chip from 68 landmarks (get_face_chip_details with 68 parts). */
fk_status fk__dlib_chip(const fk_point *p68, int size, double padding, fk__chip *out, fk_error *err);
/* The same from n = 68 or n = 5 points (5: dlib's 5-point model order, see fk_align_dlib_chip5). */
fk_status fk__dlib_chip_n(const fk_point *pts, int n, int size, double padding, fk__chip *out, fk_error *err);
/* A dlib chip of size x size showing the rectangle (left, top, right, bottom) turned by angle:
 * dlib's chip_details(rect, chip_dims(size, size), angle). */
void fk__dlib_chip_rect(const double rect[4], double angle, int size, fk__chip *out);
/* The ArcFace 112x112 chip from 5 points (fk_points5_from_68's order). */
fk_status fk__arcface_chip(const fk_point p5[5], fk__chip *out, fk_error *err);

/* The chip's size*size*3 pixels (RGB, rows top to bottom) on the 0..255 scale as floats:
 * for a dlib chip the 8-bit pixels dlib's extract_image_chip gives, else bilinear samples
 * (image pixels outside read as black). FK_E_NO_MEMORY (a dlib chip of a large face needs a
 * pyramid of the face's region) leaves out all zeros. */
fk_status fk__chip_sample(const fk_image *img, const fk__chip *chip, float *out);

#endif
