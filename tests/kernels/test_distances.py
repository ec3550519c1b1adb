"""chemlib.distances: distance_array and self_distance_array."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_inputs import BOX_IDS, BOXES, ORTHORHOMBIC, boxes, coordinate_arrays, positions
from kernel_references import box_matrix, distances, norms
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist, pdist

import chemlib

# SciPy's cdist and pdist sum three squares in a C loop and take the square
# root: within 2.5 u relative (u = 2^-53) whatever the order or CPU, beside
# chemlib's 2 eps = 4 u (README, precision): 6.5 u = 7.2e-16 < rtol 1e-15.


def test_distance_array_matches_cdist_without_box(rng):
    a, b = positions(rng, 300), positions(rng, 170)
    np.testing.assert_allclose(chemlib.distance_array(a, b), cdist(a, b), rtol=1e-15, atol=0)


def test_self_distance_array_matches_pdist_order(rng):
    a = positions(rng, 257)
    np.testing.assert_allclose(chemlib.self_distance_array(a), pdist(a), rtol=1e-15, atol=0)


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_distance_array_matches_minimum_image_reference(rng, box):
    a, b = positions(rng, 211), positions(rng, 190)
    np.testing.assert_allclose(
        chemlib.distance_array(a, b, box=box), distances(a, b, box), atol=1e-11
    )


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_self_distance_array_matches_minimum_image_reference(rng, box):
    a = positions(rng, 203)
    expected = distances(a, a, box)[np.triu_indices(len(a), k=1)]
    np.testing.assert_allclose(chemlib.self_distance_array(a, box=box), expected, atol=1e-11)


def test_orthorhombic_matches_periodic_kdtree(rng):
    lengths = ORTHORHOMBIC[:3]
    a = rng.uniform(0, 1, (400, 3)) * lengths
    b = rng.uniform(0, 1, (300, 3)) * lengths
    tree = cKDTree(b, boxsize=lengths)
    nearest, index = tree.query(a)
    d = chemlib.distance_array(a, b, box=ORTHORHOMBIC)
    np.testing.assert_allclose(d.min(axis=1), nearest, atol=1e-12)
    np.testing.assert_array_equal(d.argmin(axis=1), index)


def test_dodecahedron_images_that_rounding_gets_wrong():
    # In this cell rounding the fractional difference alone picks the wrong
    # image for about 29% of pairs; the 27-image search must fix every one.
    box = np.array([30.0, 30.0, 30.0, 60.0, 60.0, 90.0])
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 1, (300, 3)) @ box_matrix(box)
    np.testing.assert_allclose(
        chemlib.distance_array(a, a, box=box), distances(a, a, box), atol=1e-11
    )


@pytest.mark.parametrize("box", [[8, 8, 30, 61, 88, 61], [8, 24, 20, 62, 60, 60]])
def test_flat_sheared_cells_reach_images_beyond_the_nearest_27(box):
    # Hypothesis found these: c is long but nearly in the ab plane, so for
    # some pairs the minimum image lies beyond the 26 neighbouring cells of
    # the folded difference. The kernels must search as far as needed.
    rng = np.random.default_rng(5)
    a = rng.uniform(-100, 100, (300, 3))
    exact = distances(a, a, box)
    h = box_matrix(box)
    s = (a[None] - a[:, None]) @ np.linalg.inv(h)
    s -= np.floor(s + 0.5)
    nearest_27 = np.min(
        [norms((s + t) @ h) for t in itertools.product((-1, 0, 1), repeat=3)],
        axis=0,
    )
    assert np.any(nearest_27 > exact + 1e-3)  # the case this test is about
    np.testing.assert_allclose(chemlib.distance_array(a, a, box=box), exact, atol=1e-11)
    np.testing.assert_allclose(
        chemlib.self_distance_array(a, box=box), exact[np.triu_indices(300, 1)], atol=1e-11
    )
    np.testing.assert_allclose(
        chemlib.calc_bonds(a[:150], a[150:], box=box),
        exact[np.arange(150), np.arange(150, 300)],
        atol=1e-11,
    )


def test_float32_input_gives_float64_results_of_the_float32_values(rng):
    a, b = positions(rng, 50).astype(np.float32), positions(rng, 40).astype(np.float32)
    d = chemlib.distance_array(a, b, box=ORTHORHOMBIC)
    assert d.dtype == np.float64
    np.testing.assert_allclose(
        d, distances(a.astype(float), b.astype(float), ORTHORHOMBIC), atol=1e-11
    )


def test_result_is_filled_in_place_and_returned(rng):
    a, b = positions(rng, 30), positions(rng, 20)
    out = np.full((30, 20), np.nan)
    assert chemlib.distance_array(a, b, result=out) is out
    np.testing.assert_allclose(out, cdist(a, b), rtol=1e-15)
    condensed = np.full(30 * 29 // 2, np.nan)
    assert chemlib.self_distance_array(a, result=condensed) is condensed
    np.testing.assert_allclose(condensed, pdist(a), rtol=1e-15)


def test_empty_inputs_give_empty_results():
    assert chemlib.distance_array(np.empty((0, 3)), np.ones((4, 3))).shape == (0, 4)
    assert chemlib.distance_array(np.ones((4, 3)), np.empty((0, 3))).shape == (4, 0)
    assert chemlib.self_distance_array(np.empty((0, 3))).shape == (0,)
    assert chemlib.self_distance_array(np.ones((1, 3))).shape == (0,)


def test_precision_for_huge_coordinates_near_each_other():
    # The difference of two nearby float64 points is exact (Sterbenz), however
    # far from the origin; the kernel must return it to the last bit (float32
    # peers lose it entirely at 1e7 Angstrom).
    a = np.array([[1e7, 1e7, 1e7]])
    b = a + np.array([[1e-3, 0.0, 0.0]])
    assert chemlib.distance_array(a, b)[0, 0] == b[0, 0] - a[0, 0]


@given(a=coordinate_arrays(25), b=coordinate_arrays(25), box=st.one_of(st.none(), boxes()))
def test_distance_array_is_symmetric(a, b, box):
    np.testing.assert_allclose(
        chemlib.distance_array(a, b, box=box), chemlib.distance_array(b, a, box=box).T, atol=1e-9
    )


@given(
    a=coordinate_arrays(20, min_atoms=1),
    offset=st.lists(st.floats(-50, 50), min_size=3, max_size=3),
    box=st.one_of(st.none(), boxes()),
)
def test_distances_invariant_under_translation(a, offset, box):
    moved = a + np.array(offset)
    np.testing.assert_allclose(
        chemlib.self_distance_array(moved, box=box),
        chemlib.self_distance_array(a, box=box),
        atol=1e-8,
    )


@given(
    a=coordinate_arrays(20),
    box=boxes(),
    shifts=st.lists(st.integers(-2, 2), min_size=3, max_size=3),
)
def test_distances_invariant_under_lattice_shifts(a, box, shifts):
    rng = np.random.default_rng(len(a))
    # Move each atom by its own whole number of box vectors.
    moves = rng.integers(-2, 3, size=(len(a), 3)) + np.array(shifts)
    moved = a + moves @ box_matrix(box)
    np.testing.assert_allclose(
        chemlib.distance_array(moved, a, box=box), chemlib.distance_array(a, a, box=box), atol=1e-8
    )


@given(a=coordinate_arrays(20), box=boxes())
def test_minimum_image_never_longer_than_plain_distance(a, box):
    periodic = chemlib.self_distance_array(a, box=box)
    plain = chemlib.self_distance_array(a)
    assert np.all(periodic <= plain + 1e-9)
    np.testing.assert_allclose(
        periodic, distances(a, a, box)[np.triu_indices(len(a), 1)], atol=1e-8
    )
