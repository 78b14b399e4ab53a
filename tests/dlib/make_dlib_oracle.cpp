// make_dlib_oracle.cpp: the tool that made tests/dlib/data/*.txt with dlib 19.24 (not built by facekit; needs libdlib-dev).
//
//   g++ -O2 -std=c++14 make_dlib_oracle.cpp -o make_dlib_oracle $(pkg-config --cflags --libs dlib-1)
//
//   make_dlib_oracle resnet MODEL IMAGE NAME < landmarks
//       one input line per face (68 landmarks x0 y0 x1 y1 ...); for each, dlib's 150x150 chip
//       (get_face_chip_details(shape, 150, 0.25) + extract_image_chip) and anet_type's descriptor:
//       "NAME FACE d0 ... d127" (%.9g: each float exactly)
//   make_dlib_oracle mmod MODEL UPSAMPLE IMAGE...
//       dlib's cnn_face_detection_model_v1(img, UPSAMPLE) as the python binding does it (pyramid_up
//       UPSAMPLE times, net(img), pyr.rect_down(rect, UPSAMPLE)); per image a line
//       "image NAME UPSAMPLE W H UPW UPH UPHASH NR NC TENSORHASH NDETS", one line "level L T R B"
//       per level of the tiled pyramid, then "det L T R B SCORE" per detection (score %.9g).
//       UPHASH: FNV-1a 64 of the upsampled RGB bytes; TENSORHASH: of the input tensor's floats
//       (dlib's order: channel, row, column; little-endian bytes). With MMOD_SCORES=DIR set, the
//       net's output (one float per position, rows) is written to DIR/NAME_upN.f32.
//
// Images are read with dlib::load_image (libjpeg-turbo, no EXIF rotation), as face_recognition's
// load_image_file gives them to dlib. Run with OPENBLAS_NUM_THREADS=1 for repeatable timing; the
// results do not depend on it.
#include <dlib/dnn.h>
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_transforms.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace dlib;

// dnn_face_recognition_ex.cpp
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;
template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;
template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;
template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;
using anet_type = loss_metric<fc_no_bias<128, avg_pool_everything<alevel0<alevel1<alevel2<alevel3<alevel4<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;

// dnn_mmod_face_detection_ex.cpp
template <long num_filters, typename SUBNET> using con5d = con<num_filters, 5, 5, 2, 2, SUBNET>;
template <long num_filters, typename SUBNET> using con5 = con<num_filters, 5, 5, 1, 1, SUBNET>;
template <typename SUBNET>
using downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5 = relu<affine<con5<45, SUBNET>>>;
using mmod_net_type =
    loss_mmod<con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;

static uint64_t fnv(uint64_t h, const void* p, size_t n) {
    const unsigned char* b = (const unsigned char*)p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}
static const uint64_t FNV0 = 14695981039346656037ull;

static std::string stem(const std::string& p) {
    size_t s = p.find_last_of('/');
    std::string b = s == std::string::npos ? p : p.substr(s + 1);
    size_t d = b.find_last_of('.');
    return d == std::string::npos ? b : b.substr(0, d);
}

static int resnet(const std::string& model, const std::string& image, const std::string& name) {
    anet_type net;
    deserialize(model) >> net;
    matrix<rgb_pixel> img;
    load_image(img, image);
    std::string line;
    for (int face = 0; std::getline(std::cin, line); face++) {
        std::istringstream in(line);
        std::vector<point> parts;
        long x, y;
        while (in >> x >> y) parts.push_back(point(x, y));
        if (parts.size() != 68) return 1;
        full_object_detection det(rectangle(), parts);
        matrix<rgb_pixel> chip;
        extract_image_chip(img, get_face_chip_details(det, 150, 0.25), chip);
        matrix<float, 0, 1> d = net(chip);
        std::printf("%s %d", name.c_str(), face);
        for (long k = 0; k < d.size(); k++) std::printf(" %.9g", d(k));
        std::printf("\n");
    }
    return 0;
}

static int mmod(const std::string& model, int upsample, const std::vector<std::string>& images) {
    mmod_net_type net;
    deserialize(model) >> net;
    const char* dump = std::getenv("MMOD_SCORES");
    for (const std::string& path : images) {
        matrix<rgb_pixel> img, up;
        load_image(img, path);
        pyramid_down<2> pyr;
        up = img;
        for (int i = 0; i < upsample; i++) pyramid_up(up, pyr);
        uint64_t uh = FNV0;
        for (long r = 0; r < up.nr(); r++)
            for (long c = 0; c < up.nc(); c++) {
                const unsigned char px[3] = {up(r, c).red, up(r, c).green, up(r, c).blue};
                uh = fnv(uh, px, 3);
            }
        std::vector<rectangle> rects;
        long tnr = 0, tnc = 0;
        uint64_t th = FNV0;
        {
            resizable_tensor t;
            input_layer(net).to_tensor(&up, &up + 1, t);
            rects = t.annotation().get<std::vector<rectangle>>();
            tnr = t.nr();
            tnc = t.nc();
            const float* p = t.host();
            th = fnv(th, p, t.size() * sizeof(float));
        }
        std::vector<mmod_rect> dets = net(up);
        if (dump) {
            const tensor& out = net.subnet().get_output();
            std::ofstream f(std::string(dump) + "/" + stem(path) + "_up" + std::to_string(upsample) + ".f32",
                            std::ios::binary);
            f.write((const char*)out.host(), out.size() * sizeof(float));
            std::fprintf(stderr, "%s: output %ld x %ld x %ld\n", path.c_str(), (long)out.k(), (long)out.nr(),
                         (long)out.nc());
        }
        std::printf("image %s %d %ld %ld %ld %ld %016llx %ld %ld %016llx %zu\n", stem(path).c_str(), upsample,
                    (long)img.nc(), (long)img.nr(), (long)up.nc(), (long)up.nr(), (unsigned long long)uh, tnr, tnc,
                    (unsigned long long)th, dets.size());
        for (const rectangle& r : rects)
            std::printf("level %ld %ld %ld %ld\n", r.left(), r.top(), r.right(), r.bottom());
        for (const mmod_rect& d : dets) {
            rectangle r = pyr.rect_down(d.rect, upsample);
            std::printf("det %ld %ld %ld %ld %.9g\n", r.left(), r.top(), r.right(), r.bottom(), d.detection_confidence);
        }
        std::fflush(stdout);
    }
    return 0;
}

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "resnet" && argc == 5) return resnet(argv[2], argv[3], argv[4]);
    if (mode == "mmod" && argc >= 5) {
        std::vector<std::string> images(argv + 4, argv + argc);
        return mmod(argv[2], std::atoi(argv[3]), images);
    }
    std::cerr << "usage: make_dlib_oracle resnet MODEL IMAGE NAME < landmarks\n"
                 "       make_dlib_oracle mmod MODEL UPSAMPLE IMAGE...\n";
    return 2;
}
