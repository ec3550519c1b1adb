"""chemlib.neighbors: capped_distance and self_capped_distance (cell lists)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_inputs import (
    BOX_IDS,
    BOXES,
    ORTHORHOMBIC,
    TRICLINIC_BOXES,
    boxes,
    coordinate_arrays,
    positions,
)
from kernel_references import distances
from scipy.spatial import cKDTree
from threadpoolctl import threadpool_limits

import chemlib


def as_set(pairs: np.ndarray) -> set[tuple[int, int]]:
    return set(map(tuple, pairs.tolist()))


def expected_pairs(d: np.ndarray, max_cutoff: float, min_cutoff: float | None = None):
    keep = d <= max_cutoff
    if min_cutoff is not None:
        keep &= d > min_cutoff
    return set(zip(*(x.tolist() for x in np.nonzero(keep)), strict=True))


def usable_cutoff(box, wanted: float) -> float:
    if box is None:
        return wanted
    from chemlib._box import as_cell

    return min(wanted, as_cell(box).max_cutoff())


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_capped_distance_finds_exactly_the_reference_pairs(rng, box):
    a, b = positions(rng, 400), positions(rng, 350)
    cutoff = usable_cutoff(box, 6.0)
    pairs, d = chemlib.capped_distance(a, b, cutoff, box=box)
    reference = distances(a, b, box)
    assert as_set(pairs) == expected_pairs(reference, cutoff)
    assert len(pairs) == len(as_set(pairs))  # no duplicates
    np.testing.assert_allclose(d, reference[pairs[:, 0], pairs[:, 1]], atol=1e-11)


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_self_capped_distance_finds_each_pair_once_with_i_below_j(rng, box):
    a = positions(rng, 500)
    cutoff = usable_cutoff(box, 5.0)
    pairs, d = chemlib.self_capped_distance(a, cutoff, box=box)
    reference = distances(a, a, box)
    expected = {(i, j) for i, j in expected_pairs(reference, cutoff) if i < j}
    assert as_set(pairs) == expected
    assert len(pairs) == len(expected)
    np.testing.assert_allclose(d, reference[pairs[:, 0], pairs[:, 1]], atol=1e-11)


def test_matches_scipy_periodic_kdtree(rng):
    lengths = ORTHORHOMBIC[:3]
    a = rng.uniform(0, 1, (2000, 3)) * lengths
    tree = cKDTree(a, boxsize=lengths)
    expected = tree.query_pairs(4.0, output_type="set")
    pairs = chemlib.self_capped_distance(a, 4.0, box=ORTHORHOMBIC, return_distances=False)
    assert as_set(pairs) == expected


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_min_cutoff_drops_pairs_at_or_below_it(rng, box):
    a, b = positions(rng, 300), positions(rng, 300)
    cutoff = usable_cutoff(box, 7.0)
    pairs, _ = chemlib.capped_distance(a, b, cutoff, min_cutoff=cutoff / 2, box=box)
    assert as_set(pairs) == expected_pairs(distances(a, b, box), cutoff, cutoff / 2)


def test_cutoff_edges_are_max_inclusive_min_exclusive():
    a = np.zeros((1, 3))
    b = np.array([[1.0, 0, 0], [2.0, 0, 0], [3.0, 0, 0]])
    pairs, d = chemlib.capped_distance(a, b, 3.0, min_cutoff=1.0)
    assert as_set(pairs) == {(0, 1), (0, 2)}
    np.testing.assert_array_equal(np.sort(d), [2.0, 3.0])


def test_orthorhombic_cutoff_beyond_half_the_box_keeps_minimum_images(rng):
    box = np.array([8.0, 9.0, 10.0, 90, 90, 90])
    a = positions(rng, 60)
    pairs, d = chemlib.self_capped_distance(a, 7.0, box=box)
    reference = distances(a, a, box)
    np.testing.assert_allclose(d, reference[pairs[:, 0], pairs[:, 1]], atol=1e-11)
    assert as_set(pairs) == {(i, j) for i, j in expected_pairs(reference, 7.0) if i < j}


def test_return_distances_false_returns_only_pairs(rng):
    a = positions(rng, 100)
    result = chemlib.capped_distance(a, a, 3.0, return_distances=False)
    assert isinstance(result, np.ndarray)
    assert result.dtype == np.int64
    assert result.shape[1] == 2


def test_empty_inputs_give_empty_results():
    empty, some = np.empty((0, 3)), np.ones((5, 3))
    for pairs, d in (
        chemlib.capped_distance(empty, some, 2.0),
        chemlib.capped_distance(some, empty, 2.0, box=ORTHORHOMBIC),
        chemlib.self_capped_distance(empty, 2.0, box=TRICLINIC_BOXES[0]),
    ):
        assert pairs.shape == (0, 2)
        assert pairs.dtype == np.int64
        assert d.shape == (0,)


def test_coincident_points_are_pairs_at_distance_zero():
    a = np.ones((3, 3))
    pairs, d = chemlib.self_capped_distance(a, 0.5)
    assert as_set(pairs) == {(0, 1), (0, 2), (1, 2)}
    np.testing.assert_array_equal(d, 0.0)


def with_duplicates(rng, n: int) -> np.ndarray:
    """n random positions, then a copy of every third one: pairs at d = 0 exactly."""
    a = positions(rng, n)
    return np.concatenate([a, a[::3]])


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_min_cutoff_zero_drops_exactly_the_coincident_pairs(rng, box):
    a, b = with_duplicates(rng, 120), with_duplicates(rng, 90)
    b[:20] = a[:20]  # coincident across the two sets as well
    cutoff = usable_cutoff(box, 5.0)
    reference = distances(a, b, box)
    assert (reference == 0).sum() >= 20
    pairs, d = chemlib.capped_distance(a, b, cutoff, min_cutoff=0.0, box=box)
    assert as_set(pairs) == expected_pairs(reference, cutoff, 0.0)
    assert (d > 0).all()
    self_reference = distances(a, a, box)
    self_pairs, self_d = chemlib.self_capped_distance(a, cutoff, min_cutoff=0.0, box=box)
    expected = {(i, j) for i, j in expected_pairs(self_reference, cutoff, 0.0) if i < j}
    assert as_set(self_pairs) == expected
    assert (self_d > 0).all()


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_no_min_cutoff_keeps_the_coincident_pairs(rng, box):
    n = 120
    a = with_duplicates(rng, n)
    cutoff = usable_cutoff(box, 5.0)
    reference = distances(a, a, box)
    pairs, d = chemlib.self_capped_distance(a, cutoff, min_cutoff=None, box=box)
    assert as_set(pairs) == {(i, j) for i, j in expected_pairs(reference, cutoff) if i < j}
    coincident = {(i, n + k) for k, i in enumerate(range(0, n, 3))}
    assert coincident <= as_set(pairs)
    np.testing.assert_array_equal(d[[tuple(p) in coincident for p in pairs.tolist()]], 0.0)
    cross, cross_d = chemlib.capped_distance(a, a, cutoff, box=box)
    assert {(i, i) for i in range(len(a))} <= as_set(cross)
    assert (cross_d == 0).sum() == (reference == 0).sum()


def test_min_cutoff_zero_compares_the_computed_distance():
    # d > 0 on the computed float64 distance: 1e-150 (square 1e-300, normal) is
    # kept; below ~1.5e-154 the square underflows, d is computed as 0 (the
    # README's precision limits) and the pair is dropped like a coincident one.
    a = np.zeros((1, 3))
    b = np.array([[0.0, 0, 0], [1e-150, 0, 0], [0, 3e-150, 4e-150], [1e-170, 0, 0], [0, 0, 2]])
    pairs, d = chemlib.capped_distance(a, b, 1.0, min_cutoff=0.0)
    assert as_set(pairs) == {(0, 1), (0, 2)}
    np.testing.assert_allclose(np.sort(d), [1e-150, 5e-150], rtol=4e-16)


def test_output_does_not_depend_on_thread_count(rng):
    a = rng.uniform(0, 1, (20000, 3)) * ORTHORHOMBIC[:3] * 2
    box = ORTHORHOMBIC * np.array([2, 2, 2, 1, 1, 1])
    with threadpool_limits(limits=1, user_api="openmp"):
        serial = chemlib.self_capped_distance(a, 3.5, box=box)
    parallel = chemlib.self_capped_distance(a, 3.5, box=box)
    np.testing.assert_array_equal(serial[0], parallel[0])
    np.testing.assert_array_equal(serial[1], parallel[1])


@pytest.mark.slow
def test_sparse_search_never_forms_the_full_matrix():
    # 300k x 300k float64 would be 720 GB; the cell list needs O(n + k).
    # getrusage is POSIX: on Windows this test skips, the rest of the module runs.
    resource = pytest.importorskip("resource")
    rng = np.random.default_rng(5)
    box = np.array([150.0, 150.0, 150.0, 90, 90, 90])
    a = rng.uniform(0, 150, (300_000, 3))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pairs = chemlib.self_capped_distance(a, 2.0, box=box, return_distances=False)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    expected = 300_000**2 / 2 * (4 / 3 * np.pi * 8) / 150**3
    assert abs(len(pairs) - expected) < 0.05 * expected
    assert grown_mb < 400


@given(
    a=coordinate_arrays(30),
    b=coordinate_arrays(30),
    cutoff=st.floats(0.5, 60.0),
    box=st.one_of(st.none(), boxes()),
)
def test_capped_agrees_with_distance_array(a, b, cutoff, box):
    if box is not None:
        cutoff = usable_cutoff(box, cutoff)
    pairs, d = chemlib.capped_distance(a, b, cutoff, box=box)
    full = chemlib.distance_array(a, b, box=box)
    # Pairs within a rounding error of the cutoff may fall either way.
    clear = np.abs(full - cutoff) > 1e-9
    found = as_set(pairs)
    inside = expected_pairs(np.where(clear, full, np.inf), cutoff)
    outside = expected_pairs(np.where(clear, full, 0.0), np.inf) - expected_pairs(
        np.where(clear, full, 0.0), cutoff
    )
    assert inside <= found
    assert not (outside & found)
    np.testing.assert_allclose(d, full[pairs[:, 0], pairs[:, 1]], atol=1e-9)
