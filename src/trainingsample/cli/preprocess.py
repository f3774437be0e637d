"""``trainingsample preprocess SRC DST``: run one pipeline over a folder of
images, writing the results and a manifest.

* Streaming: each file goes decode, pipeline, encode and atomic write in
  one worker, one file at a time; with more than one worker (one per
  trainingsample thread) the workers are forked processes (no GIL shared;
  the kernels are loaded once, before the fork), with one the file worker
  reads ahead while the kernels load; memory is bounded whatever the folder
  size.  JPEGs are decoded at the reduced scale the pipeline allows
  (``--reducing-gap``, see Pipeline); decoding and encoding need
  ``pip install "trainingsample[cli]"`` (Pillow, simplejpeg).
* ``DST/manifest.jsonl`` gets one JSON line per source file: its output,
  sizes, the source region kept (``crop_box``, source pixels), the flip, the
  decode scale and the output's luminance, or the error.  Each line is
  flushed as its file finishes (and fsynced every FSYNC_INTERVAL); a torn
  last line is ended before the next run appends.  Outputs are written to a
  temporary name and renamed, so no output is ever half-written; temporary
  files a killed run left are removed by the next run.
* Resumable: sources already in the manifest with an existing output are
  skipped.  Random crops and flips use a seed per file (``--seed`` and the
  file's relative path), so a resumed run gives the same outputs.
* Per-file errors (unreadable, truncated or corrupt files, non-images,
  images over MAX_IMAGE_PIXELS, images the pipeline refuses, failed writes)
  are recorded with the stage and cause; the run goes on.  Exit status 1 if
  any file failed, 2 for a bad command line or a DST (or manifest) that
  cannot be written.
* Only regular files are read: FIFOs, sockets and devices with image names
  are listed as not read, and so are symbolic links that lead outside SRC
  (links inside it are followed).  Sources are never written: DST may not
  be SRC, inside it, or contain it.
* With no SRC and DST it runs on a generated sample set in
  ``./trainingsample-sample`` (the README's main job).
"""
import argparse
import concurrent.futures as cf
import errno
import io
import json
import os
import posixpath
import re
import stat
import sys
import threading
import time
from pathlib import Path

import numpy as np

from ..io import IMAGE_EXTENSIONS
from ..pipeline import key_seed

FORMATS = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "npy": ".npy"}
CHANNEL_MODES = ("rgb", "gray", "rgba", "keep")
MANIFEST = "manifest.jsonl"
SAMPLE_DIR = "trainingsample-sample"


class UsageError(Exception):
    """Bad command line: exit status 2, no file touched."""


def _pil():
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - depends on the environment
        raise UsageError('preprocess needs Pillow to decode and encode: pip install "trainingsample[cli]"') from None
    return Image, ImageOps


# --------------------------------------------------------------------------
# arguments


