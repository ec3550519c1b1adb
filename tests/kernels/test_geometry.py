"""chemlib.geometry: distance, calc_bonds, calc_angles, calc_dihedrals."""

from __future__ import annotations

import math

import exact_references as exact
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_inputs import BOX_IDS, BOXES, boxes, positions
from kernel_references import angles as reference_angles
from kernel_references import atan2, box_matrix, dihedrals, norms, pair_vectors

import chemlib


def test_distance_of_the_lesson():
    assert chemlib.distance([0, 0, 0], [1, 1, 1]) == math.sqrt(3)


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=20).flatmap(
        lambda a: st.tuples(
            st.just(a), st.lists(st.floats(-1e6, 1e6), min_size=len(a), max_size=len(a))
        )
    )
)
def test_distance_matches_math_dist(pair):
    a, b = pair
    assert chemlib.distance(a, b) == pytest.approx(math.dist(a, b), rel=1e-14, abs=1e-300)


def test_distance_neither_overflows_nor_underflows():
    assert chemlib.distance([1e200, 0], [-1e200, 0]) == pytest.approx(2e200)
    assert chemlib.distance([3e-200, 0], [0, 4e-200]) == pytest.approx(5e-200)


def test_distance_of_empty_vectors_is_zero():
    assert chemlib.distance([], []) == 0.0


# Tolerances of the comparisons with kernel_references' float64 formulas
# (the same minimum images, folded by matrix products; each operation
# correctly rounded, atan2 included). Kernel and reference each err by the
# README's precision bounds: 2 eps d on a distance, 4 eps rad on an angle, plus
# each bond's fold error 2 eps (l + |r1| + |r2|), over the bond's length for an
# angle. Here |r| <= 70 A (positions in [-10, 40]) and l <= 30 A: 7.6e-14 A a
# fold, so bonds differ by 1.5e-13 A at most (atol 1e-11) and angles by
# 2 (4 eps + 2 x 7.6e-14 / b) = 2.1e-13 rad for these inputs' shortest bond,
# b = 1.48 A (atol 1e-12). Dihedrals divide their bond angles' errors by the
# sines between the bonds, down to 0.02 here: the worst case over these chains
# is 1.8e-13 (no box) to 2.9e-12 rad, reached only if every rounding of both
# folds erred the same way. The measured differences stay below 1.3e-14 (on
# the baseline and x86-64-v3 builds, NumPy 1.26 and 2.x), so the dihedral
# tests keep the 1e-12 they always had; test_precision asserts the bounds
# themselves against exact references.


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_bonds_match_reference(rng, box):
    a, b = positions(rng, 500), positions(rng, 500)
    expected = norms(pair_vectors(a, b, box))
    np.testing.assert_allclose(chemlib.calc_bonds(a, b, box=box), expected, rtol=0, atol=1e-11)


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_angles_match_reference(rng, box):
    c1, c2, c3 = (positions(rng, 400) for _ in range(3))
    np.testing.assert_allclose(
        chemlib.calc_angles(c1, c2, c3, box=box), reference_angles(c1, c2, c3, box), atol=1e-12
    )


@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_dihedrals_match_reference(rng, box):
    c1, c2, c3, c4 = (positions(rng, 400) for _ in range(4))
    np.testing.assert_allclose(
        chemlib.calc_dihedrals(c1, c2, c3, c4, box=box), dihedrals(c1, c2, c3, c4, box), atol=1e-12
    )


def test_dihedral_sign_follows_iupac():
    # Looking along atom2 -> atom3 (+z), the far bond (+y) is 90 degrees
    # clockwise from the near bond (+x): +90 by IUPAC.
    c1, c2, c3 = [[1.0, 0, 0]], [[0.0, 0, 0]], [[0.0, 0, 1]]
    assert chemlib.calc_dihedrals(c1, c2, c3, [[0.0, 1, 1]])[0] == pytest.approx(math.pi / 2)
    assert chemlib.calc_dihedrals(c1, c2, c3, [[0.0, -1, 1]])[0] == pytest.approx(-math.pi / 2)
    assert chemlib.calc_dihedrals(c1, c2, c3, [[1.0, 0, 1]])[0] == pytest.approx(0.0)


