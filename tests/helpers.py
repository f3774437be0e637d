"""Helpers the tests share (imported as ``from helpers import ...``; the
fixtures stay in conftest.py).  Naive float64 oracles are in reference.py."""
import numpy as np
from PIL import Image

import trainingsample as ts

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


def photos():
    """scikit-image's bundled photos (no download)."""
    from skimage import data

    return {"astronaut": data.astronaut(), "chelsea": data.chelsea(), "coffee": data.coffee(), "camera": data.camera()}


def noise(rng, shape, dtype=np.uint8):
    if np.dtype(dtype) == np.float32:
        return rng.random(shape, dtype=np.float32)
    info = np.iinfo(dtype)
    return rng.integers(0, int(info.max) + 1, shape, dtype=dtype)