def parse_size(text):
    """'224' -> (224, 224); '320x240' -> (320, 240) (width x height)."""
    parts = text.lower().split("x")
    try:
        vals = [int(p, 10) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size must be N or WIDTHxHEIGHT, got {text!r}") from None
    if len(vals) == 1:
        vals = vals * 2
    if len(vals) != 2 or min(vals) < 1:
        raise argparse.ArgumentTypeError(f"--size must be N or WIDTHxHEIGHT with positive integers, got {text!r}")
    return tuple(vals)


def build_parser(sub=None):
    from .._coeffs import INTERPOLATIONS
    from ..pipeline import RESIZE_MODES

    kw = dict(
        description="Resize/crop a folder of images in parallel, writing outputs and a manifest.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p = sub.add_parser("preprocess", help="preprocess a folder of images (no SRC/DST: a generated sample set)", **kw) if sub else argparse.ArgumentParser(prog="trainingsample preprocess", **kw)
    p.add_argument("src", nargs="?", help="folder of images (searched recursively)")
    p.add_argument("dst", nargs="?", help="output folder (created); gets the outputs and manifest.jsonl")
    p.add_argument("--size", type=parse_size, default=(224, 224), help="N or WIDTHxHEIGHT; for shorter/longer the first number")
    p.add_argument("--mode", choices=RESIZE_MODES, default="fill", help="exact: stretch; shorter/longer: that side to N; fill: cover then crop")
    p.add_argument("--crop", choices=("center", "random"), default="center", help="window kept by --mode fill")
    p.add_argument("--filter", choices=INTERPOLATIONS, default="bilinear", help="resampling filter")
    p.add_argument("--flip", type=float, default=0.0, help="probability of a horizontal flip")
    p.add_argument("--channels", choices=CHANNEL_MODES, default="rgb", help="output channels")
    p.add_argument("--format", choices=tuple(FORMATS), default="jpeg", help="output format")
    p.add_argument("--quality", type=int, default=90, help="JPEG/WebP quality (1-100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random crops and flips (per file)")
    p.add_argument("--batch", type=int, default=64, help="files per Ray task (--engine ray)")
    p.add_argument("--reducing-gap", type=float, default=2.0,
                   help="decode JPEGs at 1/2-1/8 scale keeping at least this many times the output resolution over the kept window; 0: decode in full")
    p.add_argument("--threads", type=int, default=None, help="threads (default: CPU affinity)")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="ray: Ray Data map_batches (ray.init() finds or starts a cluster)")
    p.add_argument("--limit", type=int, default=None, help="process at most this many new files")
    p.add_argument("--samples", type=int, default=200, help="images in the generated sample set (no SRC)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    return p


def pipeline_from_args(args):
    from .. import pipeline as P

    steps = []
    size = args.size[0] if args.mode in ("shorter", "longer") else args.size
    steps.append(P.Resize(size, args.mode, interpolation=args.filter, crop=args.crop))
    if args.flip:
        steps.append(P.HorizontalFlip(args.flip))
    if args.channels != "keep":
        steps.append(P.ConvertChannels(args.channels))
    return P.Pipeline(steps)


def check_args(args):
    if not 1 <= args.quality <= 100:
        raise UsageError(f"--quality must be in [1, 100], got {args.quality}")
    if not 0.0 <= args.flip <= 1.0:
        raise UsageError(f"--flip must be a probability in [0, 1], got {args.flip}")
    for name in ("batch", "threads", "limit", "samples"):
        v = getattr(args, name)
        if v is not None and v < (0 if name == "limit" else 1):
            raise UsageError(f"--{name} must be >= {0 if name == 'limit' else 1}, got {v}")
    if args.reducing_gap != 0 and not args.reducing_gap >= 1.0:
        raise UsageError(f"--reducing-gap must be 0 (off) or >= 1, got {args.reducing_gap}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if args.format == "jpeg" and args.channels in ("rgba", "keep"):
        raise UsageError(f"--format jpeg cannot store --channels {args.channels} (alpha); use png, webp or npy")
    if (args.src is None) != (args.dst is None):
        raise UsageError("give both SRC and DST, or neither (to run on a generated sample set)")


def check_paths(src, dst):
    src, dst = Path(src).resolve(), Path(dst).resolve()
    if not src.is_dir():
        raise UsageError(f"SRC {src} is not a folder")
    if dst == src or src in dst.parents or dst in src.parents:
        raise UsageError(f"DST {dst} must be outside SRC {src} (and not contain it): sources are never overwritten")
    if dst.exists() and not dst.is_dir():
        raise UsageError(f"DST {dst} exists and is not a folder")
    return src, dst


# --------------------------------------------------------------------------
# files, manifest, seeds


def list_sources(src):
    """(sources, skipped): the image files under ``src`` (relative, sorted),
    and ``(relative path, why)`` for names with an image extension that are
    not read: anything that is not a regular file (FIFOs, sockets,
    devices: opening one could block forever), and symbolic links that lead
    outside ``src`` (links inside it are followed; linked folders are not
    descended, so no loops).  Sources are only ever read."""
    src = Path(src)
    real_src = src.resolve()
    out, skipped = [], []
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            if not name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            path = Path(root) / name
            rel = path.relative_to(src).as_posix()
            if path.is_symlink():
                target = path.resolve()
                if real_src not in target.parents:
                    skipped.append((rel, "a link to outside SRC"))
                    continue
            try:
                mode = path.stat().st_mode
            except OSError as exc:
                skipped.append((rel, f"unreadable ({exc.strerror})"))
                continue
            if not stat.S_ISREG(mode):
                skipped.append((rel, "not a regular file"))
                continue
            out.append(rel)
    return out, skipped


def clean_tmp(dst):
    """Remove the temporary files a killed run left in ``dst``; their count."""
    n = 0
    for root, _, files in os.walk(dst):
        for name in files:
            if _TMP.match(name):
                try:
                    os.unlink(os.path.join(root, name))
                    n += 1
                except OSError:
                    pass
    return n


def read_manifest(path):
    """source -> record (the last record of each source wins; a torn last line is ignored)."""
    records = {}
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(rec, dict) and "source" in rec:
                    records[rec["source"]] = rec
    return records


def file_seed(seed, rel):
    """A per-file seed from the run's seed and the relative path (stable across runs)."""
    return key_seed(seed, rel)


def output_name(rel, fmt):
    return posixpath.splitext(rel)[0] + FORMATS[fmt]  # rel is a posix path (list_sources)


# --------------------------------------------------------------------------
# the work on one file (the same code runs locally and in Ray workers)

# what a killed run leaves: DST/.NAME.tmpPID-THREAD (removed by the next run)
_TMP = re.compile(r"^\..+\.tmp\d+(-\d+)?$")


def tmp_name(dst_path):
    folder, name = os.path.split(os.fspath(dst_path))
    return os.path.join(folder, f".{name}.tmp{os.getpid()}-{threading.get_ident()}")


def encode(arr, fmt, quality):
    """The encoded bytes of an output."""
    if fmt == "npy":
        buf = io.BytesIO()
        np.save(buf, arr)
        return buf.getvalue()
    if fmt == "jpeg" and arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] in (1, 3):
        from ..io import _simplejpeg

        sj = _simplejpeg()
        if sj is not None:  # libjpeg-turbo with the GIL released, Pillow's default 4:2:0 chroma
            return sj.encode_jpeg(np.ascontiguousarray(arr), quality, "GRAY" if arr.shape[2] == 1 else "RGB",
                                  colorsubsampling="Gray" if arr.shape[2] == 1 else "420", fastdct=False)
    Image, _ = _pil()
    img = Image.fromarray(arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr)
    buf = io.BytesIO()
    opts = {"quality": quality} if fmt in ("jpeg", "webp") else {}
    img.save(buf, format=fmt.upper(), **opts)
    return buf.getvalue()


# O_TMPFILE: an unnamed file in the output's folder, linked in once written
# (Linux; elsewhere, or where the file system refuses it, a named temporary)
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)
_UNNAMED = [bool(_O_TMPFILE) and os.path.isdir("/proc/self/fd")]
_REFUSED = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT}
_LINK_REFUSED = {errno.EXDEV, errno.EPERM}


