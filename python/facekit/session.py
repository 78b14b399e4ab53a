"""session: facekit.Face (one face's box, landmarks, descriptor, attributes) and facekit.Session, which runs the models on images."""

import ctypes
import threading
from collections import namedtuple

import numpy as np

from . import _lib
from .errors import BadStateError, InvalidArgumentError, check, from_status
from .image import fk_image_of
from .models import model_info

_FACE_SIZE = ctypes.sizeof(_lib.fk_face)


class Box(namedtuple("Box", "x y width height")):
    """A box in image pixels: top-left corner (x, y) and size; right = x + width, bottom = y + height."""

    __slots__ = ()

    @property
    def right(self):
        return self.x + self.width

    @property
    def bottom(self):
        return self.y + self.height


def _box(b):
    return Box(b.x, b.y, b.width, b.height)


def _role_id(name, role):
    """The C enum value of a model of `role` named `name` (InvalidArgumentError otherwise)."""
    try:
        info = model_info(name)
    except KeyError as e:
        raise InvalidArgumentError(e.args[0]) from None
    if info.role != role:
        raise InvalidArgumentError("%r is a %s, not a %s" % (name, info.role, role))
    return info


def _name_of(role, id):
    p = _lib.fk_model_by_id(role, id)
    return p.contents.name.decode() if p else None


class Face:
    """Everything facekit knows about one face (a mirror of the C fk_face).

    Faces come from Session.detect and Session.analyze, or are made from a box you have:
    Face((x, y, width, height), detector="hog") says the box is in the convention of that
    detector (dlib's square HOG/MMOD boxes are used by the dlib landmarkers as they are; SSD and
    Tiny boxes are first mapped to dlib's convention). `landmarks` may be given too (5 or 68
    points, as an (n, 2) array), for descriptors of faces whose points you already have.

    The attributes are read-only copies: box (a Box), score, detector (a model name),
    landmarks (an (n, 2) float64 array: 68 points in iBUG 300-W order, or dlib's 5; None before
    landmarks), points5 (eye centres, nose tip, mouth corners; NaN where unknown), descriptor
    (a float32 array of 128, None before descriptors) with embedder (the model that made it:
    descriptors of two embedders are not comparable), age, gender ("female"/"male"),
    gender_probability, and the image regions each net was fed (landmark_crop, descriptor_crop,
    attributes_crop).
    """

    __slots__ = ("_c",)

    def __init__(self, box, detector="ssd", score=1.0, landmarks=None):
        c = _lib.fk_face()
        x, y, w, h = (float(v) for v in box)
        c.box = _lib.fk_box(x, y, w, h)
        c.score = float(score)
        c.detector = _role_id(detector, "detector").id
        self._c = c
        if landmarks is not None:
            self.landmarks = landmarks

    @classmethod
    def _from_c(cls, src):
        f = cls.__new__(cls)
        f._c = _lib.fk_face.from_buffer_copy(src)
        return f

    def _floats(self, field, count, dtype):
        off = getattr(_lib.fk_face, field).offset
        return np.frombuffer(self._c, dtype=dtype, count=count, offset=off).copy()

    @property
    def box(self):
        return _box(self._c.box)

    @property
    def score(self):
        return float(self._c.score)

    @property
    def detector(self):
        return _name_of(_lib.ROLE_DETECTOR, self._c.detector)

    @property
    def landmarks(self):
        if not self._c.has_landmarks:
            return None
        n = self._c.landmark_count or _lib.LANDMARK_COUNT
        return self._floats("landmarks", 2 * n, np.float64).reshape(n, 2)

    @landmarks.setter
    def landmarks(self, points):
        p = np.asarray(points, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] not in (5, _lib.LANDMARK_COUNT):
            raise InvalidArgumentError("landmarks must be an (n, 2) array of 5 (dlib's) or 68 (iBUG) points, "
                                       "not shape %s" % (p.shape,))
        c = self._c
        n = p.shape[0]
        pts = np.full((_lib.LANDMARK_COUNT, 2), np.nan)
        pts[:n] = p
        ctypes.memmove(ctypes.addressof(c.landmarks), np.ascontiguousarray(pts).ctypes.data, pts.nbytes)
        if n == 5:
            # as the C side derives them from dlib's 5: image-right eye corners 0-1, image-left 2-3, nose 4
            p5 = [(p[2] + p[3]) / 2, (p[0] + p[1]) / 2, p[4], (np.nan, np.nan), (np.nan, np.nan)]
            for i, (px, py) in enumerate(p5):
                c.points5[i] = _lib.fk_point(px, py)
        else:
            _lib.fk_points5_from_68(c.landmarks, c.points5)
        c.landmark_count = n
        c.has_landmarks = 1
        c.has_descriptor = 0  # a descriptor of other points would be stale

    @property
    def points5(self):
        return self._floats("points5", 10, np.float64).reshape(5, 2) if self._c.has_landmarks else None

    @property
    def descriptor(self):
        if not self._c.has_descriptor:
            return None
        return self._floats("descriptor", self._c.descriptor_dim or _lib.DESCRIPTOR_DIM, np.float32)

    @property
    def embedder(self):
        return _name_of(_lib.ROLE_EMBEDDER, self._c.embedder) if self._c.has_descriptor else None

    @property
    def age(self):
        return float(self._c.age) if self._c.has_attributes else None

    @property
    def gender(self):
        return _lib.GENDERS.get(self._c.gender) if self._c.has_attributes else None

    @property
    def gender_probability(self):
        return float(self._c.gender_probability) if self._c.has_attributes else None

    @property
    def landmark_crop(self):
        return _box(self._c.landmark_crop) if self._c.has_landmarks else None

    @property
    def descriptor_crop(self):
        return _box(self._c.descriptor_crop) if self._c.has_descriptor else None

    @property
    def attributes_crop(self):
        return _box(self._c.attributes_crop) if self._c.has_attributes else None

    def copy(self):
        return Face._from_c(self._c)

    def __repr__(self):
        b = self.box
        parts = ["box=(%.1f, %.1f, %.1f, %.1f)" % b, "score=%.3f" % self.score, "detector=%r" % self.detector]
        if self._c.has_landmarks:
            parts.append("landmarks=%d" % (self._c.landmark_count or _lib.LANDMARK_COUNT))
        if self._c.has_descriptor:
            parts.append("descriptor=%r" % self.embedder)
        if self._c.has_attributes:
            parts.append("age=%.1f gender=%s" % (self.age, self.gender))
        return "facekit.Face(%s)" % ", ".join(parts)


