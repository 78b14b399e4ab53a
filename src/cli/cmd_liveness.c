/* cmd_liveness.c: `facekit liveness IMG...`: detection, then Human's antispoof and liveness scores and a decision per face. */
#include <stddef.h>

#include "cli/cmd.h"

int cmd_liveness(int argc, char **argv)
{
    static const cli_face_verb verb = {
        .name = "liveness",
        .what = 0,
        .intro = "Usage: facekit liveness [OPTIONS] IMG...\n"
                 "\n"
                 "Finds the faces in each image and scores each with Human's two single-frame models:\n"
                 "antispoof (real against spoofed, 0..1) and liveness (live against replayed, 0..1),\n"
                 "higher meaning live. A face is `live` when every score is at or above its threshold\n"
                 "(0.5 each). One photo cannot prove a person is present: a sharp print or a screen\n"
                 "can pass. docs/LIVENESS.md gives both models' scores on real photos and on attacks\n"
                 "made from them, and what they can and cannot tell.\n",
        .full = NULL,
        .example = "facekit liveness --json selfie.jpg",
        .with = "liveness",
    };
    return cli_run_face_verb(&verb, argc, argv);
}
