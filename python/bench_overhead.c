/* bench_overhead.c: the C side of bench_overhead.py, built as a small shared object: one timed run of the pipeline on a photo, in a tight C path, on the caller's session. */
#include <stdio.h>
#include <time.h>

#include "facekit/facekit.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One run, timed here in C: decode, then fk_face_analyze (staged 0) or detect + landmarks +
 * one descriptor per face (staged 1). Returns milliseconds, or -1 on a failure (printed);
 * *faces_out gets the number of faces. */
double fkb_once(fk_session *s, const char *path, int staged, int *faces_out)
{
    double t0 = now_ms();
    fk_error err;
    fk_image *img = NULL;
    fk_face *faces = NULL;
    size_t n = 0;
    if (fk_image_load(path, NULL, &img, &err) != FK_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    fk_detect_options opt;
    fk_detect_options_init(&opt);
    fk_status st = staged ? fk_face_detect(s, img, &opt, &faces, &n)
                          : fk_face_analyze(s, img, &opt, FK_ANALYZE_LANDMARKS | FK_ANALYZE_DESCRIPTOR, &faces, &n);
    if (st == FK_OK && staged && n) {
        st = fk_faces_landmarks(s, img, faces, n);
        for (size_t i = 0; i < n && st == FK_OK; i++)
            st = fk_face_descriptor(s, img, &faces[i]);
    }
    fk_faces_free(faces);
    fk_image_free(img);
    double t = now_ms() - t0;
    if (st != FK_OK) {
        fprintf(stderr, "%s: %s\n", path, fk_session_errmsg(s));
        return -1;
    }
    *faces_out = (int)n;
    return t;
}
