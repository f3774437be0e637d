"""Fused per-image pipelines: crops, aspect-aware resizes, flips, channel
conversion and normalisation in one kernel call per task.

Geometry is composed in Python before any pixel is touched: crops before the
resize become a view of the source, crops after it select rows of the
resize's coefficient tables (only output pixels are computed), and flips and
the channel / normalisation step are applied by the epilogue kernel while the
resampled rows are still in cache.  Random parameters are drawn in Python from
a ``numpy.random.Generator``, image by image and step by step, so results do
not depend on the thread count.

Examples
--------
>>> import numpy as np, trainingsample as ts
>>> images = [np.zeros((300, 400, 3), np.uint8), np.full((200, 150, 3), 255, np.uint8)]
>>> pipe = ts.Pipeline([ts.RandomResizedCrop(224), ts.HorizontalFlip(),
...                     ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
>>> batch, params = pipe(images, seed=0, return_params=True)
>>> [(b.shape, b.dtype.name) for b in batch]
[((3, 224, 224), 'float32'), ((3, 224, 224), 'float32')]
>>> params[0]["source_box"], params[0]["flip"]  # in source pixels, replayable
((242.0, 28.0, 103.0, 137.0), (False, False))
>>> all(np.array_equal(a, b) for a, b in zip(batch, pipe(images, seed=0)))  # a seed reproduces
True
>>> [o.shape for o in ts.Pipeline([ts.Resize(256, "shorter"), ts.CenterCrop(224)])(images)]
[(224, 224, 3), (224, 224, 3)]
"""
from __future__ import annotations

import functools
import hashlib
import math
from typing import NamedTuple

import numpy as np

from . import _apply, _engine
from . import kernels as K
from . import _validate as V
from ._types import Image, Images, Optional, Seed, Sequence, Union
from ._coeffs import FILTERS
from .io import Source, is_source
from .resize import copy_plan, resample_call, resample_setup

RESIZE_MODES = ("exact", "shorter", "longer", "fill")
FILL_CROPS = ("center", "random")
CHANNELS = ("rgb", "bgr", "rgba", "bgra", "gray")
LAYOUTS = ("chw", "hwc")
NORM_DTYPES = ("float32", "float16")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)



# --------------------------------------------------------------------------
# steps


class Step:
    """A pipeline step.  ``resamples``: the step resizes (one per pipeline);
    ``converts``: ConvertChannels (one per pipeline); ``normalizes``:
    Normalize (the last step).

    A geometric step owns its behaviour in ``plan``: it draws its random
    parameters from ``rng`` (always in the same order, so a seed gives the
    same result at any thread count) and composes them into the image's
    geometry before any pixel is read.  The channel and normalisation steps
    do nothing there; the epilogue applies them."""

    resamples = False
    converts = False
    normalizes = False
    random = False

    def plan(self, g, rng, taken, where, k):
        """Compose this step into ``g`` (a ``_Geometry``), appending the
        concrete operations made to ``taken`` (what ``return_params``
        reports); ``where`` and ``k`` name the step in an error."""

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(self.__dict__.items()))))


class Crop(Step):
    """Fixed box (x, y, width, height); must lie inside the image.

    A step of a :class:`Pipeline` (see its examples).
    """

    def __init__(self, box):
        self.box = V.boxes(V.single(box, 4, "(x, y, width, height) box", "box"), 1, "box")[0]

    def plan(self, g, rng, taken, where, k):
        cur = g.size
        V.box_inside(self.box, (cur[1], cur[0]), f"{where}: steps[{k}] Crop box")
        g.crop(*self.box)
        taken.append({"op": "crop", "box": self.box})


class CenterCrop(Step):
    """Centre (width, height) (or N for N x N), placed as torchvision's
    CenterCrop: origin ``(int(round((W - w) / 2)), int(round((H - h) / 2)))``
    (Python's round, half to even).  ``center_crop_image`` keeps the upstream
    library's ``(W - w) // 2``.

    A step of a :class:`Pipeline` (see its examples).
    """

    def __init__(self, size):
        self.size = V.size_or_int(size, "size")

    def plan(self, g, rng, taken, where, k):
        _crop_window(g, None, taken, V.crop_fits(self, g.size, where, k), self.size)


class RandomCrop(Step):
    """Uniformly random (width, height) window.

    A step of a :class:`Pipeline` (see its examples).
    """

    random = True

    def __init__(self, size):
        self.size = V.size_or_int(size, "size")

    def plan(self, g, rng, taken, where, k):
        _crop_window(g, rng, taken, V.crop_fits(self, g.size, where, k), self.size)


