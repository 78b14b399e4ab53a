/* test_dlib_mmod_afw.c: our MMOD detector against dlib 19.24's on 20 AFW photos, at upsample 0 and 1 (mmod_parity.h). */
#include "mmod_parity.h"

int main(void)
{
    return mmod_parity_run("test_dlib_mmod_afw", "afw/images");
}
