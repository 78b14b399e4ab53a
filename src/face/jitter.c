/* jitter.c: dlib's jitter_image (dlib/image_transforms/interpolation.h) and dlib::rand (mt19937) in C. */
#include "face/jitter.h"

#include <math.h>
#include <string.h>

#include "face/align_internal.h"

static void mt_seed(fk__dlib_rand *r, uint32_t s)
{
    r->mt[0] = s;
    for (int i = 1; i < 624; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->index = 624;
}

uint32_t fk__dlib_rand_u32(fk__dlib_rand *r)
{
    if (r->index >= 624) {
        for (int i = 0; i < 624; i++) {
            uint32_t y = (r->mt[i] & 0x80000000u) | (r->mt[(i + 1) % 624] & 0x7fffffffu);
            r->mt[i] = r->mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        r->index = 0;
    }
    uint32_t y = r->mt[r->index++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

void fk__dlib_rand_init(fk__dlib_rand *r, uint32_t seed)
{
    mt_seed(r, seed ? seed : 5489u); /* 5489: mt19937's default seed, dlib::rand's "" seed */
    for (int i = 0; i < 10000; i++)
        fk__dlib_rand_u32(r);
}

double fk__dlib_rand_double(fk__dlib_rand *r)
{
    const double max_val = 0xFFFFFF * (double)0x1000000 + 0xFFFFFF + 0.05;
    double v = (double)(fk__dlib_rand_u32(r) & 0xFFFFFFu) * 0x1000000;
    v += (double)(fk__dlib_rand_u32(r) & 0xFFFFFFu);
    v /= max_val;
    return v < 1.0 ? v : 1.0 - 2.220446049250313e-16;
}

static double in_range(fk__dlib_rand *r, double lo, double hi)
{
    return lo + fk__dlib_rand_double(r) * (hi - lo);
}

/* dlib's conversion of a double to a long point coordinate */
static long round_half_up(double v)
{
    return (long)floor(v + 0.5);
}

fk_status fk__jitter_chip(const fk_image *chip, fk__dlib_rand *r, float *out)
{
    const long n = chip->width;
    /* shrink_rect(get_rect(img), 3): the chip less 3 pixels on every side */
    const long l = 3, t = 3, rt = n - 1 - 3, b = n - 1 - 3;
    const long w = rt - l + 1, h = b - t + 1;
    /* the arguments in the order g++ evaluates dpoint(x, y)'s: the second first */
    double ty = in_range(r, -0.02, 0.02) * (double)h;
    double tx = in_range(r, -0.02, 0.02) * (double)w;
    double scale = in_range(r, 0.97, 0.99999);
    long box = (long)((double)h / scale);
    /* center(rect) + point(translation) */
    long cx = (l + rt + 1) / 2 + round_half_up(tx), cy = (t + b + 1) / 2 + round_half_up(ty);
    double angle = in_range(r, -3.0, 3.0) * 3.1415926535897932385 / 180;
    double rect[4];
    rect[0] = (double)(cx - box / 2);
    rect[1] = (double)(cy - box / 2);
    rect[2] = rect[0] + (double)box - 1;
    rect[3] = rect[1] + (double)box - 1;
    fk__chip c;
    fk__dlib_chip_rect(rect, angle, (int)n, &c);
    fk_status st = fk__chip_sample(chip, &c, out);
    if (st != FK_OK)
        return st;
    if (fk__dlib_rand_double(r) > 0.5)
        for (long y = 0; y < n; y++)
            for (long x = 0; x < n / 2; x++)
                for (int k = 0; k < 3; k++) {
                    float *a = out + ((size_t)y * (size_t)n + (size_t)x) * 3 + k;
                    float *z = out + ((size_t)y * (size_t)n + (size_t)(n - 1 - x)) * 3 + k;
                    float tmp = *a;
                    *a = *z;
                    *z = tmp;
                }
    return FK_OK;
}
