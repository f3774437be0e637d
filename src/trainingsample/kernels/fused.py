"""The fused pipeline: resampled rows go straight into the epilogue
(channel mixing, normalisation, flips, layout, float16) while in cache."""
import numpy as np

from ._jit import kernel
from .color import gray_float, gray_int
from .resample import (ORDER_H, ORDER_HV, ORDER_PAIRS, ORDER_V, ORDER_VH, nearest_frames, resample_h, resample_hv,
                       resample_pairs, resample_v, resample_vh)

# numba's cache does not see edits to other files: the hashes of the files
# this one imports (tests/kernels/test_kernel_files.py fails when one is stale).
DEPENDS_ON = {"_jit.py": "25193760b8ccc458", "color.py": "b53034ed77bc2349", "resample.py": "e0f9ac0598254c61"}


EPI_RAW = 0  # the channel values stored as they are, in the image's dtype (no Normalize)
EPI_F32 = 1  # float32 output: out[c] = float32(value[c]) * mul[c] + add[c]
EPI_F16 = 2  # as EPI_F32, stored as IEEE half bits (round to nearest even) in a uint16 array
# channel codes of the epilogue besides an input channel's index (>= 0)
CH_GRAY = -1  # ITU-R 601-2 luma of channels 0-2 (gray_int for integer images, gray_float for float32)
CH_CONST = -2  # the constant ``const[c]`` (an added alpha)


@kernel
def _half_bits(f):
    """IEEE binary16 bits of the float32 whose bits are ``f`` (uint32), rounding
    to nearest even; the same algorithm as numpy's float32 -> float16 cast."""
    f = np.uint32(f)
    h_sgn = np.uint32((f & np.uint32(0x80000000)) >> np.uint32(16))
    f_exp = f & np.uint32(0x7F800000)
    if f_exp >= np.uint32(0x47800000):  # overflow, inf or nan
        if f_exp == np.uint32(0x7F800000):
            f_sig = f & np.uint32(0x007FFFFF)
            if f_sig != 0:
                ret = np.uint32(0x7C00) + (f_sig >> np.uint32(13))
                if ret == np.uint32(0x7C00):
                    ret += np.uint32(1)
                return np.uint16(h_sgn + ret)
        return np.uint16(h_sgn + np.uint32(0x7C00))
    if f_exp <= np.uint32(0x38000000):  # subnormal half or signed zero
        if f_exp < np.uint32(0x33000000):
            return np.uint16(h_sgn)
        e = f_exp >> np.uint32(23)
        f_sig = np.uint32(0x00800000) + (f & np.uint32(0x007FFFFF))
        f_sig = f_sig >> (np.uint32(113) - e)
        if (f_sig & np.uint32(0x3FFF)) != np.uint32(0x1000) or (f & np.uint32(0x7FF)) != 0:
            f_sig += np.uint32(0x1000)
        return np.uint16(h_sgn + (f_sig >> np.uint32(13)))
    h_exp = (f_exp - np.uint32(0x38000000)) >> np.uint32(13)
    f_sig = f & np.uint32(0x007FFFFF)
    if (f_sig & np.uint32(0x3FFF)) != np.uint32(0x1000):
        f_sig += np.uint32(0x1000)
    return np.uint16(h_sgn + h_exp + (f_sig >> np.uint32(13)))


@kernel
def float32_to_half_bits(src, dst):
    """dst[i] = float16 bits of src[i] (1-D float32 -> uint16)."""
    bits = src.view(np.uint32)
    for i in range(src.shape[0]):
        dst[i] = _half_bits(bits[i])


@kernel
def _epi_select_int(s, d, code, flip_h):
    """d[x', c] = s[x, code[c]] (integer output, every channel selected)."""
    w = s.shape[0]
    cout = code.shape[0]
    if cout == 3:
        k0 = code[0]
        k1 = code[1]
        k2 = code[2]
        if flip_h:  # written in order, read from the end: the stores stay sequential
            for x in range(w):
                sx = w - 1 - x
                d[x, 0] = s[sx, k0]
                d[x, 1] = s[sx, k1]
                d[x, 2] = s[sx, k2]
        else:
            for x in range(w):
                d[x, 0] = s[x, k0]
                d[x, 1] = s[x, k1]
                d[x, 2] = s[x, k2]
    else:
        for x in range(w):
            ox = w - 1 - x if flip_h else x
            for c in range(cout):
                d[ox, c] = s[x, code[c]]


