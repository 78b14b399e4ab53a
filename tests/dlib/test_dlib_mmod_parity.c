/* test_dlib_mmod_parity.c: our MMOD detector against dlib 19.24's on the six demo photos, at upsample 0 and 1 (mmod_parity.h). */
#include "mmod_parity.h"

int main(void)
{
    return mmod_parity_run("test_dlib_mmod_parity", "faceapi-demo");
}
