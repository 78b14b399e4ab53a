/* pipeline.c: the face verbs' common options, model loading by need, and decode + detect + stages for one image. */
#include <assert.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/pipeline.h"
#include "facekit/models.h"
#include "facekit/train.h"

void cli_face_opts_init(cli_face_opts *o)
{
    fk_detect_options d;
    fk_detect_options_init(&d);
    memset(o, 0, sizeof *o);
    o->detector = "ssd";
    o->min_score = d.min_score;
    o->max_faces = d.max_faces;
    o->tiny_size = d.tiny_input_size;
    o->closeup = d.closeup == FK_CLOSEUP_ALWAYS ? "always" : d.closeup == FK_CLOSEUP_OFF ? "off" : "if-none";
    o->crop = FK_CROP_DEFAULT == FK_CROP_DLIB_CHIP ? "dlib" : "faceapi";
    o->landmarker = "faceapi68";
    o->embedder = "faceapi-resnet";
    o->upsample = d.upsample;
    o->box_style = "detector";
    o->threads = 1;
    o->retry = 0;
    o->fallback = "none";
}

void cli_face_opts_init_embed(cli_face_opts *o)
{
    cli_face_opts_init(o);
    o->closeup = "always";
    o->retry = 0.2;
    o->fallback = "mmod";
    o->fallback_default = 1;
    o->embedder = "dlib-resnet";
    o->embedder_default = 1;
    o->jitter = 4;
}

size_t cli_face_opts_table(cli_face_opts *o, cli_opt *t)
{
    size_t n = 0;
    t[n++] = (cli_opt){"detector", 0, CLI_ARG_STRING, &o->detector, 0, 0};
    t[n++] = (cli_opt){"min-score", 0, CLI_ARG_FLOAT, &o->min_score, 0, 1};
    t[n++] = (cli_opt){"max-faces", 0, CLI_ARG_INT, &o->max_faces, 1, 100000};
    t[n++] = (cli_opt){"tiny-size", 0, CLI_ARG_INT, &o->tiny_size, 64, 2048};
    t[n++] = (cli_opt){"closeup", 0, CLI_ARG_STRING, &o->closeup, 0, 0};
    t[n++] = (cli_opt){"tiles", 0, CLI_ARG_INT, &o->tiles, 0, 8};
    t[n++] = (cli_opt){"crop", 0, CLI_ARG_STRING, &o->crop, 0, 0};
    t[n++] = (cli_opt){"landmarker", 0, CLI_ARG_STRING, &o->landmarker, 0, 0};
    t[n++] = (cli_opt){"embedder", 0, CLI_ARG_STRING, &o->embedder, 0, 0};
    t[n++] = (cli_opt){"upsample", 0, CLI_ARG_INT, &o->upsample, 0, 4};
    t[n++] = (cli_opt){"jitter", 0, CLI_ARG_INT, &o->jitter, 0, 1000};
    t[n++] = (cli_opt){"seed", 0, CLI_ARG_INT, &o->seed, 0, 2147483647};
    t[n++] = (cli_opt){"box-style", 0, CLI_ARG_STRING, &o->box_style, 0, 0};
    t[n++] = (cli_opt){"flip", 0, CLI_ARG_FLAG, &o->flip, 0, 0};
    t[n++] = (cli_opt){"no-flip", 0, CLI_ARG_FLAG, &o->no_flip, 0, 0};
    t[n++] = (cli_opt){"retry", 0, CLI_ARG_FLOAT, &o->retry, 0, 1};
    t[n++] = (cli_opt){"fallback", 0, CLI_ARG_STRING, &o->fallback, 0, 0};
    t[n++] = (cli_opt){"threads", 0, CLI_ARG_INT, &o->threads, 1, 256};
    t[n++] = (cli_opt){"models", 0, CLI_ARG_STRING, &o->models, 0, 0};
    t[n++] = (cli_opt){"max-pixels", 0, CLI_ARG_U64, &o->max_pixels, 1, 0};
    t[n++] = (cli_opt){"json", 0, CLI_ARG_FLAG, &o->json, 0, 0};
    t[n++] = (cli_opt){"timings", 0, CLI_ARG_FLAG, &o->timings, 0, 0};
    t[n++] = (cli_opt){"quiet", 'q', CLI_ARG_FLAG, &o->quiet, 0, 0};
    assert(n == CLI_FACE_OPTS_COUNT); /* callers size their tables by it */
    return n;
}