def write_atomic(data, dst_path):
    """Write ``data`` so that ``dst_path`` is never seen partly written and
    a failed or killed write leaves nothing behind.

    On Linux the data goes into an unnamed file (O_TMPFILE) in the output's
    folder that is linked at its name once complete: the folder changes
    once per file, and its lock is not held while the file system finds
    an inode (with 2 workers writing into one folder, rename waited on the
    other worker's create for 7% of the CPU samples).  An existing output
    is replaced by linking the written file at a temporary name and renaming
    that.  A file system without O_TMPFILE takes a temporary file and a
    rename.  The output's folder is made when the first write into it finds
    it missing."""
    data = memoryview(data).cast("B")  # TypeError for anything but a bytes-like object
    dst_path = os.fspath(dst_path)
    if _UNNAMED[0]:
        try:
            fd = _open_unnamed(os.path.dirname(dst_path))
        except OSError as exc:
            if exc.errno not in _REFUSED:
                raise
            _UNNAMED[0] = False  # this file system makes no unnamed files
        else:
            try:
                _write_all(fd, data)
                _link(fd, dst_path)
                return
            except FileExistsError:
                _replace_with(lambda tmp: _link(fd, tmp), dst_path)
                return
            except OSError as exc:
                if exc.errno not in _LINK_REFUSED:
                    raise
                _UNNAMED[0] = False  # /proc's links cannot be followed here
            finally:
                os.close(fd)
    _replace_with(lambda tmp: _write_file(tmp, data), dst_path)


