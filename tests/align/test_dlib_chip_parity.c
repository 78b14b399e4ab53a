/* test_dlib_chip_parity.c: fk_align_dlib_chip against dlib 19.24's own chips (sha256 of the bytes) on the demo photos' faces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/sha256.h"
#include "facekit/align.h"
#include "facekit/image.h"
#include "harness.h"

/* The chip's RGB bytes, rows packed, hashed. */
static void chip_sha(const fk_image *c, char hex[FK__SHA256_HEX_SIZE])
{
    fk__sha256 s;
    fk__sha256_init(&s);
    for (int y = 0; y < c->height; y++)
        fk__sha256_update(&s, c->data + (size_t)y * c->stride, (size_t)c->width * 3);
    uint8_t d[FK__SHA256_SIZE];
    fk__sha256_final(&s, d);
    fk__sha256_to_hex(d, hex);
}

int main(void)
{
    const char *shared = fk_test_shared_dir();
    if (!shared) {
        return fk_test_skip("test_dlib_chip_parity", "no ../shared (golden data) folder");
    }
    const char *src = getenv("FK_TEST_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/align/dlib_chips.sha256", src ? src : ".");
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f)
        return fk_test_finish("test_dlib_chip_parity");

    char line[512], cur_image[32] = "";
    fk_image *img = NULL;
    cJSON *j = NULL;
    int chips = 0, same = 0;
    while (fgets(line, sizeof line, f)) {
        char image[32], want[80];
        int face, size;
        if (line[0] == '#' || sscanf(line, "%31s %d %d %79s", image, &face, &size, want) != 4)
            continue;
        if (strcmp(image, cur_image) != 0) {
            fk_image_free(img);
            img = NULL;
            cJSON_Delete(j);
            snprintf(path, sizeof path, "%s/data/faceapi-demo/%s.jpg", shared, image);
            fk_error err;
            CHECK_MSG(fk_image_load(path, NULL, &img, &err) == FK_OK, "%s", err.message);
            snprintf(path, sizeof path, "%s/golden/dlib/%s.json", shared, image);
            j = fk_test_read_json(path);
            CHECK_MSG(j != NULL, "cannot parse %s", path);
            snprintf(cur_image, sizeof cur_image, "%s", image);
        }
        const cJSON *pts = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "landmarks68_on_hog_up1"), face);
        if (!img || cJSON_GetArraySize(pts) != 68) {
            CHECK_MSG(0, "%s face %d: no image or landmarks", image, face);
            continue;
        }
        fk_point p[68];
        for (int i = 0; i < 68; i++) {
            const cJSON *q = cJSON_GetArrayItem(pts, i);
            p[i].x = cJSON_GetArrayItem(q, 0)->valuedouble;
            p[i].y = cJSON_GetArrayItem(q, 1)->valuedouble;
        }
        fk_image *chip = NULL;
        fk_error err;
        fk_status st = fk_align_dlib_chip(img, p, size, 0.25, &chip, NULL, &err);
        CHECK_MSG(st == FK_OK, "%s face %d: %s", image, face, err.message);
        if (st != FK_OK)
            continue;
        char got[FK__SHA256_HEX_SIZE];
        chip_sha(chip, got);
        chips++;
        if (strcmp(got, want) == 0)
            same++;
        else
            printf("%s face %d size %d: chip differs from dlib's (sha256 %s, dlib %s)\n", image, face, size, got, want);
        fk_image_free(chip);
    }
    fclose(f);
    fk_image_free(img);
    cJSON_Delete(j);
    printf("dlib chips: %d of %d identical to dlib 19.24's, byte for byte (sizes 150 and 40, padding 0.25)\n", same,
           chips);
    CHECK(chips == 40);
    CHECK(same == chips);
    return fk_test_finish("test_dlib_chip_parity");
}
