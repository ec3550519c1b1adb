"""chemlib.periodic: wrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from kernel_inputs import BOX_IDS, BOXES, boxes, coordinate_arrays, positions
from kernel_references import box_matrix

import chemlib


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
