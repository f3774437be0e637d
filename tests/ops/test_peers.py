"""Exact against the peers' own definitions.

Pillow 13's pass order and 16-bit / float paths (Resample.c), Pillow's
published accuracy tables (Tests/test_image_resample.py), torchvision's eval
transform (Resize(N) with PIL, CenterCrop's round((H - h) / 2), ToTensor,
Normalize), and the fused Pipeline against its steps run one by one.
"""
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

import trainingsample as ts
from trainingsample import kernels as K
from trainingsample import pipeline as P
from trainingsample import resize as R
from trainingsample import _validate as V
from helpers import PIL_FILTERS, noise, photos, replay
from reference import resize as oracle_resize
from reference import resize_rounded, tie_pixels



def pil_resize(img, size, interp):
    """Pillow, each channel as its own image ('L', 'I;16' or 'F')."""
    chans = []
    for c in range(img.shape[2]):
        ch = np.ascontiguousarray(img[..., c])
        chans.append(np.asarray(Image.fromarray(ch).resize(size, PIL_FILTERS[interp])))
    return np.stack(chans, axis=-1)


def pil_pass(img, size, interp, order):
    """Pillow with its passes made explicit: ``order`` "hv" or "vh"."""
    h, w = img.shape[:2]
    mid = (size[0], h) if order == "hv" else (w, size[1])
    return pil_resize(pil_resize(img, mid, interp), size, interp)


# ---------------------------------------------------------------------------
# Pillow 13's pass order


# (in_w, in_h, out_w, out_h) where the two orders of an overshooting filter
# give different pixels on noise, on both sides of the rule
ORDER_GRID = [(48, 40, ow, oh) for ow in (5, 17, 30, 47, 48, 60, 97) for oh in (3, 11, 19, 26, 33, 39, 41, 80)]
ORDER_GRID += [(31, 64, ow, oh) for ow in (7, 16, 29, 40) for oh in (5, 12, 20, 33, 50, 63, 90)]


class TestPillowPassOrder:
    def test_rule_is_what_the_installed_pillow_does(self):
        """Pillow's result equals its explicit vertical-first passes exactly
        where pillow_vertical_first says so, and its horizontal-first passes
        elsewhere (checked where the two orders differ, which they do on
        noise with lanczos)."""
        rng = np.random.default_rng(0)
        decided = 0
        for w, h, ow, oh in ORDER_GRID:
            img = noise(rng, (h, w, 1))
            got = pil_resize(img, (ow, oh), "lanczos3")
            hv, vh = pil_pass(img, (ow, oh), "lanczos3", "hv"), pil_pass(img, (ow, oh), "lanczos3", "vh")
            if np.array_equal(hv, vh):
                continue
            decided += 1
            want = vh if R.pillow_vertical_first(h, w, oh, ow) else hv
            np.testing.assert_array_equal(got, want, err_msg=str((w, h, ow, oh)))
        assert decided >= 60

    @pytest.mark.parametrize("interp", ["nearest", "bicubic", "lanczos3"])
    def test_bit_identical_on_a_dense_grid(self, interp):
        rng = np.random.default_rng(1)
        for w, h, ow, oh in ORDER_GRID:
            img = noise(rng, (h, w, 3))
            np.testing.assert_array_equal(ts.resize_image(img, (ow, oh), interpolation=interp),
                                          pil_resize(img, (ow, oh), interp), err_msg=str((w, h, ow, oh)))

    @pytest.mark.parametrize("interp", ["box", "bilinear", "hamming"])
    def test_filters_without_negative_lobes_are_bit_identical_too(self, interp):
        """Their pass order is visible as well (the intermediate is rounded):
        one grey level in about a fifth of the pixels where the other order
        is taken, so it is Pillow's at every size, where the other order
        would have been cheaper too (the last three sizes)."""
        rng = np.random.default_rng(2)
        sizes = ORDER_GRID + [(700, 500, 300, 220), (640, 480, 97, 311), (500, 700, 224, 224), (500, 375, 298, 224)]
        for w, h, ow, oh in sizes:
            img = noise(rng, (h, w, 3))
            np.testing.assert_array_equal(ts.resize_image(img, (ow, oh), interpolation=interp),
                                          pil_resize(img, (ow, oh), interp), err_msg=str((w, h, ow, oh)))
            ours = R.pass_order(h, w, 3, oh, ow, np.dtype(np.uint8), interp, True)
            if oh != h and ow != w:
                assert ours == (K.ORDER_VH if R.pillow_vertical_first(h, w, oh, ow) else K.ORDER_HV), (w, h, ow, oh)

    @pytest.mark.parametrize("interp", ["bicubic", "lanczos3"])
    def test_astronaut_vertical_first(self, interp):
        img = photos()["astronaut"]  # 512 x 512 -> 451 x 300: Pillow 13 goes vertical-first
        assert R.pillow_vertical_first(512, 512, 300, 451)
        np.testing.assert_array_equal(ts.resize_image(img, (451, 300), interpolation=interp),
                                      pil_resize(img, (451, 300), interp))

    def test_crop_then_resize_takes_the_crop_sizes(self):
        """torchvision's resized_crop is PIL crop() then resize(): the rule
        sees the crop's size; a crop view does the same here."""
        img = noise(np.random.default_rng(3), (200, 180, 3))
        x, y, w, h = 13, 21, 120, 150
        ref = np.asarray(Image.fromarray(img).crop((x, y, x + w, y + h)).resize((100, 40), Image.BICUBIC))
        np.testing.assert_array_equal(ts.resize_image(img[y : y + h, x : x + w], (100, 40), interpolation="bicubic"), ref)
        out = ts.Pipeline([ts.Crop((x, y, w, h)), ts.Resize((100, 40), interpolation="bicubic")]).image(img)
        np.testing.assert_array_equal(out, ref)