void cli_face_opts_help(FILE *f, int embed)
{
    cli_face_opts o;
    if (embed)
        cli_face_opts_init_embed(&o);
    else
        cli_face_opts_init(&o);
    fprintf(f,
            "  --detector NAME      the face detector (`facekit models` lists them): ssd (SSD MobileNetV1,\n"
            "                       accurate), tiny (TinyFaceDetector, about 10x cheaper, misses small\n"
            "                       faces), hog (dlib's HOG, face_recognition's \"hog\"), mmod (dlib's\n"
            "                       CNN, face_recognition's \"cnn\") [%s]\n"
            "  --upsample N         hog, mmod: double the image N times (0..4) first, to find faces\n"
            "                       smaller than 80 px (hog) or 40 px (mmod) [%d]\n"
            "  --min-score F        keep faces whose detection score is above F, 0 <= F < 1 [%g]\n"
            "  --max-faces N        at most N faces per image, best score first, 1 to 100000 [%d]\n"
            "  --tiny-size N        the tiny detector's input side, a multiple of 32 from 64 to 2048 [%d]\n"
            "  --closeup MODE       detect again on the image in a black border, for faces that fill the\n"
            "                       frame: off, if-none (when nothing was found) or always (merged) [%s]\n"
            "  --retry F            ssd, tiny: when nothing scores above --min-score, keep the faces\n"
            "                       above F instead; 0 is off [%g]\n"
            "  --fallback NAME      when still nothing is found, run this detector (at upsample 1):\n"
            "                       mmod finds faces in poses and sizes the others miss; none is off\n"
            "                       [%s%s]\n"
            "  --tiles N            also detect on an N x N grid of overlapping tiles (N = 2..8): finds\n"
            "                       faces N times smaller in big photos, at N*N times the detector's\n"
            "                       cost; 0 is off [%d]\n"
            "  --crop C             the descriptor's input: dlib (the face rotated and scaled onto dlib's\n"
            "                       mean face, as the net was trained) or faceapi (face-api's upright\n"
            "                       box, for face-api parity; turns the default jitter off) [%s]\n"
            "  --landmarker NAME    faceapi68 (face-api's net, 68 points; also 'cnn'), dlib68 (dlib's\n"
            "                       regression trees, /usr/share/dlib, its training data for\n"
            "                       non-commercial use only; also 'ert') or dlib5 (dlib's 5 points,\n"
            "                       CC0) [%s]\n"
            "  --embedder NAME      faceapi-resnet (face-api's uint8 port of dlib's ResNet),\n"
            "                       dlib-resnet (dlib's own float weights), faceres (Human's, 1024-D,\n"
            "                       on Human's crop of the box) or mobilefacenet (192-D, on the ArcFace\n"
            "                       chip from 68 landmarks; both without jitter or flip); descriptors\n"
            "                       of two embedders are not comparable; or FILE.fktn, a model of\n"
            "                       `facekit train`'s (a head\n"
            "                       on its base's descriptors, or a CNN on chips; its threshold is the\n"
            "                       default) [%s]\n"
            "  --jitter N           descriptors: the mean over N randomly jittered copies of the chip,\n"
            "                       as dlib's num_jitters (N times the cost); 0 or 1 is off [%d]\n"
            "  --seed S             the jitter's random seed (the same seed, the same descriptor) [%d]\n"
            "  --box-style S        the boxes reported: detector (the detector's own, face-api's) or\n"
            "                       dlib (square, eyebrows to chin, as dlib's HOG detector and AFW's\n"
            "                       annotations; the later stages still use the detector's box) [%s]\n"
            "  --flip, --no-flip    descriptors: average the face's and its mirror image's (twice the\n"
            "                       cost, better verification; off gives face-api's and dlib's own\n"
            "                       descriptors) [%s]\n"
            "  --threads N          threads to run the nets on, 1 to 256 (results do not change) [%d]\n"
            "  --models DIR         the model folder [$FACEKIT_MODELS, else the built-in folder;\n"
            "                       now %s]\n"
            "  --max-pixels N       refuse images of more than N pixels (width x height) [%llu]\n"
            "  --json               JSON on stdout instead of tables (schema: docs/cli-json.md)\n"
            "  --timings            milliseconds per stage (decode, detect, landmarks, descriptor,\n"
            "                       attributes) on stderr, per image and in total\n"
            "  -q, --quiet          no progress lines or notes on stderr (errors are still printed)\n",
            o.detector, o.upsample, o.min_score, o.max_faces, o.tiny_size, o.closeup, o.retry, o.fallback,
            o.fallback_default ? ", where installed" : "", o.tiles, o.crop, o.landmarker,
            o.embedder, o.jitter, o.seed, o.box_style, o.flip ? "on" : "off",
            o.threads, cli_models_dir(&o), (unsigned long long)FK_IMAGE_DEFAULT_MAX_PIXELS);
}

