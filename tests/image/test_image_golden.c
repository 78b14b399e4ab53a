/* test_image_golden.c: decoded RGB of the shared demo photos is byte-identical to libjpeg-turbo through OpenCV imread / dlib load_image. */
#include <stdint.h>
#include <string.h>

#include "facekit/image.h"
#include "harness.h"

/* sha256 of the packed RGB rows (width * 3 bytes each) as recorded in
 * ../shared/golden/decoders.json; sample1 is the one the project's parity checks pin. */
static const struct {
    const char *file;
    int width, height;
    const char *sha256;
} golden[] = {
    {"sample1.jpg", 1920, 1280, "27b4376eabd44d3d37553b1c2854b68d00d49aaed57968280f082d78327f540e"},
    {"sample2.jpg", 1920, 1367, "bd2111ddf3989eeae2c0961bc357880054a71c7e4b884a7a7167aa4716daf2dc"},
    {"sample3.jpg", 1920, 1350, "ee7f68cb00d411f75472f8cec663e44426081c7a7d7a257387649431d397c493"},
    {"sample4.jpg", 1920, 1448, "0c1e1b357527b597685e0ee76b0ad76a296f0bd595a22fe188a67e358a76b51e"},
    {"sample5.jpg", 1920, 1398, "f3b0c618141ae1d678ffc0902812436e14eac24dec59d949d0a7415743c6d88e"},
    {"sample6.jpg", 1920, 1537, "903a80d651bfbcf2e7d516f4722a787441fce9e382d99a5903b15c31c76c1f63"},
};

/* ---- a plain SHA-256 (FIPS 180-4), enough for a test ---- */

typedef struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t n;
} sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n)
{
    return x >> n | x << (32 - n);
}

static void sha_block(sha256 *s, const uint8_t *p)
{
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, s->h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] +
                      w[i];
        uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        s->h[i] += v[i];
}

static void sha_init(sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
    s->n = 0;
}

static void sha_update(sha256 *s, const uint8_t *p, size_t n)
{
    s->len += n;
    while (n) {
        size_t k = 64 - s->n < n ? 64 - s->n : n;
        memcpy(s->buf + s->n, p, k);
        s->n += k, p += k, n -= k;
        if (s->n == 64) {
            sha_block(s, s->buf);
            s->n = 0;
        }
    }
}

static void sha_hex(sha256 *s, char out[65])
{
    uint64_t bits = s->len * 8;
    uint8_t pad = 0x80, zero = 0, lenb[8];
    sha_update(s, &pad, 1);
    while (s->n != 56)
        sha_update(s, &zero, 1);
    for (int i = 0; i < 8; i++)
        lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(s, lenb, 8);
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

int main(void)
{
    /* the hash itself, on the FIPS 180-2 "abc" vector */
    sha256 s;
    char hex[65];
    sha_init(&s);
    sha_update(&s, (const uint8_t *)"abc", 3);
    sha_hex(&s, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);

    const char *shared = fk_test_shared_dir();
    if (!shared) {
        int rc = fk_test_skip("test_image_golden", "no shared data folder (set FACEKIT_SHARED)");
        return fk_test_failures ? 1 : rc;
    }
    int checked = 0;
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/data/faceapi-demo/%s", shared, golden[i].file);
        fk_image *img = NULL;
        fk_error err;
        fk_status st = fk_image_load(path, NULL, &img, &err);
        if (st == FK_E_NOT_FOUND) {
            fk_test_skip(golden[i].file, "not in the shared data folder");
            continue;
        }
        CHECK_MSG(st == FK_OK, "%s", err.message);
        if (!img)
            continue;
        CHECK(img->width == golden[i].width && img->height == golden[i].height);
        sha_init(&s);
        for (int y = 0; y < img->height; y++)
            sha_update(&s, img->data + (size_t)y * img->stride, (size_t)img->width * 3);
        sha_hex(&s, hex);
        CHECK_MSG(strcmp(hex, golden[i].sha256) == 0, "%s: decoded RGB sha256 %s, want %s (libjpeg-turbo via OpenCV)",
                  golden[i].file, hex, golden[i].sha256);
        checked++;
        fk_image_free(img);
    }
    if (!checked) {
        int rc = fk_test_skip("test_image_golden", "none of the demo photos found");
        return fk_test_failures ? 1 : rc;
    }
    return fk_test_finish("test_image_golden");
}
