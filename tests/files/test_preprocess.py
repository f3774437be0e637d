"""The preprocess CLI: outputs, manifest, errors counted, resume, safety."""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import trainingsample as ts
import trainingsample.io as tio
from trainingsample.cli import preprocess as P
from helpers import noise


def make_src(folder, rng):
    folder.mkdir()
    (folder / "sub").mkdir()
    imgs = {
        "a.png": noise(rng, (60, 80, 3)),
        "sub/b.png": noise(rng, (90, 50, 3)),
        "sub/gray.png": noise(rng, (40, 40)),
        "rgba.png": noise(rng, (30, 70, 4)),
    }
    for rel, arr in imgs.items():
        Image.fromarray(arr).save(folder / rel)
    Image.fromarray(noise(rng, (50, 60, 3))).save(folder / "photo.jpg", quality=95)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "notes.txt").write_text("not an image")
    return imgs


def manifest(dst):
    return {r["source"]: r for r in map(json.loads, (dst / "manifest.jsonl").read_text().splitlines())}


def cli(*argv):
    return P.main([str(a) for a in argv] + ["--quiet"])


def test_outputs_manifest_and_counted_errors(tmp_path, rng):
    imgs = make_src(tmp_path / "src", rng)
    dst = tmp_path / "out"
    assert cli(tmp_path / "src", dst, "--size", "32x24", "--format", "png", "--filter", "bicubic") == 1  # broken.jpg
    m = manifest(dst)
    assert set(m) == {"a.png", "sub/b.png", "sub/gray.png", "rgba.png", "photo.jpg", "broken.jpg"}
    assert "decode" in m["broken.jpg"]["error"] and "output" not in m["broken.jpg"]
    pipe = ts.Pipeline([ts.Resize((32, 24), "fill", interpolation="bicubic"), ts.ConvertChannels("rgb")])
    for rel, arr in imgs.items():
        rec = m[rel]
        out = np.asarray(Image.open(dst / rec["output"]))
        assert out.shape == (24, 32, 3) and rec["size"] == [32, 24]
        assert rec["source_size"] == [arr.shape[1], arr.shape[0]]
        ref, p = pipe.image(arr, return_params=True)
        np.testing.assert_array_equal(out, ref)  # PNG is lossless: exactly the pipeline's output
        assert rec["crop_box"] == [round(v, 2) for v in p["source_box"]]
        assert rec["luminance"] == pytest.approx(ts.calculate_luminance(ref), abs=1e-4)
    # fill keeps the full height of a wide image, centred
    assert m["rgba.png"]["crop_box"][1] == 0.0 and m["rgba.png"]["crop_box"][3] == 30.0
    assert not (dst / "notes.npy").exists() and not list(dst.rglob("*.tmp*"))


def test_resume_skips_done_files_and_retries_failures(tmp_path, rng):
    make_src(tmp_path / "src", rng)
    dst = tmp_path / "out"
    cli(tmp_path / "src", dst, "--size", "16")
    before = (dst / "a.jpg").stat().st_mtime_ns
    (dst / "sub" / "b.jpg").unlink()
    with open(dst / "manifest.jsonl", "a") as fh:
        fh.write('{"source": "torn')  # an interrupted write
    out = io.StringIO()
    args = P.build_parser().parse_args([str(tmp_path / "src"), str(dst), "--size", "16", "--quiet"])
    assert P.run(args, out=out) == 1
    assert "1 written, 4 skipped (already done), 1 failed" in out.getvalue()
    assert (dst / "sub" / "b.jpg").exists() and (dst / "a.jpg").stat().st_mtime_ns == before


def test_random_crops_are_reproducible_per_file(tmp_path, rng):
    make_src(tmp_path / "src", rng)
    for d in ("o1", "o2"):
        cli(tmp_path / "src", tmp_path / d, "--size", "20", "--crop", "random", "--flip", "0.5", "--format", "npy", "--seed", "3")
    m1, m2 = manifest(tmp_path / "o1"), manifest(tmp_path / "o2")
    assert m1 == m2
    for rec in m1.values():
        if "output" in rec:
            np.testing.assert_array_equal(np.load(tmp_path / "o1" / rec["output"]), np.load(tmp_path / "o2" / rec["output"]))
    cli(tmp_path / "src", tmp_path / "o3", "--size", "20", "--crop", "random", "--flip", "0.5", "--format", "npy", "--seed", "4")
    assert manifest(tmp_path / "o3") != m1


