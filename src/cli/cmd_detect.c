/* cmd_detect.c: `facekit detect IMG...`: the faces in each image, box and score. */
#include "cli/cmd.h"
#include "facekit/face.h"

int cmd_detect(int argc, char **argv)
{
    static const cli_face_verb verb = {
        .name = "detect",
        .what = 0,
        .intro = "Usage: facekit detect [OPTIONS] IMG...\n"
                 "\n"
                 "Finds the faces in each image (JPEG, PNG, PNM, WebP, GIF, TIFF or BMP, told apart by\n"
                 "content) and prints, per image, a header line and a table: face #, box (x y w h in\n"
                 "image pixels), detection score. Faces come best score first.\n",
        .full = NULL,
        .example = "facekit detect --json photos/*.jpg > faces.json",
    };
    return cli_run_face_verb(&verb, argc, argv);
}
