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


def test_import_compiles_nothing_and_is_fast():
    code = (
        "import time; t = time.perf_counter(); import trainingsample as ts; dt = time.perf_counter() - t\n"
        "from trainingsample import _kernels as K\n"
        "compiled = [n for n in dir(K) if hasattr(getattr(K, n), 'signatures') and getattr(K, n).signatures]\n"
        "print(dt, len(compiled))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == "0"  # no kernel compiled at import


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


def test_warmup_runs():
    assert trainingsample.warmup(dtypes=("uint8",)) >= 0
