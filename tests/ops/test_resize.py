import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

import trainingsample as ts
from trainingsample import _coeffs as C
from trainingsample import _engine
from trainingsample import kernels as K
from trainingsample import resize as R
from helpers import PIL_FILTERS, noise, photos
from reference import resize as oracle_resize
from reference import resize_rounded, tie_pixels

CONVOLUTIONS = ["box", "bilinear", "hamming", "bicubic", "lanczos3", "lanczos4"]
# (width, height) targets relative to a (H, W) = (96, 131) input: down, up, mixed, odd
SIZES = [(40, 30), (13, 7), (300, 250), (1, 1), (131, 50), (64, 96), (300, 20), (20, 300), (7, 1)]


def pil_resize(img, size, interp):
    """Pillow reference; every channel resized as an 'L' image (alpha plain, no premultiplication)."""
    chans = [np.asarray(Image.fromarray(np.ascontiguousarray(img[..., c])).resize(size, PIL_FILTERS[interp])) for c in range(img.shape[2])]
    return np.stack(chans, axis=-1)


def pillow_order(img_shape, size):
    """"vh" where Pillow 13 runs the vertical pass first, else "hv"."""
    return "vh" if R.pillow_vertical_first(img_shape[0], img_shape[1], size[1], size[0]) else "hv"


def fixed_point_two_pass(img, size, interp, order):
    """Pillow's 8-bit arithmetic one pass at a time in ``order`` ("hv" or
    "vh"): the int32 weights of R.coefficients, (2**21 + sum) >> 22 clamped
    to [0, 255], with a uint8 image between the passes."""
    x = img.astype(np.int64)
    for axis in order:
        n = x.shape[1] if axis == "h" else x.shape[0]
        m = size[0] if axis == "h" else size[1]
        if m == n:
            continue
        bounds, weights = R.coefficients(n, m, interp, True, "int32")
        mat = np.zeros((m, n), np.int64)
        for i, (first, count) in enumerate(bounds):
            mat[i, first : first + count] = weights[i, :count]
        acc = np.einsum("xw,hwc->hxc", mat, x) if axis == "h" else np.einsum("yh,hxc->yxc", mat, x)
        x = np.clip((acc + (1 << 21)) >> 22, 0, 255)
    return x


def assert_pillow_parity(out, ref, exact):
    diff = np.abs(out.astype(np.int64) - ref.astype(np.int64))
    if exact:
        np.testing.assert_array_equal(out, ref)
    assert diff.max() <= 1, f"max diff {diff.max()}"
    assert diff.mean() < 0.25, f"mean diff {diff.mean()}"


