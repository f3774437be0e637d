"""Luminance and channel-format conversions.

Examples
--------
>>> import numpy as np, trainingsample as ts
>>> img = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], np.uint8)
>>> ts.rgb_to_gray(img)[..., 0]  # Pillow's convert("L")
array([[ 76, 150],
       [ 29, 255]], dtype=uint8)
>>> ts.rgb_to_bgr(img)[0]
array([[  0,   0, 255],
       [  0, 255,   0]], dtype=uint8)
>>> ts.rgb_to_rgba(img, alpha=7)[0, 0]
array([255,   0,   0,   7], dtype=uint8)
>>> ts.rgba_to_rgb(ts.rgb_to_rgba(img)).shape
(2, 2, 3)
>>> ts.gray_to_rgb(np.array([[3, 9]], np.uint8))
array([[[3, 3, 3],
        [9, 9, 9]]], dtype=uint8)
"""
from __future__ import annotations

import functools

import numpy as np

from . import _apply, _engine
from . import kernels as K
from . import _validate as V
from ._types import Image, Images, List, Union

STANDARDS = {"bt601": (0.299, 0.587, 0.114), "bt709": (0.2126, 0.7152, 0.0722)}
_ACC = {np.dtype(np.uint8): np.uint32(0), np.dtype(np.uint16): np.uint64(0), np.dtype(np.float32): np.float64(0.0)}
_ACC_INT = {d: z for d, z in _ACC.items() if d.kind == "u"}


def _luminance(batch, standard):
    weights = STANDARDS[V.choice(standard, tuple(STANDARDS), "standard")]
    sums, srcs, flats = [], [], []
    for a in batch.arrays:
        srcs.append(a)
        sums.append(np.empty((a.shape[0], a.shape[1], 3), np.float64 if a.dtype == np.float32 else np.uint64))
        # integer RGB/RGBA rows stored flat: summed in contiguous lanes
        flats.append(_apply.flat_rows(a) if a.dtype != np.float32 and a.shape[3] in (3, 4) else None)

    calls = [
        _apply.ItemCall(functools.partial(K.channel_row_sums_flat, f, s, _ACC[a.dtype], a.shape[3]) if f is not None
                        else functools.partial(K.channel_row_sums, a, s, _ACC[a.dtype]), a.shape[2] * a.shape[3])
        for a, s, f in zip(srcs, sums, flats)
    ]
    _apply.run(sums, calls)
    values = []
    for a, s in zip(srcs, sums):
        tot = s.sum(axis=1)  # (frames, 3): exact for integer images
        npx = a.shape[1] * a.shape[2]
        if a.shape[3] == 1:
            lum = tot[:, 0].astype(np.float64) / npx
        else:
            t = tot.astype(np.float64)
            lum = (weights[0] * t[:, 0] + weights[1] * t[:, 1] + weights[2] * t[:, 2]) / npx
        values.append(lum)
    return values


def batch_calculate_luminance(images: Images, *, standard: str = "bt601") -> Union[np.ndarray, List[float]]:
    """Mean luminance of each image, in the image's own scale.

    BT.601 (default): mean of 0.299 R + 0.587 G + 0.114 B; "bt709": 0.2126,
    0.7152, 0.0722.  1 channel: the mean; 4 channels: alpha ignored; other
    channel counts are a ValueError.  Integer images are summed exactly, so
    the result does not depend on the thread count.

    Returns a list of floats for list input, a float64 (N,) array for an array.

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> img = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], np.uint8)
    >>> ts.batch_calculate_luminance([img, img[:1]])
    [127.5, 112.965]
    """
    batch = V.as_batch(images, channels=(1, 3, 4))
    values = _luminance(batch, standard)
    if batch.is_array:
        return values[0]
    return [float(v[0]) for v in values]


def calculate_luminance(image: Image, *, standard: str = "bt601") -> float:
    """Mean luminance of one image (see :func:`batch_calculate_luminance`).

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> ts.calculate_luminance(np.full((4, 4, 3), 200, np.uint8))
    200.0
    >>> ts.calculate_luminance(np.zeros((4, 4, 2), np.uint8))
    Traceback (most recent call last):
    ValueError: image has 2 channel(s), shape (4, 4, 2); expected 1, 3 or 4
    """
    if type(image) is np.ndarray and type(standard) is str and standard in STANDARDS:
        # the common call: a small, contiguous integer image, summed in one
        # kernel call in the calling thread (the engine's tasks would sum
        # the same integers); anything else takes the general path
        shape = image.shape
        c = shape[2] if len(shape) == 3 else 1
        if (
            len(shape) in (2, 3) and c in (1, 3, 4) and shape[0] and shape[1]
            and image.dtype in _ACC_INT and image.flags.c_contiguous and image.flags.writeable
            and (image.size < _engine.MIN_PARALLEL_WORK or _engine.get_num_threads() == 1)
        ):
            h, w = shape[0], shape[1]
            # one flat row: below MIN_PARALLEL_WORK elements its uint8 total fits uint32
            t0, t1, t2 = K.image_channel_sums(image.reshape(1, 1, h * w * c), c, _ACC_INT[image.dtype])
            if c == 1:
                return float(t0) / (h * w)
            w0, w1, w2 = STANDARDS[standard]
            return (w0 * float(t0) + w1 * float(t1) + w2 * float(t2)) / (h * w)
    return float(_luminance(V.single_batch(image, channels=(1, 3, 4)), standard)[0][0])



