"""The single numba decorator every kernel goes through.

Policy: ``nogil=True`` so the thread pool runs kernels in parallel,
``cache=True`` so compiled machine code is reused across processes,
``error_model="numpy"`` so no kernel raises Python exceptions, and
``fastmath={"contract"}`` -- FMA contraction only.  No reassociation: every
output element is computed by the same sequence of operations whatever row
band or thread computes it, so results never depend on the thread count.
``tests/kernels/test_jit.py`` fails if any other module calls ``numba.njit``.
``prefetch``, ``copy_bytes`` and ``narrow`` are the LLVM intrinsics the
kernels use; ``conv_u8_64/32/16`` a block of the uint8 convolution written
as vector IR (numba code gets no 16-bit multiply-adds from LLVM);
``fetch_add``, ``load_acquire`` and ``cpu_relax`` the atomics and spin hint
with which the engine's threads share a job's task counter.
numba's on-disk cache is keyed on the file of the compiled function only:
the kernel files record this file's hash (see ``kernels/__init__.py``).
"""
import contextlib
import os
import platform

import numba
from llvmlite import ir
from numba import types
from numba.core.caching import FunctionCache
from numba.extending import intrinsic

from .fixed_point import PRECISION_BITS, SPLIT_BITS

# numba's cache does not see edits to other files: the hashes of the files
# this one imports (tests/kernels/test_kernel_files.py fails when one is stale).
DEPENDS_ON = {"fixed_point.py": "0f225c81a773ea94"}

FASTMATH = frozenset({"contract"})


def kernel(fn=None, *, inline=False, exact=False):
    """Compile ``fn`` lazily (on first call) as a GIL-free, cached kernel.

    ``@kernel(inline=True)``: numba inlines the function into its callers
    before typing, so constant arguments stay constants inside it (a loop
    written once, specialised per call site -- e.g. the literal byte count
    ``copy_bytes`` needs).  ``@kernel(exact=True)``: no FMA contraction
    either, so float64 arithmetic rounds after every operation exactly as
    the same expressions in numpy do (the coefficient tables, whose
    numpy code is the reference).
    """
    options = dict(nogil=True, cache=True, error_model="numpy", fastmath=set() if exact else set(FASTMATH))
    if inline:
        options["inline"] = "always"

    def decorate(f):
        d = numba.njit(**options)(f)
        d._cache = KernelCache(d.py_func)
        return d

    return decorate if fn is None else decorate(fn)


class KernelCache(FunctionCache):
    """numba's on-disk cache of a kernel, less the cost of its first load.

    Before each load numba refreshes the target context: it imports and
    registers every implementation numba has (about 60 modules: arraymath,
    linalg, typed containers, random, cffi; 0.1 s of a fresh process on 2
    cores, scipy.linalg included when installed), which compiling needs but
    loading finished machine code does not.  Loading needs the runtime only
    (the allocator's symbols, for kernels that allocate scratch arrays), so
    this cache initialises just that; a miss then compiles as numba always
    does, and numba's compiler refreshes the whole context itself first.
    Same files, same keys, same index as numba's own cache.

    It is also safe for processes that compile at once (numba's own is not:
    numba/numba#10128).  numba saves an overload by reading the function's
    index, picking a data file name no entry uses and writing both; two
    processes saving different signatures of one function then each write
    an index without the other's entry, into the same data file, so one
    signature is compiled again -- or loaded with the other's machine code,
    and crashes.  Here saves hold an exclusive lock on the cache directory
    (fcntl, where there is one), so each reads the index the last one
    wrote, and a load whose machine code is not of the signature asked for
    counts as a miss (compiled and saved again)."""

    def load_overload(self, sig, target_context):
        from numba.core import sigutils
        from numba.core.runtime import rtsys

        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            cres = self._load_overload(sig, target_context)
        if cres is not None and tuple(cres.signature.args) != tuple(sigutils.normalize_signature(sig)[0]):
            return None
        return cres

    def save_overload(self, sig, data):
        with _locked(self._cache_path):
            super().save_overload(sig, data)


LOCK_NAME = ".trainingsample.lock"


