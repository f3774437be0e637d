"""The single numba decorator every kernel goes through.

Policy: ``nogil=True`` so the thread pool runs kernels in parallel,
``cache=True`` so compiled machine code is reused across processes,
``error_model="numpy"`` so no kernel raises Python exceptions, and
``fastmath={"contract"}`` -- FMA contraction only.  No reassociation: every
output element is computed by the same sequence of operations whatever row
band or thread computes it, so results never depend on the thread count.
``tests/test_jit.py`` fails if any module calls ``numba.njit`` directly.
"""
import numba

FASTMATH = frozenset({"contract"})


def kernel(fn):
    """Compile ``fn`` lazily (on first call) as a GIL-free, cached kernel."""
    return numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=set(FASTMATH))(fn)
