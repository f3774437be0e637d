"""``trainingsample preprocess SRC DST``: decode a folder of images, run one
pipeline over them in parallel, write the results and a manifest.

* Decoding and encoding use Pillow (``pip install "trainingsample[cli]"``),
  in threads (Pillow releases the GIL while it decodes and encodes); the
  pipeline runs on trainingsample's thread pool, one call per chunk.
* ``DST/manifest.jsonl`` gets one JSON line per source file: its output,
  sizes, the source region kept (``crop_box``), the flip and the output's
  luminance, or the error.  Lines are appended and flushed chunk by chunk;
  outputs are written to a temporary name and renamed, so an interrupted run
  never leaves a half-written file counted as done.
* Resumable: sources already in the manifest with an existing output are
  skipped.  Random crops and flips use a seed per file (``--seed`` and the
  file's relative path), so a resumed run gives the same outputs.
* Per-file errors (unreadable files, images the pipeline refuses) are
  recorded and counted; the run goes on.  Exit status 1 if any file failed.
* Sources are never overwritten: DST may not be SRC, inside it, or contain it.
* With no SRC and DST it runs on a generated sample set in
  ``./trainingsample-sample`` (the README's main job).
"""
import argparse
import concurrent.futures as cf
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from .pipeline import key_seed

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")
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
    from ._coeffs import INTERPOLATIONS
    from .pipeline import RESIZE_MODES

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
    p.add_argument("--batch", type=int, default=64, help="images per pipeline call")
    p.add_argument("--threads", type=int, default=None, help="threads (default: CPU affinity)")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="ray: Ray Data map_batches (ray.init() finds or starts a cluster)")
    p.add_argument("--limit", type=int, default=None, help="process at most this many new files")
    p.add_argument("--samples", type=int, default=200, help="images in the generated sample set (no SRC)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    return p


def pipeline_from_args(args):
    from . import pipeline as P

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
    out = []
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                out.append((Path(root) / name).relative_to(src).as_posix())
    return out


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
    return str(Path(rel).with_suffix(FORMATS[fmt]).as_posix())


# --------------------------------------------------------------------------
# the work on one chunk (the same code runs locally and in Ray workers)


def decode(path, channels):
    Image, ImageOps = _pil()
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        want = {"rgb": "RGB", "gray": "L", "rgba": "RGBA"}.get(channels)
        if want is None:  # keep: L, RGB and RGBA as they are; other modes to RGB(A)
            want = im.mode if im.mode in ("L", "RGB", "RGBA") else ("RGBA" if "A" in im.getbands() else "RGB")
        if im.mode != want:
            im = im.convert(want)
        return np.asarray(im)


def encode_write(arr, dst_path, fmt, quality):
    """Write atomically: a temporary file in the same folder, then rename."""
    dst_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst_path.with_name(f".{dst_path.name}.tmp{os.getpid()}")
    try:
        if fmt == "npy":
            with open(tmp, "wb") as fh:
                np.save(fh, arr)
        else:
            Image, _ = _pil()
            img = Image.fromarray(arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr)
            buf = io.BytesIO()
            opts = {"quality": quality} if fmt in ("jpeg", "webp") else {}
            img.save(buf, format=fmt.upper(), **opts)
            with open(tmp, "wb") as fh:
                fh.write(buf.getbuffer())
        os.replace(tmp, dst_path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _round(v):
    return round(float(v), 2)


def process_chunk(rels, src, dst, opts, executor=None):
    """Decode, run the pipeline, write outputs; returns one record per file."""
    import trainingsample as ts

    pipe = opts["pipeline"]
    own = executor is None
    ex = executor or cf.ThreadPoolExecutor(max(1, ts.get_num_threads()))
    try:
        records = {}
        decoded = {}
        futs = {ex.submit(decode, Path(src) / rel, opts["channels"]): rel for rel in rels}
        for fut, rel in futs.items():
            try:
                decoded[rel] = fut.result()
            except Exception as exc:  # corrupt or unsupported file: counted, the run goes on
                records[rel] = {"source": rel, "error": f"decode: {type(exc).__name__}: {exc}"}
        ok = [rel for rel in rels if rel in decoded]
        outs, params = [], []
        try:
            outs, params = pipe([decoded[r] for r in ok], seed=[file_seed(opts["seed"], r) for r in ok], return_params=True)
        except (ValueError, TypeError):
            # isolate the file(s) the pipeline refuses
            outs, params, keep = [], [], []
            for r in ok:
                try:
                    o, p = pipe([decoded[r]], seed=[file_seed(opts["seed"], r)], return_params=True)
                    outs.append(o[0])
                    params.append(p[0])
                    keep.append(r)
                except (ValueError, TypeError) as exc:
                    records[r] = {"source": r, "error": f"pipeline: {exc}"}
            ok = keep
        lum = ts.batch_calculate_luminance(outs) if outs else []
        writes = {}
        for r, o in zip(ok, outs):
            writes[r] = ex.submit(encode_write, o, Path(dst) / output_name(r, opts["format"]), opts["format"], opts["quality"])
        for r, o, p, l in zip(ok, outs, params, lum):
            try:
                writes[r].result()
            except Exception as exc:
                records[r] = {"source": r, "error": f"write: {type(exc).__name__}: {exc}"}
                continue
            records[r] = {
                "source": r,
                "output": output_name(r, opts["format"]),
                "source_size": list(p["source_size"]),
                "size": list(p["size"]),
                "crop_box": [_round(v) for v in p["source_box"]],
                "flip": bool(p["flip"][0]),
                "luminance": round(float(l), 4),
            }
        return [records[r] for r in rels]
    finally:
        if own:
            ex.shutdown()


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
    existing = list_sources(folder)
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


def _chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


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
    opts = {"pipeline": pipe, "channels": args.channels, "seed": args.seed, "format": args.format, "quality": args.quality}
    dst.mkdir(parents=True, exist_ok=True)
    manifest = dst / MANIFEST
    done = read_manifest(manifest)
    sources = list_sources(src)
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
    print(f"preprocess {src} -> {dst}: {len(sources)} images, {len(skipped)} already done, {len(todo)} to do; "
          f"pipeline {pipe!r}; {ts.get_num_threads()} threads, engine {args.engine}", file=out)
    progress = Progress(len(todo), args.quiet, err)
    t0 = time.perf_counter()
    failed = 0
    with open(manifest, "a", encoding="utf-8") as mf:
        def record(recs):
            nonlocal failed
            bad = sum("error" in r for r in recs)
            failed += bad
            for r in recs:
                mf.write(json.dumps(r) + "\n")
            mf.flush()
            os.fsync(mf.fileno())
            progress.update(len(recs), bad)

        collided = [r for r in todo if r in collide]
        if collided:
            record([{"source": r, "error": f"output name {output_name(r, args.format)} is also the output of {collide[r]}"} for r in collided])
        work = [r for r in todo if r not in collide]
        if args.engine == "ray":
            from .ray_data import preprocess_with_ray

            for recs in preprocess_with_ray(work, src, dst, opts, args.batch):
                record(recs)
        else:
            with cf.ThreadPoolExecutor(max(1, ts.get_num_threads())) as ex:
                for chunk in _chunks(work, args.batch):
                    record(process_chunk(chunk, src, dst, opts, ex))
    el = time.perf_counter() - t0
    n = len(todo)
    print(f"done: {n - failed} written, {len(skipped)} skipped (already done), {failed} failed "
          f"in {el:.2f} s ({n / el if el > 0 else 0:.1f} img/s); manifest {manifest}", file=out)
    if failed:
        print(f"{failed} file(s) failed: their manifest lines have an \"error\"", file=out)
    return 1 if failed else 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except UsageError as exc:
        print(f"trainingsample preprocess: error: {exc}", file=sys.stderr)
        return 2
