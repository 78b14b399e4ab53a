/* cmd_attributes.c: `facekit attributes IMG...`: detection, landmarks, then age and gender of each face. */
#include "cli/cmd.h"
#include "facekit/face.h"

int cmd_attributes(int argc, char **argv)
{
    static const cli_face_verb verb = {
        .name = "attributes",
        .what = FK_ANALYZE_LANDMARKS | FK_ANALYZE_ATTRIBUTES,
        .intro = "Usage: facekit attributes [OPTIONS] IMG...\n"
                 "\n"
                 "Finds the faces in each image, their landmarks, and estimates age (years) and gender\n"
                 "with its probability (0.5 to 1) for each. The table shows face #, box, score, age,\n"
                 "gender and probability.\n",
        .full = NULL,
        .example = "facekit attributes --detector tiny group.jpg",
    };
    return cli_run_face_verb(&verb, argc, argv);
}
