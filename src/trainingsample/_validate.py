"""Input validation and normalisation: every argument check of the library lives here.

Each validator raises TypeError (wrong kind of thing) or ValueError (right kind,
wrong value) naming the argument, the index and the offending value.  That
includes the checks that can only run while planning (a pipeline step
against the image it meets: ``crop_fits``, ``conversion``, ...).

Two other kinds of message live with what they describe: a file that cannot
be read or decoded is ``io.DecodeError`` (the file and the cause, raised
while decoding), and the command line's flag checks are in
``cli/preprocess.py`` (they name flags such as ``--size`` and exit with
status 2).
"""
import math
import numbers
import operator

import numpy as np

from ._coeffs import ALIASES, INTERPOLATIONS

SUPPORTED_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))
_DTYPE_NAMES = ", ".join(d.name for d in SUPPORTED_DTYPES)
# dtype -> the value meaning full intensity (opaque alpha, Normalize's default scale)
FULL_SCALE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0, np.dtype(np.float32): 1.0}
# Refuse outputs this large before allocating anything.
MAX_SIDE = 1 << 20  # pixels per side
MAX_OUTPUT_BYTES = 1 << 40  # per call


class Batch:
    """Images of one call, normalised to views of shape (N, H, W, C).

    ``arrays`` holds one 4-D view per input image, or a single 4-D view for a
    4-D batch input, each as the kernels take it (see kernel_array).
    ``squeeze`` records which inputs were 2-D (H, W); ``readonly`` which
    entries of ``arrays`` alias a read-only input (views handed back to the
    caller are made read-only again).
    """

    __slots__ = ("arrays", "is_array", "squeeze", "count", "readonly")

    def __init__(self, arrays, is_array, squeeze, count, readonly):
        self.arrays = arrays
        self.is_array = is_array
        self.squeeze = squeeze
        self.count = count
        self.readonly = readonly

    def user_view(self, i, view):
        """``view`` (of image i) as the caller may get it: read-only when
        the input was."""
        if self.readonly[0 if self.is_array else i]:
            view.flags.writeable = False
        return view

    def image(self, i):
        """The i-th image as an (H, W, C) view."""
        if self.is_array:
            return self.arrays[0][i]
        return self.arrays[i][0]


def _check_dtype(arr, where):
    if arr.dtype not in SUPPORTED_DTYPES:
        raise TypeError(f"{where} has dtype {arr.dtype}; supported dtypes are {_DTYPE_NAMES}")


def _as_array(obj, where):
    if isinstance(obj, np.ndarray):
        return obj
    # CPU torch tensors and other array-likes exposing the array protocol (no copy for torch CPU tensors).
    if hasattr(obj, "__array__") or hasattr(obj, "__array_interface__"):
        if type(obj).__module__.startswith("torch") and hasattr(obj, "numpy"):
            try:
                return obj.detach().numpy()
            except Exception as exc:  # e.g. a CUDA tensor
                raise TypeError(f"{where} is a {type(obj).__name__} that numpy cannot view ({exc})") from None
        return np.asarray(obj)
    raise TypeError(f"{where} must be a numpy array, got {type(obj).__name__}")


class _WritableAlias:
    """Exposes a read-only array's memory through the array interface with
    the read-only flag off; ``source`` keeps that memory alive as long as
    the alias (numpy keeps this object as the alias's base)."""

    def __init__(self, arr):
        self.source = arr
        self.__array_interface__ = dict(arr.__array_interface__, data=(arr.__array_interface__["data"][0], False))


def writable_flagged(arr):
    """``arr``, or where it is read-only a writable-flagged alias of its
    memory, for a kernel argument the kernels only read: numba compiles
    read-only and writable arrays as different types (the memoised
    coefficient tables are read-only, the tables derived from them are
    not)."""
    return arr if arr.flags.writeable else np.asarray(_WritableAlias(arr))


def kernel_ready(arr):
    """Whether kernel_array returns ``arr`` as it is: a plain, writable,
    aligned ndarray that is C-contiguous or not Fortran-ordered."""
    f = arr.flags
    return type(arr) is np.ndarray and f.writeable and f.aligned and (f.c_contiguous or not f.f_contiguous)


