/* cmd_demo.c: `facekit demo`: every stage on the demo photos (or given ones), annotated copies, and faces grouped into persons. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/cluster.h"

#include "cli/cmd.h"
#include "cli/draw.h"
#include "cli/output.h"
#include "cli/pipeline.h"

#define DEMO_DEFAULT_OUT "demo-out"
#define DEMO_DEFAULT_PAIRS 5

static void print_help(void)
{
    fputs("Usage: facekit demo [OPTIONS] [IMG...]\n"
          "\n"
          "Runs every stage on each photo (detection, 68 landmarks, 128-D descriptor, age and gender),\n"
          "prints one table of all faces (image, face #, box, score, age, gender, person), writes an\n"
          "annotated copy of each photo (boxes, landmarks, a label such as \"P3 F 26\": person, gender,\n"
          "age) to the output folder, and groups the faces of all photos into persons.\n"
          "\n"
          "Grouping: average-linkage clustering of the descriptors: the two groups whose faces are\n"
          "closest on average (L2 distance) merge while that average is under the threshold (0.6 by\n"
          "default), and two faces of the same photo are never put in one person. Persons are\n"
          "numbered P1, P2, ... in order of first appearance. The output then lists each person's\n"
          "faces, says how many distinct people were found in how many faces, and shows the closest\n"
          "pairs of faces from different photos with their distances.\n"
          "\n"
          "Without IMG, the photos are <models folder>/demo/sample*.jpg, sorted by name.\n"
          "\n"
          "Options:\n",
          stdout);
    printf("  --out DIR            the folder for the annotated photos, made when missing [%s]\n"
           "  --threshold T        the distance under which two faces are joined, T > 0 [%g]\n"
           "  --pairs N            how many closest cross-photo pairs to list, 0 to 1000 [%d]\n",
           DEMO_DEFAULT_OUT, (double)FK_DESCRIPTOR_THRESHOLD, DEMO_DEFAULT_PAIRS);
    cli_face_opts_help(stdout, 0);
    fputs("  -h, --help           this help\n"
          "\n"
          "Example:\n"
          "  facekit demo --out demo-out --timings\n"
          "\n"
          "Exit status:\n"
          "  0  every photo was analysed and its annotated copy written\n"
          "  1  a photo failed (the others still go through; one line on stderr names the file), an\n"
          "     annotated copy could not be written, or the models failed\n"
          "  2  usage error\n",
          stdout);
}

typedef struct demo_image {
    const char *path; /* as given, or as found in the demo folder */
    const char *name; /* its file name, or the path when two inputs share a file name */
    int width, height, ok;
    fk_face *faces;
    size_t count;
    size_t first; /* index of its first face in the flat list */
    cli_times t;
    char error[FK_ERROR_MESSAGE_MAX];
} demo_image;

/* A face in the flat list over all images. */
typedef struct demo_face {
    size_t image, index;
    int person; /* 0-based person number, -1 when the face has no descriptor */
} demo_face;

typedef struct demo_pair {
    size_t a, b; /* flat face indices */
    float distance;
} demo_pair;

typedef struct demo_run {
    demo_image *images;
    size_t nimages;
    demo_face *faces;
    size_t nfaces, nembedded;
    int npersons;
    demo_pair *pairs;
    size_t npairs, max_pairs;
    double threshold;
} demo_run;

static const fk_face *face_of(const demo_run *r, size_t k)
{
    return &r->images[r->faces[k].image].faces[r->faces[k].index];
}

/* Keeps the max_pairs closest pairs, sorted by distance. */
static void offer_pair(demo_run *r, size_t a, size_t b, float d)
{
    if (!r->max_pairs)
        return;
    if (r->npairs == r->max_pairs && !(d < r->pairs[r->npairs - 1].distance))
        return;
    size_t i = r->npairs < r->max_pairs ? r->npairs++ : r->npairs - 1;
    while (i > 0 && r->pairs[i - 1].distance > d) {
        r->pairs[i] = r->pairs[i - 1];
        i--;
    }
    r->pairs[i] = (demo_pair){a, b, d};
}

