/* cmd_mesh.c: `facekit mesh IMG...`: detection, then the 468 points of MediaPipe's face mesh per face. */
#include <stddef.h>

#include "cli/cmd.h"

int cmd_mesh(int argc, char **argv)
{
    static const cli_face_verb verb = {
        .name = "mesh",
        .what = 0,
        .intro = "Usage: facekit mesh [OPTIONS] IMG...\n"
                 "\n"
                 "Finds the faces in each image and the 468 points of MediaPipe's face mesh on each\n"
                 "(Human's facemesh model on Human's face crop): x and y in image pixels, z the depth\n"
                 "in the same scale. With Human's iris model installed (models/human/iris.json) the\n"
                 "eye contours are refined by it and each iris gets 5 points (centre and edge), as\n"
                 "Human does by default. The text output gives the mesh's score, the nose tip and the\n"
                 "iris centres; --json gives every point, --draw draws them (irises in amber).\n",
        .full = NULL,
        .example = "facekit mesh --detector blazeface --draw out.png face.jpg",
        .with = "mesh",
    };
    return cli_run_face_verb(&verb, argc, argv);
}
