"""Resampling filters and their coefficients, following Pillow's Resample.c.

Coefficients are data: computed once per (in_size, out_size, filter,
antialias) in float64 and normalised as Pillow does (each row divided by its
sequential sum), then kept as float64 (float32 and uint16 images, whose sums
are double as in Pillow's 32-bit and 16-bit paths) or Pillow's 22-bit
fixed point (uint8), and memoised.
"""
import functools
import math

import numpy as np

from .kernels import coeffs as KC
from .kernels.fixed_point import PRECISION_BITS


def _box(x):
    return np.where((x > -0.5) & (x <= 0.5), 1.0, 0.0)


def _bilinear(x):
    x = np.abs(x)
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _hamming(x):
    x = np.abs(x)
    px = x * math.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        # Pillow writes these two constants as C floats (0.54f, 0.46f)
        v = np.sin(px) / px * (float(np.float32(0.54)) + float(np.float32(0.46)) * np.cos(px))
    return np.where(x == 0.0, 1.0, np.where(x >= 1.0, 0.0, v))


def _bicubic(x, a=-0.5):
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _sinc(x):
    px = x * math.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0.0, 1.0, np.sin(px) / px)


def _lanczos(lobes):
    def f(x):
        return np.where((x >= -lobes) & (x < lobes), _sinc(x) * _sinc(x / lobes), 0.0)

    return f


# name -> (filter function, support); "nearest" is not a convolution filter.
FILTERS = {
    "box": (_box, 0.5),
    "bilinear": (_bilinear, 1.0),
    "hamming": (_hamming, 1.0),
    "bicubic": (_bicubic, 2.0),
    "lanczos3": (_lanczos(3.0), 3.0),
    "lanczos4": (_lanczos(4.0), 4.0),
}
ALIASES = {"area": "box", "linear": "bilinear", "cubic": "bicubic", "lanczos": "lanczos3"}
INTERPOLATIONS = ("nearest",) + tuple(FILTERS) + tuple(ALIASES)


# Filters whose taps are all >= 0: without antialias (no Pillow counterpart)
# they may run the cheaper pass order, both orders being within 1 grey level
# of each other.  The others overshoot, the clamped intermediate makes their
# order visible further, and they always take Pillow's.
NONNEGATIVE = frozenset({"box", "bilinear", "hamming"})


@functools.lru_cache(maxsize=256)
def coefficients(in_size, out_size, name, antialias=True, kind="float32", box=None):
    """Pillow's precompute_coeffs (and normalize_coeffs_8bpc for integers).

    ``box`` = (in0, in1): resample that span of the input (Pillow's
    ``resize(box=...)``, fractional allowed); taps stay inside [0, in_size).

    Returns ``(bounds, weights)``: int32 ``(out_size, 2)`` of (first input
    index, tap count) and ``(out_size, taps)`` weights -- ``kind`` "float64"
    (normalised, Pillow's double ``kk``), "float32" (the same rounded), or
    "int32"/"int64" (scaled by 2**22 and rounded half away from zero, as
    Pillow does).  Both are read-only (shared between calls and threads).
    The box and bilinear tables come from a compiled kernel (4 us instead
    of numpy's 40 us for 224 outputs), the others from ``table_numpy``.
    """
    if kind != "float64":
        bounds, w = coefficients(in_size, out_size, name, antialias, "float64", box)
        if kind == "float32":
            weights = w.astype(np.float32)
        else:
            scaled = w * (1 << PRECISION_BITS)
            weights = np.trunc(np.where(scaled < 0, scaled - 0.5, scaled + 0.5)).astype(kind)
        weights.setflags(write=False)
        return bounds, weights
    filt = KERNEL_FILTERS.get(name)
    if filt is None:
        bounds, weights = table_numpy(in_size, out_size, name, antialias, box)
    else:
        in0, scale, support, filterscale, ksize = _geometry(in_size, out_size, name, antialias, box)
        bounds = np.empty((out_size, 2), np.int32)
        flat = np.empty(out_size * ksize)
        width = KC.filter_table(in_size, out_size, in0, scale, support, 1.0 / filterscale, ksize, filt, bounds, flat)
        weights = flat[: out_size * width].reshape(out_size, width)
    bounds.setflags(write=False)
    weights.setflags(write=False)
    return bounds, weights


