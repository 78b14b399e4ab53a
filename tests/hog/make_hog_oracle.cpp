// make_hog_oracle.cpp: the tool that made tests/hog/data/afw_hog_oracle.txt with dlib 19.24's HOG face detector (not built by facekit; needs libdlib-dev).
//
//   g++ -O3 -march=native -DNDEBUG -std=c++14 make_hog_oracle.cpp -o make_hog_oracle $(pkg-config --cflags --libs dlib-1)
//   ./make_hog_oracle ../../models/dlib/frontal_face_detector.dat IMAGE... > data/afw_hog_oracle.txt
//
// Built as dlib's own benchmarks are (../shared/golden/dlib came from such a build): dlib's HOG code
// is header templates, so these flags decide its float arithmetic. g++ -march=native fuses
// multiply-adds (FMA) and sums 4-lane vectors in the SSE3 order; a plain -O2 build gives
// detection scores up to 6e-3 apart on the demo photos, and on these 20 AFW photos up to 3.4e-2
// apart with 5 other boxes.
//
// For each image: its size and an FNV-1a hash of the decoded RGB bytes (so a test can check that
// it decodes the same pixels), then dlib python's detector(img, upsample) for upsample 0 and 1:
// pyramid_up(img) with pyramid_down<2>, the detector with adjust_threshold 0, rect_down.
#include <dlib/image_io.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/serialize.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using namespace dlib;

static uint64_t fnv1a(const array2d<rgb_pixel>& img) {
    uint64_t h = 1469598103934665603ull;
    for (long r = 0; r < img.nr(); r++)
        for (long c = 0; c < img.nc(); c++) {
            const unsigned char px[3] = {img[r][c].red, img[r][c].green, img[r][c].blue};
            for (unsigned char b : px) {
                h ^= b;
                h *= 1099511628211ull;
            }
        }
    return h;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: make_hog_oracle DETECTOR.dat IMAGE...\n");
        return 2;
    }
    frontal_face_detector det;
    deserialize(argv[1]) >> det;
    std::printf("# dlib 19.24 frontal_face_detector: detector(img, upsample), adjust_threshold 0\n");
    std::printf("# image NAME WIDTH HEIGHT FNV1A64(RGB bytes)\n# det UPSAMPLE SCORE WEIGHT_INDEX LEFT TOP RIGHT BOTTOM\n");
    for (int a = 2; a < argc; a++) {
        array2d<rgb_pixel> img;
        load_image(img, argv[a]);
        std::string name = argv[a];
        name = name.substr(name.find_last_of('/') + 1);
        std::printf("image %s %ld %ld %016llx\n", name.c_str(), img.nc(), img.nr(), (unsigned long long)fnv1a(img));
        for (int up = 0; up <= 1; up++) {
            std::vector<rect_detection> dets;
            pyramid_down<2> pyr;
            if (up == 0) {
                det(img, dets, 0.0);
            } else {
                array2d<rgb_pixel> big;
                pyramid_up(img, big, pyr);
                det(big, dets, 0.0);
                for (auto& d : dets)
                    d.rect = pyr.rect_down(d.rect, 1);
            }
            for (auto& d : dets)
                std::printf("det %d %.9g %lu %ld %ld %ld %ld\n", up, d.detection_confidence, d.weight_index, d.rect.left(),
                            d.rect.top(), d.rect.right(), d.rect.bottom());
        }
    }
    return 0;
}