/* Fills the flat list of faces, image by image. */
static void flatten(demo_run *r)
{
    for (size_t i = 0; i < r->nimages; i++)
        for (size_t j = 0; r->images[i].ok && j < r->images[i].count; j++)
            r->faces[r->images[i].first + j] = (demo_face){i, j, -1};
}

/* Persons by average-linkage clustering (faces of one photo never merge); the closest pairs
 * across images. Returns 0, or -1 when out of memory or clustering failed. */
static int group(demo_run *r)
{
    size_t n = r->nfaces ? r->nfaces : 1;
    float *desc = malloc(n * FK_DESCRIPTOR_DIM * sizeof *desc);
    int *image = malloc(n * sizeof *image), *label = malloc(n * sizeof *label);
    size_t *index = malloc(n * sizeof *index);
    r->pairs = calloc(r->max_pairs ? r->max_pairs : 1, sizeof *r->pairs);
    int rc = -1;
    if (!desc || !image || !label || !index || !r->pairs)
        goto done;
    size_t m = 0; /* faces with a descriptor */
    for (size_t i = 0; i < r->nfaces; i++) {
        const fk_face *fi = face_of(r, i);
        r->faces[i].person = -1;
        if (!fi->has_descriptor)
            continue;
        memcpy(desc + m * FK_DESCRIPTOR_DIM, fi->descriptor, FK_DESCRIPTOR_DIM * sizeof(float));
        image[m] = (int)r->faces[i].image;
        index[m++] = i;
        for (size_t j = i + 1; j < r->nfaces; j++) {
            const fk_face *fj = face_of(r, j);
            if (fj->has_descriptor && r->faces[i].image != r->faces[j].image)
                offer_pair(r, i, j, fk_descriptor_distance(fi->descriptor, fj->descriptor));
        }
    }
    size_t persons = 0;
    fk_error err;
    if (fk_cluster_descriptors(desc, m, FK_DESCRIPTOR_DIM, image, r->threshold, label, &persons, &err) != FK_OK)
        goto done;
    for (size_t k = 0; k < m; k++)
        r->faces[index[k]].person = label[k];
    r->npersons = (int)persons;
    r->nembedded = m;
    rc = 0;
done:
    free(desc);
    free(image);
    free(label);
    free(index);
    return rc;
}

static const char *gender_letter(const fk_face *f)
{
    if (!f->has_attributes)
        return "?";
    return f->gender == FK_GENDER_MALE ? "M" : f->gender == FK_GENDER_FEMALE ? "F" : "?";
}

static void print_table(const demo_run *r)
{
    size_t w = 5;
    for (size_t i = 0; i < r->nimages; i++)
        if (strlen(r->images[i].name) > w)
            w = strlen(r->images[i].name);
    printf("%-*s %3s %6s %6s %6s %6s %6s %5s %-6s %s\n", (int)w, "image", "#", "x", "y", "w", "h", "score", "age",
           "gender", "person");
    for (size_t k = 0; k < r->nfaces; k++) {
        const demo_face *df = &r->faces[k];
        const fk_face *f = face_of(r, k);
        char age[16] = "-", person[16] = "-";
        if (f->has_attributes)
            snprintf(age, sizeof age, "%.1f", (double)f->age);
        if (df->person >= 0)
            snprintf(person, sizeof person, "P%d", df->person + 1);
        printf("%-*s %3zu %6.0f %6.0f %6.0f %6.0f %6.3f %5s %-6s %s\n", (int)w, r->images[df->image].name, df->index,
               f->box.x, f->box.y, f->box.width, f->box.height, (double)f->score, age,
               !f->has_attributes ? "-" : f->gender == FK_GENDER_MALE ? "male" : "female", person);
    }
    for (size_t i = 0; i < r->nimages; i++)
        if (r->images[i].ok && r->images[i].count == 0)
            printf("%-*s   - no faces\n", (int)w, r->images[i].name);
}