# filters whose tables kernels/coeffs.py computes (plain arithmetic: the
# same bits as table_numpy); the others call sin/cos and stay in numpy
KERNEL_FILTERS = {"box": KC.FILTER_BOX, "bilinear": KC.FILTER_BILINEAR}


def _geometry(in_size, out_size, name, antialias, box):
    """(in0, scale, support, filterscale, ksize) of a table, as Pillow's
    precompute_coeffs computes them."""
    in0, in1 = (0.0, float(in_size)) if box is None else (float(box[0]), float(box[1]))
    scale = (in1 - in0) / out_size
    filterscale = max(scale, 1.0) if antialias else 1.0
    support = FILTERS[name][1] * filterscale
    return in0, scale, support, filterscale, int(math.ceil(support)) * 2 + 1


def table_numpy(in_size, out_size, name, antialias=True, box=None):
    """The float64 ``(bounds, weights)`` of coefficients, in numpy: Pillow's
    precompute_coeffs and normalisation, every filter (the reference of
    kernels/coeffs.py's box and bilinear tables)."""
    fn = FILTERS[name][0]
    in0, scale, support, filterscale, ksize = _geometry(in_size, out_size, name, antialias, box)
    center = in0 + (np.arange(out_size, dtype=np.float64) + 0.5) * scale
    # C's (int) truncates toward zero
    xmin = np.maximum(np.trunc(center - support + 0.5), 0).astype(np.int64)
    xmax = np.minimum(np.trunc(center + support + 0.5), in_size).astype(np.int64) - xmin
    # drop trailing all-zero columns beyond the widest row (ksize is an upper bound)
    width = max(1, min(ksize, int(xmax.max())))
    taps = np.arange(width)
    pos = (taps[None, :] + xmin[:, None] - center[:, None] + 0.5) * (1.0 / filterscale)
    w = fn(pos)
    w[taps[None, :] >= xmax[:, None]] = 0.0
    # Pillow sums each row's taps in order (numpy's pairwise sum differs in
    # the last bit for rows of more than 8 taps)
    total = np.cumsum(w, axis=1)[:, -1]
    w /= np.where(total != 0.0, total, 1.0)[:, None]  # a row of zeros stays zeros
    bounds = np.empty((out_size, 2), np.int32)
    bounds[:, 0], bounds[:, 1] = xmin, xmax
    return bounds, w


@functools.lru_cache(maxsize=256)
def nearest_indices(in_size, out_size):
    """Pillow's NEAREST mapping (ImagingScaleAffine): the source index of
    output i is int(scale * 0.5 + i * scale) accumulated in double precision,
    exactly as Pillow steps it."""
    scale = in_size / out_size
    steps = np.full(out_size, scale, dtype=np.float64)
    steps[0] = scale * 0.5
    pos = np.add.accumulate(steps)  # sequential, like Pillow's xo += a[0]
    idx = np.minimum(pos.astype(np.int64), in_size - 1)
    idx.setflags(write=False)
    return idx


@functools.lru_cache(maxsize=64)
def mirrored(in_size, out_size, name, antialias=True, kind="float32"):
    """Coefficients R with resize(flip(x)) == flip(R applied to x).

    Output i of R is output (out_size - 1 - i) of the table of a flipped
    input, expressed on the unflipped input: its first tap moves to
    ``in_size - start - count`` and its weights are reversed.  Starts stay
    increasing, as the kernels require.  Pillow's tables are not exactly
    symmetric (ties in the rounding of tap windows, the half-open box), so a
    flip before a resize needs this table to be exact.
    """
    if name == "nearest":
        idx = nearest_indices(in_size, out_size)
        r = (in_size - 1 - idx[::-1]).copy()
        r.setflags(write=False)
        return r
    bounds, weights = coefficients(in_size, out_size, name, antialias, kind)
    b = bounds[::-1].copy()
    w = np.zeros_like(weights)
    for i in range(out_size):
        n = int(b[i, 1])
        w[i, :n] = weights[out_size - 1 - i, :n][::-1]
    b[:, 0] = in_size - b[:, 0] - b[:, 1]
    b.setflags(write=False)
    w.setflags(write=False)
    return b, w
