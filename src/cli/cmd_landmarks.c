/* cmd_landmarks.c: `facekit landmarks IMG...`: detection plus the 68 landmarks of each face. */
#include "cli/cmd.h"
#include "facekit/face.h"

int cmd_landmarks(int argc, char **argv)
{
    static const cli_face_verb verb = {
        .name = "landmarks",
        .what = FK_ANALYZE_LANDMARKS,
        .intro = "Usage: facekit landmarks [OPTIONS] IMG...\n"
                 "\n"
                 "Finds the faces in each image and their 68 landmarks (iBUG 300-W order). The table shows\n"
                 "face #, box, score and five points derived from the 68: eye centres, nose tip, mouth\n"
                 "corners (left and right as seen in the image); --json and --full give all 68.\n",
        .full = "print all 68 points (x,y) under each face",
        .example = "facekit landmarks --draw marked.png photo.jpg",
    };
    return cli_run_face_verb(&verb, argc, argv);
}
