import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import trainingsample as ts
from trainingsample import _engine
from conftest import noise


def test_thread_count_api(threads):
    ts.set_num_threads(3)
    assert ts.get_num_threads() == 3
    assert ts.available_cpus() >= 1


def test_env_var_sets_default():
    code = "import trainingsample as ts; print(ts.get_num_threads())"
    env = dict(os.environ, TRAININGSAMPLE_NUM_THREADS="5")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "5"
    env["TRAININGSAMPLE_NUM_THREADS"] = "lots"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "TRAININGSAMPLE_NUM_THREADS must be a positive integer, got 'lots'" in bad.stderr


def test_default_is_cpu_affinity():
    code = "import os, trainingsample as ts; print(ts.get_num_threads(), len(os.sched_getaffinity(0)))"
    env = {k: v for k, v in os.environ.items() if k != "TRAININGSAMPLE_NUM_THREADS"}
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == out[1]


def test_plan_covers_every_row_once():
    items = [(3, 100, 1000), (1, 5000, 20000), (10, 7, 3)]
    for threads in (1, 2, 16):
        seen = [np.zeros((f, r), np.int64) for f, r, _ in items]
        for i, f0, f1, y0, y1 in _engine.plan(items, threads):
            seen[i][f0:f1, y0:y1] += 1
        assert all((s == 1).all() for s in seen)
    assert len(_engine.plan(items, 1)) == 3  # one task per item on one thread
    assert len(_engine.plan([(1, 5000, 20000)], 8)) > 8  # one big image is split in row bands


def test_run_reports_task_errors():
    def fn(i):
        if i == 3:
            raise RuntimeError("task 3 failed")

    with pytest.raises(RuntimeError, match="task 3 failed"):
        _engine.run(fn, 10, threads=4)


def test_many_user_threads_at_once(rng, threads):
    """8 user threads calling concurrently get the same results as serial calls."""
    ts.set_num_threads(2)
    imgs = [noise(rng, (300 + 7 * i, 200 + 5 * i, 3)) for i in range(8)]
    expected = [ts.resize_image(im, (64, 48), interpolation="bicubic") for im in imgs]
    expected_lum = [ts.calculate_luminance(im) for im in imgs]
    results = [None] * 8
    errors = []

    def worker(k):
        try:
            for _ in range(5):
                r = ts.resize_image(imgs[k], (64, 48), interpolation="bicubic")
                lum = ts.calculate_luminance(imgs[k])
                assert np.array_equal(r, expected[k]) and lum == expected_lum[k]
            results[k] = r
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    ts_ = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in ts_:
        t.start()
    for t in ts_:
        t.join()
    assert not errors, errors
    assert all(r is not None for r in results)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_works_in_a_forked_child(rng, threads):
    """Like a torch DataLoader worker: the parent used the pool, then forks."""
    ts.set_num_threads(2)
    img = noise(rng, (500, 400, 3))
    parent = ts.resize_image(img, (100, 80))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            out = ts.resize_image(img, (100, 80))
            lum = ts.calculate_luminance(img)
            ok = np.array_equal(out, parent) and lum == ts.calculate_luminance(img)
            os.write(w, b"ok" if ok else b"mismatch")
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    with os.fdopen(r, "rb") as f:
        assert f.read() == b"ok"
