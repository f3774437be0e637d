"""Project benchmark: ``python -m trainingsample.bench [--quick] [--out DIR]``.

Every contender takes numpy arrays and returns numpy arrays (Pillow and
pyvips conversions are part of their cost, as they are for a numpy user); each
uses its best mode for the job with no extra conversions.  Runs are
interleaved (one run of each contender per round), the median of the rounds
is reported with the ratio contender / trainingsample (> 1: we are faster).
Peak memory is tracemalloc's peak over one run (numpy and Python allocations;
Pillow's, OpenCV's and pyvips's own C buffers are not seen).
Writes ``bench-results.md`` and ``bench-*.png`` into ``--out``.
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import threading
import time
import tracemalloc

import numpy as np

import trainingsample as ts

W601 = np.array([0.299, 0.587, 0.114])


def _optional(name):
    try:
        return __import__(name)
    except Exception:
        return None


cv2 = _optional("cv2")
PIL_Image = None
try:
    from PIL import Image as PIL_Image
except Exception:
    pass
pyvips = _optional("pyvips")

PIL_FILTER = {}
if PIL_Image is not None:
    PIL_FILTER = {"bilinear": PIL_Image.BILINEAR, "bicubic": PIL_Image.BICUBIC, "lanczos3": PIL_Image.LANCZOS, "box": PIL_Image.BOX}
VIPS_KERNEL = {"bilinear": "linear", "bicubic": "cubic", "lanczos3": "lanczos3"}


# ---------------------------------------------------------------------------
# contenders (numpy in, numpy out)


def pil_resize(img, size, interp):
    return np.asarray(PIL_Image.fromarray(img).resize(size, PIL_FILTER[interp]))


def vips_from(img):
    h, w = img.shape[:2]
    c = 1 if img.ndim == 2 else img.shape[2]
    return pyvips.Image.new_from_memory(np.ascontiguousarray(img).data, w, h, c, "uchar")


def vips_to(v):
    return np.ndarray(buffer=v.write_to_memory(), dtype=np.uint8, shape=(v.height, v.width, v.bands))


def vips_resize(img, size, interp):
    v = vips_from(img)
    r = v.resize(size[0] / img.shape[1], vscale=size[1] / img.shape[0], kernel=VIPS_KERNEL[interp])
    return vips_to(r)


def vips_luminance(img):
    v = vips_from(img)
    return (v[0] * 0.299 + v[1] * 0.587 + v[2] * 0.114).avg()


def cv2_luminance(img):
    return float(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).mean())


def numpy_luminance(img):
    return float((img.astype(np.float64) @ W601).mean())


def pil_luminance(img):
    return float(np.asarray(PIL_Image.fromarray(img).convert("L")).mean())


# ---------------------------------------------------------------------------


def measure(contenders, rounds):
    """Interleaved rounds; returns {name: (median_s, peak_bytes)}."""
    for fn in contenders.values():  # warm every contender (compilation, caches)
        fn()
    times = {k: [] for k in contenders}
    for _ in range(rounds):
        for k, fn in contenders.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    peaks = {}
    for k, fn in contenders.items():
        tracemalloc.start()
        fn()
        peaks[k] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {k: (statistics.median(v), peaks[k]) for k, v in times.items()}


def workloads(quick):
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (5120, 5120, 3), dtype=np.uint8)
    n_batch = 16
    batch_big = [big] * n_batch  # same pixels, 16 separate calls' worth of work
    mid = rng.integers(0, 256, (n_batch, 1024, 1024, 3), dtype=np.uint8)
    mid_list = list(mid)
    video = rng.integers(0, 256, (30, 480, 640, 3), dtype=np.uint8)
    small = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    rgb4k = rng.integers(0, 256, (4096, 4096, 3), dtype=np.uint8)
    rgba4k = np.ascontiguousarray(np.dstack([rgb4k, np.full(rgb4k.shape[:2], 255, np.uint8)]))
    boxes = [(int(x), int(y), 256, 256) for x, y in rng.integers(0, 768, (n_batch, 2))]

    W = {}
    c = {"trainingsample": lambda: ts.calculate_luminance(big), "numpy float64": lambda: numpy_luminance(big)}
    if cv2:
        c["OpenCV cvtColor+mean"] = lambda: cv2_luminance(big)
    if PIL_Image:
        c["Pillow convert(L)+mean"] = lambda: pil_luminance(big)
    if pyvips:
        c["pyvips"] = lambda: vips_luminance(big)
    W["luminance 5120x5120 RGB"] = c

    c = {"trainingsample": lambda: ts.batch_calculate_luminance(batch_big), "numpy float64": lambda: [numpy_luminance(b) for b in batch_big]}
    if cv2:
        c["OpenCV cvtColor+mean"] = lambda: [cv2_luminance(b) for b in batch_big]
    W[f"luminance batch {n_batch} x 5120x5120"] = c

    def resize_peers(img, size, interp, cv_flag):
        c = {"trainingsample": lambda: ts.resize_image(img, size, interpolation=interp)}
        if PIL_Image:
            c["Pillow"] = lambda: pil_resize(img, size, interp)
        if cv2:
            c[f"OpenCV {cv_flag}"] = lambda: cv2.resize(img, size, interpolation=getattr(cv2, cv_flag))
        if pyvips:
            c["pyvips"] = lambda: vips_resize(img, size, interp)
        return c

    W["resize 5120->512 bilinear"] = resize_peers(big, (512, 512), "bilinear", "INTER_AREA")
    W["resize 512->2048 lanczos3"] = resize_peers(small, (2048, 2048), "lanczos3", "INTER_LANCZOS4")
    c = {"trainingsample": lambda: ts.resize_image(big, (512, 512), antialias=False)}
    if cv2:
        c["OpenCV INTER_LINEAR"] = lambda: cv2.resize(big, (512, 512), interpolation=cv2.INTER_LINEAR)
    W["resize 5120->512 bilinear antialias=False"] = c

    c = {"trainingsample": lambda: ts.batch_resize_images(mid, (224, 224), interpolation="bicubic")}
    if PIL_Image:
        c["Pillow loop"] = lambda: [pil_resize(x, (224, 224), "bicubic") for x in mid]
    if cv2:
        c["OpenCV INTER_AREA loop"] = lambda: [cv2.resize(x, (224, 224), interpolation=cv2.INTER_AREA) for x in mid]
        c["OpenCV INTER_CUBIC loop (no antialias)"] = lambda: [cv2.resize(x, (224, 224), interpolation=cv2.INTER_CUBIC) for x in mid]
    if pyvips:
        c["pyvips loop"] = lambda: [vips_resize(x, (224, 224), "bicubic") for x in mid]
    W[f"resize {n_batch} x 1024x1024->224 bicubic"] = c

    c = {"trainingsample": lambda: ts.resize_video(video, (224, 224))}
    if PIL_Image:
        c["Pillow frame loop"] = lambda: [pil_resize(f, (224, 224), "bilinear") for f in video]
    if cv2:
        c["OpenCV INTER_AREA frame loop"] = lambda: [cv2.resize(f, (224, 224), interpolation=cv2.INTER_AREA) for f in video]
    if pyvips:
        c["pyvips frame loop"] = lambda: [vips_resize(f, (224, 224), "bilinear") for f in video]
    W["video (30,480,640,3) -> 224 bilinear"] = c

    c = {"trainingsample": lambda: ts.rgb_to_rgba(rgb4k), "numpy dstack": lambda: np.dstack([rgb4k, np.full(rgb4k.shape[:2], 255, np.uint8)])}
    if cv2:
        c["OpenCV cvtColor"] = lambda: cv2.cvtColor(rgb4k, cv2.COLOR_RGB2RGBA)
    W["RGB->RGBA 4096x4096"] = c
    c = {"trainingsample": lambda: ts.rgba_to_rgb(rgba4k), "numpy copy": lambda: np.ascontiguousarray(rgba4k[..., :3])}
    if cv2:
        c["OpenCV cvtColor"] = lambda: cv2.cvtColor(rgba4k, cv2.COLOR_RGBA2RGB)
    W["RGBA->RGB 4096x4096"] = c

    W[f"crop {n_batch} x 256x256 from 1024x1024"] = {
        "trainingsample": lambda: ts.batch_crop_images(mid_list, boxes),
        "numpy slice+copy": lambda: [np.ascontiguousarray(m[y : y + h, x : x + w]) for m, (x, y, w, h) in zip(mid_list, boxes)],
    }

    def ours_pipeline():
        r = ts.batch_resize_images(mid, (256, 256))
        cr = ts.batch_center_crop_images(r, (224, 224))
        return ts.batch_calculate_luminance(cr)

    c = {"trainingsample": ours_pipeline}
    if PIL_Image:
        c["Pillow"] = lambda: [pil_luminance(pil_resize(x, (256, 256), "bilinear")[16:240, 16:240].copy()) for x in mid]
    if cv2:
        c["OpenCV"] = lambda: [cv2_luminance(np.ascontiguousarray(cv2.resize(x, (256, 256), interpolation=cv2.INTER_AREA)[16:240, 16:240])) for x in mid]
    c["numpy (strided subsample, not antialiased)"] = lambda: [numpy_luminance(x[::4, ::4][16:240, 16:240]) for x in mid]
    W[f"pipeline resize 256 -> crop 224 -> luminance, {n_batch} x 1024x1024"] = c

    # training-data transforms on camera-sized images: fused Pipeline vs the
    # same trainingsample ops one by one vs Pillow / OpenCV with numpy
    cams = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(32)]
    mean, std = np.array(ts.IMAGENET_MEAN, np.float32), np.array(ts.IMAGENET_STD, np.float32)

    def np_normalize(batch_hwc):
        x = np.stack(batch_hwc).astype(np.float32) / 255.0
        return np.ascontiguousarray(((x - mean) / std).transpose(0, 3, 1, 2))

    eval_pipe = ts.Pipeline([ts.Resize(256, "shorter"), ts.CenterCrop(224), ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])

    def eval_steps():
        r = ts.batch_resize_images(cams, (341, 256))
        return ts.normalize(ts.batch_center_crop_images(r, (224, 224), copy=False), ts.IMAGENET_MEAN, ts.IMAGENET_STD)

    c = {"trainingsample": lambda: eval_pipe(cams), "trainingsample ops one by one": eval_steps}
    if PIL_Image:
        c["Pillow + numpy"] = lambda: np_normalize([pil_resize(x, (341, 256), "bilinear")[16:240, 58:282] for x in cams])
    if cv2:
        c["OpenCV INTER_AREA + numpy"] = lambda: np_normalize([cv2.resize(x, (341, 256), interpolation=cv2.INTER_AREA)[16:240, 58:282] for x in cams])
    W["eval transform: shorter 256, center 224, normalize CHW, 32 x 480x640"] = c

    train_pipe = ts.Pipeline([ts.RandomResizedCrop(224), ts.HorizontalFlip(), ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
    _, tparams = train_pipe(cams, seed=0, return_params=True)
    tboxes = [p["steps"][0]["box"] for p in tparams]
    tflips = [p["flip"][0] for p in tparams]

    def train_steps():
        # the same draws as the pipeline (same generator, same order), then the ops
        g = np.random.default_rng(0)
        boxes, flips = [], []
        for x in cams:
            boxes.append(rrc_box(x.shape[1], x.shape[0], (0.08, 1.0), (3 / 4, 4 / 3), g))
            flips.append(g.random() < 0.5)
        crops = ts.batch_crop_images(cams, boxes, copy=False)
        r = ts.batch_resize_images(crops, (224, 224))
        return ts.normalize([x[:, ::-1] if f else x for x, f in zip(r, flips)], ts.IMAGENET_MEAN, ts.IMAGENET_STD)

    from ..pipeline import _rrc_box as rrc_box

    assert all(np.array_equal(a, b) for a, b in zip(train_steps(), train_pipe(cams, seed=0)))

    def flip(x, f):
        return x[:, ::-1] if f else x

    c = {"trainingsample": lambda: train_pipe(cams, seed=0), "trainingsample ops one by one": train_steps}
    if PIL_Image:
        c["Pillow + numpy"] = lambda: np_normalize([flip(pil_resize(np.ascontiguousarray(x[b[1]:b[1] + b[3], b[0]:b[0] + b[2]]), (224, 224), "bilinear"), f) for x, b, f in zip(cams, tboxes, tflips)])
    if cv2:
        c["OpenCV INTER_AREA + numpy"] = lambda: np_normalize([flip(cv2.resize(x[b[1]:b[1] + b[3], b[0]:b[0] + b[2]], (224, 224), interpolation=cv2.INTER_AREA), f) for x, b, f in zip(cams, tboxes, tflips)])
    W["train transform: RandomResizedCrop 224, flip, normalize CHW, 32 x 480x640"] = c

    for n in (1, 2, 4, 8, 16):
        sub = mid[:n]
        c = {"trainingsample": lambda sub=sub: ts.batch_resize_images(sub, (224, 224))}
        if cv2:
            c["OpenCV INTER_AREA loop"] = lambda sub=sub: [cv2.resize(x, (224, 224), interpolation=cv2.INTER_AREA) for x in sub]
        if PIL_Image:
            c["Pillow loop"] = lambda sub=sub: [pil_resize(x, (224, 224), "bilinear") for x in sub]
        W[f"batch size {n}: 1024x1024->224 bilinear"] = c
    W.update(overhead_workloads(rng))
    return W, {"big": big, "mid": mid}


# workload name -> calls per timed run: the row reports time per call
PER_CALL = {}
OVERHEAD_CALLS = 1000


def _repeat(fn, n):
    def run():
        for _ in range(n):
            fn()

    return run


def overhead_workloads(rng):
    """Fixed costs: small single calls, timed as OVERHEAD_CALLS calls in a
    loop (the row gives time per call), and a batch of crops."""
    tiny = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    photo = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
    cams = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(32)]
    cam_boxes = [(int(x), int(y), 200, 200) for x, y in zip(rng.integers(0, 440, 32), rng.integers(0, 280, 32))]
    W = {}

    def add(name, contenders, calls=OVERHEAD_CALLS):
        W[name] = {k: _repeat(fn, calls) for k, fn in contenders.items()}
        PER_CALL[name] = calls

    add("overhead: crop_image 64x64 -> 32x32", {
        "trainingsample": lambda: ts.crop_image(tiny, (16, 16, 32, 32)),
        "numpy slice+copy": lambda: tiny[16:48, 16:48].copy(),
    })
    c = {"trainingsample": lambda: ts.resize_image(tiny, (32, 32))}
    if cv2:
        c["OpenCV INTER_AREA"] = lambda: cv2.resize(tiny, (32, 32), interpolation=cv2.INTER_AREA)
    add("overhead: resize_image 64x64 -> 32x32 bilinear", c)
    c = {"trainingsample": lambda: ts.calculate_luminance(tiny)}
    if cv2:
        c["OpenCV cvtColor+mean"] = lambda: cv2.mean(cv2.cvtColor(tiny, cv2.COLOR_RGB2GRAY))[0]
    add("overhead: calculate_luminance 64x64", c)
    c = {"trainingsample": lambda: ts.resize_image(photo, (224, 224), antialias=False)}
    if cv2:
        c["OpenCV INTER_LINEAR"] = lambda: cv2.resize(photo, (224, 224), interpolation=cv2.INTER_LINEAR)
    add("overhead: resize_image 500x375 -> 224x224 antialias=False", c, 100)
    add("overhead: batch_crop_images 32 x 480x640 -> 200x200", {
        "trainingsample": lambda: ts.batch_crop_images(cams, cam_boxes),
        "numpy loop": lambda: [m[y : y + h, x : x + w].copy() for m, (x, y, w, h) in zip(cams, cam_boxes)],
    }, 10)
    return W


START_CODE = {
    "trainingsample": "import numpy as np, trainingsample as ts; ts.resize_image(np.zeros((64, 64, 3), np.uint8), (32, 32))",
    "OpenCV": "import numpy as np, cv2; cv2.resize(np.zeros((64, 64, 3), np.uint8), (32, 32), interpolation=cv2.INTER_AREA)",
    "Pillow": "import numpy as np; from PIL import Image; np.asarray(Image.fromarray(np.zeros((64, 64, 3), np.uint8)).resize((32, 32)))",
}


def start_times(rounds):
    """Whole-process seconds of import + one 64x64 -> 32x32 resize: ours
    with an empty numba cache (a fresh NUMBA_CACHE_DIR, once) and with the
    cache it filled (medians of ``rounds``, interleaved with the peers)."""
    import subprocess
    import tempfile

    def run(code, env=None):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        return time.perf_counter() - t

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold = run(START_CODE["trainingsample"], env)
        warm = {k: [] for k in START_CODE}
        for _ in range(rounds):
            for k, code in START_CODE.items():
                if k == "trainingsample" or _optional({"OpenCV": "cv2", "Pillow": "PIL"}[k]):
                    warm[k].append(run(code, env))
    return cold, {k: statistics.median(v) for k, v in warm.items() if v}


def thread_scaling(data, rounds):
    big = data["big"]
    rows = []
    before = ts.get_num_threads()
    try:
        for n in range(1, max(2, ts.available_cpus()) + 1):
            ts.set_num_threads(n)
            r = measure({"resize": lambda: ts.resize_image(big, (512, 512)), "lum": lambda: ts.calculate_luminance(big)}, rounds)
            rows.append((n, r["resize"][0], r["lum"][0]))
        # two user threads, each running its own calls with set_num_threads(1)
        ts.set_num_threads(1)
        imgs = list(data["mid"][:8])

        def serial():
            for im in imgs:
                ts.resize_image(im, (224, 224), interpolation="bicubic")

        def two_threads():
            def part(sub):
                for im in sub:
                    ts.resize_image(im, (224, 224), interpolation="bicubic")

            t = threading.Thread(target=part, args=(imgs[:4],))
            t.start()
            part(imgs[4:])
            t.join()

        two = measure({"serial": serial, "2 user threads": two_threads}, rounds)
    finally:
        ts.set_num_threads(before)
    return rows, two


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import numba

    vers = [f"python {platform.python_version()}", f"numpy {np.__version__}", f"numba {numba.__version__}", f"trainingsample {ts.__version__}"]
    if PIL_Image:
        import PIL

        vers.append(f"Pillow {PIL.__version__}")
    if cv2:
        vers.append(f"opencv {cv2.__version__} ({cv2.getNumThreads()} threads)")
    if pyvips:
        vers.append(f"pyvips {pyvips.__version__} (libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)})")
    return cpu, os.cpu_count(), ts.available_cpus(), ", ".join(vers)


SEED_CLAIMS = [
    ("luminance vs numpy, single 5120x5120", 4.7, "luminance 5120x5120 RGB", "numpy float64"),
    ("luminance vs numpy, batch 16", 52.0, "luminance batch 16 x 5120x5120", "numpy float64"),
    ("resize vs PIL (5120->512)", 3.5, "resize 5120->512 bilinear", "Pillow"),
    ("pipeline vs PIL", 3.1, "pipeline resize 256 -> crop 224 -> luminance, 16 x 1024x1024", "Pillow"),
]


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m trainingsample.bench")
    p.add_argument("--quick", action="store_true", help="3 rounds per workload (under 2 minutes on 2 cores)")
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--out", default="bench-out")
    p.add_argument("--only", default=None, help="run only workloads whose name contains this text (no thread scaling)")
    args = p.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 7)
    os.makedirs(args.out, exist_ok=True)
    ts.warmup(dtypes=("uint8",))
    cpu, ncpu, aff, vers = machine()
    lines = [
        "# trainingsample benchmark",
        "",
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {cpu}; {ncpu} CPUs, {aff} usable; {platform.system()} {platform.release()}",
        f"- versions: {vers}",
        f"- command: `python -m trainingsample.bench {' '.join(argv if argv is not None else sys.argv[1:])}`; {rounds} interleaved rounds, medians",
        "- ratio = contender time / trainingsample time (> 1: trainingsample is faster); peak = tracemalloc peak of one run",
        "",
    ]
    t_start = time.perf_counter()
    if args.only == "files":
        from . import files as benchfiles

        lines[6] = lines[6].replace("peak = tracemalloc peak of one run", "whole processes, peak = peak RSS")
        res = benchfiles.measure_jobs(os.path.join(args.out, "files"), rounds, len(os.sched_getaffinity(0)), args.quick)
        lines += benchfiles.report(res)
        if _optional("torch"):
            lines += benchfiles.report_loaders(benchfiles.measure_loaders(os.path.join(args.out, "files"), rounds))
        md = os.path.join(args.out, "bench-results.md")
        with open(md, "w") as f:
            f.write("\n".join(lines))
        print(f"wrote {md}")
        return 0
    W, data = workloads(args.quick)
    if args.only:
        W = {k: v for k, v in W.items() if args.only in k}
    results = {}
    for name, contenders in W.items():
        r = measure(contenders, rounds)
        calls = PER_CALL.get(name, 1)
        r = {k: (t / calls, peak) for k, (t, peak) in r.items()}
        results[name] = r
        ours = r["trainingsample"][0]
        unit, scale = ("us per call", 1e6) if calls > 1 else ("ms", 1e3)
        lines += [f"## {name}", "", f"| contender | median {unit} | ratio | peak MiB |", "|---|---:|---:|---:|"]
        for k, (t, peak) in r.items():
            lines.append(f"| {k} | {t * scale:.2f} | {t / ours:.2f}x | {peak / 2**20:.1f} |")
        lines.append("")
        print(f"{name}: " + ", ".join(f"{k} {t * scale:.2f} {unit.split()[0]} ({t / ours:.2f}x)" for k, (t, _) in r.items()), flush=True)
    if args.only and "overhead" in args.only:
        cold, warm = start_times(max(3, rounds // 2))
        lines += ["## start-up: fresh process, import + first 64x64 -> 32x32 resize", "",
                  "| contender | seconds |", "|---|---:|",
                  f"| trainingsample, empty numba cache (fresh NUMBA_CACHE_DIR) | {cold:.2f} |"]
        lines += [f"| {k}{', cache filled' if k == 'trainingsample' else ''} | {t:.2f} |" for k, t in warm.items()]
        lines.append("")
        print(f"start-up: cold {cold:.2f} s; " + ", ".join(f"{k} {t:.2f} s" for k, t in warm.items()), flush=True)
    if args.only:
        md = os.path.join(args.out, "bench-results.md")
        with open(md, "w") as f:
            f.write("\n".join(lines))
        print(f"wrote {md}")
        return 0
    rows, two = thread_scaling(data, rounds)
    lines += ["## thread scaling (set_num_threads)", "", "| threads | resize 5120->512 ms | speedup | luminance 5120x5120 ms | speedup |", "|---:|---:|---:|---:|---:|"]
    for n, tr, tl in rows:
        lines.append(f"| {n} | {tr * 1e3:.2f} | {rows[0][1] / tr:.2f}x | {tl * 1e3:.2f} | {rows[0][2] / tl:.2f}x |")
    ratio_two = two["serial"][0] / two["2 user threads"][0]
    lines += [
        "",
        f"Two user threads with set_num_threads(1), 8 x bicubic 1024->224: serial {two['serial'][0] * 1e3:.1f} ms, "
        f"2 threads {two['2 user threads'][0] * 1e3:.1f} ms: {ratio_two:.2f}x",
        "",
        "## the seed's claims, measured",
        "",
        "| claim | claimed | measured here |",
        "|---|---:|---:|",
    ]
    for label, claimed, wl, peer in SEED_CLAIMS:
        r = results.get(wl, {})
        if peer in r:
            lines.append(f"| {label} | {claimed}x | {r[peer][0] / r['trainingsample'][0]:.2f}x |")
    lines.append(f"| ThreadPool (2 user threads) vs serial | 1.08x | {ratio_two:.2f}x |")
    lines += ["", f"Total benchmark time: {time.perf_counter() - t_start:.0f} s", ""]
    md = os.path.join(args.out, "bench-results.md")
    with open(md, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {md}")
    _charts(results, rows, args.out)
    return 0


def _charts(results, rows, out):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        print("matplotlib not installed: no charts")
        return
    names = [n for n in results if not n.startswith("batch size")]
    fig, ax = plt.subplots(figsize=(10, 0.5 * sum(len(results[n]) - 1 for n in names) + 1))
    labels, vals = [], []
    for n in names:
        ours = results[n]["trainingsample"][0]
        for k, (t, _) in results[n].items():
            if k != "trainingsample":
                labels.append(f"{n} | {k}")
                vals.append(t / ours)
    ax.barh(range(len(vals)), vals, color=["tab:green" if v >= 1 else "tab:red" for v in vals])
    ax.set_yticks(range(len(vals)), labels, fontsize=7)
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("contender time / trainingsample time (log; > 1 = trainingsample faster)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "bench-ratios.png"), dpi=110)
    fig, ax = plt.subplots(figsize=(6, 4))
    ns = [r[0] for r in rows]
    ax.plot(ns, [rows[0][1] / r[1] for r in rows], "o-", label="resize 5120->512")
    ax.plot(ns, [rows[0][2] / r[2] for r in rows], "s-", label="luminance 5120x5120")
    ax.plot(ns, ns, "k:", label="ideal")
    ax.set_xlabel("threads")
    ax.set_ylabel("speedup vs 1 thread")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "bench-threads.png"), dpi=110)
    print(f"wrote {out}/bench-ratios.png, {out}/bench-threads.png")
