"""Naive float64 oracles, written independently of the package's code."""
import math

import numpy as np


def _filter(name):
    def sinc(x):
        return 1.0 if x == 0 else math.sin(math.pi * x) / (math.pi * x)

    def box(x):
        return 1.0 if -0.5 < x <= 0.5 else 0.0

    def bilinear(x):
        x = abs(x)
        return 1.0 - x if x < 1.0 else 0.0

    def hamming(x):
        x = abs(x)
        if x == 0.0:
            return 1.0
        if x >= 1.0:
            return 0.0
        x *= math.pi
        # Pillow's Resample.c writes the constants as C floats: 0.54f, 0.46f
        return math.sin(x) / x * (0.5400000214576721 + 0.46000000834465027 * math.cos(x))

    def bicubic(x, a=-0.5):
        x = abs(x)
        if x < 1.0:
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
        if x < 2.0:
            return (((x - 5) * x + 8) * x - 4) * a
        return 0.0

    def lanczos(n):
        return lambda x: sinc(x) * sinc(x / n) if -n <= x < n else 0.0

    return {
        "box": (box, 0.5),
        "bilinear": (bilinear, 1.0),
        "hamming": (hamming, 1.0),
        "bicubic": (bicubic, 2.0),
        "lanczos3": (lanczos(3), 3.0),
        "lanczos4": (lanczos(4), 4.0),
    }[name]


def resample_matrix(in_size, out_size, name, antialias=True, box=None):
    """Dense (out, in) float64 matrix of Pillow's normalised taps, one loop per
    tap; ``box`` = (in0, in1): the span resampled (Pillow's resize box)."""
    fn, support = _filter(name)
    in0, in1 = (0.0, in_size) if box is None else box
    scale = (in1 - in0) / out_size
    fscale = max(scale, 1.0) if antialias else 1.0
    support *= fscale
    m = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = in0 + (i + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        ws = [fn((x - center + 0.5) / fscale) for x in range(lo, hi)]
        total = sum(ws)
        for x, w in zip(range(lo, hi), ws):
            m[i, x] = w / total if total else 0.0
    return m


def resize(img, size, name, antialias=True):
    """float64 separable resize of an (H, W, C) array, no rounding."""
    w, h = size
    mv = resample_matrix(img.shape[0], h, name, antialias)
    mh = resample_matrix(img.shape[1], w, name, antialias)
    x = img.astype(np.float64)
    return np.einsum("yh,hwc,xw->yxc", mv, x, mh)


def luminance(img, weights=(0.299, 0.587, 0.114)):
    x = img.astype(np.float64)
    if x.ndim == 2 or x.shape[2] == 1:
        return float(x.mean())
    return float((x[..., 0] * weights[0] + x[..., 1] * weights[1] + x[..., 2] * weights[2]).mean())


def resize_rounded(img, size, name, hi, antialias=True, order="hv"):
    """Integer-image semantics: one pass, round half up and clamp to [0, hi],
    the other pass, round and clamp again (Pillow's 8-bit model in float64).
    ``order`` "hv" (Pillow's usual order: horizontal first) or "vh"."""
    w, h = size
    x = img.astype(np.float64)
    mh = resample_matrix(img.shape[1], w, name, antialias)
    mv = resample_matrix(img.shape[0], h, name, antialias)
    for axis in order:
        if axis == "h" and w != img.shape[1]:
            x = np.clip(np.floor(np.einsum("hwc,xw->hxc", x, mh) + 0.5), 0, hi)
        if axis == "v" and h != img.shape[0]:
            x = np.clip(np.floor(np.einsum("yh,hxc->yxc", mv, x) + 0.5), 0, hi)
    return x


def tie_pixels(img, size, name, order, hi=65535, antialias=True):
    """Output pixels of a two-pass integer resize whose value depends on an
    exact half (where the order of the additions decides the rounding): a
    half in the last pass, or one in the first pass under the last pass's
    taps.  ``order`` "hv" or "vh"; returns a bool (h, w, C) mask."""
    w, h = size
    first, second = ((0, w), (1, h)) if order == "hv" else ((1, h), (0, w))
    masks = []
    for c in range(img.shape[2]):
        x = img[..., c].astype(np.float64)
        axis, n = first
        m1 = resample_matrix(x.shape[1 - axis], n, name, antialias)
        mid = m1 @ x if axis == 1 else x @ m1.T
        tie_mid = (np.abs(mid - np.floor(mid) - 0.5) < 1e-6).astype(np.float64)
        mid = np.clip(np.floor(mid + 0.5), 0, hi)
        axis, n = second
        m2 = resample_matrix(mid.shape[1 - axis], n, name, antialias)
        last = m2 @ mid if axis == 1 else mid @ m2.T
        spread = np.abs(m2) @ tie_mid if axis == 1 else tie_mid @ np.abs(m2).T
        masks.append((np.abs(last - np.floor(last) - 0.5) < 1e-6) | (spread > 0))
    return np.stack(masks, axis=-1)