static void print_persons(const demo_run *r)
{
    for (int p = 0; p < r->npersons; p++) {
        printf("person P%d:", p + 1);
        int first = 1;
        for (size_t k = 0; k < r->nfaces; k++) {
            if (r->faces[k].person != p)
                continue;
            printf("%s %s#%zu", first ? "" : ",", r->images[r->faces[k].image].name, r->faces[k].index);
            first = 0;
        }
        putchar('\n');
    }
    size_t ok = 0;
    for (size_t i = 0; i < r->nimages; i++)
        ok += r->images[i].ok != 0;
    printf("%d distinct %s in %zu face%s (%zu image%s, average-linkage clustering under distance %g)\n", r->npersons,
           r->npersons == 1 ? "person" : "people", r->nembedded, r->nembedded == 1 ? "" : "s", ok, ok == 1 ? "" : "s",
           r->threshold);
    if (r->nfaces > r->nembedded)
        printf("%zu face%s without a descriptor not grouped\n", r->nfaces - r->nembedded,
               r->nfaces - r->nembedded == 1 ? "" : "s");
    if (r->npairs) {
        printf("closest pairs across images:\n");
        for (size_t i = 0; i < r->npairs; i++) {
            const demo_pair *p = &r->pairs[i];
            char a[600], b[600];
            snprintf(a, sizeof a, "%s#%zu", r->images[r->faces[p->a].image].name, r->faces[p->a].index);
            snprintf(b, sizeof b, "%s#%zu", r->images[r->faces[p->b].image].name, r->faces[p->b].index);
            printf("  %-20s %-20s %.4f%s\n", a, b, (double)p->distance,
                   p->distance < (float)r->threshold ? "  (same person)" : "");
        }
    }
}

static cJSON *json_ref(const demo_run *r, size_t k)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "image", cli_json_string(r->images[r->faces[k].image].path));
    cJSON_AddNumberToObject(o, "face", (double)r->faces[k].index);
    return o;
}

static cJSON *json_run(const demo_run *r, const char *out, int timings, unsigned stages)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *images = cJSON_AddArrayToObject(root, "images");
    for (size_t i = 0; i < r->nimages; i++) {
        const demo_image *im = &r->images[i];
        const cli_times *t = timings ? &im->t : NULL;
        if (!im->ok) {
            cJSON_AddItemToArray(images, cli_json_image(im->path, NULL, NULL, 0, im->error, t, stages));
            continue;
        }
        fk_image dims = {im->width, im->height, 0, NULL};
        cJSON *o = cli_json_image(im->path, &dims, im->faces, im->count, NULL, t, stages);
        cJSON *faces = cJSON_GetObjectItemCaseSensitive(o, "faces");
        for (size_t j = 0; j < im->count; j++) {
            int p = r->faces[im->first + j].person;
            char label[16];
            snprintf(label, sizeof label, "P%d", p + 1);
            cJSON *f = cJSON_GetArrayItem(faces, (int)j);
            if (p >= 0)
                cJSON_AddStringToObject(f, "person", label);
            else
                cJSON_AddNullToObject(f, "person");
        }
        cJSON_AddItemToArray(images, o);
    }
    cJSON *persons = cJSON_AddArrayToObject(root, "persons");
    for (int p = 0; p < r->npersons; p++) {
        cJSON *o = cJSON_CreateObject();
        char label[16];
        snprintf(label, sizeof label, "P%d", p + 1);
        cJSON_AddStringToObject(o, "label", label);
        cJSON *faces = cJSON_AddArrayToObject(o, "faces");
        for (size_t k = 0; k < r->nfaces; k++)
            if (r->faces[k].person == p)
                cJSON_AddItemToArray(faces, json_ref(r, k));
        cJSON_AddItemToArray(persons, o);
    }
    cJSON_AddItemToObject(root, "threshold", cli_json_float((float)r->threshold));
    cJSON_AddNumberToObject(root, "distinct_people", r->npersons);
    cJSON_AddNumberToObject(root, "faces", (double)r->nembedded);
    cJSON *pairs = cJSON_AddArrayToObject(root, "closest_pairs");
    for (size_t i = 0; i < r->npairs; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "a", json_ref(r, r->pairs[i].a));
        cJSON_AddItemToObject(o, "b", json_ref(r, r->pairs[i].b));
        cJSON_AddItemToObject(o, "distance", cli_json_float(r->pairs[i].distance));
        cJSON_AddBoolToObject(o, "same", r->pairs[i].distance < (float)r->threshold);
        cJSON_AddItemToArray(pairs, o);
    }
    cJSON_AddItemToObject(root, "out", cli_json_string(out));
    return root;
}

