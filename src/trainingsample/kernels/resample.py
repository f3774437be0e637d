"""Resampling kernels: Pillow's separable convolution (vertical and
horizontal passes, transposed tiles, the pixel-pair fast path), nearest
neighbour, and the frame/band drivers the engine calls."""
import numpy as np

from ._jit import conv_u8_16, conv_u8_32, conv_u8_64, copy_bytes, kernel, narrow, prefetch
from .fixed_point import PRECISION_BITS, SPLIT_BITS, SPLIT_LIMIT, SPLIT_MASK
from .tasks import next_task, task_done

# numba's cache does not see edits to other files: the hashes of the files
# this one imports (tests/kernels/test_kernel_files.py fails when one is stale).
DEPENDS_ON = {"_jit.py": "25193760b8ccc458", "fixed_point.py": "0f225c81a773ea94", "tasks.py": "a28621163c7e5166"}

# bounds[i] = (first input index, tap count) and weights[i, :count] are the
# normalised filter taps of output index i (see _coeffs.py).
# uint8 images use Pillow's fixed point: int weights scaled by 2**22, the
# accumulator starts at 2**21 (``rnd``), the result is ``acc >> 22`` clamped
# to [0, hi] -- bit-identical to Pillow's 8-bit path.  The shift is a
# constant and ``hi`` an int32, so that LLVM keeps uint8 arithmetic in 32-bit
# vector lanes (a run-time shift or an int64 bound forces 64-bit lanes: the
# store loops ran about 2x slower).
# uint16 and float32 images pass ``shift=None`` (numba prunes the integer
# branch): float64 weights and a float64 accumulator starting at 0, as
# Pillow 13's 16-bit and 32-bit paths; uint16 (``hi`` = 65535) stores
# floor(acc + 0.5) clamped to [0, hi] (Pillow's ROUND_UP and CLIP16),
# float32 (``hi`` = 0) stores acc rounded to float32, unclamped.
# The intermediate image between the passes has the output dtype, as in Pillow.

_VBLOCK = 512


@kernel
def _store(v, shift, hi):
    """The stored value of accumulator ``v``: ``v >> PRECISION_BITS``
    clamped to [0, hi] (fixed point); for a float accumulator (``shift`` is
    None) ``v`` as is when ``hi`` is 0 (float32), else floor(v + 0.5)
    clamped to [0, hi] (uint16)."""
    if shift is None:
        if hi > 0:
            v = np.floor(v + 0.5)
            if v < 0.0:
                v = 0.0
            elif v > hi:
                v = np.float64(hi)
        return v
    v = v >> PRECISION_BITS
    if v < 0:
        v = 0
    elif v > hi:
        v = hi
    return v


