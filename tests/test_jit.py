import pathlib
import re
import subprocess
import sys

import trainingsample

SRC = pathlib.Path(trainingsample.__file__).parent


def test_only_jit_module_calls_numba_njit():
    offenders = []
    for path in SRC.glob("*.py"):
        if path.name == "_jit.py":
            continue
        text = path.read_text()
        if re.search(r"\bnjit\b|numba\.jit|@jit\b|parallel\s*=\s*True", text):
            offenders.append(path.name)
    assert not offenders, f"numba decorators outside _jit.py: {offenders}"


def test_import_compiles_nothing():
    code = (
        "import trainingsample as ts\n"
        "from trainingsample import _kernels as K\n"
        "kernels = [getattr(K, n) for n in dir(K) if hasattr(getattr(K, n), 'signatures')]\n"
        "print(len(kernels), sum(len(k.signatures) for k in kernels))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) > 20  # the kernels are numba dispatchers ...
    assert out[1] == "0"  # ... and none was compiled (or loaded from the cache) at import


def test_second_process_loads_kernels_from_cache():
    code = (
        "import numpy as np, trainingsample as ts\n"
        "from trainingsample import _kernels as K\n"
        "ts.resize_image(np.zeros((9, 11, 3), np.uint8), (5, 4), interpolation='bicubic')\n"
        "print(sum(K.resample_band.stats.cache_hits.values()), sum(K.resample_band.stats.cache_misses.values()))"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    hits, misses = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(hits) >= 1 and int(misses) == 0


WORKLOAD = """
import numpy as np, trainingsample as ts
rng = np.random.default_rng(0)
for c in (1, 3, 4):
    img = rng.integers(0, 256, (37, 53, c), dtype=np.uint8)
    for interp in ("nearest", "box", "bilinear", "hamming", "bicubic", "lanczos3", "lanczos4"):
        ts.resize_image(img, (20, 9), interpolation=interp)
        ts.resize_image(img, (8, 30), interpolation=interp)
        ts.batch_resize_images(np.stack([img, img]), (24, 12), interpolation=interp)
    ts.crop_image(img, (1, 2, 10, 11)); ts.center_crop_image(img, (9, 9)); ts.calculate_luminance(img)
    ts.Pipeline([ts.RandomResizedCrop(16), ts.HorizontalFlip(), ts.Normalize(ts.IMAGENET_MEAN[:1] * c, ts.IMAGENET_STD[:1] * c)])([img, img], seed=1)
    ts.Pipeline([ts.Resize(20, "shorter"), ts.CenterCrop(16)])(np.stack([img, img]))
    view = img[3:, 2:]  # a view that is not contiguous
    ts.resize_image(view, (20, 9), interpolation="bicubic"); ts.calculate_luminance(view)
    ts.Pipeline([ts.Resize((16, 12)), ts.Normalize(0.5, 0.5)])([view])
ts.rgb_to_gray(img[..., :3]); ts.rgb_to_rgba(img[..., :3]); ts.rgba_to_rgb(img); ts.gray_to_rgb(img[..., :1])
ts.resize_video(rng.integers(0, 256, (3, 37, 53, 3), dtype=np.uint8), (20, 9))
"""


def test_warmup_compiles_what_the_operations_use():
    """After warmup(dtypes=("uint8",)) a typical uint8 workload adds no
    kernel signature (nothing is left to compile), and warmup returns the
    seconds it took."""
    code = (
        "import time, trainingsample as ts\n"
        "from trainingsample import _kernels as K\n"
        "kernels = {n: getattr(K, n) for n in dir(K) if hasattr(getattr(K, n), 'signatures')}\n"
        "t = time.perf_counter(); took = ts.warmup(dtypes=('uint8',)); wall = time.perf_counter() - t\n"
        "before = {n: len(k.signatures) for n, k in kernels.items()}\n"
        + WORKLOAD
        + "new = sorted(n for n, k in kernels.items() if len(k.signatures) > before[n])\n"
        "print(0 < took <= wall, sum(before.values()) > 0, ','.join(new) or '-')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "-"], out
