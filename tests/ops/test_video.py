import numpy as np
import pytest

import trainingsample as ts
from helpers import noise


def test_seed_example(rng):
    video = noise(rng, (30, 48, 64, 3))
    out = ts.batch_resize_videos([video], [(22, 22)])
    assert out[0].shape == (30, 22, 22, 3)


@pytest.mark.parametrize("interp", ["bilinear", "bicubic", "nearest"])
def test_equals_per_frame_resize(rng, interp, threads):
    video = noise(rng, (7, 50, 61, 3))
    for n in (1, 3):
        ts.set_num_threads(n)
        out = ts.resize_video(video, (20, 33), interpolation=interp)
        for t in range(7):
            np.testing.assert_array_equal(out[t], ts.resize_image(video[t], (20, 33), interpolation=interp))


def test_five_d_batch_and_gray_video(rng):
    vids = noise(rng, (2, 4, 20, 30, 3))
    out = ts.batch_resize_videos(vids, (10, 8))
    assert isinstance(out, np.ndarray) and out.shape == (2, 4, 8, 10, 3)
    np.testing.assert_array_equal(out[1, 2], ts.resize_image(vids[1, 2], (10, 8)))
    per = ts.batch_resize_videos(vids, [(10, 8), (5, 5)])
    assert per[1].shape == (4, 5, 5, 3)
    gray = noise(rng, (3, 20, 30), np.float32)
    g = ts.resize_video(gray, (7, 9))
    assert g.shape == (3, 9, 7)
    np.testing.assert_allclose(g[1], ts.resize_image(gray[1], (7, 9)))


def test_strided_video(rng):
    base = noise(rng, (6, 40, 40, 3))
    view = base[::2, ::-1, 5:35]
    out = ts.resize_video(view, (12, 10))
    np.testing.assert_array_equal(out, ts.resize_video(np.ascontiguousarray(view), (12, 10)))