def test_channels_and_limit(tmp_path, rng):
    make_src(tmp_path / "src", rng)
    (tmp_path / "src" / "broken.jpg").unlink()
    assert cli(tmp_path / "src", tmp_path / "g", "--size", "10", "--channels", "gray", "--format", "png", "--limit", "2") == 0
    m = manifest(tmp_path / "g")
    assert len(m) == 2
    for rec in m.values():
        assert np.asarray(Image.open(tmp_path / "g" / rec["output"])).shape == (10, 10)
    assert cli(tmp_path / "src", tmp_path / "k", "--size", "10", "--channels", "keep", "--format", "png", "--mode", "shorter") == 0
    m = manifest(tmp_path / "k")
    assert np.asarray(Image.open(tmp_path / "k" / m["rgba.png"]["output"])).shape == (10, 23, 4)
    assert m["sub/b.png"]["size"] == [10, 18]


def test_output_name_collisions_fail_not_overwrite(tmp_path, rng):
    src = tmp_path / "src"
    src.mkdir()
    Image.fromarray(noise(rng, (8, 8, 3))).save(src / "x.png")
    Image.fromarray(noise(rng, (8, 8, 3))).save(src / "x.jpg")
    assert cli(src, tmp_path / "out", "--size", "4") == 1
    m = manifest(tmp_path / "out")
    assert "output" in m["x.jpg"] and "also the output of x.jpg" in m["x.png"]["error"]


@pytest.mark.parametrize(
    "where,argv,message",
    [
        ("same", ["{src}", "{src}"], "must be outside SRC"),
        ("inside", ["{src}", "{src}/out"], "must be outside SRC"),
        ("contains", ["{src}", "{tmp}"], "must be outside SRC"),
        ("missing", ["{tmp}/nope", "{tmp}/out"], "is not a folder"),
        ("one", ["{src}"], "give both SRC and DST, or neither"),
        ("jpeg-alpha", ["{src}", "{tmp}/o", "--channels", "rgba"], "--format jpeg cannot store --channels rgba"),
        ("quality", ["{src}", "{tmp}/o", "--quality", "0"], r"--quality must be in \[1, 100\], got 0"),
        ("flip", ["{src}", "{tmp}/o", "--flip", "2"], r"--flip must be a probability in \[0, 1\], got 2.0"),
        ("batch", ["{src}", "{tmp}/o", "--batch", "0"], "--batch must be >= 1, got 0"),
        ("seed", ["{src}", "{tmp}/o", "--seed", "-1"], "--seed must be >= 0"),
    ],
)
def test_usage_errors_touch_nothing(tmp_path, rng, capsys, where, argv, message):
    make_src(tmp_path / "src", rng)
    before = sorted(p.name for p in (tmp_path / "src").rglob("*"))
    argv = [a.format(src=tmp_path / "src", tmp=tmp_path) for a in argv]
    assert P.main(argv + ["--quiet"]) == 2
    import re

    assert re.search(message, capsys.readouterr().err)
    assert sorted(p.name for p in (tmp_path / "src").rglob("*")) == before
    assert not (tmp_path / "src" / "manifest.jsonl").exists()


def test_bad_size_is_an_argparse_error(tmp_path):
    with pytest.raises(SystemExit) as e:
        P.main([str(tmp_path), str(tmp_path / "o"), "--size", "12xq"])
    assert e.value.code == 2
    with pytest.raises(Exception, match="--size must be N or WIDTHxHEIGHT with positive integers"):
        P.parse_size("0x4")