def kernel_array(arr):
    """``(array, readonly)``: ``arr`` in one of the few forms the kernels
    are compiled for, whatever its memory.

    numba compiles a kernel once per array type, and the type holds the
    layout (C, F or any), the read-only flag and alignment: every new kind
    of input -- a memory map, ``np.frombuffer`` bytes, a Fortran-ordered or
    misaligned array -- used to compile a new set of kernels (5-70 s each).
    Here every input becomes a plain, aligned ndarray with its write flag
    set, whose layout numba types as C or "any": read-only memory gets a
    writable-flagged alias (the kernels never write a source; ``readonly``
    says so, to keep views the caller gets read-only); a misaligned array
    and a Fortran-ordered one (of more than one row and column) are copied
    once in C order (documented).
    """
    if kernel_ready(arr):
        return arr, False
    f = arr.flags
    if not f.aligned or (f.f_contiguous and not f.c_contiguous):
        return np.array(arr, order="C"), False
    if not f.writeable:
        return writable_flagged(arr), True
    return arr.view(np.ndarray), False  # memmap and other subclasses: the plain array


def check_image(image, where="image", channels=None):
    """Validate one image; returns an (H, W, C) view and whether it was 2-D."""
    arr = _as_array(image, where)
    if arr.ndim == 2:
        arr3, squeezed = arr[:, :, None], True
    elif arr.ndim == 3:
        arr3, squeezed = arr, False
    else:
        raise ValueError(f"{where} must have shape (H, W) or (H, W, C), got shape {arr.shape}")
    _check_dtype(arr, where)
    h, w, c = arr3.shape
    if h == 0 or w == 0 or c == 0:
        raise ValueError(f"{where} is empty: shape {arr.shape}")
    if channels is not None and c not in channels:
        raise ValueError(f"{where} has {c} channel(s), shape {arr.shape}; expected {_or_list(channels)}")
    return arr3, squeezed


def _or_list(values):
    values = list(values)
    if len(values) == 1:
        return str(values[0])
    return ", ".join(str(v) for v in values[:-1]) + f" or {values[-1]}"


def single_batch(image, name="image", channels=None):
    """A Batch of one image, errors naming ``name``."""
    arr3, sq = check_image(image, name, channels)
    arr3, ro = kernel_array(arr3)
    return Batch([arr3[None]], False, [sq], 1, [ro])


def as_batch(images, name="images", channels=None):
    """Normalise a list/tuple of images or one (N, H, W, C) array into a Batch."""
    if isinstance(images, np.ndarray) or (
        not isinstance(images, (list, tuple)) and hasattr(images, "__array_interface__")
    ) or type(images).__module__.startswith("torch"):
        arr = _as_array(images, name)
        if arr.ndim != 4:
            raise ValueError(
                f"{name} must be a list of (H, W) or (H, W, C) arrays or one (N, H, W, C) array, "
                f"got an array of shape {arr.shape}; for a single image wrap it in a list or use the "
                f"single-image function"
            )
        _check_dtype(arr, name)
        n, h, w, c = arr.shape
        if n and (h == 0 or w == 0 or c == 0):
            raise ValueError(f"{name} is empty: shape {arr.shape}")
        if n and channels is not None and c not in channels:
            raise ValueError(f"{name} has {c} channel(s), shape {arr.shape}; expected {_or_list(channels)}")
        arr, ro = kernel_array(arr)
        return Batch([arr], True, [False] * n, n, [ro])
    if not isinstance(images, (list, tuple)):
        raise TypeError(
            f"{name} must be a list or tuple of numpy arrays or one (N, H, W, C) array, got {type(images).__name__}"
        )
    arrays, squeeze, readonly = [], [], []
    for i, img in enumerate(images):
        if (
            type(img) is np.ndarray and img.ndim == 3 and img.dtype in SUPPORTED_DTYPES and img.size
            and (channels is None or img.shape[2] in channels) and kernel_ready(img)
        ):
            # the common image (what check_image and kernel_array would
            # return unchanged), checked in one pass
            arrays.append(img[None])
            squeeze.append(False)
            readonly.append(False)
            continue
        arr3, sq = check_image(img, f"{name}[{i}]", channels)
        arr3, ro = kernel_array(arr3)
        arrays.append(arr3[None])
        squeeze.append(sq)
        readonly.append(ro)
    return Batch(arrays, False, squeeze, len(arrays), readonly)


