import numpy as np
import pytest
from PIL import Image

import trainingsample as ts
from trainingsample import kernels as K
from helpers import noise, photos
from reference import luminance as oracle_luminance


class TestLuminance:
    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    @pytest.mark.parametrize("channels", [1, 3, 4])
    @pytest.mark.parametrize("standard", ["bt601", "bt709"])
    def test_matches_float64_oracle(self, rng, dtype, channels, standard):
        w = {"bt601": (0.299, 0.587, 0.114), "bt709": (0.2126, 0.7152, 0.0722)}[standard]
        imgs = [noise(rng, (31, 1366, channels), dtype), noise(rng, (7, 1, channels), dtype)]
        got = ts.batch_calculate_luminance(imgs, standard=standard)
        assert isinstance(got, list) and all(isinstance(v, float) for v in got)
        for g, img in zip(got, imgs):
            assert g == pytest.approx(oracle_luminance(img, w), rel=1e-9)

    def test_photos_and_2d(self):
        for img in photos().values():
            assert ts.calculate_luminance(img) == pytest.approx(oracle_luminance(img), rel=1e-12)

    def test_alpha_ignored(self, rng):
        rgb = noise(rng, (20, 20, 3))
        rgba = np.concatenate([rgb, noise(rng, (20, 20, 1))], axis=2)
        assert ts.calculate_luminance(rgba) == ts.calculate_luminance(rgb)

    def test_array_batch_returns_array(self, rng):
        arr = noise(rng, (4, 10, 12, 3))
        got = ts.batch_calculate_luminance(arr)
        assert isinstance(got, np.ndarray) and got.shape == (4,)
        for g, img in zip(got, arr):
            assert g == pytest.approx(oracle_luminance(img), rel=1e-12)

    def test_identical_at_any_thread_count(self, rng, threads):
        imgs = [noise(rng, (400, 333, 3), np.float32), noise(rng, (1000, 700, 3))]
        ts.set_num_threads(1)
        one = ts.batch_calculate_luminance(imgs)
        for n in (2, 3, 7):
            ts.set_num_threads(n)
            assert ts.batch_calculate_luminance(imgs) == one  # exact equality

    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
    @pytest.mark.parametrize("channels", [3, 4])
    def test_lane_sums_equal_channel_sums(self, rng, dtype, channels):
        # Integer RGB/RGBA rows stored flat are summed in contiguous lanes
        # (blocks of 192 or 64 elements, then a tail): the row sums must be
        # the exact per-channel sums, for widths around the block sizes and
        # for full-scale pixels (the largest sums).
        full = np.iinfo(dtype).max
        for width in (1, 15, 16, 63, 64, 65, 127, 128, 129, 1366):
            for img in (noise(rng, (2, 3, width, channels), dtype), np.full((1, 2, width, channels), full, dtype)):
                want = img[..., :3].sum(axis=2, dtype=np.uint64)
                got = np.zeros(want.shape, np.uint64)
                acc = np.uint32(0) if dtype == np.uint8 else np.uint64(0)
                flat = img.reshape(img.shape[0], img.shape[1], width * channels)
                K.channel_row_sums_flat(flat, got, acc, channels, 0, img.shape[0], 0, img.shape[1])
                np.testing.assert_array_equal(got, want, err_msg=f"width {width}")
                per_channel = np.zeros(want.shape, np.uint64)
                K.channel_row_sums(img, per_channel, acc, 0, img.shape[0], 0, img.shape[1])
                np.testing.assert_array_equal(per_channel, want)

    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    def test_views_equal_copies(self, rng, dtype):
        # flat rows take the lane kernel, other strides the per-channel one
        img = noise(rng, (50, 300, 4), dtype)
        for view in (img[:, :, :3], img[:, :, 2::-1], img[:, ::2], img[::-1], img[:, :, 1:]):
            assert ts.calculate_luminance(view) == ts.calculate_luminance(view.copy())

    @pytest.mark.parametrize("channels", [2, 5])
    def test_other_channel_counts_rejected(self, rng, channels):
        with pytest.raises(ValueError, match=r"images\[0\] has %d channel" % channels):
            ts.batch_calculate_luminance([noise(rng, (4, 4, channels))])

    def test_unknown_standard(self, rng):
        with pytest.raises(ValueError, match="'bt601', 'bt709'"):
            ts.batch_calculate_luminance([noise(rng, (4, 4, 3))], standard="rec2020")


