/* extras.c: the --with analyses of the face verbs (emotion, GEAR, liveness, mesh): parse, run per face, write JSON and text, draw. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/extras.h"
#include "cli/output.h"
#include "facekit/models.h"

static const struct {
    const char *name;
    unsigned bit;
    const char *models; /* registry names, space-separated */
} kinds[] = {
    {"expression", CLI_X_EXPRESSION, "expression"},
    {"emotion", CLI_X_EMOTION, "emotion"},
    {"gear", CLI_X_GEAR, "gear"},
    {"liveness", CLI_X_LIVENESS, "antispoof liveness"},
    {"mesh", CLI_X_MESH, "facemesh"},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

int cli_extras_parse(const char *verb, const char *list, unsigned *out)
{
    *out = 0;
    if (!list || !*list || !strcmp(list, "none"))
        return 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t k = 0;
        while (k < N_KINDS && !(strlen(kinds[k].name) == len && !strncmp(kinds[k].name, p, len)))
            k++;
        if (k == N_KINDS) {
            cli_usage_error(verb, "--with: unknown analysis '%.*s' (there are expression, emotion, gear, liveness, mesh)", (int)len,
                            p);
            return -1;
        }
        *out |= kinds[k].bit;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int installed(const char *name, const char *dir)
{
    return fk_model_installed(fk_model_find(name), dir, NULL, 0, NULL);
}

unsigned cli_extras_nets(unsigned x, const char *dir)
{
    unsigned nets = 0;
    if (x & CLI_X_EXPRESSION)
        nets |= FK_NET_EXPRESSION;
    if (x & CLI_X_EMOTION)
        nets |= FK_NET_EMOTION;
    if (x & CLI_X_GEAR)
        nets |= FK_NET_GEAR;
    if (x & CLI_X_MESH) /* the irises too where their model is there, as Human's default */
        nets |= FK_NET_FACEMESH | (installed("iris", dir) ? FK_NET_IRIS : 0);
    if (x & CLI_X_LIVENESS) {
        /* both when both are there; else the one that is (the load names the missing file if neither) */
        int a = installed("antispoof", dir), l = installed("liveness", dir);
        nets |= (a || !l ? FK_NET_ANTISPOOF : 0) | (l || !a ? FK_NET_LIVENESS : 0);
    }
    return nets;
}

unsigned cli_extras_installed(unsigned x, const char *dir, int quiet)
{
    for (size_t k = 0; k < N_KINDS; k++) {
        if (!(x & kinds[k].bit))
            continue;
        char first[64];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(kinds[k].models, " "), kinds[k].models);
        int any = installed(first, dir) || (strchr(kinds[k].models, ' ') && installed(strchr(kinds[k].models, ' ') + 1, dir));
        if (!any) {
            x &= ~kinds[k].bit;
            if (!quiet)
                fprintf(stderr, "facekit: note: %s left out: its model (%s) is not installed; `make models` fetches it\n",
                        kinds[k].name, kinds[k].models);
        }
    }
    return x;
}

int cli_extras_run(fk_session *s, const fk_image *img, const fk_face *faces, size_t n, unsigned x, cli_extra *out,
                   const char *path, int quiet)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        cli_extra *e = &out[i];
        memset(e, 0, sizeof *e);
        const char *what = NULL;
        if ((x & CLI_X_EXPRESSION) &&
            !(e->has_expression = fk_face_expression(s, img, &faces[i], &e->expression) == FK_OK))
            what = "expression";
        if ((x & CLI_X_EMOTION) && !(e->has_emotion = fk_face_emotion(s, img, &faces[i], &e->emotion) == FK_OK))
            what = "emotion";
        if ((x & CLI_X_GEAR) && !(e->has_gear = fk_face_gear(s, img, &faces[i], &e->gear) == FK_OK))
            what = "gear";
        if ((x & CLI_X_LIVENESS) && !(e->has_liveness = fk_face_liveness(s, img, &faces[i], &e->liveness) == FK_OK))
            what = "liveness";
        if ((x & CLI_X_MESH) && !(e->has_mesh = fk_face_mesh(s, img, &faces[i], &e->mesh) == FK_OK))
            what = "mesh";
        if (what) {
            failed++;
            if (!quiet)
                fprintf(stderr, "facekit: note: %s: face %zu: %s: %s\n", path, i, what, fk_session_errmsg(s));
        }
    }
    return failed;
}