def _int(value, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where} must be an integer, got {value!r} ({type(value).__name__})")
    return operator.index(value)


def _ints(values, where):
    """``values`` as a tuple of ints; a TypeError names ``where[k]`` and the
    value when one is not an integer (plain ints skip the per-value checks:
    a batch of boxes spent about 4 us per box in them)."""
    if all(type(v) is int for v in values):
        return tuple(values)
    return tuple(_int(v, f"{where}[{k}]") for k, v in enumerate(values))


class Pairs(list):
    """One tuple per image; ``shared`` is the tuple given for all of them
    (None when each image has its own), known even for an empty batch."""

    __slots__ = ("shared",)

    def __init__(self, items, shared=None):
        super().__init__(items)
        self.shared = shared


def _pairs(values, n, name, arity, what):
    """One tuple of ``arity`` ints for every image, or one shared by all."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, (list, tuple)) and len(values) == arity and not any(
        isinstance(v, (list, tuple, np.ndarray)) for v in values
    ):
        # one pair/box shared by every image
        t = _ints(values, name)
        return Pairs([t] * n, t)
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be one {what} or a list of {n} of them, got {type(values).__name__}")
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} entries but there are {n} images")
    out = []
    for i, v in enumerate(values):
        if type(v) is tuple and len(v) == arity and all(type(e) is int for e in v):
            out.append(v)  # the common entry, checked in one pass
            continue
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if not isinstance(v, (list, tuple)):
            raise TypeError(f"{name}[{i}] must be a {what}, got {v!r} ({type(v).__name__})")
        if len(v) != arity:
            raise ValueError(f"{name}[{i}] must be a {what}, got {len(v)} values: {v!r}")
        out.append(_ints(v, f"{name}[{i}]"))
    return Pairs(out)


def sizes(target_sizes, n, name="target_sizes"):
    """Validated list of n (width, height) pairs, each side in [1, MAX_SIDE]."""
    pairs = _pairs(target_sizes, n, name, 2, "(width, height) pair")
    shared = pairs.shared is not None
    for i, (w, h) in enumerate([pairs.shared] if shared else pairs):
        where = name if shared else f"{name}[{i}]"
        for side, v in (("width", w), ("height", h)):
            if v < 1:
                raise ValueError(f"{where} {side} must be >= 1, got {v} in {(w, h)}")
            if v > MAX_SIDE:
                raise ValueError(f"{where} {side} {v} exceeds the maximum of {MAX_SIDE} pixels")
    return pairs


def single(value, arity, what, name):
    """Check that a single-image argument is one tuple of ``arity`` values."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != arity:
        raise TypeError(f"{name} must be a {what} of {arity} integers, got {value!r}")
    return value


def where(name, i, indexed):
    return f"{name}[{i}]" if indexed else name


def boxes(values, n, name="boxes"):
    """Validated list of n (x, y, width, height) boxes (not yet checked against images)."""
    out = _pairs(values, n, name, 4, "(x, y, width, height) box")
    shared = out.shared is not None
    for i, (x, y, w, h) in enumerate([out.shared] if shared else out):
        where = name if shared else f"{name}[{i}]"
        if x < 0 or y < 0:
            raise ValueError(f"{where} origin must be >= 0, got x={x}, y={y} in {(x, y, w, h)}")
        if w < 1 or h < 1:
            raise ValueError(f"{where} width and height must be >= 1, got {(x, y, w, h)}")
    return out


def empty_output(batch, shared):
    """The result for an empty batch: [] for a list; for an (0, H, W, C)
    array, an (0, height, width, C) array when one ``shared`` (.., width,
    height) is given for all images (a per-image list, necessarily empty,
    gives [] as outputs of several shapes do)."""
    if not batch.is_array or shared is None:
        return []
    a = batch.arrays[0]
    w, h = shared[-2:]
    return np.empty((0, h, w, a.shape[3]), a.dtype)


def size_inside(size, shape, where):
    """A (width, height) window fits an image of ``shape`` (H, W, ...)."""
    w, h = size
    ih, iw = shape[0], shape[1]
    if w > iw or h > ih:
        raise ValueError(f"{where} {(w, h)} (width, height) is larger than the image of width {iw} and height {ih}")