@kernel
def _channel_value(s, x, k, const, integer):
    """The value of channel code ``k`` (an index, CH_GRAY or CH_CONST) at
    pixel ``s[x]``, as float64 (exact: integers and float32 values)."""
    if k >= 0:
        return np.float64(s[x, k])
    if k == CH_GRAY:
        if integer:
            return np.float64(gray_int(s, x))
        return np.float64(gray_float(s, x))
    return const


@kernel
def epilogue(src, dst, code, mul, add, const, kind, hi, flip_h, flip_v, chw, row0, rows, f0, f1, y0, y1):
    """Rows y0:y1 of src (frames, rows, cols, cin) -> dst rows row0 + y.

    Output channel c takes the value of ``code[c]``: input channel code[c],
    the luma (CH_GRAY, computed as rgb_to_gray computes it) or ``const[c]``
    (CH_CONST).  EPI_RAW stores the value in the image's dtype; float kinds store
    ``float32(value) * mul[c] + add[c]`` in float32 arithmetic -- what
    normalize() computes on the converted image, so a fused pipeline equals
    its steps run one by one.  ``hi`` > 0: the source is an integer image.
    With ``flip_v`` row y lands on ``rows - 1 - (row0 + y)`` (``rows``: the
    output's height); with ``flip_h`` column x on W-1-x.  ``chw``: dst is
    (frames, cout, rows, cols), else (frames, rows, cols, cout).  Every
    element is computed the same way whatever band holds it.
    """
    w = src.shape[2]
    cout = code.shape[0]
    integer = hi > 0
    all_sel = True
    for c in range(cout):
        if code[c] < 0:
            all_sel = False
    buf = np.empty(w, np.float32)
    bbits = buf.view(np.uint32)
    for f in range(f0, f1):
        for y in range(y0, y1):
            oy = rows - 1 - (row0 + y) if flip_v else row0 + y
            s = src[f, y]
            if kind == EPI_RAW:
                d = dst[f, oy]
                if all_sel:
                    _epi_select_int(s, d, code, flip_h)
                    continue
                for c in range(cout):
                    k0 = code[c]
                    for x in range(w):
                        ox = w - 1 - x if flip_h else x
                        if k0 >= 0:
                            d[ox, c] = s[x, k0]
                        elif k0 == CH_GRAY:
                            d[ox, c] = gray_int(s, x) if integer else gray_float(s, x)
                        else:
                            d[ox, c] = const[c]
                continue
            for c in range(cout):
                k0 = code[c]
                m = mul[c]
                b = add[c]
                if kind == EPI_F32 and chw and k0 >= 0:
                    # the common case (normalise to float32 CHW): straight into the
                    # plane, in order (a flip reads from the end: 0.5 ms less per
                    # 32 x 224x224 than reversed stores)
                    d = dst[f, c, oy]
                    if flip_h:
                        for x in range(w):
                            d[x] = np.float32(s[w - 1 - x, k0]) * m + b
                    else:
                        for x in range(w):
                            d[x] = np.float32(s[x, k0]) * m + b
                    continue
                if k0 >= 0:
                    if flip_h:
                        for x in range(w):
                            buf[x] = np.float32(s[w - 1 - x, k0]) * m + b
                    else:
                        for x in range(w):
                            buf[x] = np.float32(s[x, k0]) * m + b
                else:
                    for x in range(w):
                        v = np.float32(_channel_value(s, x, k0, const[c], integer))
                        buf[w - 1 - x if flip_h else x] = v * m + b
                if chw:
                    d = dst[f, c, oy]
                    if kind == EPI_F32:
                        for x in range(w):
                            d[x] = buf[x]
                    else:
                        for x in range(w):
                            d[x] = _half_bits(bbits[x])
                else:
                    d = dst[f, oy]
                    if kind == EPI_F32:
                        for x in range(w):
                            d[x, c] = buf[x]
                    else:
                        for x in range(w):
                            d[x, c] = _half_bits(bbits[x])


# Output rows per resample -> epilogue step of a fused pipeline task: the
# resampled band lives in a small per-task buffer, still in cache when the
# epilogue reads it.
_FUSED_ROWS = 128