class Resize(Step):
    """Resize with an aspect-ratio mode.

    * ``"exact"``: to ``size`` = (width, height) (or N for N x N).
    * ``"shorter"``: the shorter side to N = ``size``, the other side
      ``int(N * long / short)`` (torchvision's rule).
    * ``"longer"``: the longer side to N, the other ``max(1, int(N * short / long))``.
    * ``"fill"``: scale so the image covers ``size`` = (width, height), then
      crop the ``crop`` ("center", placed as CenterCrop, or "random") window
      of that size; only the kept pixels are computed.

    A step of a :class:`Pipeline` (see its examples).
    """

    resamples = True

    def __init__(self, size, mode="exact", *, interpolation="bilinear", antialias=True, crop="center"):
        self.mode = V.choice(mode, RESIZE_MODES, "mode")
        if self.mode in ("shorter", "longer"):
            self.size = V.side(size, "size")
        else:
            self.size = V.size_or_int(size, "size")
        self.interpolation, self.antialias = V.interpolation_option(interpolation, antialias)
        self.crop = V.choice(crop, FILL_CROPS, "crop")

    @property
    def random(self):
        return self.mode == "fill" and self.crop == "random"

    def target(self, cw, ch):
        """The (width, height) this step resizes a (cw, ch) image to."""
        if self.mode == "exact":
            return self.size
        if self.mode == "shorter":
            n = self.size
            return (n, max(1, int(n * ch / cw))) if cw <= ch else (max(1, int(n * cw / ch)), n)
        if self.mode == "longer":
            n = self.size
            return (n, max(1, int(n * ch / cw))) if cw >= ch else (max(1, int(n * cw / ch)), n)
        fw, fh = self.size  # fill: cover the target, then crop it
        s = max(fw / cw, fh / ch)
        return max(fw, int(round(cw * s))), max(fh, int(round(ch * s)))

    def plan(self, g, rng, taken, where, k):
        tw, th = self.target(*g.size)
        V.planned_sides(tw, th, where, k)
        g.resize_to(tw, th, self.interpolation, self.antialias)
        taken.append({"op": "resize", "size": (tw, th), "interpolation": self.interpolation, "antialias": self.antialias})
        if self.mode == "fill":
            _crop_window(g, rng if self.crop == "random" else None, taken, (tw, th), self.size)


class RandomResizedCrop(Step):
    """torchvision's RandomResizedCrop: a window of ``scale`` x the image area
    and aspect ratio (w / h) log-uniform in ``ratio`` (10 tries, then the
    centre window with the ratio clamped), resized to ``size``.

    A step of a :class:`Pipeline` (see its examples).
    """

    resamples = True
    random = True

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), *, interpolation="bilinear", antialias=True):
        self.size = V.size_or_int(size, "size")
        self.scale = V.number_range(scale, "scale", positive=True)
        V.upper_fraction(self.scale[1], "scale")
        self.ratio = V.number_range(ratio, "ratio", positive=True)
        self.interpolation, self.antialias = V.interpolation_option(interpolation, antialias)

    def plan(self, g, rng, taken, where, k):
        cur = g.size
        box = _rrc_box(cur[0], cur[1], self.scale, self.ratio, rng)
        g.crop(*box)
        g.resize_to(self.size[0], self.size[1], self.interpolation, self.antialias)
        taken.append({"op": "crop", "box": box})
        taken.append({"op": "resize", "size": self.size, "interpolation": self.interpolation, "antialias": self.antialias})


class HorizontalFlip(Step):
    """Mirror left-right with probability ``p`` (a draw is made for every image).

    A step of a :class:`Pipeline` (see its examples).
    """

    random = True

    def __init__(self, p=0.5):
        self.p = V.probability(p)

    def plan(self, g, rng, taken, where, k):
        if rng.random() < self.p:
            g.flip_h = not g.flip_h
            taken.append({"op": "flip", "axis": "horizontal"})


class VerticalFlip(Step):
    """Mirror top-bottom with probability ``p``.

    A step of a :class:`Pipeline` (see its examples).
    """

    random = True

    def __init__(self, p=0.5):
        self.p = V.probability(p)

    def plan(self, g, rng, taken, where, k):
        if rng.random() < self.p:
            g.flip_v = not g.flip_v
            taken.append({"op": "flip", "axis": "vertical"})


class ConvertChannels(Step):
    """To "rgb", "bgr", "rgba", "bgra" or "gray".  Inputs with 1 channel are
    gray, 3 RGB, 4 RGBA.  Gray uses Pillow's luma (uint8: identical to
    ``convert("L")``); an added alpha is ``alpha`` (default: the dtype's full
    intensity).

    A step of a :class:`Pipeline` (see its examples).
    """

    converts = True

    def __init__(self, to, alpha=None):
        self.to = V.choice(to, CHANNELS, "to")
        self.alpha = V.finite_or_none(alpha, "alpha")


class Normalize(Step):
    """``(pixel / scale - mean) / std`` per channel into float32 or float16,
    ``layout`` "chw" (default, what torch models take) or "hwc".  ``scale``
    defaults to 255 for uint8, 65535 for uint16, 1 for float32.  Must be the
    last step.  mean/std: one number, or one per output channel.

    A step of a :class:`Pipeline` (see its examples).
    """

    normalizes = True

    def __init__(self, mean, std, *, dtype="float32", layout="chw", scale=None):
        self.mean = V.per_channel(mean, "mean", False)
        self.std = V.per_channel(std, "std", True)
        self.dtype = V.choice(dtype, NORM_DTYPES, "dtype")
        self.layout = V.choice(layout, LAYOUTS, "layout")
        self.scale = V.positive_or_none(scale, "scale")


