"""test_facekit: the facekit Python package against the C library: images, the registry, the stages on the demo photos, errors and the struct layout check."""

import ctypes
import json
import os
import threading

import numpy as np
import pytest

import facekit
from facekit import _lib

from conftest import SRC, need_models

# ---- the binding itself ----------------------------------------------------------------------


def test_abi_matches():
    # import already checked it; check again, and that a wrong mirror would be caught
    _lib.check_abi()
    assert _lib.fk_abi_sizeof(b"fk_face") == ctypes.sizeof(_lib.fk_face)
    assert _lib.fk_abi_sizeof(b"no_such_type") == 0
    assert _lib.fk_abi_offsetof(b"fk_face", b"no_such_field") == ctypes.c_size_t(-1).value
    assert _lib.fk_abi_offsetof(b"fk_face", b"embedder") == _lib.fk_face.embedder.offset


def test_abi_mismatch_is_an_import_error(monkeypatch):
    class fk_box(ctypes.Structure):  # floats where the library has doubles
        _fields_ = [("x", ctypes.c_float), ("y", ctypes.c_float), ("width", ctypes.c_double),
                    ("height", ctypes.c_double)]
    monkeypatch.setattr(_lib, "MIRRORED", (fk_box,))
    with pytest.raises(ImportError, match=r"sizeof\(fk_box\)"):
        _lib.check_abi()


def test_library_search_order(monkeypatch):
    monkeypatch.setenv("FACEKIT_LIB", "/nowhere/libfacekit.so")
    assert _lib.candidates() == [("/nowhere/libfacekit.so", "$FACEKIT_LIB")]
    monkeypatch.delenv("FACEKIT_LIB")
    where = [w for _, w in _lib.candidates()]
    assert where[-1] == "the system's library (ldconfig)"


def test_registry():
    ms = facekit.models()
    names = [m.name for m in ms]
    for n in ("ssd", "tiny", "hog", "mmod", "faceapi68", "dlib68", "dlib5", "faceapi-resnet", "dlib-resnet",
              "age-gender"):
        assert n in names
    assert len(ms) == _lib.fk_model_count()
    r = facekit.model_info("dlib-resnet")
    assert (r.role, r.dim, r.threshold, r.folder) == ("embedder", 128, pytest.approx(0.6), "dlib")
    assert r.files == ("dlib_face_recognition_resnet_model_v1.dat",)
    assert facekit.model_info("ert").name == "dlib68"  # an older alias
    assert facekit.model_info("hog").role == "detector"
    with pytest.raises(KeyError, match="the models are: ssd"):
        facekit.model_info("nope")


# ---- images -----------------------------------------------------------------------------------