# the models Session.embed runs (what `facekit embed` loads by default)
EMBED_MODELS = "ssd,faceapi68,dlib-resnet,mmod"


def distance(a, b):
    """The L2 distance between two descriptors: two Faces (checked to come from the same
    embedder: InvalidArgumentError otherwise) or two arrays. Under 0.6
    (facekit.DESCRIPTOR_THRESHOLD) the faces are taken as the same person."""
    if isinstance(a, Face) and isinstance(b, Face):
        d = ctypes.c_float()
        err = _lib.fk_error()
        check(_lib.fk_descriptor_compare(ctypes.byref(a._c), ctypes.byref(b._c), ctypes.byref(d), ctypes.byref(err)),
              err)
        return float(d.value)
    a = a.descriptor if isinstance(a, Face) else a
    b = b.descriptor if isinstance(b, Face) else b
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


_CLOSEUP = {None: None, "off": 0, "if-none": 1, "always": 2}
_CROP = {"dlib": _lib.CROP_DLIB_CHIP, "faceapi": _lib.CROP_FACEAPI}


class Session:
    """Runs the models of a facekit.Models on images; owns the scratch memory.

        models = facekit.Models("ssd,faceapi68,faceapi-resnet")
        s = facekit.Session(models)
        img = facekit.load_image("photo.jpg")
        faces = s.analyze(img)                       # detect, landmarks, descriptors
        faces = s.detect(img); s.landmarks(img, faces); s.descriptors(img, faces)   # the same, stage by stage

    Use one Session per thread for parallel work (the C calls release the GIL); a Session shared
    by threads is safe but runs one call at a time. `threads` (1..256) splits each net's work
    inside one call; results do not depend on it.

    Images are numpy uint8 arrays, H x W x 3 RGB with contiguous pixels (as load_image gives;
    read without a copy); H x W grey and H x W x 4 RGBA are converted. A failure raises a
    facekit.Error subclass with the library's message.

    The model of each stage is chosen by name per call (detector=, landmarker=, embedder=); None
    means "ssd" / "faceapi68" / "faceapi-resnet" when loaded, else the first loaded model of
    that role (registry order).
    """

    _DEFAULTS = {"detector": "ssd", "landmarker": "faceapi68", "embedder": "faceapi-resnet"}

    def __init__(self, models, threads=1):
        self._p = None
        self.models = models  # kept: the C session reads them
        p = _lib._session_p()
        err = _lib.fk_error()
        check(_lib.fk_session_new(models._handle(), ctypes.byref(p), ctypes.byref(err)), err)
        self._p = p
        models._sessions.add(self)
        self._lock = threading.Lock()
        # the landmarker and embedder last set on the C session; empty, so the first use of each
        # sets it whatever the C default is
        self._current = {}
        self._threads = 1
        if threads != 1:
            self._check(_lib.fk_session_set_threads(p, int(threads)))
            self._threads = int(threads)

    # -- plumbing -----------------------------------------------------------------------------

    def _handle(self):
        if not self._p:
            raise BadStateError("facekit.Session: used after close()")
        return self._p

    def _check(self, st):
        if st:
            raise from_status(st, _lib.fk_session_errmsg(self._p))

    def _model(self, role, name):
        """The registry name of the model of `role` to run: `name`, or the default."""
        if name is None:
            d = self._DEFAULTS[role]
            name = d if d in self.models else self.models.first(role)
            if name is None:
                raise BadStateError("no %s is loaded (models: %s)" % (role, ",".join(self.models.names)))
            return name
        return _role_id(name, role).name

    def _use(self, role, name):
        name = self._model(role, name)
        if self._current.get(role) != name:
            self._check(_lib.fk_session_use(self._p, name.encode()))
            self._current[role] = name
        return name

    def _options(self, detector, upsample, min_score, max_faces, tiles, closeup, dlib_threshold, iou_threshold,
                 tiny_input_size, retry=0.0, fallback=None):
        o = _lib.fk_detect_options()
        _lib.fk_detect_options_init(ctypes.byref(o))
        o.detector = _role_id(self._model("detector", detector), "detector").id
        o.upsample = int(upsample)
        o.dlib_threshold = float(dlib_threshold)
        if min_score is not None:
            o.min_score = float(min_score)
        if max_faces is not None:
            o.max_faces = int(max_faces)
        if iou_threshold is not None:
            o.iou_threshold = float(iou_threshold)
        if tiny_input_size is not None:
            o.tiny_input_size = int(tiny_input_size)
        if closeup not in _CLOSEUP:
            raise InvalidArgumentError("closeup must be one of 'off', 'if-none', 'always' (or None), not %r"
                                       % (closeup,))
        if _CLOSEUP[closeup] is not None:
            o.closeup = _CLOSEUP[closeup]
        o.tiles = int(tiles)
        o.retry_min_score = float(retry)
        if fallback is not None:
            o.use_fallback = 1
            o.fallback = _role_id(fallback, "detector").id
        return o

    @staticmethod
    def _take(p, n):
        """Faces copied out of a C array of n (which the caller frees)."""
        if not n:
            return []
        arr = (_lib.fk_face * n).from_address(ctypes.addressof(p.contents))
        return [Face._from_c(arr[i]) for i in range(n)]

    @staticmethod
    def _faces_arg(faces):
        if isinstance(faces, Face):
            return [faces], True
        faces = list(faces)
        for f in faces:
            if not isinstance(f, Face):
                raise InvalidArgumentError("faces must be facekit.Face objects, not %s" % type(f).__name__)
        return faces, False

    # -- the stages ---------------------------------------------------------------------------

    def detect(self, img, detector=None, upsample=1, min_score=None, max_faces=None, tiles=0, closeup=None,
               dlib_threshold=0.0, iou_threshold=None, tiny_input_size=None, retry=0.0, fallback=None):
        """The faces in img, best score first, as a list of Face.

        detector: "ssd" (default), "tiny", "hog" or "mmod" (dlib's, as face_recognition's "hog"
        and "cnn"). min_score: keep faces scoring above it (SSD/Tiny, default 0.5). upsample:
        HOG/MMOD double the image this many times first (0..4, default 1); dlib_threshold:
        their score threshold (default 0). tiles: n in 2..8 also detects on an n x n grid of
        tiles, for small faces in big photos. closeup: "if-none" (default), "always" or "off":
        detect again on the image shrunk into a black border, for faces that fill the frame.
        retry: SSD/Tiny, when nothing scores above min_score keep the faces above this instead (0:
        off). fallback: a detector (loaded) run at upsample 1 when still nothing is found, e.g.
        "mmod" (None: off).
        """
        o = self._options(detector, upsample, min_score, max_faces, tiles, closeup, dlib_threshold, iou_threshold,
                          tiny_input_size, retry, fallback)
        im, keep = fk_image_of(img)
        p = ctypes.POINTER(_lib.fk_face)()
        n = ctypes.c_size_t()
        with self._lock:
            st = _lib.fk_face_detect(self._handle(), ctypes.byref(im), ctypes.byref(o), ctypes.byref(p),
                                     ctypes.byref(n))
            try:
                self._check(st)
                return self._take(p, n.value)
            finally:
                _lib.fk_faces_free(p)

    def landmarks(self, img, faces, landmarker=None):
        """Fills the landmarks of each face (a Face or a list of them) in place and returns what
        was given. landmarker: "faceapi68" (face-api's CNN, default), "dlib68" (dlib's 68-point
        regression trees) or "dlib5" (dlib's 5 points). The dlib landmarkers take a HOG or MMOD
        face's box as it is and map an SSD or Tiny box to dlib's convention first. Every face is
        tried; the first failure is raised after the others are filled."""
        faces, single = self._faces_arg(faces)
        im, keep = fk_image_of(img)
        n = len(faces)
        if n:
            arr = (_lib.fk_face * n)()
            for i, f in enumerate(faces):
                arr[i] = f._c
            with self._lock:
                self._handle()
                self._use("landmarker", landmarker)
                st = _lib.fk_faces_landmarks(self._p, ctypes.byref(im), arr, n)
                msg = _lib.fk_session_errmsg(self._p) if st else None
            for i, f in enumerate(faces):
                ctypes.memmove(ctypes.addressof(f._c), ctypes.addressof(arr[i]), _FACE_SIZE)
            if st:
                raise from_status(st, msg)
        return faces[0] if single else faces

    def _need_landmarks(self, im, faces, landmarker):
        todo = [f for f in faces if not f._c.has_landmarks]
        if todo:
            arr = (_lib.fk_face * len(todo))()
            for i, f in enumerate(todo):
                arr[i] = f._c
            self._use("landmarker", landmarker)
            st = _lib.fk_faces_landmarks(self._p, ctypes.byref(im), arr, len(todo))
            for i, f in enumerate(todo):
                ctypes.memmove(ctypes.addressof(f._c), ctypes.addressof(arr[i]), _FACE_SIZE)
            self._check(st)

    def descriptors(self, img, faces, embedder=None, jitter=0, seed=0, flip=False, crop="dlib", landmarker=None):
        """Fills the descriptor of each face in place (computing its landmarks first, with
        `landmarker`, where it has none) and returns what was given.

        embedder: "faceapi-resnet" (default) or "dlib-resnet" (dlib's float ResNet, as
        face_recognition). jitter: dlib's num_jitters, n > 1 averages the net over n randomly
        jittered chips drawn from a generator seeded with `seed` (repeatable). flip: also run
        the mirror image and average. crop: "dlib" (dlib's aligned 150x150 chip, the default) or
        "faceapi" (face-api's axis-aligned box). Every face is tried; the first failure is
        raised after the others are filled."""
        faces, single = self._faces_arg(faces)
        if crop not in _CROP:
            raise InvalidArgumentError("crop must be 'dlib' or 'faceapi', not %r" % (crop,))
        im, keep = fk_image_of(img)
        with self._lock:
            s = self._handle()
            self._need_landmarks(im, faces, landmarker)
            self._use("embedder", embedder)
            self._check(_lib.fk_session_set_jitter(s, int(jitter), int(seed) & 0xFFFFFFFF))
            _lib.fk_session_set_descriptor_flip(s, 1 if flip else 0)
            _lib.fk_session_set_descriptor_crop(s, _CROP[crop])
            n = len(faces)
            if n:
                # all at once: the faces run as batches through one plan, each face's descriptor
                # bitwise what it gets alone
                arr = (_lib.fk_face * n)()
                for i, f in enumerate(faces):
                    arr[i] = f._c
                st = _lib.fk_faces_descriptors(s, ctypes.byref(im), arr, n)
                for i, f in enumerate(faces):
                    ctypes.memmove(ctypes.addressof(f._c), ctypes.addressof(arr[i]), _FACE_SIZE)
                self._check(st)
        return faces[0] if single else faces

    def attributes(self, img, faces, landmarker=None):
        """Fills age and gender of each face in place (computing landmarks first where missing)
        and returns what was given."""
        faces, single = self._faces_arg(faces)
        im, keep = fk_image_of(img)
        with self._lock:
            s = self._handle()
            self._need_landmarks(im, faces, landmarker)
            for f in faces:
                self._check(_lib.fk_face_attributes(s, ctypes.byref(im), ctypes.byref(f._c)))
        return faces[0] if single else faces

    def analyze(self, img, landmarks=True, descriptors=True, attributes=False, detector=None, landmarker=None,
                embedder=None, jitter=0, seed=0, flip=False, crop="dlib", **detect_options):
        """Detection and the stages asked for in one C call (fk_face_analyze): landmarks are
        computed whenever a later stage needs them. A face whose later stage fails keeps what it
        has. detect_options are detect()'s (upsample, min_score, tiles, ...)."""
        if crop not in _CROP:
            raise InvalidArgumentError("crop must be 'dlib' or 'faceapi', not %r" % (crop,))
        args = dict(upsample=1, min_score=None, max_faces=None, tiles=0, closeup=None, dlib_threshold=0.0,
                    iou_threshold=None, tiny_input_size=None, retry=0.0, fallback=None)
        unknown = set(detect_options) - set(args)
        if unknown:
            raise TypeError("analyze() got unexpected keyword argument(s): %s" % ", ".join(sorted(unknown)))
        args.update(detect_options)
        o = self._options(detector, **args)
        what = ((_lib.ANALYZE_LANDMARKS if landmarks else 0) | (_lib.ANALYZE_DESCRIPTOR if descriptors else 0) |
                (_lib.ANALYZE_ATTRIBUTES if attributes else 0))
        im, keep = fk_image_of(img)
        p = ctypes.POINTER(_lib.fk_face)()
        n = ctypes.c_size_t()
        with self._lock:
            s = self._handle()
            if what:
                self._use("landmarker", landmarker)
            if descriptors:
                self._use("embedder", embedder)
                self._check(_lib.fk_session_set_jitter(s, int(jitter), int(seed) & 0xFFFFFFFF))
                _lib.fk_session_set_descriptor_flip(s, 1 if flip else 0)
                _lib.fk_session_set_descriptor_crop(s, _CROP[crop])
            st = _lib.fk_face_analyze(s, ctypes.byref(im), ctypes.byref(o), what, ctypes.byref(p), ctypes.byref(n))
            try:
                self._check(st)
                return self._take(p, n.value)
            finally:
                _lib.fk_faces_free(p)

    # what `facekit embed` does with no options: the most accurate pipeline measured on LFW (see the
    # README), with a face in every LFW image
    EMBED_DEFAULTS = {"closeup": "always", "retry": 0.2, "fallback": "mmod", "embedder": "dlib-resnet",
                      "jitter": 4}

    def embed(self, img, **options):
        """The faces of img with landmarks and descriptors, as `facekit embed` gives them with no
        options (Session.EMBED_DEFAULTS): SSD with the close-up pass merged in, a retry at score
        0.2, dlib's MMOD when still nothing is found; face-api's 68 points place dlib's chip;
        dlib's ResNet averaged over 4 jittered copies of the chip (dlib's jitter_image,
        seed 0, so repeatable). Load facekit.EMBED_MODELS for all of it: without "mmod" there is no
        fallback, without "dlib-resnet" face-api's port of the same net is used. `options` are
        analyze()'s and override the defaults."""
        o = dict(self.EMBED_DEFAULTS)
        if "mmod" not in self.models:
            o["fallback"] = None
        if "dlib-resnet" not in self.models:
            o["embedder"] = None
        o.update(options)
        return self.analyze(img, **o)

    # -- lifetime -----------------------------------------------------------------------------

    @property
    def threads(self):
        return self._threads

    def close(self):
        """Frees the session now (it is freed anyway when no longer referenced)."""
        with self._lock:
            if self._p:
                _lib.fk_session_free(self._p)
                self._p = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_p", None) and getattr(_lib, "fk_session_free", None):
            _lib.fk_session_free(self._p)
            self._p = None

    def __repr__(self):
        return "facekit.Session(%r, threads=%d)" % (self.models, self._threads)