/* The fallback detector the options ask for and can have: NULL for none, for an unknown name, and
 * for the verb's default when its files are not installed (missing gets the first absent file). */
static const fk_model_info *fallback_info(const cli_face_opts *o, char *missing, size_t n)
{
    if (missing && n)
        missing[0] = 0;
    if (!o->fallback || strcmp(o->fallback, "none") == 0)
        return NULL;
    const fk_model_info *fb = fk_model_find(o->fallback);
    if (!fb || fb->role != FK_ROLE_DETECTOR)
        return NULL;
    char buf[4096];
    if (o->fallback_default && !fk_model_installed(fb, cli_models_dir(o), missing ? missing : buf, missing ? n : sizeof buf, NULL))
        return NULL;
    return fb;
}

static unsigned cli_fallback_net(const cli_face_opts *o)
{
    const fk_model_info *fb = o->boxes.n > 0 ? NULL : fallback_info(o, NULL, 0);
    return fb ? fb->net : 0;
}

/* --embedder FILE.fktn (or any path): a model of facekit train's, checked here so that a damaged
 * file stops the verb before any image is read */
static int resolve_trained(const char *verb, cli_face_opts *o)
{
    size_t len = strlen(o->embedder);
    if (o->trained || (!(len > 5 && !strcmp(o->embedder + len - 5, ".fktn")) && !strchr(o->embedder, '/')))
        return 0;
    fk_tnet *net = NULL;
    char *base = NULL;
    float thr = 0;
    fk_error err = {0};
    if (fk_tnet_load(o->embedder, &net, &base, &thr, &err) != FK_OK) {
        cli_error("%s: --embedder: %s", verb, err.message);
        return CLI_EXIT_FAIL;
    }
    int dim = fk_tnet_out_dim(net);
    fk_tnet_free(net);
    const fk_model_info *bi = base[0] ? fk_model_find(base) : NULL;
    if (dim != FK_DESCRIPTOR_DIM || (base[0] && (!bi || bi->role != FK_ROLE_EMBEDDER))) {
        cli_error("%s: --embedder %s: %s", verb, o->embedder,
                  dim != FK_DESCRIPTOR_DIM ? "its net does not give 128 values" : "its base embedder is unknown");
        free(base);
        return CLI_EXIT_FAIL;
    }
    free(base);
    const char *slash = strrchr(o->embedder, '/');
    snprintf(o->trained_name, sizeof o->trained_name, "fktn:%s", slash ? slash + 1 : o->embedder);
    o->trained = o->embedder;
    o->trained_chips = bi == NULL;
    o->trained_threshold = thr;
    /* a head needs its base's descriptors; a CNN on chips needs no ResNet (cli_nets_for_opts) */
    o->embedder = bi ? bi->name : "dlib-resnet";
    o->embedder_default = 0;
    return 0;
}

