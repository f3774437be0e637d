"""The examples in the public modules' docstrings run, and say what they
print (numpydoc "Examples" sections, run here so CI runs them)."""
import doctest
import importlib

import pytest

# modules whose examples run without a framework beyond the test extra
MODULES = ["trainingsample.crop", "trainingsample.resize", "trainingsample.color", "trainingsample.pipeline",
           "trainingsample.io", "trainingsample._engine", "trainingsample.integrations.torch"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name.startswith("trainingsample.integrations."):
        pytest.importorskip(name.rsplit(".", 1)[1])
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (see the output above)"


def test_every_public_function_has_a_docstring_with_an_example_or_a_reference():
    """Each name in trainingsample.__all__ is documented; a function either
    has its own Examples section or points to the one that does."""
    import trainingsample as ts

    bare = []
    for n in ts.__all__:
        obj = getattr(ts, n)
        if not callable(obj):
            continue
        doc = obj.__doc__ or ""
        if not doc.strip() or not any(s in doc for s in ("Examples", ":func:`", ":class:`", "(see ")):
            bare.append(n)
    assert not bare, f"public functions without a docstring or example: {bare}"
