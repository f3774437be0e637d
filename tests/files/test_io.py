"""trainingsample.io (decoding files) and Pipelines over files: Pillow's
decode and conversions as the reference, float64 oracles for the fractional
spans the reduced decode resamples."""
import io
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image, ImageOps

import trainingsample as ts
import trainingsample.io as tio
from trainingsample import _apply
from trainingsample._coeffs import coefficients
from trainingsample.resize import resample_call, resample_setup

import reference
from helpers import photos


def _jpeg(arr, quality=90, **kw):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=quality, **kw)
    return buf.getvalue()


def _png(im):
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def photo_files(tmp_path_factory):
    """scikit-image's photos as JPEG quality 90, one enlarged to camera size."""
    d = tmp_path_factory.mktemp("photos")
    out = {}
    for name, arr in photos().items():
        p = d / f"{name}.jpg"
        p.write_bytes(_jpeg(arr))
        out[name] = p
    big = Image.fromarray(photos()["astronaut"]).resize((2400, 1800), Image.LANCZOS)
    p = d / "big.jpg"
    p.write_bytes(_jpeg(np.asarray(big)))
    out["big"] = p
    return out


def _pil_draft(path, scale, mode="RGB"):
    im = Image.open(path)
    if scale > 1:
        im.draft(mode, (-(-im.size[0] // scale), -(-im.size[1] // scale)))
    return np.asarray(im.convert(mode))


# --------------------------------------------------------------------------
# decoding


@pytest.mark.parametrize("scale", [1, 2, 4, 8])
def test_jpeg_decode_equals_pillow_at_every_scale(photo_files, scale):
    for name in ("big", "chelsea", "camera"):
        info = tio.probe(photo_files[name])
        assert info.format == "JPEG" and info.scales == (1, 2, 4, 8)
        rgb = tio.decode(info, "rgb", scale)
        ref = _pil_draft(photo_files[name], scale)
        if ref.shape[:2] == rgb.shape[:2]:  # Pillow's draft rounds some scales down
            np.testing.assert_array_equal(rgb, ref)
        assert (rgb.shape[1], rgb.shape[0]) == tio.reduced_size(info, scale)
        gray = tio.decode(info, "gray", 1)
        np.testing.assert_array_equal(gray[..., 0], np.asarray(Image.open(photo_files[name]).convert("L")))


def test_read_image_modes_follow_pillow_convert():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    cases = {
        "RGB": Image.fromarray(rgb),
        "RGBA": Image.fromarray(np.concatenate([rgb, rng.integers(0, 256, (37, 53, 1), dtype=np.uint8)], 2)),
        "L": Image.fromarray(rgb[..., 0]),
        "LA": Image.fromarray(rgb[..., :2].copy(), "LA") if hasattr(Image, "fromarray") else None,
        "P": Image.fromarray(rgb).convert("P"),
        "1": Image.fromarray(rgb[..., 0] > 128),
    }
    for mode, im in cases.items():
        data = _png(im)
        for want, pil_mode in (("rgb", "RGB"), ("gray", "L"), ("rgba", "RGBA")):
            got = tio.read_image(data, want)
            ref = np.asarray(Image.open(io.BytesIO(data)).convert(pil_mode))
            np.testing.assert_array_equal(got, ref.reshape(got.shape), err_msg=f"{mode} -> {want}")
        keep = tio.read_image(data, "keep")
        assert keep.shape[2] == {"RGB": 3, "RGBA": 4, "L": 1, "LA": 4, "P": 3, "1": 3}[mode], mode


def test_cmyk_jpeg_goes_through_pillow():
    rng = np.random.default_rng(1)
    im = Image.fromarray(rng.integers(0, 256, (40, 60, 4), dtype=np.uint8), "CMYK")
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=95)
    data = buf.getvalue()
    info = tio.probe(data)
    assert info.mode == "CMYK" and info.scales == (1,)
    np.testing.assert_array_equal(tio.read_image(data), np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def test_16_bit_png_is_scaled_not_clipped():
    ramp = np.linspace(0, 65535, 256 * 4).astype(np.uint16).reshape(4, 256)
    data = _png(Image.fromarray(ramp))
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")
    got = tio.read_image(data, "gray")[..., 0]
    want = ((ramp.astype(np.int64) * 255 + 32767) // 65535).astype(np.uint8)
    np.testing.assert_array_equal(got, want)
    assert got.min() == 0 and got.max() == 255 and got[2, 0] == 128
    assert np.asarray(Image.open(io.BytesIO(data)).convert("L"))[2, 0] == 255  # what Pillow gives
    rgb = tio.read_image(data, "rgb")
    np.testing.assert_array_equal(rgb, np.repeat(want[..., None], 3, 2))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_exif_orientation_as_exif_transpose(orientation, kind, photo_files):
    arr = photos()["chelsea"][:61, :97]
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=kind.upper(), exif=exif.tobytes(), **({"quality": 95} if kind == "jpeg" else {}))
    data = buf.getvalue()
    ref = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    info = tio.probe(data)
    assert (info.height, info.width) == ref.shape[:2]
    got = tio.read_image(data)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, ref)
    if kind == "jpeg":  # reduced decode: oriented the same way
        assert tio.decode(info, "rgb", 2).shape[:2] == (-(-ref.shape[0] // 2), -(-ref.shape[1] // 2))


def test_bad_files_name_the_file_and_the_cause(tmp_path):
    good = _jpeg(photos()["coffee"])
    cases = {
        "empty.jpg": b"",
        "text.jpg": b"this is not an image\n" * 10,
        "truncated.jpg": good[: len(good) // 2],
        "corrupt.jpg": good[:600] + bytes(range(256)) * 4 + good[1624:],
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(tio.DecodeError) as e:
            tio.read_image(tmp_path / name)
        assert str(tmp_path / name) in str(e.value) and e.value.source == str(tmp_path / name)
    with pytest.raises(tio.DecodeError, match="cannot read"):
        tio.read_image(tmp_path / "missing.jpg")
    with pytest.raises(tio.DecodeError, match="not a regular file"):
        tio.read_image(tmp_path)
    fifo = tmp_path / "fifo.jpg"
    os.mkfifo(fifo)
    with pytest.raises(tio.DecodeError, match="not a regular file"):  # never opened: would block
        tio.read_image(fifo)
    with pytest.raises(TypeError, match="path or bytes"):
        tio.read_image(12)
    with pytest.raises(ValueError, match="mode must be one of"):
        tio.read_image(good, "cmyk")
    with pytest.raises(ValueError, match="scale must be one of"):
        tio.read_image(good, scale=3)
    with pytest.raises(ValueError, match=r"scale must be one of \(1,\)"):
        tio.read_image(_png(Image.fromarray(photos()["coffee"])), scale=2)


def test_decompression_bombs_are_refused_before_decoding(monkeypatch):
    data = _png(Image.new("L", (300, 200)))
    monkeypatch.setattr(tio, "MAX_IMAGE_PIXELS", 300 * 200 - 1)
    with pytest.raises(tio.DecodeError, match="300x200 is more than 59999 pixels"):
        tio.probe(data)
    with pytest.raises(tio.DecodeError, match="300x200 is more than 59999 pixels"):  # the JPEG header path
        tio.probe(_jpeg(np.zeros((200, 300, 3), np.uint8)))
    monkeypatch.setattr(tio, "MAX_IMAGE_PIXELS", 300 * 200)
    assert tio.read_image(data).shape == (200, 300, 3)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow's own check (above twice its limit)
    with pytest.raises(tio.DecodeError, match="pixels"):
        tio.probe(data)


def test_read_images_in_threads_keeps_order_and_reports_errors(threads):
    ts.set_num_threads(2)
    datas = [_jpeg(a) for a in photos().values()]
    srcs = datas + [b"nope"]
    with pytest.raises(tio.DecodeError, match="<4 bytes>"):
        tio.read_images(srcs)
    got = tio.read_images(srcs, errors="return")
    for d, g in zip(datas, got):
        np.testing.assert_array_equal(g, tio.read_image(d))
    assert isinstance(got[-1], tio.DecodeError)
    with pytest.raises(ValueError, match="errors must be"):
        tio.read_images(srcs, errors="skip")


@pytest.mark.parametrize("gap,region,size,want", [
    (2.0, (4000, 3000), (224, 224), 4), (2.0, (4000, 3000), (224, 168), 8), (2.0, (448, 448), (224, 224), 1),
    (2.0, (900, 900), (224, 224), 2), (1.0, (900, 900), (224, 224), 4), (None, (4000, 3000), (224, 224), 1),
    (3.0, (4000, 3000), (224, 224), 4), (2.0, (4000, 300), (224, 224), 1),
])
def test_choose_scale_keeps_the_gap(gap, region, size, want):
    info = tio.ImageInfo("x", 5000, 5000, "JPEG", "RGB", 1, b"")
    if tio._simplejpeg() is None:
        pytest.skip("simplejpeg is not installed")
    assert tio.choose_scale(info, region, size, gap) == want
    png = info._replace(format="PNG")
    assert tio.choose_scale(png, region, size, gap) == 1


# --------------------------------------------------------------------------
# fractional spans (what a reduced decode resamples)


@settings(max_examples=40, deadline=None)
@given(st.integers(8, 90), st.integers(8, 90), st.integers(1, 40), st.integers(1, 40), st.floats(0, 0.45),
       st.floats(0.55, 1.0), st.floats(0, 0.45), st.floats(0.55, 1.0),
       st.sampled_from(["box", "bilinear", "hamming", "bicubic", "lanczos3"]), st.sampled_from([np.uint8, np.float32]))
def test_span_resample_equals_float64_oracle(h, w, oh, ow, y0, y1, x0, x1, name, dtype):
    rng = np.random.default_rng(h * 100 + w)
    img = rng.integers(0, 256, (h, w, 3)).astype(dtype)
    boxes = ((y0 * h, y1 * h), (x0 * w, x1 * w))
    r = resample_setup(img[None], oh, ow, np.dtype(dtype), name, True, (oh, ow, 0, 0), (False, False), boxes)
    dst = np.empty((1, oh, ow, 3), dtype)
    _apply.run([dst], [resample_call(img[None], dst, r)])
    mv = reference.resample_matrix(h, oh, name, True, boxes[0])
    mh = reference.resample_matrix(w, ow, name, True, boxes[1])
    ref = np.einsum("yi,ijc,xj->yxc", mv, img.astype(np.float64), mh)
    if dtype == np.uint8 and name in ("box", "bilinear", "hamming"):
        assert np.abs(dst[0] - np.clip(np.round(ref), 0, 255)).max() <= 1
    elif dtype == np.float32:
        np.testing.assert_allclose(dst[0], ref, rtol=1e-4, atol=1e-2)
    # a span centred like the whole axis resamples like the whole axis
    assert coefficients(h, oh, name, True, "int32", (0.0, float(h)))[1].tobytes() == coefficients(h, oh, name, True, "int32")[1].tobytes()


# --------------------------------------------------------------------------
# pipelines over files


PIPES = {
    "rrc": lambda: ts.Pipeline([ts.RandomResizedCrop(224), ts.HorizontalFlip()]),
    "fill-random": lambda: ts.Pipeline([ts.Resize((224, 160), "fill", crop="random"), ts.VerticalFlip()]),
    "shorter-center": lambda: ts.Pipeline([ts.Resize(256, "shorter"), ts.CenterCrop(224), ts.ConvertChannels("bgr")]),
    "crop-resize-norm": lambda: ts.Pipeline([ts.Crop((10, 20, 300, 200)), ts.Resize((96, 64)),
                                            ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)]),
    "gray": lambda: ts.Pipeline([ts.RandomResizedCrop(64, interpolation="bicubic"), ts.ConvertChannels("gray")]),
}


@pytest.mark.parametrize("kind", sorted(PIPES))
def test_files_without_reduction_equal_the_decoded_arrays(photo_files, kind):
    pipe = PIPES[kind]()
    paths = [photo_files[n] for n in ("big", "astronaut", "chelsea", "coffee")]
    arrays = [tio.read_image(p) for p in paths]
    seeds = [11, 12, 13, 14]
    got, gp = pipe([str(p) for p in paths], seed=seeds, return_params=True, reducing_gap=None)
    ref, rp = pipe(arrays, seed=seeds, return_params=True)
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(gp, rp):
        assert a.pop("decode_scale") == 1
        assert a == b
    # bytes and paths are the same source
    again = pipe([p.read_bytes() for p in paths], seed=seeds, reducing_gap=None)
    for a, b in zip(again, ref):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", sorted(PIPES))
def test_reduced_decode_stays_within_a_grey_level(photo_files, kind):
    pipe = PIPES[kind]()
    big = photo_files["big"]
    full = tio.read_image(big)
    seeds = list(range(6))
    got, gp = pipe([big] * 6, seed=seeds, return_params=True)
    ref, rp = pipe([full] * 6, seed=seeds, return_params=True)
    scales = []
    for a, b, pa, pb in zip(got, ref, gp, rp):
        scale = pa.pop("decode_scale")
        scales.append(scale)
        assert pa == pb  # same draws, boxes in source pixels
        assert scale in (1, 2, 4, 8)
        assert a.shape == b.shape and a.dtype == b.dtype
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        if a.dtype == np.uint8:
            assert diff.mean() <= 1.0, (kind, scale, diff.mean())
        else:
            assert diff.mean() <= 1.0 / 255 / 0.225
    assert max(scales) > 1 or kind == "crop-resize-norm"


def test_reduction_keeps_the_gap_over_the_kept_window(photo_files):
    pipe = ts.Pipeline([ts.RandomResizedCrop(100)])
    out, params = pipe([photo_files["big"]] * 20, seed=list(range(20)), return_params=True)
    for p in params:
        x, y, w, h = p["steps"][0]["box"]
        s = p["decode_scale"]
        assert min(w, h) / s >= 2.0 * 100 or s == 1
        assert s == 8 or min(w, h) / (2 * s) < 2.0 * 100  # the largest such scale
    ref = pipe([photo_files["big"]] * 20, seed=list(range(20)), reducing_gap=1.0)
    assert all(o.shape == (100, 100, 3) for o in ref)


def test_no_reduction_for_nearest_flips_before_the_resize_or_png(photo_files, tmp_path):
    big = photo_files["big"]
    for pipe in (ts.Pipeline([ts.Resize(100, "shorter", interpolation="nearest")]),
                 ts.Pipeline([ts.HorizontalFlip(1.0), ts.Resize(100, "shorter")])):
        _, params = pipe([big], return_params=True)
        assert params[0]["decode_scale"] == 1
    png = tmp_path / "big.png"
    Image.open(big).save(png)
    _, params = ts.Pipeline([ts.Resize(100, "shorter")])([png], return_params=True)
    assert params[0]["decode_scale"] == 1


def test_file_pipeline_errors(photo_files, tmp_path):
    pipe = ts.Pipeline([ts.Resize(64)])
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not really")
    with pytest.raises(tio.DecodeError, match="bad.jpg"):
        pipe([photo_files["coffee"], bad])
    for gap in (0.5, "2", True):
        with pytest.raises(ValueError, match="reducing_gap must be a number >= 1 or None"):
            pipe([photo_files["coffee"]], reducing_gap=gap)
    with pytest.raises(ValueError, match="mode must be one of"):
        pipe([photo_files["coffee"]], mode="cmyk")
    with pytest.raises(ValueError, match=r"images\[0\] \(.*coffee.jpg\): steps\[0\] Crop box"):
        ts.Pipeline([ts.Crop((0, 0, 4000, 10))])([photo_files["coffee"]])
    # the seed list still has to match
    with pytest.raises(ValueError, match="seed has 1 entries but there are 2 images"):
        pipe([photo_files["coffee"]] * 2, seed=[1])


def test_prepare_then_run_is_the_call(photo_files):
    pipe = PIPES["fill-random"]()
    files = [photo_files["big"], photo_files["coffee"]]
    whole, params = pipe(files, seed=[3, 4], return_params=True)
    prepared = pipe.prepare(files, seed=[3, 4])
    got, got_params = pipe.run(prepared, return_params=True)
    for a, b in zip(whole, got):
        np.testing.assert_array_equal(a, b)
    assert params == got_params and any(p["decode_scale"] > 1 for p in params)
    assert all(isinstance(o, np.ndarray) for o in pipe.run(prepared))
    with pytest.raises(TypeError, match="run takes what this pipeline's prepare returned"):
        PIPES["rrc"]().run(prepared)
    with pytest.raises(TypeError, match="run takes what this pipeline's prepare returned"):
        pipe.run([np.zeros((4, 4, 3), np.uint8)])
    with pytest.raises(TypeError, match="sources must be a list of image files"):
        pipe.prepare([np.zeros((4, 4, 3), np.uint8)])


def _with_app1(jpeg, payload):
    seg = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + seg + jpeg[2:]


@pytest.mark.parametrize("order", ["II", "MM"])
@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_exif_orientation_parser_agrees_with_pillow(order, orientation):
    end = "little" if order == "II" else "big"
    u16, u32 = (lambda v: v.to_bytes(2, end)), (lambda v: v.to_bytes(4, end))
    value = u16(orientation) + b"\0\0"
    ifd = u16(2) + u16(0x010F) + u16(2) + u32(4) + b"abc\0" + u16(0x0112) + u16(3) + u32(1) + value + u32(0)
    tiff = order.encode() + u16(42) + u32(8) + ifd
    base = _jpeg(photos()["chelsea"][:40, :60])
    data = _with_app1(base, b"Exif\0\0" + tiff)
    assert tio._jpeg_orientation(data) == orientation
    assert Image.open(io.BytesIO(data)).getexif().get(0x0112) == orientation
    info = tio.probe(data)
    assert (info.width, info.height) == ((40, 60) if orientation >= 5 else (60, 40))
    ref = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    np.testing.assert_array_equal(tio.read_image(data), ref)
    # broken or missing EXIF: orientation 1, as exif_transpose leaves the image
    for bad in (b"Exif\0\0" + tiff[:12], b"Exif\0\0XX" + tiff[2:], b"Exif\0\0" + tiff[:8] + u16(40)):
        assert tio._jpeg_orientation(_with_app1(base, bad)) == 1
    assert tio._jpeg_orientation(base) == 1