# --------------------------------------------------------------------------
# geometry of one image


class _Geometry:
    """Source window, optional resize and the window kept after it, flips."""

    __slots__ = ("sx", "sy", "sw", "sh", "rw", "rh", "px", "py", "pw", "ph", "flip_h", "flip_v", "resize", "mirror",
                 "boxes")

    def __init__(self, w, h):
        self.sx = self.sy = 0
        self.sw, self.sh = w, h
        self.resize = None  # (interpolation, antialias) once resized
        self.rw = self.rh = self.px = self.py = self.pw = self.ph = 0
        self.flip_h = self.flip_v = False
        self.mirror = (False, False)  # (vertical, horizontal) flips made before the resize
        self.boxes = (None, None)  # fractional (vertical, horizontal) spans of the window resampled

    @property
    def size(self):
        return (self.pw, self.ph) if self.resize else (self.sw, self.sh)

    def crop(self, x, y, w, h):
        cw, ch = self.size
        if self.flip_h:
            x = cw - x - w
        if self.flip_v:
            y = ch - y - h
        if self.resize:
            self.px += x
            self.py += y
            self.pw, self.ph = w, h
        else:
            self.sx += x
            self.sy += y
            self.sw, self.sh = w, h

    def resize_to(self, w, h, interpolation, antialias):
        self.resize = (interpolation, antialias)
        self.mirror = (self.flip_v, self.flip_h)
        self.rw, self.pw, self.rh, self.ph = w, w, h, h
        self.px = self.py = 0

    def finish(self):
        """Fold axes that are not resized into the source window."""
        if self.resize:
            if self.rw == self.sw:
                self.sx += self.px
                self.sw = self.rw = self.pw
                self.px = 0
            if self.rh == self.sh:
                self.sy += self.py
                self.sh = self.rh = self.ph
                self.py = 0
            if self.rw == self.sw and self.rh == self.sh:
                self.resize = None

    def reduced(self, fx, fy, rw, rh):
        """This geometry on the image decoded at ``fx``, ``fy`` times the
        source's size (``rw`` x ``rh`` pixels): the source window becomes a
        fractional span of the smallest whole-pixel window holding it."""
        g = _Geometry(0, 0)
        for k in self.__slots__:
            setattr(g, k, getattr(self, k))
        spans = []
        for start, length, f, limit in ((self.sy, self.sh, fy, rh), (self.sx, self.sw, fx, rw)):
            a, b = start * f, min((start + length) * f, float(limit))
            i0, i1 = int(math.floor(a)), min(limit, int(math.ceil(b)))
            spans.append((i0, i1 - i0, (a - i0, b - i0)))
        (g.sy, g.sh, ybox), (g.sx, g.sw, xbox) = spans
        g.boxes = (ybox, xbox)
        return g

    def source_box(self):
        """The source region the output covers, (x, y, width, height), floats."""
        if not self.resize:
            return (float(self.sx), float(self.sy), float(self.sw), float(self.sh))
        kx, ky = self.sw / self.rw, self.sh / self.rh
        return (self.sx + self.px * kx, self.sy + self.py * ky, self.pw * kx, self.ph * ky)


def _rrc_box(w, h, scale, ratio, rng):
    """torchvision's RandomResizedCrop.get_params with a numpy Generator."""
    area = w * h
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(10):
        target = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(log_lo, log_hi))
        cw = int(round(math.sqrt(target * aspect)))
        ch = int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            y = int(rng.integers(0, h - ch + 1))
            x = int(rng.integers(0, w - cw + 1))
            return x, y, cw, ch
    in_ratio = w / h
    if in_ratio < ratio[0]:
        cw, ch = w, int(round(w / ratio[0]))
    elif in_ratio > ratio[1]:
        ch, cw = h, int(round(h * ratio[1]))
    else:
        cw, ch = w, h
    cw, ch = max(1, min(cw, w)), max(1, min(ch, h))
    return (w - cw) // 2, (h - ch) // 2, cw, ch


def center_origin(cur, size):
    """torchvision's CenterCrop origin of a (w, h) window in a (W, H) image:
    ``int(round((W - w) / 2))`` (half to even) on each axis."""
    return int(round((cur[0] - size[0]) / 2.0)), int(round((cur[1] - size[1]) / 2.0))


def _crop_window(g, rng, taken, cur, size):
    """Crop a ``size`` window of the (width, height) ``cur`` image: at
    torchvision's centre origin when ``rng`` is None, else at a uniform
    random origin (x drawn before y)."""
    cw, ch = size
    if rng is None:
        x, y = center_origin(cur, size)
    else:
        x = int(rng.integers(0, cur[0] - cw + 1))
        y = int(rng.integers(0, cur[1] - ch + 1))
    g.crop(x, y, cw, ch)
    taken.append({"op": "crop", "box": (x, y, cw, ch)})


