/* output_json.c: the CLI's JSON writer (cJSON), numbers printed to round-trip, arrays streamed per image.
 *
 * Schema (docs/cli-json.md has the full version):
 *
 * detect / landmarks / embed / attributes --json: one JSON array, streamed: "[" is written before
 * the first image, one object per input image (in the order given, one per line) as each is done,
 * and "]" at the end, so a batch that fails part way still gives a complete array.
 *
 *   {"image": "path as given",
 *    "width": 1920, "height": 1280,              (pixels, after EXIF orientation)
 *    "faces": [                                   (best score first; [] when none)
 *      {"box": [x, y, w, h],                      (source pixels, top-left corner and size)
 *       "score": 0.99,                            (detection confidence, 0..1)
 *       "detector": "ssd",                        (the registry name of the detector)
 *       "landmarks": [[x, y] x 68],               (landmarks, embed, attributes: iBUG 300-W order;
 *                                                  5 points with --landmarker dlib5, dlib's order)
 *       "points5": [[x, y] x 5],                  (with landmarks: eyes, nose tip, mouth corners;
 *                                                  the mouth corners null from dlib5)
 *       "descriptor": [128 numbers],              (embed: raw net output)
 *       "embedder": "faceapi-resnet",             (with a descriptor: which space it lives in)
 *       "age": 26.3,                              (attributes: years)
 *       "gender": "male" | "female",              (attributes)
 *       "gender_probability": 0.97}],             (attributes: 0.5..1)
 *    "timings_ms": {"decode": 12.1, "detect": 80.2, ...}}   (with --timings)
 *
 *   An image that fails: {"image": "path", "error": "one-line message naming the file"} (no width,
 *   height or faces), plus "timings_ms" with --timings (the stages that ran before the failure).
 *
 * A field is present only when its stage ran and succeeded for that face. Floats are written with
 * the fewest digits that read back as the same float (at most 9 significant digits), doubles the
 * same way (at most 17); a value that is not finite is written as null. Strings that are not valid
 * UTF-8 get U+FFFD for each bad byte. Timings are milliseconds, to the microsecond.
 *
 * compare --json: one object {"a": {"image", "faces", "face_index", "face": {"box", "score"}},
 *   "b": {...}, "distance", "threshold", "same"}.
 * demo --json: one object {"images": [image objects as above, each face with "person"],
 *   "persons": [{"label", "faces": [{"image", "face"}]}], "threshold", "distinct_people",
 *   "faces", "closest_pairs": [{"a": {"image", "face"}, "b": {...}, "distance"}], "out"}.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/models.h"

#include "cli/output.h"

cJSON *cli_json_float(float v)
{
    if (!isfinite(v))
        return cJSON_CreateNull();
    char buf[32];
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return cJSON_CreateRaw(buf);
}

cJSON *cli_json_double(double v)
{
    if (!isfinite(v))
        return cJSON_CreateNull();
    char buf[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return cJSON_CreateRaw(buf);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    unsigned cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

cJSON *cli_json_string(const char *s)
{
    if (!s)
        return cJSON_CreateNull();
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), bad = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(p + i);
        bad += n == 0;
        i += n ? n : 1;
    }
    if (!bad)
        return cJSON_CreateString(s);
    char *clean = malloc(len + 2 * bad + 1); /* each bad byte becomes the 3 bytes of U+FFFD */
    if (!clean)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(p + i);
        if (n) {
            memcpy(clean + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(clean + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    clean[o] = '\0';
    cJSON *item = cJSON_CreateString(clean);
    free(clean);
    return item;
}

static cJSON *point(double x, double y)
{
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cli_json_double(x));
    cJSON_AddItemToArray(a, cli_json_double(y));
    return a;
}

static cJSON *points(const fk_point *p, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, point(p[i].x, p[i].y));
    return a;
}

static cJSON *box(const fk_box *b)
{
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cli_json_double(b->x));
    cJSON_AddItemToArray(a, cli_json_double(b->y));
    cJSON_AddItemToArray(a, cli_json_double(b->width));
    cJSON_AddItemToArray(a, cli_json_double(b->height));
    return a;
}

