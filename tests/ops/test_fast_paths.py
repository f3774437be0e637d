"""The single-image functions' inline fast paths (crop_image, resize_image,
calculate_luminance) give exactly what the general, validating path gives --
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
