"""The bad-input matrix: every error names the argument, index and value."""
import numpy as np
import pytest

import trainingsample as ts

IMG = np.zeros((20, 30, 3), np.uint8)


@pytest.mark.parametrize(
    "call,exc,pattern",
    [
        # containers and arrays
        (lambda: ts.batch_crop_images(IMG, (0, 0, 1, 1)), ValueError, r"one \(N, H, W, C\) array, got an array of shape \(20, 30, 3\)"),
        (lambda: ts.batch_crop_images("abc", (0, 0, 1, 1)), TypeError, "images must be a list or tuple"),
        (lambda: ts.batch_crop_images([IMG, "x"], (0, 0, 1, 1)), TypeError, r"images\[1\] must be a numpy array, got str"),
        (lambda: ts.batch_crop_images([IMG, np.zeros((2, 2, 2, 2), np.uint8)], (0, 0, 1, 1)), ValueError, r"images\[1\] must have shape \(H, W\) or \(H, W, C\), got shape \(2, 2, 2, 2\)"),
        (lambda: ts.batch_crop_images([np.zeros((4, 4), np.int64)], (0, 0, 1, 1)), TypeError, r"images\[0\] has dtype int64; supported dtypes are uint8, uint16, float32"),
        (lambda: ts.batch_crop_images([np.zeros((0, 4, 3), np.uint8)], (0, 0, 1, 1)), ValueError, r"images\[0\] is empty"),
        (lambda: ts.batch_resize_images([IMG], (10, 10), interpolation="cubicspline"), ValueError, "interpolation must be one of 'nearest', 'box'"),
        (lambda: ts.batch_resize_images([IMG], (10, 10), interpolation=2), TypeError, "interpolation must be a string"),
        (lambda: ts.batch_resize_images([IMG], (10, 10), antialias="yes"), TypeError, "antialias must be True or False"),
        # sizes
        (lambda: ts.batch_resize_images([IMG, IMG], [(10, 10)]), ValueError, "target_sizes has 1 entries but there are 2 images"),
        (lambda: ts.batch_resize_images([IMG, IMG], [(10, 10), (0, 5)]), ValueError, r"target_sizes\[1\] width must be >= 1, got 0"),
        (lambda: ts.batch_resize_images([IMG], [(10, -3)]), ValueError, r"target_sizes\[0\] height must be >= 1, got -3"),
        (lambda: ts.batch_resize_images([IMG], [(10.5, 3)]), TypeError, r"target_sizes\[0\]\[0\] must be an integer, got 10.5"),
        (lambda: ts.batch_resize_images([IMG], (10, 3.0)), TypeError, r"target_sizes\[1\] must be an integer, got 3.0"),
        (lambda: ts.batch_resize_images([IMG], [(True, 3)]), TypeError, r"target_sizes\[0\]\[0\] must be an integer, got True"),
        (lambda: ts.batch_resize_images([IMG], [(10, 3, 4)]), ValueError, r"target_sizes\[0\] must be a \(width, height\) pair, got 3 values"),
        (lambda: ts.batch_resize_images([IMG], [10]), TypeError, r"target_sizes\[0\] must be a \(width, height\) pair, got 10"),
        (lambda: ts.batch_resize_images([IMG], (10**9, 10**9)), ValueError, "width 1000000000 exceeds the maximum"),
        (lambda: ts.batch_resize_images([IMG], None), TypeError, "target_sizes must be one"),
        (lambda: ts.resize_image(IMG, 5), TypeError, r"size must be a \(width, height\) pair"),
        # boxes
        (lambda: ts.batch_crop_images([IMG], [(25, 0, 10, 5)]), ValueError, r"boxes\[0\] \(25, 0, 10, 5\) .* extends outside the image of width 30 and height 20"),
        (lambda: ts.batch_crop_images([IMG, IMG], [(0, 0, 1, 1), (-1, 0, 2, 2)]), ValueError, r"boxes\[1\] origin must be >= 0, got x=-1"),
        (lambda: ts.batch_crop_images([IMG], [(0, 0, 0, 2)]), ValueError, r"boxes\[0\] width and height must be >= 1"),
        (lambda: ts.crop_image(IMG, (0, 0, 31, 1)), ValueError, r"box \(0, 0, 31, 1\) .* extends outside"),
        (lambda: ts.batch_center_crop_images([IMG], [(31, 2)]), ValueError, r"target_sizes\[0\] \(31, 2\) \(width, height\) is larger than the image of width 30 and height 20"),
        (lambda: ts.batch_random_crop_images([IMG], [(3, 21)]), ValueError, r"target_sizes\[0\] \(3, 21\) .* larger than the image"),
        (lambda: ts.batch_random_crop_images([IMG], (3, 3), seed=-1), ValueError, "seed must be >= 0"),
        (lambda: ts.batch_random_crop_images([IMG], (3, 3), seed=1.5), TypeError, "seed must be None, a non-negative int or a numpy.random.Generator"),
        (lambda: ts.batch_crop_images([IMG], (0, 0, 1, 1), copy=1), TypeError, "copy must be True or False"),
        # videos
        (lambda: ts.batch_resize_videos([np.zeros((2, 3), np.uint8)], (2, 2)), ValueError, r"videos\[0\] must have shape \(T, H, W\) or \(T, H, W, C\)"),
        (lambda: ts.batch_resize_videos(np.zeros((2, 3, 4, 5), np.uint8), (2, 2)), ValueError, "one \\(N, T, H, W, C\\) array"),
        (lambda: ts.batch_resize_videos([np.zeros((2, 3, 4, 5), np.float64)], (2, 2)), TypeError, r"videos\[0\] has dtype float64"),
        (lambda: ts.batch_resize_videos(5, (2, 2)), TypeError, "videos must be a list"),
        # threads
        (lambda: ts.set_num_threads(0), ValueError, "positive int, got 0"),
        (lambda: ts.set_num_threads(2.0), TypeError, "positive int, got 2.0"),
    ],
)
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