@kernel
def _pack_pairs(wr, n, wpk):
    """The weights wr[:n] as conv_u8_*'s pairs: wpk[2p] holds the high parts
    (w >> SPLIT_BITS) of taps 2p and 2p + 1 as two int16 (tap 2p in the low half),
    wpk[2p + 1] their low SPLIT_BITS bits; a missing last tap weighs 0."""
    for p in range((n + 1) // 2):
        wa = np.int64(wr[2 * p])
        wb = np.int64(wr[2 * p + 1]) if 2 * p + 1 < n else np.int64(0)
        wpk[2 * p] = np.int32(((wa >> SPLIT_BITS) & 0xFFFF) | ((wb >> SPLIT_BITS) << 16))
        wpk[2 * p + 1] = np.int32((wa & SPLIT_MASK) | ((wb & SPLIT_MASK) << 16))


@kernel
def _split_fits(bounds, weights, b_off, w_off, rows):
    """Whether every tap weight of rows w_off:w_off+rows has |w| < SPLIT_LIMIT."""
    for i in range(rows):
        wr = weights[w_off + i]
        for k in range(bounds[b_off + i, 1]):
            if wr[k] >= SPLIT_LIMIT or wr[k] <= -SPLIT_LIMIT:
                return False
    return True


@kernel
def _pack_table(bounds, weights, shift, wanted):
    """_pack_pairs of every row of an integer weight table (rows of
    ``weights.shape[1] + 2`` int32); no rows for float weights, when not
    ``wanted`` (images other than uint8), or when a weight does not fit the
    split (_split_fits)."""
    if shift is None or not wanted or not _split_fits(bounds, weights, np.int64(0), np.int64(0), weights.shape[0]):
        return np.empty((0, 0), np.int32)
    packed = np.empty((weights.shape[0], weights.shape[1] + 2), np.int32)
    for i in range(weights.shape[0]):
        _pack_pairs(weights[i], bounds[i, 1], packed[i])
    return packed


@kernel
def _vpass(src, dst, length, bounds, weights, packed, rows, b_off, w_off, d_off, rnd, shift, hi):
    """dst[d_off + i] = sum_k weights[w_off + i, k] * src[bounds[b_off + i, 0] + k]

    for i in range(rows), over the first ``length`` elements of each row;
    src, dst are 2-D (rows, row elements), C-contiguous where the callers
    can (one compiled signature: the horizontal pass passes its tiles whole
    and the row length it uses, not column slices).  uint8 rows
    (contiguous elements) go through conv_u8_64/16 blocks, two taps per
    multiply in 16-bit lanes, with ``packed[w_off + i]`` (_pack_table, whose
    weights all fit the split) as the weights, or each row checked and packed
    here when ``packed`` has no rows; the rest of
    the row, and other dtypes, in column blocks, four taps per sweep, so the
    accumulator stays in L1 and the inner loop is contiguous and vectorised.
    Same integers either way.
    """
    line = max(1, 64 // src.itemsize)  # elements per cache line
    acc = np.full(_VBLOCK, rnd)
    # columns [0, wide) by 64-column blocks, [wide, fast) by one 32- and/or
    # one 16-column block
    fast = 0
    if shift is not None and src.itemsize == 1 and dst.itemsize == 1 and hi == 255 and length >= 16:
        if src.strides[1] == 1 and dst.strides[1] == 1:
            if packed.shape[0] > 0 or _split_fits(bounds, weights, b_off, w_off, rows):
                fast = length - length % 16
    wide = fast - fast % 64
    wpk = np.empty(weights.shape[1] + 2 if fast > 0 and packed.shape[0] == 0 else 0, np.int32)
    for i in range(rows):
        ymin = bounds[b_off + i, 0]
        n = bounds[b_off + i, 1]
        wr = weights[w_off + i]
        d = dst[d_off + i]
        # the next output row's taps that this row does not read: start
        # fetching each of their blocks while this block is computed
        ny = bounds[b_off + i + 1, 0] if i + 1 < rows else 0
        ne = ny + bounds[b_off + i + 1, 1] if i + 1 < rows else 0
        nfirst = max(ny, ymin + n)
        if fast > 0:
            if packed.shape[0] > 0:
                wp = packed[w_off + i]
            else:
                _pack_pairs(wr, n, wpk)
                wp = wpk
            top = np.int64(ymin) * src.strides[0]
            drow = np.int64(d_off + i) * dst.strides[0]
            for jb in range(0, wide, 64):
                for yy in range(nfirst, ne):
                    prefetch(src[yy], jb)
                conv_u8_64(src, top + jb, src.strides[0], wp, n, dst, drow + jb, rnd)
            jb = wide
            if jb + 32 <= fast:
                conv_u8_32(src, top + jb, src.strides[0], wp, n, dst, drow + jb, rnd)
                jb += 32
            if jb < fast:
                conv_u8_16(src, top + jb, src.strides[0], wp, n, dst, drow + jb, rnd)
        for jb in range(fast, length, _VBLOCK):
            je = min(jb + _VBLOCK, length)
            m = je - jb
            for yy in range(nfirst, ne):
                ry = src[yy]
                for p in range(jb, je, line):
                    prefetch(ry, p)
            for j in range(m):
                acc[j] = rnd
            k = 0
            while k + 4 <= n:
                w0 = wr[k]
                w1 = wr[k + 1]
                w2 = wr[k + 2]
                w3 = wr[k + 3]
                r0 = src[ymin + k, jb:je]
                r1 = src[ymin + k + 1, jb:je]
                r2 = src[ymin + k + 2, jb:je]
                r3 = src[ymin + k + 3, jb:je]
                for j in range(m):
                    acc[j] += w0 * r0[j] + w1 * r1[j] + w2 * r2[j] + w3 * r3[j]
                k += 4
            while k < n:
                w0 = wr[k]
                r0 = src[ymin + k, jb:je]
                for j in range(m):
                    acc[j] += w0 * r0[j]
                k += 1
            dj = d[jb:je]
            for j in range(m):
                dj[j] = _store(acc[j], shift, hi)


# Rows a transposition step moves together: each tile row then gets 8*C
# consecutive elements per step, which LLVM merges into wide stores.
GROUP = 8


@kernel
def _pixel_unit(c, itemsize):
    """(unit, pad): the smallest power of two of bytes holding a pixel of
    ``c`` elements, and the elements it carries past the pixel; unit 0 when
    over 16 bytes (pixels then move element by element)."""
    unit = 1
    while unit < c * itemsize:
        unit *= 2
    if unit > 16:
        return 0, 0
    return unit, unit // itemsize - c


@kernel
def _tile_group(src2, rows, cols, a, safe, tile, o, c, unit):
    """tile[i, o + q*c + k] = src2[rows[q], a + x*c + k] for q < GROUP, where
    x = cols[i] if cols is non-empty, else i; columns i < ``safe``.  The rows
    are held in a tuple (registers, not memory the stores could alias).  A
    pixel moves as one copy of ``unit`` bytes (see _pixel_unit), which may
    write past the pixel: the next row's copy overwrites those elements, and
    the tile's rows end in ``pad`` spare elements for the last one.  One
    channel: element stores, which LLVM merges."""
    ss = (src2[rows[0], a:], src2[rows[1], a:], src2[rows[2], a:], src2[rows[3], a:],
          src2[rows[4], a:], src2[rows[5], a:], src2[rows[6], a:], src2[rows[7], a:])
    gather = cols.shape[0] > 0
    if c == 1:
        for i in range(safe):
            x = cols[i] if gather else i
            ti = tile[i, o : o + GROUP]
            for q in range(GROUP):
                ti[q] = ss[q][x]
    elif c == 3 and unit == 4:  # RGB bytes: constant offsets too
        _tile_words(ss, cols, gather, safe, tile, o, 3, 4)
    elif unit == 4:
        _tile_words(ss, cols, gather, safe, tile, o, c, 4)
    elif unit == 8:
        _tile_words(ss, cols, gather, safe, tile, o, c, 8)
    elif unit == 16:
        _tile_words(ss, cols, gather, safe, tile, o, c, 16)
    elif unit == 2:
        _tile_words(ss, cols, gather, safe, tile, o, c, 2)


@kernel(inline=True)
def _tile_words(ss, cols, gather, safe, tile, o, c, unit):
    """The columns i < safe of _tile_group, a pixel per ``unit``-byte copy
    (inlined: ``unit`` and, where given, ``c`` are constants)."""
    for i in range(safe):
        x = c * cols[i] if gather else c * i
        ti = tile[i, o:]
        for q in range(GROUP):
            copy_bytes(ti, q * c, ss[q], x, unit)


@kernel
def _tile_rows(src2, src3, flat, rows, r0, nr, cols, col0, tile):
    """Transpose source rows ``rows[r0:r0+nr]`` into ``tile``:
    tile[i, r*C + c] = row rows[r0 + r], column col(i), channel c, where
    col(i) = cols[i] if cols is non-empty, else col0 + i.  ``flat``: read the
    (rows, W*C) view src2 (contiguous rows), else the (rows, W, C) view src3
    (any strides)."""
    ncol = tile.shape[0]
    c = src3.shape[2]
    gather = cols.shape[0] > 0
    unit, _ = _pixel_unit(c, src3.itemsize)
    r = 0
    if flat and (c == 1 or unit > 0):
        # columns whose copy stays inside the source row
        step = max(1, unit // src3.itemsize)
        room = src2.shape[1] - col0 * c
        safe = ncol
        while safe > 0 and c * (cols[safe - 1] if gather else safe - 1) + step > room:
            safe -= 1
        while r + GROUP <= nr:
            _tile_group(src2, rows[r0 + r : r0 + r + GROUP], cols, col0 * c, safe, tile, r * c, c, unit)
            for q in range(GROUP):
                s = src2[rows[r0 + r + q], col0 * c :]
                for i in range(safe, ncol):
                    x = c * cols[i] if gather else c * i
                    for k in range(c):
                        tile[i, (r + q) * c + k] = s[x + k]
            r += GROUP
    for r in range(r, nr):
        t = tile[:, r * c : (r + 1) * c]
        y = rows[r0 + r]
        if flat and not gather:
            s = src2[y, col0 * c : (col0 + ncol) * c]
            for i in range(ncol):
                for k in range(c):
                    t[i, k] = s[i * c + k]
        else:
            s3 = src3[y]
            for i in range(ncol):
                x = cols[i] if gather else col0 + i
                for k in range(c):
                    t[i, k] = s3[x, k]


@kernel
def _untile_group(out_t, o, dst3, d0, ow, c, unit):
    """dst3[d0 + q, x, k] = out_t[x, o + q*c + k] for q < GROUP; the
    destination rows are held in a tuple, as in _tile_group.  A pixel moves
    as one copy of ``unit`` bytes, which may write past the pixel: the next
    column's copy overwrites those elements, and the last column is stored
    element by element."""
    n = ow * c
    dd = (dst3[d0].reshape(n), dst3[d0 + 1].reshape(n), dst3[d0 + 2].reshape(n), dst3[d0 + 3].reshape(n),
          dst3[d0 + 4].reshape(n), dst3[d0 + 5].reshape(n), dst3[d0 + 6].reshape(n), dst3[d0 + 7].reshape(n))
    step = max(1, unit // out_t.itemsize)
    safe = ow
    while safe > 0 and (safe - 1) * c + step > n:
        safe -= 1
    if c == 1:
        for x in range(safe):
            tx = out_t[x, o : o + GROUP]
            for q in range(GROUP):
                dd[q][x] = tx[q]
    elif c == 3 and unit == 4:  # RGB bytes: constant offsets too
        _untile_words(out_t, o, dd, safe, 3, 4)
    elif unit == 4:
        _untile_words(out_t, o, dd, safe, c, 4)
    elif unit == 8:
        _untile_words(out_t, o, dd, safe, c, 8)
    elif unit == 16:
        _untile_words(out_t, o, dd, safe, c, 16)
    elif unit == 2:
        _untile_words(out_t, o, dd, safe, c, 2)
    for x in range(safe, ow):
        for q in range(GROUP):
            for k in range(c):
                dd[q][x * c + k] = out_t[x, o + q * c + k]


@kernel(inline=True)
def _untile_words(out_t, o, dd, safe, c, unit):
    """The columns x < safe of _untile_group, a pixel per ``unit``-byte copy
    (inlined: ``unit`` and, where given, ``c`` are constants)."""
    for x in range(safe):
        tx = out_t[x, o:]
        for q in range(GROUP):
            copy_bytes(dd[q], x * c, tx, q * c, unit)


@kernel
def _untile(out_t, nr, dst3, drow):
    """dst3[drow + r, x, c] = out_t[x, r*C + c] for r < nr."""
    ow = out_t.shape[0]
    c = dst3.shape[2]
    unit, _ = _pixel_unit(c, dst3.itemsize)
    r = 0
    if c == 1 or unit > 0:
        while r + GROUP <= nr:
            _untile_group(out_t, r * c, dst3, drow + r, ow, c, unit)
            r += GROUP
    for r in range(r, nr):
        t = out_t[:, r * c : (r + 1) * c]
        d = dst3[drow + r]
        for x in range(ow):
            for k in range(c):
                d[x, k] = t[x, k]


@kernel(inline=True)
def _hpass(src2, src3, flat, rows, nrows, cols, col0, bh, wh, packed, tile, out_t, dst3, drow, rnd, shift, hi):
    """Horizontal pass of source rows ``rows[:nrows]`` into dst3[drow:drow+nrows].

    A strided horizontal convolution does not vectorise, so rows are taken a
    tile at a time, transposed (tile row i = input column i of every row of
    the tile), run through the vertical kernel -- contiguous, vectorised --
    and transposed back.  ``bh`` indexes the tile's columns (see
    resize.h_layout).
    """
    c = src3.shape[2]
    per = tile.shape[1] // c
    ow = out_t.shape[0]
    # the convolution skips the pad elements past the last row's pixels:
    # _untile's word copies read them but the next copy overwrites them
    used = per * c
    for r0 in range(0, nrows, per):
        nr = min(per, nrows - r0)
        _tile_rows(src2, src3, flat, rows, r0, nr, cols, col0, tile)
        _vpass(tile, out_t, used, bh, wh, packed, ow, np.int64(0), np.int64(0), np.int64(0), rnd, shift, hi)
        _untile(out_t, nr, dst3, drow + r0)


@kernel
def _copy_pairs(a, b, lo, ro, dr, c, unit, nwide, la, ra, lb, rb):
    """For each output column x: la/ra[x*c : x*c + c] = the pixels of row ``a``
    at element offsets lo[x] / ro[x], lb/rb the same of row ``b``.  The first
    ``nwide`` columns, where ro[x] = lo[x] + dr, move each pixel as one copy
    of ``unit`` bytes (which may carry bytes past the pixel: the source rows
    hold them and the destinations have room); the rest element by element.
    (No prefetching: the hardware streams these rows, and prefetch hints for
    the next rows made the loop slower.)"""
    m = lo.shape[0]
    if c == 3 and unit == 4:  # RGB bytes: constant destination offsets
        for x in range(nwide):
            o = lo[x]
            q = o + dr
            copy_bytes(la, 3 * x, a, o, 4)
            copy_bytes(ra, 3 * x, a, q, 4)
            copy_bytes(lb, 3 * x, b, o, 4)
            copy_bytes(rb, 3 * x, b, q, 4)
    elif unit == 4:
        for x in range(nwide):
            o = lo[x]
            q = o + dr
            copy_bytes(la, x * c, a, o, 4)
            copy_bytes(ra, x * c, a, q, 4)
            copy_bytes(lb, x * c, b, o, 4)
            copy_bytes(rb, x * c, b, q, 4)
    elif unit == 8:
        for x in range(nwide):
            o = lo[x]
            q = o + dr
            copy_bytes(la, x * c, a, o, 8)
            copy_bytes(ra, x * c, a, q, 8)
            copy_bytes(lb, x * c, b, o, 8)
            copy_bytes(rb, x * c, b, q, 8)
    elif unit == 16:
        for x in range(nwide):
            o = lo[x]
            q = o + dr
            copy_bytes(la, x * c, a, o, 16)
            copy_bytes(ra, x * c, a, q, 16)
            copy_bytes(lb, x * c, b, o, 16)
            copy_bytes(rb, x * c, b, q, 16)
    else:
        nwide = 0
    for x in range(nwide, m):
        o = lo[x]
        q = ro[x]
        for k in range(c):
            la[x * c + k] = a[o + k]
            ra[x * c + k] = a[q + k]
            lb[x * c + k] = b[o + k]
            rb[x * c + k] = b[q + k]


# How _pairs blends two pixels with weights (w0, w1), each way exact: the
# same integers as rnd + w0*p + w1*q >> PRECISION_BITS, clamped (ORDER_VH's
# arithmetic).  When w0 + w1 is exactly one (1 << PRECISION_BITS) and both are
# >= 0, that value is p + (rnd + w1*(q - p) >> PRECISION_BITS) -- adding a
# multiple of the divisor passes through the floor -- and lies between p and
# q, so no clamp: one multiply instead of two (BLEND_LERP).  When w1 is also a
# multiple of 2**15 (weights on a 1/128 grid: any integer downscale factor,
# and 1.5x, 2.5x, ...) and pixels are 8-bit, w1 = m << 15 with m <= 128 and
# the value is p + (64 + m*(q - p) >> 7), every term within int16: twice the
# lanes per vector (BLEND_I16).
BLEND_FULL = 0
BLEND_LERP = 1
BLEND_I16 = 2
_ONE = 1 << PRECISION_BITS
_I16_SHIFT = 15
_I16_BITS = PRECISION_BITS - _I16_SHIFT
_I16_HALF = 1 << (_I16_BITS - 1)  # rnd >> _I16_SHIFT


@kernel
def _pair_blend(w0, w1, best):
    """The cheapest exact blend (up to ``best``) for weights (w0, w1)."""
    if w0 < 0 or w1 < 0 or w0 + w1 != _ONE:
        return BLEND_FULL
    if best == BLEND_I16 and w1 % (1 << _I16_SHIFT) == 0:
        return BLEND_I16
    return min(best, BLEND_LERP)


# The three blends of _pairs: d = the pixels of la/ra (row a, left/right
# pixel) and lb/rb (row b) blended vertically with (a0, a1), rounded and
# clamped as ORDER_VH's vertical pass stores them, then horizontally with
# (w0[j], w1[j]).  narrow() takes each sum back to the accumulator (or int16)
# type after numba's widening, so LLVM keeps it in 32-bit (16-bit) lanes.


@kernel
def _blend_full(d, la, ra, lb, rb, a0, a1, w0, w1, rnd, shift, hi):
    for j in range(d.shape[0]):
        # the vertical blends are stored in the image's dtype, as ORDER_VH's
        # intermediate rows are
        left = narrow(_store(narrow(rnd + a0 * la[j] + a1 * lb[j], rnd), shift, hi), la[j])
        right = narrow(_store(narrow(rnd + a0 * ra[j] + a1 * rb[j], rnd), shift, hi), la[j])
        d[j] = _store(narrow(rnd + w0[j] * left + w1[j] * right, rnd), shift, hi)


@kernel
def _blend_lerp(d, la, ra, lb, rb, a1, w1, rnd):
    for j in range(d.shape[0]):
        left = narrow(la[j] + (narrow(rnd + a1 * narrow(lb[j] - la[j], rnd), rnd) >> PRECISION_BITS), rnd)
        right = narrow(ra[j] + (narrow(rnd + a1 * narrow(rb[j] - ra[j], rnd), rnd) >> PRECISION_BITS), rnd)
        d[j] = narrow(left + (narrow(rnd + w1[j] * narrow(right - left, rnd), rnd) >> PRECISION_BITS), rnd)


@kernel
def _blend_i16(d, la, ra, lb, rb, av, m1):
    """av: the vertical multiplier repeated per element (a scalar one made
    LLVM keep 64-bit lanes); m1: the horizontal multipliers."""
    z = np.int16(0)
    for j in range(d.shape[0]):
        left = narrow(la[j] + narrow(narrow(_I16_HALF + av[j] * narrow(lb[j] - la[j], z), z) >> _I16_BITS, z), z)
        right = narrow(ra[j] + narrow(narrow(_I16_HALF + av[j] * narrow(rb[j] - ra[j], z), z) >> _I16_BITS, z), z)
        d[j] = narrow(left + narrow(narrow(_I16_HALF + m1[j] * narrow(right - left, z), z) >> _I16_BITS, z), z)


@kernel
def _pair_table(bh, wh, hl, c, itemsize, length):
    """What _pairs needs of the horizontal table, computed once per thread:
    ``(lo, ro, w0, w1, dr, nwide, unit, blend, m1)`` -- the element offsets
    of each output column's left and right input pixels in a row of
    ``length`` elements, the two weights per output element, the copy plan
    (see _copy_pairs), and the cheapest exact blend the columns allow (see
    _pair_blend) with, for BLEND_I16, the weights as int16 multipliers."""
    cols, col0, _, _ = hl
    gather = cols.shape[0] > 0
    ow = bh.shape[0]
    n = ow * c
    lo = np.empty(ow, np.int64)
    ro = np.empty(ow, np.int64)
    w0 = np.empty(n, wh.dtype)
    w1 = np.empty(n, wh.dtype)
    blend = BLEND_I16 if itemsize == 1 else BLEND_LERP
    for x in range(ow):
        t = np.int64(bh[x, 0])
        e = t + bh[x, 1] - 1
        lo[x] = (cols[t] if gather else col0 + t) * c
        ro[x] = (cols[e] if gather else col0 + e) * c
        blend = _pair_blend(wh[x, 0], wh[x, 1], blend)
        for k in range(c):
            w0[x * c + k] = wh[x, 0]
            w1[x * c + k] = wh[x, 1]
    # one copy per pixel (see _pixel_unit) where the right pixel sits at a
    # fixed distance from the left one and the row holds the whole copy
    unit, _ = _pixel_unit(c, itemsize)
    step = max(1, unit // itemsize)
    dr = ro[0] - lo[0] if ow > 0 else 0
    nwide = ow if unit > 0 else 0
    for x in range(ow):
        if ro[x] - lo[x] != dr:
            nwide = 0
    while nwide > 0 and ro[nwide - 1] + step > length:
        nwide -= 1
    m1 = np.empty(n if blend == BLEND_I16 else 0, np.int16)
    for j in range(m1.shape[0]):
        m1[j] = np.int16(w1[j] // (1 << _I16_SHIFT))  # w1 >= 0 (float weights: never used)
    return lo, ro, w0, w1, dr, nwide, unit, blend, m1


@kernel
def _pairs(src, dst, bv, wv, pt, buf, c, rnd, shift, hi, y0, y1):
    """Output rows y0:y1 of one frame (src, dst: (rows, row elements)) when
    every window has one or two taps on both axes (antialias=False
    downscales with bilinear, hamming or box; the planner takes it where it
    is faster than ORDER_VH, see resize.PAIR_PIXEL_BYTES).  wv has two columns (zero for one-tap windows); ``pt``
    is the _pair_table of the horizontal table, ``buf`` four rows of at
    least ``ow * c + 16`` elements.

    Per output row, the two input pixels of each output column are copied
    from the row's two input rows into four compact rows; one contiguous
    vectorised loop then blends them vertically -- rounded to the image's
    dtype, as the vertical pass of ORDER_VH stores it -- and horizontally,
    in the cheapest form the row's and the columns' weights allow (see
    _pair_blend).  Each output element gets the value ORDER_VH gives it.
    """
    lo, ro, w0, w1, dr, nwide, unit, hblend, m1 = pt
    n = w0.shape[0]
    la = buf[0]
    ra = buf[1]
    lb = buf[2]
    rb = buf[3]
    av = np.empty(m1.shape[0], np.int16)  # the row's int16 multiplier, per element
    for y in range(y0, y1):
        ya = np.int64(bv[y, 0])
        _copy_pairs(src[ya], src[ya + bv[y, 1] - 1], lo, ro, dr, c, unit, nwide, la, ra, lb, rb)
        a0 = wv[y, 0]
        a1 = wv[y, 1]
        d = dst[y]
        if shift is None:  # float weights (uint16, float32)
            _blend_full(d, la, ra, lb, rb, a0, a1, w0, w1, rnd, shift, hi)
        else:
            blend = _pair_blend(a0, a1, hblend)
            if blend == BLEND_I16:
                av[:] = a1 >> _I16_SHIFT
                _blend_i16(d, la, ra, lb, rb, av, m1)
            elif blend == BLEND_LERP:
                _blend_lerp(d, la, ra, lb, rb, a1, w1, rnd)
            else:
                _blend_full(d, la, ra, lb, rb, a0, a1, w0, w1, rnd, shift, hi)


# order codes: each has its own entry kernel (RESAMPLE, and fused.PIPELINE),
# which passes its code as a constant to the inlined drivers below, so numba
# prunes every other order's branch and a first call compiles only the path
# it runs (one kernel holding all orders compiled them all: about 18 s on an
# empty cache for a first 64x64 resize, against 11 s).
# A literal argument (0, True, or a global constant) in a call between
# kernels that are not inlined makes numba compile the callee again for the
# literal's type (Literal[int](0) is not int64): _hpass was compiled four
# times for one resize.  Such calls pass np.int64(0) / np.bool_(True).

ORDER_V = 1  # vertical pass only (width unchanged)
ORDER_H = 2  # horizontal pass only (height unchanged)
ORDER_VH = 3  # vertical pass first, then horizontal
ORDER_HV = 4  # horizontal pass first, then vertical
ORDER_PAIRS = 5  # at most two taps per window on both axes, sparse columns (_pairs)


@kernel(inline=True)
def _conv_buffers(order, src4, src3, dst4, bv, wh, bh, hl, max_tmp_rows, shift):
    """The scratch memory and tables one thread's resampling tasks share,
    made once per thread: ``(tile, out_t, tmp, rowsrc, pt, pbuf, hpk)`` --
    the horizontal pass's transposed input and output tiles, the
    intermediate rows of the two-pass orders, the input rows of a
    horizontal-first sub-band, _pairs's table and rows, and the horizontal
    weights packed for uint8 (_pack_table).  ``order`` is a constant (each
    order its own types: None where it uses no such buffer)."""
    in_w = src4.shape[2]
    out_w = dst4.shape[2]
    ch = dst4.shape[3]
    hcols, hcol0, hncol, hrows = hl
    if order == ORDER_V:
        return None, None, None, None, None, None, None
    if order == ORDER_PAIRS:
        pt = _pair_table(bh, wh, hl, ch, src4.itemsize, src3.shape[2])
        return None, None, None, None, pt, np.empty((4, out_w * ch + 16), src4.dtype), None
    # rows of the tiles end in the elements a pixel copy carries past its pixel
    pad = _pixel_unit(ch, src4.itemsize)[1]
    tile = np.zeros((hncol, hrows * ch + pad), src4.dtype)
    out_t = np.empty((out_w, hrows * ch + pad), dst4.dtype)
    hpk = _pack_table(bh, wh, shift, src4.itemsize == 1)
    if order == ORDER_VH:
        return tile, out_t, np.empty((max_tmp_rows, in_w, ch), dst4.dtype), None, None, None, hpk
    if order == ORDER_HV:
        taps = np.int64(0)  # a loop: numba's ndarray.max costs half a second to compile
        for y in range(bv.shape[0]):
            taps = max(taps, np.int64(bv[y, 1]))
        cap = max_tmp_rows + taps
        return tile, out_t, np.empty((cap, out_w, ch), dst4.dtype), np.empty(cap, np.int64), None, None, hpk
    return tile, out_t, None, None, None, None, hpk  # ORDER_H


@kernel(inline=True)
def _resample_task(order, src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, bufs, f0, f1, y0, y1):
    """Resize frames f0:f1, output rows y0:y1 in ``order`` (a constant),
    with a thread's _conv_buffers."""
    tile, out_t, tmp, rowsrc, pt, pbuf, hpk = bufs
    hcols, hcol0, hncol, hrows = hl
    # _vpass then packs each row's uint8 weights itself (a writable array,
    # as _hpass's packed tables are: a global one is typed read-only, and
    # _vpass would compile twice)
    unpacked = np.empty((0, 0), np.int32)
    if order == ORDER_V:
        for f in range(f0, f1):
            _vpass(src3[f], dst3[f], src3.shape[2], bv, wv, unpacked, y1 - y0, y0, y0, y0, rnd, shift, hi)
    elif order == ORDER_PAIRS:
        for f in range(f0, f1):
            _pairs(src3[f], dst3[f], bv, wv, pt, pbuf, dst4.shape[3], rnd, shift, hi, y0, y1)
    elif order == ORDER_H:
        rows = np.arange(y0, y1)
        for f in range(f0, f1):
            _hpass(src3[f], src4[f], flat, rows, y1 - y0, hcols, hcol0, bh, wh, hpk, tile, out_t, dst4[f], y0, rnd, shift, hi)
    elif order == ORDER_VH:
        tmp2 = tmp.reshape(max_tmp_rows, src4.shape[2] * dst4.shape[3])
        rows = np.arange(max_tmp_rows)
        for f in range(f0, f1):
            for a in range(y0, y1, max_tmp_rows):
                b = min(a + max_tmp_rows, y1)
                _vpass(src3[f], tmp2, src3.shape[2], bv, wv, unpacked, b - a, a, a, np.int64(0), rnd, shift, hi)
                _hpass(tmp2, tmp, np.bool_(True), rows, b - a, hcols, hcol0, bh, wh, hpk, tile, out_t, dst4[f], a, rnd, shift, hi)
    else:  # ORDER_HV
        cap = rowsrc.shape[0]
        tmp2 = tmp.reshape(cap, dst4.shape[2] * dst4.shape[3])
        local = np.empty((y1 - y0, 2), bv.dtype)
        for f in range(f0, f1):
            y = y0
            while y < y1:
                start = y
                cnt = np.int64(0)  # not a literal 0: see the note above ORDER_V
                last_end = -1
                while y < y1:
                    s = np.int64(bv[y, 0])
                    n = np.int64(bv[y, 1])
                    e = s + n
                    first = max(s, last_end)
                    new = e - first if e > first else 0
                    if cnt + new > max_tmp_rows and y > start:
                        break
                    for r in range(first, e):
                        rowsrc[cnt] = r
                        cnt += 1
                    # bounds are monotone, so the row's taps are the last n rows added
                    local[y - y0, 0] = cnt - n
                    local[y - y0, 1] = n
                    if e > last_end:
                        last_end = e
                    y += 1
                _hpass(src3[f], src4[f], flat, rowsrc, cnt, hcols, hcol0, bh, wh, hpk, tile, out_t, tmp, np.int64(0), rnd, shift, hi)
                _vpass(tmp2, dst3[f], tmp2.shape[1], local, wv, unpacked, y - start, start - y0, start, start, rnd, shift, hi)


@kernel(inline=True)
def _resample_run(order, src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band):
    """The body of the RESAMPLE kernels: with an empty ``tasks`` table, the
    one task ``band`` = (f0, f1, y0, y1) (frames f0:f1, output rows y0:y1)
    on the calling thread; else the tasks of ``tasks`` that this thread
    claims from ``ctr`` (see next_task), several threads on one job at once.
    Scratch memory is allocated once per call, after the first task is
    claimed."""
    n = tasks.shape[0]
    k = next_task(ctr, n) if n > 0 else np.int64(-1)
    if k >= n:
        return
    bufs = _conv_buffers(order, src4, src3, dst4, bv, wh, bh, hl, max_tmp_rows, shift)
    while k < n:
        if k < 0:
            f0, f1, y0, y1 = band
        else:
            f0, f1, y0, y1 = tasks[k, 0], tasks[k, 1], tasks[k, 2], tasks[k, 3]
        _resample_task(order, src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, bufs, f0, f1, y0, y1)
        if k < 0:
            return
        task_done(ctr)
        k = next_task(ctr, n)


# The RESAMPLE kernels' arguments: src3/dst3 are (frames, rows,
# width*channels) views of src4/dst4 (the vertical pass works on whole rows);
# ``flat``: src3 is such a view of src4 (else a placeholder of the right
# dtype, and only src4 is read).  ``hl`` = (columns, first column, column
# count, rows per tile) of the horizontal pass (resize.h_layout).  Two-pass
# orders go through an intermediate of at most ``max_tmp_rows`` rows (kept in
# cache), processing the band in sub-bands; the horizontal-first order only
# resamples the input rows the band's vertical taps touch.  ``tasks``,
# ``ctr``, ``band``: see _resample_run.


@kernel
def resample_v(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band):
    """Resample in ORDER_V (see the note above)."""
    _resample_run(ORDER_V, src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)


@kernel
def resample_h(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band):
    """Resample in ORDER_H (see the note above)."""
    _resample_run(ORDER_H, src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)


@kernel
def resample_vh(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band):
    """Resample in ORDER_VH (see the note above)."""
    _resample_run(ORDER_VH, src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)


@kernel
def resample_hv(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band):
    """Resample in ORDER_HV (see the note above)."""
    _resample_run(ORDER_HV, src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)


@kernel
def resample_pairs(src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band):
    """Resample in ORDER_PAIRS (see the note above)."""
    _resample_run(ORDER_PAIRS, src4, src3, flat, dst4, dst3, bv, wv, bh, wh, hl, max_tmp_rows, rnd, shift, hi, tasks, ctr, band)


RESAMPLE = {ORDER_V: resample_v, ORDER_H: resample_h, ORDER_VH: resample_vh, ORDER_HV: resample_hv, ORDER_PAIRS: resample_pairs}
# the ``tasks`` and ``ctr`` of a single-band call, the ``band`` of a claiming one
NO_TASKS = np.empty((0, 4), np.int64)
NO_COUNTER = np.zeros(2, np.int64)
NO_BAND = (0, 0, 0, 0)


@kernel
def nearest_frames(src, dst, xi, yi, f0, f1, y0, y1):
    """dst[f, y, x] = src[f, yi[y], xi[x]] (all channels)."""
    w = dst.shape[2]
    c = dst.shape[3]
    for f in range(f0, f1):
        for y in range(y0, y1):
            s = src[f, yi[y]]
            d = dst[f, y]
            if c == 3:
                for x in range(w):
                    sx = xi[x]
                    d[x, 0] = s[sx, 0]
                    d[x, 1] = s[sx, 1]
                    d[x, 2] = s[sx, 2]
            else:
                for x in range(w):
                    sx = xi[x]
                    for k in range(c):
                        d[x, k] = s[sx, k]
