"""Tasks shared by the threads of one job (see ``_engine.run_claimed``):
``ctr`` is an int64 array of the job, ``ctr[0]`` the next unclaimed task,
``ctr[1]`` the finished ones."""

from ._jit import cpu_relax, fetch_add, kernel, load_acquire

# numba's cache does not see edits to other files: the hashes of the files
# this one imports (tests/kernels/test_kernel_files.py fails when one is stale).
DEPENDS_ON = {"_jit.py": "25193760b8ccc458"}


@kernel
def next_task(ctr, n):
    """Claim the next of a job's ``n`` tasks: its index, or ``n`` when every
    task is taken."""
    k = fetch_add(ctr, 0, 1)
    return k if k < n else n


@kernel
def task_done(ctr):
    """Count one finished task of the job, after its output is written."""
    fetch_add(ctr, 1, 1)


@kernel
def wait_tasks(ctr, n, polls):
    """Poll, with the GIL released, until ``n`` tasks of the job are finished
    or ``polls`` polls have passed; returns whether they are."""
    for _ in range(polls):
        if load_acquire(ctr, 1) >= n:
            return True
        cpu_relax()
    return load_acquire(ctr, 1) >= n
