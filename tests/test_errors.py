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


def test_absurd_size_refused_before_allocating():
    # 1 048 576 x 1 048 576 RGB would be 3 TiB: refused by the output budget, not by the allocator
    with pytest.raises(ValueError, match="over the limit"):
        ts.batch_resize_images([IMG], (1 << 20, 1 << 20))


def test_errors_leave_the_engine_usable():
    with pytest.raises(ValueError):
        ts.batch_crop_images([IMG], [(25, 0, 10, 5)])
    assert ts.batch_crop_images([IMG], (0, 0, 2, 2))[0].shape == (2, 2, 3)
