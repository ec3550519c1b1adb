"""Memory layout and dtype of the input never change the answer.

Non-contiguous views, Fortran-ordered copies, float32, and integer inputs must
give what C-ordered float64 gives (float32 and integers exactly as their
float64 values).
"""

from __future__ import annotations

import numpy as np
import pytest
from kernel_inputs import VALID

LAYOUTS = {
    "fortran_order": lambda x: np.asfortranarray(x),
    "strided_view": lambda x: np.repeat(x, 2, axis=0)[::2],
    "column_view": lambda x: np.concatenate([x, x], axis=-1)[..., : x.shape[-1]],
    "negative_strides": lambda x: x[::-1][::-1],
    "list": lambda x: x.tolist(),
}


def as_float32_exact(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32)


def relayout(kwargs: dict, transform, keep: tuple[str, ...] = ("result",)) -> dict:
    """Apply transform to every array argument except those named in keep."""
    return {
        key: transform(value) if isinstance(value, np.ndarray) and key not in keep else value
        for key, value in kwargs.items()
    }


def results_equal(a, b) -> None:
    if isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            results_equal(x, y)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layout_does_not_change_results(name, layout):
    function, kwargs = VALID[name]
    expected = function(**kwargs)
    results_equal(function(**relayout(kwargs, LAYOUTS[layout])), expected)


@pytest.mark.parametrize("name", sorted(VALID))
def test_float32_input_equals_its_float64_value(name):
    function, kwargs = VALID[name]
    single = relayout(kwargs, as_float32_exact)
    widened = relayout(single, lambda x: x.astype(np.float64))
    result = function(**single)
    results_equal(result, function(**widened))
    first = result[0] if isinstance(result, tuple) else result
    if isinstance(first, np.ndarray) and first.dtype.kind == "f":
        assert first.dtype == np.float64


@pytest.mark.parametrize("name", sorted(VALID))
def test_integer_input_equals_its_float_value(name):
    function, kwargs = VALID[name]
    # Integer positions; the box stays as it is (it is not a coordinate set).
    rounded = relayout(kwargs, lambda x: np.round(x * 4), keep=("result", "box"))
    as_integers = relayout(rounded, lambda x: x.astype(np.int64), keep=("result", "box"))
    results_equal(function(**as_integers), function(**rounded))
