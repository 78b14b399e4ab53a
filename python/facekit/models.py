"""models: the model registry (facekit.models()) and loaded model sets (facekit.Models)."""

import ctypes
import os
import weakref
from dataclasses import dataclass

from . import _lib
from .errors import BadStateError, check


def _s(b):
    return b.decode() if b is not None else ""


@dataclass(frozen=True)
class ModelInfo:
    """One row of facekit's model registry (fk_model_info): what the model is, where its files
    come from, its licence, its input contract and its threshold."""

    name: str          # what Models(), detect(detector=...), landmarks(landmarker=...) take
    role: str          # "detector", "landmarker", "embedder" or "attributes"
    id: int            # the role's C enum value (fk_detector, fk_landmarker, fk_embedder)
    net: int           # the FK_NET_* bit it is loaded with
    title: str
    source: str        # package and version the weights come from
    licence: str       # the weights' licence
    folder: str        # "face-api", "dlib" or an absolute folder
    files: tuple
    input: str         # its input contract: crop or alignment, size, normalisation
    output: str
    dim: int           # embedders: descriptor length
    threshold: float   # embedders: same-person L2 distance; detectors: default score threshold
    calibration: str
    lfw: str

    def installed(self, dir=None):
        """Whether the model's files are present (under the model folders of `dir`, default the
        library's default folder): (True, None) or (False, the first missing path)."""
        missing = ctypes.create_string_buffer(4096)
        ok = _lib.fk_model_installed(_lib.fk_model_find(self.name.encode()),
                                     os.fsencode(dir) if dir else None, missing, len(missing), None)
        return (True, None) if ok else (False, missing.value.decode() or None)


def _info(p):
    m = p.contents
    return ModelInfo(_s(m.name), _s(_lib.fk_model_role_name(m.role)), m.id, m.net, _s(m.title), _s(m.source),
                     _s(m.licence), _s(m.folder), tuple(_s(m.files).split()), _s(m.input), _s(m.output), m.dim,
                     float(m.threshold), _s(m.calibration), _s(m.lfw))


def models():
    """Every model facekit can run, as a list of ModelInfo, in the registry's stable order."""
    return [_info(_lib.fk_model_at(i)) for i in range(_lib.fk_model_count())]


def model_info(name):
    """The ModelInfo of a model by name (or one of its older aliases: cnn, ert, faceapi, dlib);
    KeyError listing the names when there is none."""
    p = _lib.fk_model_find(name.encode()) if isinstance(name, str) else None
    if not p:
        raise KeyError("no model named %r; the models are: %s" % (name, ", ".join(m.name for m in models())))
    return _info(p)


def _names(names):
    if isinstance(names, str):
        return names
    return ",".join(names)


class Models:
    """A loaded set of models: immutable once loaded, shared by any number of Sessions and threads.

        models = facekit.Models("ssd,faceapi68,faceapi-resnet")   # or a list of names
        models = facekit.Models(["hog", "dlib5", "dlib-resnet"], dir="/data/models/face-api")

    `dir` is the face-api model folder (None: $FACEKIT_MODELS, else the folder `make models`
    fills, else the installed one); dlib's models are read from $FACEKIT_DLIB_MODELS, else the
    folder dlib/ beside it. A missing, truncated or altered file raises a facekit.Error naming
    the file and how to fetch it; an unknown name raises InvalidArgumentError listing the names.
    """

    def __init__(self, names="ssd,faceapi68,faceapi-resnet", dir=None):
        self._p = None
        self._sessions = weakref.WeakSet()  # the open Sessions running these models
        self.names = tuple(n.strip() for n in _names(names).split(",") if n.strip())
        p = _lib._models_p()
        err = _lib.fk_error()
        check(_lib.fk_models_load_named(os.fsencode(dir) if dir else None, _names(names).encode(), ctypes.byref(p),
                                        ctypes.byref(err)), err)
        self._p = p

    @property
    def dir(self):
        """The face-api folder the models were loaded from."""
        return _s(_lib.fk_models_dir(self._handle()))

    @property
    def dlib_dir(self):
        """The folder dlib's models are read from."""
        return _s(_lib.fk_models_dlib_dir(self._handle()))

    def __contains__(self, name):
        return bool(_lib.fk_models_has(self._handle(), name.encode()))

    def first(self, role):
        """The name of the first loaded model of a role ("detector", "landmarker", "embedder"),
        in registry order; None when none is loaded."""
        for m in models():
            if m.role == role and m.name in self:
                return m.name
        return None

    def _handle(self):
        if not self._p:
            raise ValueError("facekit.Models: used after close()")
        return self._p

    def close(self):
        """Frees the models now; facekit.BadStateError while a Session made from them is open
        (close the sessions first). Without close() they are freed when no longer referenced."""
        if any(s._p for s in self._sessions):
            raise BadStateError("facekit.Models.close: %d session(s) still use these models; close them first"
                                % sum(1 for s in self._sessions if s._p))
        if self._p:
            _lib.fk_models_free(self._p)
            self._p = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_p", None) and getattr(_lib, "fk_models_free", None):
            _lib.fk_models_free(self._p)
            self._p = None

    def __repr__(self):
        return "facekit.Models(%r)" % (",".join(self.names),)


def default_dir():
    """The face-api folder Models(dir=None) loads from."""
    return _s(_lib.fk_models_default_dir())
