"""_resize: Pillow's Image.thumbnail(size, LANCZOS) on numpy arrays, which face_recognition's CLI uses to shrink big photos (Pillow itself is not needed)."""

import math

import numpy as np

_PRECISION_BITS = 32 - 8 - 2  # Pillow's fixed-point precision for 8-bit images (Resample.c)


def _lanczos(x):
    # Lanczos-3: sinc(x) sinc(x / 3) on [-3, 3)
    out = np.where((x >= -3.0) & (x < 3.0), np.sinc(x) * np.sinc(x / 3.0), 0.0)
    return out


def _coeffs(in_size, in0, in1, out_size):
    """Pillow's precompute_coeffs + normalize_coeffs_8bpc: per output pixel the first input
    pixel and the fixed-point weights of the pixels it covers."""
    scale = (in1 - in0) / out_size
    filterscale = max(scale, 1.0)
    support = 3.0 * filterscale
    ksize = int(math.ceil(support)) * 2 + 1
    xmins = np.zeros(out_size, dtype=np.int64)
    kk = np.zeros((out_size, ksize), dtype=np.float64)
    for xx in range(out_size):
        center = in0 + (xx + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        w = _lanczos((np.arange(xmax) + xmin - center + 0.5) / filterscale)
        ww = w.sum()
        if ww != 0.0:
            w = w / ww
        kk[xx, :xmax] = w
        xmins[xx] = xmin
    # C's (int) truncates towards zero after the +-0.5
    fixed = np.where(kk < 0, np.trunc(-0.5 + kk * (1 << _PRECISION_BITS)), np.trunc(0.5 + kk * (1 << _PRECISION_BITS)))
    return xmins, fixed.astype(np.int64), ksize


def _pass(img, axis, out_size, in1):
    """One 8-bit pass of Pillow's two-pass resample along `axis` (1: columns, 0: rows) of the
    source span [0, in1) (in1 fractional after a reduce, as Pillow's box is)."""
    in_size = img.shape[axis]
    # Pillow passes the box as C floats: (in1 - in0) is a float before it becomes a double
    xmins, k, ksize = _coeffs(in_size, 0.0, float(np.float32(in1)), out_size)
    src = img.astype(np.int64)
    shape = list(img.shape)
    shape[axis] = out_size
    acc = np.full(shape, 1 << (_PRECISION_BITS - 1), dtype=np.int64)
    for j in range(ksize):
        idx = np.minimum(xmins + j, in_size - 1)  # weights past a pixel's range are 0
        taken = np.take(src, idx, axis=axis)
        w = k[:, j].reshape((-1, 1, 1) if axis == 0 else (1, -1, 1))
        acc += taken * w
    return np.clip(acc >> _PRECISION_BITS, 0, 255).astype(np.uint8)


def _reduce(img, fx, fy):
    """Image.reduce((fx, fy)): the mean of each fx x fy block (partial blocks at the right and
    bottom edges averaged over what they hold), rounded half up."""
    h, w = img.shape[:2]
    oh, ow = -(-h // fy), -(-w // fx)
    pad = np.zeros((oh * fy, ow * fx, img.shape[2]), dtype=np.int64)
    cnt = np.zeros((oh * fy, ow * fx, 1), dtype=np.int64)
    pad[:h, :w] = img
    cnt[:h, :w] = 1
    s = pad.reshape(oh, fy, ow, fx, -1).sum(axis=(1, 3))
    n = cnt.reshape(oh, fy, ow, fx, 1).sum(axis=(1, 3))
    return ((s + n // 2) // n).astype(np.uint8)


def thumbnail(img, size):
    """img shrunk to fit in size x size, keeping its aspect ratio, as Pillow's
    Image.thumbnail((size, size), Image.LANCZOS) with its default reducing_gap 2.0: the size
    rounded as Pillow rounds it, a box pre-reduction when the image is over twice that gap,
    then Lanczos-3 in Pillow's fixed point, columns then rows. Returns img itself when it fits."""
    h, w = img.shape[:2]
    if w <= size and h <= size:
        return img
    aspect = w / h
    x, y = size, size
    if x / y >= aspect:
        x = max(min(math.floor(y * aspect), math.ceil(y * aspect), key=lambda n: abs(aspect - n / y)), 1)
    else:
        y = max(min(math.floor(x / aspect), math.ceil(x / aspect),
                    key=lambda n: 0 if n == 0 else abs(aspect - x / n)), 1)
    grey = img.ndim == 2
    im = img[:, :, None] if grey else img
    fx, fy = int(w / x / 2.0) or 1, int(h / y / 2.0) or 1
    in_w, in_h = float(w), float(h)
    if fx > 1 or fy > 1:
        im = _reduce(im, fx, fy)
        in_w, in_h = w / fx, h / fy
    if im.shape[1] != x or in_w != im.shape[1]:
        im = _pass(im, 1, x, in_w)
    if im.shape[0] != y or in_h != im.shape[0]:
        im = _pass(im, 0, y, in_h)
    return im[:, :, 0] if grey else im
