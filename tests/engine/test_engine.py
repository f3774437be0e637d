import math
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import trainingsample as ts
from trainingsample import _engine
from trainingsample import kernels as K
from helpers import noise


def test_thread_count_api(threads):
    ts.set_num_threads(3)
    assert ts.get_num_threads() == 3


def test_available_cpus_is_the_affinity_mask():
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no CPU affinity on this platform")
    assert ts.available_cpus() == len(os.sched_getaffinity(0))
    # a process pinned to one CPU (a cgroup-pinned container, taskset) sees one
    cpu = min(os.sched_getaffinity(0))
    code = f"import os; os.sched_setaffinity(0, {{{cpu}}}); import trainingsample as ts; print(ts.available_cpus(), ts.get_num_threads())"
    env = {k: v for k, v in os.environ.items() if k != "TRAININGSAMPLE_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "1"]


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


def test_plan_bands_fall_on_the_quantum():
    for threads in (2, 3, 16):
        tasks = _engine.plan([(2, 1000, 1 << 16, 64)], threads)
        assert len(tasks) > 2
        seen = np.zeros((2, 1000), np.int64)
        for _, f0, f1, y0, y1 in tasks:
            assert y0 % 64 == 0 and (y1 % 64 == 0 or y1 == 1000), (y0, y1)
            seen[f0:f1, y0:y1] += 1
        assert (seen == 1).all()
    # never more bands than whole quanta
    assert len(_engine.plan([(1, 130, 1 << 20, 64)], 16)) == 3


def _claiming_part(n, hits, who, pause, finished=None):
    def part(ctr):
        while True:
            k = K.next_task(ctr, n)
            if k >= n:
                break
            hits[k] += 1
            who.add(threading.get_ident())
            time.sleep(pause() if callable(pause) else pause)  # releases the GIL: the helpers join in
            if finished is not None:
                finished[k] = 1
            K.task_done(ctr)

    return part


def test_run_claimed_runs_every_task_once(threads):
    n = 120
    hits, who = [0] * n, set()
    _engine.run_claimed(_claiming_part(n, hits, who, 0.0005), n, threads=3)
    assert hits == [1] * n
    assert len(who) > 1  # the helpers took tasks
    hits, who = [0] * n, set()
    _engine.run_claimed(_claiming_part(n, hits, who, 0.0), n, threads=1)
    assert hits == [1] * n and who == {threading.get_ident()}


def test_run_claimed_waits_for_slow_helpers(threads):
    """Tasks longer than the caller's polling: the caller sleeps until the
    helper that finishes last wakes it."""
    n = 4
    hits, who, finished = [0] * n, set(), [0] * n
    caller = threading.get_ident()
    # the caller's tasks take 2 ms, a helper's 60 ms (longer than the caller's spin)
    pause = lambda: 0.002 if threading.get_ident() == caller else 0.06  # noqa: E731
    _engine.run_claimed(_claiming_part(n, hits, who, pause, finished), n, threads=4)
    assert hits == [1] * n
    assert len(who) > 1  # a helper ran a task the caller had to wait for
    assert finished == [1] * n  # every task had finished when run_claimed returned


def test_run_claimed_reports_errors(threads):
    def part(ctr):
        raise RuntimeError("part failed")

    for n in (1, 2):
        with pytest.raises(RuntimeError, match="part failed"):
            _engine.run_claimed(part, 5, threads=n)


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


def _cpus_allowed():
    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()


def _in_thread(fn):
    """``fn()``'s result, run in a fresh thread (whose CPU affinity the test may change)."""
    out, errors = [], []

    def target():
        try:
            out.append(fn())
        except BaseException as e:  # pragma: no cover - re-raised below
            errors.append(e)

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if errors:
        raise errors[0]
    return out[0]


needs_two_cpus = pytest.mark.skipif(
    _engine.current_cpu() < 0 or len(_cpus_allowed()) < 2, reason="needs sched_getcpu and 2 CPUs"
)


@needs_two_cpus
def test_spread_moves_a_helper_off_a_taken_cpu():
    """A thread on a CPU its job already uses moves to another, and keeps
    its affinity (free to run anywhere afterwards)."""

    def go():
        before = os.sched_getaffinity(0)
        cpus = [_engine.current_cpu()]
        _engine._spread(cpus, [-math.inf])
        return cpus, os.sched_getaffinity(0), before, _engine.current_cpu()

    for _ in range(5):
        cpus, after, before, now = _in_thread(go)
        assert len(cpus) == 2 and cpus[1] != cpus[0] and cpus[1] in before
        assert after == before


@needs_two_cpus
def test_spread_records_a_free_cpu_without_moving(monkeypatch):
    def no_affinity(*args):  # pragma: no cover - the test fails if called
        raise AssertionError("moved a thread that runs on a free CPU")

    def go():
        allowed = _cpus_allowed()
        here, other = min(allowed), max(allowed)
        os.sched_setaffinity(0, {here})  # this thread stays on ``here``
        cpus = [other]
        with monkeypatch.context() as m:
            m.setattr(os, "sched_setaffinity", no_affinity)
            _engine._spread(cpus, [-math.inf])
        return cpus, here

    cpus, here = _in_thread(go)
    assert cpus == [max(_cpus_allowed()), here]


@needs_two_cpus
def test_spread_stays_when_every_cpu_is_taken(monkeypatch):
    def no_affinity(*args):  # pragma: no cover - the test fails if called
        raise AssertionError("moved although every CPU is taken")

    def go():
        cpus = sorted(_cpus_allowed())
        monkeypatch.setattr(os, "sched_setaffinity", no_affinity)
        _engine._spread(cpus, [-math.inf])
        return cpus

    cpus = _in_thread(go)
    assert len(cpus) == len(_cpus_allowed()) + 1 and cpus[-1] in _cpus_allowed()


@needs_two_cpus
@pytest.mark.parametrize("error", [OSError(22, "Invalid argument"), ValueError("bad CPU")])
def test_spread_runs_on_when_affinity_fails(monkeypatch, error):
    calls = []

    def failing(*args):
        calls.append(args)
        raise error

    def go():
        cpus = [_engine.current_cpu()]
        monkeypatch.setattr(os, "sched_setaffinity", failing)
        _engine._spread(cpus, [-math.inf])
        return cpus

    cpus = _in_thread(go)
    assert calls and len(cpus) == 2  # tried to move, then ran where it was


@needs_two_cpus
def test_spread_moves_at_most_once_per_interval(monkeypatch):
    """A second collision right after a move does not move (an
    oversubscribed process would migrate on every call); once
    MOVE_INTERVAL has passed it moves again."""
    calls = []
    real = os.sched_setaffinity

    def counting(pid, mask):
        calls.append(set(mask))
        real(pid, mask)

    def go():
        moved_at = [-math.inf]
        monkeypatch.setattr(os, "sched_setaffinity", counting)
        first = [_engine.current_cpu()]
        _engine._spread(first, moved_at)
        after_first = len(calls)
        second = [_engine.current_cpu()]
        _engine._spread(second, moved_at)
        after_second = len(calls)
        monkeypatch.setattr(_engine, "MOVE_INTERVAL", 0.0)
        third = [_engine.current_cpu()]
        _engine._spread(third, moved_at)
        return first, after_first, second, after_second, third, len(calls)

    first, n1, second, n2, third, n3 = _in_thread(go)
    assert first[1] != first[0] and n1 == 2  # moved: the free CPUs, then the former affinity
    assert second == [second[0]] * 2 and n2 == n1  # within the interval: stays
    assert third[1] != third[0] and n3 == n1 + 2  # interval over: moves


def test_spread_does_nothing_where_the_cpu_is_unknown(monkeypatch):
    monkeypatch.setattr(_engine, "_getcpu", None)
    assert _engine.current_cpu() == -1
    cpus = [0]
    _engine._spread(cpus, [-math.inf])
    assert cpus == [0]


@needs_two_cpus
def test_pool_helper_runs_on_another_cpu_than_the_caller(threads, monkeypatch):
    """Through the pool: the job records the caller's CPU, then the helper's,
    which differs from it (the helper moved if it woke on the caller's)."""
    monkeypatch.setattr(_engine, "MOVE_INTERVAL", 0.0)  # may move on every job
    seen = []

    def part(job):
        seen.append((threading.get_ident(), list(job.cpus)))
        K.task_done(job.ctr)

    for _ in range(20):
        seen.clear()
        job = _engine._Job(part, 2)
        _engine._run_job(job, 1)
        assert len(seen) == 2 and seen[0][0] != seen[1][0]
        assert len(job.cpus) == 2 and job.cpus[0] != job.cpus[1]


def test_limit_threads_is_per_thread_and_nests(threads, monkeypatch):
    ts.set_num_threads(4)
    seen = {}

    def other():
        seen["other"] = ts.get_num_threads()

    with ts.limit_threads(2):
        assert ts.get_num_threads() == 2
        t = threading.Thread(target=other)
        t.start()
        t.join()
        with ts.limit_threads(3):  # the smaller limit holds
            assert ts.get_num_threads() == 2
        with ts.limit_threads(1):
            assert ts.get_num_threads() == 1
            # no pool helper is woken: every task runs in this thread
            ran = []
            _engine.run(lambda k: ran.append(threading.get_ident()), 8)
            assert set(ran) == {threading.get_ident()}
        assert ts.get_num_threads() == 2
    assert seen["other"] == 4 and ts.get_num_threads() == 4
    ts.set_num_threads(1)
    with ts.limit_threads(3):
        assert ts.get_num_threads() == 1  # a limit, never more than the process's count
    with pytest.raises(TypeError, match="limit_threads\\(\\) takes a positive int, got 1.5"):
        ts.limit_threads(1.5)
    with pytest.raises(ValueError, match="limit_threads\\(\\) takes a positive int, got 0"):
        ts.limit_threads(0)
