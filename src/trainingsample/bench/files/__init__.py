"""``python -m trainingsample.bench --only files``: the jobs on files, as
whole processes, alternating, medians of wall time and peak RSS.

Two folders of JPEG quality 90 made from scikit-image's photos (cached in
``--out``/files): 96 camera-sized (longer side 2400-4000 px) and 1,000
ImageNet-sized (300-600 px).  Contenders, each writing 224x224 JPEGs
(quality 90) to a fresh folder: ``trainingsample preprocess`` (fill, centre
crop), the Pillow script (pillow_fit.py: draft, ImageOps.fit, save), the
pyvips script (pyvips_thumbnail.py: thumbnail with crop="centre"), and the
decode floor (decode_only.py: every file decoded at Pillow's draft scale,
nothing else).  Scripts run with as many threads as there are usable CPUs.
Not imported by the library.
"""
import os
import shutil
import statistics
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 224


def _photos():
    from skimage import data

    out = []
    for name in ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina",
                 "cat", "motorcycle_left"):
        try:
            a = getattr(data, name)()
        except Exception:  # a photo this scikit-image version lacks or must download
            continue
        if a.ndim == 3 and a.shape[2] == 3:
            out.append(a)
    return out


def make_folder(folder, count, lo, hi, seed):
    """``count`` JPEGs (quality 90), longer side in [lo, hi], each a random
    crop of one of the photos resized with Lanczos and a little sensor-like
    noise (so they compress like photos, not like smooth enlargements)."""
    from PIL import Image

    if os.path.isdir(folder) and len([n for n in os.listdir(folder) if n.endswith(".jpg")]) == count:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    photos = _photos()
    for i in range(count):
        p = photos[i % len(photos)]
        h, w = p.shape[:2]
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        longer = int(rng.integers(lo, hi + 1))
        aspect = rng.uniform(0.66, 0.8)
        size = (longer, int(longer * aspect)) if rng.random() < 0.7 else (int(longer * aspect), longer)
        im = Image.fromarray(p[y : y + ch, x : x + cw]).resize(size, Image.LANCZOS)
        a = np.asarray(im).astype(np.int16) + rng.normal(0, 3, (size[1], size[0], 1)).astype(np.int16)
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(os.path.join(folder, f"img{i:04d}.jpg"), quality=90)
    return folder


# A small launcher process runs each job: a child's peak RSS counts the
# memory of the process it was forked from, so the bench itself must not be
# that process.  It prints the job's wall time and peak RSS (KiB).
_LAUNCH = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
           "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); w = time.perf_counter() - t; "
           "print(r.returncode, w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def _run(cmd):
    """(wall seconds, peak RSS MiB) of one whole process."""
    r = subprocess.run([sys.executable, "-S", "-c", _LAUNCH] + cmd, capture_output=True, text=True)
    code, wall, rss = r.stdout.split()
    if int(code) != 0:
        raise RuntimeError(f"{cmd} failed ({code}): {r.stderr[-2000:]}")
    return float(wall), int(rss) / 1024


def contenders(src, out, threads):
    py = sys.executable
    return {
        "trainingsample preprocess": lambda: [py, "-m", "trainingsample", "preprocess", src, out, "--size", str(SIZE),
                                              "--mode", "fill", "--crop", "center", "--format", "jpeg",
                                              "--quality", "90", "--quiet"],
        "Pillow script (draft + fit)": lambda: [py, os.path.join(HERE, "pillow_fit.py"), src, out, str(SIZE), str(threads)],
        "pyvips script (thumbnail)": lambda: [py, os.path.join(HERE, "pyvips_thumbnail.py"), src, out, str(SIZE), str(threads)],
        "decode floor (decode only)": lambda: [py, os.path.join(HERE, "decode_only.py"), src, str(SIZE), str(threads)],
    }


def measure_jobs(base, rounds, threads, quick=False):
    """{folder label: {contender: (median s, median peak MiB)}}."""
    folders = {
        "96 camera-sized (2400-4000 px)": make_folder(os.path.join(base, "camera"), 24 if quick else 96, 2400, 4000, 1),
        "1,000 ImageNet-sized (300-600 px)": make_folder(os.path.join(base, "imagenet"), 250 if quick else 1000, 300, 600, 2),
    }
    results = {}
    for label, src in folders.items():
        out = os.path.join(base, "out")
        jobs = contenders(src, out, threads)
        times = {k: [] for k in jobs}
        for _ in range(rounds):
            for k, cmd in jobs.items():
                shutil.rmtree(out, ignore_errors=True)
                times[k].append(_run(cmd()))
        shutil.rmtree(out, ignore_errors=True)
        results[label] = {k: (statistics.median(t for t, _ in v), statistics.median(m for _, m in v))
                          for k, v in times.items()}
        print(label + ": " + ", ".join(f"{k} {t:.2f} s {m:.0f} MiB" for k, (t, m) in results[label].items()), flush=True)
    return results


def measure_loaders(base, rounds, quick=False):
    """{folder label: {recipe: median images/s}}: one pass of each loader
    script (whole processes, alternating)."""
    folders = {
        "96 camera-sized": os.path.join(base, "camera"),
        "1,000 ImageNet-sized": os.path.join(base, "imagenet"),
    }
    recipes = {
        "trainingsample PipelineDataset + data_loader": ["ts_loader.py"],
        "torchvision recipe (its PIL calls), DataLoader": ["torch_recipe.py"],
        "trainingsample, uint8 batches": ["ts_loader.py", "uint8"],
    }
    results = {}
    for label, src in folders.items():
        got = {k: [] for k in recipes}
        for _ in range(rounds):
            for k, (script, *extra) in recipes.items():
                r = subprocess.run([sys.executable, os.path.join(HERE, script), src, *extra], capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError(f"{script} failed: {r.stderr[-2000:]}")
                got[k].append(float(r.stdout.split()[-1]))
        results[label] = {k: statistics.median(v) for k, v in got.items()}
        print("loader " + label + ": " + ", ".join(f"{k} {v:.0f} img/s" for k, v in results[label].items()), flush=True)
    return results


def report_loaders(results):
    lines = ["## loaders: RandomResizedCrop(224), HorizontalFlip, Normalize; batch 64, 2 workers, one pass", "",
             "| folder | trainingsample img/s | torchvision recipe img/s | ratio | trainingsample, uint8 batches img/s | ratio |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, r in results.items():
        ours, theirs = r["trainingsample PipelineDataset + data_loader"], r["torchvision recipe (its PIL calls), DataLoader"]
        u8 = r["trainingsample, uint8 batches"]
        lines.append(f"| {label} | {ours:.0f} | {theirs:.0f} | {ours / theirs:.2f}x | {u8:.0f} | {u8 / theirs:.2f}x |")
    lines.append("")
    return lines


def report(results):
    lines = []
    for label, r in results.items():
        ours = r["trainingsample preprocess"][0]
        lines += [f"## files: {label} -> 224x224 JPEG", "",
                  "| contender | median s | ratio | peak RSS MiB |", "|---|---:|---:|---:|"]
        for k, (t, m) in r.items():
            lines.append(f"| {k} | {t:.2f} | {t / ours:.2f}x | {m:.0f} |")
        lines.append("")
    return lines
