import numpy as np
import pytest

import trainingsample as ts
from PIL import Image

PIL_FILTERS = {  # our interpolation names -> Pillow's filters
    "nearest": Image.NEAREST,
    "box": Image.BOX,
    "bilinear": Image.BILINEAR,
    "hamming": Image.HAMMING,
    "bicubic": Image.BICUBIC,
    "lanczos3": Image.LANCZOS,
}


def replay(img, params):
    """Apply a Pipeline's concrete steps (``params["steps"]``) one by one
    with the single-image functions."""
    out = img
    for stp in params["steps"]:
        if stp["op"] == "crop":
            out = ts.crop_image(out, stp["box"])
        elif stp["op"] == "resize":
            out = ts.resize_image(out, stp["size"], interpolation=stp["interpolation"], antialias=stp["antialias"])
        else:
            out = out[:, ::-1] if stp["axis"] == "horizontal" else out[::-1]
    return np.ascontiguousarray(out)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def threads():
    """Restore the thread count after a test changes it."""
    before = ts.get_num_threads()
    yield
    ts.set_num_threads(before)


def photos():
    """scikit-image's bundled photos (no download)."""
    from skimage import data

    return {"astronaut": data.astronaut(), "chelsea": data.chelsea(), "coffee": data.coffee(), "camera": data.camera()}


def noise(rng, shape, dtype=np.uint8):
    if np.dtype(dtype) == np.float32:
        return rng.random(shape, dtype=np.float32)
    info = np.iinfo(dtype)
    return rng.integers(0, int(info.max) + 1, shape, dtype=dtype)