static cJSON *class_object(const float *p, int n, const char *(*name)(int))
{
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; k < n; k++)
        cJSON_AddItemToObject(o, name(k), cli_json_float(p[k]));
    return o;
}

static cJSON *box_array(fk_box b)
{
    double v[4] = {b.x, b.y, b.width, b.height};
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < 4; i++)
        cJSON_AddItemToArray(a, cli_json_double(v[i]));
    return a;
}

/* n points as [[x, y, z], ...]. */
static cJSON *points3(const fk_point3 *p, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int k = 0; k < n; k++) {
        cJSON *q = cJSON_CreateArray();
        cJSON_AddItemToArray(q, cli_json_double(p[k].x));
        cJSON_AddItemToArray(q, cli_json_double(p[k].y));
        cJSON_AddItemToArray(q, cli_json_double(p[k].z));
        cJSON_AddItemToArray(a, q);
    }
    return a;
}

void cli_extras_json(cJSON *image, const cli_extra *e, size_t n)
{
    cJSON *faces = cJSON_GetObjectItemCaseSensitive(image, "faces");
    size_t i = 0;
    for (cJSON *f = faces ? faces->child : NULL; f && i < n; f = f->next, i++) {
        const cli_extra *x = &e[i];
        if (x->has_expression) {
            cJSON_AddStringToObject(f, "expression", fk_expression_name(x->expression.best));
            cJSON_AddItemToObject(f, "expressions",
                                  class_object(x->expression.p, FK_EXPRESSION_COUNT, fk_expression_name));
        }
        if (x->has_emotion) {
            cJSON_AddStringToObject(f, "emotion", fk_emotion_name(x->emotion.best));
            cJSON_AddItemToObject(f, "emotions", class_object(x->emotion.p, FK_EMOTION_COUNT, fk_emotion_name));
        }
        if (x->has_gear) {
            cJSON *g = cJSON_CreateObject();
            cJSON_AddItemToObject(g, "age", cli_json_float(x->gear.age));
            cJSON_AddStringToObject(g, "gender", x->gear.gender == FK_GENDER_MALE ? "male" : "female");
            cJSON_AddItemToObject(g, "gender_probability", cli_json_float(x->gear.gender_probability));
            cJSON_AddStringToObject(g, "race", fk_race_name(x->gear.best_race));
            cJSON_AddItemToObject(g, "races", class_object(x->gear.race, FK_RACE_COUNT, fk_race_name));
            cJSON_AddItemToObject(f, "gear", g);
        }
        if (x->has_liveness) {
            cJSON *l = cJSON_CreateObject();
            if (x->liveness.has_antispoof)
                cJSON_AddItemToObject(l, "antispoof", cli_json_float(x->liveness.antispoof));
            if (x->liveness.has_liveness)
                cJSON_AddItemToObject(l, "liveness", cli_json_float(x->liveness.liveness));
            cJSON_AddBoolToObject(l, "live", x->liveness.live);
            cJSON_AddItemToObject(l, "crop", box_array(x->liveness.crop));
            cJSON_AddItemToObject(f, "liveness", l);
        }
        if (x->has_mesh) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddItemToObject(m, "points", points3(x->mesh.points, FK_MESH_POINTS));
            if (x->mesh.has_iris)
                cJSON_AddItemToObject(m, "iris", points3(x->mesh.iris, 2 * FK_IRIS_POINTS));
            cJSON_AddItemToObject(m, "score", cli_json_float(x->mesh.score));
            cJSON_AddItemToObject(m, "crop", box_array(x->mesh.crop));
            cJSON_AddItemToObject(f, "mesh", m);
        }
    }
}