def test_trans_dihedral_is_plus_pi_never_minus_pi():
    # y is exactly -0.0 here: atan2 alone would return -pi, outside (-pi, pi].
    value = chemlib.calc_dihedrals([[1.0, 0, 0]], [[0.0, 0, 0]], [[0.0, 0, 1]], [[-1.0, -0.0, 1]])
    assert value[0] == math.pi


def test_degenerate_angles_and_dihedrals_are_zero():
    same = [[1.0, 2.0, 3.0]]
    assert chemlib.calc_angles(same, same, [[4.0, 5, 6]])[0] == 0.0
    collinear = chemlib.calc_dihedrals([[0.0, 0, 0]], [[1.0, 0, 0]], [[2.0, 0, 0]], [[2.0, 1, 0]])
    assert collinear[0] == 0.0


def test_angles_stay_accurate_near_zero_and_pi():
    tiny = 1e-9
    straight = chemlib.calc_angles([[-1.0, 0, 0]], [[0.0, 0, 0]], [[1.0, tiny, 0]])
    folded = chemlib.calc_angles([[1.0, 0, 0]], [[0.0, 0, 0]], [[1.0, tiny, 0]])
    assert straight[0] == pytest.approx(math.pi - tiny, abs=1e-15)
    assert folded[0] == pytest.approx(tiny, rel=1e-9)


@given(box=boxes(), shifts=st.lists(st.integers(-3, 3), min_size=9, max_size=9))
def test_bonds_invariant_under_lattice_shifts(box, shifts):
    rng = np.random.default_rng(7)
    a, b = positions(rng, 30), positions(rng, 30)
    h = box_matrix(box)
    moved_a = a + np.array(shifts[:3]) @ h
    moved_b = b + np.array(shifts[3:6]) @ h
    np.testing.assert_allclose(
        chemlib.calc_bonds(moved_a, moved_b, box=box), chemlib.calc_bonds(a, b, box=box), atol=1e-9
    )


@given(offset=st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3))
def test_angles_and_dihedrals_invariant_under_translation(offset):
    rng = np.random.default_rng(11)
    c = [positions(rng, 20) for _ in range(4)]
    moved = [x + np.array(offset) for x in c]
    np.testing.assert_allclose(
        chemlib.calc_angles(*moved[:3]), chemlib.calc_angles(*c[:3]), atol=1e-9
    )
    np.testing.assert_allclose(
        chemlib.calc_dihedrals(*moved), chemlib.calc_dihedrals(*c), atol=1e-8
    )


def test_empty_inputs_give_empty_results():
    empty = np.empty((0, 3))
    assert chemlib.calc_bonds(empty, empty).shape == (0,)
    assert chemlib.calc_angles(empty, empty, empty).shape == (0,)
    assert chemlib.calc_dihedrals(
        empty, empty, empty, empty, box=[10, 10, 10, 90, 90, 90]
    ).shape == (0,)


def assert_within_ulps(got, want, ulps: int) -> None:
    """Assert |got - want| <= ulps units in the last place of want, elementwise."""
    error = np.abs(got - want) / np.spacing(np.abs(want))
    worst = int(np.argmax(error))
    assert error[worst] <= ulps, f"{error[worst]} ulp at {want[worst]!r} (got {got[worst]!r})"


def test_angles_within_two_ulp_of_correctly_rounded_atan2():
    # chemlib computes atan2 itself (vectorised, geometry_blocks.f90), claiming
    # 2 ulp over every octant and near the reduction points. Here u = +x and
    # v = (x, y, 0), so the kernel's atan2 arguments are |y| and x exactly
    # (products with 0 and 1, sums with 0, and sqrt(y*y) == |y| in IEEE
    # arithmetic), and the reference is atan2(|y|, x) correctly rounded: the
    # 2 ulp are the kernel's atan2 alone, on every CPU. (sin and cos only draw
    # the inputs: whatever they return, the reference follows it exactly.)
    rng = np.random.default_rng(2)
    theta = np.concatenate([rng.uniform(0, np.pi, 20000), np.pi / 8 * np.arange(9), [1e-8, 1e-150]])
    y, x = np.sin(theta), np.cos(theta)
    n = len(theta)
    origin = np.zeros((n, 3))
    u = np.tile([1.0, 0.0, 0.0], (n, 1))
    v = np.c_[x, y, np.zeros(n)]
    assert_within_ulps(chemlib.calc_angles(u, origin, v), atan2(np.abs(y), x), 2)


