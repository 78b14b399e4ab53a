/* jitter.h: dlib's jitter_image on a face chip, with dlib::rand's generator, for descriptors averaged over jittered copies. */
#ifndef FK_FACE_JITTER_H
#define FK_FACE_JITTER_H

#include <stdint.h>

#include "facekit/image.h"
#include "facekit/status.h"

/* dlib::rand: a Mersenne twister (mt19937) primed by 10000 draws. */
typedef struct fk__dlib_rand {
    uint32_t mt[624];
    int index;
} fk__dlib_rand;

/* seed 0: the state of a default-constructed dlib::rand (what face_recognition's descriptor
 * jitters with, on its first call); otherwise mt19937 seeded with `seed`, then primed. */
void fk__dlib_rand_init(fk__dlib_rand *r, uint32_t seed);
uint32_t fk__dlib_rand_u32(fk__dlib_rand *r);
/* get_random_double: 48 random bits over a little more than 2^48, in [0, 1). */
double fk__dlib_rand_double(fk__dlib_rand *r);

/* One jittered copy of a square chip (size x size RGB, rows packed), as dlib's jitter_image:
 * a random shift of up to 2 %, a scale of 0.97..1 and a rotation of up to 3 degrees of the
 * chip's central part, then a mirror image half of the time. Writes size*size*3 floats on the
 * 0..255 scale. FK_E_NO_MEMORY only. */
fk_status fk__jitter_chip(const fk_image *chip, fk__dlib_rand *r, float *out);

#endif
