"""Compile (or load from numba's cache) every kernel for the shipped dtypes."""
import time

import numpy as np


def warmup(dtypes=("uint8", "uint16", "float32"), verbose=False):
    """Run every public operation once on tiny arrays of each dtype.

    Call it once per machine (``python -m trainingsample warmup``) to fill
    numba's on-disk cache, or in a DataLoader ``worker_init_fn``.  Returns the
    seconds it took (see ``python -m trainingsample warmup`` in the README).
    """
    from ._coeffs import FILTERS
    from .color import (batch_calculate_luminance, batch_gray_to_rgb, batch_rgb_to_bgr, batch_rgb_to_gray,
                        batch_rgb_to_rgba, batch_rgba_to_rgb, calculate_luminance)
    from .crop import batch_crop_images, batch_random_crop_images
    from .pipeline import (CenterCrop, ConvertChannels, HorizontalFlip, Normalize, Pipeline, RandomResizedCrop,
                           Resize, VerticalFlip)
    from .resize import batch_resize_images, batch_resize_videos, resample_call, resample_setup

    t0 = time.perf_counter()
    for name in dtypes:
        dt = np.dtype(name)
        for c in (1, 3, 4):
            imgs = np.ones((2, 9, 11, c), dt)
            lst = [imgs[0], imgs[1]]
            batch_crop_images(lst, (1, 1, 4, 4))
            batch_crop_images(imgs, (1, 1, 4, 4))
            batch_random_crop_images(lst, (4, 4), seed=0)
            for interp in ("nearest",) + tuple(FILTERS):
                for size in ((5, 4), (20, 17), (11, 4), (5, 9)):
                    batch_resize_images(lst, size, interpolation=interp)
                    batch_resize_images(imgs, size, interpolation=interp)
                batch_resize_images(lst, (20, 3), interpolation=interp)  # horizontal-first order
            # the kernel that split (multi-threaded) resizes run, which claims its tasks
            for src4 in (imgs[:1], imgs):
                dst = np.empty((src4.shape[0], 4, 5, c), dt)
                rc = resample_call(src4, dst, resample_setup(src4, 4, 5, dt, "bilinear", True))
                rc.claim(np.array([[0, src4.shape[0], 0, 4]], np.int64), np.zeros(2, np.int64))
            # contiguous images and views that are not (a numba signature each)
            views = np.ones((2, 9, 13, c), dt)[:, :, 2:]
            channels = np.ones((2, 9, 11, c + 1), dt)[..., :c]  # e.g. RGB of RGBA
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
