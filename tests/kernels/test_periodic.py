"""chemlib.periodic: wrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from kernel_inputs import BOX_IDS, BOXES, boxes, coordinate_arrays, positions
from kernel_paths import wrap_on_path
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


SIMD_LEVELS = pytest.mark.parametrize(
    "simd_level", [0, 1, 3, 4], ids=["public", "baseline", "AVX2", "AVX-512"]
)


@SIMD_LEVELS
@pytest.mark.parametrize("length", [49.0, 10.0, 3.0, 7.3, 1e-3, 2.0**40])
def test_orthorhombic_wrap_lands_in_zero_to_l_exactly(rng, simd_level, length):
    # The rounded fraction can be just below 1 at the far face (49 * fl(1/49)
    # < 1), or a position a rounding error below 0 becomes exactly L: the
    # orthorhombic loop settles by comparing positions with the edges. Every
    # value reaches every lane of the vector paths (16 copies, then a tail).
    box = np.array([length, length, length, 90.0, 90.0, 90.0])
    faces = np.array([0.0, length, 2 * length, -length, 1e6 * length])
    near = np.concatenate([np.nextafter(faces, np.inf), np.nextafter(faces, -np.inf), faces])
    values = np.concatenate([near, [-1e-17, -1e-300, -1e-308, -5e-324, -0.0]])
    values = np.concatenate([values, rng.uniform(-100, 100, 200) * length])
    coords = np.column_stack([values, np.roll(values, 1), np.roll(values, 2)])
    coords = np.concatenate([np.repeat(coords, 16, axis=0), coords[:5]])
    wrapped = wrap_on_path(coords, box, simd_level)
    assert wrapped.min() >= 0.0
    assert wrapped.max() < length
    # Each moved by whole box lengths, up to the rounding of the subtraction.
    steps = (coords - wrapped) / length
    np.testing.assert_allclose(steps, np.round(steps), rtol=0, atol=1e-9)


@SIMD_LEVELS
@pytest.mark.parametrize("box", BOXES[1:], ids=BOX_IDS[1:])
def test_wrap_of_many_atoms_is_the_wrap_of_each(rng, simd_level, box):
    # periodic.f90 hands blocks of 4096 atoms to the threads: 50003 atoms take
    # the threaded loop and a ragged last block, and must give each atom the
    # bits it gets alone (slices of 1000: one block, one thread).
    coords = positions(rng, 50003, -200, 300)
    whole = wrap_on_path(coords, box, simd_level)
    pieces = [wrap_on_path(coords[i : i + 1000], box, simd_level) for i in range(0, 50003, 1000)]
    assert np.array_equal(whole.view(np.uint64), np.concatenate(pieces).view(np.uint64))
