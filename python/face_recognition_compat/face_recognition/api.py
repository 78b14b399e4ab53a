"""api: face_recognition 1.3's functions, arguments, defaults and return types, run by facekit (dlib's HOG, MMOD, shape predictors and ResNet as facekit models)."""

import numpy as np

import facekit

from . import _dlib

# The models face_recognition loads at import, as dlib-style callables; facekit loads each one
# the first time it runs (dlib68 alone takes about a second), not at import.
face_detector = _dlib.fhog_object_detector()
cnn_face_detector = _dlib.cnn_face_detection_model_v1()
pose_predictor_68_point = _dlib.shape_predictor("dlib68")
pose_predictor_5_point = _dlib.shape_predictor("dlib5")
face_encoder = _dlib.face_recognition_model_v1()


class UnidentifiedImageError(facekit.BadFormatError, OSError):
    """A file that is not an image facekit decodes; an OSError, as Pillow's error of this name."""


def _rect_to_css(rect):
    """A dlib rectangle as a (top, right, bottom, left) tuple."""
    return rect.top(), rect.right(), rect.bottom(), rect.left()


def _css_to_rect(css):
    """A (top, right, bottom, left) tuple as a dlib rectangle."""
    return _dlib.rectangle(css[3], css[0], css[1], css[2])


def _trim_css_to_bounds(css, image_shape):
    """A (top, right, bottom, left) tuple clipped to an image of numpy shape `image_shape`
    (right and bottom to the width and height themselves, as face_recognition does)."""
    return max(css[0], 0), min(css[1], image_shape[1]), min(css[2], image_shape[0]), max(css[3], 0)


def face_distance(face_encodings, face_to_compare):
    """The euclidean distance of each of `face_encodings` to `face_to_compare`, as a numpy array
    in the same order (empty for an empty list). Under 0.6 is the same person."""
    if len(face_encodings) == 0:
        return np.empty((0))
    return np.linalg.norm(np.asarray(face_encodings) - face_to_compare, axis=1)


def _luma(rgb):
    # Pillow's convert("L"): ITU-R 601-2 luma in 16-bit fixed point, rounded
    r, g, b = (rgb[:, :, i].astype(np.uint32) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)


def load_image_file(file, mode='RGB'):
    """Loads an image file (.jpg, .png, ...; a file name or a file object) into a numpy array.

    mode 'RGB' (the default) gives H x W x 3 uint8, 'L' H x W grey (Pillow's luma). As in
    face_recognition, the pixels are as stored: the EXIF orientation is not applied. The format
    is told by content (JPEG, PNG, PNM, BMP, GIF, TIFF, WebP). A missing file raises
    FileNotFoundError, a file that is not an image an OSError (UnidentifiedImageError), each
    with facekit's message naming the file.
    """
    if mode not in ('RGB', 'L', None, ''):
        raise ValueError("load_image_file: mode %r is not supported; use 'RGB' or 'L'" % (mode,))
    try:
        if hasattr(file, 'read'):
            data = file.read()
            img = facekit.decode_image(data, name=str(getattr(file, 'name', '') or '(file object)'),
                                       orientation=False)
        else:
            img = facekit.load_image(file, orientation=False)
    except facekit.BadFormatError as e:
        raise UnidentifiedImageError(e.message) from None
    return _luma(img) if mode == 'L' else img


def _raw_face_locations(img, number_of_times_to_upsample=1, model="hog"):
    """The faces in img as dlib objects: rectangles for "hog", mmod_rectangles (.rect,
    .confidence) for "cnn"."""
    if model == "cnn":
        return cnn_face_detector(img, number_of_times_to_upsample)
    return face_detector(img, number_of_times_to_upsample)


def face_locations(img, number_of_times_to_upsample=1, model="hog"):
    """The faces in img as a list of (top, right, bottom, left) tuples, clipped to the image.

    number_of_times_to_upsample: how many times the image is doubled before the scan (finds
    smaller faces). model: "hog" (dlib's HOG detector, the default) or "cnn" (dlib's MMOD CNN:
    more accurate, slower).
    """
    if model == "cnn":
        return [_trim_css_to_bounds(_rect_to_css(face.rect), img.shape)
                for face in _raw_face_locations(img, number_of_times_to_upsample, "cnn")]
    return [_trim_css_to_bounds(_rect_to_css(face), img.shape)
            for face in _raw_face_locations(img, number_of_times_to_upsample, model)]


def _raw_face_locations_batched(images, number_of_times_to_upsample=1, batch_size=128):
    """The cnn detector's mmod_rectangles for each of `images` (all the same size)."""
    return cnn_face_detector(images, number_of_times_to_upsample, batch_size=batch_size)