def test_load_image(demo):
    img = facekit.load_image(demo[0])
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and img.flags["C_CONTIGUOUS"]
    assert img.shape == (1280, 1920, 3)
    with open(demo[0], "rb") as f:
        data = f.read()
    for buf in (data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        assert np.array_equal(facekit.decode_image(buf, name="x.jpg"), img)
    # the pixels outlive every reference but a view
    view = facekit.load_image(demo[0])[10:20, 30:40]
    import gc
    gc.collect()
    assert np.array_equal(view, img[10:20, 30:40])


def test_save_and_reload(tmp_path, demo):
    img = facekit.load_image(demo[1])[100:300, 50:250]  # a strided slice goes to C without a copy
    p = tmp_path / "crop.png"
    facekit.save_image(str(p), img)
    assert np.array_equal(facekit.load_image(str(p)), img)


def test_load_errors(tmp_path):
    with pytest.raises(facekit.NotFoundError) as e:
        facekit.load_image(str(tmp_path / "missing.jpg"))
    assert isinstance(e.value, FileNotFoundError) and "missing.jpg" in str(e.value)
    assert e.value.status == 9 and e.value.status_name == "not found"
    bad = tmp_path / "notes.jpg"
    bad.write_bytes(b"this is not a picture")
    with pytest.raises(facekit.BadFormatError, match="notes.jpg"):
        facekit.load_image(str(bad))
    with open(os.path.join(SRC, "README.md"), "rb") as f:
        head = f.read(1000)
    with pytest.raises(facekit.BadFormatError, match="in-memory.png"):
        facekit.decode_image(head, name="in-memory.png")


def test_truncated_jpeg(tmp_path, demo):
    with open(demo[2], "rb") as f:
        data = f.read()
    with pytest.raises(facekit.BadFormatError, match="cut.jpg"):
        facekit.decode_image(data[: len(data) // 2], name="cut.jpg")


def test_image_layouts(faceapi, demo):
    img = facekit.load_image(demo[0])
    grey = img[:, :, 1].copy()
    rgba = np.concatenate([img, np.full(img.shape[:2] + (1,), 255, np.uint8)], axis=2)
    assert np.array_equal(facekit.as_rgb(rgba), img)
    g3 = facekit.as_rgb(grey)
    assert g3.shape == img.shape and np.array_equal(g3[:, :, 0], grey) and np.array_equal(g3[:, :, 2], grey)
    assert facekit.as_rgb(img) is img  # no copy for RGB
    # RGBA runs as its RGB
    a = faceapi.detect(img)
    b = faceapi.detect(rgba)
    assert [f.box for f in a] == [f.box for f in b]


@pytest.mark.parametrize("bad, match", [
    (np.zeros((4, 4, 3), np.float32), "dtype float32, not uint8"),
    (np.zeros((4, 4, 2), np.uint8), r"shape \(4, 4, 2\)"),
    (np.zeros((0, 4, 3), np.uint8), "empty"),
    (np.zeros((4, 4, 3), np.uint8)[:, :, ::-1], "np.ascontiguousarray"),
    (np.zeros((3, 4, 4), np.uint8).transpose(1, 2, 0)[:, :, :3], "np.ascontiguousarray"),
    ([[1, 2], [3, 4]], "not a numpy array"),
])
def test_image_errors(faceapi, bad, match):
    with pytest.raises(facekit.ImageError, match=match) as e:
        faceapi.detect(bad)
    assert isinstance(e.value, ValueError)


# ---- models and sessions ----------------------------------------------------------------------


def test_models_errors(tmp_path):
    with pytest.raises(facekit.InvalidArgumentError, match="unknown model 'bogus'"):
        facekit.Models("ssd,bogus")
    with pytest.raises(facekit.Error) as e:
        facekit.Models("ssd", dir=str(tmp_path))  # an empty folder: the message names the file
    assert "ssd_mobilenetv1_model" in str(e.value) and str(tmp_path) in str(e.value)


def test_models_and_session_lifetime(faceapi_dir, demo):
    m = facekit.Models(["ssd"], dir=faceapi_dir)
    assert "ssd" in m and "tiny" not in m and m.names == ("ssd",)
    assert os.path.samefile(m.dir, faceapi_dir)
    s = facekit.Session(m)
    with pytest.raises(facekit.BadStateError, match="close them first"):
        m.close()
    s.close()
    with pytest.raises(facekit.BadStateError, match="after close"):
        s.detect(facekit.load_image(demo[0]))
    m.close()
    with pytest.raises(ValueError):
        facekit.Session(m)


def test_stage_not_loaded(faceapi_dir, demo):
    s = facekit.Session(need_models("ssd", faceapi_dir))
    img = facekit.load_image(demo[0])
    faces = s.detect(img)
    with pytest.raises(facekit.BadStateError, match="no landmarker is loaded"):
        s.landmarks(img, faces)
    with pytest.raises(facekit.BadStateError, match="was not loaded"):
        s.landmarks(img, faces, landmarker="dlib5")
    with pytest.raises(facekit.InvalidArgumentError, match="'ssd' is a detector, not a landmarker"):
        s.landmarks(img, faces, landmarker="ssd")


def _pin():
    with open(os.path.join(SRC, "tests", "golden", "default_pin.json")) as f:
        return json.load(f)


def test_default_pipeline_matches_the_pin(faceapi, demo):
    # the same pin the C test holds the default path to (tests/golden/test_default_pin.c), and
    # its tolerance: through ctypes the numbers must not move at all
    pin = _pin()
    total = 0
    for k, path in enumerate(demo, 1):
        faces = faceapi.analyze(facekit.load_image(path))
        want = pin["sample%d" % k]
        assert len(faces) == len(want)
        for f, w in zip(faces, want):
            assert np.abs(np.array(f.box) - np.array(w["box"])).max() <= 1e-4
            assert np.abs(f.descriptor - np.array(w["descriptor"], np.float32)).max() <= 1e-5
            assert f.embedder == "faceapi-resnet" and f.detector == "ssd" and f.landmarks.shape == (68, 2)
        total += len(faces)
    assert total == 22


def test_stages_equal_analyze(faceapi, demo):
    img = facekit.load_image(demo[3])
    a = faceapi.analyze(img, attributes=True)
    b = faceapi.detect(img)
    assert all(f.landmarks is None and f.descriptor is None for f in b)
    faceapi.landmarks(img, b)
    faceapi.descriptors(img, b)
    faceapi.attributes(img, b)
    for x, y in zip(a, b):
        assert x.box == y.box and x.score == y.score
        assert np.array_equal(x.landmarks, y.landmarks) and np.array_equal(x.points5, y.points5)
        assert np.array_equal(x.descriptor, y.descriptor)
        assert (x.age, x.gender, x.gender_probability) == (y.age, y.gender, y.gender_probability)
        assert x.gender in ("female", "male") and 0 < x.age < 100
        assert x.descriptor.dtype == np.float32 and x.descriptor.shape == (128,)
    # descriptors() computes missing landmarks itself; a single Face comes back as itself
    c = faceapi.detect(img)[0]
    assert faceapi.descriptors(img, c) is c and np.array_equal(c.descriptor, a[0].descriptor)


def test_detect_options(faceapi, demo):
    img = facekit.load_image(demo[0])
    all_ = faceapi.detect(img)
    assert len(all_) == 3 and all(f.score > 0.5 for f in all_)
    assert [f.score for f in all_] == sorted((f.score for f in all_), reverse=True)
    assert len(faceapi.detect(img, max_faces=1)) == 1
    assert len(faceapi.detect(img, min_score=0.999)) < 3
    tiny = faceapi.detect(img, detector="tiny")
    assert tiny and all(f.detector == "tiny" for f in tiny)
    with pytest.raises(facekit.InvalidArgumentError, match="tiny input size"):
        faceapi.detect(img, detector="tiny", tiny_input_size=100)
    with pytest.raises(facekit.InvalidArgumentError, match="closeup"):
        faceapi.detect(img, closeup="sometimes")
    with pytest.raises(facekit.InvalidArgumentError, match="detector"):
        faceapi.detect(img, detector="faceapi68")
    with pytest.raises(TypeError):
        faceapi.analyze(img, bogus=1)


def test_distance(faceapi, demo):
    faces = faceapi.analyze(facekit.load_image(demo[0]))
    d = facekit.distance(faces[0], faces[1])
    assert d == pytest.approx(facekit.distance(faces[0].descriptor, faces[1].descriptor), abs=1e-6)
    assert facekit.distance(faces[0], faces[0]) == 0
    other = faces[1].copy()
    other._c.embedder = facekit.model_info("dlib-resnet").id  # as if dlib's ResNet had made it
    with pytest.raises(facekit.InvalidArgumentError, match="embedder"):
        facekit.distance(faces[0], other)


def test_threads_give_the_same_results(faceapi_dir, demo):
    m = need_models("ssd,faceapi68,faceapi-resnet", faceapi_dir)
    img = facekit.load_image(demo[4])
    one = facekit.Session(m).analyze(img)
    two = facekit.Session(m, threads=2).analyze(img)
    assert [f.box for f in one] == [f.box for f in two]
    assert all(np.array_equal(a.descriptor, b.descriptor) for a, b in zip(one, two))
    # sessions on Python threads, over one shared Models
    out = {}

    def run(k):
        out[k] = facekit.Session(m).analyze(img)

    ts = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(np.array_equal(out[k][0].descriptor, one[0].descriptor) for k in range(2))


def test_jitter_and_flip(faceapi, demo):
    img = facekit.load_image(demo[0])
    base = faceapi.analyze(img)[0]
    j = faceapi.descriptors(img, base.copy(), jitter=5, seed=1)
    j2 = faceapi.descriptors(img, base.copy(), jitter=5, seed=1)
    assert np.array_equal(j.descriptor, j2.descriptor)  # seeded: repeatable
    assert not np.array_equal(j.descriptor, base.descriptor)
    assert 0 < facekit.distance(j, base) < 0.3
    fl = faceapi.descriptors(img, base.copy(), flip=True)
    assert 0 < facekit.distance(fl, base) < 0.3
    with pytest.raises(facekit.InvalidArgumentError):
        faceapi.descriptors(img, base.copy(), jitter=100000)
    again = faceapi.descriptors(img, base.copy())  # jitter and flip do not stick to the session
    assert np.array_equal(again.descriptor, base.descriptor)


# ---- dlib's models ------------------------------------------------------------------------------


def test_dlib_landmarkers_on_an_ssd_box(faceapi_dir, demo):
    s = facekit.Session(need_models("ssd,dlib68,dlib5", faceapi_dir))
    img = facekit.load_image(demo[0])
    faces = s.detect(img)
    s.landmarks(img, faces, landmarker="dlib68")
    five = [f.copy() for f in faces]
    for f in five:
        f._c.has_landmarks = 0
    s.landmarks(img, five, landmarker="dlib5")
    for a, b in zip(faces, five):
        assert a.landmarks.shape == (68, 2) and b.landmarks.shape == (5, 2)
        # dlib's 5 points are eye corners and the nose base: near the 68's (36, 39, 42, 45, 33)
        assert np.abs(b.landmarks[[2, 3, 1, 0, 4]] - a.landmarks[[36, 39, 42, 45, 33]]).max() < 0.1 * a.box.width
        assert np.isnan(b.points5[3:]).all() and not np.isnan(b.points5[:3]).any()


def test_dlib_box_used_unmapped(faceapi_dir, demo):
    # a box in dlib's own convention (detector "hog") reaches the ERT as it is; the same box as
    # an SSD box is first mapped, so the points differ
    s = facekit.Session(need_models("dlib68", faceapi_dir))
    img = facekit.load_image(demo[0])
    box = (420, 380, 170, 170)
    hog = s.landmarks(img, facekit.Face(box, detector="hog"))
    ssd = s.landmarks(img, facekit.Face(box, detector="ssd"))
    assert hog.landmarks.shape == (68, 2) and not np.array_equal(hog.landmarks, ssd.landmarks)
    assert hog.detector == "hog" and hog.landmark_crop is not None


def test_descriptor_from_given_landmarks(faceapi, demo):
    img = facekit.load_image(demo[0])
    f = faceapi.analyze(img)[0]
    g = facekit.Face(tuple(f.box), landmarks=f.landmarks)
    assert np.array_equal(g.points5, f.points5)
    faceapi.descriptors(img, g)
    assert np.array_equal(g.descriptor, f.descriptor)
    with pytest.raises(facekit.InvalidArgumentError, match="5 .* or 68"):
        g.landmarks = np.zeros((7, 2))


def test_hog_detector(faceapi_dir, fr_images):
    s = facekit.Session(need_models("hog", faceapi_dir))
    img = facekit.load_image(os.path.join(fr_images, "obama.jpg"), orientation=False)
    faces = s.detect(img, detector="hog", upsample=1)
    # face_recognition's test: dlib's rectangle (349, 142) - (617, 409), inclusive corners
    assert len(faces) == 1 and tuple(faces[0].box) == (349, 142, 269, 268)


def test_mmod_detector(faceapi_dir, fr_images):
    s = facekit.Session(need_models("mmod", faceapi_dir))
    img = facekit.load_image(os.path.join(fr_images, "obama.jpg"), orientation=False)
    faces = s.detect(img, detector="mmod", upsample=0)
    assert len(faces) == 1 and faces[0].detector == "mmod"
    b = faces[0].box
    # dlib 19.24's own MMOD at upsample 0 (measured; face_recognition's batched test wants an older
    # dlib's 154, 390)
    assert (b.x, b.y, b.x + b.width - 1, b.y + b.height - 1) == (353, 117, 636, 400)
    assert abs(faces[0].score - 1.08977) < 1e-4


def test_dlib_resnet(faceapi_dir, demo):
    s = facekit.Session(need_models("ssd,dlib5,dlib-resnet", faceapi_dir))
    img = facekit.load_image(demo[0])
    faces = s.detect(img)
    s.descriptors(img, faces, embedder="dlib-resnet", landmarker="dlib5")
    assert all(f.embedder == "dlib-resnet" and f.descriptor.shape == (128,) for f in faces)
    assert facekit.distance(faces[0], faces[1]) > 0.6  # two people


def test_embed_is_the_cli_default(faceapi_dir, demo):
    """Session.embed gives `facekit embed`'s descriptors, and its defaults are analyze()'s options."""
    import subprocess
    s = facekit.Session(need_models(facekit.EMBED_MODELS, faceapi_dir))
    img = facekit.load_image(demo[1])
    faces = s.embed(img)
    assert faces and all(f.embedder == "dlib-resnet" for f in faces)
    again = s.analyze(img, **facekit.Session.EMBED_DEFAULTS)
    assert [tuple(f.box) for f in faces] == [tuple(f.box) for f in again]
    assert all(np.array_equal(a.descriptor, b.descriptor) for a, b in zip(faces, again))
    cli = os.path.join(SRC, "build", "facekit")
    if not os.path.isfile(cli):
        pytest.skip("no build/facekit to compare with")
    out = subprocess.run([cli, "embed", "--json", "-q", "--models", faceapi_dir, demo[1]], check=True,
                         capture_output=True, text=True).stdout
    ref = json.loads(out)[0]["faces"]
    assert len(ref) == len(faces)
    for r, f in zip(ref, faces):
        assert r["embedder"] == "dlib-resnet"
        assert np.max(np.abs(np.array(r["descriptor"]) - f.descriptor)) < 1e-5


def test_embed_falls_back_to_mmod(faceapi_dir):
    """An LFW face SSD misses, close-up pass and retry included, is found by the MMOD fallback."""
    from conftest import shared_dir, skip_data
    path = os.path.join(shared_dir(), "data", "lfw-deepfunneled", "images_deepfunneled", "Mohammad_Fares",
                        "Mohammad_Fares_0001.jpg")
    if not os.path.isfile(path):
        skip_data("%s absent (../shared)" % path)
    s = facekit.Session(need_models(facekit.EMBED_MODELS, faceapi_dir))
    img = facekit.load_image(path)
    assert s.detect(img, closeup="always", retry=0.2) == []
    faces = s.embed(img)
    assert len(faces) == 1 and faces[0].detector == "mmod" and faces[0].embedder == "dlib-resnet"
    assert s.embed(img, fallback=None) == []
