"""The single numba decorator every kernel goes through.

Policy: ``nogil=True`` so the thread pool runs kernels in parallel,
``cache=True`` so compiled machine code is reused across processes,
``error_model="numpy"`` so no kernel raises Python exceptions, and
``fastmath={"contract"}`` -- FMA contraction only.  No reassociation: every
output element is computed by the same sequence of operations whatever row
band or thread computes it, so results never depend on the thread count.
``tests/test_jit.py`` fails if any module calls ``numba.njit`` directly.
``prefetch``, ``copy_bytes`` and ``narrow`` are the LLVM intrinsics the
kernels use; ``fetch_add``, ``load_acquire`` and ``cpu_relax`` the atomics
and spin hint with which the engine's threads share a job's task counter.
numba's on-disk cache is keyed on the file of the compiled function, so after
changing an intrinsic here, touch _kernels.py (or clear ``__pycache__``) to
recompile the kernels that use it.
"""
import platform

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

FASTMATH = frozenset({"contract"})


def kernel(fn=None, *, inline=False):
    """Compile ``fn`` lazily (on first call) as a GIL-free, cached kernel.

    ``@kernel(inline=True)``: numba inlines the function into its callers
    before typing, so constant arguments stay constants inside it (a loop
    written once, specialised per call site -- e.g. the literal byte count
    ``copy_bytes`` needs).
    """
    options = dict(nogil=True, cache=True, error_model="numpy", fastmath=set(FASTMATH))
    if inline:
        options["inline"] = "always"
    decorate = numba.njit(**options)
    return decorate if fn is None else decorate(fn)


@intrinsic
def prefetch(typingctx, arr, index):
    """Hint the CPU to fetch the cache line of ``arr[index]`` (1-D array) into
    L1 (LLVM's llvm.prefetch: read, high locality).  Never faults, changes no
    value; kernels use it to start a memory stream before its first use."""
    if not isinstance(arr, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        try:  # the unmangled name is auto-upgraded by every LLVM numba supports
            fn = builder.module.get_global("llvm.prefetch")
        except KeyError:
            fn = ir.Function(builder.module, fnty, name="llvm.prefetch")
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(arr, index), codegen


@intrinsic
def copy_bytes(typingctx, dst, di, src, si, nbytes):
    """Copy ``nbytes`` bytes (a literal: 1, 2, 4, 8 or 16) starting at element
    ``src[si]`` to ``dst[di]`` on (1-D arrays) with one unaligned load and one
    store -- a pixel of 3 bytes moves as one 4-byte word.  No bounds check:
    the caller makes sure both ranges lie inside their arrays."""
    if not (isinstance(dst, types.Array) and isinstance(src, types.Array) and isinstance(nbytes, types.IntegerLiteral)):
        return None
    if not isinstance(di, types.Integer) or not isinstance(si, types.Integer):
        return None
    n = nbytes.literal_value
    if n not in (1, 2, 4, 8, 16):
        return None

    def codegen(context, builder, sig, args):
        d = context.make_array(sig.args[0])(context, builder, args[0])
        s = context.make_array(sig.args[2])(context, builder, args[2])
        word = ir.IntType(8 * n).as_pointer()
        sp = builder.bitcast(builder.gep(s.data, [args[3]]), word)
        dp = builder.bitcast(builder.gep(d.data, [args[1]]), word)
        builder.store(builder.load(sp, align=1), dp, align=1)
        return context.get_dummy_value()

    return types.void(dst, di, src, si, nbytes), codegen


@intrinsic
def narrow(typingctx, value, like):
    """``value`` converted to the type of ``like`` (a number): numba computes
    ``int32 * uint8`` in int64, and a sum narrowed back to the int32
    accumulator type lets LLVM keep the whole expression in 32-bit vector
    lanes.  The caller makes sure the value fits."""
    if not isinstance(value, types.Number) or not isinstance(like, types.Number):
        return None

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[0], sig.args[0], sig.return_type)

    return like(value, like), codegen


def _element_pointer(context, builder, arr_type, arr, index):
    ary = context.make_array(arr_type)(context, builder, arr)
    return builder.gep(ary.data, [index])


def _int64_cell(arr, index):
    return (
        isinstance(arr, types.Array)
        and arr.dtype == types.int64
        and arr.layout in "CF"
        and isinstance(index, types.Integer)
    )


@intrinsic
def fetch_add(typingctx, arr, index, value):
    """Atomically add ``value`` to ``arr[index]`` (an int64 array) and return
    the value it had before (sequentially consistent: the writes made before
    it are visible to a thread that reads the new value).  No bounds check."""
    if not _int64_cell(arr, index) or not isinstance(value, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], args[1])
        v = context.cast(builder, args[2], sig.args[2], types.int64)
        return builder.atomic_rmw("add", ptr, v, "seq_cst")

    return types.int64(arr, index, value), codegen


@intrinsic
def load_acquire(typingctx, arr, index):
    """``arr[index]`` (an int64 array) read atomically with acquire ordering:
    once a thread sees a value another thread stored with ``fetch_add``, it
    also sees every write that thread made before.  No bounds check."""
    if not _int64_cell(arr, index):
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], args[1])
        return builder.load_atomic(ptr, "acquire", 8)

    return types.int64(arr, index), codegen


_PAUSE = "llvm.x86.sse2.pause" if platform.machine().lower() in ("x86_64", "amd64", "i686", "x86") else None


@intrinsic
def cpu_relax(typingctx):
    """The CPU's spin-wait hint (x86 PAUSE: spares the memory pipeline and a
    sibling hyperthread while a thread polls); nothing on other CPUs."""

    def codegen(context, builder, sig, args):
        if _PAUSE is not None:
            try:
                fn = builder.module.get_global(_PAUSE)
            except KeyError:
                fn = ir.Function(builder.module, ir.FunctionType(ir.VoidType(), []), name=_PAUSE)
            builder.call(fn, [])
        return context.get_dummy_value()

    return types.void(), codegen