/* Decodes the image again, draws its faces labelled "P3 F 26" in their person's colour, saves it. */
static int draw_image(const demo_run *r, const demo_image *im, const fk_decode_options *dec, cli_draw_target *target)
{
    fk_error err = {0};
    fk_image *img = NULL;
    char *out = NULL;
    char(*text)[48] = calloc(im->count ? im->count : 1, sizeof *text);
    const char **labels = calloc(im->count ? im->count : 1, sizeof *labels);
    uint32_t *colors = calloc(im->count ? im->count : 1, sizeof *colors);
    int rc = -1;
    if (!text || !labels || !colors) {
        snprintf(err.message, sizeof err.message, "%s: out of memory drawing", im->path);
        goto done;
    }
    if (fk_image_load(im->path, dec, &img, &err) != FK_OK)
        goto done;
    for (size_t j = 0; j < im->count; j++) {
        const fk_face *f = &im->faces[j];
        int p = r->faces[im->first + j].person;
        char age[16] = "?";
        if (f->has_attributes)
            snprintf(age, sizeof age, "%.0f", (double)f->age);
        if (p >= 0)
            snprintf(text[j], sizeof text[j], "P%d %s %s", p + 1, gender_letter(f), age);
        else
            snprintf(text[j], sizeof text[j], "? %s %s", gender_letter(f), age);
        labels[j] = text[j];
        colors[j] = p >= 0 ? cli_person_color((size_t)p) : 0xffffff;
    }
    cli_draw_faces(img, im->faces, im->count, labels, colors);
    out = cli_draw_target_path(target, im->path, &err);
    if (out && fk_image_save(img, out, 0, &err) == FK_OK)
        rc = 0;
done:
    if (rc)
        cli_error("%s", err.message[0] ? err.message : "out of memory");
    fk_image_free(img);
    free(out);
    free(text);
    free(labels);
    free(colors);
    return rc;
}

static void free_run(demo_run *r)
{
    for (size_t i = 0; r->images && i < r->nimages; i++)
        fk_faces_free(r->images[i].faces);
    free(r->images);
    free(r->faces);
    free(r->pairs);
}

