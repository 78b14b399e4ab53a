/* cmd.h: the verbs of the facekit tool; each takes argv with argv[0] = the verb's name and returns the exit code. */
#ifndef FK_CLI_CMD_H
#define FK_CLI_CMD_H

int cmd_detect(int argc, char **argv);
int cmd_landmarks(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_attributes(int argc, char **argv);
int cmd_liveness(int argc, char **argv);
int cmd_mesh(int argc, char **argv);
int cmd_eval_liveness(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_align(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_identify(int argc, char **argv);
int cmd_who(int argc, char **argv);
int cmd_gallery(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_cluster(int argc, char **argv);

/* A per-image verb (detect, landmarks, embed, attributes): its name, the stages it runs after
 * detection (FK_ANALYZE_*), and its --help text: `intro` (usage line and purpose), `full` (what
 * --full prints, NULL when the verb has no --full) and `example`; batch.c adds the options and
 * exit codes, and does the rest. */
typedef struct cli_face_verb {
    const char *name;
    unsigned what;
    const char *intro;
    const char *full;
    const char *example;
    const char *with;      /* the --with analyses by default ("emotion"; NULL: none), dropped with a
                              note when their models are not installed */
} cli_face_verb;

/* The options, the loop over images (going on after a failure), the output and the exit code
 * (0, 1 when any image failed, 2 for a usage error). */
int cli_run_face_verb(const cli_face_verb *verb, int argc, char **argv);

#endif
