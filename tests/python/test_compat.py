"""test_compat: the face_recognition compatibility module's own parts: dlib's types, the box helpers, distances, image loading, landmarks on dlib boxes, the CLIs' options, the Pillow-style thumbnail."""

import io
import os

import numpy as np
import pytest
from click.testing import CliRunner

import face_recognition
from face_recognition import _dlib, api, face_detection_cli, face_recognition_cli
from face_recognition._resize import thumbnail

from conftest import need_models

# face_recognition's suite: dlib's HOG box of obama.jpg (upsample 1), and the points it expects
OBAMA_BOX = (142, 617, 409, 349)
OBAMA_CHIN = [(369, 220), (372, 254), (378, 289), (384, 322), (395, 353), (414, 382), (437, 407), (464, 424),
              (495, 428), (527, 420), (552, 399), (576, 372), (594, 344), (604, 314), (610, 282), (613, 250),
              (615, 219)]


def test_exports():
    for name in ("load_image_file", "face_locations", "batch_face_locations", "face_landmarks", "face_encodings",
                 "compare_faces", "face_distance"):
        assert getattr(face_recognition, name) is getattr(api, name)
    assert face_recognition.__version__ == "1.3.0"


def test_rectangle_and_css():
    r = _dlib.rectangle(349, 142, 617, 409)
    assert (r.left(), r.top(), r.right(), r.bottom(), r.width(), r.height()) == (349, 142, 617, 409, 269, 268)
    assert repr(r) == "[(349, 142) (617, 409)]" and r.area() == 269 * 268 and not r.is_empty()
    assert _dlib.rectangle().is_empty() and _dlib.rectangle().width() == 0
    assert api._rect_to_css(r) == OBAMA_BOX
    assert api._css_to_rect(OBAMA_BOX) == r
    assert api._trim_css_to_bounds((-5, 700, 1200, -3), (1137, 910, 3)) == (0, 700, 1137, 0)
    assert api._trim_css_to_bounds((10, 1000, 20, 5), (100, 910)) == (10, 910, 20, 5)
    m = _dlib.mmod_rectangle(r, 1.5)
    assert m.rect == r and m.confidence == 1.5
    shape = _dlib.full_object_detection(r, [_dlib.point(1, 2), _dlib.point(3, 4)])
    assert shape.num_parts == 2 and shape.part(1).x == 3 and [p.y for p in shape.parts()] == [2, 4]
    with pytest.raises(IndexError):
        shape.part(2)
    import pickle
    assert pickle.loads(pickle.dumps(r)) == r


def test_face_distance_and_compare():
    a = np.zeros(128)
    b = np.zeros(128)
    b[0] = 0.5
    c = np.zeros(128)
    c[:2] = 0.6
    d = api.face_distance([b, c], a)
    assert type(d) is np.ndarray and d[0] == pytest.approx(0.5) and d[1] == pytest.approx(np.hypot(0.6, 0.6))
    assert api.compare_faces([b, c], a) == [True, False]
    assert api.compare_faces([b, c], a, tolerance=0.9) == [True, True]
    assert type(api.compare_faces([b], a)) is list
    for empty in ([], np.array([])):
        assert type(api.face_distance(empty, a)) is np.ndarray and len(api.face_distance(empty, a)) == 0
        assert api.compare_faces(empty, a) == []


def test_load_image_file(fr_images, tmp_path):
    p = os.path.join(fr_images, "obama.jpg")
    img = api.load_image_file(p)
    assert img.shape == (1137, 910, 3) and img.dtype == np.uint8
    with open(p, "rb") as f:
        assert np.array_equal(api.load_image_file(f), img)
    with open(p, "rb") as f:
        assert np.array_equal(api.load_image_file(io.BytesIO(f.read())), img)
    grey = api.load_image_file(p, mode="L")
    r, g, b = (img[..., i].astype(np.uint32) for i in range(3))
    assert grey.shape == (1137, 910) and grey.dtype == np.uint8
    # Pillow's luma, exactly: (R 19595 + G 38470 + B 7471 + 2^15) >> 16
    assert np.array_equal(grey, ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8))
    assert api.load_image_file(os.path.join(fr_images, "32bit.png")).shape == (1200, 626, 3)  # RGBA: alpha dropped
    with pytest.raises(FileNotFoundError, match="missing.jpg"):
        api.load_image_file(str(tmp_path / "missing.jpg"))
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n but then nothing")
    with pytest.raises(OSError, match="x.png"):
        api.load_image_file(str(bad))
    with pytest.raises(ValueError, match="mode"):
        api.load_image_file(p, mode="CMYK")


