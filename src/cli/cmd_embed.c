/* cmd_embed.c: `facekit embed IMG...`: detection, landmarks and the 128-D descriptor of each face. */
#include "cli/cmd.h"
#include "facekit/face.h"

int cmd_embed(int argc, char **argv)
{
    static const cli_face_verb verb = {
        .name = "embed",
        .what = FK_ANALYZE_LANDMARKS | FK_ANALYZE_DESCRIPTOR,
        .intro = "Usage: facekit embed [OPTIONS] IMG...\n"
                 "\n"
                 "Finds the faces in each image, their landmarks, and the 128-D face descriptor of each\n"
                 "(dlib's ResNet, the mean over 4 jittered copies of the face; two faces whose descriptors\n"
                 "are less than 0.6 apart are taken as one person). The defaults are the most accurate measured on\n"
                 "LFW (see the README): every LFW image gets a face, through the close-up pass, the retry\n"
                 "and the MMOD fallback. The table shows face #, box, score, the descriptor's L2 norm and\n"
                 "its first values; --full or --json give all 128.\n",
        .full = "print all 128 descriptor values under each face",
        .example = "facekit embed --json --max-faces 1 portrait.jpg",
    };
    return cli_run_face_verb(&verb, argc, argv);
}
