"""The resampling tables of the box and bilinear filters (Pillow's
precompute_coeffs), compiled: the same float64 operations, in the same
order, as ``_coeffs.table_numpy`` -- whose results these are, bit for bit
(``tests/test_coeffs.py``) -- in about a tenth of its time, which was most
of a file's planning.  The other filters call sin/cos, whose last bit may
differ between numpy and LLVM, and stay in numpy."""
import numpy as np

from ._jit import kernel

# numba's cache does not see edits to other files: the hashes of the files
# this one imports (tests/kernels/test_kernel_files.py fails when one is stale).
DEPENDS_ON = {"_jit.py": "25193760b8ccc458"}

FILTER_BOX = 0
FILTER_BILINEAR = 1


@kernel(exact=True)
def filter_table(in_size, out_size, in0, scale, support, inv_filterscale, ksize, filt, bounds, flat):
    """Fill ``bounds`` (out_size, 2) with each output's (first input, taps)
    and ``flat`` (at least out_size * ksize) with the normalised weights,
    ``width`` per row; returns ``width`` (the widest row, at most ksize,
    at least 1).  ``filt``: FILTER_BOX or FILTER_BILINEAR."""
    width = 1
    for i in range(out_size):
        center = in0 + (i + 0.5) * scale
        lo = np.trunc(center - support + 0.5)
        hi = np.trunc(center + support + 0.5)
        xmin = np.int64(lo) if lo > 0.0 else np.int64(0)
        xmax = (np.int64(hi) if hi < in_size else np.int64(in_size)) - xmin
        bounds[i, 0] = xmin
        bounds[i, 1] = xmax
        width = max(width, xmax)
    width = min(ksize, width)
    for i in range(out_size):
        center = in0 + (i + 0.5) * scale
        xmin = np.int64(bounds[i, 0])
        n = np.int64(bounds[i, 1])
        row = i * width
        total = 0.0
        for t in range(width):
            v = 0.0
            if t < n:
                x = (np.float64(t + xmin) - center + 0.5) * inv_filterscale
                if filt == FILTER_BOX:
                    v = 1.0 if x > -0.5 and x <= 0.5 else 0.0
                else:
                    a = abs(x)
                    v = 1.0 - a if a < 1.0 else 0.0
            flat[row + t] = v
            total += v  # in tap order, as Pillow sums
        if total != 0.0:
            for t in range(width):
                flat[row + t] /= total
    return width