EMPTY = np.zeros((0, 10, 12, 3), np.uint8)


@pytest.mark.parametrize("images", [[], EMPTY], ids=["list", "array"])
@pytest.mark.parametrize(
    "call,exc,pattern",
    [
        (lambda im: ts.batch_resize_images(im, (0, 5)), ValueError, r"target_sizes width must be >= 1, got 0 in \(0, 5\)"),
        (lambda im: ts.batch_resize_images(im, (2**20 + 1, 3)), ValueError, r"target_sizes width 1048577 exceeds the maximum"),
        (lambda im: ts.batch_resize_images(im, (3, "a")), TypeError, r"target_sizes\[1\] must be an integer, got 'a'"),
        (lambda im: ts.batch_resize_images(im, [(3, 3)]), ValueError, "target_sizes has 1 entries but there are 0 images"),
        (lambda im: ts.batch_crop_images(im, (-1, -1, 0, 0)), ValueError, r"boxes origin must be >= 0, got x=-1, y=-1"),
        (lambda im: ts.batch_crop_images(im, (0, 0, 0, 3)), ValueError, r"boxes width and height must be >= 1"),
        (lambda im: ts.batch_center_crop_images(im, (0, 0)), ValueError, r"target_sizes width must be >= 1, got 0"),
        (lambda im: ts.batch_random_crop_images(im, (4, -2)), ValueError, r"target_sizes height must be >= 1, got -2"),
        (lambda im: ts.batch_resize_images(im, (3, 3), interpolation="sinc"), ValueError, r"interpolation must be one of .*; got 'sinc'"),
        (lambda im: ts.batch_resize_images(im, (3, 3), antialias="yes"), TypeError, r"antialias must be True or False"),
    ],
)
def test_empty_batches_check_the_shared_arguments(images, call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call(images)


def test_empty_video_batch_checks_the_size():
    with pytest.raises(ValueError, match=r"target_sizes width must be >= 1, got 0"):
        ts.batch_resize_videos([], (0, 2))


def test_empty_array_declares_its_image_size():
    # a shared size or box must fit (H, W) = (10, 12) as for any image of the batch
    with pytest.raises(ValueError, match=r"boxes \(8, 0, 5, 4\) .* extends outside the image of width 12 and height 10"):
        ts.batch_crop_images(EMPTY, (8, 0, 5, 4))
    with pytest.raises(ValueError, match=r"target_sizes \(13, 4\) \(width, height\) is larger than the image of width 12"):
        ts.batch_center_crop_images(EMPTY, (13, 4))
    with pytest.raises(ValueError, match=r"target_sizes \(5, 11\) \(width, height\) is larger than the image"):
        ts.batch_random_crop_images(EMPTY, (5, 11), seed=0)
    with pytest.raises(ValueError, match=r"CenterCrop size \(20, 20\)"):
        ts.Pipeline([ts.CenterCrop(20)])(EMPTY)


def test_empty_inputs_one_rule():
    """List in, [] out; an (0, H, W, C) array gives the (0, h, w, C) array
    its images would have filled (a per-image list of sizes, necessarily
    empty, gives [] as a batch of several output shapes does)."""
    arrays = {
        "resize": ts.batch_resize_images(EMPTY, (5, 4)),
        "crop": ts.batch_crop_images(EMPTY, (1, 2, 5, 4)),
        "center": ts.batch_center_crop_images(EMPTY, (5, 4)),
        "random": ts.batch_random_crop_images(EMPTY, (5, 4), seed=0),
    }
    for name, out in arrays.items():
        assert isinstance(out, np.ndarray) and out.shape == (0, 4, 5, 3) and out.dtype == np.uint8, name
    u16 = np.zeros((0, 10, 12, 1), np.uint16)
    assert ts.batch_resize_images(u16, (7, 2), interpolation="bicubic").shape == (0, 2, 7, 1)
    assert ts.batch_rgb_to_gray(EMPTY).shape == (0, 10, 12, 1)
    assert ts.batch_calculate_luminance(EMPTY).shape == (0,)
    out = ts.Pipeline([ts.Resize((5, 4)), ts.Normalize(0.5, 0.5)])(EMPTY)
    assert out.shape == (0, 3, 4, 5) and out.dtype == np.float32
    assert ts.Pipeline([ts.RandomResizedCrop(7), ts.ConvertChannels("gray")])(EMPTY, seed=1).shape == (0, 7, 7, 1)
    for f in (lambda im, s: ts.batch_resize_images(im, s), lambda im, s: ts.batch_center_crop_images(im, s)):
        assert f(EMPTY, []) == [] and f([], (5, 4)) == [] and f([], []) == []
    assert ts.batch_crop_images([], (1, 2, 5, 4)) == [] and ts.batch_crop_images(EMPTY, (1, 2, 5, 4), copy=False) == []
    assert ts.Pipeline([ts.CenterCrop(4)])([]) == []
    crops, boxes = ts.batch_random_crop_images(EMPTY, (5, 4), seed=0, return_boxes=True)
    assert crops.shape == (0, 4, 5, 3) and boxes == []


def test_absurd_size_refused_before_allocating():
    # 1 048 576 x 1 048 576 RGB would be 3 TiB: refused by the output budget, not by the allocator
    with pytest.raises(ValueError, match="over the limit"):
        ts.batch_resize_images([IMG], (1 << 20, 1 << 20))


def test_errors_leave_the_engine_usable():
    with pytest.raises(ValueError):
        ts.batch_crop_images([IMG], [(25, 0, 10, 5)])
    assert ts.batch_crop_images([IMG], (0, 0, 2, 2))[0].shape == (2, 2, 3)