int cmd_demo(int argc, char **argv)
{
    cli_face_opts o;
    cli_face_opts_init(&o);
    const char *out = DEMO_DEFAULT_OUT;
    double threshold = FK_DESCRIPTOR_THRESHOLD;
    int max_pairs = DEMO_DEFAULT_PAIRS;
    cli_opt table[CLI_FACE_OPTS_COUNT + 3];
    size_t nopts = cli_face_opts_table(&o, table);
    table[nopts++] = (cli_opt){"out", 0, CLI_ARG_STRING, &out, 0, 0};
    table[nopts++] = (cli_opt){"threshold", 0, CLI_ARG_FLOAT, &threshold, 0, 1000};
    table[nopts++] = (cli_opt){"pairs", 0, CLI_ARG_INT, &max_pairs, 0, 1000};
    int npos = 0;
    int rc = cli_parse("demo", argc, argv, 1, table, nopts, &npos);
    if (rc == 1) {
        print_help();
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    if (!(threshold > 0))
        return cli_usage_error("demo", "--threshold: %g is not above 0", threshold);
    fk_detect_options det;
    fk_decode_options dec;
    if ((rc = cli_face_opts_resolve("demo", &o, &det, &dec)) != 0)
        return rc;

    /* the photos: as given, else the demo folder's sample*.jpg (glob sorts them) */
    glob_t found;
    memset(&found, 0, sizeof found);
    int globbed = 0;
    char **paths = argv + 1;
    size_t n = (size_t)npos;
    if (n == 0) {
        const char *dir = cli_models_dir(&o);
        size_t len = strlen(dir) + 32;
        char *pattern = malloc(len);
        if (!pattern) {
            cli_error("out of memory");
            return CLI_EXIT_FAIL;
        }
        snprintf(pattern, len, "%s/demo/sample*.jpg", dir);
        int g = glob(pattern, 0, NULL, &found);
        free(pattern);
        globbed = 1;
        if (g != 0 || found.gl_pathc == 0) {
            cli_error("%s/demo: no sample*.jpg photos; run `make models`, set --models DIR, or name the images", dir);
            globfree(&found);
            return CLI_EXIT_FAIL;
        }
        paths = found.gl_pathv;
        n = found.gl_pathc;
    }

    demo_run r;
    memset(&r, 0, sizeof r);
    r.threshold = threshold;
    r.max_pairs = (size_t)max_pairs;
    r.nimages = n;
    r.images = calloc(n, sizeof *r.images);
    cli_draw_target target;
    memset(&target, 0, sizeof target);
    fk_models *models = NULL;
    fk_session *session = NULL;
    double load_ms = 0;
    int failed = 0;
    const unsigned what = FK_ANALYZE_ALL;
    unsigned stages = cli_stages_for(what);
    if (!r.images) {
        cli_error("out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if ((rc = cli_draw_target_init(&target, "demo", out, n, 1)) != 0)
        goto done;
    if ((rc = cli_open(&o, cli_nets_for_opts(&o, det.detector, what), &models, &session, &load_ms)) != 0)
        goto done;

    /* every stage on every photo */
    int progress = cli_want_progress(n, o.quiet);
    cli_times sum;
    memset(&sum, 0, sizeof sum);
    for (size_t i = 0; i < n; i++) {
        demo_image *im = &r.images[i];
        im->path = paths[i];
        im->name = cli_basename(paths[i]);
        for (size_t j = 0; j < n; j++)
            if (j != i && strcmp(cli_basename(paths[j]), im->name) == 0)
                im->name = paths[i];
        if (progress)
            fprintf(stderr, "[%zu/%zu] %s\n", i + 1, n, im->path);
        fk_image *img = NULL;
        fk_error err = {0};
        fk_status st = cli_analyze(session, im->path, &dec, &det, NULL, what, 0, cli_face_opts_dlib_boxes(&o), o.quiet, &img, &im->faces, &im->count,
                                   &im->t, &err);
        cli_times_add(&sum, &im->t);
        if (st != FK_OK) {
            failed = 1;
            cli_error("%s", err.message);
            snprintf(im->error, sizeof im->error, "%s", err.message);
        } else {
            im->ok = 1;
            im->width = img->width;
            im->height = img->height;
            im->first = r.nfaces;
            r.nfaces += im->count;
        }
        if (o.timings)
            cli_times_print(stderr, im->path, &im->t, stages, NULL);
        fk_image_free(img);
    }

    /* the flat list of faces, then persons */
    r.faces = calloc(r.nfaces ? r.nfaces : 1, sizeof *r.faces);
    if (!r.faces) {
        cli_error("out of memory grouping faces");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    flatten(&r);
    if (group(&r) != 0) {
        cli_error("out of memory grouping faces");
        rc = CLI_EXIT_FAIL;
        goto done;
    }

    if (o.json) {
        cJSON *root = json_run(&r, out, o.timings, stages);
        if (cli_json_write(stdout, root) != 0) {
            cli_error("out of memory writing JSON");
            failed = 1;
        }
        cJSON_Delete(root);
    } else {
        print_table(&r);
        fflush(stdout);
    }
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        if (!r.images[i].ok)
            continue;
        if (draw_image(&r, &r.images[i], &dec, &target) == 0)
            written++;
        else
            failed = 1;
    }
    if (!o.json) {
        printf("\nwrote %zu annotated image%s to %s\n\n", written, written == 1 ? "" : "s", out);
        print_persons(&r);
    }
    if (o.timings) {
        char label[64], extra[64];
        snprintf(label, sizeof label, "all %zu image%s", n, n == 1 ? "" : "s");
        snprintf(extra, sizeof extra, "models loaded in %.1f ms", load_ms);
        cli_times_print(stderr, label, &sum, stages, extra);
    }
    rc = failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;

done:
    fk_session_free(session);
    fk_models_free(models);
    cli_draw_target_free(&target);
    free_run(&r);
    if (globbed)
        globfree(&found);
    return rc;
}