def _plan_geometry(steps, w, h, rng, where):
    """Draw the random parameters and compose the geometry of one image:
    each step plans itself, in order.

    Returns the geometry and the list of concrete steps taken (replayable).
    """
    g = _Geometry(w, h)
    taken = []
    for k, st in enumerate(steps):
        st.plan(g, rng, taken, where, k)
    return g, taken


# --------------------------------------------------------------------------
# channels and normalisation of one channel count


class _Epilogue:
    """Arguments of K.epilogue for one (input channels, dtype): per output
    channel a code (input index, K.CH_GRAY or K.CH_CONST), the normalisation
    ``mul`` and ``add`` (float32) and the constant (float64); ``kind``,
    ``hi`` (the integer image's full scale, 0 for float32), output channels
    and dtype, layout; ``identity``: the output is the input."""

    __slots__ = ("code", "mul", "add", "const", "kind", "hi", "cout", "dtype", "chw", "identity")

    def args(self):
        return (self.code, self.mul, self.add, self.const, self.kind, self.hi)


def _channel_codes(to, cin, alpha, full, dtype, where):
    """(channel code per output channel, constant per output channel)."""
    a = V.conversion(to, cin, alpha, full, dtype, where)
    if to is None:
        return list(range(cin)), [0.0] * cin
    if to == "gray":
        return ([0] if cin == 1 else [K.CH_GRAY]), [0.0]
    rgb = [0, 0, 0] if cin == 1 else [0, 1, 2]
    if to in ("bgr", "bgra"):
        rgb = rgb[::-1]
    consts = [0.0] * 3
    if to in ("rgba", "bgra"):
        rgb.append(3 if cin == 4 else K.CH_CONST)
        consts.append(float(np.dtype(dtype).type(a)) if cin != 4 else 0.0)
    return rgb, consts


def _epilogue(conv, norm, cin, dtype, where, step_index):
    dtype = np.dtype(dtype)
    full = V.FULL_SCALE[dtype]
    codes, consts = _channel_codes(conv.to if conv else None, cin, conv.alpha if conv else None, full, dtype, where)
    cout = len(codes)
    e = _Epilogue()
    e.cout = cout
    e.code = np.array(codes, np.int64)
    e.const = np.array(consts, np.float64)
    if norm is not None:
        V.normalize_channels(norm, cout, where, step_index)
        scale = norm.scale if norm.scale is not None else full
        mean = np.broadcast_to(np.array(norm.mean, np.float64), (cout,))
        std = np.broadcast_to(np.array(norm.std, np.float64), (cout,))
        mul, add = 1.0 / (scale * std), -mean / std
        e.kind = K.EPI_F16 if norm.dtype == "float16" else K.EPI_F32
        e.dtype = np.dtype(norm.dtype)
        e.chw = norm.layout == "chw"
    else:
        mul, add = np.ones(cout), np.zeros(cout)
        e.kind = K.EPI_RAW
        e.dtype = dtype
        e.chw = False
    e.mul = np.ascontiguousarray(mul, np.float32)
    e.add = np.ascontiguousarray(add, np.float32)
    e.hi = int(full) if dtype != np.float32 else 0
    e.identity = norm is None and codes == list(range(cin))
    return e


def _mixes(conv, cin):
    """The conversion computes a channel from several (gray of RGB[A]): it
    does not commute with resampling, so it runs before a resize placed
    after it."""
    return conv is not None and conv.to == "gray" and cin in (3, 4)


def _adds_constant(conv, cin):
    return conv is not None and conv.to in ("rgba", "bgra") and cin != 4


# A constant channel stays constant through a uint8 resize when every window
# has fewer taps than this: each 22-bit weight is rounded by at most 1/2, so a
# window's sum is off 2**22 by at most taps/2, and (a * sum + 2**21) >> 22 == a
# for every a <= 255 while 255 * taps / 2 < 2**21.  uint16 and float32 sum in
# double: constants survive any window (Pillow's consistency tests).
_CONST_SAFE_TAPS = (1 << 22) // 255


def _max_taps(n, resized, name, antialias):
    """An upper bound of the taps of the (n -> resized) table (Pillow's ksize)."""
    if name == "nearest" or resized == n:
        return 1
    support = FILTERS[name][1] * (max(n / resized, 1.0) if antialias else 1.0)
    return int(math.ceil(support)) * 2 + 1


# --------------------------------------------------------------------------
# the pipeline


def key_seed(*parts) -> int:
    """A seed derived from ``parts`` (a run's seed and a stable key: a path, a
    row id, an epoch and index), the same in every process and run."""
    digest = hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


class _SeededDraws:
    """The Generator of a validated seed, made at its first draw: a pipeline
    that draws nothing (no random step) does not pay numpy's 15-25 us per
    Generator, once per file of a CLI run."""

    __slots__ = ("_seed", "_rng")

    def __init__(self, seed):
        self._seed, self._rng = seed, None

    def __getattr__(self, name):  # random, uniform, integers: the Generator's
        if self._rng is None:
            seed = self._seed
            self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return getattr(self._rng, name)