cJSON *cli_json_face_brief(const fk_face *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "box", box(&f->box));
    cJSON_AddItemToObject(o, "score", cli_json_float(f->score));
    const fk_model_info *d = fk_model_by_id(FK_ROLE_DETECTOR, f->detector);
    if (d)
        cJSON_AddStringToObject(o, "detector", d->name);
    if (f->keypoint_count > 0 && f->keypoint_count <= FK_KEYPOINT_COUNT)
        cJSON_AddItemToObject(o, "keypoints", points(f->keypoints, (size_t)f->keypoint_count));
    return o;
}

cJSON *cli_json_face(const fk_face *f)
{
    cJSON *o = cli_json_face_brief(f);
    if (f->has_landmarks) {
        int n = f->landmark_count == 5 ? 5 : FK_LANDMARK_COUNT;
        cJSON_AddItemToObject(o, "landmarks", points(f->landmarks, (size_t)n));
        cJSON_AddItemToObject(o, "points5", points(f->points5, 5));
    }
    if (f->has_descriptor) {
        cJSON *d = cJSON_CreateArray();
        int dim = f->descriptor_dim > 0 && f->descriptor_dim <= FK_DESCRIPTOR_MAX ? f->descriptor_dim : FK_DESCRIPTOR_DIM;
        for (int i = 0; i < dim; i++)
            cJSON_AddItemToArray(d, cli_json_float(f->descriptor[i]));
        cJSON_AddItemToObject(o, "descriptor", d);
        cJSON_AddStringToObject(o, "embedder", fk_face_embedder_name(f));
    }
    if (f->has_attributes) {
        cJSON_AddItemToObject(o, "age", cli_json_float(f->age));
        if (f->gender == FK_GENDER_MALE || f->gender == FK_GENDER_FEMALE)
            cJSON_AddStringToObject(o, "gender", f->gender == FK_GENDER_MALE ? "male" : "female");
        else
            cJSON_AddNullToObject(o, "gender");
        cJSON_AddItemToObject(o, "gender_probability", cli_json_float(f->gender_probability));
    }
    return o;
}

cJSON *cli_json_timings(const cli_times *t, unsigned stages)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < CLI_STAGE_COUNT; i++) {
        if (!(stages & t->ran & CLI_STAGE_BIT(i)))
            continue;
        char buf[32];
        snprintf(buf, sizeof buf, "%.3f", t->ms[i]);
        cJSON_AddRawToObject(o, cli_stage_name((cli_stage)i), buf);
    }
    return o;
}

cJSON *cli_json_image(const char *path, const fk_image *img, const fk_face *faces, size_t count, const char *error,
                      const cli_times *t, unsigned stages)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "image", cli_json_string(path));
    if (error) {
        cJSON_AddItemToObject(o, "error", cli_json_string(error));
    } else {
        cJSON_AddNumberToObject(o, "width", img ? img->width : 0);
        cJSON_AddNumberToObject(o, "height", img ? img->height : 0);
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < count; i++)
            cJSON_AddItemToArray(a, cli_json_face(&faces[i]));
        cJSON_AddItemToObject(o, "faces", a);
    }
    if (t)
        cJSON_AddItemToObject(o, "timings_ms", cli_json_timings(t, stages));
    return o;
}

int cli_json_write(FILE *f, const cJSON *item)
{
    char *text = item ? cJSON_PrintUnformatted(item) : NULL;
    if (!text)
        return -1;
    int rc = fputs(text, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
    cJSON_free(text);
    return rc;
}

void cli_json_stream_begin(cli_json_stream *js, FILE *f)
{
    js->f = f;
    js->count = 0;
    js->failed = 0;
    fputs("[\n", f);
    fflush(f);
}

void cli_json_stream_add(cli_json_stream *js, cJSON *item)
{
    char *text = item ? cJSON_PrintUnformatted(item) : NULL;
    cJSON_Delete(item);
    if (!text) {
        js->failed = 1;
        return;
    }
    if (js->count++)
        fputs(",\n", js->f);
    fputs(text, js->f);
    cJSON_free(text);
    fflush(js->f); /* the consumer sees each image as soon as it is done */
}

void cli_json_stream_end(cli_json_stream *js)
{
    fputs(js->count ? "\n]\n" : "]\n", js->f);
    fflush(js->f);
}
