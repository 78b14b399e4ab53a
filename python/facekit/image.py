"""image: decoding files into numpy arrays with the C decoder, and numpy arrays as fk_image views for the C calls."""

import ctypes
import os

import numpy as np

from . import _lib
from .errors import ImageError, check


class _Pixels:
    """Owns a decoded fk_image and lends its pixels to numpy without a copy.

    numpy keeps this object as the array's base (and the base of every view of it), so the C
    buffer lives exactly as long as some array still points into it."""

    __slots__ = ("_img", "__array_interface__")

    def __init__(self, img):
        self._img = img
        im = img.contents
        self.__array_interface__ = {
            "version": 3, "typestr": "|u1", "shape": (im.height, im.width, 3),
            "strides": (im.stride, 3, 1), "data": (ctypes.addressof(im.data.contents), False),
        }

    def __del__(self):
        # at interpreter exit the module may already be gone; the OS frees the memory then
        free = getattr(_lib, "fk_image_free", None)
        if free is not None and self._img:
            free(self._img)
            self._img = None


def _decode_options(orientation):
    opt = _lib.fk_decode_options()
    opt.ignore_orientation = 0 if orientation else 1
    return opt


def _to_array(out):
    return np.asarray(_Pixels(out))


def load_image(path, orientation=True):
    """Decodes an image file into an H x W x 3 uint8 RGB array.

    The format is told by the file's content, not its name: JPEG, PNG, PNM, BMP, GIF (first
    frame), TIFF (first page) and WebP (still). Grey, palette, 16-bit and CMYK images become
    RGB; alpha is dropped. With `orientation` (the default) the EXIF orientation is applied, so
    the picture is upright; orientation=False keeps the stored pixel order (a TIFF's own
    Orientation tag is always applied).

    Raises facekit.NotFoundError (a FileNotFoundError) for a missing file, BadFormatError for
    corrupt or truncated data, LimitError for an image over facekit's size limits, each with
    the library's message naming the file.
    """
    out = ctypes.POINTER(_lib.fk_image)()
    err = _lib.fk_error()
    opt = _decode_options(orientation)
    check(_lib.fk_image_load(os.fsencode(path), ctypes.byref(opt), ctypes.byref(out), ctypes.byref(err)), err)
    return _to_array(out)


def decode_image(data, name=None, orientation=True):
    """load_image from bytes in memory (bytes, bytearray, memoryview or a uint8 array); `name`
    only appears in error messages."""
    buf = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    n = len(buf)
    # ctypes needs an address: bytes give theirs directly; anything else is read through a
    # ctypes view of its buffer (read-only buffers are copied once)
    if isinstance(buf, bytes):
        ptr = ctypes.c_char_p(buf)
    else:
        try:
            ptr = (ctypes.c_char * n).from_buffer(buf)
        except TypeError:
            ptr = ctypes.c_char_p(bytes(buf))
    out = ctypes.POINTER(_lib.fk_image)()
    err = _lib.fk_error()
    opt = _decode_options(orientation)
    check(_lib.fk_image_decode(ptr, n, name.encode() if name else None, ctypes.byref(opt), ctypes.byref(out),
                               ctypes.byref(err)), err)
    return _to_array(out)


_LAYOUT = ("facekit needs a numpy uint8 array of shape (H, W, 3) RGB, C-contiguous (rows may be "
           "strided, as a slice img[y0:y1, x0:x1] is); (H, W) grey and (H, W, 4) RGBA arrays are "
           "converted to RGB")


def as_rgb(img):
    """img as an array facekit reads directly: uint8 H x W x 3 whose pixels are contiguous.

    An RGB array (or a row slice of one) is returned as it is, without a copy; an (H, W) or
    (H, W, 1) grey array and an (H, W, 4) RGBA array are converted to a new RGB array (alpha
    dropped). Anything else raises facekit.ImageError saying what is wrong.
    """
    if not isinstance(img, np.ndarray):
        raise ImageError("image is a %s, not a numpy array: %s" % (type(img).__name__, _LAYOUT))
    if img.dtype != np.uint8:
        raise ImageError("image has dtype %s, not uint8: %s (img.astype(np.uint8) if its values are 0..255)"
                         % (img.dtype, _LAYOUT))
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        g = img.reshape(img.shape[0], img.shape[1])
        img = np.repeat(g[:, :, None], 3, axis=2)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = np.ascontiguousarray(img[:, :, :3])
    elif not (img.ndim == 3 and img.shape[2] == 3):
        raise ImageError("image has shape %s: %s" % (img.shape, _LAYOUT))
    h, w = img.shape[:2]
    if h == 0 or w == 0:
        raise ImageError("image has shape %s: it is empty" % (img.shape,))
    s = img.strides
    if s[2] != 1 or s[1] != 3 or (h > 1 and s[0] < 3 * w):
        raise ImageError("image has strides %s for shape %s, its pixels are not contiguous RGB (a [:, :, ::-1] or "
                         "transposed view?): %s; pass np.ascontiguousarray(img)" % (s, img.shape, _LAYOUT))
    return img


def fk_image_of(img):
    """(fk_image, array): an fk_image over the pixels of as_rgb(img), and the array it points
    into, which the caller keeps alive for as long as the C side may read the fk_image."""
    img = as_rgb(img)
    h, w = img.shape[:2]
    im = _lib.fk_image(w, h, img.strides[0] if h > 1 else 3 * w,
                       ctypes.cast(img.ctypes.data, ctypes.POINTER(ctypes.c_uint8)))
    return im, img


def save_image(path, img, quality=90):
    """Writes img (anything as_rgb takes) as PNG or JPEG, chosen by the name's extension (.png,
    .jpg, .jpeg); quality 1..100 for JPEG."""
    im, keep = fk_image_of(img)
    err = _lib.fk_error()
    check(_lib.fk_image_save(ctypes.byref(im), os.fsencode(path), int(quality), ctypes.byref(err)), err)
    del keep
