/* cmd_attributes.c: `facekit attributes IMG...`: detection, landmarks, then age, gender and emotion of each face. */
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
                 "with its probability (0.5 to 1) for each (face-api's AgeGenderNet), its expression\n"
                 "(face-api's FaceExpressionNet: neutral, happy, sad, angry, fearful, disgusted,\n"
                 "surprised) and its emotion (Human's model: angry, disgust, fear, happy, sad, surprise,\n"
                 "neutral). The table shows face #, box, score, age, gender and probability; a line per\n"
                 "face gives the expression and one the emotion.\n"
                 "--with gear adds GEAR's age, gender and race.\n",
        .full = NULL,
        .example = "facekit attributes --with emotion,gear --json group.jpg",
        .with = "expression,emotion",
    };
    return cli_run_face_verb(&verb, argc, argv);
}