def test_dihedrals_within_two_ulp_over_the_full_circle():
    # b1 = (cos phi, -sin phi, 0), b2 = +z, b3 = +x: the kernel's atan2
    # arguments are -sin phi and -cos phi exactly (products with 0 and 1, sums
    # with 0), so against the correctly rounded dihedral of these points the
    # error is the kernel's atan2 alone: 2 ulp, as for angles.
    rng = np.random.default_rng(3)
    phi = rng.uniform(-np.pi, np.pi, 20000)
    n = len(phi)
    c1 = np.c_[np.cos(phi), -np.sin(phi), np.zeros(n)] * -1
    c2 = np.zeros((n, 3))
    c3 = np.tile([0.0, 0.0, 1.0], (n, 1))
    c4 = np.tile([1.0, 0.0, 1.0], (n, 1))
    assert_within_ulps(chemlib.calc_dihedrals(c1, c2, c3, c4), exact.dihedrals(c1, c2, c3, c4), 2)


GEOMETRY_KERNELS = {
    "calc_bonds": (chemlib.calc_bonds, 2),
    "calc_angles": (chemlib.calc_angles, 3),
    "calc_dihedrals": (chemlib.calc_dihedrals, 4),
}


@pytest.mark.parametrize("kernel", sorted(GEOMETRY_KERNELS))
@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
def test_float32_entries_give_the_float64_results_of_their_values(rng, kernel, box):
    # All-float32 input goes to the kernels' float32 entries, which widen each
    # block in cache: over many blocks, on several threads (n above the
    # parallel threshold) and a short last block, the results must be those
    # of the float64 values, bit for bit; mixed input takes the float64 entry.
    function, arity = GEOMETRY_KERNELS[kernel]
    coords = [positions(rng, 50_001).astype(np.float32) for _ in range(arity)]
    widened = [c.astype(np.float64) for c in coords]
    expected = function(*widened, box=box)
    np.testing.assert_array_equal(function(*coords, box=box), expected)
    np.testing.assert_array_equal(function(*coords[:-1], widened[-1], box=box), expected)


@pytest.mark.parametrize("kernel", sorted(GEOMETRY_KERNELS))
@pytest.mark.parametrize("box", BOXES, ids=BOX_IDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernels_find_every_non_finite_input_they_screen(rng, kernel, box, bad, dtype):
    # These kernels screen their input block by block (256 rows) while they
    # compute; a bad value in any argument, in the first block, a middle one
    # or the short last one, must raise the error the argument checks give,
    # for float64 and for float32 input (the float32 entries).
    function, arity = GEOMETRY_KERNELS[kernel]
    n = 1000
    for argument in range(arity):
        for row, column in ((0, 0), (517, 1), (n - 1, 2)):
            coords = [positions(rng, n).astype(dtype) for _ in range(arity)]
            coords[argument][row, column] = bad
            with pytest.raises(ValueError, match="NaN or infinity") as raised:
                function(*coords, box=box)
            assert str(raised.value) == (
                f"coords{argument + 1} contains NaN or infinity at index ({row}, {column})"
            )


@pytest.mark.parametrize("kernel", sorted(GEOMETRY_KERNELS))
def test_kernels_screen_tells_overflow_from_non_finite_input(kernel):
    # The screen also counts NaN and infinity formed from finite input: from
    # the largest finite values that is overflow, and the error says so, naming
    # an argument, never "NaN or infinity" (issue 14: inf was returned before).
    function, arity = GEOMETRY_KERNELS[kernel]
    extreme = np.finfo(float).max
    coords = [np.full((300, 3), extreme * (-1) ** k) for k in range(arity)]
    with pytest.raises(ValueError, match=r"coords\d holds a coordinate of magnitude 1.8e\+308"):
        function(*coords)
