"""Every numba kernel of the package, by family.

- ``_jit``: the one decorator (``kernel``) and the LLVM intrinsics;
  ``fixed_point``: the uint8 fixed-point constants shared with ``_coeffs``;
- ``tasks``: the task counter the engine's threads claim work from;
- ``coeffs``: the box and bilinear filters' coefficient tables;
- ``color``: luminance sums and channel conversions;
- ``resample``: Pillow's convolution passes, nearest neighbour, frame drivers;
- ``fused``: the pipeline's resample-then-epilogue kernels.

Conventions: arrays are 4-D (frames, rows, columns, channels) views; a kernel
processes frames ``f0:f1`` and rows ``y0:y1`` (or, like the RESAMPLE kernels,
the (f0, f1, y0, y1) tasks of a table that it claims from a counter shared by
the threads of one job) and writes into a preallocated output.  Kernels never
validate: the public layer checks every index first.  Each output element is
computed by the same operations whatever task computes it, so results do not
depend on how work is split across threads.

The dependency rule: numba's on-disk cache is keyed on the file of the
compiled function (its modification time and size), not on the files that
function calls into, so a kernel that calls or inlines code from another file
would keep its stale machine code after that file changes.  Each kernel file
therefore imports only from this package and records, in ``DEPENDS_ON``, the
SHA-256 (first 16 hex digits) of every file it imports from.  Editing a file
makes ``tests/kernels/test_kernel_files.py`` fail until the hashes of its importers
are updated (``python tests/kernels/test_kernel_files.py --update``), which edits
those files and so invalidates their cached code, transitively.
"""
from . import coeffs, color, fused, resample, tasks
from .color import (
    channel_row_sums,
    channel_row_sums_flat,
    gray_to_rgb,
    image_channel_sums,
    rgb_to_gray_float,
    rgb_to_gray_int,
    rgb_to_rgba,
    rgb_to_rgba_flat,
    rgba_to_rgb,
    rgba_to_rgb_flat,
    swap_red_blue,
)
from .fused import CH_CONST, CH_GRAY, EPI_F16, EPI_F32, EPI_RAW, epilogue, float32_to_half_bits, PIPELINE, pipeline_nearest
from .resample import (
    BLEND_FULL,
    BLEND_I16,
    BLEND_LERP,
    GROUP,
    ORDER_H,
    ORDER_HV,
    ORDER_PAIRS,
    ORDER_V,
    ORDER_VH,
    NO_BAND,
    NO_COUNTER,
    NO_TASKS,
    RESAMPLE,
    nearest_frames,
)
from .tasks import next_task, task_done, wait_tasks

FAMILIES = (tasks, coeffs, color, resample, fused)


def dispatchers():
    """Every numba dispatcher of the families, private helpers included, as
    {"family.name": dispatcher} (what the cache and signature tests count)."""
    return {
        f"{m.__name__.rsplit('.', 1)[1]}.{n}": v
        for m in FAMILIES
        for n, v in vars(m).items()
        if hasattr(v, "signatures") and getattr(v, "__module__", None) == m.__name__
    }
