"""Shared plumbing between the public API and the engine: the one dispatch
path (``run``: every public function and the Pipeline hand their planned
kernel calls to the engine through it), row-contiguous views, and turning
results back into the caller's form (``finish``)."""
from typing import Callable, NamedTuple, Optional

import numpy as np

from . import _engine


class ItemCall(NamedTuple):
    """How the engine runs one 4-D item: ``call(f0, f1, y0, y1)`` runs one
    task; ``work`` is the element-operations per output row; ``claim(tasks,
    ctr)``, where not None, runs the tasks a thread claims from a shared
    counter (see _engine.run_claimed); row bands are cut at multiples of
    ``quantum`` rows (see _engine.plan); ``rows`` is the item's row count
    when its output's axis 1 is not the rows (a CHW output)."""

    call: Callable
    work: float
    claim: Optional[Callable] = None
    quantum: int = 1
    rows: Optional[int] = None


def flat_rows(a4):
    """(N, H, W*C) view of a 4-D array whose pixels are contiguous within each
    row, or None when the strides do not allow it."""
    n, h, w, c = a4.shape
    isz = a4.itemsize
    if (c == 1 or a4.strides[3] == isz) and (w == 1 or a4.strides[2] == c * isz):
        # these strides let numpy merge the last two axes without a copy
        # (reshape: a tenth of as_strided's cost); the check keeps it honest
        v = a4.reshape(n, h, w * c)
        if not v.flags.owndata:
            return v
        return np.lib.stride_tricks.as_strided(a4, (n, h, w * c), (a4.strides[0], a4.strides[1], isz))
    return None


def run(outs, calls):
    """Run a list of ItemCall, one per output 4-D array (frames on axis 0,
    rows on axis 1 unless the call says otherwise); a single item with a
    ``claim`` has its kernels claim their tasks (no Python per task)."""
    plan = [(a.shape[0], a.shape[1] if c.rows is None else c.rows, c.work, c.quantum) for a, c in zip(outs, calls)]
    claim = calls[0].claim if len(calls) == 1 else None
    _engine.run_plan(plan, lambda k, f0, f1, y0, y1: calls[k].call(f0, f1, y0, y1), claim=claim)


def finish(batch, outputs, keep_2d=True):
    """Return outputs in the caller's form.

    ``outputs`` is a list of 4-D arrays: one (N, ...) array, or one (1, ...)
    array per image.  List in -> list out (2-D inputs give 2-D outputs when
    they have one channel); array in -> array out when all outputs have one
    shape, else a list.
    """
    if batch.is_array:
        if len(outputs) == 1:
            return outputs[0]
        if len({o.shape for o in outputs}) == 1:
            return np.concatenate(outputs, axis=0)
        return [o[0] for o in outputs]
    res = []
    for a, sq in zip(outputs, batch.squeeze):
        img = a[0]
        if sq and keep_2d and img.shape[2] == 1:
            img = img[:, :, 0]
        res.append(img)
    return res


def copy_into(src4, dst4):
    """Parallel copy of a 4-D view into a contiguous 4-D output.

    A copy is a memcpy per row: numpy's copy loop does it at memory speed and
    releases the GIL, so the pool runs the bands in parallel.
    """

    def call(f0, f1, y0, y1):
        np.copyto(dst4[f0:f1, y0:y1], src4[f0:f1, y0:y1])

    return call
