"""Colour kernels: exact per-row channel sums for the luminance (integers
for integer images, so the mean does not depend on how rows are split
between threads) and the channel conversions (RGB/RGBA/BGR/gray)."""
import numpy as np

from ._jit import kernel

# numba's cache does not see edits to other files: the hashes of the files
# this one imports (tests/kernels/test_kernel_files.py fails when one is stale).
DEPENDS_ON = {"_jit.py": "25193760b8ccc458"}


@kernel
def channel_row_sums(src, out, zero, f0, f1, y0, y1):
    """out[f, y, k] = sum over the row of channel k (k < 3; C == 1 fills k = 0).

    ``zero`` fixes the accumulator type: uint32 for uint8 rows (no overflow
    below 16M pixels per row), uint64 for uint16, float64 for float32.
    """
    w = src.shape[2]
    c = src.shape[3]
    for f in range(f0, f1):
        for y in range(y0, y1):
            row = src[f, y]
            s0 = zero
            s1 = zero
            s2 = zero
            if c == 1:
                for x in range(w):
                    s0 += row[x, 0]
            else:
                for x in range(w):
                    s0 += row[x, 0]
                    s1 += row[x, 1]
                    s2 += row[x, 2]
            out[f, y, 0] = s0
            out[f, y, 1] = s1
            out[f, y, 2] = s2


@kernel
def channel_row_sums_flat(src3, out, zero, c, f0, f1, y0, y1):
    """channel_row_sums of integer rows stored flat (src3: frames, rows,
    width*c; c = 3 or 4): each row is summed in 192 (c = 3) or 64 (c = 4)
    lanes over contiguous blocks, then the lanes of each channel (lane k
    holds channel k % c) are added up.  The same integers as
    channel_row_sums; its per-channel loop's strided loads vectorise on some
    CPUs only, this one loop on all (with unsigned indices: numba then adds
    no negative-index wraparound, which kept LLVM from vectorising blocks of
    48 or 192)."""
    n = src3.shape[2]
    width = 192 if c == 3 else 64
    lanes = np.full(width, zero)
    body = n - n % width
    for f in range(f0, f1):
        for y in range(y0, y1):
            row = src3[f, y]
            lanes[:] = zero
            if c == 3:
                for x in range(0, body, 192):
                    for k in range(192):
                        lanes[k] += row[np.uint64(x + k)]
            else:
                for x in range(0, body, 64):
                    for k in range(64):
                        lanes[k] += row[np.uint64(x + k)]
            s0 = zero
            s1 = zero
            s2 = zero
            for k in range(0, width, c):
                s0 += lanes[k]
                s1 += lanes[k + 1]
                s2 += lanes[k + 2]
            for x in range(body, n, c):  # n - body is a multiple of c
                s0 += row[x]
                s1 += row[x + 1]
                s2 += row[x + 2]
            out[f, y, 0] = s0
            out[f, y, 1] = s1
            out[f, y, 2] = s2


@kernel
def image_channel_sums(src3, c, zero):
    """The channel totals of the integer pixels ``src3[0]`` (rows of
    ``c``-channel pixels stored flat; c = 1, 3 or 4) as three uint64: the
    same integers as the engine's per-row sums, in one call.  A contiguous
    image passed as one row (1, 1, H*W*c) adds its lanes up once instead of
    once per row.  ``zero``'s type accumulates each row (see
    channel_row_sums): the caller keeps a row's total below its maximum."""
    rows = src3.shape[1]
    out = np.zeros((1, rows, 3), np.uint64)
    if c == 1:
        for y in range(rows):
            row = src3[0, y]
            s0 = zero
            for x in range(row.shape[0]):
                s0 += row[x]
            out[0, y, 0] = s0
    else:
        channel_row_sums_flat(src3, out, zero, c, 0, 1, 0, rows)
    t0 = np.uint64(0)
    t1 = np.uint64(0)
    t2 = np.uint64(0)
    for y in range(rows):
        t0 += out[0, y, 0]
        t1 += out[0, y, 1]
        t2 += out[0, y, 2]
    return t0, t1, t2


# --------------------------------------------------------------------------
# channel conversions


