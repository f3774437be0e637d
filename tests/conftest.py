import numpy as np
import pytest

import trainingsample as ts


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
