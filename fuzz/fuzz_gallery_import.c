/* fuzz_gallery_import.c: libFuzzer target for the gallery's JSON import, into an in-memory gallery that already holds one face. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/gallery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz_import.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fk_gallery *g = NULL;
    fk_error err;
    if (fk_gallery_open(":memory:", &g, &err) != FK_OK)
        abort();
    float d[128] = {0.5f};
    fk_gallery_face_in in = {.descriptor = d, .dim = 128, .embedder = "dlib-resnet"};
    if (fk_gallery_enroll(g, "Seed", &in, NULL) != FK_OK)
        abort();
    size_t added = 0;
    const fk_status st = fk_gallery_import_bytes(g, (const char *)data, size, NAME, &added);
    fk_gallery_stats s;
    if (fk_gallery_get_stats(g, &s) != FK_OK)
        abort();
    if (st != FK_OK) {
        /* all or nothing, and a message that names the file */
        if (added != 0 || s.faces != 1 || !strstr(fk_gallery_errmsg(g), NAME) || strchr(fk_gallery_errmsg(g), '\n'))
            abort();
    } else {
        if (s.faces != 1 + added || strcmp(s.embedder, "dlib-resnet") != 0)
            abort();
        /* what was imported can be searched */
        fk_gallery_match m[3];
        size_t n = 0;
        if (fk_gallery_identify(g, "dlib-resnet", d, 128, 3, m, &n) != FK_OK || n == 0)
            abort();
    }
    fk_gallery_close(g);
    return 0;
}
