// extract_hog.cpp: writes dlib's HOG face detector (get_frontal_face_detector, built into libdlib-dev's header) as a plain dlib-serialized file for facekit to read.
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/serialize.h>
#include <iostream>
int main(int argc, char **argv) {
    if (argc != 2) { std::cerr << "usage: extract_hog OUT.dat\n"; return 2; }
    dlib::frontal_face_detector d = dlib::get_frontal_face_detector();
    dlib::serialize(argv[1]) << d;
    return 0;
}