def _in_folder(folder, make):
    """``make()``; where it finds ``folder`` missing, the folder is made and
    ``make()`` runs again (no mkdir or stat per output)."""
    try:
        return make()
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
        return make()


def _open_unnamed(folder):
    return _in_folder(folder, lambda: os.open(folder, os.O_WRONLY | _O_TMPFILE | os.O_CLOEXEC, 0o666))


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def _link(fd, path):
    # linkat with AT_SYMLINK_FOLLOW (os.link passes it only with a dir fd)
    os.link(f"/proc/self/fd/{fd}", path, src_dir_fd=fd)


def _write_file(path, data):
    with _in_folder(os.path.dirname(path), lambda: open(path, "wb")) as fh:
        fh.write(data)


def _replace_with(make, dst_path):
    """``make`` the finished file at a temporary name in the same folder,
    then rename it over ``dst_path``; the temporary name never outlives a
    failure."""
    tmp = tmp_name(dst_path)
    try:
        make(tmp)
        os.replace(tmp, dst_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _round(v):
    return round(float(v), 2)


def _error(stage, exc):
    text = str(exc) if isinstance(exc, (ValueError, TypeError)) else f"{type(exc).__name__}: {exc}"
    return f"{stage}: {text}"


def read_file(rel, src, opts):
    """The first half of one file's work (header, geometry, decode: no
    kernel); Pipeline.prepare's result, or the file's error record."""
    from .. import io as tio

    try:
        return opts["pipeline"].prepare([os.path.join(src, rel)], seed=[file_seed(opts["seed"], rel)],
                                        mode=opts["channels"], reducing_gap=opts.get("reducing_gap", 2.0))
    except tio.DecodeError as exc:
        return {"source": rel, "error": f"decode: {exc.cause}"}
    except MemoryError as exc:
        return {"source": rel, "error": _error("decode", exc)}
    except (ValueError, TypeError) as exc:
        return {"source": rel, "error": _error("pipeline", exc)}


def finish_file(rel, prepared, dst, opts):
    """The second half: kernels (in the calling thread), encode, atomic
    write; the file's manifest record.  Nothing is left at the output's
    name when it fails."""
    import trainingsample as ts

    if isinstance(prepared, dict):  # the error record of read_file
        return prepared
    try:
        with ts.limit_threads(1):  # one file per worker thread: its kernels run in that thread
            outs, params = opts["pipeline"].run(prepared, return_params=True)
            out, p = outs[0], params[0]
            lum = round(float(ts.calculate_luminance(out)), 4)
    except (ValueError, TypeError) as exc:
        return {"source": rel, "error": _error("pipeline", exc)}
    name = output_name(rel, opts["format"])
    try:
        write_atomic(encode(out, opts["format"], opts["quality"]), os.path.join(dst, name))
    except Exception as exc:
        return {"source": rel, "error": _error("write", exc)}
    return {
        "source": rel,
        "output": name,
        "source_size": list(p["source_size"]),
        "size": list(p["size"]),
        "crop_box": [_round(v) for v in p["source_box"]],
        "flip": bool(p["flip"][0]),
        "decode_scale": p["decode_scale"],
        "luminance": lum,
    }


def process_file(rel, src, dst, opts):
    """Decode, run the pipeline, encode and write one file; its manifest
    record.  Any failure is the record's "error", with the stage (decode,
    pipeline, write)."""
    return finish_file(rel, read_file(rel, src, opts), dst, opts)


def process_chunk(rels, src, dst, opts):
    """process_file for each of ``rels`` in turn (a Ray task's work)."""
    return [process_file(r, src, dst, opts) for r in rels]


def warm_kernels(pipeline, channels):
    """Load the kernels ``pipeline`` runs on files decoded in ``channels``
    (from numba's cache: kernels._jit.KernelCache loads them without
    importing numba's implementation modules, scipy.linalg and cffi among
    them)."""
    pipeline.warm({"gray": 1, "rgb": 3, "rgba": 4}.get(channels, 3))


HOLD_BYTES = 64 << 20  # decoded pixels read ahead while the kernels load


def _held_bytes(held):
    return sum(p.batch.arrays[0].nbytes for _, p in held if not isinstance(p, dict))


def stream(rels, src, dst, opts, workers, in_flight=None, warm=None):
    """Yield each file's record as it finishes.  ``workers`` threads take
    files through read (header, geometry, decode) and finish (kernels,
    encode, write); at most ``in_flight`` (default 4 x workers) files are
    started and not yet done, so memory is bounded whatever the folder
    size.  ``warm``: a future that loads the kernels; until it is done the
    workers only read files (decoding needs no compiled code), holding up
    to HOLD_BYTES of decoded pixels, then they finish those first."""
    in_flight = in_flight or 4 * workers
    it = iter(rels)
    with cf.ThreadPoolExecutor(workers, "ts-file") as ex:
        reading, finishing, held = {}, {}, []  # future -> relative path; (path, prepared) read before warm

        def fill():
            while (len(reading) < workers and _held_bytes(held) < HOLD_BYTES if warm is not None
                   else len(reading) + len(finishing) + len(held) < in_flight):
                rel = next(it, None)
                if rel is None:
                    return
                reading[ex.submit(read_file, rel, src, opts)] = rel

        fill()
        while reading or finishing or held:
            waits = set(reading) | set(finishing) | ({warm} if warm is not None else set())
            done, _ = cf.wait(waits, return_when=cf.FIRST_COMPLETED)
            if warm is not None and warm.done():
                warm.result()  # the kernels are ready (or their error is raised here)
                warm = None
            for fut in done:
                if fut in reading:
                    held.append((reading.pop(fut), fut.result()))
                elif fut in finishing:
                    del finishing[fut]
                    yield fut.result()
            if warm is None:
                for rel, prepared in held:
                    finishing[ex.submit(finish_file, rel, prepared, dst, opts)] = rel
                held = []
            fill()


def _fork_context():
    import multiprocessing as mp

    return mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None


_FORK = _fork_context()
_JOB = {}  # what forked workers inherit: src, dst, opts


def _process_one(rel):
    try:
        return process_file(rel, _JOB["src"], _JOB["dst"], _JOB["opts"])
    except Exception as exc:  # never lose a record to an unexpected error
        return {"source": rel, "error": _error("internal", exc)}


def stream_processes(rels, src, dst, opts, workers):
    """Yield each file's record as it finishes, from ``workers`` forked
    processes, each taking one file at a time through decode, pipeline,
    encode and write in one thread: no GIL is shared, and each holds one
    file at a time.  The kernels are loaded before the fork (the children
    inherit them)."""
    _JOB.update(src=src, dst=dst, opts=opts)
    pool = _FORK.Pool(workers)
    try:
        yield from pool.imap_unordered(_process_one, rels, chunksize=4)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
        _JOB.clear()


def preprocess_with_ray(sources, src, dst, opts, batch_size):
    """``trainingsample preprocess --engine ray``: chunks of files become Ray
    tasks (decode, pipeline, write); yields the manifest records of each
    finished chunk.  On a cluster, SRC and DST must be on a file system every
    node sees."""
    import ray

    if not sources:
        return
    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    blocks = max(1, -(-len(sources) // batch_size))
    ds = ray.data.from_items([{"source": r} for r in sources], override_num_blocks=blocks)

    def chunk(batch):
        import trainingsample as ts

        ts.set_num_threads(1)
        recs = process_chunk([str(s) for s in batch["source"]], src, dst, opts)
        return {"record": np.array([json.dumps(r) for r in recs], dtype=object)}

    out = ds.map_batches(chunk, batch_size=batch_size, batch_format="numpy", num_cpus=1)
    for b in out.iter_batches(batch_size=None, batch_format="numpy"):
        yield [json.loads(s) for s in b["record"]]


# --------------------------------------------------------------------------
# progress


class Progress:
    def __init__(self, total, quiet, stream=None):
        self.total, self.quiet = total, quiet
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = self.failed = 0
        self.t0 = time.perf_counter()
        self._last_pct = -1

    def update(self, n, failed):
        self.done += n
        self.failed += failed
        if self.quiet or not self.total:
            return
        el = time.perf_counter() - self.t0
        rate = self.done / el if el > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 30
        fill = int(width * self.done / self.total)
        line = (f"[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} "
                f"{rate:7.1f} img/s  eta {eta:5.1f} s  failed {self.failed}")
        if self.tty:
            self.stream.write("\r" + line)
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            pct = 100 * self.done // self.total
            if pct // 10 != self._last_pct // 10 or self.done >= self.total:
                self.stream.write(line + "\n")
                self._last_pct = pct
        self.stream.flush()


# --------------------------------------------------------------------------
# sample set


def make_samples(folder, count, seed=0):
    """A deterministic mixed set: JPEG and PNG photo-like images of many
    sizes and aspect ratios, a gray PNG, an RGBA PNG, a palette GIF.
    Returns False when the folder already holds ``count`` images."""
    Image, _ = _pil()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    existing, _ = list_sources(folder)
    if len(existing) >= count:
        return False
    rng = np.random.default_rng(seed)
    for i in range(count):
        w, h = int(rng.integers(256, 1025)), int(rng.integers(256, 1025))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        img = np.empty((h, w, 3), np.float32)
        for c in range(3):
            fx, fy, ph = rng.uniform(0.5, 6, 2).tolist() + [float(rng.uniform(0, 6.28))]
            img[..., c] = 127.5 + 100 * np.sin(xx / w * fx * 6.28 + ph) * np.cos(yy / h * fy * 6.28)
        cx, cy, r = rng.integers(0, w), rng.integers(0, h), rng.integers(20, 200)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.integers(0, 256, 3)
        img += rng.normal(0, 6, img.shape).astype(np.float32)
        arr = np.clip(img, 0, 255).astype(np.uint8)
        sub = folder / f"part{i % 4}"
        sub.mkdir(exist_ok=True)
        if i % 50 == 1:
            Image.fromarray(arr[..., 1]).save(sub / f"img{i:04d}.png")
        elif i % 50 == 2:
            rgba = np.concatenate([arr, np.full((h, w, 1), 200, np.uint8)], axis=2)
            Image.fromarray(rgba).save(sub / f"img{i:04d}.png")
        elif i % 50 == 3:
            Image.fromarray(arr).convert("P").save(sub / f"img{i:04d}.gif")
        elif i % 5 == 4:
            Image.fromarray(arr).save(sub / f"img{i:04d}.png")
        else:
            Image.fromarray(arr).save(sub / f"img{i:04d}.jpg", quality=92)
    return True


# --------------------------------------------------------------------------
# driver


class FatalError(Exception):
    """The run cannot go on (DST unwritable, the manifest cannot be written):
    exit status 2."""


def open_manifest(path):
    """The manifest for appending; a torn last line (a killed run, a full
    disk) is ended first, so the next record starts on a line of its own."""
    with open(path, "ab+") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell():
            fh.seek(-1, os.SEEK_END)
            torn = fh.read(1) != b"\n"
        else:
            torn = False
    mf = open(path, "a", encoding="utf-8")
    if torn:
        mf.write("\n")
        mf.flush()
    return mf


FSYNC_INTERVAL = 1.0  # seconds between fsyncs of the manifest (each record is flushed at once)


def run(args, out=sys.stdout, err=sys.stderr):
    """Run ``preprocess``; returns the exit status."""
    import trainingsample as ts

    check_args(args)
    _pil()
    if args.src is None:
        base = Path(SAMPLE_DIR)
        t = time.perf_counter()
        made = make_samples(base / "src", args.samples)
        args.src, args.dst = str(base / "src"), str(base / "out")
        how = f"generated in {time.perf_counter() - t:.1f} s" if made else "already there"
        print(f"sample set: {args.samples} images in {args.src} ({how})", file=out)
    src, dst = check_paths(args.src, args.dst)
    if args.threads:
        ts.set_num_threads(args.threads)
    pipe = pipeline_from_args(args)
    gap = args.reducing_gap if args.reducing_gap else None
    opts = {"pipeline": pipe, "channels": args.channels, "seed": args.seed, "format": args.format,
            "quality": args.quality, "reducing_gap": gap}
    manifest = dst / MANIFEST
    try:
        dst.mkdir(parents=True, exist_ok=True)
        mf = open_manifest(manifest)
    except OSError as exc:
        raise FatalError(f"cannot write to DST {dst}: {exc.strerror or exc}") from None
    with mf:
        cleaned = clean_tmp(dst)
        done = read_manifest(manifest)
        sources, unread = list_sources(src)
        skipped = [r for r in sources if "output" in done.get(r, {}) and (dst / done[r]["output"]).exists()]
        skip = set(skipped)
        todo = [r for r in sources if r not in skip]
        # two sources with one output name (a.jpg, a.png -> a.jpg): the later ones fail
        names, collide = {}, {}
        for r in sources:
            o = output_name(r, args.format)
            if o in names:
                collide[r] = names[o]
            else:
                names[o] = r
        if args.limit is not None:
            todo = todo[: args.limit]
        workers = max(1, ts.get_num_threads())
        print(f"preprocess {src} -> {dst}: {len(sources)} images, {len(skipped)} already done, {len(todo)} to do; "
              f"pipeline {pipe!r}; {workers} workers, engine {args.engine}", file=out)
        for rel, why in unread:
            print(f"not read: {rel} ({why})", file=out)
        if cleaned:
            print(f"removed {cleaned} temporary file(s) left by an interrupted run", file=out)
        progress = Progress(len(todo), args.quiet, err)
        t0 = last_sync = time.perf_counter()
        failed = 0

        def record(recs):
            nonlocal failed, last_sync
            bad = sum("error" in r for r in recs)
            failed += bad
            try:
                for r in recs:
                    mf.write(json.dumps(r) + "\n")
                mf.flush()
                if time.perf_counter() - last_sync > FSYNC_INTERVAL:
                    os.fsync(mf.fileno())
                    last_sync = time.perf_counter()
            except OSError as exc:
                raise FatalError(f"cannot write the manifest {manifest}: {exc.strerror or exc}") from None
            progress.update(len(recs), bad)

        collided = [r for r in todo if r in collide]
        if collided:
            record([{"source": r, "error": f"output name {output_name(r, args.format)} is also the output of {collide[r]}"} for r in collided])
        work = [r for r in todo if r not in collide]
        if args.engine == "ray":
            for recs in preprocess_with_ray(work, src, dst, opts, args.batch):
                record(recs)
        elif work and workers > 1 and _FORK is not None:
            warm_kernels(pipe, args.channels)  # loaded once, inherited by the forked workers
            for rec in stream_processes(work, src, dst, opts, workers):
                record([rec])
        else:
            with cf.ThreadPoolExecutor(1, "ts-warm") as warmer:
                warm = warmer.submit(warm_kernels, pipe, args.channels) if work else None
                for rec in stream(work, src, dst, opts, workers, warm=warm):
                    record([rec])
        try:
            mf.flush()
            os.fsync(mf.fileno())
        except OSError as exc:
            raise FatalError(f"cannot write the manifest {manifest}: {exc.strerror or exc}") from None
    el = time.perf_counter() - t0
    n = len(todo)
    print(f"done: {n - failed} written, {len(skipped)} skipped (already done), {failed} failed "
          f"in {el:.2f} s ({n / el if el > 0 else 0:.1f} img/s); manifest {manifest}", file=out)
    if failed:
        print(f"{failed} file(s) failed: their manifest lines have an \"error\"", file=out)
    return 1 if failed else 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    return run_cli(args)


def run_cli(args):
    """``run`` with its errors as messages and exit status 2."""
    try:
        return run(args)
    except (UsageError, FatalError) as exc:
        print(f"trainingsample preprocess: error: {exc}", file=sys.stderr)
        return 2
