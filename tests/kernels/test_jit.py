import importlib
import pathlib
import re
import subprocess
import sys

import pytest

import trainingsample

SRC = pathlib.Path(trainingsample.__file__).parent


def test_only_jit_module_calls_numba_njit():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "kernels" / "_jit.py":
            continue
        text = path.read_text()
        if re.search(r"\bnjit\b|numba\.jit|@jit\b|parallel\s*=\s*True", text):
            offenders.append(str(path.relative_to(SRC)))
    assert not offenders, f"numba decorators outside kernels/_jit.py: {offenders}"


def test_import_compiles_nothing():
    code = (
        "import trainingsample as ts\n"
        "from trainingsample import kernels as K\n"
        "kernels = list(K.dispatchers().values())\n"
        "print(len(kernels), sum(len(k.signatures) for k in kernels))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) > 20  # the kernels are numba dispatchers ...
    assert out[1] == "0"  # ... and none was compiled (or loaded from the cache) at import


def test_second_process_loads_kernels_from_cache():
    code = (
        "import numpy as np, trainingsample as ts\n"
        "from trainingsample import kernels as K\n"
        "ts.resize_image(np.zeros((9, 11, 3), np.uint8), (5, 4), interpolation='bicubic')\n"
        "stats = [k.stats for k in K.RESAMPLE.values()]\n"
        "print(sum(sum(s.cache_hits.values()) for s in stats), sum(sum(s.cache_misses.values()) for s in stats))"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    hits, misses = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(hits) >= 1 and int(misses) == 0



NEW_KERNEL = """
import numpy as np
from trainingsample.kernels._jit import kernel


@kernel
def spread(a):
    return np.max(a) - np.min(a) + np.sum(a[:1])
"""


def test_a_cache_load_skips_numba_s_registries_and_a_later_compile_still_works(tmp_path):
    """Loading cached kernels does not import numba's ~60 implementation
    modules (what numba's own cache does first: a tenth of a second of
    every fresh process); a kernel compiled after such a load still gets
    them (numba's compiler refreshes its context), runs right, and is
    loaded from the cache by the next process."""
    env = _module_env(tmp_path, "newkernel", NEW_KERNEL)
    code = (
        "import sys, numpy as np, trainingsample as ts\n"
        "from trainingsample import kernels as K\n"
        "ts.resize_image(np.arange(99, dtype=np.uint8).reshape(9, 11, 1), (5, 4))\n"
        "loaded = sum(sum(k.stats.cache_hits.values()) for k in K.RESAMPLE.values())\n"
        "light = 'numba.np.arraymath' not in sys.modules and 'numba.np.linalg' not in sys.modules\n"
        "import newkernel\n"
        "v = newkernel.spread(np.array([[3, 9], [4, 1]], np.int64))\n"
        "s = newkernel.spread.stats\n"
        "print(loaded, light, v, 'numba.np.arraymath' in sys.modules, sum(s.cache_hits.values()), sum(s.cache_misses.values()))"
    )
    runs = []
    for _ in range(3):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr[-2000:]
        runs.append(r.stdout.split())
    assert runs[0][1:] == ["False", "20", "True", "0", "1"], runs[0]  # compiled everything: numba's full context
    for r in runs[1:]:  # loaded light, then the new kernel from the cache too
        assert r[:3] == ["1", "True", "20"] and r[4:] == ["1", "0"], r
    first = subprocess.run([sys.executable, "-c", code.replace("import newkernel", "sys.exit(print(loaded, light))")],
                           capture_output=True, text=True, env=env)
    assert first.stdout.split() == ["1", "True"], first.stdout + first.stderr[-2000:]



TWICE = """
import numpy as np
from trainingsample.kernels._jit import kernel


@kernel
def twice(a):
    return a[0] * 2
"""

CALL_TWICE = (
    "import sys, numpy as np, twice as m\n"
    "for arg in sys.argv[1:]:\n"
    "    v = m.twice(np.array([int(arg)] if arg.isdigit() else [float(arg)]))\n"
    "    print(type(v).__name__, v)\n"
    "s = m.twice.stats\n"
    "print(sum(s.cache_hits.values()), sum(s.cache_misses.values()), m.twice._cache._cache_path)\n"
)


def _module_env(tmp_path, name, source):
    """The environment of a subprocess that imports ``source`` as module
    ``name`` (written to tmp_path) with its own numba cache in tmp_path."""
    import os

    (tmp_path / f"{name}.py").write_text(source)
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(SRC.parent)]), NUMBA_CACHE_DIR=str(tmp_path / "cache"))


