// make_dlib_chips.cpp: the tool that made dlib_chips.sha256 with dlib 19.24 (not built by facekit; needs libdlib-dev).
//
//   g++ -O2 -std=c++14 make_dlib_chips.cpp -o make_dlib_chips $(pkg-config --cflags --libs dlib-1)
//   for k in 1 2 3 4 5 6; do
//     jq -r '.landmarks68_on_hog_up1[] | flatten | map(tostring) | join(" ")' ../shared/golden/dlib/sample$k.json |
//       ./make_dlib_chips ../shared/data/faceapi-demo/sample$k.jpg sample$k
//   done
//   # then: sha256sum sample<k>_<face>_<size>.rgb, one line "sample<k> <face> <size> <sha256>" each
//
// Each input line holds one face's 68 landmarks (x0 y0 x1 y1 ...); for each face and chip size
// (150 and 40, the latter deep in dlib's image pyramid) it writes the chip's raw RGB bytes.
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_transforms.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    using namespace dlib;
    if (argc != 3) {
        std::cerr << "usage: make_dlib_chips IMAGE PREFIX < landmarks\n";
        return 2;
    }
    array2d<rgb_pixel> img;
    load_image(img, argv[1]);
    std::string line;
    for (int face = 0; std::getline(std::cin, line); face++) {
        std::istringstream in(line);
        std::vector<point> parts;
        long x, y;
        while (in >> x >> y)
            parts.push_back(point(x, y));
        if (parts.size() != 68)
            return 1;
        full_object_detection det(rectangle(), parts);
        for (unsigned long size : {150ul, 40ul}) {
            array2d<rgb_pixel> chip;
            extract_image_chip(img, get_face_chip_details(det, size, 0.25), chip);
            std::ofstream f(std::string(argv[2]) + "_" + std::to_string(face) + "_" + std::to_string(size) + ".rgb",
                            std::ios::binary);
            for (long r = 0; r < chip.nr(); r++)
                for (long c = 0; c < chip.nc(); c++) {
                    const char px[3] = {(char)chip[r][c].red, (char)chip[r][c].green, (char)chip[r][c].blue};
                    f.write(px, 3);
                }
        }
    }
    return 0;
}