@contextlib.contextmanager
def _locked(folder):
    """An exclusive lock on ``folder`` (a file in it, flock'ed) among
    processes, for numba's cache saves; no lock where fcntl is missing or
    the file cannot be made (numba then fails or succeeds as it would)."""
    try:
        import fcntl

        os.makedirs(folder, exist_ok=True)
        fd = os.open(os.path.join(folder, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o666)
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


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


# -- the uint8 convolution block ---------------------------------------------

_I8, _I16, _I32, _I64 = ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)


def _unpack_mask(low, n):
    """Indices that interleave the bytes of two n-byte vectors within each
    16-byte lane (x86 punpcklbw / punpckhbw)."""
    mask = []
    for lane in range(n // 16):
        base = lane * 16 + (0 if low else 8)
        for i in range(8):
            mask += [base + i, n + base + i]
    return mask


def _conv_u8_codegen(width, context, builder, sig, args):
    """IR of conv_u8_* (see _make_conv_u8) for ``width`` columns."""
    vb = ir.VectorType(_I8, width)
    q = width // 4  # int32 lanes per quarter of the block
    vq = ir.VectorType(_I32, q)
    vw = ir.VectorType(_I16, 2 * q)
    v2q = ir.VectorType(_I32, 2 * q)
    mask = ir.VectorType(_I32, width)
    src = context.make_array(sig.args[0])(context, builder, args[0])
    wpk = context.make_array(sig.args[3])(context, builder, args[3])
    dst = context.make_array(sig.args[5])(context, builder, args[5])
    cast = [context.cast(builder, args[i], sig.args[i], types.int64) for i in (1, 2, 4, 6)]
    offset, stride, ntaps, doff = cast
    rnd = context.cast(builder, args[7], sig.args[7], types.int32)
    one = ir.Constant(_I64, 1)
    npair = builder.ashr(builder.add(ntaps, one), one)
    first = builder.gep(src.data, [offset])
    entry = builder.block
    loop = builder.append_basic_block("conv_u8_loop")
    done = builder.append_basic_block("conv_u8_done")
    builder.branch(loop)

    builder.position_at_end(loop)
    k = builder.phi(_I64)
    k.add_incoming(ir.Constant(_I64, 0), entry)
    zq = ir.Constant(vq, None)
    acc = []
    for _ in range(8):
        phi = builder.phi(vq)
        phi.add_incoming(zq, entry)
        acc.append(phi)
    k2 = builder.shl(k, one)
    pa = builder.gep(first, [builder.mul(k2, stride)])
    # an odd tap count: the last pair reads its one row twice (weight 0)
    single = builder.icmp_signed(">=", builder.add(k2, one), ntaps)
    pb = builder.gep(pa, [builder.select(single, ir.Constant(_I64, 0), stride)])
    a = builder.load(builder.bitcast(pa, vb.as_pointer()), align=1)
    b = builder.load(builder.bitcast(pb, vb.as_pointer()), align=1)
    zero = ir.Constant(vb, None)
    words = []
    for pair in (builder.shuffle_vector(a, b, ir.Constant(mask, _unpack_mask(True, width))),
                 builder.shuffle_vector(a, b, ir.Constant(mask, _unpack_mask(False, width)))):
        for low in (True, False):
            w = builder.shuffle_vector(pair, zero, ir.Constant(mask, _unpack_mask(low, width)))
            words.append(builder.bitcast(w, vw))  # (row a, row b) of a column per int32 lane

    def splat(value):  # ``value`` in every int32 lane of a quarter
        v = builder.insert_element(ir.Constant(vq, ir.Undefined), value, ir.Constant(_I32, 0))
        return builder.shuffle_vector(v, v, ir.Constant(vq, [0] * q))

    def broadcast(ptr):  # the int32 weight pair at ``ptr`` as 16-bit lanes
        return builder.bitcast(splat(builder.load(ptr)), vw)

    wp = builder.gep(wpk.data, [k2])
    weights = (broadcast(wp), broadcast(builder.gep(wp, [one])))
    even = ir.Constant(vq, list(range(0, 2 * q, 2)))
    odd = ir.Constant(vq, list(range(1, 2 * q, 2)))

    def madd(x, w):  # LLVM selects pmaddwd / vpdpwssd for this pattern
        m = builder.mul(builder.sext(x, v2q), builder.sext(w, v2q))
        return builder.add(builder.shuffle_vector(m, m, even), builder.shuffle_vector(m, m, odd))

    new = [builder.add(acc[h * 4 + i], madd(words[i], weights[h])) for h in (0, 1) for i in range(4)]
    k1 = builder.add(k, one)
    body_end = builder.block
    k.add_incoming(k1, body_end)
    for phi, value in zip(acc, new):
        phi.add_incoming(value, body_end)
    builder.cbranch(builder.icmp_signed("<", k1, npair), loop, done)

    builder.position_at_end(done)
    rv = splat(rnd)
    top = ir.Constant(vq, [255] * q)
    outs = []
    for i in range(4):
        v = builder.add(builder.add(builder.shl(new[i], ir.Constant(vq, [SPLIT_BITS] * q)), new[4 + i]), rv)
        v = builder.ashr(v, ir.Constant(vq, [PRECISION_BITS] * q))
        v = builder.select(builder.icmp_signed("<", v, zq), zq, v)
        outs.append(builder.select(builder.icmp_signed(">", v, top), top, v))
    # quarter i holds columns lane*16 + i*4 + (0..3) of every 16-byte lane
    low = builder.shuffle_vector(outs[0], outs[1], ir.Constant(v2q, list(range(2 * q))))
    high = builder.shuffle_vector(outs[2], outs[3], ir.Constant(v2q, list(range(2 * q))))
    every = builder.shuffle_vector(low, high, ir.Constant(mask, list(range(width))))
    order = []
    for col in range(width):
        lane, r = divmod(col, 16)
        i, j = divmod(r, 4)
        order.append(i * q + lane * 4 + j)
    cols = builder.shuffle_vector(every, every, ir.Constant(mask, order))
    dp = builder.bitcast(builder.gep(dst.data, [doff]), vb.as_pointer())
    builder.store(builder.trunc(cols, vb), dp, align=1)


def _make_conv_u8(width):
    @intrinsic
    def conv_u8(typingctx, src, offset, stride, wpk, ntaps, dst, doff, rnd):
        if not (isinstance(src, types.Array) and isinstance(dst, types.Array) and isinstance(wpk, types.Array)):
            return None
        if not all(isinstance(t, types.Integer) for t in (offset, stride, ntaps, doff, rnd)):
            return None
        active = src.dtype == types.uint8 and dst.dtype == types.uint8 and wpk.dtype == types.int32

        def codegen(context, builder, sig, args):
            if active:
                _conv_u8_codegen(width, context, builder, sig, args)
            return context.get_dummy_value()

        return types.void(src, offset, stride, wpk, ntaps, dst, doff, rnd), codegen

    conv_u8.__doc__ = CONV_U8_DOC.format(width=width)
    return conv_u8


CONV_U8_DOC = """One {width}-column block of the uint8 convolution, exact:
    out[j] = clamp((rnd + sum_k w_k * row_k[j]) >> 22, 0, 255) for j < {width}
    and k < ntaps, where row_k starts ``offset + k*stride`` bytes past src's
    first element, out ``doff`` bytes past dst's, and the int32 fixed-point
    weights w_k come packed in pairs (resample._pack_pairs).  Rows are taken
    two at a time, interleaved as 16-bit pairs and multiplied by a weight
    pair in one pmaddwd-shaped step (vpdpwssd with AVX-VNNI), each weight
    split into its high bits (w >> 11, an int16 while |w| < 2**26) and its
    low 11 bits: two int32 sums that combine into the int32 sum (modulo
    2**32, as the element-wise loop), bit for bit.  Generic LLVM vector IR,
    so it compiles for every CPU.  Does nothing unless src and dst are uint8
    arrays (kernels serving every dtype call it only for uint8).  No bounds
    check: the caller makes sure every byte read and written lies in its
    array; ntaps >= 1."""

conv_u8_64 = _make_conv_u8(64)
conv_u8_32 = _make_conv_u8(32)
conv_u8_16 = _make_conv_u8(16)
