/* main.c: the facekit command-line tool: global --help/--version, `help VERB`, and dispatch to the verbs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmd.h"
#include "facekit/facekit.h"

typedef struct verb_entry {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} verb_entry;

static const verb_entry verbs[] = {
    {"detect", cmd_detect, "find the faces in images: box and score"},
    {"landmarks", cmd_landmarks, "faces and their 68 landmarks"},
    {"embed", cmd_embed, "faces and their 128-D descriptors"},
    {"attributes", cmd_attributes, "faces with estimated age, gender and emotion"},
    {"liveness", cmd_liveness, "a live-or-spoof score and decision per face (single frame)"},
    {"mesh", cmd_mesh, "468 face-mesh points per face"},
    {"compare", cmd_compare, "whether the largest faces of two photos are the same person"},
    {"demo", cmd_demo, "analyse the demo photos (or yours) and group the faces into persons"},
    {"align", cmd_align, "aligned face chips (dlib 150x150 or ArcFace 112x112) as PNG files"},
    {"models", cmd_models, "the models facekit knows: role, installed, licence, threshold, LFW figure"},
    {"eval", cmd_eval, "accuracy benchmarks: eval verify (LFW pairs, ROC), identify (1:N), detect (AP)"},
    {"enroll", cmd_enroll, "add a person's faces to the gallery of known people"},
    {"identify", cmd_identify, "who is each face: the nearest people in the gallery, known or unknown"},
    {"who", cmd_who, "face_recognition's CLI: known people from a folder against unknown images"},
    {"cluster", cmd_cluster, "group every face of a photo collection by person: HTML report and JSON"},
    {"gallery", cmd_gallery, "list, show, rename, merge, remove, tag, export, import the gallery"},
    {"train", cmd_train, "train an embedding head with the losses of the field (triplet, ArcFace, ...)"},
};
#define VERB_COUNT (sizeof verbs / sizeof verbs[0])

static void usage(FILE *f)
{
    fputs("Usage: facekit VERB [OPTIONS] ARGS...\n"
          "       facekit help VERB | --help | --version\n"
          "\n"
          "Face detection, landmarks, descriptors, age and gender with the face-api models.\n"
          "\n"
          "Verbs:\n",
          f);
    for (size_t i = 0; i < VERB_COUNT; i++)
        fprintf(f, "  %-11s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(f,
            "\n"
            "`facekit VERB --help` describes a verb and its options.\n"
            "Models: --models DIR, else $FACEKIT_MODELS, else %s (`make models` fetches them).\n"
            "\n"
            "Example:\n"
            "  facekit demo --out demo-out\n"
            "\n"
            "Exit status: 0 success, 1 an input or the models failed, 2 usage error.\n",
            fk_models_default_dir());
}

static const verb_entry *find_verb(const char *name)
{
    for (size_t i = 0; i < VERB_COUNT; i++)
        if (strcmp(verbs[i].name, name) == 0)
            return &verbs[i];
    return NULL;
}

static int unknown_verb(const char *name)
{
    fprintf(stderr, "facekit: unknown verb '%s'; the verbs are", name);
    for (size_t i = 0; i < VERB_COUNT; i++)
        fprintf(stderr, "%s %s", i ? "," : "", verbs[i].name);
    fputs(" (see facekit --help)\n", stderr);
    return CLI_EXIT_USAGE;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("facekit %s\n", FACEKIT_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    if (strcmp(first, "help") == 0) {
        if (argc == 2) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        if (argc > 3)
            return cli_usage_error(NULL, "help takes one verb");
        const verb_entry *v = find_verb(argv[2]);
        if (!v)
            return unknown_verb(argv[2]);
        char *help_argv[] = {(char *)v->name, "--help", NULL};
        return v->run(2, help_argv);
    }
    if (first[0] == '-')
        return cli_usage_error(NULL, "unknown option '%s'; a verb comes first", first);
    const verb_entry *v = find_verb(first);
    if (!v)
        return unknown_verb(first);
    return v->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    int rc = dispatch(argc, argv);
    /* a full disk or a closed pipe must not pass for success */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc != CLI_EXIT_USAGE) {
            cli_error("cannot write to standard output%s%s", errno ? ": " : "", errno ? strerror(errno) : "");
            rc = CLI_EXIT_FAIL;
        }
    }
    return rc;
}
