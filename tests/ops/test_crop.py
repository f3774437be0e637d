import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trainingsample as ts
from helpers import noise


class TestBoxCrop:
    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    @pytest.mark.parametrize("channels", [None, 1, 3, 4])
    def test_matches_numpy_slice(self, rng, dtype, channels):
        shape = (37, 53) if channels is None else (37, 53, channels)
        img = noise(rng, shape, dtype)
        out = ts.batch_crop_images([img, img], [(3, 5, 20, 11), (0, 0, 53, 37)])
        np.testing.assert_array_equal(out[0], img[5:16, 3:23])
        np.testing.assert_array_equal(out[1], img)
        assert out[0].flags.c_contiguous and not np.shares_memory(out[0], img) and out[0].dtype == dtype

    def test_seed_example_shapes(self, rng):
        images = [noise(rng, (480, 640, 3)) for _ in range(10)]
        cropped = ts.batch_crop_images(images, [(50, 50, 200, 200)] * 10)
        assert [c.shape for c in cropped] == [(200, 200, 3)] * 10
        np.testing.assert_array_equal(cropped[7], images[7][50:250, 50:250])

    def test_integer_kinds_give_the_same_crops(self, rng):
        """Plain ints (the fast path), numpy integers, int subclasses and
        numpy arrays of boxes are all accepted and crop the same pixels."""

        class Index(int):
            pass

        imgs = [noise(rng, (40, 50, 3)) for _ in range(3)]
        plain = [(1, 2, 30, 20), (0, 0, 50, 40), (5, 7, 11, 13)]
        expected = [img[y : y + h, x : x + w] for img, (x, y, w, h) in zip(imgs, plain)]
        kinds = [
            plain,
            np.array(plain),
            [tuple(np.int64(v) for v in b) for b in plain],
            [(np.int32(x), Index(y), w, h) for x, y, w, h in plain],
        ]
        for boxes in kinds:
            for out, ref in zip(ts.batch_crop_images(imgs, boxes), expected):
                np.testing.assert_array_equal(out, ref)
        for shared in ((1, 2, 30, 20), (np.int16(1), 2, Index(30), 20)):
            for out, img in zip(ts.batch_crop_images(imgs, shared), imgs):
                np.testing.assert_array_equal(out, img[2:22, 1:31])
        arr = np.stack(imgs)
        for boxes in ([(1, 2, 30, 20)] * 3, np.array([(1, 2, 30, 20)] * 3)):
            np.testing.assert_array_equal(ts.batch_crop_images(arr, boxes), arr[:, 2:22, 1:31])

    @pytest.mark.parametrize(
        "boxes, message",
        [
            ([(1, 2, 3, 4), (1, 2, 3.0, 4)], r"boxes\[1\]\[2\] must be an integer, got 3.0 \(float\)"),
            ([(1, True, 3, 4), (1, 2, 3, 4)], r"boxes\[0\]\[1\] must be an integer, got True \(bool\)"),
            ((1, 2, "3", 4), r"boxes\[2\] must be an integer, got '3' \(str\)"),
        ],
    )
    def test_a_non_integer_among_ints_is_named(self, rng, boxes, message):
        imgs = [noise(rng, (40, 50, 3)) for _ in range(2)]
        with pytest.raises(TypeError, match=message):
            ts.batch_crop_images(imgs, boxes)

    def test_array_batch_shared_box(self, rng):
        arr = noise(rng, (5, 30, 40, 3))
        out = ts.batch_crop_images(arr, (1, 2, 10, 20))
        assert isinstance(out, np.ndarray) and out.shape == (5, 20, 10, 3)
        np.testing.assert_array_equal(out, arr[:, 2:22, 1:11])

    def test_array_batch_per_image_boxes(self, rng):
        arr = noise(rng, (2, 30, 40, 3))
        same = ts.batch_crop_images(arr, [(0, 0, 5, 5), (3, 3, 5, 5)])
        assert isinstance(same, np.ndarray) and same.shape == (2, 5, 5, 3)
        np.testing.assert_array_equal(same[1], arr[1, 3:8, 3:8])
        mixed = ts.batch_crop_images(arr, [(0, 0, 5, 5), (3, 3, 6, 7)])
        assert isinstance(mixed, list) and mixed[1].shape == (7, 6, 3)

    def test_copy_false_returns_views(self, rng):
        img = noise(rng, (20, 20, 3))
        views = ts.batch_crop_images([img], (2, 3, 5, 6), copy=False)
        assert np.shares_memory(views[0], img)
        np.testing.assert_array_equal(views[0], img[3:9, 2:7])

    @pytest.mark.parametrize(
        "view",
        [
            lambda a: a[::-1],
            lambda a: a[:, ::-1],
            lambda a: a[..., ::-1],
            lambda a: a[::2, 1::3],
            lambda a: np.asfortranarray(a),
            lambda a: a.transpose(1, 0, 2),
        ],
    )
    def test_strided_and_readonly_inputs(self, rng, view):
        base = noise(rng, (40, 40, 3))
        img = view(base)
        ro = img.copy()
        ro.setflags(write=False)
        for x in (img, ro):
            out = ts.crop_image(x, (1, 2, 7, 9))
            np.testing.assert_array_equal(out, np.asarray(x)[2:11, 1:8])

    def test_single_image_forms(self, rng):
        img = noise(rng, (30, 40, 3))
        np.testing.assert_array_equal(ts.crop_image(img, (4, 5, 6, 7)), img[5:12, 4:10])
        np.testing.assert_array_equal(ts.center_crop_image(img, (20, 10)), img[10:20, 10:30])


