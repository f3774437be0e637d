"""Command line: ``trainingsample {preprocess,demo,warmup}`` (or ``python -m trainingsample``).

``preprocess`` (see cli/preprocess.py) resizes a folder of images into another,
with a manifest; with no folders it runs on a generated sample set.

``demo`` is the main job: it generates a batch of images and a video, runs
the seed workflow (crops, resize, luminance, video resize) and prints each
step's median time next to the plain-numpy way of doing the same thing.
"""
import argparse
import os
import sys
import time

import numpy as np


def _median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2] * 1e3


def _bilinear_matrix(in_size, out_size):
    """Dense (out, in) antialiased bilinear matrix (Pillow's model), for numpy."""
    scale = in_size / out_size
    support = max(scale, 1.0)
    centers = (np.arange(out_size) + 0.5) * scale
    x = np.arange(in_size) + 0.5
    m = np.maximum(0.0, 1.0 - np.abs(x[None, :] - centers[:, None]) / support)
    return m / m.sum(axis=1, keepdims=True)


def _numpy_resize(img, mv, mh):
    """What a numpy user writes: two float64 matrix products, round, cast."""
    x = np.tensordot(mv, img.astype(np.float64), axes=(1, 0))  # (oh, W, C)
    x = np.tensordot(mh, x, axes=(1, 1)).transpose(1, 0, 2)  # (oh, ow, C)
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)


def demo(count=10, repeat=5, seed=0):
    import trainingsample as ts

    rng = np.random.default_rng(seed)
    images = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(count)]
    video = rng.integers(0, 256, (30, 480, 640, 3), dtype=np.uint8)
    t0 = time.perf_counter()
    ts.warmup(dtypes=("uint8",))
    print(f"trainingsample {ts.__version__}: {ts.get_num_threads()} threads; kernels ready in {time.perf_counter() - t0:.2f} s")
    weights = np.array([0.299, 0.587, 0.114])
    mv, mh = _bilinear_matrix(480, 224), _bilinear_matrix(640, 224)
    steps = [
        ("crop 200x200", lambda: ts.batch_crop_images(images, [(50, 50, 200, 200)] * count),
         lambda: [np.ascontiguousarray(im[50:250, 50:250]) for im in images]),
        ("center crop 224", lambda: ts.batch_center_crop_images(images, [(224, 224)] * count),
         lambda: [np.ascontiguousarray(im[128:352, 208:432]) for im in images]),
        ("random crop 256", lambda: ts.batch_random_crop_images(images, [(256, 256)] * count, seed=1),
         lambda: [np.ascontiguousarray(im[y:y + 256, x:x + 256]) for im, x, y in zip(images, rng.integers(0, 385, count), rng.integers(0, 225, count))]),
        ("resize 224 bilinear (antialiased)", lambda: ts.batch_resize_images(images, [(224, 224)] * count),
         lambda: [_numpy_resize(im, mv, mh) for im in images]),
        ("luminance", lambda: ts.batch_calculate_luminance(images),
         lambda: [float((im.astype(np.float64) @ weights).mean()) for im in images]),
        ("video 30x480x640 -> 224", lambda: ts.batch_resize_videos([video], [(224, 224)]),
         lambda: [_numpy_resize(f, mv, mh) for f in video]),
    ]
    print(f"{'step':36s} {'trainingsample':>15s} {'numpy':>10s} {'ratio':>7s}")
    for name, ours, theirs in steps:
        a = _median_ms(ours, repeat)
        b = _median_ms(theirs, repeat)
        print(f"{name:36s} {a:12.2f} ms {b:7.2f} ms {b / a:6.1f}x")
    print("(numpy resize: the same antialiased bilinear as two float64 matrix products per image)")
    out = ts.batch_resize_images(images, [(224, 224)] * count)
    lum = ts.batch_calculate_luminance(images)
    print(f"shapes: crop {ts.batch_crop_images(images, [(50, 50, 200, 200)] * count)[0].shape}, "
          f"resize {out[0].shape}, video {ts.batch_resize_videos([video], [(224, 224)])[0].shape}; "
          f"luminance[0] = {lum[0]:.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="trainingsample")
    sub = parser.add_subparsers(dest="cmd")
    d = sub.add_parser("demo", help="run the seed workflow on generated images and print timings vs numpy")
    d.add_argument("--count", type=int, default=10)
    d.add_argument("--repeat", type=int, default=5)
    w = sub.add_parser("warmup", help="compile every kernel into numba's on-disk cache")
    from ..warmup import SHIPPED, warmup, warmup_processes

    w.add_argument("--dtypes", nargs="+", default=list(SHIPPED), choices=SHIPPED)
    w.add_argument("--processes", type=int, default=None, help="dtypes compiled at once, each in its own process "
                   "(default: the usable CPUs; 1: in this process)")
    from . import preprocess

    preprocess.build_parser(sub)
    args = parser.parse_args(argv)
    if args.cmd == "warmup" and args.processes is not None and args.processes < 1:
        parser.error(f"--processes must be >= 1, got {args.processes}")
    if args.cmd == "preprocess":
        return preprocess.run_cli(args)
    if args.cmd == "warmup":
        if args.processes == 1 or len(args.dtypes) == 1:
            warmup(tuple(args.dtypes), verbose=True)
        else:
            warmup_processes(tuple(args.dtypes), args.processes, verbose=True)
    elif args.cmd == "demo" or args.cmd is None:
        if args.cmd is None:
            args.count, args.repeat = 10, 5
        demo(args.count, args.repeat)
    return 0


def console():
    """The ``trainingsample`` command: ``main``, then exit without the
    interpreter's teardown of numba and LLVM (about 0.3 s on 2 cores), once
    every output and the manifest are written and closed and the standard
    streams flushed."""
    code = main()
    if "ray" in sys.modules:  # Ray's exit hooks stop what ray.init started
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
