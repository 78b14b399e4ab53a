// make_sp5_oracle.cpp: the tool that made sp5_oracle.txt with dlib 19.24 (not built by facekit; needs libdlib-dev).
//
//   g++ -O2 -std=c++14 make_sp5_oracle.cpp -o make_sp5_oracle $(pkg-config --cflags --libs dlib-1)
//   ./make_sp5_oracle models/dlib/shape_predictor_5_face_landmarks.dat \
//       ../shared/data/faceapi-demo/sample{1,2,3,4,5,6}.jpg \
//       ../shared/peers/face_recognition/tests/test_images/obama.jpg > tests/ert/sp5_oracle.txt
//
// For every face dlib's HOG detector finds at upsample 1 (as face_recognition does), one line:
// "<file name> <left> <top> <right> <bottom> x0 y0 ... x4 y4": the rectangle (inclusive) and the
// 5-point model's points as dlib gives them (rounded to integers).
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::cerr << "usage: make_sp5_oracle shape_predictor_5_face_landmarks.dat IMAGE...\n";
        return 2;
    }
    dlib::shape_predictor sp;
    dlib::deserialize(argv[1]) >> sp;
    dlib::frontal_face_detector det = dlib::get_frontal_face_detector();
    std::printf("# dlib 19.24: HOG detector at upsample 1, then shape_predictor_5_face_landmarks.dat\n");
    for (int i = 2; i < argc; i++) {
        dlib::array2d<dlib::rgb_pixel> img;
        dlib::load_image(img, argv[i]);
        std::string name = argv[i];
        name = name.substr(name.find_last_of('/') + 1);
        // face_recognition's detector(img, 1): one pyramid_up, the scan, rect_down
        dlib::pyramid_down<2> pyr;
        dlib::array2d<dlib::rgb_pixel> up;
        dlib::pyramid_up(img, up, pyr);
        std::vector<dlib::rectangle> rects = det(up);
        for (dlib::rectangle r : rects) {
            r = pyr.rect_down(r);
            dlib::full_object_detection s = sp(img, r);
            std::printf("%s %ld %ld %ld %ld", name.c_str(), r.left(), r.top(), r.right(), r.bottom());
            for (unsigned long k = 0; k < s.num_parts(); k++)
                std::printf(" %ld %ld", s.part(k).x(), s.part(k).y());
            std::printf("\n");
        }
    }
    return 0;
}