def test_a_cache_entry_holding_another_signature_s_code_is_a_miss(tmp_path):
    """What two processes saving one kernel at once leave in numba's cache
    (numba/numba#10128): an index entry whose data file holds another
    signature's machine code.  Loaded, it would run float64 code on int64
    data; here it is compiled again instead."""
    env = _module_env(tmp_path, "twice", TWICE)
    first = subprocess.run([sys.executable, "-c", CALL_TWICE, "21", "1.5"], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.split("\n")[:3] == ["int 42", "float 3.0", f"0 2 {first.stdout.split()[-1]}"], first.stdout
    data = sorted((tmp_path / "cache").rglob("twice*.nbc"))
    assert len(data) == 2, data
    a, b = (p.read_bytes() for p in data)
    data[0].write_bytes(b)
    data[1].write_bytes(a)  # each signature's entry now names the other's code
    again = subprocess.run([sys.executable, "-c", CALL_TWICE, "21", "1.5"], capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.split("\n")[:2] == ["int 42", "float 3.0"], again.stdout
    assert again.stdout.split()[4:6] == ["0", "2"], again.stdout  # both compiled again ...
    last = subprocess.run([sys.executable, "-c", CALL_TWICE, "21", "1.5"], capture_output=True, text=True, env=env)
    assert last.stdout.split()[4:6] == ["2", "0"], last.stdout  # ... and saved right


def test_cache_saves_wait_for_the_folder_s_lock(tmp_path):
    """Saves into numba's cache hold an exclusive lock on the cache folder:
    a process that compiles while another holds it waits to save (so no
    two processes read and rewrite one index at once); it finishes, and
    the entry is there, once the lock is released."""
    import fcntl
    import os

    from trainingsample.kernels import _jit

    env = _module_env(tmp_path, "twice", TWICE)
    where = subprocess.run([sys.executable, "-c", "import twice; print(twice.twice._cache._cache_path)"],
                           capture_output=True, text=True, env=env, check=True).stdout.strip()
    os.makedirs(where, exist_ok=True)
    fd = os.open(os.path.join(where, _jit.LOCK_NAME), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(subprocess.TimeoutExpired):
            subprocess.run([sys.executable, "-c", CALL_TWICE, "21"], capture_output=True, text=True, env=env, timeout=20)
        assert not list((tmp_path / "cache").rglob("twice*.nbi"))  # it waited to write the index
    finally:
        os.close(fd)
    done = subprocess.run([sys.executable, "-c", CALL_TWICE, "21"], capture_output=True, text=True, env=env, timeout=300)
    assert done.stdout.split()[:4] == ["int", "42", "0", "1"], done.stdout + done.stderr[-2000:]
    loaded = subprocess.run([sys.executable, "-c", CALL_TWICE, "21"], capture_output=True, text=True, env=env, timeout=300)
    assert loaded.stdout.split()[2:4] == ["1", "0"], loaded.stdout



# a small stand-in for warmup's work: one kernel, one signature per dtype
LUMINANCE_CHILD = ("import sys, numpy as np, trainingsample as ts; from trainingsample import kernels as K; "
                   "ts.calculate_luminance(np.ones((4, 4, 3), sys.argv[1])); "
                   "print(sum(K.image_channel_sums.stats.cache_misses.values()), end=' ' * int({verbose}))")


def test_warmup_processes_fill_one_cache_at_once(tmp_path, monkeypatch):
    """warmup_processes runs a process per dtype, two at once here, on one
    fresh cache; every signature they saved loads in the next process
    (none lost to the other's index write)."""
    import os

    W = importlib.import_module("trainingsample.warmup")  # the module (the package exports its function)

    monkeypatch.setattr(W, "CHILD", LUMINANCE_CHILD)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    assert W.warmup_processes(("uint8", "uint16", "float32"), processes=2) > 0
    code = ("import numpy as np, trainingsample as ts; from trainingsample import kernels as K\n"
            "for d in ('uint8', 'uint16', 'float32'): ts.calculate_luminance(np.ones((4, 4, 3), d))\n"
            "ks = list(K.dispatchers().values())\n"
            "print(sum(sum(k.stats.cache_hits.values()) for k in ks), sum(sum(k.stats.cache_misses.values()) for k in ks))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), check=True).stdout
    hits, misses = map(int, out.split())
    assert hits >= 2 and misses == 0, out


@pytest.mark.parametrize("dtypes, processes, message", [
    ((), None, r"dtypes must name at least one of uint8, uint16, float32, got \(\)"),
    (("uint8", "int8"), None, r"dtypes\[1\] must be one of uint8, uint16, float32, got 'int8'"),
    (("uint8",), 0, r"processes must be an int >= 1, got 0"),
    (("uint8",), 1.5, r"processes must be an int >= 1, got 1.5"),
])
def test_warmup_processes_errors(dtypes, processes, message):
    from trainingsample.warmup import warmup_processes

    with pytest.raises(ValueError, match=message):
        warmup_processes(dtypes, processes)


def test_warmup_processes_names_the_dtype_that_failed(monkeypatch):
    W = importlib.import_module("trainingsample.warmup")  # the module (the package exports its function)

    monkeypatch.setattr(W, "SHIPPED", W.SHIPPED + ("bogus",))
    with pytest.raises(RuntimeError, match=r"(?s)warmup of bogus failed \(exit status 1\): .*TypeError: data type 'bogus'"):
        W.warmup_processes(("bogus", "uint8"), processes=1)


@pytest.mark.parametrize("argv, message", [
    (["--processes", "0"], "--processes must be >= 1, got 0"),
    (["--dtypes", "int8"], "argument --dtypes: invalid choice: 'int8'"),
])
def test_warmup_command_rejects_bad_arguments(capsys, argv, message):
    from trainingsample.cli import main

    with pytest.raises(SystemExit) as e:
        main(["warmup"] + argv)
    assert e.value.code == 2 and message in capsys.readouterr().err


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
        "from trainingsample import kernels as K\n"
        "kernels = K.dispatchers()\n"
        "t = time.perf_counter(); took = ts.warmup(dtypes=('uint8',)); wall = time.perf_counter() - t\n"
        "before = {n: len(k.signatures) for n, k in kernels.items()}\n"
        "orders = [k for table in (K.RESAMPLE, K.PIPELINE) for k in table.values()]\n"
        "layouts = sorted({k.__name__ + ':' + ''.join(sorted({s[0].layout for s in k.signatures})) for k in orders})\n"
        + WORKLOAD
        + "new = sorted(n for n, k in kernels.items() if len(k.signatures) > before[n])\n"
        "print(0 < took <= wall, sum(before.values()) > 0, ','.join(new) or '-', ','.join(layouts))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    # every pass order's kernels, for contiguous ("C") and strided ("A") sources
    each = ",".join(f"{k}_{o}:AC" for k in ("pipeline", "resample") for o in ("h", "hv", "pairs", "v", "vh"))
    assert out == ["True", "True", "-", each], out


LAYOUTS = """
import mmap, tempfile
import numpy as np, torch
def layouts(img):
    h, w, c = img.shape
    ro = img.copy(); ro.flags.writeable = False
    buf = np.zeros(img.nbytes + img.itemsize + 1, np.uint8)
    misaligned = np.frombuffer(buf.data, img.dtype, img.size, 1).reshape(img.shape)
    misaligned[...] = img
    f = tempfile.NamedTemporaryFile(delete=False); f.write(img.tobytes()); f.close()
    yield "contiguous", img
    yield "read-only", ro
    yield "frombuffer", np.frombuffer(img.tobytes(), img.dtype).reshape(img.shape)
    yield "memmap-r", np.memmap(f.name, img.dtype, "r", shape=img.shape)
    yield "memmap-c", np.memmap(f.name, img.dtype, "c", shape=img.shape)
    yield "fortran", np.asfortranarray(img)
    yield "transposed", np.ascontiguousarray(img.transpose(2, 0, 1)).transpose(1, 2, 0)
    yield "misaligned", misaligned
    yield "negative-strides", img[::-1, ::-1].copy()[::-1, ::-1]
    yield "every-other-column", np.repeat(img, 2, axis=1)[:, ::2]
    yield "broadcast", np.broadcast_to(img[:1], img.shape)
    yield "read-only-view", ro[1:, 1:]
    yield "torch", torch.from_numpy(img.copy())
"""


def test_any_memory_layout_compiles_nothing_new():
    """Every input reaches the kernels in a fixed set of types: after
    warmup, read-only, memory-mapped, Fortran-ordered, misaligned, strided,
    broadcast and torch inputs compile nothing, every compiled signature's
    arrays are writable-flagged, aligned and C or "any" layout, and the
    results equal those of the contiguous image."""
    code = (
        "import trainingsample as ts\n"
        "from trainingsample import kernels as K\n"
        "import numba\n"
        "kernels = K.dispatchers()\n"
        "ts.warmup(dtypes=('uint8',))\n"
        "before = {n: len(k.signatures) for n, k in kernels.items()}\n"
        + LAYOUTS
        + "rng = np.random.default_rng(0)\n"
        "bad = []\n"
        "for c in (1, 3):\n"
        "    base = rng.integers(0, 256, (23, 31, c), dtype=np.uint8)\n"
        "    ops = lambda a: [ts.resize_image(a, (12, 9), interpolation='bicubic'), ts.resize_image(a, (40, 9)),\n"
        "                     ts.resize_image(a, (12, 40), interpolation='nearest'), ts.crop_image(a, (1, 2, 10, 11)),\n"
        "                     np.float64(ts.calculate_luminance(a)), ts.rgb_to_gray(a) if c == 3 else ts.gray_to_rgb(a),\n"
        "                     ts.Pipeline([ts.RandomResizedCrop(16), ts.HorizontalFlip(), ts.Normalize(0.5, 0.5)])([a], seed=1),\n"
        "                     ts.Pipeline([ts.Resize(20, 'shorter'), ts.CenterCrop(16)])(a[None] if isinstance(a, np.ndarray) else [a])]\n"
        "    for name, a in layouts(base):\n"
        "        got, want = ops(a), ops(np.array(a, order='C'))  # the same pixels, contiguous and writable\n"
        "        if not all(np.array_equal(x, y) for x, y in zip(got, want)):\n"
        "            bad.append(f'{name}-{c}')\n"
        "new = sorted(n for n, k in kernels.items() if len(k.signatures) > before[n])\n"
        "odd = sorted({n for n, k in kernels.items() for sig in k.signatures for t in sig\n"
        "              if isinstance(t, numba.types.Array) and (not t.mutable or not t.aligned or t.layout == 'F')})\n"
        "print(','.join(bad) or '-', ','.join(new) or '-', ','.join(odd) or '-')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["-", "-", "-"], proc.stdout


def test_views_of_read_only_inputs_stay_read_only():
    import numpy as np

    img = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    img.flags.writeable = False
    view = trainingsample.crop_image(img, (1, 1, 3, 3), copy=False)
    assert not view.flags.writeable and np.shares_memory(view, img)
    views = trainingsample.batch_crop_images([img, img.copy()], (1, 1, 3, 3), copy=False)
    assert [v.flags.writeable for v in views] == [False, True]
    copied = trainingsample.crop_image(img, (1, 1, 3, 3))
    assert copied.flags.writeable and not np.shares_memory(copied, img)


def test_pipeline_warm_loads_what_calls_on_files_run(tmp_path):
    """After pipe.warm(), the same pipeline on JPEG files of both
    orientations (reduced and full decode), at 1 and 2 threads, adds no
    kernel signature: forked workers need nothing more."""
    from PIL import Image

    from helpers import photos

    Image.fromarray(photos()["chelsea"]).resize((1200, 800)).save(tmp_path / "wide.jpg", quality=90)
    Image.fromarray(photos()["coffee"]).resize((500, 900)).save(tmp_path / "tall.jpg", quality=90)
    code = (
        "import sys, trainingsample as ts\n"
        "from trainingsample import kernels as K\n"
        "kernels = K.dispatchers()\n"
        "pipes = [ts.Pipeline([ts.RandomResizedCrop(224), ts.HorizontalFlip(), ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)]),\n"
        "         ts.Pipeline([ts.Resize(224, 'fill'), ts.ConvertChannels('rgb')])]\n"
        "for p in pipes: p.warm()\n"
        "before = {n: len(k.signatures) for n, k in kernels.items()}\n"
        "files = sys.argv[1:]\n"
        "for p in pipes:\n"
        "    for gap in (2.0, None):\n"
        "        with ts.limit_threads(1):\n"
        "            out = p(files, seed=[1, 2], reducing_gap=gap)\n"
        "        out = p(files, seed=[1, 2], reducing_gap=gap)\n"
        "        if out[0].dtype.name == 'uint8': ts.calculate_luminance(out[0])\n"
        "new = sorted(n for n, k in kernels.items() if len(k.signatures) > before[n])\n"
        "print(','.join(new) or '-')"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "wide.jpg"), str(tmp_path / "tall.jpg")],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["-"], out


def test_cache_works_when_the_package_directory_is_read_only(tmp_path):
    """An install whose package directory cannot be written (a read-only
    site-packages): numba caches the kernels in the user-wide cache
    directory instead, and a second process loads them from there.  The
    package is a read-only copy; as root, whom permissions do not stop, the
    subprocess makes numba's in-tree check fail as a read-only directory
    makes it fail for anyone else."""
    import os
    import shutil
    import stat

    pkg = tmp_path / "site" / "trainingsample"
    shutil.copytree(SRC, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for p in [pkg, *pkg.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    code = (
        "import os, numba.core.caching as c\n"
        "if os.geteuid() == 0:\n"
        "    real = c.InTreeCacheLocator.ensure_cache_path\n"
        "    def refuse(self):\n"
        "        if self.get_cache_path().startswith(os.environ['RO_PKG']):\n"
        "            raise PermissionError(13, 'read-only', self.get_cache_path())\n"
        "        return real(self)\n"
        "    c.InTreeCacheLocator.ensure_cache_path = refuse\n"
        "import numpy as np, trainingsample as ts\n"
        "from trainingsample import kernels as K\n"
        "assert ts.__file__.startswith(os.environ['RO_PKG']), ts.__file__\n"
        "ts.calculate_luminance(np.zeros((9, 11, 3), np.uint8))\n"
        "print(sum(K.image_channel_sums.stats.cache_hits.values()), sum(K.image_channel_sums.stats.cache_misses.values()))"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"), XDG_CACHE_HOME=str(tmp_path / "cache"), RO_PKG=str(pkg))
    env.pop("NUMBA_CACHE_DIR", None)
    try:
        runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env) for _ in range(2)]
        for r in runs:
            assert r.returncode == 0, r.stderr[-2000:]
        assert runs[0].stdout.split() == ["0", "1"], runs[0].stdout  # compiled ...
        assert runs[1].stdout.split() == ["1", "0"], runs[1].stdout  # ... and loaded from the cache
        assert not list(pkg.rglob("*.nbi")), "wrote into the read-only package"
        assert any("color" in p.name for p in (tmp_path / "cache").rglob("*.nbi")), "no user-wide cache index"
    finally:
        for p in [pkg, *pkg.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
