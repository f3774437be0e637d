"""Antialiased separable resampling of images and video frames (Pillow's model).

Per (input size, output size, filter, antialias) the coefficients are
computed once and cached (see _coeffs.py).  Each resize runs the two 1-D
passes in Pillow's order (antialias=False: mostly the cheaper one, see
pass_order); the intermediate band stays in cache and has the output dtype,
as in Pillow.  Work is split over frames and output row bands.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar, NamedTuple, Optional

import numpy as np

from . import _apply, _engine
from . import kernels as K
from . import _validate as V
from ._types import Image, Images, List, Size, Sizes, Union
from ._coeffs import ALIASES, INTERPOLATIONS, NONNEGATIVE, PRECISION_BITS, coefficients, mirrored, nearest_indices

# Cost of moving one element into or out of the transposed tile of the
# horizontal pass, in vertical taps (contiguous multiply-adds); chooses the
# pass order.  Timed on Zen 5: about 0.13-0.2 ns per element moved against
# 0.035-0.05 ns per tap.
TILE_COST = 4.0
# Bytes of intermediate rows a task keeps between the two passes.
TMP_BYTES = 512 * 1024
# Bytes of the transposed tile of the horizontal pass, and its most rows.
TILE_BYTES = 512 * 1024
TILE_ROWS = 64
# antialias=False outputs of at most this many pixels take Pillow's pass order.
SMALL_OUTPUT = 64 * 64
# Compact the horizontal pass's columns when the filter windows leave at
# least this fraction of the spanned columns unread (antialias=False downscales).
GAP_FRACTION = 0.25

# Work of one output pixel of the pixel-pair kernel, for splitting it into
# tasks only (never changes a result): 6 element-operations per channel (two
# vertical and one horizontal blend of two taps) plus 4 element moves (each
# TILE_COST) to gather the pixel pairs.  An estimate by operation count, not
# timed on its own.
PAIR_OPS_PER_CHANNEL = 6
PAIR_MOVES = 4

# Take K._pairs when it applies (tests switch it off to compare with ORDER_VH).
PAIRS = True
# When the pixel-pair kernel runs instead of ORDER_VH's kernel (the same
# results either way: a choice of speed only).  Timed against ORDER_VH on
# the benchmark's 2-core EPYC, antialias=False bilinear downscales of
# 375x500 to 1000x1000 and 1080x1920 sources, single thread: pixels of 3-16
# bytes (one copy each) took 0.39-0.89x ORDER_VH's time where the windows
# leave columns unread; where every column is read, 0.57-0.95x for uint8
# and float32 and 0.65-1.41x for uint16 (not taken).  Pixels of 1-2 or over
# 16 bytes are copied element by element: 1.8-3.5x (not taken).
PAIR_PIXEL_BYTES = (3, 16)
PAIR_DENSE_DTYPES = frozenset({np.dtype(np.uint8), np.dtype(np.float32)})

_NO_BOUNDS = np.zeros((1, 2), np.int32)
# dtype -> a (1, 2, 1) array numba types as "any" layout (see ConvPlan.kernel_sources)
_STRIDED_STANDIN = {np.dtype(d): np.zeros((1, 2, 2), d)[:, :, :1] for d in (np.uint8, np.uint16, np.float32)}
# dtype -> (weights kind, accumulator start, shift (None: float), clamp
# maximum as an int32: see the kernels' _store).  uint8 is Pillow's 8-bit
# fixed point; uint16 and float32 sum in double, as Pillow 13's I;16 and F
# paths do (22-bit weights lost up to 5 levels of uint16 on large
# downscales; float32 sums drifted off constants and overflowed near 3.4e38).
_ARITHMETIC = {
    np.dtype(np.uint8): ("int32", np.int32(1 << (PRECISION_BITS - 1)), PRECISION_BITS, np.int32(255)),
    np.dtype(np.uint16): ("float64", np.float64(0.0), None, np.int32(65535)),
    np.dtype(np.float32): ("float64", np.float64(0.0), None, np.int32(0)),
}


def _taps(bounds):
    """(mean taps per output, distinct inputs read) of a monotone table.

    The second is the span from the first tap to the last, capped by the tap
    total (it overcounts only when windows leave gaps, antialias=False
    downscales) -- cheap enough to evaluate per image.
    """
    n = bounds.shape[0]
    total = int(bounds[:, 1].sum())
    span = int(bounds[n - 1, 0]) + int(bounds[n - 1, 1]) - int(bounds[0, 0])
    return total / n, min(total, span)


def _columns_read(bh):
    """``(first, span, read, gaps)`` of a table whose starts never decrease
    (every table of this module): its first input column, the columns from
    there to the end of the last window, how many of them some window reads
    -- the span less the holes before each window that starts beyond every
    earlier window's end (a few array operations, where marking each
    window's columns took 16 us per table) -- and whether the unread ones
    are enough (GAP_FRACTION) for the horizontal pass to read only the
    others (see h_layout)."""
    starts = bh[:, 0].astype(np.int64)
    ends = starts + bh[:, 1]
    reach = np.maximum.accumulate(ends)
    first = int(starts[0])
    span = int(reach[-1]) - first
    read = span - int(np.subtract(starts[1:], reach[:-1]).clip(0).sum())
    return first, span, read, read <= (1 - GAP_FRACTION) * span


def h_layout(bh, c, itemsize):
    """How the horizontal pass reads its input columns.

    Returns ``(table, (cols, col0, ncol, rows))``: the tile holds ``ncol``
    input columns -- ``cols`` when the windows leave gaps (only read columns
    are transposed), else the range from ``col0`` -- and ``rows`` input rows;
    ``table`` is ``bh`` with its first taps counted in tile columns.
    """
    first, span, ncol, gaps = _columns_read(bh)
    if gaps:
        used = np.zeros(span + 1, np.int64)
        np.add.at(used, bh[:, 0] - first, 1)
        np.add.at(used, bh[:, 0] + bh[:, 1] - first, -1)
        used = np.cumsum(used[:-1]) > 0
        cols = (np.flatnonzero(used) + first).astype(np.int64)
        index = np.cumsum(used) - 1  # tile column of each spanned input column
        table = bh.copy()
        table[:, 0] = index[bh[:, 0] - first]
        col0 = 0
    else:
        cols, col0, ncol = np.zeros(0, np.int64), first, span
        table = bh.copy()
        table[:, 0] -= first
    rows = max(1, min(TILE_ROWS, TILE_BYTES // max(1, ncol * c * itemsize)))
    rows = max(rows, -(-16 // c))  # at least one vector of lanes
    if rows > K.GROUP:
        rows -= rows % K.GROUP  # whole groups of the transposition
    return table, (cols, col0, ncol, rows)


def _h_cost(rows, ncol, ow, c, kh):
    """Element-operations of the horizontal pass over ``rows`` input rows."""
    return rows * c * (ncol * TILE_COST + ow * kh + ow * TILE_COST)


def order_work(order, h, w, c, oh, ow, bv, bh, ncol=None):
    """Estimated element-operations per output row of resizing (h, w) to
    (oh, ow) in ``order`` (K.ORDER_V, ORDER_H, ORDER_VH or ORDER_HV) with the
    tables ``bv``, ``bh``; ``ncol``: input columns the horizontal pass reads
    (default: all)."""
    ncol = w if ncol is None else ncol
    if order == K.ORDER_V:
        return w * c * _taps(bv)[0]
    if order == K.ORDER_H:
        return _h_cost(1, ncol, ow, c, _taps(bh)[0])
    (kv, rows_touched), (kh, _) = _taps(bv), _taps(bh)
    if order == K.ORDER_VH:
        return (oh * w * c * kv + _h_cost(oh, ncol, ow, c, kh)) / oh
    return (_h_cost(rows_touched, ncol, ow, c, kh) + oh * ow * c * kv) / oh


def _unchanged(n, resized, box=None):
    """An axis of ``n`` pixels is left as it is: same size, and no fractional
    span of it resampled (``box``, see coefficients)."""
    return resized == n and box is None


def choose_order(h, w, c, oh, ow, bv, bh, ncol=None, boxes=(None, None)):
    """The cheaper of ORDER_VH and ORDER_HV (ORDER_V / ORDER_H when only one
    size changes and no span of it is resampled) and its order_work."""
    same_h = _unchanged(w, ow, boxes[1])
    if same_h or _unchanged(h, oh, boxes[0]):
        order = K.ORDER_V if same_h else K.ORDER_H
        return order, order_work(order, h, w, c, oh, ow, bv, bh, ncol)
    v_first = order_work(K.ORDER_VH, h, w, c, oh, ow, bv, bh, ncol)
    h_first = order_work(K.ORDER_HV, h, w, c, oh, ow, bv, bh, ncol)
    return (K.ORDER_VH, v_first) if v_first <= h_first else (K.ORDER_HV, h_first)


def pillow_vertical_first(h, w, oh, ow):
    """Pillow 13's pass order (Resample.c, ImagingResampleInner, since
    Pillow PR #9549): the vertical pass first when the height shrinks, and by
    more than twice as many pixels as the width does.  Pillow 12 and earlier
    always ran the horizontal pass first."""
    return (h - oh) > 0 and (h - oh) > 2 * (w - ow)


@functools.lru_cache(maxsize=256)
def pass_order(h, w, c, rh, rw, dtype, name, antialias, pairs=True, boxes=(None, None)):
    """The pass order whose results resizing (h, w) -> (rh, rw) has.

    K.ORDER_V / ORDER_H when one size changes, else ORDER_VH or ORDER_HV:
    with ``antialias`` (Pillow's model), Pillow 13's order
    (pillow_vertical_first), for every filter and dtype -- the rounded (and
    for uint8 clamped) intermediate makes the order visible, by one grey
    level in about a fifth of the pixels of a bilinear 500x375 -> 298x224;
    without it (OpenCV's unscaled support, which no peer computes in
    Pillow's arithmetic), Pillow's order too for filters with negative lobes
    and outputs of at most SMALL_OUTPUT pixels, else the cheaper order, and
    vertical-first wherever the pixel-pair kernel applies (its results are
    vertical-first's).
    It depends only on the whole resize, never on the part of its output
    that is kept, so a fused pipeline computes every kept pixel exactly as
    the steps run one by one do.  ``boxes``: (vertical, horizontal) spans
    resampled (see coefficients); an axis with a span is always resampled.
    """
    same_v, same_h = _unchanged(h, rh, boxes[0]), _unchanged(w, rw, boxes[1])
    if same_v or same_h:
        return K.ORDER_H if same_v else K.ORDER_V
    if antialias or name not in NONNEGATIVE or rh * rw <= SMALL_OUTPUT:
        return K.ORDER_VH if pillow_vertical_first(h, w, rh, rw) else K.ORDER_HV
    kind = _ARITHMETIC[dtype][0]
    bv, _ = coefficients(h, rh, name, antialias, kind, boxes[0])
    bh, _ = coefficients(w, rw, name, antialias, kind, boxes[1])
    _, span, read, gaps = _columns_read(bh)
    ncol = read if gaps else span  # the columns h_layout's tiles hold
    if pairs and gaps and _few_taps(bv) and _few_taps(bh):
        return K.ORDER_VH
    return choose_order(h, w, c, rh, rw, bv, bh, ncol, boxes)[0]


class HLayout(NamedTuple):
    """The horizontal pass's column layout (see h_layout): ``cols`` the input
    columns some window reads (empty: all of them), ``col0`` the first one,
    ``ncol`` how many, ``tile_rows`` the rows it transposes per tile.  The
    kernels take it as a plain tuple (``kernel_tuple``)."""

    cols: np.ndarray
    col0: int
    ncol: int
    tile_rows: int

    def kernel_tuple(self):
        return (self.cols, self.col0, self.ncol, self.tile_rows)


@dataclass(frozen=True, slots=True)
class ConvTables:
    """What a convolution plan holds that does not depend on the source's
    memory (memoised by _conv_plan; the arrays are shared, never written).

    ``bv``/``wv``: the vertical pass's (out rows, 2) bounds and weights,
    ``bh``/``wh`` the horizontal pass's; ``layout`` its HLayout; ``order``
    one of K.ORDER_*; ``work`` element-operations per output row;
    ``max_tmp_rows`` the intermediate rows a task keeps; ``rnd``, ``shift``,
    ``hi`` the arithmetic (fixed point: rounding term and shift; float:
    ``shift`` None; ``hi`` the clamp, 0 for float32)."""

    bv: np.ndarray
    wv: np.ndarray
    bh: np.ndarray
    wh: np.ndarray
    layout: HLayout
    order: int
    work: float
    max_tmp_rows: int
    rnd: object
    shift: object
    hi: object

    def kernel_args(self):
        """The kernels' table arguments, in their order."""
        return (self.bv, self.wv, self.bh, self.wh, self.layout.kernel_tuple(),
                self.max_tmp_rows, self.rnd, self.shift, self.hi)


@dataclass(frozen=True, slots=True)
class CopyPlan:
    """Same size: a parallel copy.  ``work`` per output row."""

    work: float
    mode: ClassVar[str] = "copy"


@dataclass(frozen=True, slots=True)
class NearestPlan:
    """Nearest neighbour: output column j reads input column ``xi[j]``, row
    i reads ``yi[i]``."""

    xi: np.ndarray
    yi: np.ndarray
    work: float
    mode: ClassVar[str] = "nearest"


@dataclass(frozen=True, slots=True)
class ConvPlan:
    """A convolution of the 4-D ``src4`` (possibly a contiguous copy of the
    caller's view) with ``tables``; ``src3`` its (N, H, W*C) flat view, or
    None when its strides allow none (the kernels then read ``src4``)."""

    src4: np.ndarray
    src3: Optional[np.ndarray]
    tables: ConvTables
    mode: ClassVar[str] = "conv"

    @property
    def work(self):
        return self.tables.work

    @property
    def order(self):
        return self.tables.order

    def kernel_sources(self):
        """``(src4, src3, flat)`` for the kernels.  Without a flat view a
        strided stand-in (never read) takes src3's place: a source the
        kernels read through its 4-D strides is typed "any" layout, so
        (src4, src3) is always (C, C) or (any, any) -- two compiled
        signatures per kernel and dtype, whatever the source."""
        flat = self.src3 is not None
        return self.src4, (self.src3 if flat else _STRIDED_STANDIN[self.src4.dtype]), flat


def copy_plan(src4):
    """The plan of a same-size "resample" of ``src4``: a copy."""
    return CopyPlan(src4.shape[2] * src4.shape[3])


def resample_setup(src4, oh, ow, dtype, name, antialias, virtual=None, mirror=(False, False), boxes=(None, None)):
    """Plan resampling ``src4`` (N, H, W, C) into (N, oh, ow, C) of ``dtype``.

    ``virtual`` = (rh, rw, py, px): the output is rows py:py+oh and columns
    px:px+ow of the image resized to (rh, rw) -- a crop after a resize costs
    only the output pixels.  An axis that is not resized (rh == H) must have
    py == 0 and oh == H (crop the source view instead).  ``mirror`` =
    (vertical, horizontal): use the mirrored tables of that axis (the caller
    flips the output), for a flip that comes before the resize.  ``boxes`` =
    (vertical, horizontal) fractional spans (in0, in1) of the source resampled
    instead of the whole axis (Pillow's ``resize(box=...)``; convolution
    filters, no mirror).
    """
    n, h, w, c = src4.shape
    rh, rw, py, px = virtual if virtual is not None else (oh, ow, 0, 0)
    if name == "nearest":
        xi = (mirrored(w, rw, name) if mirror[1] else nearest_indices(w, rw))[px : px + ow]
        yi = (mirrored(h, rh, name) if mirror[0] else nearest_indices(h, rh))[py : py + oh]
        return NearestPlan(V.writable_flagged(xi), V.writable_flagged(yi), ow * c)
    if _unchanged(h, rh, boxes[0]) and _unchanged(w, rw, boxes[1]):
        return copy_plan(src4)
    tables = _conv_plan(h, w, c, oh, ow, np.dtype(dtype), name, bool(antialias), (rh, rw, py, px), (bool(mirror[0]), bool(mirror[1])), PAIRS, tuple(boxes))
    src3 = _apply.flat_rows(src4)
    if src3 is None and tables.order in (K.ORDER_V, K.ORDER_VH, K.ORDER_PAIRS):
        src4 = np.ascontiguousarray(src4)  # exotic strides: one copy, then fast paths
        src3 = _apply.flat_rows(src4)
    return ConvPlan(src4, src3, tables)


@functools.lru_cache(maxsize=256)
def _conv_plan(h, w, c, oh, ow, dtype, name, antialias, virtual, mirror, pairs, boxes=(None, None)):
    """Everything resample_setup plans for a convolution that does not depend
    on the source's memory: tables, pass order, work per row, intermediate
    rows and arithmetic -- memoised (about 13 us of reductions and small
    arrays per call otherwise).  The arrays are shared between calls and
    never written."""
    rh, rw, py, px = virtual
    kind, rnd, shift, hi = _ARITHMETIC[dtype]
    bv, wv = _axis_table(h, rh, py, oh, name, antialias, kind, mirror[0], boxes[0])
    itemsize = dtype.itemsize
    bh, wh, hl = _horizontal_table(w, rw, px, ow, name, antialias, kind, mirror[1], c, itemsize, boxes[1])
    order = pass_order(h, w, c, rh, rw, dtype, name, antialias, pairs, boxes)
    if order == K.ORDER_VH and pairs and _pairs_pay(c, dtype, hl.cols.size > 0) and _few_taps(bv) and _few_taps(bh):
        # one or two taps: gather the pixel pairs (same results as VH)
        order, work = K.ORDER_PAIRS, ow * (PAIR_OPS_PER_CHANNEL * c + PAIR_MOVES * TILE_COST)
        wv, wh = _two_columns(wv), _two_columns(wh)
    else:
        work = order_work(order, h, w, c, oh, ow, bv, bh, hl.ncol)
    tmp_row_bytes = (w if order == K.ORDER_VH else ow) * c * itemsize
    max_tmp_rows = max(1, TMP_BYTES // tmp_row_bytes)
    if order == K.ORDER_VH:  # the horizontal pass takes the intermediate rows in whole tiles
        max_tmp_rows = max(K.GROUP, max_tmp_rows - max_tmp_rows % K.GROUP)
        hl = hl._replace(tile_rows=min(hl.tile_rows, max_tmp_rows))
    bv, wv, bh, wh = map(V.writable_flagged, (bv, wv, bh, wh))
    hl = hl._replace(cols=V.writable_flagged(hl.cols))
    return ConvTables(bv, wv, bh, wh, hl, order, work, max_tmp_rows, rnd, shift, hi)


@functools.lru_cache(maxsize=256)
def _horizontal_table(w, rw, px, ow, name, antialias, kind, mirror, c, itemsize, box=None):
    """``(bounds, weights, layout)`` of the horizontal pass (see h_layout),
    memoised: the layout costs about 30 us per call, as much as the rest of
    a small resize's planning.  The arrays are shared between calls: nothing
    writes them (left writable, so the kernels keep one compiled signature
    for every table)."""
    bh, wh = _axis_table(w, rw, px, ow, name, antialias, kind, mirror, box)
    if _unchanged(w, rw, box):
        return bh, wh, HLayout(np.zeros(0, np.int64), 0, 1, 1)
    bh, hl = h_layout(bh, c, itemsize)
    return bh, wh, HLayout(*hl)


def _pairs_pay(c, dtype, gaps):
    """Whether the pixel-pair kernel is the faster way to run ORDER_VH for
    pixels of ``c`` elements of ``dtype`` (see PAIR_PIXEL_BYTES); ``gaps``:
    the horizontal windows leave input columns unread."""
    lo, hi = PAIR_PIXEL_BYTES
    return lo <= c * dtype.itemsize <= hi and (gaps or dtype in PAIR_DENSE_DTYPES)


def _few_taps(bounds):
    """Every window has one or two taps."""
    return int(bounds[:, 1].min()) >= 1 and int(bounds[:, 1].max()) <= 2


def _two_columns(weights):
    """``weights`` with a zero second tap column added when it has one."""
    if weights.shape[1] >= 2:
        return weights
    return np.ascontiguousarray(np.concatenate([weights, np.zeros_like(weights)], axis=1))


def _axis_table(n, resized, start, count, name, antialias, kind, mirror, box=None):
    """Rows start:start+count of the (n -> resized) table of one axis; a
    placeholder when the axis is not resized."""
    if _unchanged(n, resized, box):
        return _NO_BOUNDS, np.zeros((1, 1), kind)
    if box is not None:
        assert not mirror, "a span is resampled without mirrored tables"
        b, w = coefficients(n, resized, name, antialias, kind, box)
    else:
        b, w = (mirrored if mirror else coefficients)(n, resized, name, antialias, kind)
    if start or count != resized:
        b, w = np.ascontiguousarray(b[start : start + count]), np.ascontiguousarray(w[start : start + count])
    return b, w


def resample_call(src4, dst4, r):
    """The _apply.ItemCall running the planned resample ``r`` (from
    resample_setup) of ``src4`` into ``dst4``."""
    _, oh, ow, _ = dst4.shape
    if r.mode == "nearest":
        xi, yi = r.xi, r.yi
        return _apply.ItemCall(lambda f0, f1, y0, y1: K.nearest_frames(src4, dst4, xi, yi, f0, f1, y0, y1), r.work)
    if r.mode == "copy":
        return _apply.ItemCall(_apply.copy_into(src4, dst4), r.work)
    dst3 = dst4.reshape(dst4.shape[0], oh, ow * dst4.shape[3])
    t = r.tables
    args = r.kernel_sources() + (dst4, dst3) + t.kernel_args()
    run = K.RESAMPLE[t.order]

    def call(f0, f1, y0, y1):
        run(*args, K.NO_TASKS, K.NO_COUNTER, (f0, f1, y0, y1))

    def claim(tasks, ctr):
        run(*args, tasks, ctr, K.NO_BAND)

    # the horizontal pass works in tiles of tile_rows rows: bands of whole tiles
    quantum = t.layout.tile_rows if t.order in (K.ORDER_H, K.ORDER_VH) else 1
    return _apply.ItemCall(call, r.work, claim, quantum)


def _resize_call(src4, dst4, name, antialias):
    """The _apply.ItemCall of one 4-D item (see resample_call)."""
    return resample_call(src4, dst4, resample_setup(src4, dst4.shape[1], dst4.shape[2], dst4.dtype, name, antialias))


def resize_items(items, interpolation, antialias):
    """Resize a list of ``(src4, (width, height))``; returns new 4-D arrays."""
    key = V.choice(interpolation, INTERPOLATIONS, "interpolation")
    name = ALIASES.get(key, key)
    antialias = V.flag(antialias, "antialias")
    V.output_budget([s.shape[0] * ow * oh * s.shape[3] * s.itemsize for s, (ow, oh) in items], "resize")
    outs, calls = [], []
    for src4, (ow, oh) in items:
        dst4 = np.empty((src4.shape[0], oh, ow, src4.shape[3]), src4.dtype)
        outs.append(dst4)
        calls.append(_resize_call(src4, dst4, name, antialias))
    _apply.run(outs, calls)
    return outs


def _batch_items(batch, sizes):
    if batch.is_array:
        arr = batch.arrays[0]
        if len(set(sizes)) <= 1:
            return [(arr, sizes[0] if sizes else (1, 1))]
        return [(arr[i : i + 1], s) for i, s in enumerate(sizes)]
    return list(zip(batch.arrays, sizes))


def batch_resize_images(images: Images, target_sizes: Sizes, *, interpolation: str = "bilinear",
                        antialias: bool = True) -> Union[np.ndarray, List[np.ndarray]]:
    """Resize each image to exactly (width, height).

    Parameters
    ----------
    images : list of (H, W) / (H, W, C) arrays, or one (N, H, W, C) array
        uint8, uint16 or float32, any channel count (alpha is a plain channel).
    target_sizes : (width, height) for all, or one per image.
    interpolation : str
        "nearest" (Pillow NEAREST), "box" (alias "area"), "bilinear"
        (default), "hamming", "bicubic" (a = -0.5), "lanczos3" (Pillow
        LANCZOS), "lanczos4".
    antialias : bool
        True (default): the filter support is scaled by the downscale factor
        (Pillow).  False: fixed support, like OpenCV's INTER_LINEAR/CUBIC.

    Notes
    -----
    uint8/uint16 results are rounded and clamped, with the intermediate pass
    rounded as Pillow does, in Pillow's pass order; uint8 equals Pillow.  float32
    is not clamped.  Output dtype = input dtype.

    Returns
    -------
    list or numpy.ndarray
        A list for list input; an (N, height, width, C) array for array
        input when all sizes are equal (else a list).

    Raises
    ------
    ValueError, TypeError
        Naming the argument, the index and the value (a size below 1, an
        unknown interpolation, an unsupported dtype, a count mismatch).

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> ts.batch_resize_images(np.zeros((4, 30, 40, 3), np.uint8), (20, 10)).shape
    (4, 10, 20, 3)
    >>> images = [np.zeros((30, 40, 3), np.uint8), np.zeros((20, 40, 3), np.uint8)]
    >>> [o.shape for o in ts.batch_resize_images(images, [(8, 8), (4, 2)], interpolation="bicubic")]
    [(8, 8, 3), (2, 4, 3)]
    """
    batch = V.as_batch(images)
    sizes = V.sizes(target_sizes, batch.count)
    if batch.count == 0:
        V.choice(interpolation, INTERPOLATIONS, "interpolation")
        V.flag(antialias, "antialias")
        return V.empty_output(batch, sizes.shared)
    return _apply.finish(batch, resize_items(_batch_items(batch, sizes), interpolation, antialias))


# exact option spellings -> filter name, for resize_image's inline checks
_FAST_NAMES = {k: ALIASES.get(k, k) for k in INTERPOLATIONS}


def _resize_one(image, size, interpolation, antialias):
    """resize_image's common call -- a plain, aligned, writable ndarray, a
    tuple of plain ints, an exact option -- checked inline and run in the
    calling thread when its work is small (the general path's checks and
    task planning cost as much as a 64x64 image's kernel); None for anything
    else, which the general path validates (naming what is wrong) and runs."""
    if type(image) is not np.ndarray or type(size) not in (tuple, list) or len(size) != 2:
        return None
    if type(interpolation) is not str or type(antialias) is not bool:
        return None
    name = _FAST_NAMES.get(interpolation)
    ow, oh = size
    shape = image.shape
    if name is None or type(ow) is not int or type(oh) is not int or len(shape) not in (2, 3):
        return None
    h, w = shape[0], shape[1]
    c = shape[2] if len(shape) == 3 else 1
    if not (0 < ow <= V.MAX_SIDE and 0 < oh <= V.MAX_SIDE and h and w and c) or image.dtype not in V.SUPPORTED_DTYPES:
        return None
    if not V.kernel_ready(image):
        return None
    dst4 = np.empty((1, oh, ow, c), image.dtype)
    if name != "nearest" and (oh, ow) != (h, w) and image.flags.c_contiguous:
        # a convolution of a contiguous image: its memoised tables straight
        # to the pass order's kernel (what resample_setup and resample_call
        # would build, without their objects: about 4 us of a 64x64 resize)
        t = _conv_plan(h, w, c, oh, ow, image.dtype, name, antialias, (oh, ow, 0, 0), (False, False), PAIRS, (None, None))
        if _engine.runs_in_caller(t.work * oh):
            K.RESAMPLE[t.order](image.reshape(1, h, w, c), image.reshape(1, h, w * c), True, dst4,
                                dst4.reshape(1, oh, ow * c), *t.kernel_args(), K.NO_TASKS, K.NO_COUNTER, (0, 1, 0, oh))
            return dst4[0] if len(shape) == 3 else dst4[0, :, :, 0]
    src4 = image[None] if len(shape) == 3 else image[None, :, :, None]
    r = resample_setup(src4, oh, ow, image.dtype, name, antialias)
    if _engine.runs_in_caller(r.work * oh):
        resample_call(src4, dst4, r).call(0, 1, 0, oh)  # the one task the engine would plan
    else:
        _apply.run([dst4], [resample_call(src4, dst4, r)])
    return dst4[0] if len(shape) == 3 else dst4[0, :, :, 0]


def resize_image(image: Image, size: Size, *, interpolation: str = "bilinear", antialias: bool = True) -> Image:
    """Resize one (H, W) or (H, W, C) image to (width, height) (see
    :func:`batch_resize_images` for the filters and the rounding).

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> img = np.array([[0, 100, 200, 250]] * 2, np.uint8)
    >>> ts.resize_image(img, (2, 1), interpolation="box")  # the mean of each 2x2 block
    array([[ 50, 225]], dtype=uint8)
    >>> ts.resize_image(img, (2, 1))  # antialiased bilinear, as Pillow's Image.resize
    array([[ 71, 207]], dtype=uint8)
    >>> ts.resize_image(img, (6, 1), interpolation="nearest")
    array([[  0, 100, 100, 200, 200, 250]], dtype=uint8)
    >>> ts.resize_image(img, (0, 3))
    Traceback (most recent call last):
    ValueError: size width must be >= 1, got 0 in (0, 3)
    """
    out = _resize_one(image, size, interpolation, antialias)
    if out is not None:
        return out
    batch = V.single_batch(image)
    sizes = V.sizes(V.single(size, 2, "(width, height) pair", "size"), 1, "size")
    return _apply.finish(batch, resize_items(_batch_items(batch, sizes), interpolation, antialias))[0]


def _video(video, where):
    arr = V._as_array(video, where)
    V.video(arr, where)
    arr4, squeezed = (arr[..., None], True) if arr.ndim == 3 else (arr, False)
    return V.kernel_array(arr4)[0], squeezed


def batch_resize_videos(videos, target_sizes: Sizes, *, interpolation: str = "bilinear",
                        antialias: bool = True) -> Union[np.ndarray, List[np.ndarray]]:
    """Resize every frame of each video to (width, height).

    ``videos``: a list of (T, H, W[, C]) arrays, or one (N, T, H, W, C)
    array.  All frames of a video share one set of coefficients and are
    resized by the kernels without returning to Python per frame.
    Returns a list of (T, height, width[, C]) arrays, or one 5-D array.

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> video = np.zeros((5, 30, 40), np.uint8)
    >>> [o.shape for o in ts.batch_resize_videos([video, video[:2]], (8, 6))]
    [(5, 6, 8), (2, 6, 8)]
    """
    V.video_batch(videos)
    if isinstance(videos, np.ndarray):
        n, t = videos.shape[:2]
        sizes = V.sizes(target_sizes, n)
        videos = V.kernel_array(videos)[0]
        if n == 0 or len(set(sizes)) == 1:
            if n == 0:
                return videos[:, :, :0, :0].copy()
            flat = videos.reshape((n * t,) + videos.shape[2:]) if videos.flags.c_contiguous else None
            if flat is not None:
                out = resize_items([(flat, sizes[0])], interpolation, antialias)[0]
                return out.reshape((n, t) + out.shape[1:])
        outs = resize_items([(videos[i], s) for i, s in enumerate(sizes)], interpolation, antialias)
        if len({o.shape for o in outs}) == 1:
            return np.stack(outs)
        return outs
    arrs = [_video(v, f"videos[{i}]") for i, v in enumerate(videos)]
    sizes = V.sizes(target_sizes, len(arrs))
    outs = resize_items([(a, s) for (a, _), s in zip(arrs, sizes)], interpolation, antialias)
    return [o[..., 0] if sq else o for o, (_, sq) in zip(outs, arrs)]


def resize_video(video: np.ndarray, size: Size, *, interpolation: str = "bilinear", antialias: bool = True) -> np.ndarray:
    """Resize every frame of one (T, H, W[, C]) video to (width, height).

    Examples
    --------
    >>> import numpy as np, trainingsample as ts
    >>> ts.resize_video(np.zeros((5, 30, 40, 3), np.uint8), (16, 12)).shape
    (5, 12, 16, 3)
    """
    arr4, sq = _video(video, "video")
    s = V.sizes(V.single(size, 2, "(width, height) pair", "size"), 1, "size")[0]
    out = resize_items([(arr4, s)], interpolation, antialias)[0]
    return out[..., 0] if sq else out


__all__ = ["batch_resize_images", "resize_image", "batch_resize_videos", "resize_video"]