def _generators(seed, n):
    """One Generator shared by all images, or one per image from a sequence
    of seeds (each seed checked now, its Generator made when first drawn from)."""
    if isinstance(seed, (list, tuple, np.ndarray)):
        seeds = list(np.asarray(seed).tolist()) if isinstance(seed, np.ndarray) else list(seed)
        V.seed_count(seeds, n)
        return [_SeededDraws(V.seed_value(s, f"seed[{i}]")) for i, s in enumerate(seeds)]
    rng = _SeededDraws(V.seed_value(seed, "seed"))
    return [rng] * n


class Pipeline:
    """A sequence of steps run per image in one kernel call per task.

    Steps: Crop, CenterCrop, RandomCrop, Resize (modes exact / shorter /
    longer / fill), RandomResizedCrop, HorizontalFlip, VerticalFlip,
    ConvertChannels, Normalize.  At most one resizing step; at most one
    ConvertChannels; Normalize last.  The result equals running the steps one
    by one (flips placed before the resize use mirrored coefficient tables,
    so that holds exactly even where Pillow's tables are not symmetric).

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> pipe = ts.Pipeline([ts.Resize((8, 6)), ts.ConvertChannels("gray")])
    >>> pipe(np.zeros((2, 30, 40, 3), np.uint8)).shape  # an array in, an array out
    (2, 6, 8, 1)
    >>> ts.Pipeline([ts.Normalize(0.5, 0.5), ts.HorizontalFlip()])
    Traceback (most recent call last):
    ValueError: steps[0] Normalize must be the last step
    """

    def __init__(self, steps: Union[Step, Sequence[Step]]):
        if isinstance(steps, Step):
            steps = [steps]
        resize_at, conv_at = V.pipeline_steps(steps, Step)
        self.steps = tuple(steps)
        self._geo = [st for st in self.steps if not (st.converts or st.normalizes)]
        self._conv = steps[conv_at] if conv_at is not None else None
        # a conversion placed before the resize (see _pre)
        self._conv_first = conv_at is not None and resize_at is not None and conv_at < resize_at
        self._norm = steps[-1] if steps and steps[-1].normalizes else None
        self._norm_index = len(steps) - 1
        self._epi_cache = {}
        self.random = any(st.random for st in self.steps)

    def __repr__(self):
        return f"Pipeline({list(self.steps)!r})"

    def _pre(self, g, cin, dtype):
        """Whether the conversion must run on the source before resampling:
        it is placed before the resize and does not commute with it (gray
        mixes channels; an added constant alpha can drift in a uint8 resize
        of very many taps per window).  Elsewhere it runs in the epilogue
        (channel selections and constants commute exactly with resampling)."""
        if not self._conv_first or not g.resize:
            return False
        if _mixes(self._conv, cin):
            return True
        if _adds_constant(self._conv, cin) and np.dtype(dtype) == np.uint8:
            name, aa = g.resize
            taps = max(_max_taps(g.sh, g.rh, name, aa), _max_taps(g.sw, g.rw, name, aa))
            return taps >= _CONST_SAFE_TAPS
        return False

    def _epi(self, cin, dtype, where, pre):
        """(epilogue of the conversion run first or None, the task's epilogue)."""
        key = (cin, np.dtype(dtype), pre)
        e = self._epi_cache.get(key)
        if e is None:
            if pre:
                first = _epilogue(self._conv, None, cin, dtype, where, self._norm_index)
                e = first, _epilogue(None, self._norm, first.cout, dtype, where, self._norm_index)
            else:
                e = None, _epilogue(self._conv, self._norm, cin, dtype, where, self._norm_index)
            self._epi_cache[key] = e
        return e

    @staticmethod
    def _shape(e, w, h):
        return (e.cout, h, w) if e.chw else (h, w, e.cout)

    def __call__(self, images, *, seed: Union[Seed, Sequence[int]] = None, return_params: bool = False,
                 out: Optional[np.ndarray] = None, mode: str = "rgb", reducing_gap: Optional[float] = 2.0):
        """Run on a list of (H, W[, C]) images or one (N, H, W, C) array, or
        on a list of image files (paths or encoded bytes; see below).

        ``seed``: None, an int, a numpy Generator (draws in image order), or a
        sequence of ints, one per image (each image its own stream: results
        do not depend on how images are batched).  ``out``: a preallocated
        C-contiguous (N, ...) array of the output dtype to write into (e.g. a
        pinned batch buffer).  Returns a list for list input, an array for
        array input or ``out``; with ``return_params`` also one dict per image:
        ``source_size``, ``size`` (output width, height), ``source_box`` (the
        source region covered, floats), ``flip`` and ``steps`` (the concrete
        steps taken, random values drawn).

        Files (see trainingsample.io) are decoded in ``mode`` ("rgb", "gray",
        "rgba", "keep") as uint8, EXIF orientation applied.  The geometry is
        drawn on the header's size, before any pixel is decoded; a JPEG is
        then decoded at the largest scale of 1/2, 1/4, 1/8 that keeps at least
        ``reducing_gap`` times the resize's output resolution over the window
        the pipeline keeps, and that window is resampled from the reduced
        image as a fractional span.  ``reducing_gap=None`` decodes in full:
        the result is then exactly that of the decoded array.  Boxes in
        ``return_params`` are in the source's pixels; ``"decode_scale"`` is
        the scale used.  A file that cannot be decoded raises
        trainingsample.io.DecodeError naming it.
        """
        if isinstance(images, (list, tuple)) and images and all(map(is_source, images)):
            return self._call_files(images, seed, return_params, out, mode, reducing_gap)
        batch = V.as_batch(images)
        return_params = V.flag(return_params, "return_params")
        rngs = _generators(seed, batch.count)
        n = batch.count
        geos, params, shapes, epis, pres = [], [], [], [], []
        for i in range(n):
            img = batch.image(i)
            h, w, _ = img.shape
            g, taken, pre, e = self._plan(img.shape, img.dtype, rngs[i], f"images[{i}]")
            geos.append(g)
            epis.append(e)
            pres.append(pre)
            shapes.append(self._shape(e, *g.size))
            if return_params:
                params.append(self._params(g, w, h, taken))
        if n == 0 and batch.is_array and out is None:
            return (self._empty(batch), params) if return_params else self._empty(batch)
        result = self._execute(batch, geos, pres, epis, shapes, out)
        return (result, params) if return_params else result

    @staticmethod
    def _params(g, w, h, taken):
        return {"source_size": (w, h), "size": g.size, "source_box": g.source_box(),
                "flip": (g.flip_h, g.flip_v), "steps": taken}

    def _call_files(self, sources, seed, return_params, out, mode, reducing_gap):
        """The pipeline over image files: header, geometry, reduced decode, run."""
        return self.run(self.prepare(sources, seed=seed, mode=mode, reducing_gap=reducing_gap),
                        return_params=return_params, out=out)

    def prepare(self, sources: Sequence[Source], *, seed: Union[Seed, Sequence[int]] = None, mode: str = "rgb",
                reducing_gap: Optional[float] = 2.0, errors: str = "raise"):
        """The first half of a call on files: read the headers, draw the
        geometry, decode (at reduced scale) -- no kernel runs, so it needs
        no compiled code.  ``run`` does the rest; ``pipe(files, ...)`` is
        ``pipe.run(pipe.prepare(files, ...))``.

        ``errors``: "raise" (a trainingsample.io.DecodeError naming the
        file; every header is read before any file is decoded) or "skip": a file that cannot be read or decoded is left out
        and the rest go on, each decoded once; the result's ``kept`` lists
        the indices of the sources it holds, ``failed`` the (index,
        DecodeError) of the others.  The random draws of every file are the
        same either way (a sequence of seeds: each file its own)."""
        from . import io as tio

        V.source_list(sources, is_source)
        tio._check_mode(mode)
        reducing_gap = V.reducing_gap(reducing_gap)
        skip = V.choice(errors, PREPARE_ERRORS, "errors") == "skip"
        n = len(sources)
        rngs = _generators(seed, n)
        infos = [tio._attempt(skip, tio.probe, s) for s in sources]
        plans = []
        for i, info in enumerate(infos):
            if isinstance(info, tio.DecodeError):
                plans.append(None)
                continue
            g, taken = _plan_geometry(self._geo, info.width, info.height, rngs[i], f"images[{i}] ({info.name})")
            scale = 1
            if g.resize and g.resize[0] != "nearest" and g.mirror == (False, False):
                scale = tio.choose_scale(info, (g.sw, g.sh), (g.rw, g.rh), reducing_gap)
            plans.append((g, taken, scale))
        # each source's decoded array, or the DecodeError of its header or data
        outcome = list(infos)
        probed = [i for i, p in enumerate(plans) if p is not None]
        for i, a in zip(probed, _decode_all([infos[i] for i in probed], mode, [plans[i][2] for i in probed], skip)):
            outcome[i] = a
        kept = [i for i, o in enumerate(outcome) if not isinstance(o, tio.DecodeError)]
        failed = [(i, o) for i, o in enumerate(outcome) if isinstance(o, tio.DecodeError)]
        arrays = [outcome[i] for i in kept]
        batch = V.as_batch(arrays)
        geos, params, shapes, epis, pres = [], [], [], [], []
        for i, (source_index, array) in enumerate(zip(kept, arrays)):
            (g, taken, scale), info = plans[source_index], infos[source_index]
            c = array.shape[2]
            rw, rh = tio.reduced_size(info, scale)
            # the reduced geometry is a copy taken before finish folds the axes that are not resized
            run = g.reduced(rw / info.width, rh / info.height, rw, rh) if scale > 1 else g
            g.finish()
            pre, e = self._epi(c, np.uint8, f"images[{i}]", self._pre(run, c, np.uint8))
            geos.append(run)
            epis.append(e)
            pres.append(pre)
            shapes.append(self._shape(e, *g.size))
            p = self._params(g, info.width, info.height, taken)
            p["decode_scale"] = scale
            params.append(p)
        return _Prepared(self, batch, geos, pres, epis, shapes, params, kept, failed)

    def run(self, prepared, *, return_params: bool = False, out: Optional[np.ndarray] = None):
        """Run the kernels on what ``prepare`` made (see __call__)."""
        V.prepared_by(prepared, _Prepared, self)
        return_params = V.flag(return_params, "return_params")
        p = prepared
        result = self._execute(p.batch, p.geos, p.pres, p.epis, p.shapes, out)
        return (result, p.params) if return_params else result

    def _execute(self, batch, geos, pres, epis, shapes, out):
        V.output_budget([int(np.prod(s)) * e.dtype.itemsize for s, e in zip(shapes, epis)], "pipeline")
        outs, full = self._outputs(batch, shapes, epis, out)
        self._run(batch, geos, pres, epis, outs, full)
        return self._finish(batch, outs, full)

    def warm(self, channels: int = 3, dtype: str = "uint8") -> None:
        """Load (or compile) the kernels this pipeline runs on images of
        ``channels`` and ``dtype``, in the calling thread and on the pool:
        call it before forking workers (the preprocess CLI and
        ``data_loader`` do), so that each does not load them again."""
        from ._engine import limit_threads

        dt = np.dtype(dtype)
        with limit_threads(1):  # a small image: the kernels of the calling thread
            out = self([np.zeros((96, 128, channels), dt)])
            if out[0].dtype in (np.uint8, np.uint16) and out[0].ndim == 3:
                from .color import calculate_luminance

                calculate_luminance(out[0])
        if _engine.get_num_threads() > 1:
            self([np.zeros((768, 1024, channels), dt)])  # work enough for the pool's kernels

    def image(self, image: Image, *, seed: Seed = None, return_params: bool = False):
        """Run on one (H, W[, C]) image; returns one array (and its params)."""
        batch = V.single_batch(image)
        res = self([batch.arrays[0][0]], seed=seed, return_params=return_params)
        outs, params = res if return_params else (res, None)
        out = outs[0]
        if batch.squeeze[0] and self._norm is None and out.shape[2] == 1:
            out = out[:, :, 0]  # a 2-D image stays 2-D, as in the list form
        return (out, params[0]) if return_params else out

    # ---- outputs

    def _plan(self, shape, dtype, rng, where):
        """``(geometry, steps taken, conversion run first or None, epilogue)``
        of one (H, W, C) image."""
        h, w, c = shape
        g, taken = _plan_geometry(self._geo, w, h, rng, where)
        g.finish()
        pre, e = self._epi(c, dtype, where, self._pre(g, c, dtype))
        return g, taken, pre, e

    def _empty(self, batch):
        """An empty (0, H, W, C) array gives (0, ...) of the shape and dtype
        each of its images would have (the steps are checked against (H, W)
        as for any image; no caller's generator is drawn from)."""
        shape, dtype = batch.arrays[0].shape[1:], batch.arrays[0].dtype
        if not all(shape):
            return np.empty((0, 0, 0, shape[2]), dtype)
        g, _, _, e = self._plan(shape, dtype, np.random.default_rng(0), "images")
        return np.empty((0,) + self._shape(e, *g.size), e.dtype)

    def _outputs(self, batch, shapes, epis, out):
        """One (1, ...) output view per image, and the (N, ...) array they
        are views of (None when every image has its own array)."""
        n = batch.count
        if out is not None:
            V.out_array(out, shapes, n, epis[0].dtype if n else None)
            return [out[i : i + 1] for i in range(n)], out
        if batch.is_array and n and len(set(shapes)) == 1:
            full = np.empty((n,) + shapes[0], epis[0].dtype)
            return [full[i : i + 1] for i in range(n)], full
        return [np.empty((1,) + s, e.dtype) for s, e in zip(shapes, epis)], None

    def _finish(self, batch, outs, full):
        # an array batch has no ``full`` only when its outputs' shapes differ
        return full if full is not None else _apply.finish(batch, outs, keep_2d=self._norm is None)

    # ---- execution

    def _items(self, batch, geos, pres, epis, outs, full):
        """Group images into kernel items ``(source region, geometry,
        conversion run first, epilogue, output)``: an array batch whose
        images share one geometry runs as one item over all its frames."""
        n = batch.count
        if batch.is_array and n > 1 and not self.random and full is not None:
            items = [(batch.arrays[0], geos[0], pres[0], epis[0], full)]
        else:
            items = [(batch.image(i)[None], geos[i], pres[i], epis[i], outs[i]) for i in range(n)]
        return [(src[:, g.sy : g.sy + g.sh, g.sx : g.sx + g.sw], g, pre, e, dst) for src, g, pre, e, dst in items]

    def _run(self, batch, geos, pres, epis, outs, full):
        items = self._items(batch, geos, pres, epis, outs, full)
        jobs = []  # conversions placed before the resize that do not commute with it
        for k, (src, g, pre, e, dst) in enumerate(items):
            if pre is not None:
                converted = np.empty(src.shape[:3] + (pre.cout,), src.dtype)
                jobs.append((src, converted, pre.args()))
                items[k] = (converted, g, None, e, dst)
        if jobs:
            _apply.run([d for _, d, _ in jobs], [
                _apply.ItemCall(functools.partial(K.epilogue, s, d, *args, False, False, False, 0, s.shape[1]),
                                d.shape[2] * d.shape[3] * 4)
                for s, d, args in jobs])
        calls = []
        for src, g, _, e, dst in items:
            call, rows, work = self._task(src, g, e, dst)
            calls.append(_apply.ItemCall(call, work, rows=rows))
        _apply.run([dst for *_, dst in items], calls)

    def _task(self, src, g, e, dst):
        """``(call(f0, f1, y0, y1), rows, work per row)`` for one item whose
        ``src`` is the source region."""
        ow, oh = g.size
        flip_h, flip_v = g.flip_h, g.flip_v
        if g.resize:
            name, aa = g.resize
            rh, rw, py, px = g.rh, g.rw, g.py, g.px
            mirror = g.mirror
            if name != "nearest" and src.dtype != np.uint8 and (mirror[0] or mirror[1]):
                # A flip before the resize: uint8 sums integers, so mirrored
                # tables give exactly the flipped image's result; uint16 and
                # float32 sum in double, whose rounding depends on the order
                # of the taps, so they resample the flipped view with the
                # plain tables, as the steps run one by one do.
                if mirror[0] and rh != src.shape[1]:
                    src, py, flip_v = src[:, ::-1], rh - py - oh, not flip_v
                if mirror[1] and rw != src.shape[2]:
                    src, px, flip_h = src[:, :, ::-1], rw - px - ow, not flip_h
                mirror = (False, False)
            r = resample_setup(src, oh, ow, src.dtype, name, aa, (rh, rw, py, px), mirror, g.boxes)
        else:
            r = copy_plan(src)
        if e.identity and not (flip_h or flip_v):
            # plain geometry: resample (or copy) straight into the output
            rc = resample_call(src, dst, r)
            return rc.call, oh, rc.work
        kdst = dst.view(np.uint16) if e.kind == K.EPI_F16 else dst
        epi_work = ow * e.cout * 4
        epi = e.args() + (flip_h, flip_v, e.chw)
        if r.mode == "copy":
            return (lambda f0, f1, y0, y1: K.epilogue(src, kdst, *epi, 0, oh, f0, f1, y0, y1)), oh, epi_work
        if r.mode == "nearest":
            xi, yi = r.xi, r.yi

            def fused_nearest(f0, f1, y0, y1):
                K.pipeline_nearest(src, xi, yi, kdst, *epi, f0, f1, y0, y1)

            return fused_nearest, oh, r.work + epi_work
        args = r.kernel_sources() + r.tables.kernel_args() + (kdst,) + epi
        run = K.PIPELINE[r.tables.order]

        def fused(f0, f1, y0, y1):
            run(*args, f0, f1, y0, y1)

        return fused, oh, r.work + epi_work