def test_dlib_image_rules():
    with pytest.raises(RuntimeError, match="Unsupported image type, must be 8bit gray or RGB image."):
        _dlib.image(np.zeros((4, 4, 3), np.float64))
    with pytest.raises(RuntimeError, match="Unsupported image type"):
        _dlib.image(np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(TypeError):
        _dlib.image([[0]])
    bgr = np.zeros((4, 5, 3), np.uint8)[:, :, ::-1]  # OpenCV users' frame[:, :, ::-1]: taken, copied
    assert _dlib.image(bgr).flags["C_CONTIGUOUS"]


def test_landmarks_on_dlib_boxes(fr_images):
    need_models("dlib68")
    need_models("dlib5")
    img = api.load_image_file(os.path.join(fr_images, "obama.jpg"))
    # on dlib's own box the points are dlib's, rounded as dlib rounds them
    lm = face_recognition.face_landmarks(img, [OBAMA_BOX])
    assert set(lm[0]) == {"chin", "left_eyebrow", "right_eyebrow", "nose_bridge", "nose_tip", "left_eye",
                          "right_eye", "top_lip", "bottom_lip"}
    assert lm[0]["chin"] == OBAMA_CHIN
    assert len(lm[0]["top_lip"]) == 12 and len(lm[0]["bottom_lip"]) == 12
    assert all(isinstance(v, int) for pt in lm[0]["chin"] for v in pt)
    raw = api._raw_face_landmarks(img, [OBAMA_BOX])
    assert raw[0].num_parts == 68 and (raw[0].parts()[10].x, raw[0].parts()[10].y) == (552, 399)
    assert raw[0].rect == _dlib.rectangle(349, 142, 617, 409)
    small = face_recognition.face_landmarks(img, [OBAMA_BOX], model="small")
    assert set(small[0]) == {"nose_tip", "left_eye", "right_eye"} and small[0]["nose_tip"] == [(496, 295)]
    assert len(small[0]["left_eye"]) == 2 and len(small[0]["right_eye"]) == 2
    with pytest.raises(ValueError, match="Invalid landmarks model type"):
        face_recognition.face_landmarks(img, [OBAMA_BOX], model="medium")
    assert face_recognition.face_landmarks(img, []) == []
    # a grey image runs as dlib runs it: on its grey values
    grey = api.load_image_file(os.path.join(fr_images, "obama.jpg"), mode="L")
    assert len(face_recognition.face_landmarks(grey, [OBAMA_BOX])[0]["chin"]) == 17


def test_hog_and_encodings(fr_images):
    # the suite checks these too; here with the box given, so only HOG is skipped if missing
    need_models("dlib5")
    need_models("dlib-resnet")
    img = api.load_image_file(os.path.join(fr_images, "obama.jpg"))
    enc = face_recognition.face_encodings(img, [OBAMA_BOX])
    assert len(enc) == 1 and enc[0].dtype == np.float64 and enc[0].shape == (128,)
    again = face_recognition.face_encodings(img, [OBAMA_BOX])
    assert np.array_equal(enc[0], again[0])
    large = face_recognition.face_encodings(img, [OBAMA_BOX], model="large")
    assert 0 < api.face_distance(large, enc[0])[0] < 0.3
    j = face_recognition.face_encodings(img, [OBAMA_BOX], num_jitters=3)
    assert 0 < api.face_distance(j, enc[0])[0] < 0.3


def test_encodings_without_locations_are_facekit_embed(fr_images):
    """face_encodings(img) runs facekit's default pipeline (Session.embed), not HOG + 5 points."""
    import facekit
    models = need_models(facekit.EMBED_MODELS)
    img = api.load_image_file(os.path.join(fr_images, "obama.jpg"))
    enc = face_recognition.face_encodings(img)
    ref = facekit.Session(models).embed(img)
    assert len(enc) == len(ref) == 1 and enc[0].dtype == np.float64
    assert np.array_equal(enc[0], ref[0].descriptor.astype(np.float64))
    # the same person as face_recognition's own encoding of the HOG box, not the same numbers
    hog = face_recognition.face_encodings(img, [OBAMA_BOX])
    assert 0 < api.face_distance(hog, enc[0])[0] < 0.3


def test_cli_help():
    runner = CliRunner()
    r = runner.invoke(face_recognition_cli.main, ["--help"])
    assert r.exit_code == 0 and "Show this message and exit." in r.output
    for opt in ("--cpus", "--tolerance", "--show-distance", "KNOWN_PEOPLE_FOLDER", "IMAGE_TO_CHECK"):
        assert opt in r.output
    r = runner.invoke(face_detection_cli.main, ["--help"])
    assert r.exit_code == 0
    for opt in ("--cpus", "--model", "--upsample", "IMAGE_TO_CHECK"):
        assert opt in r.output
    r = runner.invoke(face_recognition_cli.main, ["only-one-argument"])
    assert r.exit_code == 2 and "Missing argument" in r.output
    r = runner.invoke(face_detection_cli.main, ["x.jpg", "--cpus", "many"])
    assert r.exit_code == 2 and "is not a valid integer" in r.output


def test_cli_folders_without_images(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    runner = CliRunner()
    r = runner.invoke(face_detection_cli.main, [str(tmp_path)])
    assert r.exit_code == 0 and r.output == ""
    r = runner.invoke(face_recognition_cli.main, [str(tmp_path), str(tmp_path)])
    assert r.exit_code == 0 and r.output == ""
    assert face_recognition_cli.image_files_in_folder(str(tmp_path)) == []
    (tmp_path / "A.JPG").write_bytes(b"")
    (tmp_path / "b.jpeg").write_bytes(b"")
    (tmp_path / "c.png").write_bytes(b"")
    (tmp_path / "d.gif").write_bytes(b"")
    assert sorted(os.path.basename(p) for p in face_detection_cli.image_files_in_folder(str(tmp_path))) == [
        "A.JPG", "b.jpeg", "c.png"]


def test_print_result(capsys):
    face_recognition_cli.print_result("a.jpg", "obama", np.float64(0.0), True)
    face_recognition_cli.print_result("a.jpg", "unknown_person", None, False)
    face_recognition_cli.print_result("a.jpg", "no_persons_found", None, True)
    face_detection_cli.print_result("a.jpg", (1, 2, 3, 4))
    assert capsys.readouterr().out.splitlines() == ["a.jpg,obama,0.0", "a.jpg,unknown_person",
                                                    "a.jpg,no_persons_found,None", "a.jpg,1,2,3,4"]


def test_thumbnail():
    img = np.full((2333, 1434, 3), 77, np.uint8)
    t = thumbnail(img, 1600)
    assert t.shape == (1600, 983, 3) and (t == 77).all()  # Pillow's size for obama3.jpg; flat stays flat
    assert thumbnail(img[:1000, :1000], 1600) is not None and thumbnail(img[:100, :100], 1600).shape == (100, 100, 3)
    wide = np.zeros((700, 5000, 3), np.uint8)
    wide[:, 2500:] = 200
    t = thumbnail(wide, 1600)  # over 2x the limit: reduced by 3 first, as Pillow's reducing_gap does
    assert t.shape == (224, 1600, 3)
    assert (t[:, :790] == 0).all() and (t[:, 810:] == 200).all()
    g = thumbnail(np.full((3000, 20), 9, np.uint8), 1600)
    assert g.shape == (1600, 11) and (g == 9).all()
    # a smooth ramp stays a ramp: Lanczos keeps linear functions (up to rounding)
    ramp = np.tile(np.arange(2000, dtype=np.float64) * 250 / 1999, (10, 1)).round().astype(np.uint8)[:, :, None]
    r = thumbnail(np.repeat(ramp, 3, axis=2), 1600)
    x = (np.arange(1600) + 0.5) * 2000 / 1600 - 0.5
    assert np.abs(r[5, 20:-20, 0] - x[20:-20] * 250 / 1999).max() <= 1.0


def test_batched_cnn_is_dlib_1924s(fr_images):
    """face_recognition's batched tests want (154, 611, 390, 375) for obama.jpg at upsample 0, an
    older dlib's answer; dlib 19.24 with the pinned model (single and batched, measured with its own
    C++) gives (117, 636, 400, 353) with confidence 1.08977, and so must we."""
    import face_recognition
    from face_recognition import api
    img = face_recognition.load_image_file(os.path.join(fr_images, "obama.jpg"))
    for dets in api._raw_face_locations_batched([img, img], number_of_times_to_upsample=0):
        assert len(dets) == 1
        r = dets[0].rect
        assert (r.left(), r.top(), r.right(), r.bottom()) == (353, 117, 636, 400)
        assert abs(dets[0].confidence - 1.08977) < 1e-4
    assert face_recognition.batch_face_locations([img], number_of_times_to_upsample=0) == [[(117, 636, 400, 353)]]