def box_inside(box, shape, where):
    x, y, w, h = box
    ih, iw = shape[0], shape[1]
    if x + w > iw or y + h > ih:
        raise ValueError(
            f"{where} {box} (x, y, width, height) extends outside the image of width {iw} and height {ih}"
        )


def output_budget(shapes_bytes, name):
    total = sum(shapes_bytes)
    if total > MAX_OUTPUT_BYTES:
        raise ValueError(f"{name}: the outputs would need {total} bytes, over the limit of {MAX_OUTPUT_BYTES}")


def choice(value, options, name):
    """Validate a string option; the message lists the valid ones."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {', '.join(map(repr, options))}; got {value!r}")
    key = value.lower()
    if key not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return key


def flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# --------------------------------------------------------------------------
# pipeline steps, colour conversions, threads


def size_or_int(size, name, allow_int=True):
    """(width, height) from a pair, or from one int N meaning (N, N)."""
    if allow_int and isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (size, size)
    return sizes(single(size, 2, "(width, height) pair" + (" or one int" if allow_int else ""), name), 1, name)[0]


def side(value, name):
    """One side length in [1, MAX_SIDE]."""
    v = _int(value, name)
    if v < 1 or v > MAX_SIDE:
        raise ValueError(f"{name} must be in [1, {MAX_SIDE}], got {v}")
    return v


def probability(p, name="p"):
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1], got {p!r}")
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {p!r}")
    return float(p)


def number_range(values, name, positive):
    """A (low, high) pair of finite numbers, low <= high (> 0 if ``positive``)."""
    if not isinstance(values, (list, tuple)) or len(values) != 2:
        raise TypeError(f"{name} must be a (low, high) pair of numbers, got {values!r}")
    lo, hi = values
    for k, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise TypeError(f"{name}[{k}] must be a finite number, got {v!r}")
        if v <= 0 if positive else v < 0:
            raise ValueError(f"{name}[{k}] must be > 0, got {v!r}")
    if lo > hi:
        raise ValueError(f"{name} must have low <= high, got {values!r}")
    return float(lo), float(hi)


def interpolation_option(interpolation, antialias):
    """(filter name with aliases resolved, antialias flag)."""
    key = choice(interpolation, INTERPOLATIONS, "interpolation")
    return ALIASES.get(key, key), flag(antialias, "antialias")


def per_channel(values, name, nonzero):
    """One finite number, or a non-empty sequence of them (one per channel)."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, numbers.Real) and not isinstance(values, bool):
        values = (values,)
    if not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{name} must be a number or a non-empty sequence of numbers, got {values!r}")
    out = []
    for k, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise TypeError(f"{name}[{k}] must be a finite number, got {v!r}")
        if nonzero and v == 0:
            raise ValueError(f"{name}[{k}] must not be 0")
        out.append(float(v))
    return tuple(out)


def finite_or_none(value, name):
    """None, or a finite real number (not a bool)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)):
        raise TypeError(f"{name} must be a finite number or None, got {value!r}")
    return value


def alpha_value(alpha, dtype):
    """The alpha channel's value for ``dtype`` images (None: opaque)."""
    if alpha is None:
        return dtype.type(FULL_SCALE[dtype])
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"alpha must be a number, got {alpha!r}")
    if dtype.kind == "u":
        info = np.iinfo(dtype)
        if not float(alpha).is_integer() or not info.min <= alpha <= info.max:
            raise ValueError(f"alpha must be an integer in [{info.min}, {info.max}] for {dtype} images, got {alpha!r}")
        return dtype.type(int(alpha))
    if not np.isfinite(alpha):
        raise ValueError(f"alpha must be finite, got {alpha!r}")
    return dtype.type(alpha)