def batch_face_locations(images, number_of_times_to_upsample=1, batch_size=128):
    """face_locations(model="cnn") for each of a list of images of one size: a list of lists of
    (top, right, bottom, left) tuples. batch_size groups images for dlib's GPU runs; facekit
    runs each image in turn on the CPU."""
    def to_css(detections):
        return [_trim_css_to_bounds(_rect_to_css(face.rect), images[0].shape) for face in detections]

    return list(map(to_css, _raw_face_locations_batched(images, number_of_times_to_upsample, batch_size)))


def _raw_face_landmarks(face_image, face_locations=None, model="large"):
    """The shape predictor's full_object_detection for each face (found with the HOG detector
    when face_locations is None): 68 points for "large", dlib's 5 for "small"."""
    if face_locations is None:
        rects = _raw_face_locations(face_image)
    else:
        rects = [_css_to_rect(loc) for loc in face_locations]
    predictor = pose_predictor_5_point if model == "small" else pose_predictor_68_point
    return predictor.predict_many(_dlib.image(face_image), list(rects))


def face_landmarks(face_image, face_locations=None, model="large"):
    """The landmarks of each face as a dict of feature name to a list of (x, y) points.

    model "large" (the default, dlib's 68 points): chin, left_eyebrow, right_eyebrow,
    nose_bridge, nose_tip, left_eye, right_eye, top_lip, bottom_lip. "small" (dlib's 5 points):
    nose_tip, left_eye, right_eye. face_locations: (top, right, bottom, left) boxes to use
    instead of detecting with HOG.
    """
    landmarks = _raw_face_landmarks(face_image, face_locations, model)
    as_tuples = [[(p.x, p.y) for p in landmark.parts()] for landmark in landmarks]
    if model == 'large':
        return [{
            "chin": points[0:17],
            "left_eyebrow": points[17:22],
            "right_eyebrow": points[22:27],
            "nose_bridge": points[27:31],
            "nose_tip": points[31:36],
            "left_eye": points[36:42],
            "right_eye": points[42:48],
            # the outer lip, then the inner lip back the other way, so each lip is one closed outline
            "top_lip": points[48:55] + [points[64], points[63], points[62], points[61], points[60]],
            "bottom_lip": points[54:60] + [points[48], points[60], points[67], points[66], points[65], points[64]],
        } for points in as_tuples]
    if model == 'small':
        return [{
            "nose_tip": [points[4]],
            "left_eye": points[2:4],
            "right_eye": points[0:2],
        } for points in as_tuples]
    raise ValueError("Invalid landmarks model type. Supported models are ['small', 'large'].")


def face_encodings(face_image, known_face_locations=None, num_jitters=1, model="small"):
    """The 128-D encoding (a float64 numpy array) of each face in the image, from dlib's ResNet.

    known_face_locations: (top, right, bottom, left) boxes to encode; dlib's 5 ("small", the
    default) or 68 ("large") landmarks on each place dlib's chip, as in face_recognition, and
    num_jitters > 1 averages that many randomly jittered chips (repeatable in facekit).

    Without known_face_locations, the faces are found and encoded as `facekit embed` does with
    no options (facekit.Session.embed), not with face_recognition's HOG detector: on LFW that
    finds a face in every image, where HOG misses 40 of 7701, and verifies 98.98 % of the pairs
    10-fold, where face_recognition's pipeline gives 97.38 % (see facekit's README). num_jitters
    > 4 raises its jitter from 4; `model` applies to given locations only. Call
    face_encodings(img, face_locations(img)) for face_recognition's own encodings.
    """
    if known_face_locations is None:
        img = _dlib.image(face_image)
        s = _dlib.session(facekit.EMBED_MODELS)
        options = {} if num_jitters <= s.EMBED_DEFAULTS["jitter"] else {"jitter": int(num_jitters)}
        return [f.descriptor.astype(np.float64) for f in s.embed(img, **options)]
    raw_landmarks = _raw_face_landmarks(face_image, known_face_locations, model)
    return [np.array(face_encoder.compute_face_descriptor(face_image, shape, num_jitters))
            for shape in raw_landmarks]


def compare_faces(known_face_encodings, face_encoding_to_check, tolerance=0.6):
    """A list of booleans: whether each known encoding is within `tolerance` of the one to
    check (lower is stricter; 0.6 is dlib's)."""
    return list(face_distance(known_face_encodings, face_encoding_to_check) <= tolerance)
