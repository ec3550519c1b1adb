"""The examples in chemlib's docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

MODULES = (
    "chemlib.distances",
    "chemlib.geometry",
    "chemlib.mass_properties",
    "chemlib.neighbors",
    "chemlib.periodic",
    "chemlib.rdf",
    "chemlib.rmsd",
    "chemlib._config",
)


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    module = importlib.import_module(name)
    # NumPy 2 prints scalars as np.float64(...); the examples show plain numbers.
    legacy = "1.25" if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else False
    with np.printoptions(legacy=legacy):
        failed, attempted = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
    assert attempted > 0
    assert failed == 0