# ---------------------------------------------------------------------------
# Pillow's published accuracy tables (TestImagingCoreResampleAccuracy)


def make_case(size, color):
    """Two dark and two bright squares (Pillow's make_case), (H, W) uint8."""
    w, h = size
    case = np.full((h, w), 255 - color, np.uint8)
    case[: h // 2, : w // 2] = color
    case[h // 2 :, w // 2 :] = color
    return case


def make_sample(data, size):
    """Pillow's make_sample: the hex top-left quarter, mirrored and inverted."""
    data = data.replace(" ", "")
    w, h = size[0] // 2, size[1] // 2
    out = np.zeros((size[1], size[0]), np.int64)
    for y in range(h):
        for x in range(w):
            val = int(data[(y * w + x) * 2 : (y * w + x + 1) * 2], 16)
            out[y, x] = val
            out[size[1] - y - 1, size[0] - x - 1] = val
            out[size[1] - y - 1, x] = 255 - val
            out[y, size[0] - x - 1] = 255 - val
    return out


ACCURACY = [  # (filter, case size, output size, Pillow's expected quarter)
    ("box", (8, 8), (4, 4), "e1 e1 e1 e1"),
    ("bilinear", (8, 8), (4, 4), "e1 c9 c9 b7"),
    ("hamming", (8, 8), (4, 4), "e1 da da d3"),
    ("bicubic", (12, 12), (6, 6), "e1 e3 d4 e3 e5 d6 d4 d6 c9"),
    ("lanczos3", (16, 16), (8, 8), "e1 e0 e4 d7 e0 df e3 d6 e4 e3 e7 da d7 d6 d9 ce"),
    ("box", (2, 2), (4, 4), "e1 e1 e1 e1"),
    ("bilinear", (2, 2), (4, 4), "e1 b0 b0 98"),
    ("hamming", (2, 2), (4, 4), "e1 d2 d2 c5"),
    ("bicubic", (4, 4), (8, 8), "e1 e5 ee b9 e5 e9 f3 bc ee f3 fd c1 b9 bc c1 a2"),
    ("lanczos3", (6, 6), (12, 12), "e1 e0 db ed f5 b8 e0 df da ec f3 b7 db db d6 e7 ee b5 "
                                   "ed ec e6 fb ff bf f5 f4 ee ff ff c4 b8 b7 b4 bf c4 a0"),
]


@pytest.mark.parametrize("interp,case_size,size,data", ACCURACY)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_pillow_accuracy_tables(interp, case_size, size, data, channels):
    case = np.repeat(make_case(case_size, 0xE1)[..., None], channels, axis=2)
    out = ts.resize_image(case, size, interpolation=interp)
    want = make_sample(data, size)
    for c in range(channels):
        np.testing.assert_array_equal(out[..., c], want)


# ---------------------------------------------------------------------------
# float32 and uint16: Pillow 13's F and I;16 paths sum in double


class TestFloat32:
    @pytest.mark.parametrize("color", [1.0, 3.40282306074e38, 1.175494e-38, 1.192093e-07])
    @pytest.mark.parametrize("interp", ["bilinear", "bicubic", "lanczos3"])
    def test_pillow_consistency_constants(self, color, interp):
        """Pillow's TestCoreResampleConsistency.test_32f: a constant image
        512x9 -> 9x512 stays exactly constant (and finite)."""
        img = np.full((9, 512), color, np.float32)
        out = ts.resize_image(img, (9, 512), interpolation=interp)
        assert np.isfinite(out).all()
        np.testing.assert_array_equal(out, np.float32(color))

    @pytest.mark.parametrize("interp", ["box", "bilinear", "hamming", "bicubic", "lanczos3"])
    def test_within_two_ulp_of_pillow_mode_f(self, interp):
        worst = 0
        for name, img in photos().items():
            x = (img if img.ndim == 3 else img[..., None]).astype(np.float32) / np.float32(255)
            for size in [(224, 224), (97, 311), (700, 1024), (451, 300)]:
                out = ts.resize_image(x, size, interpolation=interp)
                ref = pil_resize(x, size, interp)
                ulp = np.spacing(np.maximum(np.abs(out), np.abs(ref)).astype(np.float32))
                worst = max(worst, float((np.abs(out - ref) / ulp).max()))
        assert worst <= 2, worst

    def test_huge_values_stay_finite_and_accurate(self, rng):
        """Finite input whose true result is finite never gives inf or NaN
        (float32 sums overflowed near 3.4e38 before)."""
        img = rng.uniform(-1e38, 1e38, (40, 60, 1)).astype(np.float32)
        img[:, :30] = np.float32(1e38)
        for interp in ["bicubic", "lanczos3", "lanczos4"]:
            for size in [(7, 5), (120, 90), (61, 13)]:
                out = ts.resize_image(img, size, interpolation=interp)
                ref = oracle_resize(img, size, interp)
                assert np.isfinite(out).all(), (interp, size)
                assert np.abs(out - ref).max() <= 1e-6 * 1e38, (interp, size)


class TestUint16:
    @settings(max_examples=60, deadline=None)
    @given(n=st.integers(1, 3000), m=st.integers(1, 40), value=st.integers(0, 65535),
           interp=st.sampled_from(["box", "bilinear", "hamming", "bicubic", "lanczos3", "lanczos4"]),
           antialias=st.booleans(), vertical=st.booleans())
    @example(n=365, m=3, value=47157, interp="box", antialias=True, vertical=False)
    @example(n=1000, m=1, value=62090, interp="bilinear", antialias=True, vertical=False)
    def test_constant_stays_constant_at_any_scale(self, n, m, value, interp, antialias, vertical):
        shape = (n, 1, 1) if vertical else (1, n, 1)
        size = (1, m) if vertical else (m, 1)
        out = ts.resize_image(np.full(shape, value, np.uint16), size, interpolation=interp, antialias=antialias)
        np.testing.assert_array_equal(out, value)

    @pytest.mark.parametrize("interp", ["box", "bilinear", "hamming", "bicubic", "lanczos3"])
    def test_within_one_level_of_a_float64_oracle(self, rng, interp):
        img = noise(rng, (300, 1200, 2), np.uint16)
        for size in [(1, 1), (3, 2), (37, 29), (1200, 7), (500, 700)]:
            out = ts.resize_image(img, size, interpolation=interp)
            order = "vh" if R.pillow_vertical_first(300, 1200, size[1], size[0]) else "hv"
            orders = [order] if interp in ("bicubic", "lanczos3") else ["hv", "vh"]
            diff = min((np.abs(out - resize_rounded(img, size, interp, 65535, True, o)) for o in orders),
                       key=lambda d: d.max())
            assert diff.max() <= 1, (size, diff.max())

    @pytest.mark.parametrize("interp", ["bicubic", "lanczos3", "bilinear"])
    def test_equals_pillow_i16_but_for_exacttie_pixels(self, rng, interp):
        """Pillow 13 resizes I;16 in double with ROUND_UP and CLIP16 per pass,
        as we do.  Where the exact sum is a half (weights such as -3/34 and
        37/34 make that frequent), the order of the additions and FMA decide
        the rounding: only there may a pixel be one level off Pillow."""
        img = noise(rng, (60, 90, 1), np.uint16)
        for size in [(40, 30), (13, 50), (200, 120), (90, 7)]:
            out = ts.resize_image(img, size, interpolation=interp)
            ref = pil_resize(img, size, interp)
            diff = np.abs(out.astype(np.int64) - ref)
            assert diff.max() <= 1, size
            order = "vh" if R.pillow_vertical_first(60, 90, size[1], size[0]) else "hv"
            ours = R.pass_order(60, 90, 1, size[1], size[0], np.dtype(np.uint16), interp, True)
            if ours not in (K.ORDER_V, K.ORDER_H, K.ORDER_VH if order == "vh" else K.ORDER_HV):
                assert interp in R.NONNEGATIVE, size  # only order-free filters may differ
                continue
            ties = tie_pixels(img, size, interp, order)
            assert not (diff.astype(bool) & ~ties).any(), size

    def test_tie_mask_is_needed(self, rng):
        """The exception above is real: without it Pillow and we differ."""
        img = noise(rng, (60, 90, 1), np.uint16)
        diff = ts.resize_image(img, (40, 30), interpolation="bilinear") != pil_resize(img, (40, 30), "bilinear")
        assert diff.any() and (diff <= tie_pixels(img, (40, 30), "bilinear", "hv")).all()

    def test_pillow_clamp_overflow_case(self):
        """Pillow's TestCoreResample16bpc: lanczos overshoot at a step edge is
        clamped to [0, 65535]; it equals round() of the F result clamped."""
        for offset in (0, 50):
            img = np.zeros((10, 100, 1), np.uint16)
            img[:, offset : offset + 50] = 65535
            out = ts.resize_image(img, (20, 10), interpolation="lanczos3")
            f = ts.resize_image(img.astype(np.float32), (20, 10), interpolation="lanczos3")
            np.testing.assert_array_equal(out, np.clip(np.round(f.astype(np.float64)), 0, 65535))


# ---------------------------------------------------------------------------
# torchvision's eval transform


def torchvision_eval(img, resize=256, crop=224, normalize=True):
    """torchvision's PIL eval recipe with the calls its transforms make:
    Resize(N) -> F.resize -> _compute_resized_output_size (short side N,
    long side int(N * long / short)) and PIL resize(BILINEAR); CenterCrop ->
    top = int(round((H - h) / 2.0)), left likewise, PIL crop; ToTensor
    (/255, CHW); Normalize ((x - mean) / std)."""
    pil = Image.fromarray(img)
    w, h = pil.size
    short, long_ = (w, h) if w <= h else (h, w)
    new_short, new_long = resize, int(resize * long_ / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    pil = pil.resize((new_w, new_h), Image.BILINEAR)
    top = int(round((new_h - crop) / 2.0))
    left = int(round((new_w - crop) / 2.0))
    pil = pil.crop((left, top, left + crop, top + crop))
    x = np.asarray(pil)
    if not normalize:
        return x
    t = x.astype(np.float32).transpose(2, 0, 1) / np.float32(255)
    mean = np.array(ts.IMAGENET_MEAN, np.float32)[:, None, None]
    std = np.array(ts.IMAGENET_STD, np.float32)[:, None, None]
    return (t - mean) / std


class TestTorchvisionEval:
    def test_center_crop_origin_is_rounded_half_to_even(self):
        for big in range(224, 240):
            for small in (224, 225):
                if small > big:
                    continue
                _, taken = P._plan_geometry([ts.CenterCrop((small, small))], big, big + 1, None, "x")
                x, y = taken[0]["box"][:2]
                assert (x, y) == (int(round((big - small) / 2.0)), int(round((big + 1 - small) / 2.0)))
        # the upstream functions keep the floor origin
        img = np.zeros((9, 9, 1), np.uint8)
        img[2, 2] = 1  # a 6 x 6 crop: (9 - 6) // 2 = 1, round(1.5) = 2
        assert ts.center_crop_image(img, (6, 6))[1, 1, 0] == 1
        assert ts.Pipeline([ts.CenterCrop(6)]).image(img)[0, 0, 0] == 1

    def test_rocket_matches_torchvision(self):
        from skimage import data

        img = data.rocket()  # 427 x 640: 256 x 383, crop left 80 (round(79.5) = 80)
        pipe = ts.Pipeline([ts.Resize(256, "shorter"), ts.CenterCrop(224)])
        out, p = pipe.image(img, return_params=True)
        assert p["steps"][0]["size"] == (383, 256) and p["steps"][1]["box"][:2] == (80, 16)
        np.testing.assert_array_equal(out, torchvision_eval(img, normalize=False))  # Pillow's bilinear, bit for bit
        norm = ts.Pipeline([ts.Resize(256, "shorter"), ts.CenterCrop(224), ts.Normalize(ts.IMAGENET_MEAN, ts.IMAGENET_STD)])
        got = norm.image(img)
        std = np.array(ts.IMAGENET_STD)[:, None, None]
        assert (np.abs(got - torchvision_eval(img)) * std).max() <= 2e-6  # one multiply-add against three roundings

    def test_grid_of_sizes_both_orientations(self):
        rng = np.random.default_rng(4)
        base = photos()["chelsea"]
        pipe = ts.Pipeline([ts.Resize(256, "shorter"), ts.CenterCrop(224)])
        for a in range(200, 701, 53):
            for b in (200, 233, 256, 311, 480, 599, 700):
                for w, h in ((a, b), (b, a)):
                    img = np.asarray(Image.fromarray(base).resize((w, h), Image.BILINEAR))
                    img = np.clip(img.astype(int) + rng.integers(-20, 21, img.shape), 0, 255).astype(np.uint8)
                    out = pipe.image(img)
                    ref = torchvision_eval(img, normalize=False)
                    assert out.shape == ref.shape == (224, 224, 3), (w, h)
                    np.testing.assert_array_equal(out, ref, err_msg=str((w, h)))

    @settings(max_examples=200, deadline=None)
    @given(w=st.integers(1, 5000), h=st.integers(1, 5000), n=st.integers(1, 1024))
    @example(w=1, h=1025, n=1024)
    def test_shorter_output_size_is_torchvision_s(self, w, h, n):
        short, long_ = (w, h) if w <= h else (h, w)
        new_short, new_long = n, int(n * long_ / short)
        want = (new_short, new_long) if w <= h else (new_long, new_short)
        if new_long > V.MAX_SIDE:
            with pytest.raises(ValueError, match="exceeds the maximum"):
                P._plan_geometry([ts.Resize(n, "shorter")], w, h, None, "x")
            return
        _, taken = P._plan_geometry([ts.Resize(n, "shorter")], w, h, None, "x")
        assert taken[0]["size"] == want


# ---------------------------------------------------------------------------
# fused == one by one


def convert(img, to):
    if to == "gray":
        return ts.rgb_to_gray(img[..., :3] if img.shape[2] == 4 else img)
    if to == "rgba":
        return ts.rgb_to_rgba(img) if img.shape[2] == 3 else img
    if to == "bgr":
        return ts.rgb_to_bgr(img)
    return img


class TestFusedEqualsOneByOne:
    def test_chelsea_shorter_then_center_crop(self):
        img = photos()["chelsea"]
        for interp in ["box", "bilinear", "hamming", "bicubic", "lanczos3"]:
            out, p = ts.Pipeline([ts.Resize(256, "shorter", interpolation=interp), ts.CenterCrop(224)]).image(img, return_params=True)
            np.testing.assert_array_equal(out, replay(img, p), err_msg=interp)

    @settings(max_examples=150, deadline=None)
    @given(data=st.data())
    def test_resize_then_crop_any_sizes(self, data):
        """Output crops of every shape, where the kept region alone would
        prefer another pass order than the whole resize."""
        rng = np.random.default_rng(data.draw(st.integers(0, 10**6)))
        dtype = data.draw(st.sampled_from([np.uint8, np.uint16, np.float32]))
        h, w = data.draw(st.integers(2, 120)), data.draw(st.integers(2, 120))
        img = noise(rng, (h, w, data.draw(st.sampled_from([1, 3]))), dtype)
        interp = data.draw(st.sampled_from(["box", "bilinear", "hamming", "bicubic", "lanczos3", "nearest"]))
        tw, th = data.draw(st.integers(1, 160)), data.draw(st.integers(1, 160))
        cw, ch = data.draw(st.integers(1, tw)), data.draw(st.integers(1, th))
        aa = data.draw(st.booleans())
        crop = data.draw(st.sampled_from(["center", "random", "fixed"]))
        steps = [ts.Resize((tw, th), interpolation=interp, antialias=aa)]
        if crop == "center":
            steps.append(ts.CenterCrop((cw, ch)))
        elif crop == "random":
            steps.append(ts.RandomCrop((cw, ch)))
        else:
            steps.append(ts.Crop((tw - cw, th - ch, cw, ch)))
        out, p = ts.Pipeline(steps).image(img, seed=data.draw(st.integers(0, 99)), return_params=True)
        np.testing.assert_array_equal(out, replay(img, p))

    @settings(max_examples=120, deadline=None)
    @given(data=st.data())
    def test_flips_crops_channels_normalize_any_dtype(self, data):
        rng = np.random.default_rng(data.draw(st.integers(0, 10**6)))
        dtype = data.draw(st.sampled_from([np.uint8, np.uint16, np.float32]))
        h, w = data.draw(st.integers(3, 60)), data.draw(st.integers(3, 60))
        img = noise(rng, (h, w, 3), dtype)
        interp = data.draw(st.sampled_from(["bilinear", "bicubic", "lanczos3", "box"]))
        to = data.draw(st.sampled_from([None, "gray", "rgba", "bgr"]))
        conv_first = data.draw(st.booleans())
        steps = []
        if data.draw(st.booleans()):
            steps.append(ts.HorizontalFlip(1.0))
        if data.draw(st.booleans()):
            steps.append(ts.VerticalFlip(1.0))
        if to and conv_first:
            steps.append(ts.ConvertChannels(to))
        size = (data.draw(st.integers(1, 70)), data.draw(st.integers(1, 70)))
        steps.append(ts.Resize(size, interpolation=interp))
        crop = data.draw(st.booleans())
        if crop:
            steps.append(ts.Crop((0, 0, max(1, size[0] // 2), max(1, size[1] // 2))))
        if to and not conv_first:
            steps.append(ts.ConvertChannels(to))
        norm = data.draw(st.booleans())
        if norm:
            steps.append(ts.Normalize(0.5, 0.25))
        out, p = ts.Pipeline(steps).image(img, seed=0, return_params=True)
        ref = img
        for stp in steps:
            if isinstance(stp, ts.HorizontalFlip):
                ref = ref[:, ::-1]
            elif isinstance(stp, ts.VerticalFlip):
                ref = ref[::-1]
            elif isinstance(stp, ts.ConvertChannels):
                ref = convert(np.ascontiguousarray(ref), to)
            elif isinstance(stp, ts.Resize):
                ref = ts.resize_image(ref, size, interpolation=interp)
            elif isinstance(stp, ts.Crop):
                ref = ts.crop_image(ref, stp.box)
        if norm:
            ref = ts.normalize([np.ascontiguousarray(ref)], 0.5, 0.25)[0]
        np.testing.assert_array_equal(out, np.ascontiguousarray(ref).reshape(out.shape))

    @pytest.mark.parametrize("dtype", [np.uint16, np.float32])
    @pytest.mark.parametrize("interp", ["box", "bilinear"])
    def test_flip_before_resize_sums_in_the_flipped_order(self, rng, dtype, interp):
        """uint16 and float32 sum in double: mirrored tables would add the
        same products in the other order, a few pixels apart (seen here).
        The flipped view is resampled instead, as the steps one by one do."""
        img = noise(rng, (100, 120, 3), dtype)
        for flips in ([ts.HorizontalFlip(1.0)], [ts.VerticalFlip(1.0)], [ts.HorizontalFlip(1.0), ts.VerticalFlip(1.0)]):
            out = ts.Pipeline(flips + [ts.Resize((45, 37), interpolation=interp)]).image(img)
            ref = img
            for f in flips:
                ref = ref[:, ::-1] if isinstance(f, ts.HorizontalFlip) else ref[::-1]
            np.testing.assert_array_equal(out, ts.resize_image(np.ascontiguousarray(ref), (45, 37), interpolation=interp))

    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    def test_gray_before_resize_is_honoured(self, rng, dtype):
        img = noise(rng, (50, 61, 3), dtype)
        out = ts.Pipeline([ts.ConvertChannels("gray"), ts.Resize((35, 44), interpolation="bicubic")]).image(img)
        np.testing.assert_array_equal(out, ts.resize_image(ts.rgb_to_gray(img), (35, 44), interpolation="bicubic"))
        after = ts.Pipeline([ts.Resize((35, 44), interpolation="bicubic"), ts.ConvertChannels("gray")]).image(img)
        np.testing.assert_array_equal(after, ts.rgb_to_gray(ts.resize_image(img, (35, 44), interpolation="bicubic")))
        assert not np.array_equal(out, after)

    def test_alpha_before_a_resize_of_very_many_taps_runs_first(self, monkeypatch):
        """uint8 constants survive windows of fewer than _CONST_SAFE_TAPS taps;
        past that the conversion runs before the resize."""
        img = np.full((1, 40000, 3), 200, np.uint8)
        pipe = ts.Pipeline([ts.ConvertChannels("rgba", alpha=255), ts.Resize((1, 1), interpolation="bilinear")])
        g, _ = P._plan_geometry(pipe._geo, 40000, 1, None, "x")
        g.finish()
        assert pipe._pre(g, 3, np.uint8)
        g, _ = P._plan_geometry(pipe._geo, 4000, 1, None, "x")
        g.finish()
        assert not pipe._pre(g, 3, np.uint8)
        out = pipe.image(img)
        np.testing.assert_array_equal(out, ts.resize_image(ts.rgb_to_rgba(img), (1, 1)))

    def test_gray_then_normalize_rounds_like_rgb_to_gray(self, rng):
        x = noise(rng, (30, 41, 3))
        a = ts.Pipeline([ts.ConvertChannels("gray"), ts.Normalize(0.5, 0.25)])([x])[0]
        np.testing.assert_array_equal(a, ts.normalize([ts.rgb_to_gray(x)], 0.5, 0.25)[0])
