"""The inline fast paths (crop_image, resize_image, calculate_luminance and
batch_crop_images of a list) give exactly what the general, validating path gives --
the batch function on a one-image list -- and leave every error to it."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trainingsample as ts
from helpers import noise
from reference import luminance as oracle_luminance
from trainingsample import _engine
from trainingsample.crop import SERIAL_COPY_BYTES

DTYPES = [np.uint8, np.uint16, np.float32]
INTERPOLATIONS = ["nearest", "box", "area", "bilinear", "hamming", "bicubic", "lanczos3", "lanczos4"]


def _shape(h, w, c):
    return (h, w) if c == 0 else (h, w, c)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 40), c=st.sampled_from([0, 1, 3, 4]), dt=st.sampled_from(DTYPES), data=st.data())
def test_crop_image_is_the_slice_the_batch_function_copies(h, w, c, dt, data):
    img = noise(np.random.default_rng(h * 41 + w), _shape(h, w, c), dt)
    bw, bh = data.draw(st.integers(1, w)), data.draw(st.integers(1, h))
    x, y = data.draw(st.integers(0, w - bw)), data.draw(st.integers(0, h - bh))
    out = ts.crop_image(img, (x, y, bw, bh))
    want = ts.batch_crop_images([img], [(x, y, bw, bh)])[0]
    np.testing.assert_array_equal(out, img[y : y + bh, x : x + bw])
    assert out.shape == want.shape and out.dtype == want.dtype
    assert out.flags.c_contiguous and out.flags.owndata and out.flags.writeable
    assert not np.shares_memory(out, img)


def test_crop_image_large_crops_and_other_box_kinds(rng):
    # above SERIAL_COPY_BYTES the general path copies on the pool
    side = int((SERIAL_COPY_BYTES / 3) ** 0.5) + 2
    big = noise(rng, (side + 3, side + 5, 3))
    np.testing.assert_array_equal(ts.crop_image(big, (2, 1, side, side)), big[1 : 1 + side, 2 : 2 + side])
    img = noise(rng, (20, 30, 3))
    want = img[2:9, 3:14]
    for box in ([3, 2, 11, 7], (np.int64(3), 2, 11, 7), np.array([3, 2, 11, 7])):
        np.testing.assert_array_equal(ts.crop_image(img, box), want)


def _general_crops(images, boxes):
    """batch_crop_images through its general path (what the list fast path
    must equal)."""
    from trainingsample import _validate as V
    from trainingsample.crop import _crop

    batch = V.as_batch(images)
    bx = V.boxes(boxes, batch.count)
    return _crop(batch, bx, True, "boxes", shared=bx.shared)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 6), shared=st.booleans(), as_tuple=st.booleans(), data=st.data())
def test_batch_crop_images_of_a_list_is_the_numpy_loop(n, shared, as_tuple, data):
    rng = np.random.default_rng(n)
    shapes = [_shape(data.draw(st.integers(1, 30)), data.draw(st.integers(1, 30)), data.draw(st.sampled_from([0, 1, 3, 4])))
              for _ in range(n)]
    imgs = [noise(rng, s, data.draw(st.sampled_from(DTYPES))) for s in shapes]
    if shared:
        bw = data.draw(st.integers(1, min(s[1] for s in shapes)))
        bh = data.draw(st.integers(1, min(s[0] for s in shapes)))
        box = (data.draw(st.integers(0, min(s[1] for s in shapes) - bw)), data.draw(st.integers(0, min(s[0] for s in shapes) - bh)), bw, bh)
        boxes = [box] * n
        arg = box
    else:
        boxes = []
        for s in shapes:
            bw, bh = data.draw(st.integers(1, s[1])), data.draw(st.integers(1, s[0]))
            boxes.append((data.draw(st.integers(0, s[1] - bw)), data.draw(st.integers(0, s[0] - bh)), bw, bh))
        arg = [list(b) for b in boxes] if as_tuple else boxes
    out = ts.batch_crop_images(tuple(imgs) if as_tuple else imgs, arg)
    want = _general_crops(imgs, arg)
    assert type(out) is list and len(out) == n
    for o, w, img, (x, y, bw, bh) in zip(out, want, imgs, boxes):
        np.testing.assert_array_equal(o, img[y : y + bh, x : x + bw])
        assert o.shape == w.shape and o.dtype == w.dtype
        assert o.flags.c_contiguous and o.flags.owndata and o.flags.writeable
        assert not np.shares_memory(o, img)


def test_batch_crop_images_unusual_lists_take_the_general_path(rng):
    img = noise(rng, (20, 30, 3))
    ro = img.copy()
    ro.flags.writeable = False
    want = img[2:9, 3:14]
    class Sub(np.ndarray):  # as a memory map is
        pass

    # numpy ints, an array box, a read-only image, an ndarray subclass
    for imgs, boxes in (
        ([img, img], [(np.int64(3), 2, 11, 7), np.array([3, 2, 11, 7])]),
        ([img, ro], (3, 2, 11, 7)),
        ([img, img.view(Sub)], [(3, 2, 11, 7)] * 2),
    ):
        for o in ts.batch_crop_images(imgs, boxes):
            np.testing.assert_array_equal(o, want)
            assert o.flags.c_contiguous and o.flags.writeable and not np.shares_memory(o, img)


def test_batch_crop_images_of_a_big_list_copies_on_the_pool(rng, monkeypatch):
    # at SERIAL_COPY_BYTES in all and over, the general path copies in bands
    # on the pool; below it the calling thread copies
    from trainingsample import _apply

    calls = []
    monkeypatch.setattr(_engine, "get_num_threads", lambda: 2)
    monkeypatch.setattr(_apply, "run", lambda outs, items, run=_apply.run: calls.append(len(items)) or run(outs, items))
    side = int((SERIAL_COPY_BYTES / 6) ** 0.5) + 2
    big = noise(rng, (side + 3, side + 5, 3))
    out = ts.batch_crop_images([big, big], [(2, 1, side, side), (0, 3, side, side)])
    assert calls == [2]
    np.testing.assert_array_equal(out[0], big[1 : 1 + side, 2 : 2 + side])
    np.testing.assert_array_equal(out[1], big[3 : 3 + side, :side])
    ts.batch_crop_images([big, big], [(2, 1, side // 2, side // 2)] * 2)
    assert calls == [2]


@pytest.mark.parametrize(
    "images, boxes, error, message",
    [
        ([np.zeros((4, 4), np.uint8), np.zeros(5, np.uint8)], (0, 0, 1, 1), ValueError, r"images\[1\] must have shape \(H, W\) or \(H, W, C\), got shape \(5,\)"),
        ([np.zeros((4, 4), np.uint8), np.zeros((4, 4, 0), np.uint8)], (0, 0, 1, 1), ValueError, r"images\[1\] is empty: shape \(4, 4, 0\)"),
        ([np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.int8)], (0, 0, 1, 1), TypeError, r"images\[1\] has dtype int8"),
        ([np.zeros((4, 4), np.uint8)] * 2, [(0, 0, 1, 1), (1, 0, 4, 1)], ValueError, r"boxes\[1\] \(1, 0, 4, 1\) \(x, y, width, height\) extends outside the image of width 4"),
        ([np.zeros((4, 4), np.uint8)] * 2, [(0, 0, 1, 1), (0, -1, 1, 1)], ValueError, r"boxes\[1\] origin must be >= 0, got x=0, y=-1"),
        ([np.zeros((4, 4), np.uint8)] * 2, [(0, 0, 1, 1), (0, 0, 0, 1)], ValueError, r"boxes\[1\] width and height must be >= 1"),
        ([np.zeros((4, 4), np.uint8)] * 2, [(0, 0, 1, 1), (0, 0, 1.0, 1)], TypeError, r"boxes\[1\]\[2\] must be an integer, got 1.0"),
        ([np.zeros((4, 4), np.uint8)] * 2, [(0, 0, 1, 1), (0, 0, 1)], ValueError, r"boxes\[1\]"),
        ([np.zeros((4, 4), np.uint8)] * 3, [(0, 0, 1, 1)] * 2, ValueError, "boxes"),
        ([np.zeros((4, 4), np.uint8)] * 2, (0, 0, 5, 1), ValueError, r"boxes\[0\] \(0, 0, 5, 1\) \(x, y, width, height\) extends outside"),
    ],
)
def test_batch_crop_images_list_errors_come_from_the_general_path(images, boxes, error, message):
    with pytest.raises(error, match=message):
        ts.batch_crop_images(images, boxes)


@pytest.mark.parametrize(
    "image, box, error, message",
    [
        (np.zeros(5, np.uint8), (0, 0, 1, 1), ValueError, r"image must have shape \(H, W\) or \(H, W, C\), got shape \(5,\)"),
        (np.zeros((4, 4, 0), np.uint8), (0, 0, 1, 1), ValueError, r"image is empty: shape \(4, 4, 0\)"),
        (np.zeros((4, 4), np.int8), (0, 0, 1, 1), TypeError, "image has dtype int8"),
        (np.zeros((4, 4), np.uint8), (1, 0, 4, 1), ValueError, r"box \(1, 0, 4, 1\) \(x, y, width, height\) extends outside the image of width 4"),
        (np.zeros((4, 4), np.uint8), (0, -1, 1, 1), ValueError, "box origin must be >= 0, got x=0, y=-1"),
        (np.zeros((4, 4), np.uint8), (0, 0, 0, 1), ValueError, "box width and height must be >= 1"),
        (np.zeros((4, 4), np.uint8), (0, 0, 1.0, 1), TypeError, r"box\[2\] must be an integer, got 1.0"),
        (np.zeros((4, 4), np.uint8), (0, 0, True, 1), TypeError, r"box\[2\] must be an integer, got True"),
    ],
)
def test_crop_image_errors_come_from_the_general_path(image, box, error, message):
    with pytest.raises(error, match=message):
        ts.crop_image(image, box)


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 48), w=st.integers(1, 48), c=st.sampled_from([0, 1, 3, 4]), dt=st.sampled_from(DTYPES),
    ow=st.integers(1, 60), oh=st.integers(1, 60), interp=st.sampled_from(INTERPOLATIONS), antialias=st.booleans(),
    view=st.booleans(),
)
def test_resize_image_equals_the_batch_function(h, w, c, dt, ow, oh, interp, antialias, view):
    img = noise(np.random.default_rng(h * 53 + w), _shape(h + 2, w + 3, c), dt)
    img = img[1 : h + 1, 2 : w + 2] if view else np.ascontiguousarray(img[:h, :w])
    out = ts.resize_image(img, (ow, oh), interpolation=interp, antialias=antialias)
    want = ts.batch_resize_images([img], [(ow, oh)], interpolation=interp, antialias=antialias)[0]
    assert out.shape == want.shape == ((oh, ow) if c == 0 else (oh, ow, c)) and out.dtype == want.dtype
    np.testing.assert_array_equal(out, want)
    assert out.flags.c_contiguous and out.flags.writeable


@pytest.mark.parametrize("threads", [1, 2])
def test_resize_image_work_worth_splitting_same_result(rng, threads):
    """Above MIN_PARALLEL_WORK the fast path hands the one item to the engine."""
    img = noise(rng, (700, 900, 3))
    before = ts.get_num_threads()
    try:
        ts.set_num_threads(threads)
        out = ts.resize_image(img, (640, 480), interpolation="bicubic")
    finally:
        ts.set_num_threads(before)
    assert 640 * 480 * 3 * 4 >= _engine.MIN_PARALLEL_WORK
    np.testing.assert_array_equal(out, ts.batch_resize_images([img], [(640, 480)], interpolation="bicubic")[0])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(size=(0, 4)), ValueError, r"size width must be >= 1, got 0"),
        (dict(size=(4, 4), interpolation="Bicubic "), ValueError, "interpolation must be one of"),
        (dict(size=(4, 4), interpolation=["bilinear"]), TypeError, "interpolation must be a string"),
        (dict(size=(4, 4), antialias=1), TypeError, "antialias must be True or False, got 1"),
        (dict(size=(4.0, 4)), TypeError, r"size\[0\] must be an integer, got 4.0"),
        (dict(size=(4, 4, 4)), TypeError, r"size must be a \(width, height\) pair of 2 integers"),
    ],
)
def test_resize_image_errors_come_from_the_general_path(kwargs, error, message):
    with pytest.raises(error, match=message):
        ts.resize_image(np.zeros((6, 6, 3), np.uint8), **kwargs)


def test_resize_image_other_spellings_take_the_general_path(rng):
    img = noise(rng, (30, 40, 3))
    np.testing.assert_array_equal(ts.resize_image(img, (17, 9), interpolation="BICUBIC"), ts.resize_image(img, (17, 9), interpolation="bicubic"))
    np.testing.assert_array_equal(ts.resize_image(img, [17, 9], antialias=np.bool_(True)), ts.resize_image(img, (17, 9)))


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 70), w=st.integers(1, 70), c=st.sampled_from([0, 1, 3, 4]), dt=st.sampled_from(DTYPES),
       standard=st.sampled_from(["bt601", "bt709"]))
def test_calculate_luminance_equals_the_batch_function(h, w, c, dt, standard):
    img = noise(np.random.default_rng(h * 71 + w), _shape(h, w, c), dt)
    got = ts.calculate_luminance(img, standard=standard)
    assert type(got) is float
    assert got == ts.batch_calculate_luminance([img], standard=standard)[0]  # exactly
    weights = ts.color.STANDARDS[standard]
    assert got == pytest.approx(oracle_luminance(img if c else img[..., None], weights), rel=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("elements", [_engine.MIN_PARALLEL_WORK - 3, _engine.MIN_PARALLEL_WORK + 3])
def test_calculate_luminance_of_a_saturated_image_at_the_size_limit(dtype, elements):
    """Every pixel at full scale, just below and above the size the fast
    path takes: its uint32 row total for uint8 must not overflow."""
    full = np.iinfo(dtype).max
    img = np.full((elements // 3, 1, 3), full, dtype).reshape(-1, 1, 3)
    assert ts.calculate_luminance(img) == pytest.approx(float(full), rel=1e-12)
    assert ts.calculate_luminance(img[:, :, 0]) == float(full)
    assert ts.calculate_luminance(img) == ts.batch_calculate_luminance([img])[0]