const char *cli_face_opts_embedder_name(const cli_face_opts *o)
{
    if (o->trained)
        return o->trained_name;
    const fk_model_info *e = fk_model_by_id(FK_ROLE_EMBEDDER, cli_face_opts_embedder(o));
    return e ? e->name : "";
}

double cli_face_opts_threshold(const cli_face_opts *o, double fallback)
{
    return o->trained && o->trained_threshold > 0 ? o->trained_threshold : fallback;
}

int cli_session_trained(fk_session *s, const cli_face_opts *o)
{
    if (!o->trained || fk_session_set_trained_embedder(s, o->trained, NULL) == FK_OK)
        return 0;
    cli_error("%s", fk_session_errmsg(s));
    return CLI_EXIT_FAIL;
}

int cli_face_opts_resolve(const char *verb, cli_face_opts *o, fk_detect_options *det, fk_decode_options *dec)
{
    if (o->no_flip)
        o->flip = 0;
    int trc = resolve_trained(verb, o);
    if (trc)
        return trc;
    /* the verb's default jitter works on dlib's chip: face-api's crop turns it off */
    if (o->embedder_default && o->jitter == 4 && o->crop && strcmp(o->crop, "faceapi") == 0)
        o->jitter = 0;
    if (o->embedder_default && strcmp(o->embedder, "dlib-resnet") == 0) {
        char missing[4096];
        const fk_model_info *e = fk_model_find(o->embedder);
        if (e && !fk_model_installed(e, cli_models_dir(o), missing, sizeof missing, NULL)) {
            /* the verbs still run without dlib's models, on face-api's port of the same net */
            if (!o->quiet && !o->json)
                fprintf(stderr, "facekit %s: note: dlib-resnet is not installed (%s; `make models`): using "
                        "faceapi-resnet\n", verb, missing);
            o->embedder = "faceapi-resnet";
        }
    }
    fk_detect_options_init(det);
    const fk_model_info *d = fk_model_find(o->detector);
    if (!d || d->role != FK_ROLE_DETECTOR)
        return cli_usage_error(verb, "--detector: '%s' is not ssd, tiny, hog or mmod", o->detector);
    det->detector = (fk_detector)d->id;
    det->upsample = o->upsample;
    if (!(o->min_score < 1.0))
        return cli_usage_error(verb, "--min-score: %g is not below 1", o->min_score);
    /* the library reads 0 as "default"; the smallest positive float keeps every face */
    det->min_score = o->min_score > 0 ? (float)o->min_score : FLT_MIN;
    if (!((float)det->min_score < 1.0f))
        return cli_usage_error(verb, "--min-score: %g is not below 1", o->min_score);
    det->max_faces = o->max_faces;
    if (o->tiny_size % 32)
        return cli_usage_error(verb, "--tiny-size: %d is not a multiple of 32", o->tiny_size);
    det->tiny_input_size = o->tiny_size;
    if (!strcmp(o->closeup, "off"))
        det->closeup = FK_CLOSEUP_OFF;
    else if (!strcmp(o->closeup, "if-none"))
        det->closeup = FK_CLOSEUP_IF_NONE;
    else if (!strcmp(o->closeup, "always"))
        det->closeup = FK_CLOSEUP_ALWAYS;
    else
        return cli_usage_error(verb, "--closeup: '%s' is not off, if-none or always", o->closeup);
    if (!(o->retry >= 0 && o->retry < 1))
        return cli_usage_error(verb, "--retry: %g is not in [0, 1)", o->retry);
    det->retry_min_score = (float)o->retry;
    if (strcmp(o->fallback, "none") != 0) {
        const fk_model_info *fb = fk_model_find(o->fallback);
        if (!fb || fb->role != FK_ROLE_DETECTOR)
            return cli_usage_error(verb, "--fallback: '%s' is not ssd, tiny, hog, mmod or none", o->fallback);
        char missing[4096];
        fb = fallback_info(o, missing, sizeof missing);
        if (!fb) {
            /* the default fallback needs dlib's models: without them the verb still runs */
            if (!o->quiet && !o->json)
                fprintf(stderr, "facekit %s: note: no fallback detector (%s is not installed: %s; `make models`)\n",
                        verb, o->fallback, missing);
        } else if (fb->id != (int)det->detector) {
            det->use_fallback = 1;
            det->fallback = (fk_detector)fb->id;
        }
    }
    if (o->tiles == 1)
        return cli_usage_error(verb, "--tiles: 1 is not a grid; use 0 (off) or 2 to 8");
    det->tiles = o->tiles;
    if (strcmp(o->crop, "dlib") && strcmp(o->crop, "faceapi"))
        return cli_usage_error(verb, "--crop: '%s' is not dlib or faceapi", o->crop);
    const fk_model_info *l = fk_model_find(o->landmarker);
    if (!l || l->role != FK_ROLE_LANDMARKER)
        return cli_usage_error(verb, "--landmarker: '%s' is not faceapi68, dlib68 or dlib5", o->landmarker);
    const fk_model_info *e = fk_model_find(o->embedder);
    if (!e || e->role != FK_ROLE_EMBEDDER)
        return cli_usage_error(verb, "--embedder: '%s' is not faceapi-resnet, dlib-resnet, faceres or mobilefacenet",
                               o->embedder);
    /* these verbs keep 128 numbers a face (clusters, training caches, the 1:N benchmark) */
    static const char *const only128[] = {"demo", "cluster", "train", "eval identify", "who"};
    for (size_t k = 0; k < sizeof only128 / sizeof only128[0]; k++)
        if (e->dim != FK_DESCRIPTOR_DIM && !strcmp(verb, only128[k]))
            return cli_usage_error(verb, "--embedder %s gives %d numbers; %s takes a 128-D embedder (faceapi-resnet, "
                                   "dlib-resnet)", e->name, e->dim, verb);
    if (e->id == FK_EMBEDDER_DLIB && strcmp(o->crop, "dlib"))
        return cli_usage_error(verb, "--embedder dlib-resnet takes dlib's chip only (not --crop %s)", o->crop);
    if (l->id == FK_LANDMARKER_DLIB5 && strcmp(o->crop, "dlib"))
        return cli_usage_error(verb, "--landmarker dlib5 places dlib's chip only (not --crop %s)", o->crop);
    if (strcmp(o->box_style, "detector") && strcmp(o->box_style, "dlib"))
        return cli_usage_error(verb, "--box-style: '%s' is not detector or dlib", o->box_style);
    memset(dec, 0, sizeof *dec);
    dec->limits.max_pixels = o->max_pixels;
    return 0;
}

