"""_dlib: the few dlib objects face_recognition hands out (rectangle, mmod_rectangle, full_object_detection, point) and its five dlib models, run by facekit."""

import math
import threading

import numpy as np

import facekit

# --- dlib's value types, with the methods face_recognition's users call --------------------------


class point:
    """dlib.point: integer pixel coordinates .x, .y."""

    __slots__ = ("x", "y")

    def __init__(self, x=0, y=0):
        self.x, self.y = int(x), int(y)

    def __eq__(self, other):
        return isinstance(other, point) and (self.x, self.y) == (other.x, other.y)

    def __hash__(self):
        return hash((self.x, self.y))

    def __repr__(self):
        return "(%d, %d)" % (self.x, self.y)

    def __reduce__(self):
        return (point, (self.x, self.y))


class points(list):
    """dlib.points: a list of point."""


class rectangle:
    """dlib.rectangle: left, top, right, bottom, all inclusive (width() is right - left + 1)."""

    __slots__ = ("_l", "_t", "_r", "_b")

    def __init__(self, left=0, top=0, right=-1, bottom=-1):
        self._l, self._t, self._r, self._b = int(left), int(top), int(right), int(bottom)

    def left(self):
        return self._l

    def top(self):
        return self._t

    def right(self):
        return self._r

    def bottom(self):
        return self._b

    def is_empty(self):
        return self._l > self._r or self._t > self._b

    def width(self):
        return 0 if self.is_empty() else self._r - self._l + 1

    def height(self):
        return 0 if self.is_empty() else self._b - self._t + 1

    def area(self):
        return self.width() * self.height()

    def tl_corner(self):
        return point(self._l, self._t)

    def br_corner(self):
        return point(self._r, self._b)

    def center(self):
        # dlib's integer centre: C division truncates towards zero
        return point(int((self._l + self._r + 1) / 2), int((self._t + self._b + 1) / 2))

    def contains(self, x, y=None):
        if y is None:
            x, y = x.x, x.y
        return self._l <= x <= self._r and self._t <= y <= self._b

    def intersect(self, other):
        return rectangle(max(self._l, other._l), max(self._t, other._t), min(self._r, other._r),
                         min(self._b, other._b))

    def __eq__(self, other):
        return isinstance(other, rectangle) and (self._l, self._t, self._r, self._b) == (
            other._l, other._t, other._r, other._b)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self._l, self._t, self._r, self._b))

    def __repr__(self):
        return "[(%d, %d) (%d, %d)]" % (self._l, self._t, self._r, self._b)

    def __reduce__(self):
        return (rectangle, (self._l, self._t, self._r, self._b))


class rectangles(list):
    """dlib.rectangles: a list of rectangle."""


class mmod_rectangle:
    """dlib.mmod_rectangle: the CNN detector's .rect and its .confidence."""

    __slots__ = ("rect", "confidence")

    def __init__(self, rect, confidence):
        self.rect, self.confidence = rect, float(confidence)

    def __repr__(self):
        return "%r %g" % (self.rect, self.confidence)

    def __reduce__(self):
        return (mmod_rectangle, (self.rect, self.confidence))


class mmod_rectangles(list):
    """dlib.mmod_rectangles: a list of mmod_rectangle."""


class full_object_detection:
    """dlib.full_object_detection: a shape predictor's .rect and its points (.parts(), .part(i), .num_parts)."""

    __slots__ = ("rect", "_parts")

    def __init__(self, rect, parts):
        self.rect = rect
        self._parts = points(parts)

    @property
    def num_parts(self):
        return len(self._parts)

    def part(self, idx):
        if not 0 <= idx < len(self._parts):
            raise IndexError("Index out of range")
        return self._parts[idx]

    def parts(self):
        return points(self._parts)

    def __repr__(self):
        return "<full_object_detection %r, %d parts>" % (self.rect, len(self._parts))

    def __reduce__(self):
        return (full_object_detection, (self.rect, list(self._parts)))


# --- the models: each a facekit model set, loaded on first use, with one session per thread ------

_lock = threading.Lock()
_models = {}
_local = threading.local()


def session(name):
    """This thread's facekit.Session over the model `name` (loaded once per process)."""
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    s = sessions.get(name)
    if s is None:
        with _lock:
            m = _models.get(name)
            if m is None:
                m = _models[name] = facekit.Models(name)
        s = sessions[name] = facekit.Session(m)
    return s


_UNSUPPORTED_IMAGE = "Unsupported image type, must be 8bit gray or RGB image."