def thread_count(n, function):
    """A positive int given to ``function`` (set_num_threads, limit_threads)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{function}() takes a positive int, got {n!r} ({type(n).__name__})")
    if n < 1:
        raise ValueError(f"{function}() takes a positive int, got {n}")
    return n


def parse_threads(value, source):
    """A positive thread count from an int or a decimal string (an
    environment variable), named by ``source``."""
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


def upper_fraction(value, name):
    """The high end of a (low, high) fraction range must be <= 1."""
    if value > 1.0:
        raise ValueError(f"{name}[1] must be <= 1 (a fraction of the image area), got {value!r}")


def positive_or_none(value, name):
    """None, or a finite number > 0 (as a float)."""
    if finite_or_none(value, name) is None:
        return None
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


# --------------------------------------------------------------------------
# videos, seeds, outputs, files


def video(arr, where):
    """A (T, H, W) or (T, H, W, C) frame stack of a supported dtype, not empty."""
    if arr.ndim not in (3, 4):
        raise ValueError(f"{where} must have shape (T, H, W) or (T, H, W, C), got shape {arr.shape}")
    _check_dtype(arr, where)
    if 0 in arr.shape[1:3] or (arr.ndim == 4 and arr.shape[3] == 0):
        raise ValueError(f"{where} is empty: shape {arr.shape}")


def video_batch(videos):
    """``videos`` of batch_resize_videos: a 5-D array (checked here) or a list."""
    if isinstance(videos, np.ndarray):
        if videos.ndim != 5:
            raise ValueError(
                f"videos must be a list of (T, H, W[, C]) arrays or one (N, T, H, W, C) array, "
                f"got an array of shape {videos.shape}"
            )
        _check_dtype(videos, "videos")
        if 0 in videos.shape[2:]:
            raise ValueError(f"videos is empty: shape {videos.shape}")
    elif not isinstance(videos, (list, tuple)):
        raise TypeError(f"videos must be a list or tuple of arrays or one 5-D array, got {type(videos).__name__}")


def seed_value(seed, name):
    """None, a non-negative int or a numpy Generator (returned as is)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be None, a non-negative int or a numpy.random.Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be >= 0, got {seed}")
    return int(seed)


def seed_count(seeds, n):
    if len(seeds) != n:
        raise ValueError(f"seed has {len(seeds)} entries but there are {n} images")


def out_array(out, shapes, n, dtype):
    """A caller's ``out`` for ``n`` outputs of ``shapes`` (all one shape) and ``dtype``."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
    if n and len(set(shapes)) > 1:
        raise ValueError(f"out: the outputs have different shapes ({shapes[0]} and others); out needs one shape")
    want = (n,) + (shapes[0] if n else out.shape[1:])
    dt = dtype if n else out.dtype
    if out.shape != want:
        raise ValueError(f"out has shape {out.shape}, expected {want}")
    if out.dtype != dt:
        raise TypeError(f"out has dtype {out.dtype}, expected {dt}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be a writeable C-contiguous array")


def source_list(sources, is_source):
    if not isinstance(sources, (list, tuple)) or not all(map(is_source, sources)):
        raise TypeError("sources must be a list of image files (paths or bytes)")


def source(source, is_source):
    if not is_source(source):
        raise TypeError(f"an image source must be a path or bytes, got {type(source).__name__}")


def reducing_gap(value):
    """None, or a number >= 1 (as a float)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 1.0:
        raise ValueError(f"reducing_gap must be a number >= 1 or None, got {value!r}")
    return float(value)


def warmup_args(dtypes, processes, shipped):
    """warmup_processes' arguments: some of ``shipped``, and None or an int >= 1."""
    if not dtypes:
        raise ValueError(f"dtypes must name at least one of {', '.join(shipped)}, got {dtypes!r}")
    for i, d in enumerate(dtypes):
        if d not in shipped:
            raise ValueError(f"dtypes[{i}] must be one of {', '.join(shipped)}, got {d!r}")
    if processes is not None and (type(processes) is not int or processes < 1):
        raise ValueError(f"processes must be an int >= 1, got {processes!r}")


def image_mode(mode, modes):
    if mode not in modes:
        raise ValueError(f"mode must be one of {modes}, got {mode!r}")
    return mode


def decode_scale(scale, scales, name):
    if scale not in scales:
        raise ValueError(f"{name}: scale must be one of {scales}, got {scale!r}")


def errors_option(errors):
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return', got {errors!r}")


# --------------------------------------------------------------------------
# a pipeline's composition, and its steps against the image at each step


