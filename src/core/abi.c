/* abi.c: fk_abi_sizeof and fk_abi_offsetof: the compiler's layout of every public struct a binding mirrors. */
#include <string.h>

#include "facekit/abi.h"
#include "facekit/face.h"
#include "facekit/image.h"
#include "facekit/models.h"
#include "facekit/status.h"

/* One row per field; a row with a NULL field gives the struct's size. Keep every field of every
 * listed struct here: a binding checks each one, so a field missing here cannot be checked. */
typedef struct abi_row {
    const char *type, *field;
    size_t value;
} abi_row;

#define SIZE(T) {#T, NULL, sizeof(T)}
#define FIELD(T, f) {#T, #f, offsetof(T, f)}

static const abi_row rows[] = {
    SIZE(fk_image), FIELD(fk_image, width), FIELD(fk_image, height), FIELD(fk_image, stride), FIELD(fk_image, data),
    SIZE(fk_error), FIELD(fk_error, status), FIELD(fk_error, message),
    SIZE(fk_box), FIELD(fk_box, x), FIELD(fk_box, y), FIELD(fk_box, width), FIELD(fk_box, height),
    SIZE(fk_point), FIELD(fk_point, x), FIELD(fk_point, y),
    SIZE(fk_image_limits), FIELD(fk_image_limits, max_width), FIELD(fk_image_limits, max_height),
    FIELD(fk_image_limits, max_pixels), FIELD(fk_image_limits, max_file_bytes),
    SIZE(fk_decode_options), FIELD(fk_decode_options, limits), FIELD(fk_decode_options, ignore_orientation),
    SIZE(fk_face), FIELD(fk_face, box), FIELD(fk_face, score), FIELD(fk_face, has_landmarks),
    FIELD(fk_face, landmarks), FIELD(fk_face, points5), FIELD(fk_face, has_descriptor), FIELD(fk_face, descriptor),
    FIELD(fk_face, has_attributes), FIELD(fk_face, age), FIELD(fk_face, gender), FIELD(fk_face, gender_probability),
    FIELD(fk_face, landmark_crop), FIELD(fk_face, descriptor_crop), FIELD(fk_face, attributes_crop),
    FIELD(fk_face, detector), FIELD(fk_face, landmark_count), FIELD(fk_face, descriptor_dim),
    FIELD(fk_face, embedder), FIELD(fk_face, keypoint_count), FIELD(fk_face, keypoints),
    SIZE(fk_detect_options), FIELD(fk_detect_options, detector), FIELD(fk_detect_options, min_score),
    FIELD(fk_detect_options, iou_threshold), FIELD(fk_detect_options, max_faces),
    FIELD(fk_detect_options, tiny_input_size), FIELD(fk_detect_options, closeup),
    FIELD(fk_detect_options, closeup_border), FIELD(fk_detect_options, tiles), FIELD(fk_detect_options, upsample),
    FIELD(fk_detect_options, dlib_threshold), FIELD(fk_detect_options, retry_min_score),
    FIELD(fk_detect_options, use_fallback), FIELD(fk_detect_options, fallback),
    SIZE(fk_model_info), FIELD(fk_model_info, name), FIELD(fk_model_info, role), FIELD(fk_model_info, id),
    FIELD(fk_model_info, net), FIELD(fk_model_info, title), FIELD(fk_model_info, source),
    FIELD(fk_model_info, licence), FIELD(fk_model_info, folder), FIELD(fk_model_info, files),
    FIELD(fk_model_info, input), FIELD(fk_model_info, output), FIELD(fk_model_info, dim),
    FIELD(fk_model_info, threshold), FIELD(fk_model_info, calibration), FIELD(fk_model_info, lfw),
};

static const abi_row *find(const char *type, const char *field)
{
    if (!type)
        return NULL;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (strcmp(rows[i].type, type) != 0)
            continue;
        if (!field ? !rows[i].field : rows[i].field && strcmp(rows[i].field, field) == 0)
            return &rows[i];
    }
    return NULL;
}

size_t fk_abi_sizeof(const char *type_name)
{
    const abi_row *r = find(type_name, NULL);
    return r ? r->value : 0;
}

size_t fk_abi_offsetof(const char *type_name, const char *field_name)
{
    const abi_row *r = field_name ? find(type_name, field_name) : NULL;
    return r ? r->value : (size_t)-1;
}