class _Prepared(NamedTuple):
    """Decoded files and their plans (Pipeline.prepare)."""

    pipeline: "Pipeline"
    batch: object
    geos: list
    pres: list
    epis: list
    shapes: list
    params: list
    kept: list
    failed: list


PREPARE_ERRORS = ("raise", "skip")


def _decode_all(infos, mode, scales, skip):
    """Decode probed files at their scales, in threads when there are
    several; with ``skip``, a file that fails gives its DecodeError instead
    (io._attempt)."""
    from . import io as tio

    def one(k):
        return tio._attempt(skip, tio.decode, infos[k], mode, scales[k])

    threads = min(len(infos), _engine.get_num_threads())
    if threads <= 1:
        return [one(k) for k in range(len(infos))]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as ex:
        return list(ex.map(one, range(len(infos))))


def normalize(images: Images, mean: Union[float, Sequence[float]], std: Union[float, Sequence[float]], *,
              dtype: str = "float32", layout: str = "chw", scale: Optional[float] = None, out: Optional[np.ndarray] = None):
    """``(pixel / scale - mean) / std`` per channel, in one pass.

    ``images``: a list of (H, W[, C]) images or one (N, H, W, C) array
    (numpy or CPU torch tensors).  Returns float32 (or float16) arrays in
    ``layout`` "chw" (default) or "hwc": a list for list input, an (N, ...)
    array for array input, or ``out`` when given (a preallocated C-contiguous
    batch, e.g. ``torch.empty(...).numpy()``).  Outputs are C-contiguous, so
    ``torch.from_numpy`` shares their memory.

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> x = ts.normalize(np.full((1, 2, 2, 3), 51, np.uint8), 0.2, 0.5)
    >>> x.shape, x.dtype.name, float(np.abs(x).max()) < 1e-6
    ((1, 3, 2, 2), 'float32', True)
    """
    pipe = Pipeline([Normalize(mean, std, dtype=dtype, layout=layout, scale=scale)])
    return pipe(images, out=out)


__all__ = [
    "Pipeline", "Step", "Crop", "CenterCrop", "RandomCrop", "Resize", "RandomResizedCrop", "HorizontalFlip",
    "VerticalFlip", "ConvertChannels", "Normalize", "normalize", "IMAGENET_MEAN", "IMAGENET_STD", "RESIZE_MODES",
]
