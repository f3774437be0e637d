"""Fused pipelines: resize modes, crops, flips, channels, normalisation.

References: the library's own single ops applied one by one (themselves tested
against Pillow), numpy slicing, Pillow's convert("L") and float64 oracles.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import trainingsample as ts
from trainingsample import kernels as K
from helpers import noise, photos, replay

MEAN, STD = np.array(ts.IMAGENET_MEAN), np.array(ts.IMAGENET_STD)


def oracle_normalize(img_u8, mean=MEAN, std=STD, scale=255.0, chw=True):
    x = (img_u8.astype(np.float64) / scale - mean) / std
    return x.transpose(2, 0, 1) if chw else x


class TestResizeModes:
    @pytest.mark.parametrize("w,h", [(640, 480), (480, 640), (500, 500), (333, 1000), (7, 3)])
    def test_shorter_longer_exact_shapes(self, rng, w, h):
        img = noise(rng, (h, w, 3))
        short, long_ = min(w, h), max(w, h)
        out = ts.Pipeline([ts.Resize(256, "shorter")]).image(img)
        tw, th = (256, int(256 * h / w)) if w <= h else (int(256 * w / h), 256)  # torchvision's rule
        assert out.shape == (th, tw, 3)
        out = ts.Pipeline([ts.Resize(100, "longer")]).image(img)
        assert max(out.shape[:2]) == 100 and min(out.shape[:2]) == max(1, int(100 * short / long_))
        out = ts.Pipeline([ts.Resize((30, 20))]).image(img)
        assert out.shape == (20, 30, 3)
        out = ts.Pipeline([ts.Resize(24)]).image(img)
        assert out.shape == (24, 24, 3)

    def test_shorter_matches_separate_resize(self, rng):
        img = noise(rng, (300, 400, 3))
        out, p = ts.Pipeline([ts.Resize(200, "shorter", interpolation="bicubic")]).image(img, return_params=True)
        assert p["size"] == (266, 200) and p["steps"][0]["size"] == (266, 200)
        np.testing.assert_array_equal(out, ts.resize_image(img, (266, 200), interpolation="bicubic"))

    @pytest.mark.parametrize("interpolation", ["bicubic", "lanczos3", "nearest"])
    @pytest.mark.parametrize("crop", ["center", "random"])
    def test_fill_equals_resize_then_crop(self, rng, interpolation, crop):
        img = noise(rng, (120, 200, 3))
        pipe = ts.Pipeline([ts.Resize((64, 64), "fill", interpolation=interpolation, crop=crop)])
        out, p = pipe.image(img, seed=5, return_params=True)
        assert out.shape == (64, 64, 3)
        resize, cropstep = p["steps"]
        assert resize["size"][1] == 64 and resize["size"][0] == round(200 * 64 / 120)
        full = ts.resize_image(img, resize["size"], interpolation=interpolation)
        x, y, w, h = cropstep["box"]
        if crop == "center":
            assert (x, y) == (int(round((resize["size"][0] - 64) / 2.0)), 0)  # torchvision's CenterCrop
        # only the kept columns are computed, from the same coefficients: bit-identical
        np.testing.assert_array_equal(out, full[y : y + h, x : x + w])

    @pytest.mark.parametrize("interpolation", ["box", "bilinear", "hamming"])
    def test_fill_equals_resize_then_crop_for_order_free_filters(self, rng, interpolation):
        # the pass order is that of the whole resize, whatever part is kept
        img = noise(rng, (150, 260, 3))
        out, p = ts.Pipeline([ts.Resize((96, 80), "fill", interpolation=interpolation)]).image(img, return_params=True)
        x, y, w, h = p["steps"][1]["box"]
        full = ts.resize_image(img, p["steps"][0]["size"], interpolation=interpolation)[y : y + h, x : x + w]
        np.testing.assert_array_equal(out, full)

    def test_fill_on_photos_source_box(self):
        img = photos()["coffee"]  # 400 x 600
        out, p = ts.Pipeline([ts.Resize((100, 100), "fill")]).image(img, return_params=True)
        assert out.shape == (100, 100, 3)
        x, y, w, h = p["source_box"]
        assert (w, h) == (400.0, 400.0) and x == pytest.approx(100.0) and y == 0.0

    @settings(max_examples=40, deadline=None)
    @given(w=st.integers(1, 300), h=st.integers(1, 300), n=st.integers(1, 64), mode=st.sampled_from(["shorter", "longer"]))
    def test_aspect_modes_property(self, w, h, n, mode):
        g, taken = ts.pipeline._plan_geometry([ts.Resize(n, mode)], w, h, np.random.default_rng(0), "x")
        tw, th = taken[0]["size"]
        side = min(tw, th) if mode == "shorter" else max(tw, th)
        assert side == n or (mode == "longer" and min(tw, th) == n and w == h)
        # the aspect ratio is kept up to the truncation of one side
        if w >= h:
            assert (tw, th) == ((max(1, int(n * w / h)), n) if mode == "shorter" else (n, max(1, int(n * h / w))))
        else:
            assert (tw, th) == ((n, max(1, int(n * h / w))) if mode == "shorter" else (max(1, int(n * w / h)), n))


class TestRandomResizedCrop:
    def test_replay_is_bit_identical(self, rng):
        imgs = [noise(rng, (90 + 7 * i, 120 - 5 * i, 3)) for i in range(6)]
        pipe = ts.Pipeline([ts.RandomResizedCrop(48, interpolation="bicubic"), ts.HorizontalFlip()])
        outs, params = pipe(imgs, seed=11, return_params=True)
        for img, out, p in zip(imgs, outs, params):
            np.testing.assert_array_equal(out, replay(img, p))

    def test_box_statistics(self):
        pipe = ts.Pipeline([ts.RandomResizedCrop(8, scale=(0.25, 0.5), ratio=(0.5, 2.0))])
        img = np.zeros((200, 200, 1), np.uint8)
        _, params = pipe([img] * 400, seed=0, return_params=True)
        boxes = np.array([p["steps"][0]["box"] for p in params], float)
        area = boxes[:, 2] * boxes[:, 3] / 40000
        ratio = boxes[:, 2] / boxes[:, 3]
        assert area.min() > 0.23 and area.max() < 0.52  # rounding of the sides
        assert ratio.min() > 0.45 and ratio.max() < 2.2
        assert (boxes[:, 0] + boxes[:, 2] <= 200).all() and (boxes[:, 1] + boxes[:, 3] <= 200).all()
        assert len({tuple(b) for b in boxes}) > 300  # really random

    def test_fallback_is_centre_with_clamped_ratio(self):
        # ratio 10 cannot fit in a square image with scale >= 0.99: torchvision falls back
        pipe = ts.Pipeline([ts.RandomResizedCrop(5, scale=(0.99, 1.0), ratio=(10.0, 10.0))])
        _, p = pipe.image(np.zeros((50, 50, 3), np.uint8), seed=0, return_params=True)
        assert p["steps"][0]["box"] == (0, 22, 50, 5)

    def test_full_scale_square_ratio_is_whole_image(self, rng):
        img = noise(rng, (40, 40, 3))
        out, p = ts.Pipeline([ts.RandomResizedCrop(20, scale=(1, 1), ratio=(1, 1))]).image(img, seed=1, return_params=True)
        assert p["steps"][0]["box"] == (0, 0, 40, 40)
        np.testing.assert_array_equal(out, ts.resize_image(img, (20, 20)))


class TestSeeds:
    PIPE = ts.Pipeline([ts.RandomResizedCrop(32), ts.HorizontalFlip(), ts.VerticalFlip(0.3),
                        ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])

    def test_same_seed_same_result_any_threads(self, rng, threads):
        imgs = [noise(rng, (64 + i, 80, 3)) for i in range(8)]
        ts.set_num_threads(1)
        a, pa = self.PIPE(imgs, seed=3, return_params=True)
        ts.set_num_threads(3)
        b, pb = self.PIPE(imgs, seed=3, return_params=True)
        assert pa == pb
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
        c, pc = self.PIPE(imgs, seed=4, return_params=True)
        assert pc != pa

    def test_per_image_seeds_do_not_depend_on_batching(self, rng):
        imgs = [noise(rng, (50, 70, 3)) for _ in range(5)]
        whole = self.PIPE(imgs, seed=[10, 11, 12, 13, 14])
        parts = self.PIPE(imgs[:2], seed=[10, 11]) + self.PIPE(imgs[2:], seed=[12, 13, 14])
        for x, y in zip(whole, parts):
            np.testing.assert_array_equal(x, y)

    def test_generator_stream_continues(self, rng):
        imgs = [noise(rng, (50, 70, 3))]
        g = np.random.default_rng(0)
        _, p1 = self.PIPE(imgs, seed=g, return_params=True)
        _, p2 = self.PIPE(imgs, seed=g, return_params=True)
        _, p3 = self.PIPE(imgs, seed=0, return_params=True)
        assert p1 == p3 and p2 != p1


class TestFlipsAndCrops:
    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    def test_flips_crops_without_resize_equal_numpy(self, rng, dtype):
        img = noise(rng, (31, 45, 3), dtype)
        pipe = ts.Pipeline([ts.Crop((2, 3, 40, 25)), ts.HorizontalFlip(1.0), ts.CenterCrop((30, 21)), ts.VerticalFlip(1.0)])
        out = pipe.image(img)
        ref = img[3:28, 2:42][:, ::-1][2:23, 5:35][::-1]
        np.testing.assert_array_equal(out, ref)
        assert out.dtype == dtype and out.flags.c_contiguous

    def test_probability_zero_and_one(self, rng):
        img = noise(rng, (10, 12, 3))
        np.testing.assert_array_equal(ts.Pipeline([ts.HorizontalFlip(0.0)]).image(img, seed=1), img)
        np.testing.assert_array_equal(ts.Pipeline([ts.HorizontalFlip(1.0)]).image(img, seed=1), img[:, ::-1])

    def test_flip_rate(self):
        imgs = [np.zeros((2, 2, 1), np.uint8)] * 1000
        _, params = ts.Pipeline([ts.HorizontalFlip(0.3)])(imgs, seed=0, return_params=True)
        rate = np.mean([p["flip"][0] for p in params])
        assert 0.25 < rate < 0.35

    def test_random_crop_inside_and_after_resize(self, rng):
        img = noise(rng, (60, 80, 3))
        pipe = ts.Pipeline([ts.Resize((40, 30), interpolation="lanczos3"), ts.RandomCrop((20, 10)), ts.HorizontalFlip(1.0)])
        out, p = pipe.image(img, seed=9, return_params=True)
        np.testing.assert_array_equal(out, replay(img, p))

    @settings(max_examples=80, deadline=None)
    @given(data=st.data())
    def test_random_geometry_equals_ops_one_by_one(self, data):
        rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
        h, w = data.draw(st.integers(4, 40)), data.draw(st.integers(4, 40))
        c = data.draw(st.sampled_from([1, 3, 4]))
        img = noise(rng, (h, w, c))
        steps = [ts.VerticalFlip(0.5)] if data.draw(st.booleans()) else []
        if data.draw(st.booleans()):
            steps.append(ts.RandomCrop((data.draw(st.integers(2, w)), data.draw(st.integers(2, h)))))
        if data.draw(st.booleans()):
            steps.append(ts.HorizontalFlip(data.draw(st.sampled_from([0.0, 0.5, 1.0]))))
        interp = data.draw(st.sampled_from(["nearest", "box", "bilinear", "bicubic", "lanczos3"]))
        steps.append(ts.Resize((data.draw(st.integers(1, 50)), data.draw(st.integers(1, 50))), interpolation=interp))
        if data.draw(st.booleans()):
            steps.append(ts.VerticalFlip(0.5))
        out, p = ts.Pipeline(steps).image(img, seed=data.draw(st.integers(0, 99)), return_params=True)
        np.testing.assert_array_equal(out, replay(img, p))


    @pytest.mark.parametrize("norm", [None, ("float32", "chw"), ("float32", "hwc"), ("float16", "chw"), ("float16", "hwc")])
    @pytest.mark.parametrize("c", [1, 3, 4])
    def test_a_flip_in_the_epilogue_equals_flipping_the_input(self, rng, norm, c):
        """Every store of the fused epilogue (raw channel selection, the
        float32 CHW planes, the float16 / HWC buffer) mirrors columns."""
        img = noise(rng, (23, 37, c))
        steps = [ts.Resize((29, 17)), ts.HorizontalFlip(1.0)]
        ref_steps = [ts.Resize((29, 17))]
        if norm is not None:
            norm_step = ts.Normalize([0.4] * c, [0.2] * c, dtype=norm[0], layout=norm[1])
            steps.append(norm_step)
            ref_steps.append(norm_step)
        out = ts.Pipeline(steps).image(img)
        resized = ts.Pipeline(ref_steps[:1]).image(img)
        flipped = np.ascontiguousarray(resized[:, ::-1])
        ref = ts.Pipeline(ref_steps[1:]).image(flipped) if norm is not None else flipped
        np.testing.assert_array_equal(out, ref)


class TestChannels:
    def test_gray_equals_pillow(self):
        for name, img in photos().items():
            if img.ndim == 3:
                out = ts.Pipeline([ts.Resize((128, 96), interpolation="bicubic"), ts.ConvertChannels("gray")]).image(img)
                ref = np.asarray(Image.fromarray(ts.resize_image(img, (128, 96), interpolation="bicubic")).convert("L"))
                np.testing.assert_array_equal(out[..., 0], ref)

    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    def test_each_target_matches_single_conversions(self, rng, dtype):
        rgb = noise(rng, (9, 13, 3), dtype)
        rgba = noise(rng, (9, 13, 4), dtype)
        gray = noise(rng, (9, 13, 1), dtype)
        full = 1.0 if dtype == np.float32 else np.iinfo(dtype).max
        conv = lambda to, img, **kw: ts.Pipeline([ts.ConvertChannels(to, **kw)]).image(img)
        np.testing.assert_array_equal(conv("bgr", rgb), rgb[..., ::-1])
        np.testing.assert_array_equal(conv("bgra", rgba), rgba[..., [2, 1, 0, 3]])
        np.testing.assert_array_equal(conv("rgb", rgba), rgba[..., :3])
        np.testing.assert_array_equal(conv("rgb", gray), np.repeat(gray, 3, axis=2))
        np.testing.assert_array_equal(conv("rgba", rgb), ts.rgb_to_rgba(rgb))
        np.testing.assert_array_equal(conv("rgba", rgb)[..., 3], np.full((9, 13), full, dtype))
        np.testing.assert_array_equal(conv("bgra", gray, alpha=7)[..., 3], np.full((9, 13), 7, dtype))
        for img in (rgb, rgba):
            g = conv("gray", img)
            # one luminance helper for both paths: bit-identical for every dtype
            np.testing.assert_array_equal(g, ts.rgb_to_gray(np.ascontiguousarray(img[..., :3])))


class TestNormalize:
    @pytest.mark.parametrize("layout", ["chw", "hwc"])
    def test_against_float64_oracle(self, rng, layout):
        imgs = noise(rng, (3, 17, 23, 3))
        out = ts.normalize(imgs, ts.IMAGENET_MEAN, ts.IMAGENET_STD, layout=layout)
        assert out.dtype == np.float32 and out.flags.c_contiguous
        ref = np.stack([oracle_normalize(im, chw=layout == "chw") for im in imgs])
        assert out.shape == ref.shape
        np.testing.assert_allclose(out, ref, rtol=2e-6, atol=2e-6)

    def test_float16_is_the_rounded_float32(self, rng):
        imgs = [noise(rng, (20, 30, 3)) for _ in range(3)]
        a = ts.normalize(imgs, 0.5, 0.25, dtype="float32")
        b = ts.normalize(imgs, 0.5, 0.25, dtype="float16")
        for x, y in zip(a, b):
            assert y.dtype == np.float16
            np.testing.assert_array_equal(y, x.astype(np.float16))

    def test_half_conversion_matches_numpy_bit_for_bit(self):
        rng = np.random.default_rng(0)
        bits = rng.integers(0, 2**32, 500_000, dtype=np.uint64).astype(np.uint32)
        special = np.array([0.0, -0.0, 1.0, 65504, 65519.99, 65520, 1e-8, 5.96e-8, 2.98e-8, 2.99e-8, 6.1e-5,
                            6.09e-5, np.inf, -np.inf, 1e10, -1e-10], np.float32)
        f = np.concatenate([bits.view(np.float32), special,
                            (rng.standard_normal(200_000) * 10 ** rng.uniform(-9, 6, 200_000)).astype(np.float32)])
        out = np.empty(f.shape, np.uint16)
        K.float32_to_half_bits(f, out)
        with np.errstate(over="ignore"):
            ref = f.astype(np.float16)
        nan = np.isnan(f)
        np.testing.assert_array_equal(out[~nan], ref.view(np.uint16)[~nan])
        assert np.isnan(out.view(np.float16)[nan]).all()

    def test_uint16_and_float32_scales(self, rng):
        u16 = noise(rng, (1, 5, 6, 3), np.uint16)
        out = ts.normalize(u16, 0.5, 0.5)
        np.testing.assert_allclose(out, (u16.astype(np.float64) / 65535 - 0.5).transpose(0, 3, 1, 2) / 0.5, atol=3e-6)
        f32 = noise(rng, (1, 5, 6, 3), np.float32)
        out = ts.normalize(f32, (0.1, 0.2, 0.3), 2.0, layout="hwc", scale=0.5)
        np.testing.assert_allclose(out, (f32.astype(np.float64) / 0.5 - [0.1, 0.2, 0.3]) / 2.0, rtol=1e-6, atol=1e-6)

    def test_into_preallocated_batch(self, rng):
        imgs = [noise(rng, (8, 9, 3)) for _ in range(4)]
        out = np.full((4, 3, 8, 9), np.nan, np.float32)
        res = ts.normalize(imgs, ts.IMAGENET_MEAN, ts.IMAGENET_STD, out=out)
        assert res is out and np.isfinite(out).all()
        np.testing.assert_allclose(out[2], oracle_normalize(imgs[2]), rtol=2e-6, atol=2e-6)

    def test_pipeline_resize_crop_normalize_matches_steps(self, rng):
        imgs = noise(rng, (4, 120, 160, 3))
        pipe = ts.Pipeline([ts.Resize(64, "shorter", interpolation="bicubic"), ts.CenterCrop(56),
                            ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
        out = pipe(imgs)
        assert out.shape == (4, 3, 56, 56)
        r = ts.batch_resize_images(imgs, (85, 64), interpolation="bicubic")
        c = ts.batch_center_crop_images(r, (56, 56))
        ref = np.stack([oracle_normalize(im) for im in c])
        np.testing.assert_allclose(out, ref, rtol=2e-6, atol=2e-6)

    def test_gray_input_normalised(self, rng):
        gray = noise(rng, (10, 11))
        out = ts.Pipeline([ts.ConvertChannels("rgb"), ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)]).image(gray)
        ref = oracle_normalize(np.repeat(gray[..., None], 3, axis=2))
        np.testing.assert_allclose(out, ref, rtol=2e-6, atol=2e-6)

    def test_torch_tensors_in_and_zero_copy_out(self, rng):
        torch = pytest.importorskip("torch")
        imgs = noise(rng, (2, 10, 12, 3))
        out = ts.normalize(torch.from_numpy(imgs), ts.IMAGENET_MEAN, ts.IMAGENET_STD)
        t = torch.from_numpy(out)
        assert t.data_ptr() == out.ctypes.data and t.shape == (2, 3, 10, 12)
        np.testing.assert_allclose(out[1], oracle_normalize(imgs[1]), rtol=2e-6, atol=2e-6)
        buf = torch.empty((2, 3, 10, 12), dtype=torch.float16)
        ts.normalize(imgs, 0.5, 0.5, dtype="float16", out=buf.numpy())
        # float16 is the float32 result rounded once
        np.testing.assert_array_equal(buf.numpy(), ts.normalize(imgs, 0.5, 0.5).astype(np.float16))


class TestOutputs:
    def test_list_in_list_out_array_in_array_out(self, rng):
        imgs = noise(rng, (3, 20, 30, 3))
        pipe = ts.Pipeline([ts.Resize((10, 8))])
        a = pipe(imgs)
        b = pipe(list(imgs))
        assert isinstance(a, np.ndarray) and a.shape == (3, 8, 10, 3) and isinstance(b, list)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(a, ts.batch_resize_images(imgs, (10, 8)))

    def test_two_d_inputs_stay_two_d(self, rng):
        img = noise(rng, (20, 30))
        out = ts.Pipeline([ts.CenterCrop(10)])([img])[0]
        np.testing.assert_array_equal(out, img[5:15, 10:20])
        one = ts.Pipeline([ts.Resize((7, 6), interpolation="bicubic")]).image(img)
        np.testing.assert_array_equal(one, ts.resize_image(img, (7, 6), interpolation="bicubic"))
        assert one.shape == (6, 7)

    def test_different_sizes_give_a_list(self, rng):
        imgs = noise(rng, (2, 20, 30, 3))
        out = ts.Pipeline([ts.RandomCrop(5)])(imgs, seed=0)
        assert out.shape == (2, 5, 5, 3)
        out = ts.Pipeline([ts.Resize(10, "shorter")])([imgs[0], imgs[1][:, :10]])
        assert isinstance(out, list) and out[0].shape == (10, 15, 3) and out[1].shape == (20, 10, 3)

    def test_empty_pipeline_copies(self, rng):
        img = noise(rng, (5, 6, 3))
        out = ts.Pipeline([]).image(img)
        np.testing.assert_array_equal(out, img)
        assert not np.shares_memory(out, img)

    def test_big_image_banded_equals_serial(self, rng, threads):
        img = noise(rng, (900, 1200, 3))
        pipe = ts.Pipeline([ts.Resize((700, 500), interpolation="bicubic"), ts.HorizontalFlip(1.0),
                            ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
        ts.set_num_threads(1)
        a = pipe.image(img)
        ts.set_num_threads(4)
        b = pipe.image(img)
        np.testing.assert_array_equal(a, b)
        ref = oracle_normalize(ts.resize_image(img, (700, 500), interpolation="bicubic")[:, ::-1])
        np.testing.assert_allclose(a, ref, rtol=2e-6, atol=2e-6)


IMG = np.zeros((20, 30, 3), np.uint8)


@pytest.mark.parametrize(
    "call,exc,pattern",
    [
        (lambda: ts.Pipeline("resize"), TypeError, "steps must be a list of pipeline steps, got str"),
        (lambda: ts.Pipeline([ts.CenterCrop(3), "flip"]), TypeError, r"steps\[1\] must be a pipeline step"),
        (lambda: ts.Pipeline([ts.Resize(3), ts.RandomResizedCrop(3)]), ValueError, r"steps\[1\] RandomResizedCrop: a pipeline resizes once \(steps\[0\]"),
        (lambda: ts.Pipeline([ts.ConvertChannels("rgb"), ts.ConvertChannels("bgr")]), ValueError, r"steps\[1\] ConvertChannels: only one"),
        (lambda: ts.Pipeline([ts.Normalize(0, 1), ts.CenterCrop(3)]), ValueError, r"steps\[0\] Normalize must be the last step"),
        (lambda: ts.Resize(10, "widest"), ValueError, "mode must be one of 'exact', 'shorter', 'longer', 'fill'; got 'widest'"),
        (lambda: ts.Resize((10, 10), "shorter"), TypeError, r"size must be an integer, got \(10, 10\)"),
        (lambda: ts.Resize(0, "longer"), ValueError, r"size must be in \[1, 1048576\], got 0"),
        (lambda: ts.Resize((10, 0)), ValueError, "size height must be >= 1, got 0"),
        (lambda: ts.Resize(10.5), TypeError, r"size must be a \(width, height\) pair or one int"),
        (lambda: ts.Resize((5, 5), "fill", crop="left"), ValueError, "crop must be one of 'center', 'random'"),
        (lambda: ts.Resize(5, interpolation="sinc"), ValueError, "interpolation must be one of"),
        (lambda: ts.CenterCrop((3, -1)), ValueError, "size height must be >= 1, got -1"),
        (lambda: ts.Crop((0, 0, 5)), TypeError, r"box must be a \(x, y, width, height\) box of 4 integers"),
        (lambda: ts.Crop((-1, 0, 5, 5)), ValueError, "box origin must be >= 0, got x=-1"),
        (lambda: ts.RandomResizedCrop(5, scale=(0.5, 0.1)), ValueError, "scale must have low <= high"),
        (lambda: ts.RandomResizedCrop(5, scale=(0.5, 1.5)), ValueError, r"scale\[1\] must be <= 1"),
        (lambda: ts.RandomResizedCrop(5, ratio=(0, 1)), ValueError, r"ratio\[0\] must be > 0, got 0"),
        (lambda: ts.RandomResizedCrop(5, ratio=(1, float("nan"))), TypeError, r"ratio\[1\] must be a finite number"),
        (lambda: ts.RandomResizedCrop(5, scale=0.5), TypeError, r"scale must be a \(low, high\) pair"),
        (lambda: ts.HorizontalFlip(1.5), ValueError, r"p must be in \[0, 1\], got 1.5"),
        (lambda: ts.VerticalFlip("0.5"), TypeError, r"p must be a number in \[0, 1\], got '0.5'"),
        (lambda: ts.ConvertChannels("yuv"), ValueError, "to must be one of 'rgb', 'bgr', 'rgba', 'bgra', 'gray'; got 'yuv'"),
        (lambda: ts.ConvertChannels("rgba", alpha="max"), TypeError, "alpha must be a finite number or None"),
        (lambda: ts.Normalize((0.5, "a"), 1), TypeError, r"mean\[1\] must be a finite number, got 'a'"),
        (lambda: ts.Normalize(0.5, (1, 0, 1)), ValueError, r"std\[1\] must not be 0"),
        (lambda: ts.Normalize(0.5, []), TypeError, "std must be a number or a non-empty sequence"),
        (lambda: ts.Normalize(0.5, 1, dtype="float64"), ValueError, "dtype must be one of 'float32', 'float16'"),
        (lambda: ts.Normalize(0.5, 1, layout="nchw"), ValueError, "layout must be one of 'chw', 'hwc'"),
        (lambda: ts.Normalize(0.5, 1, scale=0), ValueError, "scale must be > 0, got 0"),
        # per-image errors name the image and the step
        (lambda: ts.Pipeline([ts.CenterCrop((31, 2))])([IMG]), ValueError, r"images\[0\]: steps\[0\] CenterCrop size \(31, 2\) \(width, height\) is larger than the image at that step, of width 30 and height 20"),
        (lambda: ts.Pipeline([ts.Resize((10, 10)), ts.RandomCrop(11)])([IMG, IMG]), ValueError, r"images\[0\]: steps\[1\] RandomCrop size \(11, 11\) .* width 10 and height 10"),
        (lambda: ts.Pipeline([ts.Crop((25, 0, 10, 5))])([IMG]), ValueError, r"images\[0\]: steps\[0\] Crop box \(25, 0, 10, 5\) .* extends outside the image of width 30 and height 20"),
        (lambda: ts.Pipeline([ts.Normalize((0.5, 0.5), 1)])([IMG]), ValueError, r"images\[0\]: steps\[0\] Normalize mean has 2 values but the image has 3 channel\(s\)"),
        (lambda: ts.Pipeline([ts.ConvertChannels("rgb")])([np.zeros((4, 4, 2), np.uint8)]), ValueError, r"images\[0\] has 2 channel\(s\); ConvertChannels takes 1"),
        (lambda: ts.Pipeline([ts.ConvertChannels("rgba", alpha=300)])([IMG]), ValueError, r"alpha must be an integer in \[0, 255\] for uint8 images, got 300"),
        (lambda: ts.Pipeline([ts.Resize(1 << 20, "shorter")])([IMG]), ValueError, r"images\[0\]: steps\[0\] Resize width 1572864 exceeds the maximum"),
        (lambda: ts.Pipeline([ts.RandomCrop(3)])([IMG, IMG], seed=[1]), ValueError, "seed has 1 entries but there are 2 images"),
        (lambda: ts.Pipeline([ts.RandomCrop(3)])([IMG], seed=[-1]), ValueError, r"seed\[0\] must be >= 0"),
        (lambda: ts.Pipeline([])([IMG], return_params=1), TypeError, "return_params must be True or False"),
        (lambda: ts.normalize([IMG], 0, 1, out=np.zeros((1, 3, 20, 31), np.float32)), ValueError, r"out has shape \(1, 3, 20, 31\), expected \(1, 3, 20, 30\)"),
        (lambda: ts.normalize([IMG], 0, 1, out=np.zeros((1, 3, 20, 30), np.float64)), TypeError, "out has dtype float64, expected float32"),
        (lambda: ts.normalize([IMG], 0, 1, out=np.zeros((1, 3, 30, 20), np.float32).transpose(0, 1, 3, 2)), ValueError, "out must be a writeable C-contiguous array"),
        (lambda: ts.normalize([IMG], 0, 1, out=[0]), TypeError, "out must be a numpy array, got list"),
        (lambda: ts.normalize([IMG, IMG[:5]], 0, 1, out=np.zeros((2, 3, 20, 30), np.float32)), ValueError, "out: the outputs have different shapes"),
        (lambda: ts.Pipeline([]).image(np.zeros((3,), np.uint8)), ValueError, r"image must have shape \(H, W\) or \(H, W, C\)"),
    ],
)
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_steps_compare_and_print():
    assert ts.Resize(5) == ts.Resize(5) and ts.Resize(5) != ts.Resize(6) and hash(ts.CenterCrop(3)) == hash(ts.CenterCrop(3))
    assert "RandomResizedCrop(size=(7, 7)" in repr(ts.Pipeline([ts.RandomResizedCrop(7)]))


def test_rrc_params_math_matches_torchvision_formula():
    # the window's side lengths come from round(sqrt(area * ratio)) as in torchvision
    g = np.random.default_rng(0)
    box = ts.pipeline._rrc_box(100, 80, (0.3, 0.3), (2.0, 2.0), g)
    assert box[2:] == (int(round(math.sqrt(2400 * 2))), int(round(math.sqrt(2400 / 2))))
