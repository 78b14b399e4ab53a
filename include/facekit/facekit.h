/* facekit/facekit.h: the umbrella header: face detection, landmarks, descriptors, age and gender in C.
 *
 * Usage:
 *
 *     #include <facekit/facekit.h>
 *
 *     fk_error err;
 *     fk_models *models;   // load once: read-only, shareable between threads
 *     if (fk_models_load(NULL, FK_NET_ALL, &models, &err) != FK_OK) { fprintf(stderr, "%s\n", err.message); ... }
 *     fk_session *s;       // one per thread: owns the scratch memory and the last error message
 *     fk_session_new(models, &s, &err);
 *
 *     fk_image *img;
 *     if (fk_image_load("photo.jpg", NULL, &img, &err) != FK_OK) { fprintf(stderr, "%s\n", err.message); ... }
 *     fk_face *faces; size_t n;
 *     if (fk_face_analyze(s, img, NULL, FK_ANALYZE_ALL, &faces, &n) != FK_OK)
 *         fprintf(stderr, "%s\n", fk_session_errmsg(s));
 *     for (size_t i = 0; i < n; i++)
 *         printf("face %zu: box %.0f,%.0f %.0fx%.0f, age %.0f\n", i, faces[i].box.x, faces[i].box.y,
 *                faces[i].box.width, faces[i].box.height, faces[i].age);
 *     if (n >= 2 && fk_descriptor_distance(faces[0].descriptor, faces[1].descriptor) < FK_DESCRIPTOR_THRESHOLD)
 *         puts("faces 0 and 1 are the same person");
 *     fk_faces_free(faces);
 *     fk_image_free(img);
 *     fk_session_free(s);
 *     fk_models_free(models);
 *
 * Link with `pkg-config --cflags --libs facekit`. Every fallible call returns an fk_status
 * (FK_OK = 0); calls without a handle fill an optional fk_error, sessions keep their last message.
 */
#ifndef FACEKIT_FACEKIT_H
#define FACEKIT_FACEKIT_H

#include "facekit/abi.h"
#include "facekit/align.h"
#include "facekit/analysis.h"
#include "facekit/cluster.h"
#include "facekit/eval.h"
#include "facekit/gallery.h"
#include "facekit/index.h"
#include "facekit/face.h"
#include "facekit/image.h"
#include "facekit/landmarks.h"
#include "facekit/models.h"
#include "facekit/status.h"
#include "facekit/train.h"

#define FACEKIT_VERSION_MAJOR 0
#define FACEKIT_VERSION_MINOR 1
#define FACEKIT_VERSION_PATCH 0
#define FACEKIT_VERSION_STRING "0.1.0"

#endif