def _convert(batch, out_channels, run):
    """Run a conversion kernel; ``out_channels=None`` keeps the input's count."""
    outs = [np.empty(a.shape[:3] + (out_channels or a.shape[3],), a.dtype) for a in batch.arrays]

    _apply.run(outs, [_apply.ItemCall(functools.partial(run, a, o), a.shape[2] * a.shape[3]) for a, o in zip(batch.arrays, outs)])
    return _apply.finish(batch, outs, keep_2d=False)


def _rgba(batch, alpha):
    # validate alpha for every dtype present before any work
    values = {a.dtype: V.alpha_value(alpha, a.dtype) for a in batch.arrays}

    def run(s, d, *r):
        s3 = _apply.flat_rows(s)
        if s3 is None:
            K.rgb_to_rgba(s, d, values[s.dtype], *r)
        else:
            K.rgb_to_rgba_flat(s3, d.reshape(d.shape[0], d.shape[1], -1), values[s.dtype], *r)

    return _convert(batch, 4, run)


def _rgba_to_rgb(s, d, *r):
    s3 = _apply.flat_rows(s)
    if s3 is None:
        K.rgba_to_rgb(s, d, *r)
    else:
        K.rgba_to_rgb_flat(s3, d.reshape(d.shape[0], d.shape[1], -1), *r)


def batch_rgb_to_rgba(images: Images, alpha: Union[None, int, float] = None) -> Union[np.ndarray, List[np.ndarray]]:
    """RGB -> RGBA with a constant alpha: opaque by default (255 for uint8,
    65535 for uint16, 1.0 for float32), or any value in the dtype's range.

    Takes a list of images or one (N, H, W, C) array and returns the same
    kind (see the examples of the single-image forms in ``trainingsample.color``).
    """
    return _rgba(V.as_batch(images, channels=(3,)), alpha)


def batch_rgba_to_rgb(images: Images) -> Union[np.ndarray, List[np.ndarray]]:
    """RGBA -> RGB by dropping alpha (no compositing).

    Takes a list of images or one (N, H, W, C) array and returns the same
    kind (see the examples of the single-image forms in ``trainingsample.color``).
    """
    return _convert(V.as_batch(images, channels=(4,)), 3, _rgba_to_rgb)


def batch_rgb_to_bgr(images: Images) -> Union[np.ndarray, List[np.ndarray]]:
    """Swap the first and third channels: RGB <-> BGR, RGBA <-> BGRA.

    Takes a list of images or one (N, H, W, C) array and returns the same
    kind (see the examples of the single-image forms in ``trainingsample.color``).
    """
    return _convert(V.as_batch(images, channels=(3, 4)), None, K.swap_red_blue)


def _gray_kernel(s, d, *r):
    if s.dtype == np.float32:
        K.rgb_to_gray_float(s, d, *r)
    else:
        K.rgb_to_gray_int(s, d, *r)


def batch_rgb_to_gray(images: Images) -> Union[np.ndarray, List[np.ndarray]]:
    """RGB(A) -> (H, W, 1) luma, ITU-R 601-2 (alpha ignored).

    uint8 equals Pillow's ``convert("L")``: (19595 R + 38470 G + 7471 B + 32768) >> 16;
    uint16 uses the same rounding; float32 computes 0.299 R + 0.587 G + 0.114 B.

    Takes a list of images or one (N, H, W, C) array and returns the same
    kind (see the examples of the single-image forms in ``trainingsample.color``).
    """
    return _convert(V.as_batch(images, channels=(3, 4)), 1, _gray_kernel)


def batch_gray_to_rgb(images: Images) -> Union[np.ndarray, List[np.ndarray]]:
    """(H, W) or (H, W, 1) gray -> (H, W, 3) by replication.

    Takes a list of images or one (N, H, W, C) array and returns the same
    kind (see the examples of the single-image forms in ``trainingsample.color``).
    """
    return _convert(V.as_batch(images, channels=(1,)), 3, K.gray_to_rgb)


def rgb_to_rgba(image: Image, alpha: Union[None, int, float] = None) -> Image:
    """One (H, W, 3) image -> (H, W, 4) with a constant alpha (see :func:`batch_rgb_to_rgba`)."""
    return _rgba(V.single_batch(image, channels=(3,)), alpha)[0]


def rgba_to_rgb(image: Image) -> Image:
    """One (H, W, 4) image -> (H, W, 3), alpha dropped (see :func:`batch_rgba_to_rgb`)."""
    return _convert(V.single_batch(image, channels=(4,)), 3, _rgba_to_rgb)[0]


def rgb_to_bgr(image: Image) -> Image:
    """One image's first and third channels swapped (see :func:`batch_rgb_to_bgr`)."""
    return _convert(V.single_batch(image, channels=(3, 4)), None, K.swap_red_blue)[0]


def rgb_to_gray(image: Image) -> Image:
    """One RGB(A) image -> (H, W, 1) luma (see :func:`batch_rgb_to_gray`)."""
    return _convert(V.single_batch(image, channels=(3, 4)), 1, _gray_kernel)[0]


def gray_to_rgb(image: Image) -> Image:
    """One (H, W) or (H, W, 1) gray image -> (H, W, 3) (see :func:`batch_gray_to_rgb`)."""
    return _convert(V.single_batch(image, channels=(1,)), 3, K.gray_to_rgb)[0]
