"""One persistent thread pool that runs GIL-free kernels, and the planner that
splits work into tasks (images x frames x row bands).

* The pool is created lazily, grows when ``set_num_threads`` asks for more,
  and is recreated in a forked child (``os.register_at_fork``), so torch
  DataLoader workers that fork after the parent used the library work.
* The calling thread always works on its own job, so many user threads can
  call in at once and no call waits on a busy pool to make progress.
* Tasks of one job are handed out through an atomic counter; results must not
  depend on which thread runs which task (the kernels guarantee it).  With
  ``run_claimed`` the kernels claim the tasks themselves (K.next_task), so a
  thread takes its next task without returning to Python, and a helper that
  wakes late simply finds fewer tasks left.
* The caller, once out of tasks, polls the job's finished-task count with the
  GIL released for up to ``SPIN_SECONDS`` before it sleeps: waking a sleeping
  thread costs 10-30 us on a VM, as much as a small call's work.
* A helper that wakes on a CPU another thread of its job already runs on
  moves to one the job does not use (``_spread``).  With no CPU looking
  idle -- e.g. another library's pool thread spinning on the other CPU of a
  2-CPU machine -- Linux wakes a thread on its previous CPU or its waker's,
  and the helper then shares the caller's CPU for the whole call.  Once
  moved, its previous CPU is the free one, so it rarely needs to move again;
  at most one move per ``MOVE_INTERVAL`` keeps an oversubscribed process
  (more calling threads than CPUs, where every CPU is busy and moving gains
  nothing) from migrating threads on every call.
"""
import ctypes
import itertools
import math
import os
import queue
import threading
import time

import numpy as np

from . import _validate as V
from . import kernels as K

ENV_VAR = "TRAININGSAMPLE_NUM_THREADS"
# Smallest task worth sending to another thread, in element-operations
# (about 20-50 microseconds of kernel time).
MIN_TASK_WORK = 1 << 17
# Below this much work in one call, waking other threads costs more than it saves.
MIN_PARALLEL_WORK = 1 << 21
# Tasks per thread when splitting, so uneven tasks still balance.
TASKS_PER_THREAD = 4
# How long the caller polls for the other threads' last tasks before it
# sleeps (the polling releases the GIL and pauses the CPU between polls).
SPIN_SECONDS = 200e-6
# A helper moves off its job's CPUs at most once per this many seconds
# (_spread): 4 user threads calling at once on 2 CPUs moved on about every
# call otherwise, 12% slower than not moving.
MOVE_INTERVAL = 0.05

_state_lock = threading.Lock()
_pool = None
_num_threads = None
_local = threading.local()