def image(img):
    """img as facekit reads it, with dlib's rules: uint8, grey (H x W) or RGB (H x W x 3), else
    dlib's RuntimeError. Unlike dlib it also takes views with odd strides (frame[:, :, ::-1])."""
    if not isinstance(img, np.ndarray):
        raise TypeError("expected a numpy array image (as load_image_file returns), not %s" % type(img).__name__)
    if img.dtype != np.uint8 or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
        raise RuntimeError(_UNSUPPORTED_IMAGE)
    if img.ndim == 3 and (img.strides[2] != 1 or img.strides[1] != 3 or img.strides[0] < 3 * img.shape[1]):
        img = np.ascontiguousarray(img)
    return img


def _rect_of_box(b):
    # dlib's detectors give whole pixels; a box is {left, top, right - left + 1, bottom - top + 1}
    left, top = int(round(b.x)), int(round(b.y))
    return rectangle(left, top, left + int(round(b.width)) - 1, top + int(round(b.height)) - 1)


def _face_of_rect(r, detector="hog"):
    # detector "hog": the box is dlib's own convention and the landmarkers use it unmapped
    return facekit.Face((r.left(), r.top(), r.right() - r.left() + 1, r.bottom() - r.top() + 1), detector=detector)


class fhog_object_detector:
    """dlib.get_frontal_face_detector(): dlib's HOG detector, as facekit's "hog"."""

    def __call__(self, img, upsample_num_times=0):
        return self.run(img, upsample_num_times)[0]

    def run(self, img, upsample_num_times=0, adjust_threshold=0.0):
        """(rectangles, scores, detector indices), as dlib's run()."""
        img = image(img)
        faces = session("hog").detect(img, detector="hog", upsample=upsample_num_times,
                                      dlib_threshold=adjust_threshold)
        return (rectangles(_rect_of_box(f.box) for f in faces), [f.score for f in faces], [0.0] * len(faces))


class cnn_face_detection_model_v1:
    """dlib.cnn_face_detection_model_v1: dlib's MMOD CNN detector, as facekit's "mmod"."""

    def __call__(self, imgs, upsample_num_times=0, batch_size=128):
        if isinstance(imgs, np.ndarray):
            return self._one(image(imgs), upsample_num_times)
        imgs = [image(i) for i in imgs]
        if any(i.shape[:2] != imgs[0].shape[:2] for i in imgs):
            raise RuntimeError("Images in list must all have the same dimensions.")
        # batch_size groups images for a GPU in dlib; on the CPU each image runs on its own
        return [self._one(i, upsample_num_times) for i in imgs]

    @staticmethod
    def _one(img, upsample):
        faces = session("mmod").detect(img, detector="mmod", upsample=upsample)
        return mmod_rectangles(mmod_rectangle(_rect_of_box(f.box), f.score) for f in faces)


class shape_predictor:
    """dlib.shape_predictor: dlib's 68-point ("dlib68") or 5-point ("dlib5") regression trees."""

    def __init__(self, model):
        self.model = model

    def __call__(self, img, box):
        return self.predict_many(image(img), [box])[0]

    def predict_many(self, img, boxes):
        """One call for the faces of one image (the C side runs them side by side)."""
        faces = [_face_of_rect(b) for b in boxes]
        if faces:
            session(self.model).landmarks(img, faces, landmarker=self.model)
        # dlib rounds each point to the nearest pixel, floor(x + 0.5)
        return [full_object_detection(b, [point(math.floor(x + 0.5), math.floor(y + 0.5)) for x, y in f.landmarks])
                for b, f in zip(boxes, faces)]


class face_recognition_model_v1:
    """dlib.face_recognition_model_v1: dlib's float ResNet ("dlib-resnet") on dlib's 150x150 chip."""

    def compute_face_descriptor(self, img, face, num_jitters=0, padding=0.25):
        """The 128-D descriptor (float64) of the face a shape predictor found: its 5 or 68
        points (rounded, as dlib keeps them) place the chip. num_jitters > 1 averages that many
        jittered chips, from a generator seeded with 0 each call (dlib's own generator runs on
        from call to call, so its jittered descriptors differ from call to call; these repeat).
        A list of faces gives a list of descriptors."""
        img = image(img)
        if isinstance(face, (list, tuple)):
            return [self.compute_face_descriptor(img, f, num_jitters, padding) for f in face]
        if padding != 0.25:
            raise ValueError("facekit's dlib chip has padding 0.25 (dlib's default); padding=%r is not supported"
                             % (padding,))
        if face.num_parts not in (5, 68):
            raise RuntimeError("The full_object_detection must use the iBUG 300W 68 point face landmark style or "
                               "dlib's 5 point style.")
        f = _face_of_rect(face.rect)
        f.landmarks = np.array([(p.x, p.y) for p in face.parts()], dtype=np.float64)
        session("dlib-resnet").descriptors(img, f, embedder="dlib-resnet", jitter=num_jitters, seed=0)
        return f.descriptor.astype(np.float64)