def test_sample_set_main_job(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    args = P.build_parser().parse_args(["--samples", "8", "--size", "48"])
    assert P.run(args, out=out, err=err) == 0
    m = manifest(tmp_path / P.SAMPLE_DIR / "out")
    assert len(m) == 8 and all("output" in r for r in m.values())
    assert "8/8" in err.getvalue()  # progress lines (not a terminal: one per 10%)
    assert "8 written, 0 skipped" in out.getvalue()
    srcs = sorted(p.suffix for p in (tmp_path / P.SAMPLE_DIR / "src").rglob("*.*"))
    assert {".jpg", ".png", ".gif"} <= set(srcs)
    again = io.StringIO()
    assert P.run(P.build_parser().parse_args(["--samples", "8", "--size", "48"]), out=again, err=io.StringIO()) == 0
    assert "(already there)" in again.getvalue() and "0 written, 8 skipped" in again.getvalue()


def test_progress_bar_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    s = Tty()
    pr = P.Progress(4, False, s)
    pr.update(2, 0)
    pr.update(2, 1)
    text = s.getvalue()
    assert text.startswith("\r[###############...............] 2/4") and "4/4" in text and "failed 1" in text
    assert text.endswith("\n")


def test_console_entry_point(tmp_path, rng):
    make_src(tmp_path / "src", rng)
    r = subprocess.run([sys.executable, "-m", "trainingsample", "preprocess", str(tmp_path / "src"), str(tmp_path / "o"),
                        "--size", "12", "--format", "webp", "--quality", "80"], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr  # broken.jpg
    assert "5 written, 0 skipped (already done), 1 failed" in r.stdout
    assert Image.open(tmp_path / "o" / "a.webp").size == (12, 12)


# --------------------------------------------------------------------------
# faults: each found by fault injection on the chunked CLI


def _tree(folder):
    import hashlib

    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def test_16_bit_png_is_scaled_not_white(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (64, 1))
    Image.fromarray(ramp).save(src / "ramp.png")
    assert cli(src, tmp_path / "o", "--size", "64", "--format", "png", "--channels", "gray") == 0
    out = np.asarray(Image.open(tmp_path / "o" / "ramp.png"))
    assert out[0, 0] == 0 and out[0, -1] == 255 and 100 < out.mean() < 155  # clipped, it was 253 on average


def test_temporary_files_of_a_killed_run_are_removed(tmp_path, rng):
    make_src(tmp_path / "src", rng)
    dst = tmp_path / "out"
    (dst / "sub").mkdir(parents=True)
    left = [dst / ".a.jpg.tmp4242", dst / "sub" / ".b.jpg.tmp17-139871234", dst / ".photo.jpg.tmp9"]
    for p in left:
        p.write_bytes(b"half")
    keep = [dst / "notes.tmp", dst / ".profile", dst / "sub" / ".x.tmpdir"]
    for p in keep:
        p.write_bytes(b"mine")
    out = io.StringIO()
    P.run(P.build_parser().parse_args([str(tmp_path / "src"), str(dst), "--size", "8", "--quiet"]), out=out)
    assert not any(p.exists() for p in left) and all(p.exists() for p in keep)
    assert "removed 3 temporary file(s)" in out.getvalue()
    assert not [p for p in dst.rglob("*") if P._TMP.match(p.name)]


def test_a_torn_manifest_line_does_not_swallow_the_next_record(tmp_path, rng):
    make_src(tmp_path / "src", rng)
    dst = tmp_path / "out"
    cli(tmp_path / "src", dst, "--size", "8", "--limit", "2")
    with open(dst / "manifest.jsonl", "a") as fh:
        fh.write('{"source": "sub/b.png", "out')  # killed mid-append
    cli(tmp_path / "src", dst, "--size", "8")
    lines = (dst / "manifest.jsonl").read_text().splitlines()
    bad = []
    for line in lines:
        try:
            json.loads(line)
        except json.JSONDecodeError:
            bad.append(line)
    assert bad == ['{"source": "sub/b.png", "out']  # only the torn line itself
    m = manifest_valid(dst)
    assert set(m) == {"a.png", "sub/b.png", "sub/gray.png", "rgba.png", "photo.jpg", "broken.jpg"}
    assert "output" in m["sub/b.png"]


def manifest_valid(dst):
    out = {}
    for line in (dst / "manifest.jsonl").read_text().splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        out[r["source"]] = r
    return out


def test_unwritable_dst_is_a_clear_error_with_status_2(tmp_path, rng, capsys):
    make_src(tmp_path / "src", rng)
    (tmp_path / "file").write_text("x")
    assert P.main([str(tmp_path / "src"), str(tmp_path / "file" / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "error: cannot write to DST" in err and "Traceback" not in err


def test_a_full_disk_fails_files_then_stops_cleanly(tmp_path, rng, monkeypatch, capsys):
    make_src(tmp_path / "src", rng)
    dst = tmp_path / "out"

    def full(data, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(P, "write_atomic", full)
    assert cli(tmp_path / "src", dst, "--size", "8") == 1
    m = manifest(dst)
    assert all("write: OSError: [Errno 28] No space left on device" in r["error"]
               for k, r in m.items() if k != "broken.jpg")
    assert not [p for p in dst.rglob("*") if p.name != "manifest.jsonl"]
    monkeypatch.undo()

    real = P.open_manifest

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, text):
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.fh.close()

    monkeypatch.setattr(P, "open_manifest", lambda p: Full(real(p)))
    assert P.main([str(tmp_path / "src"), str(dst), "--size", "8", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "error: cannot write the manifest" in err and "No space left" in err and "Traceback" not in err
    monkeypatch.undo()
    # the next run, with space again, finishes the job: the stale errors are superseded
    assert cli(tmp_path / "src", dst, "--size", "8") == 1
    m = manifest_valid(dst)
    assert all("output" in r for k, r in m.items() if k != "broken.jpg")


def test_fifos_and_links_outside_src_are_not_read(tmp_path, rng):
    src = tmp_path / "src"
    make_src(src, rng)
    os.mkfifo(src / "pipe.jpg")
    outside = tmp_path / "outside.png"
    Image.fromarray(noise(rng, (9, 9, 3))).save(outside)
    (src / "out_link.png").symlink_to(outside)
    (src / "in_link.png").symlink_to(src / "a.png")
    before = _tree(src)
    # a subprocess with a timeout: a FIFO opened for reading would block forever
    r = subprocess.run([sys.executable, "-m", "trainingsample", "preprocess", str(src), str(tmp_path / "o"),
                        "--size", "8", "--quiet"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr  # broken.jpg
    assert "not read: pipe.jpg (not a regular file)" in r.stdout
    assert "not read: out_link.png (a link to outside SRC)" in r.stdout
    m = manifest(tmp_path / "o")
    assert "pipe.jpg" not in m and "out_link.png" not in m and "output" in m["in_link.png"]
    assert _tree(src) == before


def test_bad_files_are_per_file_errors_naming_the_cause(tmp_path, rng, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    good = io.BytesIO()
    Image.fromarray(noise(rng, (64, 64, 3))).save(good, format="JPEG")
    good = good.getvalue()
    (src / "zero.jpg").write_bytes(b"")
    (src / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (src / "text.png").write_text("not a png")
    Image.fromarray(noise(rng, (40, 30, 4)), "CMYK").save(src / "cmyk.jpg")
    Image.fromarray(noise(rng, (40, 30, 3))).convert("P").save(src / "palette.png")
    Image.fromarray(noise(rng, (300, 200, 3))).save(src / "big.png")
    monkeypatch.setattr(tio, "MAX_IMAGE_PIXELS", 50_000)
    before = _tree(src)
    assert cli(src, tmp_path / "o", "--size", "16") == 1
    m = manifest(tmp_path / "o")
    assert m["zero.jpg"]["error"].startswith("decode: not a readable image")
    assert m["truncated.jpg"]["error"].startswith("decode: ")
    assert m["text.png"]["error"].startswith("decode: not a readable image")
    assert "more than 50000 pixels (MAX_IMAGE_PIXELS)" in m["big.png"]["error"]
    assert "output" in m["cmyk.jpg"] and "output" in m["palette.png"]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["cmyk.jpg", "manifest.jsonl", "palette.jpg"]
    assert _tree(src) == before


def test_reduced_decode_in_the_cli(tmp_path):
    from helpers import photos

    src = tmp_path / "src"
    src.mkdir()
    big = Image.fromarray(photos()["astronaut"]).resize((2000, 1500), Image.LANCZOS)
    big.save(src / "big.jpg", quality=90)
    assert cli(src, tmp_path / "r", "--size", "200", "--format", "png") == 0
    assert cli(src, tmp_path / "f", "--size", "200", "--format", "png", "--reducing-gap", "0") == 0
    r, f = manifest(tmp_path / "r")["big.jpg"], manifest(tmp_path / "f")["big.jpg"]
    assert r["decode_scale"] == 2 and f["decode_scale"] == 1  # 1500 / 200 / 2.0 = 3.75
    full, p = ts.Pipeline([ts.Resize((200, 200), "fill"), ts.ConvertChannels("rgb")]).image(
        tio.read_image(src / "big.jpg"), return_params=True)
    assert r["crop_box"] == f["crop_box"] == [round(v, 2) for v in p["source_box"]]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "f" / "big.png")), full)
    diff = np.abs(np.asarray(Image.open(tmp_path / "r" / "big.png")).astype(float) - full)
    assert diff.mean() <= 1.0
    with pytest.raises(SystemExit):
        P.main([str(src), str(tmp_path / "x"), "--reducing-gap", "nope"])
    assert P.main([str(src), str(tmp_path / "x"), "--reducing-gap", "0.5", "--quiet"]) == 2


def test_stream_with_kernels_loading_equals_file_by_file(tmp_path, rng):
    import concurrent.futures as cf
    import threading

    src = tmp_path / "src"
    make_src(src, rng)
    for i in range(12):
        Image.fromarray(noise(rng, (40 + i, 70 - i, 3))).save(src / f"n{i}.jpg", quality=90)
    args = P.build_parser().parse_args([str(src), str(tmp_path / "x"), "--size", "16", "--crop", "random", "--flip", "0.5"])
    opts = {"pipeline": P.pipeline_from_args(args), "channels": "rgb", "seed": 5, "format": "png", "quality": 90,
            "reducing_gap": 2.0}
    sources, _ = P.list_sources(src)
    one = {r: P.process_file(r, src, tmp_path / "one", opts) for r in sources}
    gate = threading.Event()
    with cf.ThreadPoolExecutor(1) as ex:
        warm = ex.submit(gate.wait, 30)  # "kernels still loading" until every file is read
        seen = []
        recs = P.stream(sources, src, tmp_path / "many", opts, workers=2, in_flight=3, warm=warm)
        reads = []
        real = P.read_file

        def counting(*a):
            reads.append(a[0])
            if len(reads) == len(sources):
                gate.set()
            return real(*a)

        P.read_file, saved = counting, P.read_file
        try:
            for rec in recs:
                seen.append(rec)
        finally:
            P.read_file = saved
    assert {r["source"]: r for r in seen} == one and len(seen) == len(sources)
    for r in one.values():
        if "output" in r:
            a = np.asarray(Image.open(tmp_path / "one" / r["output"]))
            np.testing.assert_array_equal(a, np.asarray(Image.open(tmp_path / "many" / r["output"])))


def test_jpeg_outputs_are_quality_jpegs_of_the_pipeline_output(tmp_path, rng):
    from helpers import photos

    src = tmp_path / "src"
    src.mkdir()
    Image.fromarray(photos()["chelsea"]).save(src / "cat.png")
    Image.fromarray(photos()["camera"]).save(src / "gray.png")
    assert cli(src, tmp_path / "o", "--size", "128", "--quality", "95") == 0
    assert cli(src, tmp_path / "g", "--size", "128", "--quality", "95", "--channels", "gray") == 0
    ref = ts.Pipeline([ts.Resize(128, "fill"), ts.ConvertChannels("rgb")]).image(photos()["chelsea"])
    im = Image.open(tmp_path / "o" / "cat.jpg")
    assert im.format == "JPEG" and im.mode == "RGB" and im.size == (128, 128)
    buf = io.BytesIO()
    Image.fromarray(ref).save(buf, format="JPEG", quality=95)  # what Pillow's encoder loses
    pillow_loss = np.abs(np.asarray(Image.open(buf)).astype(float) - ref).mean()
    assert np.abs(np.asarray(im).astype(float) - ref).mean() <= 1.1 * pillow_loss + 0.05
    g = Image.open(tmp_path / "g" / "gray.jpg")
    assert g.mode == "L" and g.size == (128, 128)


def test_worker_processes_and_threads_give_the_same_run(tmp_path, rng, threads):
    make_src(tmp_path / "src", rng)
    common = ["--size", "20", "--crop", "random", "--flip", "0.5", "--format", "png"]
    assert P._FORK is not None  # Linux: more than one worker forks processes
    assert cli(tmp_path / "src", tmp_path / "p", "--threads", "2", *common) == 1
    assert cli(tmp_path / "src", tmp_path / "t", "--threads", "1", *common) == 1
    mp, mt = manifest(tmp_path / "p"), manifest(tmp_path / "t")
    assert mp == mt and "error" in mp["broken.jpg"]
    for rec in mp.values():
        if "output" in rec:
            np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "p" / rec["output"])),
                                          np.asarray(Image.open(tmp_path / "t" / rec["output"])))


def test_kernel_load_imports_neither_scipy_linalg_nor_cffi():
    """numba's own cache load imports every implementation numba has,
    scipy.linalg (0.1-0.2 s, only to choose BLAS for np.convolve) and cffi's
    C parser among them; the command's kernels load without them (a first
    process fills the cache), and they still import normally afterwards."""
    code = ("import sys, importlib, numpy as np, trainingsample as ts\n"
            "from trainingsample.cli import preprocess as P\n"
            "modules = ['numba.np.arraymath', 'numba.np.linalg', 'scipy.linalg', 'cffi', 'numba.core.typing.cffi_utils']\n"
            "P.warm_kernels(ts.Pipeline([ts.Resize(16, 'fill'), ts.ConvertChannels('rgb')]), 'rgb')\n"
            "print(' '.join(m for m in modules if m in sys.modules) or 'none')\n"
            "importlib.import_module('numba.np.arraymath')\n"
            "print(ts.resize_image(np.zeros((8, 8, 3), np.uint8), (4, 4)).shape)\n")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600) for _ in range(2)]
    assert runs[1].returncode == 0, runs[1].stderr[-3000:]
    assert runs[1].stdout.split("\n")[:2] == ["none", "(4, 4, 3)"], runs[1].stdout


@pytest.mark.parametrize("unnamed", [True, False])
def test_write_atomic_makes_folders_and_leaves_nothing_when_it_fails(tmp_path, monkeypatch, unnamed):
    # unnamed: an O_TMPFILE file linked in (Linux); otherwise, as where a
    # file system refuses O_TMPFILE, a temporary name and a rename
    if unnamed and not P._UNNAMED[0]:
        pytest.skip("no O_TMPFILE here")
    monkeypatch.setattr(P, "_UNNAMED", [unnamed])
    out = tmp_path / "a" / "b" / "x.jpg"
    P.write_atomic(b"123", out)
    assert out.read_bytes() == b"123"
    P.write_atomic(b"45", out)  # the folder is there now; replaced whole
    assert out.read_bytes() == b"45" and sorted(p.name for p in out.parent.iterdir()) == ["x.jpg"]
    with pytest.raises(TypeError):
        P.write_atomic("not bytes", tmp_path / "new" / "y.jpg")
    assert not (tmp_path / "new").exists()

    def full(*args):
        raise OSError(28, "No space left on device")

    for broken in (("_write_all", "replace"), ("replace",)):
        with monkeypatch.context() as m:
            for name in broken:  # the unnamed file's write; the temporary name's rename
                m.setattr(P if name == "_write_all" else P.os, name, full)
            for target in (out, out.parent / "y.jpg", tmp_path / "new" / "z.jpg"):
                if target == out or "_write_all" in broken:
                    with pytest.raises(OSError, match="No space"):
                        P.write_atomic(b"6789" * 1000, target)
    assert out.read_bytes() == b"45" and sorted(p.name for p in out.parent.iterdir()) == ["x.jpg"]
    assert [p.name for p in (tmp_path / "new").iterdir()] == []
    assert P._UNNAMED == [unnamed]  # the way chosen held throughout
    P.write_atomic(b"6789", str(out))  # a str path; replaced whole
    assert out.read_bytes() == b"6789" and sorted(p.name for p in out.parent.iterdir()) == ["x.jpg"]


def test_write_atomic_falls_back_where_unnamed_files_are_refused(tmp_path, monkeypatch):
    # a file system without O_TMPFILE (EOPNOTSUPP) or a /proc whose links
    # cannot be followed (EXDEV): the temporary name, from then on
    real_open = P.os.open
    for errno_, where in ((95, "open"), (18, "link")):
        monkeypatch.setattr(P, "_UNNAMED", [True])

        def refuse(*args, **kwargs):
            raise OSError(errno_, "refused")

        with monkeypatch.context() as m:
            if where == "open":
                m.setattr(P.os, "open", lambda path, flags, *a: refuse() if flags & P._O_TMPFILE else real_open(path, flags, *a))
            else:
                m.setattr(P.os, "link", refuse)
            out = tmp_path / where / "x.jpg"
            P.write_atomic(b"123", out)
        assert out.read_bytes() == b"123" and [p.name for p in out.parent.iterdir()] == ["x.jpg"]
        assert P._UNNAMED == [False]