def pipeline_steps(steps, step_type):
    """The steps of a Pipeline: steps of ``step_type``, at most one that
    resamples and one ConvertChannels, Normalize last.  Returns the indices
    of the step that resamples and of the ConvertChannels step (None: none)."""
    if not isinstance(steps, (list, tuple)):
        raise TypeError(f"steps must be a list of pipeline steps, got {type(steps).__name__}")
    resize_at = conv_at = None
    for k, st in enumerate(steps):
        if not isinstance(st, step_type):
            raise TypeError(f"steps[{k}] must be a pipeline step (Crop, Resize, Normalize, ...), got {st!r}")
        if st.resamples:
            if resize_at is not None:
                raise ValueError(
                    f"steps[{k}] {type(st).__name__}: a pipeline resizes once (steps[{resize_at}] already "
                    f"resizes); run two pipelines"
                )
            resize_at = k
        if st.converts:
            if conv_at is not None:
                raise ValueError(f"steps[{k}] ConvertChannels: only one per pipeline (steps[{conv_at}] is one)")
            conv_at = k
        if st.normalizes and k != len(steps) - 1:
            raise ValueError(f"steps[{k}] Normalize must be the last step")
    return resize_at, conv_at


def prepared_by(prepared, prepared_type, pipeline):
    if not isinstance(prepared, prepared_type) or prepared.pipeline is not pipeline:
        raise TypeError("run takes what this pipeline's prepare returned")


def planned_sides(tw, th, where, k):
    """A Resize step's target (tw, th) at planning time, within MAX_SIDE."""
    for name, v in (("width", tw), ("height", th)):
        if v > MAX_SIDE:
            raise ValueError(f"{where}: steps[{k}] Resize {name} {v} exceeds the maximum of {MAX_SIDE} pixels")


def crop_fits(step, cur, where, k):
    """``cur``, the (width, height) of the image at steps[k], after checking
    that the step's crop ``step.size`` fits it."""
    if step.size[0] > cur[0] or step.size[1] > cur[1]:
        raise ValueError(
            f"{where}: steps[{k}] {type(step).__name__} size {step.size} (width, height) is larger than the image "
            f"at that step, of width {cur[0]} and height {cur[1]}"
        )
    return cur


def conversion(to, cin, alpha, full, dtype, where):
    """A ConvertChannels step against the image it meets: 1, 3 or 4
    channels, and an alpha that fits an integer ``dtype``."""
    if cin not in (1, 3, 4) and to is not None:
        raise ValueError(f"{where} has {cin} channel(s); ConvertChannels takes 1 (gray), 3 (RGB) or 4 (RGBA)")
    a = full if alpha is None else float(alpha)
    if to is not None and alpha is not None and dtype != np.float32 and not (0 <= a <= full and a == int(a)):
        raise ValueError(f"alpha must be an integer in [0, {int(full)}] for {dtype} images, got {alpha!r}")
    return a


def normalize_channels(norm, cout, where, k):
    """Normalize's mean and std: one value, or one per channel at that step."""
    for name, vals in (("mean", norm.mean), ("std", norm.std)):
        if len(vals) not in (1, cout):
            raise ValueError(
                f"{where}: steps[{k}] Normalize {name} has {len(vals)} values but the image has "
                f"{cout} channel(s) at that step"
            )


# --------------------------------------------------------------------------
# integrations (torch, ray)


def pipeline_object(pipeline, pipeline_type):
    if not isinstance(pipeline, pipeline_type):
        raise TypeError(f"pipeline must be a trainingsample Pipeline, got {type(pipeline).__name__}")


def label_count(labels, images):
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"labels has {len(labels)} entries but there are {len(images)} images")


def on_error_option(on_error):
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")


def image_folder(root, classes, samples, exts):
    """An ImageFolder root: class subfolders holding image files."""
    if not classes:
        raise ValueError(f"{root}: no class folders (one subfolder per class)")
    if not samples:
        raise ValueError(f"{root}: no image files with extensions {exts} in its class folders")


def nhwc_tensor(batch, is_tensor):
    if not is_tensor or batch.ndim != 4:
        raise TypeError(f"batch must be an (N, H, W, C) tensor, got {type(batch).__name__} "
                        f"{tuple(getattr(batch, 'shape', ()))}")


def channel_values(name, count, c):
    if count not in (1, c):
        raise ValueError(f"{name} has {count} values but the batch has {c} channels")


def column_of(column, batch):
    if column not in batch:
        raise ValueError(f"the batch has no column {column!r}; columns are {sorted(batch)}")


def positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value
