"""facekit: face detection, landmarks, descriptors, age and gender from Python, over libfacekit (ctypes; numpy arrays in and out).

Usage:

    import facekit
    img = facekit.load_image("photo.jpg")               # H x W x 3 uint8 RGB, EXIF-upright
    models = facekit.Models("ssd,faceapi68,faceapi-resnet")
    with facekit.Session(models) as s:
        faces = s.analyze(img)                           # detect, 68 landmarks, 128-D descriptors
        for f in faces:
            print(f.box, f.score, f.landmarks.shape, f.descriptor[:4])
        if len(faces) >= 2:
            print(facekit.distance(faces[0], faces[1]) < facekit.DESCRIPTOR_THRESHOLD)

    # `facekit embed`'s defaults, the most accurate on LFW (dlib's ResNet, mirror, jitter, MMOD fallback)
    with facekit.Session(facekit.Models(facekit.EMBED_MODELS)) as s:
        faces = s.embed(img)

    for m in facekit.models():                           # the registry: every model by name
        print(m.name, m.role, m.licence)

The library is found from $FACEKIT_LIB, else a clone's build/libfacekit.so (`make python`),
else the one `make install` put beside this package, else the system's libfacekit.so.0. On
import the package checks that its ctypes structs have the library's layout (ImportError
otherwise). Errors raise facekit.Error subclasses carrying the library's message.
"""

from ._lib import DESCRIPTOR_DIM, LANDMARK_COUNT
from ._lib import path as library_path
from .errors import (BadFormatError, BadStateError, Error, FileIOError, ImageError, InvalidArgumentError, LimitError,
                     NoMemoryError, NotFoundError, SizeOverflowError, UnsupportedError)
from .image import as_rgb, decode_image, load_image, save_image
from .models import ModelInfo, Models, default_dir, model_info, models
from .session import EMBED_MODELS, Box, Face, Session, distance

__version__ = "0.1.0"

# dlib's and face-api's tolerance: two descriptors closer than this are taken as one person
DESCRIPTOR_THRESHOLD = 0.6

__all__ = [
    "load_image", "decode_image", "save_image", "as_rgb",
    "Models", "Session", "Face", "Box", "ModelInfo", "models", "model_info", "default_dir", "distance",
    "Error", "InvalidArgumentError", "NoMemoryError", "SizeOverflowError", "FileIOError", "BadFormatError",
    "UnsupportedError", "BadStateError", "LimitError", "NotFoundError", "ImageError",
    "DESCRIPTOR_THRESHOLD", "DESCRIPTOR_DIM", "LANDMARK_COUNT", "library_path", "EMBED_MODELS",
]
