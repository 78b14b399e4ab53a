"""bench_overhead: what the Python package costs over calling libfacekit from C: the same pipeline on the demo photos through a C function and through facekit, one thread, medians of repeated runs.

    /usr/bin/python3 python/bench_overhead.py [--repeats 20] [--lib build/libfacekit.so] [PHOTO...]

Pipelines: "analyze" (decode + fk_face_analyze: SSD, 68 landmarks, descriptor) and "stages"
(decode + detect + landmarks + descriptors, one call each). The C side (bench_overhead.c, built
here with cc against the same library) times one run inside C, on the same session the Python
side uses; each repeat runs both back to back, in alternating order, so the machine's drift hits
both alike. Reported per photo: the median C time, the median Python time, and the median of the
paired Python/C ratios; then the same over all photos.
"""

import argparse
import ctypes
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


def build_c(lib, out):
    libdir = os.path.dirname(os.path.abspath(lib))
    subprocess.run(["cc", "-O2", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-shared", "-fPIC", "-I",
                    os.path.join(SRC, "include"), os.path.join(HERE, "bench_overhead.c"), "-o", out, "-L", libdir,
                    "-l:" + os.path.basename(lib), "-Wl,-rpath," + libdir], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=20, help="paired runs per photo and pipeline (default 20)")
    ap.add_argument("--lib", default=os.environ.get("FACEKIT_LIB") or os.path.join(SRC, "build", "libfacekit.so"))
    ap.add_argument("photos", nargs="*")
    a = ap.parse_args()
    photos = a.photos or sorted(glob.glob(os.path.join(os.environ.get("FACEKIT_MODELS") or
                                                       os.path.join(SRC, "models", "face-api"), "demo", "sample*.jpg")))
    if not photos:
        sys.exit("bench_overhead: no photos (make models fetches the demo photos, or name some)")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # one thread everywhere (sessions default to 1)
    os.environ["FACEKIT_LIB"] = os.path.abspath(a.lib)
    sys.path.insert(0, HERE)
    import facekit
    s = facekit.Session(facekit.Models("ssd,faceapi68,faceapi-resnet"), threads=1)

    def py_once(path, staged):
        img = facekit.load_image(path)
        if not staged:
            return s.analyze(img)
        faces = s.detect(img)
        s.landmarks(img, faces)
        s.descriptors(img, faces)
        return faces

    with tempfile.TemporaryDirectory() as tmp:
        so = os.path.join(tmp, "bench_overhead.so")
        build_c(a.lib, so)
        c = ctypes.CDLL(so)
        c.fkb_once.restype = ctypes.c_double
        c.fkb_once.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        nf = ctypes.c_int()

        def c_once(path, staged):
            t = c.fkb_once(s._p, path.encode(), staged, ctypes.byref(nf))
            if t < 0:
                sys.exit("bench_overhead: the C run failed")
            return t

        print("library %s, %d photos, %d paired runs each, 1 thread" % (facekit.library_path, len(photos), a.repeats))
        print("%-12s %-8s %5s %9s %10s %15s" % ("photo", "pipeline", "faces", "C ms", "Python ms", "Python/C - 1"))
        allr = {0: [], 1: []}
        sums = {0: [0.0, 0.0], 1: [0.0, 0.0]}
        for staged in (0, 1):
            for p in photos:
                c_once(p, staged)
                faces = len(py_once(p, staged))  # warm-up: plans and buffers made on first use
                tc, tp = [], []
                for r in range(a.repeats):
                    for side in ((0, 1) if r % 2 == 0 else (1, 0)):
                        if side == 0:
                            tc.append(c_once(p, staged))
                        else:
                            t0 = time.perf_counter_ns()
                            py_once(p, staged)
                            tp.append((time.perf_counter_ns() - t0) / 1e6)
                ratios = [y / x - 1 for x, y in zip(tc, tp)]
                allr[staged] += ratios
                mc, mp = statistics.median(tc), statistics.median(tp)
                sums[staged][0] += mc
                sums[staged][1] += mp
                print("%-12s %-8s %5d %9.2f %10.2f %+14.2f%%" % (os.path.basename(p), ("analyze", "stages")[staged],
                                                               faces, mc, mp, 100 * statistics.median(ratios)))
        for staged in (0, 1):
            mc, mp = sums[staged]
            print("%-12s %-8s %5s %9.2f %10.2f %+14.2f%%   (medians summed; paired median %+.2f%%)"
                  % ("all", ("analyze", "stages")[staged], "", mc, mp, 100 * (mp / mc - 1),
                     100 * statistics.median(allr[staged])))


if __name__ == "__main__":
    main()
