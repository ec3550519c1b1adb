"""chemlib.periodic: wrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from kernel_inputs import BOX_IDS, BOXES, boxes, coordinate_arrays, positions
from kernel_references import box_matrix

import chemlib
from chemlib import _distances, _periodic
from chemlib._box import as_cell


@pytest.mark.parametrize("box", BOXES[1:], ids=BOX_IDS[1:])
def test_wrapped_fractional_coordinates_lie_in_unit_cell(rng, box):
    coords = positions(rng, 1000, -200, 200)
    wrapped = chemlib.wrap(coords, box)
    fractional = wrapped @ np.linalg.inv(box_matrix(box))
    assert np.all(fractional >= -1e-12)
    assert np.all(fractional < 1 + 1e-12)
    shift = (wrapped - coords) @ np.linalg.inv(box_matrix(box))
    np.testing.assert_allclose(shift, np.round(shift), atol=1e-9)


def test_wrap_orthorhombic_example():
    np.testing.assert_array_equal(
        chemlib.wrap([[11.0, -1.0, 5.0], [10.0, 0.0, -10.0]], [10, 10, 10, 90, 90, 90]),
        [[1.0, 9.0, 5.0], [0.0, 0.0, 0.0]],
    )


def test_wrap_keeps_points_already_inside(rng):
    box = np.array([20.0, 22.0, 25.0, 90, 90, 90])
    inside = rng.uniform(0, 1, (100, 3)) * box[:3]
    np.testing.assert_allclose(chemlib.wrap(inside, box), inside, rtol=1e-15)


def test_wrap_of_nothing_is_empty():
    assert chemlib.wrap(np.empty((0, 3)), [10, 10, 10, 90, 90, 90]).shape == (0, 3)


@given(coords=coordinate_arrays(30), box=boxes())
def test_wrap_preserves_minimum_image_distances(coords, box):
    np.testing.assert_allclose(
        chemlib.self_distance_array(chemlib.wrap(coords, box), box=box),
        chemlib.self_distance_array(coords, box=box),
        atol=1e-8,
    )


@pytest.mark.parametrize("simd_level", [0, 1, 3, 4], ids=["public", "baseline", "AVX2", "AVX-512"])
def test_positions_a_rounding_error_outside_settle_inside(simd_level):
    # -1e-300 + 10 rounds to 10: the far face, fraction 1, which one more
    # whole vector brings to 0 (periodic_wrap.c's settling step), on every path.
    if simd_level > _distances.dispatched_simd_level():
        pytest.skip(f"this CPU has no level {simd_level}: a lower path runs")
    box = np.array([10.0, 10.0, 10.0, 90.0, 90.0, 90.0])
    tiny = np.array([-1e-300, -1e-17, -1e-308, 10.0, -10.0, np.nextafter(20.0, 0.0)])
    coords = np.column_stack([tiny, np.roll(tiny, 1), np.roll(tiny, 2)])
    coords = np.repeat(coords, 5, axis=0)  # every lane of a vector
    cell = as_cell(box)
    if simd_level:
        wrapped = _periodic.wrap(coords.T, cell.h.T, cell.hinv.T, simd_level).T
    else:
        wrapped = chemlib.wrap(coords, box)
    assert wrapped.min() >= 0.0
    assert wrapped.max() < 10.0
