"""One persistent thread pool that runs GIL-free kernels, and the planner that
splits work into tasks (images x frames x row bands).

* The pool is created lazily, grows when ``set_num_threads`` asks for more,
  and is recreated in a forked child (``os.register_at_fork``), so torch
  DataLoader workers that fork after the parent used the library work.
* The calling thread always works on its own job, so many user threads can
  call in at once and no call waits on a busy pool to make progress.
* Tasks of one job are handed out through an atomic counter; results must not
  depend on which thread runs which task (the kernels guarantee it).
"""
import itertools
import math
import os
import queue
import threading

ENV_VAR = "TRAININGSAMPLE_NUM_THREADS"
# Smallest task worth sending to another thread, in element-operations
# (about 20-50 microseconds of kernel time).
MIN_TASK_WORK = 1 << 17
# Below this much work in one call, waking other threads costs more than it saves.
MIN_PARALLEL_WORK = 1 << 21
# Tasks per thread when splitting, so uneven tasks still balance.
TASKS_PER_THREAD = 4

_state_lock = threading.Lock()
_pool = None
_num_threads = None
_local = threading.local()


def available_cpus():
    """CPUs this process may run on (CPU affinity, cgroup-pinned containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _parse_threads(value, source):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, str):
                value = int(value.strip(), 10)
            else:
                raise TypeError
        except (TypeError, ValueError):
            raise ValueError(f"{source} must be a positive integer, got {value!r}") from None
    if value < 1:
        raise ValueError(f"{source} must be a positive integer, got {value!r}")
    return value


def _default_threads():
    env = os.environ.get(ENV_VAR)
    if env is not None and env.strip() != "":
        return _parse_threads(env, f"environment variable {ENV_VAR}")
    return available_cpus()


def get_num_threads():
    """Number of threads (the caller included) one call may use."""
    global _num_threads
    n = _num_threads
    if n is None:
        with _state_lock:
            if _num_threads is None:
                _num_threads = _default_threads()
            n = _num_threads
    return n


def set_num_threads(n):
    """Use at most ``n`` threads per call (1 = run in the calling thread).

    Process-wide.  ``n`` may exceed the CPU count (the pool grows).
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads() takes a positive int, got {n!r} ({type(n).__name__})")
    if n < 1:
        raise ValueError(f"set_num_threads() takes a positive int, got {n}")
    with _state_lock:
        _num_threads = n


class _Job:
    __slots__ = ("fn", "n", "next_index", "lock", "done", "finished", "error")

    def __init__(self, fn, n):
        self.fn = fn
        self.n = n
        self.next_index = itertools.count()  # next() is atomic under the GIL
        self.lock = threading.Lock()
        self.done = 0
        self.finished = threading.Event()
        self.error = None

    def work(self):
        fn, n, counter = self.fn, self.n, self.next_index
        completed = 0
        while True:
            i = next(counter)
            if i >= n:
                break
            try:
                fn(i)
            except BaseException as exc:  # reported to the caller by run()
                if self.error is None:
                    self.error = exc
            completed += 1
        if completed:
            with self.lock:
                self.done += completed
                if self.done == n:
                    self.finished.set()


class _Pool:
    def __init__(self):
        self.jobs = queue.SimpleQueue()
        self.threads = []
        self.lock = threading.Lock()

    def ensure(self, helpers):
        if len(self.threads) >= helpers:
            return
        with self.lock:
            while len(self.threads) < helpers:
                t = threading.Thread(target=self._worker, name=f"trainingsample-{len(self.threads)}", daemon=True)
                t.start()
                self.threads.append(t)

    def _worker(self):
        _local.in_pool = True
        while True:
            job = self.jobs.get()
            job.work()


def _get_pool():
    global _pool
    p = _pool
    if p is None:
        with _state_lock:
            if _pool is None:
                _pool = _Pool()
            p = _pool
    return p


def _after_fork_in_child():
    # The parent's worker threads do not exist in the child: start afresh.
    global _pool, _state_lock
    _pool = None
    _state_lock = threading.Lock()
    _local.__dict__.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def run(fn, n_tasks, threads=None):
    """Call ``fn(i)`` for every ``i`` in ``range(n_tasks)`` on up to ``threads`` threads.

    Blocks until all tasks finished; re-raises the first exception.
    """
    if n_tasks <= 0:
        return
    if threads is None:
        threads = get_num_threads()
    helpers = min(threads, n_tasks) - 1
    if helpers <= 0 or getattr(_local, "in_pool", False):
        for i in range(n_tasks):
            fn(i)
        return
    pool = _get_pool()
    pool.ensure(helpers)
    job = _Job(fn, n_tasks)
    for _ in range(helpers):
        pool.jobs.put(job)
    job.work()
    job.finished.wait()
    if job.error is not None:
        raise job.error


def plan(items, threads):
    """Split work into tasks.

    ``items`` is a sequence of ``(frames, rows, work_per_row)`` -- one entry per
    array the kernels are called on (a 4-D batch or video counts as one item
    with ``frames`` frames).  Returns a list of ``(item, f0, f1, y0, y1)``.
    One thread (or a small call): one task per item (fewest kernel calls).  Otherwise tasks of
    about ``total / (threads * TASKS_PER_THREAD)`` work, never below
    ``MIN_TASK_WORK``: small frames are grouped, big frames split in row bands.
    """
    tasks = []
    total = sum(f * r * max(w, 1) for f, r, w in items)
    if threads <= 1 or total < MIN_PARALLEL_WORK:
        for i, (frames, rows, _) in enumerate(items):
            if frames and rows:
                tasks.append((i, 0, frames, 0, rows))
        return tasks
    chunk = max(MIN_TASK_WORK, total / (threads * TASKS_PER_THREAD))
    for i, (frames, rows, w) in enumerate(items):
        if not frames or not rows:
            continue
        frame_work = rows * max(w, 1)
        if frame_work >= chunk:
            bands = min(rows, math.ceil(frame_work / chunk))
            edges = [rows * b // bands for b in range(bands + 1)]
            for f in range(frames):
                for b in range(bands):
                    tasks.append((i, f, f + 1, edges[b], edges[b + 1]))
        else:
            per = max(1, int(chunk // frame_work))
            for f0 in range(0, frames, per):
                tasks.append((i, f0, min(frames, f0 + per), 0, rows))
    return tasks


def run_plan(items, call, threads=None):
    """Plan ``items`` and run ``call(item, f0, f1, y0, y1)`` for every task."""
    if threads is None:
        threads = get_num_threads()
    tasks = plan(items, threads)

    def task(k):
        call(*tasks[k])

    run(task, len(tasks), threads)
    return len(tasks)