class TestPillowParityUint8:
    @pytest.mark.parametrize("interp", list(PIL_FILTERS))
    @pytest.mark.parametrize("size", SIZES)
    def test_noise(self, rng, interp, size):
        img = noise(rng, (96, 131, 3))
        out = ts.resize_image(img, size, interpolation=interp)
        assert out.shape == (size[1], size[0], 3) and out.dtype == np.uint8
        if interp in ("bicubic", "lanczos3"):
            # Pillow 13's pass order: bit-identical
            np.testing.assert_array_equal(out, pil_resize(img, size, interp))
        else:
            assert_pillow_parity(out, pil_resize(img, size, interp), exact=interp == "nearest")

    @pytest.mark.parametrize("interp", list(PIL_FILTERS))
    @pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee", "camera"])
    def test_photos(self, interp, name):
        img = photos()[name]
        for size in [(224, 224), (97, 311), (1024, 700)]:
            out = ts.resize_image(img, size, interpolation=interp)
            ref = pil_resize(img if img.ndim == 3 else img[..., None], size, interp)
            assert_pillow_parity(out if out.ndim == 3 else out[..., None], ref, exact=False)

    def test_gray_2d_matches_pillow_exactly_for_lanczos(self):
        img = photos()["camera"]
        out = ts.resize_image(img, (123, 77), interpolation="lanczos3")
        assert out.shape == (77, 123)
        np.testing.assert_array_equal(out, pil_resize(img[..., None], (123, 77), "lanczos3")[..., 0])

    @pytest.mark.parametrize("channels", [1, 2, 4, 5])
    def test_any_channel_count(self, rng, channels):
        img = noise(rng, (50, 61, channels))
        out = ts.resize_image(img, (33, 20), interpolation="bicubic")
        np.testing.assert_array_equal(out, pil_resize(img, (33, 20), "bicubic"))

    def test_alpha_is_a_plain_channel(self):
        img = np.zeros((40, 40, 4), np.uint8)
        img[:, :20] = (255, 0, 0, 0)  # red under a fully transparent alpha
        img[:, 20:] = (0, 0, 255, 255)
        out = ts.resize_image(img, (10, 10), interpolation="bilinear")
        np.testing.assert_array_equal(out, pil_resize(img, (10, 10), "bilinear"))
        assert out[:, 4, 0].max() > 0  # colour under alpha 0 is kept, not premultiplied away

    @pytest.mark.parametrize("width", [1, 7, 1366])
    def test_odd_widths(self, rng, width):
        img = noise(rng, (9, width, 3))
        for size in [(max(1, width // 3), 5), (width + 5, 11)]:
            np.testing.assert_array_equal(ts.resize_image(img, size, interpolation="bicubic"), pil_resize(img, size, "bicubic"))


class TestFloat32:
    @pytest.mark.parametrize("interp", list(PIL_FILTERS))
    @pytest.mark.parametrize("size", [(40, 30), (300, 250), (131, 20)])
    def test_matches_pillow_mode_f(self, rng, interp, size):
        img = noise(rng, (96, 131, 1), np.float32)
        out = ts.resize_image(img, size, interpolation=interp)
        ref = np.asarray(Image.fromarray(img[..., 0], "F").resize(size, PIL_FILTERS[interp]))
        assert out.dtype == np.float32
        # both sum in double and round once per pass: within 2 ulp
        ulp = np.spacing(np.maximum(np.abs(out[..., 0]), np.abs(ref)))
        assert (np.abs(out[..., 0] - ref) <= 2 * ulp).all(), float((np.abs(out[..., 0] - ref) / ulp).max())

    def test_not_clamped(self):
        img = np.zeros((20, 20, 1), np.float32)
        img[:, 10:] = 1.0
        out = ts.resize_image(img, (60, 20), interpolation="lanczos3")
        assert out.max() > 1.0 and out.min() < 0.0  # lanczos overshoot preserved


class TestUint16Oracle:
    @pytest.mark.parametrize("interp", CONVOLUTIONS)
    @pytest.mark.parametrize("size", [(40, 30), (300, 250), (131, 20), (17, 96)])
    def test_matches_float64_oracle(self, rng, interp, size):
        img = noise(rng, (96, 131, 3), np.uint16)
        out = ts.resize_image(img, size, interpolation=interp)
        # sums in double, each pass rounded and clamped (Pillow 13's I;16): the
        # float64 oracle in the order we took, but where a pass meets a tie
        taken = R.pass_order(96, 131, 3, size[1], size[0], np.dtype(np.uint16), interp, True)
        order = "vh" if taken == K.ORDER_VH else "hv"  # one pass: either
        diff = np.abs(out.astype(np.float64) - resize_rounded(img, size, interp, 65535, True, order))
        assert diff.max() <= 1
        assert not (diff.astype(bool) & ~tie_pixels(img, size, interp, order)).any()


class TestOracleUint8:
    @pytest.mark.parametrize("interp", CONVOLUTIONS)
    def test_photo_against_float64_oracle(self, interp):
        img = photos()["chelsea"]
        out = ts.resize_image(img, (151, 100), interpolation=interp)
        ref = np.clip(np.floor(oracle_resize(img, (151, 100), interp) + 0.5), 0, 255)
        diff = np.abs(out - ref)
        assert diff.max() <= 1 and diff.mean() < 0.25  # intermediate pass rounded to 8 bits


class TestNoAntialias:
    def test_bilinear_matches_opencv_inter_linear(self, rng):
        cv2 = pytest.importorskip("cv2")
        img = noise(rng, (200, 333, 3))
        for size in [(100, 80), (64, 40), (500, 410)]:
            out = ts.resize_image(img, size, antialias=False)
            ref = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
            assert np.abs(out.astype(int) - ref).max() <= 1

    @pytest.mark.parametrize("interp", CONVOLUTIONS)
    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    def test_matches_float64_oracle(self, rng, interp, dtype):
        # strong downscales leave gaps between the windows: the horizontal
        # pass then reads only the columns some window covers
        img = noise(rng, (90, 333, 3), dtype) if dtype != np.float32 else rng.random((90, 333, 3), np.float32)
        for size in [(64, 40), (41, 17), (333, 30), (120, 90), (500, 200)]:
            out = ts.resize_image(img, size, interpolation=interp, antialias=False)
            if dtype == np.float32:
                ref = oracle_resize(img, size, interp, antialias=False)
                np.testing.assert_allclose(out, ref, atol=1e-4)
            else:
                # the filters without negative lobes may run either pass first
                # (the cheaper); each order rounds its intermediate differently
                hi = np.iinfo(dtype).max
                orders = ["hv", "vh"] if interp in ("box", "bilinear", "hamming") else [pillow_order(img.shape, size)]
                diffs = [np.abs(out.astype(np.float64) - resize_rounded(img, size, interp, hi, False, o)) for o in orders]
                diff = min(diffs, key=np.mean)
                assert diff.max() <= 1, (size, diff.max())
                assert diff.mean() < 0.25

    @pytest.fixture
    def fresh_plans(self):
        """Plans and horizontal tables are memoised: tests that patch the
        planner plan afresh, and leave no patched plan behind."""
        def clear():
            R._conv_plan.cache_clear()
            R._horizontal_table.cache_clear()
            R.pass_order.cache_clear()

        clear()
        yield
        clear()

    @staticmethod
    def _pairs_vs_vertical_first(monkeypatch, images_cases):
        """Resize each (image, [(interp, (w, h))]) through the pixel-pair
        kernel, then again with the planner patched to the general
        vertical-first order: the two must be equal bit for bit.  Returns the
        blends (K.BLEND_*) the pixel-pair tables asked for."""
        blends = set()
        fast = {}
        # every pixel size and dtype through the pixel-pair kernel, also
        # where the planner would rather run ORDER_VH's (slower there)
        monkeypatch.setattr(R, "PAIR_PIXEL_BYTES", (1, 1 << 30))
        monkeypatch.setattr(R, "PAIR_DENSE_DTYPES", frozenset(map(np.dtype, (np.uint8, np.uint16, np.float32))))
        R._conv_plan.cache_clear()
        for i, (img, cases) in enumerate(images_cases):
            for interp, (w, h) in cases:
                r = R.resample_setup(img[None], h, w, img.dtype, interp, False)
                t = r.tables
                assert t.order == K.ORDER_PAIRS, (interp, w, h)
                wv = t.wv
                pt = K.resample._pair_table(t.bh, t.wh, t.layout.kernel_tuple(), img.shape[2], img.itemsize, img.shape[1] * img.shape[2])
                blends.add(pt[7])
                blends.update(K.resample._pair_blend(a0, a1, pt[7]) for a0, a1 in wv[:, :2] if img.dtype != np.float32)
                fast[i, interp, w, h] = ts.resize_image(img, (w, h), interpolation=interp, antialias=False)
        order = R.choose_order
        monkeypatch.setattr(R, "PAIRS", False)
        monkeypatch.setattr(R, "choose_order", lambda *a, **k: (K.ORDER_VH, order(*a, **k)[1]))
        R._conv_plan.cache_clear()  # plan afresh with the patches
        R.pass_order.cache_clear()
        for i, (img, cases) in enumerate(images_cases):
            for interp, (w, h) in cases:
                assert R.resample_setup(img[None], h, w, img.dtype, interp, False).order == K.ORDER_VH
                slow = ts.resize_image(img, (w, h), interpolation=interp, antialias=False)
                np.testing.assert_array_equal(fast[i, interp, w, h], slow, err_msg=f"{img.shape} {interp} {(w, h)}")
        return blends

    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    @pytest.mark.parametrize("c", [1, 2, 3, 4, 5])
    def test_pixel_pairs_equal_vertical_first(self, rng, monkeypatch, fresh_plans, dtype, c):
        # One or two taps per window with unread columns between windows:
        # the pixel-pair kernel.  It must give exactly what the general
        # vertical-first order gives.  300 -> 100 puts the last window on the
        # last column (the pixels copied one element at a time).  Integer
        # factors (480 -> 120, 160; 320 -> 80, 64) put the weights on the
        # int16 blend's grid (uint8), 320 -> 70 only the horizontal ones.
        odd = noise(rng, (300, 457, c), dtype)
        even = noise(rng, (320, 480, c), dtype)
        sizes = {id(odd): [(100, 80), (45, 100), (152, 71), (152, 100)], id(even): [(120, 80), (160, 64), (120, 70)]}
        images_cases = [(img, [(interp, size) for interp in ("bilinear", "hamming", "box") for size in sizes[id(img)]]) for img in (odd, even)]
        blends = self._pairs_vs_vertical_first(monkeypatch, images_cases)
        if dtype != np.uint8:  # float weights (uint16 sums in double, as Pillow's I;16)
            assert blends == {K.BLEND_FULL}
        else:
            assert blends == {K.BLEND_LERP, K.BLEND_I16}

    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
    def test_pixel_pairs_weights_not_summing_to_one(self, rng, monkeypatch, fresh_plans, dtype):
        # Pillow-model tables of two taps sum to exactly one in fixed point;
        # should a row or column not, the pixel-pair kernel must fall back to
        # the two-multiply blend for it (a shortcut would round differently).
        original = R.coefficients

        def uneven(n, resized, name, antialias, kind, box=None):
            b, w = original(n, resized, name, antialias, kind, box)
            w = np.array(w)
            if w.dtype != np.float32 and w.shape[1] == 2:
                w[::3, 1] += 1  # every third row or column
            w.setflags(write=False)
            return b, w

        monkeypatch.setattr(R, "coefficients", uneven)
        img = noise(rng, (320, 480, 3), dtype)
        blends = self._pairs_vs_vertical_first(monkeypatch, [(img, [("bilinear", (120, 80)), ("bilinear", (100, 70))])])
        assert K.BLEND_FULL in blends

    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    @pytest.mark.parametrize("c", [1, 2, 3, 4, 5])
    def test_pixel_pairs_run_where_they_are_faster(self, rng, fresh_plans, dtype, c):
        # the planner runs ORDER_VH with the pixel-pair kernel where it was
        # timed faster (R.PAIR_PIXEL_BYTES): pixels of 3-16 bytes, and where
        # every input column is read only for uint8 and float32; elsewhere
        # ORDER_VH's own kernel, with the same pixels
        img = noise(rng, (375, 500, c), dtype)
        px = c * np.dtype(dtype).itemsize
        for (w, h), gaps in (((160, 100), True), ((224, 224), False)):
            t = R.resample_setup(img[None], h, w, img.dtype, "bilinear", False).tables
            assert (t.layout.cols.size > 0) == gaps
            fits = 3 <= px <= 16 and (gaps or dtype != np.uint16)
            assert t.order == (K.ORDER_PAIRS if fits else K.ORDER_VH), (px, gaps, t.order)

    def test_pixel_pairs_views_and_threads(self, rng, threads):
        img = noise(rng, (400, 600, 3))
        want = ts.resize_image(img, (60, 40), antialias=False)
        for view in (img[:, :, ::-1], img[::-1], img[:, ::2]):
            size = (60, 40) if view.shape[1] == 600 else (30, 40)
            np.testing.assert_array_equal(ts.resize_image(view, size, antialias=False), ts.resize_image(view.copy(), size, antialias=False))
        for n in (1, 3, 8):
            ts.set_num_threads(n)
            np.testing.assert_array_equal(ts.resize_image(img, (60, 40), antialias=False), want)

    def test_downscale_uses_fixed_support(self, rng):
        img = noise(rng, (64, 64, 1))
        aa = ts.resize_image(img, (8, 8))
        sharp = ts.resize_image(img, (8, 8), antialias=False)
        assert not np.array_equal(aa, sharp)
        assert sharp.std() > aa.std()  # no antialiasing keeps more of the noise


class TestUint8Blocks:
    """The uint8 vertical kernel's 16-bit blocks (conv_u8_*): every output
    equals Pillow's fixed-point integer, rnd + sum(w * x) >> 22 clamped to
    [0, 255], with int32 wraparound, whatever the weights."""

    RND = np.int32(1 << 21)

    @staticmethod
    def fixed_point(src, bounds, weights):
        out = np.empty((bounds.shape[0], src.shape[1]), np.uint8)
        for i, (y, n) in enumerate(bounds):
            acc = 1 << 21
            for k in range(n):
                acc = acc + int(weights[i, k]) * src[y + k].astype(np.int64)
            acc = (acc + (1 << 31)) % (1 << 32) - (1 << 31)  # int32 wraparound
            out[i] = np.clip(acc >> 22, 0, 255)
        return out

    def run(self, src, bounds, weights, packed=None, dst=None):
        dst = np.full((bounds.shape[0], src.shape[1]), 7, np.uint8) if dst is None else dst
        if packed is None:
            packed = np.empty((0, 0), np.int32)
        K.resample._vpass(src, dst, src.shape[1], bounds, weights, packed, bounds.shape[0], 0, 0, 0, self.RND, 22, np.int32(255))
        return dst

    @pytest.mark.parametrize("width", [16, 17, 31, 32, 47, 48, 63, 64, 65, 80, 96, 97, 112, 127, 130, 203])
    @pytest.mark.parametrize("interp,rows,out", [("bilinear", 60, 6), ("lanczos3", 45, 13), ("bicubic", 20, 51),
                                                 ("box", 9, 27), ("hamming", 31, 31), ("lanczos4", 7, 3)])
    def test_pillow_tables(self, rng, width, interp, rows, out):
        # downscales (odd and even tap counts), upscales (single taps of
        # weight exactly 1 << 22 for box), negative lobes; widths around the
        # 64-, 32- and 16-column blocks and the element-wise rest
        bounds, weights = R.coefficients(rows, out, interp, True, "int32")
        src = noise(rng, (rows, width))
        want = self.fixed_point(src, bounds, weights)
        np.testing.assert_array_equal(self.run(src, bounds, weights), want)
        np.testing.assert_array_equal(self.run(src, bounds, weights, K.resample._pack_table(bounds, weights, 22, True)), want)

    @settings(max_examples=60, deadline=None)
    @given(st.data())
    def test_any_weights(self, data):
        # weights anywhere in [-2**22, 2**22], sums that wrap around int32,
        # any tap count: the split into high and low parts is exact
        n_out = data.draw(st.integers(1, 4))
        taps = data.draw(st.integers(1, 9))
        width = data.draw(st.sampled_from([16, 32, 64, 96, 112]))
        rows = taps + data.draw(st.integers(0, 3))
        seed = data.draw(st.integers(0, 2**32 - 1))
        r = np.random.default_rng(seed)
        lo = data.draw(st.sampled_from([-(1 << 22), -2048, 0]))
        weights = r.integers(lo, (1 << 22) + 1, (n_out, taps), dtype=np.int32)
        weights[:, ::3] = data.draw(st.sampled_from([1 << 22, -(1 << 22), 2047, -2049, 0]))
        if data.draw(st.booleans()):
            # beyond the int16 high part (the rows then take the element-wise loop)
            weights[r.integers(0, n_out), r.integers(0, taps)] = data.draw(st.sampled_from([1 << 26, -(1 << 26), 1 << 30]))
        starts = r.integers(0, rows - taps + 1, n_out)
        counts = r.integers(1, taps + 1, n_out)
        bounds = np.stack([starts, counts], axis=1).astype(np.int32)
        src = r.integers(0, 256, (rows, width), dtype=np.uint8)
        src[:, : width // 2] = data.draw(st.sampled_from([0, 255]))
        want = self.fixed_point(src, bounds, weights)
        np.testing.assert_array_equal(self.run(src, bounds, weights), want)
        # a packed table is only made of weights that fit the split
        np.testing.assert_array_equal(self.run(src, bounds, weights, K.resample._pack_table(bounds, weights, 22, True)), want)

    def test_views(self, rng):
        # rows with gaps between them, rows in reverse order, a destination view
        bounds, weights = R.coefficients(50, 7, "bicubic", True, "int32")
        big = noise(rng, (50, 300))
        dst = np.zeros((7, 300), np.uint8)
        for src in (big[:, 13:213], big[::-1, 40:120], big[:, ::-1][:, :96]):
            want = self.fixed_point(src, bounds, weights)
            got = self.run(src, bounds, weights, dst=dst[:, 50 : 50 + src.shape[1]])
            np.testing.assert_array_equal(got, want)
            assert not dst[:, :50].any()


class TestCompiledTables:
    """The box and bilinear tables of kernels/coeffs.py are table_numpy's,
    bit for bit: every size, span and antialias setting."""

    @settings(max_examples=300, deadline=None)
    @given(st.integers(1, 3000), st.integers(1, 3000), st.sampled_from(sorted(C.KERNEL_FILTERS)), st.booleans(),
           st.one_of(st.none(), st.tuples(st.floats(0, 1), st.floats(0, 1))))
    @example(500, 224, "bilinear", True, None)
    @example(11, 249, "bilinear", False, (0.67, 0.88))  # an upscaled span: FMA contraction changes its last bit
    @example(1941, 1459, "bilinear", True, (0.5436, 0.9703))
    def test_equal_to_numpy(self, n, m, name, antialias, span):
        box = None
        if span is not None:
            lo, hi = sorted(span)
            box = (lo * n, max(hi * n, lo * n + 1e-3))
        want_b, want_w = C.table_numpy(n, m, name, antialias, box)
        got_b, got_w = C.coefficients.__wrapped__(n, m, name, antialias, "float64", box)
        np.testing.assert_array_equal(got_b, want_b)
        assert got_w.shape == want_w.shape and got_w.flags.c_contiguous
        np.testing.assert_array_equal(got_w.view(np.int64), want_w.view(np.int64))  # -0.0 and every last bit
        assert not got_w.flags.writeable and not got_b.flags.writeable


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(
        h=st.integers(1, 40),
        w=st.integers(1, 40),
        oh=st.integers(1, 60),
        ow=st.integers(1, 60),
        c=st.sampled_from([1, 3, 4]),
        value=st.integers(0, 255),
        interp=st.sampled_from(["nearest"] + CONVOLUTIONS),
        dtype=st.sampled_from([np.uint8, np.uint16, np.float32]),
        antialias=st.booleans(),
    )
    def test_constant_stays_constant_and_shape(self, h, w, oh, ow, c, value, interp, dtype, antialias):
        img = np.full((h, w, c), value, dtype)
        out = ts.resize_image(img, (ow, oh), interpolation=interp, antialias=antialias)
        assert out.shape == (oh, ow, c) and out.dtype == np.dtype(dtype)
        # exactly: uint8 fixed-point weights sum to 1 within 2**-22 per tap,
        # uint16 and float32 sum in double
        np.testing.assert_array_equal(out, np.asarray(value, dtype))

    @settings(max_examples=40, deadline=None)
    @given(
        h=st.integers(1, 30), w=st.integers(1, 30), oh=st.integers(1, 45), ow=st.integers(1, 45),
        interp=st.sampled_from(CONVOLUTIONS), seed=st.integers(0, 2**32 - 1),
    )
    @example(h=11, w=2, oh=1, ow=1, interp="bilinear", seed=3)  # one pixel, 1 level off Pillow
    @example(h=2, w=3, oh=1, ow=19, interp="hamming", seed=1)  # 5 of 19 pixels 1 level off
    def test_random_shapes_match_pillow(self, h, w, oh, ow, interp, seed):
        img = noise(np.random.default_rng(seed), (h, w, 1))
        out = ts.resize_image(img, (ow, oh), interpolation=interp)
        if interp == "lanczos4":  # not in Pillow: float64 oracle in Pillow's order
            ref = resize_rounded(img, (ow, oh), interp, 255, True, pillow_order(img.shape, (ow, oh)))
            assert np.abs(out - ref).max() <= 1
        elif interp in ("bicubic", "lanczos3"):
            np.testing.assert_array_equal(out, pil_resize(img, (ow, oh), interp))
        else:
            # box, bilinear, hamming may run either pass first (the cheaper),
            # and each order rounds its intermediate differently: on a small
            # output many pixels may be a level off Pillow's order.  So: within
            # one level of Pillow, and exactly one order's fixed-point result
            ref = pil_resize(img, (ow, oh), interp)
            assert np.abs(out.astype(np.int64) - ref).max() <= 1
            assert any(np.array_equal(out, fixed_point_two_pass(img, (ow, oh), interp, o)) for o in ("hv", "vh"))

    def test_identity_size_is_a_copy(self, rng):
        img = noise(rng, (10, 12, 3))
        out = ts.resize_image(img, (12, 10), interpolation="lanczos3")
        np.testing.assert_array_equal(out, img)
        assert not np.shares_memory(out, img)


class TestThreads:
    @pytest.mark.parametrize("interp", ["bilinear", "bicubic", "nearest", "box", "lanczos3"])
    @pytest.mark.parametrize("dtype", [np.uint8, np.float32])
    def test_bit_identical_at_any_thread_count(self, rng, threads, interp, dtype):
        # row bands move rows between tiles of the horizontal pass, so float
        # results must not depend on a value's lane in the tile either
        imgs = noise(rng, (3, 301, 257, 3)).astype(dtype)
        results = []
        for n in (1, 2, 3, 8):
            ts.set_num_threads(n)
            results.append(ts.batch_resize_images(imgs, [(100, 90), (300, 500), (257, 31)], interpolation=interp))
        for r in results[1:]:
            for a, b in zip(results[0], r):
                np.testing.assert_array_equal(a, b)


    @pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
    def test_claimed_bands_bit_identical_at_any_thread_count(self, rng, threads, monkeypatch, dtype):
        """One item split in many row bands that the kernels claim
        themselves (_engine.run_claimed): every pass order gives the same
        pixels at any thread count."""
        monkeypatch.setattr(_engine, "MIN_PARALLEL_WORK", 1)
        monkeypatch.setattr(_engine, "MIN_TASK_WORK", 1)
        claimed = []
        real = _engine.run_claimed
        monkeypatch.setattr(_engine, "run_claimed", lambda part, n, threads=None: (claimed.append(n), real(part, n, threads)))
        imgs = noise(rng, (2, 150, 480, 3)).astype(dtype)
        cases = [((480, 61), "bilinear", True), ((177, 150), "bicubic", True), ((160, 70), "bilinear", True),
                 ((160, 70), "bicubic", True), ((700, 333), "lanczos3", True), ((120, 50), "bilinear", False),
                 ((470, 40), "bilinear", True)]
        orders = {R.resample_setup(imgs, h, w, imgs.dtype, interp, aa).order for (w, h), interp, aa in cases}
        assert orders == {K.ORDER_V, K.ORDER_H, K.ORDER_VH, K.ORDER_HV, K.ORDER_PAIRS}
        results = []
        for n in (1, 2, 3, 8):
            ts.set_num_threads(n)
            results.append([ts.batch_resize_images(imgs, size, interpolation=interp, antialias=aa) for size, interp, aa in cases])
        assert len(claimed) >= 3 * len(cases)
        for r in results[1:]:
            for a, b in zip(results[0], r):
                np.testing.assert_array_equal(a, b)


class TestViews:
    @pytest.mark.parametrize("interp", ["bilinear", "bicubic"])
    @pytest.mark.parametrize("antialias", [True, False])
    def test_strided_views_equal_their_copies(self, rng, interp, antialias):
        base = noise(rng, (70, 90, 4))
        views = [base[..., 2::-1], base[::-1, ::-2, :3], base[5:60, 7:80, 1:], base[::3, :, 0]]
        for v in views:
            for size in [(20, 15), (150, 40), (v.shape[1], 31), (33, v.shape[0])]:
                out = ts.resize_image(v, size, interpolation=interp, antialias=antialias)
                ref = ts.resize_image(np.ascontiguousarray(v), size, interpolation=interp, antialias=antialias)
                np.testing.assert_array_equal(out, ref)


class TestBatchForms:
    def test_array_in_array_out_and_list_in_list_out(self, rng):
        arr = noise(rng, (4, 30, 40, 3))
        out = ts.batch_resize_images(arr, (20, 10))
        assert isinstance(out, np.ndarray) and out.shape == (4, 10, 20, 3)
        lst = ts.batch_resize_images(list(arr), [(20, 10)] * 4)
        assert isinstance(lst, list)
        for a, b in zip(out, lst):
            np.testing.assert_array_equal(a, b)

    def test_array_with_per_image_sizes(self, rng):
        arr = noise(rng, (2, 30, 40, 3))
        out = ts.batch_resize_images(arr, [(20, 10), (5, 6)])
        assert isinstance(out, list) and out[0].shape == (10, 20, 3) and out[1].shape == (6, 5, 3)
        np.testing.assert_array_equal(out[1], ts.resize_image(arr[1], (5, 6)))

    def test_empty(self):
        assert ts.batch_resize_images([], (3, 3)) == []
        assert ts.batch_resize_images(np.zeros((0, 4, 4, 3), np.uint8), (3, 3)).shape == (0, 3, 3, 3)

    def test_aliases(self, rng):
        img = noise(rng, (30, 40, 3))
        np.testing.assert_array_equal(ts.resize_image(img, (9, 7), interpolation="area"), ts.resize_image(img, (9, 7), interpolation="box"))
        np.testing.assert_array_equal(ts.resize_image(img, (9, 7), interpolation="LANCZOS"), ts.resize_image(img, (9, 7), interpolation="lanczos3"))