@kernel
def rgb_to_rgba(src, dst, alpha, f0, f1, y0, y1):
    w = src.shape[2]
    for f in range(f0, f1):
        for y in range(y0, y1):
            s = src[f, y]
            d = dst[f, y]
            for x in range(w):
                d[x, 0] = s[x, 0]
                d[x, 1] = s[x, 1]
                d[x, 2] = s[x, 2]
                d[x, 3] = alpha


@kernel
def rgb_to_rgba_flat(src, dst, alpha, f0, f1, y0, y1):
    """As rgb_to_rgba on (frames, rows, row elements) views: constant-stride
    byte loops that LLVM vectorises (about 2x the per-pixel 4-D form)."""
    w = src.shape[2] // 3
    for f in range(f0, f1):
        for y in range(y0, y1):
            s = src[f, y]
            d = dst[f, y]
            for x in range(w):
                d[4 * x] = s[3 * x]
                d[4 * x + 1] = s[3 * x + 1]
                d[4 * x + 2] = s[3 * x + 2]
                d[4 * x + 3] = alpha


@kernel
def rgba_to_rgb_flat(src, dst, f0, f1, y0, y1):
    w = src.shape[2] // 4
    for f in range(f0, f1):
        for y in range(y0, y1):
            s = src[f, y]
            d = dst[f, y]
            for x in range(w):
                d[3 * x] = s[4 * x]
                d[3 * x + 1] = s[4 * x + 1]
                d[3 * x + 2] = s[4 * x + 2]


@kernel
def rgba_to_rgb(src, dst, f0, f1, y0, y1):
    w = src.shape[2]
    for f in range(f0, f1):
        for y in range(y0, y1):
            s = src[f, y]
            d = dst[f, y]
            for x in range(w):
                d[x, 0] = s[x, 0]
                d[x, 1] = s[x, 1]
                d[x, 2] = s[x, 2]


@kernel
def swap_red_blue(src, dst, f0, f1, y0, y1):
    """RGB <-> BGR (and RGBA <-> BGRA: alpha kept in place)."""
    w = src.shape[2]
    c = src.shape[3]
    for f in range(f0, f1):
        for y in range(y0, y1):
            s = src[f, y]
            d = dst[f, y]
            if c == 4:
                for x in range(w):
                    d[x, 0] = s[x, 2]
                    d[x, 1] = s[x, 1]
                    d[x, 2] = s[x, 0]
                    d[x, 3] = s[x, 3]
            else:
                for x in range(w):
                    d[x, 0] = s[x, 2]
                    d[x, 1] = s[x, 1]
                    d[x, 2] = s[x, 0]


@kernel
def gray_int(s, x):
    """ITU-R 601-2 luma of pixel ``s[x]`` (a row of RGB[A] integers) in 16-bit
    fixed point, rounded: Pillow's convert("L").  The weights (19595, 38470,
    7471) sum to 65536, so the same formula is exact for uint16 images."""
    return (np.int64(s[x, 0]) * 19595 + np.int64(s[x, 1]) * 38470 + np.int64(s[x, 2]) * 7471 + 32768) >> 16


@kernel
def gray_float(s, x):
    """ITU-R 601-2 luma of pixel ``s[x]`` of a float32 row, in float32."""
    return np.float32(0.299) * s[x, 0] + np.float32(0.587) * s[x, 1] + np.float32(0.114) * s[x, 2]


@kernel
def rgb_to_gray_int(src, dst, f0, f1, y0, y1):
    """gray_int of every pixel."""
    w = src.shape[2]
    for f in range(f0, f1):
        for y in range(y0, y1):
            s = src[f, y]
            d = dst[f, y]
            for x in range(w):
                d[x, 0] = gray_int(s, x)


@kernel
def rgb_to_gray_float(src, dst, f0, f1, y0, y1):
    """gray_float of every pixel."""
    w = src.shape[2]
    for f in range(f0, f1):
        for y in range(y0, y1):
            s = src[f, y]
            d = dst[f, y]
            for x in range(w):
                d[x, 0] = gray_float(s, x)


@kernel
def gray_to_rgb(src, dst, f0, f1, y0, y1):
    w = src.shape[2]
    for f in range(f0, f1):
        for y in range(y0, y1):
            s = src[f, y]
            d = dst[f, y]
            for x in range(w):
                v = s[x, 0]
                d[x, 0] = v
                d[x, 1] = v
                d[x, 2] = v