def available_cpus():
    """CPUs this process may run on (CPU affinity, cgroup-pinned containers).

    Examples
    --------
    >>> import os, trainingsample as ts
    >>> ts.available_cpus() == len(os.sched_getaffinity(0))
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)



def _default_threads():
    env = os.environ.get(ENV_VAR)
    if env is not None and env.strip() != "":
        return V.parse_threads(env, f"environment variable {ENV_VAR}")
    return available_cpus()


_limits = threading.local()  # .stack: this thread's limit_threads limits


class limit_threads:
    """``with limit_threads(n):`` calls made by this thread inside the block
    use at most ``n`` threads (1: the calling thread only, the pool is not
    woken) -- for code that runs its own threads, one call each, such as the
    preprocess CLI's file workers.  Other threads are not affected; blocks
    nest (the smallest limit holds).

    Examples
    --------
    >>> import trainingsample as ts
    >>> with ts.limit_threads(1):
    ...     ts.get_num_threads()
    1
    >>> ts.limit_threads(0)
    Traceback (most recent call last):
    ValueError: limit_threads() takes a positive int, got 0
    """

    def __init__(self, n):
        self.n = V.thread_count(n, "limit_threads")

    def __enter__(self):
        stack = _limits.__dict__.setdefault("stack", [])
        stack.append(min(self.n, stack[-1]) if stack else self.n)
        return self

    def __exit__(self, *exc):
        _limits.stack.pop()


def get_num_threads():
    """Number of threads (the caller included) one call may use: the
    process-wide setting (see :func:`set_num_threads`), capped by any
    :class:`limit_threads` block of the calling thread."""
    global _num_threads
    n = _num_threads
    if n is None:
        with _state_lock:
            if _num_threads is None:
                _num_threads = _default_threads()
            n = _num_threads
    stack = _limits.__dict__.get("stack")
    return min(n, stack[-1]) if stack else n


def set_num_threads(n):
    """Use at most ``n`` threads per call (1 = run in the calling thread).

    Process-wide.  ``n`` may exceed the CPU count (the pool grows).

    Examples
    --------
    >>> import trainingsample as ts
    >>> before = ts.get_num_threads()
    >>> ts.set_num_threads(3); ts.get_num_threads()
    3
    >>> ts.set_num_threads(before)
    >>> ts.set_num_threads(0)
    Traceback (most recent call last):
    ValueError: set_num_threads() takes a positive int, got 0
    """
    global _num_threads
    V.thread_count(n, "set_num_threads")
    with _state_lock:
        _num_threads = n


def _load_getcpu():
    """libc's ``sched_getcpu`` (the CPU the calling thread runs on), or None
    where it or per-thread CPU affinity is missing (non-Linux)."""
    if not hasattr(os, "sched_setaffinity"):  # pragma: no cover - non-Linux
        return None
    try:
        # PyDLL keeps the GIL: a call this short should not hand it to another thread
        fn = ctypes.PyDLL(None).sched_getcpu
    except (OSError, AttributeError):  # pragma: no cover - libc without it
        return None
    fn.argtypes = []
    fn.restype = ctypes.c_int
    return fn


_getcpu = _load_getcpu()


def current_cpu():
    """The CPU the calling thread runs on, or -1 where that is unknown."""
    return _getcpu() if _getcpu is not None else -1


def _spread(cpus, moved_at):
    """Move the calling helper thread off the CPUs in ``cpus`` (those its
    job's other threads run on) if it runs on one of them, then record its
    CPU in ``cpus``.

    The move is a CPU affinity to the CPUs it may use less ``cpus`` (the
    kernel migrates the thread at once), followed by its former affinity, so
    it stays free to run anywhere from then on.  ``moved_at`` (a one-element
    list the thread keeps) holds the time of its last try: it tries at most
    once per MOVE_INTERVAL.  Nothing moves when every CPU it may use is
    taken, or the CPU is unknown."""
    cpu = current_cpu()
    if cpu < 0:
        return
    if cpu in cpus and (now := time.monotonic()) - moved_at[0] >= MOVE_INTERVAL:
        moved_at[0] = now
        try:
            mask = os.sched_getaffinity(0)
            free = mask.difference(cpus)
            if free:
                os.sched_setaffinity(0, free)
                try:
                    cpu = current_cpu()
                finally:
                    os.sched_setaffinity(0, mask)
        except (OSError, ValueError):  # e.g. a cpuset changed under us: run where we are
            pass
    cpus.append(cpu)


class _Job:
    """One call's work, run by the caller and by every helper that picks it
    up: ``part(job)`` runs tasks until none is left, claiming each from
    ``job.ctr[0]`` and counting it finished in ``job.ctr[1]`` (K.next_task,
    K.task_done); the job is done when ``ctr[1]`` reaches ``n``."""

    __slots__ = ("part", "n", "ctr", "finished", "error", "failed", "cpus")

    def __init__(self, part, n):
        self.part = part
        self.n = n
        self.ctr = np.zeros(2, np.int64)
        self.finished = threading.Event()
        self.error = None  # the first exception of a task, raised by run()
        self.failed = False  # a part raised: its tasks may never finish
        self.cpus = []  # CPUs its threads run on, the caller's first (_spread)

    def work(self):
        try:
            self.part(self)
        except BaseException as exc:  # reported to the caller by _run_job()
            if self.error is None:
                self.error = exc
            self.failed = True
            self.finished.set()
        if self.ctr[1] >= self.n:
            self.finished.set()


def _python_part(fn, n):
    """A _Job part calling ``fn(i)`` for the tasks it claims (itertools.count
    is atomic under the GIL).  A task's exception is kept for the caller and
    the task still counts as finished, so every other task runs."""
    counter = itertools.count()

    def part(job):
        while True:
            i = next(counter)
            if i >= n:
                break
            try:
                fn(i)
            except BaseException as exc:
                if job.error is None:
                    job.error = exc
            K.task_done(job.ctr)

    return part


_spin_polls = None


def _polls():
    """Polls of K.wait_tasks that take about SPIN_SECONDS (measured once)."""
    global _spin_polls
    if _spin_polls is None:
        probe = np.zeros(2, np.int64)
        K.wait_tasks(probe, 1, 1)  # compile or load before timing
        t = time.perf_counter()
        K.wait_tasks(probe, 1, 2000)
        per_poll = max(1e-9, (time.perf_counter() - t) / 2000)
        _spin_polls = max(100, min(1_000_000, int(SPIN_SECONDS / per_poll)))
    return _spin_polls


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
        moved_at = [-math.inf]
        while True:
            job = self.jobs.get()
            _spread(job.cpus, moved_at)
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


def _helpers(n_tasks, threads):
    """Helper threads a job of ``n_tasks`` gets (0: run it in the caller)."""
    if threads is None:
        threads = get_num_threads()
    helpers = min(threads, n_tasks) - 1
    if helpers <= 0 or getattr(_local, "in_pool", False):
        return 0
    return helpers


def _run_job(job, helpers):
    """Hand ``job`` to ``helpers`` pool threads, run it in the caller too,
    wait until every task is finished and raise the first task error."""
    pool = _get_pool()
    pool.ensure(helpers)
    polls = _polls()  # on every pool job, not only when the caller waits: the first one loads wait_tasks
    job.cpus.append(current_cpu())
    for _ in range(helpers):
        pool.jobs.put(job)
    job.work()
    if job.ctr[1] < job.n and not job.failed:
        # poll first, then sleep: a helper that finishes the last task, or
        # fails, sets the event after its part returns
        if not K.wait_tasks(job.ctr, job.n, polls):
            job.finished.wait()
    if job.error is not None:
        raise job.error


def run(fn, n_tasks, threads=None):
    """Call ``fn(i)`` for every ``i`` in ``range(n_tasks)`` on up to ``threads`` threads.

    Blocks until all tasks finished; re-raises the first exception.
    """
    if n_tasks <= 0:
        return
    helpers = _helpers(n_tasks, threads)
    if helpers == 0:
        for i in range(n_tasks):
            fn(i)
        return
    _run_job(_Job(_python_part(fn, n_tasks), n_tasks), helpers)


def run_claimed(part, n_tasks, threads=None):
    """Run a job of ``n_tasks`` tasks that kernels claim themselves:
    ``part(ctr)`` calls a kernel that takes task indices with
    ``K.next_task(ctr, n_tasks)`` until none is left and calls
    ``K.task_done(ctr)`` after each.  ``part`` runs once in the caller and
    once in each helper thread; results must not depend on which thread
    runs which task.  Blocks until every task is finished."""
    if n_tasks <= 0:
        return
    helpers = _helpers(n_tasks, threads)
    if helpers == 0:
        part(np.zeros(2, np.int64))
        return
    _run_job(_Job(lambda job: part(job.ctr), n_tasks), helpers)


def runs_in_caller(work):
    """Whether a single-image call of ``work`` element-operations runs in
    the calling thread without the pool: below MIN_PARALLEL_WORK, or one
    thread (the one task plan() would make).  calculate_luminance's fast
    path writes the same test inline: a call here is 2% of its 1.9 us."""
    return work < MIN_PARALLEL_WORK or get_num_threads() == 1


def plan(items, threads):
    """Split work into tasks.

    ``items`` is a sequence of ``(frames, rows, work_per_row[, quantum])`` --
    one entry per array the kernels are called on (a 4-D batch or video
    counts as one item with ``frames`` frames).  Returns a list of
    ``(item, f0, f1, y0, y1)``.  One thread (or a small call): one task per
    item (fewest kernel calls).  Otherwise tasks of about
    ``total / (threads * TASKS_PER_THREAD)`` work, never below
    ``MIN_TASK_WORK``: small frames are grouped, big frames split in row
    bands whose edges fall on multiples of ``quantum`` rows (default 1;
    e.g. the rows of a kernel's tile, so no band ends in a partial tile).
    """
    tasks = []
    total = sum(it[0] * it[1] * max(it[2], 1) for it in items)
    if threads <= 1 or total < MIN_PARALLEL_WORK:
        for i, it in enumerate(items):
            if it[0] and it[1]:
                tasks.append((i, 0, it[0], 0, it[1]))
        return tasks
    chunk = max(MIN_TASK_WORK, total / (threads * TASKS_PER_THREAD))
    for i, it in enumerate(items):
        frames, rows, w = it[:3]
        quantum = max(1, int(it[3])) if len(it) > 3 else 1
        if not frames or not rows:
            continue
        frame_work = rows * max(w, 1)
        if frame_work >= chunk:
            units = -(-rows // quantum)
            bands = min(units, math.ceil(frame_work / chunk))
            edges = [min(rows, quantum * (units * b // bands)) for b in range(bands + 1)]
            for f in range(frames):
                for b in range(bands):
                    tasks.append((i, f, f + 1, edges[b], edges[b + 1]))
        else:
            per = max(1, int(chunk // frame_work))
            for f0 in range(0, frames, per):
                tasks.append((i, f0, min(frames, f0 + per), 0, rows))
    return tasks


def run_plan(items, call, threads=None, claim=None):
    """Plan ``items`` and run ``call(item, f0, f1, y0, y1)`` for every task.

    ``claim(tasks, ctr)``, given for a single item, runs that item's tasks
    (rows of (f0, f1, y0, y1)) in a kernel that claims them itself: split
    work then goes through run_claimed, with no Python per task.
    """
    if threads is None:
        threads = get_num_threads()
    tasks = plan(items, threads)
    if len(tasks) == 1:
        call(*tasks[0])
        return 1
    if claim is not None and len(items) == 1:
        table = np.array([t[1:] for t in tasks], np.int64)
        run_claimed(lambda ctr: claim(table, ctr), len(tasks), threads)
        return len(tasks)

    def task(k):
        call(*tasks[k])

    run(task, len(tasks), threads)
    return len(tasks)