fk_landmarker cli_face_opts_landmarker(const cli_face_opts *o)
{
    const fk_model_info *l = fk_model_find(o->landmarker);
    fk_landmarker id = l ? (fk_landmarker)l->id : FK_LANDMARKER_CNN;
    /* boxes given with --box are dlib-style boxes for the 68-point ERT (see --box in --help) */
    if (id == FK_LANDMARKER_ERT && o->boxes.n > 0)
        id = FK_LANDMARKER_ERT_DLIB_BOX;
    return id;
}

fk_embedder cli_face_opts_embedder(const cli_face_opts *o)
{
    const fk_model_info *e = fk_model_find(o->embedder);
    return e ? (fk_embedder)e->id : FK_EMBEDDER_FACEAPI;
}

fk_descriptor_crop cli_face_opts_crop(const cli_face_opts *o)
{
    return strcmp(o->crop, "dlib") == 0 ? FK_CROP_DLIB_CHIP : FK_CROP_FACEAPI;
}

int cli_face_opts_dlib_boxes(const cli_face_opts *o)
{
    return o->box_style && strcmp(o->box_style, "dlib") == 0;
}

const char *cli_models_dir(const cli_face_opts *o)
{
    if (o->models)
        return o->models;
    const char *env = getenv("FACEKIT_MODELS");
    if (env && *env)
        return env;
    return fk_models_default_dir();
}

