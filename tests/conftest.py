"""Fixtures; shared helpers are in helpers.py."""
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
