"""Compile (or load from numba's cache) every kernel for the shipped dtypes."""
import os
import subprocess
import sys
import time

import numpy as np


SHIPPED = ("uint8", "uint16", "float32")  # the dtypes the kernels are compiled for
# (width, height) that 9x11 images resize to in ORDER_V, ORDER_H, ORDER_HV and ORDER_VH
ORDER_SIZES = ((11, 4), (5, 9), (5, 4), (9, 3))


def warmup(dtypes=SHIPPED, verbose=False):
    """Run every public operation once on tiny arrays of each dtype.

    Call it once per machine (``python -m trainingsample warmup``) to fill
    numba's on-disk cache, or in a DataLoader ``worker_init_fn``.  Returns the
    seconds it took (see ``python -m trainingsample warmup`` in the README).
    """
    from .color import (batch_calculate_luminance, batch_gray_to_rgb, batch_rgb_to_bgr, batch_rgb_to_gray,
                        batch_rgb_to_rgba, batch_rgba_to_rgb, calculate_luminance)
    from .crop import batch_crop_images, batch_random_crop_images
    from .pipeline import (CenterCrop, ConvertChannels, HorizontalFlip, Normalize, Pipeline, RandomResizedCrop,
                           Resize, VerticalFlip)
    from .resize import batch_resize_images, batch_resize_videos

    t0 = time.perf_counter()
    for name in dtypes:
        dt = np.dtype(name)
        for c in (1, 3, 4):
            imgs = np.ones((2, 9, 11, c), dt)
            lst = [imgs[0], imgs[1]]
            batch_crop_images(lst, (1, 1, 4, 4))
            batch_crop_images(imgs, (1, 1, 4, 4))
            batch_random_crop_images(lst, (4, 4), seed=0)
            # contiguous images and views that are not (a numba signature each)
            views = np.ones((2, 9, 13, c), dt)[:, :, 2:]
            channels = np.ones((2, 9, 11, c + 1), dt)[..., :c]  # e.g. RGB of RGBA
            batch_resize_images(imgs, (20, 17), interpolation="nearest")  # the filters' kernels: below
            # each pass order's kernels (kernels.RESAMPLE and PIPELINE), for
            # contiguous and strided sources: ORDER_V, H, HV and VH of 9x11
            # images, the pixel pairs of a 1/3 downscale without antialiasing
            wide = np.ones((2, 150, 302, c), dt)
            for src, size, antialias in [(s, z, True) for s in (imgs, views) for z in ORDER_SIZES] + [
                (np.ascontiguousarray(wide[:, :, 2:]), (100, 50), False),
                (wide[:, :, 2:], (100, 50), False),
            ]:
                batch_resize_images(src, size, antialias=antialias)
                Pipeline([Resize(size, antialias=antialias), Normalize(0.5, 0.5)])(src)
            calculate_luminance(imgs[0])  # the single-image fast path (integer images)
            for group in (lst, imgs, [views[0]], views, [channels[0]], channels):
                batch_calculate_luminance(group)
                if c == 3:
                    batch_rgb_to_rgba(group)
                    batch_rgb_to_bgr(group)
                    batch_rgb_to_gray(group)
                if c == 4:
                    batch_rgba_to_rgb(group)
                    batch_rgb_to_bgr(group)
                if c == 1:
                    batch_gray_to_rgb(group)
        batch_resize_videos([np.ones((3, 9, 11, 3), dt)], (5, 4))
        # pipelines: fused resample + epilogue, epilogue alone, for list and array inputs
        for c in (1, 3, 4):
            imgs = np.ones((2, 9, 11, c), dt)
            for interp in ("nearest", "bilinear", "bicubic"):
                Pipeline([Resize((6, 5), "fill", interpolation=interp), HorizontalFlip(1.0)])(list(imgs))
                Pipeline([RandomResizedCrop(5, interpolation=interp), ConvertChannels("rgb")])(list(imgs), seed=0)
                Pipeline([RandomResizedCrop(5, interpolation=interp), Normalize(0.5, 0.5)])(list(imgs), seed=0)
                Pipeline([Resize((13, 6), interpolation=interp), Normalize(0.5, 0.5)])(imgs)
            Pipeline([CenterCrop(4), VerticalFlip(1.0), Normalize(0.5, 0.5, dtype="float16", layout="hwc")])(list(imgs))
            Pipeline([CenterCrop(4), ConvertChannels("gray")])(imgs)
        if verbose:
            print(f"warmed {name} in {time.perf_counter() - t0:.1f} s", flush=True)
    return time.perf_counter() - t0


# what each process of warmup_processes runs, for the dtype in sys.argv[1]
CHILD = "import sys; from trainingsample.warmup import warmup; warmup((sys.argv[1],), verbose={verbose})"


def warmup_processes(dtypes=SHIPPED, processes=None, verbose=False):
    """:func:`warmup` of each dtype in a process of its own, ``processes`` at
    a time (default: the CPUs this process may use): the compiles are
    independent, numba's compiler runs on one core, and the kernels' cache
    saves one at a time (kernels._jit.KernelCache's lock), so none is lost
    or mixed up.  Fills the cache only: this process loads nothing.  Returns
    the seconds it took; a failure raises RuntimeError with that process's
    output."""
    import tempfile

    from . import _validate as V
    from ._engine import available_cpus

    V.warmup_args(dtypes, processes, SHIPPED)
    n = min(len(dtypes), processes or available_cpus())
    code = CHILD.format(verbose=bool(verbose))
    t0 = time.perf_counter()
    pending, running = list(dtypes), []
    with tempfile.TemporaryDirectory() as logs:
        while pending or running:
            while pending and len(running) < n:
                name = pending.pop(0)
                err = open(os.path.join(logs, name), "w+")
                out = None if verbose else subprocess.DEVNULL
                running.append((name, err, subprocess.Popen([sys.executable, "-c", code, name], stdout=out, stderr=err)))
            name, err, proc = running.pop(0)
            with err:
                if proc.wait():
                    for _, e, other in running:
                        other.kill()
                        other.wait()
                        e.close()
                    err.seek(0)
                    raise RuntimeError(f"warmup of {name} failed (exit status {proc.returncode}): {err.read()[-2000:]}")
    if verbose:
        print(f"warmed {', '.join(dtypes)} in {time.perf_counter() - t0:.1f} s ({n} processes)", flush=True)
    return time.perf_counter() - t0