unsigned cli_nets_for_opts(const cli_face_opts *o, fk_detector detector, unsigned what)
{
    unsigned nets = cli_nets_for(detector, what);
    if (o->boxes.n > 0)
        nets &= ~(unsigned)(FK_NET_SSD | FK_NET_TINY | FK_NET_HOG | FK_NET_MMOD);
    const fk_model_info *l = fk_model_find(o->landmarker);
    if (l && (what & FK_ANALYZE_ALL))
        nets = (nets & ~(unsigned)FK_NET_LANDMARKS) | l->net;
    const fk_model_info *e = fk_model_find(o->embedder);
    if (e && (what & FK_ANALYZE_DESCRIPTOR))
        nets = (nets & ~(unsigned)FK_NET_DESCRIPTOR) | (o->trained_chips ? 0u : e->net);
    return nets | cli_fallback_net(o);
}

unsigned cli_nets_for(fk_detector detector, unsigned what)
{
    const fk_model_info *d = fk_model_by_id(FK_ROLE_DETECTOR, detector);
    unsigned nets = d ? d->net : FK_NET_SSD;
    if (what & FK_ANALYZE_ALL)
        nets |= FK_NET_LANDMARKS;
    if (what & FK_ANALYZE_DESCRIPTOR)
        nets |= FK_NET_DESCRIPTOR;
    if (what & FK_ANALYZE_ATTRIBUTES)
        nets |= FK_NET_AGE_GENDER;
    return nets;
}

unsigned cli_stages_for(unsigned what)
{
    unsigned stages = CLI_STAGE_BIT(CLI_STAGE_DECODE) | CLI_STAGE_BIT(CLI_STAGE_DETECT);
    if (what & FK_ANALYZE_ALL)
        stages |= CLI_STAGE_BIT(CLI_STAGE_LANDMARKS);
    if (what & FK_ANALYZE_DESCRIPTOR)
        stages |= CLI_STAGE_BIT(CLI_STAGE_DESCRIPTOR);
    if (what & FK_ANALYZE_ATTRIBUTES)
        stages |= CLI_STAGE_BIT(CLI_STAGE_ATTRIBUTES);
    return stages;
}

int cli_open(const cli_face_opts *o, unsigned nets, fk_models **models, fk_session **session, double *load_ms)
{
    fk_error err = {0};
    double t0 = cli_now_ms();
    *models = NULL;
    if (session)
        *session = NULL;
    if (fk_models_load(cli_models_dir(o), nets, models, &err) != FK_OK ||
        (session && fk_session_new(*models, session, &err) != FK_OK)) {
        cli_error("%s", err.message[0] ? err.message : fk_strerror(err.status));
        fk_models_free(*models);
        *models = NULL;
        return CLI_EXIT_FAIL;
    }
    if (!session) {
        *load_ms = cli_now_ms() - t0;
        return 0;
    }
    fk_session_set_descriptor_crop(*session, cli_face_opts_crop(o));
    fk_session_set_descriptor_flip(*session, o->flip);
    if (fk_session_set_threads(*session, o->threads) != FK_OK) {
        cli_error("%s", fk_session_errmsg(*session));
        fk_session_free(*session);
        fk_models_free(*models);
        *session = NULL;
        *models = NULL;
        return CLI_EXIT_FAIL;
    }
    fk_session_set_landmarker(*session, cli_face_opts_landmarker(o));
    fk_session_set_embedder(*session, cli_face_opts_embedder(o));
    if (cli_session_trained(*session, o) != 0) {
        fk_session_free(*session);
        fk_models_free(*models);
        *session = NULL;
        *models = NULL;
        return CLI_EXIT_FAIL;
    }
    if (fk_session_set_jitter(*session, o->jitter, (unsigned)o->seed) != FK_OK) {
        cli_error("%s", fk_session_errmsg(*session));
        fk_session_free(*session);
        fk_models_free(*models);
        *session = NULL;
        *models = NULL;
        return CLI_EXIT_FAIL;
    }
    *load_ms = cli_now_ms() - t0;
    return 0;
}