class TestConversions:
    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    def test_rgb_rgba_roundtrip(self, rng, dtype):
        img = noise(rng, (17, 29, 3), dtype)
        alpha = 1.0 if dtype == np.float32 else 7
        rgba = ts.batch_rgb_to_rgba([img], alpha=alpha)[0]
        assert rgba.shape == (17, 29, 4) and rgba.dtype == dtype
        np.testing.assert_array_equal(rgba[..., :3], img)
        assert (rgba[..., 3] == alpha).all()
        np.testing.assert_array_equal(ts.batch_rgba_to_rgb([rgba])[0], img)

    def test_rgba_conversions_on_strided_views(self, rng):
        base = noise(rng, (20, 30, 4))
        for view in (base[::-1], base[:, ::2], base[..., [3, 2, 1, 0]][:, 1:], np.asfortranarray(base)):
            np.testing.assert_array_equal(ts.rgba_to_rgb(view), view[..., :3])
            rgb = view[..., :3]
            np.testing.assert_array_equal(ts.rgb_to_rgba(rgb, alpha=9)[..., :3], rgb)

    def test_bgr(self, rng):
        img = noise(rng, (5, 6, 3))
        np.testing.assert_array_equal(ts.rgb_to_bgr(img), img[..., ::-1])
        rgba = noise(rng, (5, 6, 4))
        np.testing.assert_array_equal(ts.rgb_to_bgr(rgba), rgba[..., [2, 1, 0, 3]])

    def test_gray_equals_pillow_convert_l(self):
        for name, img in photos().items():
            if img.ndim == 3:
                got = ts.rgb_to_gray(img)
                assert got.shape == img.shape[:2] + (1,)
                np.testing.assert_array_equal(got[..., 0], np.asarray(Image.fromarray(img).convert("L")))

    def test_gray_noise_rgba_and_float(self, rng):
        img = noise(rng, (33, 65, 4))
        np.testing.assert_array_equal(ts.rgb_to_gray(img)[..., 0], np.asarray(Image.fromarray(img, "RGBA").convert("L")))
        f = noise(rng, (8, 9, 3), np.float32)
        np.testing.assert_allclose(ts.rgb_to_gray(f)[..., 0], f @ np.array([0.299, 0.587, 0.114]), rtol=1e-6)
        u16 = noise(rng, (8, 9, 3), np.uint16)
        ref = np.floor(u16.astype(np.float64) @ np.array([19595, 38470, 7471]) / 65536 + 0.5)
        np.testing.assert_array_equal(ts.rgb_to_gray(u16)[..., 0], ref)

    def test_gray_to_rgb(self, rng):
        g = noise(rng, (6, 7))
        out = ts.gray_to_rgb(g)
        assert out.shape == (6, 7, 3)
        for c in range(3):
            np.testing.assert_array_equal(out[..., c], g)

    def test_array_batches(self, rng):
        arr = noise(rng, (3, 8, 9, 3))
        out = ts.batch_rgb_to_rgba(arr)
        assert isinstance(out, np.ndarray) and out.shape == (3, 8, 9, 4)

    @pytest.mark.parametrize("alpha", [-1, 256, 3.5])
    def test_alpha_out_of_range_uint8(self, rng, alpha):
        with pytest.raises(ValueError, match=r"alpha must be an integer in \[0, 255\]"):
            ts.batch_rgb_to_rgba([noise(rng, (2, 2, 3))], alpha=alpha)

    @pytest.mark.parametrize("dtype,opaque", [(np.uint8, 255), (np.uint16, 65535), (np.float32, 1.0)])
    def test_default_alpha_is_opaque(self, rng, dtype, opaque):
        out = ts.rgb_to_rgba(noise(rng, (3, 4, 3), dtype))
        assert out.dtype == dtype and (out[..., 3] == opaque).all()

    def test_alpha_type_and_nan(self, rng):
        with pytest.raises(TypeError, match="alpha must be a number"):
            ts.rgb_to_rgba(noise(rng, (2, 2, 3)), alpha="255")
        with pytest.raises(ValueError, match="finite"):
            ts.rgb_to_rgba(noise(rng, (2, 2, 3), np.float32), alpha=float("nan"))

    @pytest.mark.parametrize(
        "fn,good,bad",
        [
            (ts.batch_rgb_to_rgba, 3, 4),
            (ts.batch_rgba_to_rgb, 4, 3),
            (ts.batch_rgb_to_gray, 3, 1),
            (ts.batch_gray_to_rgb, 1, 3),
            (ts.batch_rgb_to_bgr, 3, 2),
        ],
    )
    def test_wrong_channel_count(self, rng, fn, good, bad):
        with pytest.raises(ValueError, match=r"images\[1\] has %d channel" % bad):
            fn([noise(rng, (3, 3, good)), noise(rng, (3, 3, bad))])