@kernel(inline=True)
def _resample_band(order, src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, band):
    """The RESAMPLE kernel of ``order`` (a constant: the other branches are
    pruned) on one band.  The call types every argument as the plain
    resize's call does (the task table and counter are made here: a global
    array is typed read-only), so the pipeline links the kernel that resize
    compiled instead of compiling the resampling again."""
    tasks = np.empty((0, 4), np.int64)
    ctr = np.zeros(2, np.int64)
    if order == ORDER_V:
        resample_v(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)
    elif order == ORDER_H:
        resample_h(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)
    elif order == ORDER_VH:
        resample_vh(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)
    elif order == ORDER_HV:
        resample_hv(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)
    else:
        resample_pairs(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)


@kernel(inline=True)
def _pipeline_run(order, src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
                  dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1):
    """The body of the PIPELINE kernels: one fused pipeline task, resampling
    output rows y0:y1 of frames f0:f1 in ``order`` (a constant) a band at a
    time into a small buffer (input dtype), then running the epilogue on the
    band, without returning to Python."""
    out_w = src4.shape[2] if order == ORDER_V else bh.shape[0]
    c = src4.shape[3]
    rows = bv.shape[0] if order != ORDER_H else src4.shape[1]
    tmp = np.empty((1, _FUSED_ROWS, out_w, c), src4.dtype)
    tmp3 = tmp.reshape(1, _FUSED_ROWS, out_w * c)
    for f in range(f0, f1):
        for a in range(y0, y1, _FUSED_ROWS):
            b = min(a + _FUSED_ROWS, y1)
            band = (np.int64(0), np.int64(1), np.int64(0), np.int64(b - a))
            if order == ORDER_H:  # rows map one to one: slice the source
                _resample_band(order, src4[f : f + 1, a:b], src3[f : f + 1, a:b], flat, tmp, tmp3, bv, wv, bh, wh, hl,
                               max_tmp_rows, rnd, shift, hi, band)
            else:  # the band's rows of the vertical table
                _resample_band(order, src4[f : f + 1], src3[f : f + 1], flat, tmp, tmp3, bv[a:b], wv[a:b], bh, wh, hl,
                               max_tmp_rows, rnd, shift, hi, band)
            epilogue(tmp, dst[f : f + 1], code, mul, add, const, kind, ohi, flip_h, flip_v, chw, a, rows, 0, 1, 0, b - a)


@kernel
def pipeline_v(src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
               dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1):
    """A fused pipeline task in ORDER_V (see _pipeline_run)."""
    _pipeline_run(ORDER_V, src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
                  dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1)


@kernel
def pipeline_h(src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
               dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1):
    """A fused pipeline task in ORDER_H (see _pipeline_run)."""
    _pipeline_run(ORDER_H, src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
                  dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1)


@kernel
def pipeline_vh(src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
                dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1):
    """A fused pipeline task in ORDER_VH (see _pipeline_run)."""
    _pipeline_run(ORDER_VH, src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
                  dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1)


@kernel
def pipeline_hv(src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
                dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1):
    """A fused pipeline task in ORDER_HV (see _pipeline_run)."""
    _pipeline_run(ORDER_HV, src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
                  dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1)


@kernel
def pipeline_pairs(src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
                   dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1):
    """A fused pipeline task in ORDER_PAIRS (see _pipeline_run)."""
    _pipeline_run(ORDER_PAIRS, src4, src3, flat, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi,
                  dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1)


PIPELINE = {ORDER_V: pipeline_v, ORDER_H: pipeline_h, ORDER_VH: pipeline_vh, ORDER_HV: pipeline_hv, ORDER_PAIRS: pipeline_pairs}


@kernel
def pipeline_nearest(src4, xi, yi, dst, code, mul, add, const, kind, ohi, flip_h, flip_v, chw, f0, f1, y0, y1):
    """_pipeline_run for nearest-neighbour resampling."""
    tmp = np.empty((1, _FUSED_ROWS, xi.shape[0], src4.shape[3]), src4.dtype)
    rows = yi.shape[0]
    for f in range(f0, f1):
        for a in range(y0, y1, _FUSED_ROWS):
            b = min(a + _FUSED_ROWS, y1)
            nearest_frames(src4[f : f + 1], tmp, xi, yi[a:b], 0, 1, 0, b - a)
            epilogue(tmp, dst[f : f + 1], code, mul, add, const, kind, ohi, flip_h, flip_v, chw, a, rows, 0, 1, 0, b - a)