/* Copies the session's last message into err, prefixed with the path unless it names it already. */
static fk_status session_failure(fk_session *s, fk_status st, const char *path, fk_error *err)
{
    const char *msg = fk_session_errmsg(s);
    if (!msg || !*msg)
        msg = fk_strerror(st);
    err->status = st;
    if (strstr(msg, path))
        snprintf(err->message, sizeof err->message, "%s", msg);
    else
        snprintf(err->message, sizeof err->message, "%s: %s", path, msg);
    return st;
}

size_t cli_largest_face(const fk_face *faces, size_t count)
{
    size_t best = 0;
    for (size_t i = 1; i < count; i++)
        if (faces[i].box.width * faces[i].box.height > faces[best].box.width * faces[best].box.height)
            best = i;
    return best;
}

/* Runs one stage on a face, timed; returns its status. */
static fk_status timed_stage(fk_status (*stage)(fk_session *, const fk_image *, fk_face *), fk_session *s,
                             const fk_image *img, fk_face *f, double *ms)
{
    double t0 = cli_now_ms();
    fk_status st = stage(s, img, f);
    *ms += cli_now_ms() - t0;
    return st;
}

static void stage_note(int quiet, const char *path, size_t i, const char *stage, fk_session *s)
{
    if (!quiet)
        cli_error("note: %s: face %zu: no %s: %s", path, i, stage, fk_session_errmsg(s));
}

/* The boxes given on the command line as faces (score 1), in their order. */
static fk_status given_faces(const cli_boxes *given, fk_face **faces, size_t *count)
{
    *faces = calloc((size_t)given->n, sizeof **faces);
    if (!*faces)
        return FK_E_NO_MEMORY;
    for (int i = 0; i < given->n; i++) {
        (*faces)[i].box = (fk_box){given->v[i][0], given->v[i][1], given->v[i][2], given->v[i][3]};
        (*faces)[i].score = 1.0f;
    }
    *count = (size_t)given->n;
    return FK_OK;
}

