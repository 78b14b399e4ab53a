// make_jitter_oracle.cpp: the tool that made jitter_oracle.txt with dlib 19.24 (not built by facekit; needs libdlib-dev).
//
//   g++ -O2 -std=c++14 make_jitter_oracle.cpp -o make_jitter_oracle $(pkg-config --cflags --libs dlib-1)
//   ./make_jitter_oracle models/dlib/shape_predictor_5_face_landmarks.dat ../shared/data/faceapi-demo/sample1.jpg \
//       > tests/align/jitter_oracle.txt
//
// The first HOG face (upsample 1) of the photo: its 5 points, the FNV-1a hash of its 150x150 chip
// (padding 0.25, as compute_face_descriptor), then 8 jitter_image copies from one default
// dlib::rand, each as its FNV-1a hash of the RGB bytes.
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cstdint>
#include <cstdio>

static uint64_t fnv(const dlib::matrix<dlib::rgb_pixel> &m)
{
    uint64_t h = 1469598103934665603ull;
    for (long r = 0; r < m.nr(); r++)
        for (long c = 0; c < m.nc(); c++) {
            const unsigned char b[3] = {m(r, c).red, m(r, c).green, m(r, c).blue};
            for (unsigned char x : b)
                h = (h ^ x) * 1099511628211ull;
        }
    return h;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: make_jitter_oracle shape_predictor_5_face_landmarks.dat IMAGE\n");
        return 2;
    }
    dlib::shape_predictor sp;
    dlib::deserialize(argv[1]) >> sp;
    dlib::frontal_face_detector det = dlib::get_frontal_face_detector();
    dlib::array2d<dlib::rgb_pixel> img, up;
    dlib::load_image(img, argv[2]);
    dlib::pyramid_down<2> pyr;
    dlib::pyramid_up(img, up, pyr);
    std::vector<dlib::rectangle> rects = det(up);
    if (rects.empty())
        return 1;
    dlib::full_object_detection s = sp(img, pyr.rect_down(rects[0]));
    std::printf("# dlib 19.24 jitter_image on the first face's chip\npoints");
    for (unsigned long k = 0; k < s.num_parts(); k++)
        std::printf(" %ld %ld", s.part(k).x(), s.part(k).y());
    dlib::matrix<dlib::rgb_pixel> chip;
    dlib::extract_image_chip(img, dlib::get_face_chip_details(s, 150, 0.25), chip);
    std::printf("\nchip %016llx\n", (unsigned long long)fnv(chip));
    dlib::rand rnd;
    for (int i = 0; i < 8; i++)
        std::printf("jitter %d %016llx\n", i, (unsigned long long)fnv(dlib::jitter_image(chip, rnd)));
    return 0;
}