class TestCenterCrop:
    def test_offsets_floor(self, rng):
        img = noise(rng, (11, 10, 1))
        out = ts.batch_center_crop_images([img], (3, 4))[0]
        np.testing.assert_array_equal(out, img[3:7, 3:6])  # (10-3)//2 = 3, (11-4)//2 = 3

    def test_full_size_is_identity(self, rng):
        img = noise(rng, (9, 9, 3))
        np.testing.assert_array_equal(ts.batch_center_crop_images([img], (9, 9))[0], img)


class TestRandomCrop:
    def test_reproducible_and_inside(self, rng):
        imgs = [noise(rng, (50 + i, 60 + 2 * i, 3)) for i in range(20)]
        a, boxes_a = ts.batch_random_crop_images(imgs, (16, 12), seed=7, return_boxes=True)
        b, boxes_b = ts.batch_random_crop_images(imgs, (16, 12), seed=7, return_boxes=True)
        assert boxes_a == boxes_b
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
        for img, (x, y, w, h), crop in zip(imgs, boxes_a, a):
            assert 0 <= x <= img.shape[1] - w and 0 <= y <= img.shape[0] - h
            np.testing.assert_array_equal(crop, img[y : y + h, x : x + w])
        _, boxes_c = ts.batch_random_crop_images(imgs, (16, 12), seed=8, return_boxes=True)
        assert boxes_c != boxes_a

    def test_replay_with_crop(self, rng):
        imgs = [noise(rng, (40, 40, 3)) for _ in range(4)]
        crops, boxes = ts.batch_random_crop_images(imgs, (10, 10), seed=1, return_boxes=True)
        for c, r in zip(crops, ts.batch_crop_images(imgs, boxes)):
            np.testing.assert_array_equal(c, r)

    def test_generator_is_consumed(self, rng):
        imgs = [noise(rng, (40, 40, 3))]
        g = np.random.default_rng(3)
        _, b1 = ts.batch_random_crop_images(imgs, (5, 5), seed=g, return_boxes=True)
        _, b2 = ts.batch_random_crop_images(imgs, (5, 5), seed=g, return_boxes=True)
        _, b3 = ts.batch_random_crop_images(imgs, (5, 5), seed=np.random.default_rng(3), return_boxes=True)
        assert b1 == b3  # same seed, same first draw
        assert b2 != b1  # the second call continues the generator's stream

    def test_same_boxes_whatever_the_thread_count(self, rng, threads):
        imgs = [noise(rng, (64, 64, 3)) for _ in range(12)]
        results = []
        for n in (1, 2, 5):
            ts.set_num_threads(n)
            results.append(ts.batch_random_crop_images(imgs, (32, 16), seed=42, return_boxes=True))
        for crops, boxes in results[1:]:
            assert boxes == results[0][1]
            for a, b in zip(crops, results[0][0]):
                np.testing.assert_array_equal(a, b)

    def test_single_form(self, rng):
        img = noise(rng, (20, 30, 3))
        out, box = ts.random_crop_image(img, (5, 6), seed=0, return_box=True)
        x, y, w, h = box
        np.testing.assert_array_equal(out, img[y : y + 6, x : x + 5])

    @settings(max_examples=50, deadline=None)
    @given(h=st.integers(1, 30), w=st.integers(1, 30), data=st.data())
    def test_property_crop_inside(self, h, w, data):
        cw = data.draw(st.integers(1, w))
        ch = data.draw(st.integers(1, h))
        seed = data.draw(st.integers(0, 2**31))
        img = np.arange(h * w, dtype=np.float32).reshape(h, w)
        out, (x, y, bw, bh) = ts.random_crop_image(img, (cw, ch), seed=seed, return_box=True)
        assert out.shape == (ch, cw) and (bw, bh) == (cw, ch)
        np.testing.assert_array_equal(out, img[y : y + ch, x : x + cw])