fk_status cli_analyze(fk_session *s, const char *path, const fk_decode_options *dec, const fk_detect_options *det,
                      const cli_boxes *given, unsigned what, int only_largest, int dlib_boxes, int quiet,
                      fk_image **img, fk_face **faces, size_t *count, cli_times *t, fk_error *err)
{
    memset(t, 0, sizeof *t);
    *img = NULL;
    *faces = NULL;
    *count = 0;

    double t0 = cli_now_ms();
    fk_status st = fk_image_load(path, dec, img, err);
    t->ms[CLI_STAGE_DECODE] = cli_now_ms() - t0;
    t->ran = CLI_STAGE_BIT(CLI_STAGE_DECODE);
    if (st != FK_OK) {
        if (!err->message[0])
            snprintf(err->message, sizeof err->message, "%s: %s", path, fk_strerror(st));
        *img = NULL;
        return st;
    }

    t0 = cli_now_ms();
    if (given && given->n > 0) {
        st = given_faces(given, faces, count);
        if (st != FK_OK)
            snprintf(err->message, sizeof err->message, "%s: out of memory", path);
    } else {
        st = fk_face_detect(s, *img, det, faces, count);
    }
    t->ms[CLI_STAGE_DETECT] = cli_now_ms() - t0;
    t->ran |= CLI_STAGE_BIT(CLI_STAGE_DETECT);
    if (st != FK_OK) {
        if (!(given && given->n > 0))
            session_failure(s, st, path, err);
        fk_faces_free(*faces);
        fk_image_free(*img);
        *faces = NULL;
        *img = NULL;
        *count = 0;
        return st;
    }

    t->ran |= cli_stages_for(what); /* the per-face stages count as run even with no face */
    size_t first = 0, last = *count;
    if (only_largest && *count) {
        first = cli_largest_face(*faces, *count);
        last = first + 1;
    }
    if ((what & FK_ANALYZE_ALL) && last > first) {
        /* all faces at once: the ERT runs them side by side */
        double l0 = cli_now_ms();
        fk_faces_landmarks(s, *img, *faces + first, last - first);
        t->ms[CLI_STAGE_LANDMARKS] += cli_now_ms() - l0;
    }
    if ((what & FK_ANALYZE_DESCRIPTOR) && last > first) {
        /* all faces at once: they run as batches through one plan */
        double d0 = cli_now_ms();
        fk_faces_descriptors(s, *img, *faces + first, last - first);
        t->ms[CLI_STAGE_DESCRIPTOR] += cli_now_ms() - d0;
    }
    for (size_t i = first; i < last && (what & FK_ANALYZE_ALL); i++) {
        fk_face *f = &(*faces)[i];
        if (!f->has_landmarks) {
            stage_note(quiet, path, i, "landmarks", s);
            continue;
        }
        /* a face the batch left without one is run alone again, for its own message */
        if ((what & FK_ANALYZE_DESCRIPTOR) && !f->has_descriptor &&
            timed_stage(fk_face_descriptor, s, *img, f, &t->ms[CLI_STAGE_DESCRIPTOR]) != FK_OK)
            stage_note(quiet, path, i, "descriptor", s);
        if ((what & FK_ANALYZE_ATTRIBUTES) &&
            timed_stage(fk_face_attributes, s, *img, f, &t->ms[CLI_STAGE_ATTRIBUTES]) != FK_OK)
            stage_note(quiet, path, i, "age and gender", s);
    }
    /* only the report changes: every stage above ran on the detector's box */
    if (dlib_boxes && !(given && given->n > 0))
        for (size_t i = 0; i < *count; i++)
            (*faces)[i].box = fk_box_dlib_style((*faces)[i].box);
    return FK_OK;
}

const char *cli_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash && slash[1])
        return slash + 1;
    return path;
}

int cli_want_progress(size_t n, int quiet)
{
    return !quiet && n > 10 && isatty(STDERR_FILENO);
}

/* The embed options of a protocol ("facekit" or "faceapi") and the parsed face options; shared by
 * eval verify, eval identify and train so that all measure the same descriptors. */
void cli_embed_options(const char *protocol, const cli_face_opts *fo, const fk_detect_options *det,
                       fk_embed_options *eo)
{
    if (strcmp(protocol, "faceapi") == 0)
        fk_embed_options_faceapi(eo);
    else
        fk_embed_options_init(eo);
    /* face-api's protocol fixes the close-up pass, the retry and the fallback; facekit's takes the
     * options as `facekit embed` does */
    eo->embedder = cli_face_opts_embedder(fo);
    eo->trained = fo->trained;
    eo->jitter = fo->jitter;
    eo->jitter_seed = (unsigned)fo->seed;
    fk_closeup closeup = eo->detect.closeup;
    eo->detect = *det;
    if (strcmp(protocol, "faceapi") == 0) {
        eo->detect.closeup = closeup;
        eo->detect.use_fallback = 0;
        eo->detect.retry_min_score = 0;
    } else {
        eo->retry_min_score = 0; /* det's own, from --retry */
    }
    if (strcmp(protocol, "facekit") == 0) {
        eo->crop = cli_face_opts_crop(fo);
        eo->landmarker = cli_face_opts_landmarker(fo);
        eo->flip = fo->flip;
    }
}