void cli_extras_text(FILE *f, const cli_extra *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const cli_extra *x = &e[i];
        if (x->has_expression)
            fprintf(f, "  #%zu expression %s %.2f\n", i, fk_expression_name(x->expression.best),
                    (double)x->expression.p[x->expression.best]);
        if (x->has_emotion) {
            fprintf(f, "  #%zu emotion %s %.2f", i, fk_emotion_name(x->emotion.best), (double)x->emotion.p[x->emotion.best]);
            /* the runner-up, as people read "happy, or else surprise" */
            int second = x->emotion.best == 0 ? 1 : 0;
            for (int k = 0; k < FK_EMOTION_COUNT; k++)
                if (k != x->emotion.best && x->emotion.p[k] > x->emotion.p[second])
                    second = k;
            fprintf(f, " (then %s %.2f)\n", fk_emotion_name(second), (double)x->emotion.p[second]);
        }
        if (x->has_gear)
            fprintf(f, "  #%zu gear: age %.1f, %s %.2f, %s %.2f\n", i, (double)x->gear.age,
                    x->gear.gender == FK_GENDER_MALE ? "male" : "female", (double)x->gear.gender_probability,
                    fk_race_name(x->gear.best_race), (double)x->gear.race[x->gear.best_race]);
        if (x->has_liveness) {
            fprintf(f, "  #%zu %s", i, x->liveness.live ? "live" : "SPOOF");
            if (x->liveness.has_antispoof)
                fprintf(f, "  antispoof %.3f (>= %.2f)", (double)x->liveness.antispoof, (double)FK_ANTISPOOF_THRESHOLD);
            if (x->liveness.has_liveness)
                fprintf(f, "  liveness %.3f (>= %.2f)", (double)x->liveness.liveness, (double)FK_LIVENESS_THRESHOLD);
            fputc('\n', f);
        }
        if (x->has_mesh) {
            fprintf(f, "  #%zu mesh: %d points, score %.3f, nose tip %.0f,%.0f", i, FK_MESH_POINTS,
                    (double)x->mesh.score, x->mesh.points[1].x, x->mesh.points[1].y);
            if (x->mesh.has_iris)
                fprintf(f, ", irises %.0f,%.0f and %.0f,%.0f", x->mesh.iris[0].x, x->mesh.iris[0].y,
                        x->mesh.iris[FK_IRIS_POINTS].x, x->mesh.iris[FK_IRIS_POINTS].y);
            fputc('\n', f);
        }
    }
}

void cli_extras_draw(fk_image *img, const cli_extra *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!e[i].has_mesh)
            continue;
        int side = (int)(e[i].mesh.crop.width / 150);
        for (int k = 0; k < FK_MESH_POINTS; k++)
            fk_image_draw_point(img, e[i].mesh.points[k].x, e[i].mesh.points[k].y, side > 1 ? side : 1, 0x40c4ff);
        for (int k = 0; e[i].mesh.has_iris && k < 2 * FK_IRIS_POINTS; k++)
            fk_image_draw_point(img, e[i].mesh.iris[k].x, e[i].mesh.iris[k].y, side > 1 ? side : 1, 0xffd740);
    }
}

void cli_extras_label(const cli_extra *e, char *buf, size_t size)
{
    buf[0] = 0;
    size_t used = 0;
    if (e->has_liveness)
        used += (size_t)snprintf(buf + used, size - used, "%s", e->liveness.live ? "live" : "SPOOF");
    if (e->has_expression && used < size)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "", fk_expression_name(e->expression.best));
    else if (e->has_emotion && used < size)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "", fk_emotion_name(e->emotion.best));
    if (e->has_gear && used < size)
        snprintf(buf + used, size - used, "%s%s", used ? " " : "", fk_race_name(e->gear.best_race));
}
