"""Every kernel against its error bound, on hard inputs, with exact references.

The bounds are the README's precision table ("Precision"), written here as
functions of the inputs; EPS is float64's machine epsilon, 2**-52. The
references (exact_references.py) compute in rational arithmetic from the
float64 inputs and round once, so an error measured against them is the
kernel's own. The inputs are the cases where float64 formulas go wrong:
points nearly coincident or far from the origin, nearly collinear atoms,
nearly identical or rod-like structures, distances on bin edges, cutoffs of
1e-9 Angstrom.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import exact_references as exact
import numpy as np
import pytest
from kernel_inputs import ORTHORHOMBIC, TRICLINIC_BOXES, positions
from kernel_paths import cross_distances, self_distances, skip_unless_the_cpu_has, wrap_on_path
from kernel_references import norms
from scipy.spatial.transform import Rotation

import chemlib
from chemlib import _rmsd
from chemlib._box import as_cell

EPS = float(np.finfo(np.float64).eps)
PRECISION_BOXES = (ORTHORHOMBIC, TRICLINIC_BOXES[0], TRICLINIC_BOXES[1])
PRECISION_BOX_IDS = ("orthorhombic", "monoclinic", "dodecahedron")


# -- the bounds ---------------------------------------------------------------


def longest_box_vector(box) -> float:
    """Length of the longest box vector (0 without a box)."""
    return 0.0 if box is None else float(max(box[:3]))


def fold_error(box, *points) -> np.ndarray:
    """Absolute error of the minimum image of a displacement between points (none without box).

    It scales with the points' distances from the origin, not only with their
    separation: triclinic kernels fold each point's fractional coordinates.
    """
    if box is None:
        return np.zeros(np.shape(points[0])[:-1])
    return 2 * EPS * (longest_box_vector(box) + sum(np.linalg.norm(p, axis=-1) for p in points))


def distance_bound(d, box, a, b) -> np.ndarray:
    """|error| of the distance d between points a and b (..., 3)."""
    return 2 * EPS * np.asarray(d) + fold_error(box, a, b)


def angle_bound(box, c1, c2, c3, u, v) -> np.ndarray:
    """|error| in radians of the angle at c2 between its bond vectors u and v."""
    return (
        4 * EPS
        + fold_error(box, c1, c2) / np.linalg.norm(u, axis=1)
        + fold_error(box, c2, c3) / np.linalg.norm(v, axis=1)
    )


def sine_between(u, v) -> np.ndarray:
    return np.linalg.norm(np.cross(u, v), axis=1) / (
        np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    )


def dihedral_bound(box, atoms, bonds) -> np.ndarray:
    """|error| in radians of a dihedral: its bond angles' errors over their sines."""
    c1, c2, c3, c4 = atoms
    b1, b2, b3 = bonds
    worst_sine = np.minimum(sine_between(b1, b2), sine_between(b2, b3))
    first, second = angle_bound(box, c1, c2, c3, b1, b2), angle_bound(box, c2, c3, c4, b2, b3)
    return (first + second) / worst_sine


def sum_bound(n: int) -> float:
    """Relative error of a sum of n terms in any order (BLAS chooses): (n + 2) EPS."""
    return (n + 2) * EPS


def rmsd_bound(value, a, b, superposition=True, extra=0.0) -> float:
    """|error| of an RMSD of structures a and b: the sum's or QCP's, the centring's, and extra."""
    relative = 1e-11 if superposition else sum_bound(len(a))
    largest_coordinate = max(np.abs(a).max(), np.abs(b).max())
    return relative * value + 16 * EPS * largest_coordinate + extra


def rod_term(structure) -> float:
    """The superposition's extra error for a rod: 4 EPS L^2 / t.

    L and t are the rod's rms length and thickness: the rotation about its
    axis is fixed by sums of t^2 terms beside the L^2 terms' rounding error.
    """
    centred = structure - structure.mean(axis=0)
    moments = np.linalg.eigvalsh(centred.T @ centred / len(structure))
    thickness = math.sqrt(max(moments[0] + moments[1], 0.0))
    if thickness == 0:
        return 0.0
    return 4 * EPS * moments[2] / thickness


def assert_within(got, want, bound, what: str) -> None:
    error = np.abs(np.asarray(got, float) - np.asarray(want, float))
    bound = np.broadcast_to(bound, error.shape)
    worst = int(np.argmax(error - bound))
    assert np.all(error <= bound), (
        f"{what}: error {error.flat[worst]:.3e} > bound {bound.flat[worst]:.3e}"
    )


# -- inputs -------------------------------------------------------------------


def spread_points(rng, n, centre, spread) -> np.ndarray:
    """n positions within spread of centre along each axis."""
    return positions(rng, n, centre - spread, centre + spread)


HARD_POINT_SETS = {
    # name: (centre, spread)
    "ordinary": (0.0, 10.0),
    "far from the origin": (1e5, 50.0),
    "huge and close": (1e8, 1e-3),
    "nearly coincident": (5.0, 1e-12),
    "tiny": (0.0, 1e-150),
}


# -- distances and bonds --------------------------------------------------------


@pytest.mark.parametrize("points", HARD_POINT_SETS, ids=list(HARD_POINT_SETS))
def test_distances_without_box_are_within_two_eps_relative(rng, points):
    centre, spread = HARD_POINT_SETS[points]
    a, b = spread_points(rng, 25, centre, spread), spread_points(rng, 25, centre, spread)
    want = exact.distance_matrix(a, b)
    assert_within(chemlib.distance_array(a, b), want, 2 * EPS * want, "distance_array")
    assert_within(chemlib.calc_bonds(a, b), np.diag(want), 2 * EPS * np.diag(want), "calc_bonds")
    pdist_order = np.triu_indices(len(a), 1)
    self_want = exact.distance_matrix(a, a)[pdist_order]
    assert_within(chemlib.self_distance_array(a), self_want, 2 * EPS * self_want, "self")


def test_float32_inputs_are_exact_float32_values_measured_in_float64(rng):
    a = spread_points(rng, 30, 1e3, 20.0).astype(np.float32)
    b = spread_points(rng, 30, 1e3, 20.0).astype(np.float32)
    want = exact.distance_matrix(a, b)
    assert_within(chemlib.distance_array(a, b), want, 2 * EPS * want, "float32 distance_array")
    assert_within(
        chemlib.calc_bonds(a, b), np.diag(want), 2 * EPS * np.diag(want), "float32 calc_bonds"
    )


@pytest.mark.parametrize("box", PRECISION_BOXES, ids=PRECISION_BOX_IDS)
@pytest.mark.parametrize("spread", [10.0, 100.0, 1e4])
def test_periodic_distances_add_the_fold_error(rng, box, spread):
    a, b = spread_points(rng, 20, 0.0, spread), spread_points(rng, 20, 0.0, spread)
    want = exact.distance_matrix(a, b, box)
    assert_within(
        chemlib.distance_array(a, b, box=box),
        want,
        distance_bound(want, box, a[:, None, :], b[None, :, :]),
        "periodic",
    )
    assert_within(
        chemlib.calc_bonds(a, b, box=box),
        np.diag(want),
        distance_bound(np.diag(want), box, a, b),
        "periodic calc_bonds",
    )


@pytest.mark.parametrize(
    "simd_level", [1, 3, 4], ids=["baseline path", "AVX2 path", "AVX-512 path"]
)
@pytest.mark.parametrize(
    "box",
    [*TRICLINIC_BOXES, np.array([30.0, 30.0, 30.0, 60.0, 60.0, 60.0])],
    ids=["monoclinic", "dodecahedron", "octahedron", "rhombohedron"],
)
def test_each_path_of_the_triclinic_loop_is_within_the_bound(rng, box, simd_level):
    # triclinic_distances.c's wide paths fuse multiply-adds and the baseline
    # path does not: each must meet the bound on its own, in both kernels
    # that run it. The 60-60-60 rhombohedron has all 14 useful shifts, so a
    # loop that skipped a slot would miss images (the other cells pad theirs
    # with repeats). self_distance_array's rows of 28 down to 1 take every
    # remainder of the 2, 4 and 8 lanes.
    skip_unless_the_cpu_has(simd_level)
    for spread in (10.0, 100.0, 1e4):
        a, b = spread_points(rng, 7, 0.0, spread), spread_points(rng, 29, 0.0, spread)
        want = exact.distance_matrix(a, b, box)
        got = cross_distances(a, b, simd_level, box)
        bound = distance_bound(want, box, a[:, None, :], b[None, :, :])
        assert_within(got, want, bound, f"distance_array, spread {spread}")
        pairs = self_distances(b, simd_level, box)
        upper = np.triu_indices(len(b), 1)
        want = exact.distance_matrix(b, b, box)[upper]
        bound = distance_bound(want, box, b[upper[0]], b[upper[1]])
        assert_within(pairs, want, bound, f"self_distance_array, spread {spread}")


@pytest.mark.parametrize("scale", [1.0, 1e-200, 1e200], ids=["ordinary", "tiny", "huge"])
@pytest.mark.parametrize("n", [3, 1000])
def test_distance_of_two_vectors_is_within_the_sum_bound(rng, scale, n):
    # BLAS dnrm2 scales as it sums: squares of 1e-200 or 1e200 would not fit.
    a, b = rng.normal(size=n) * scale, rng.normal(size=n) * scale
    delta = exact.rational(b) - exact.rational(a)
    want = exact.rounded_sqrt((delta * delta).sum())
    assert_within(chemlib.distance(a, b), want, sum_bound(n) * want, "distance")


# -- angles and dihedrals -------------------------------------------------------


def bent_triples(rng, kind: str, centre: float, n: int = 150):
    """Atoms c1, c2, c3 around centre with bond vectors of the given kind."""
    c2 = spread_points(rng, n, centre, 10.0)
    d1, d3 = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    if kind == "nearly straight":
        d3 = -0.6 * d1 + rng.normal(scale=1e-7, size=(n, 3))
    elif kind == "nearly folded":
        d3 = 1.7 * d1 + rng.normal(scale=1e-7, size=(n, 3))
    elif kind == "tiny bonds":
        d1, d3 = d1 * 1e-9, d3 * 1e-9
    return c2 + d1, c2, c2 + d3


@pytest.mark.parametrize("centre", [0.0, 1e6])
@pytest.mark.parametrize("kind", ["random", "nearly straight", "nearly folded", "tiny bonds"])
def test_angles_without_box_are_within_four_eps(rng, kind, centre):
    c1, c2, c3 = bent_triples(rng, kind, centre)
    assert_within(
        chemlib.calc_angles(c1, c2, c3),
        exact.angles(c1, c2, c3),
        angle_bound(None, c1, c2, c3, c1 - c2, c3 - c2),
        f"calc_angles {kind}",
    )


def exact_bond(a, b, box) -> np.ndarray:
    return exact.minimum_images(exact.rational(b) - exact.rational(a), box).astype(float)


@pytest.mark.parametrize("box", PRECISION_BOXES, ids=PRECISION_BOX_IDS)
@pytest.mark.parametrize("spread", [10.0, 100.0])
def test_periodic_angles_add_the_fold_error_over_the_bond_lengths(rng, box, spread):
    c1, c2, c3 = (spread_points(rng, 150, 0.0, spread) for _ in range(3))
    u, v = exact_bond(c2, c1, box), exact_bond(c2, c3, box)
    assert_within(
        chemlib.calc_angles(c1, c2, c3, box=box),
        exact.angles(c1, c2, c3, box),
        angle_bound(box, c1, c2, c3, u, v),
        "periodic calc_angles",
    )


def angular_difference(got, want) -> np.ndarray:
    difference = np.abs(np.asarray(got) - np.asarray(want))
    return np.minimum(difference, 2 * np.pi - difference)


def chains(rng, collinearity: float | None, centre: float, n: int = 150):
    """Atoms c1..c4 of chains; bond 1 within collinearity of bond 2 when given."""
    b1, b2, b3 = (rng.normal(size=(n, 3)) for _ in range(3))
    if collinearity is not None:
        b1 = 0.8 * b2 + rng.normal(scale=collinearity, size=(n, 3))
    c1 = spread_points(rng, n, centre, 5.0)
    return c1, c1 + b1, c1 + b1 + b2, c1 + b1 + b2 + b3


@pytest.mark.parametrize("centre", [0.0, 1e3])
@pytest.mark.parametrize("collinearity", [None, 1e-4, 1e-8], ids=["random", "1e-4", "1e-8"])
def test_dihedrals_are_within_the_bond_angle_errors_over_their_sines(rng, collinearity, centre):
    atoms = chains(rng, collinearity, centre)
    bonds = [b - a for a, b in itertools.pairwise(atoms)]
    error = angular_difference(chemlib.calc_dihedrals(*atoms), exact.dihedrals(*atoms))
    assert_within(error, 0.0, dihedral_bound(None, atoms, bonds), "calc_dihedrals")


@pytest.mark.parametrize("box", PRECISION_BOXES, ids=PRECISION_BOX_IDS)
def test_periodic_dihedrals_are_within_their_bound(rng, box):
    atoms = [spread_points(rng, 150, 0.0, 60.0) for _ in range(4)]
    bonds = [exact_bond(a, b, box) for a, b in itertools.pairwise(atoms)]
    error = angular_difference(
        chemlib.calc_dihedrals(*atoms, box=box), exact.dihedrals(*atoms, box=box)
    )
    assert_within(error, 0.0, dihedral_bound(box, atoms, bonds), "periodic calc_dihedrals")


# -- capped distances -------------------------------------------------------------


@pytest.mark.parametrize(
    ("centre", "spread", "cutoff"),
    [(0.0, 3.0, 1.5), (1e3, 1e-9, 1e-9), (0.0, 1e-12, 5e-13)],
    ids=["ordinary", "tiny cutoff far out", "tiny cutoff"],
)
def test_capped_pairs_are_decided_by_distances_within_the_bound(rng, centre, spread, cutoff):
    a = spread_points(rng, 60, centre, spread)
    b = spread_points(rng, 60, centre, spread)
    want = exact.distance_matrix(a, b)
    pairs, found = chemlib.capped_distance(a, b, cutoff)
    bound = 2 * EPS * want
    assert_within(found, want[pairs[:, 0], pairs[:, 1]], bound[pairs[:, 0], pairs[:, 1]], "capped")
    reported = np.zeros(want.shape, dtype=bool)
    reported[pairs[:, 0], pairs[:, 1]] = True
    certainly_in = want <= cutoff - bound
    certainly_out = want > cutoff + bound
    assert certainly_in.any(), "the case must have pairs inside the cutoff"
    assert certainly_out.any(), "the case must have pairs beyond the cutoff"
    assert np.all(reported[certainly_in]), "a pair inside the cutoff was missed"
    assert not np.any(reported[certainly_out]), "a pair beyond the cutoff was reported"


@pytest.mark.parametrize("box", PRECISION_BOXES, ids=PRECISION_BOX_IDS)
def test_periodic_capped_distances_are_within_the_distance_bound(rng, box):
    a = spread_points(rng, 80, 0.0, 100.0)
    pairs, found = chemlib.self_capped_distance(a, 6.0, box=box)
    i, j = pairs[:, 0], pairs[:, 1]
    want = exact.pair_distances(a[i], a[j], box)
    assert_within(found, want, distance_bound(want, box, a[i], a[j]), "periodic capped")


# -- RDF ------------------------------------------------------------------------------


def test_rdf_bins_exact_edge_distances_as_numpy_histogram():
    # Pairs at exactly representable distances: 0.5 falls on an edge of
    # linspace(0, 1, 11) (edges[5] == 0.5) and goes to the upper bin; far from
    # the origin the displacement is still exact.
    box = [1e4, 1e4, 1e4, 90, 90, 90]
    steps = np.array([0.25, 0.5, 0.75, 1.0])  # the last is the closed last edge
    reference = np.tile([5e3, 5e3, 5e3], (len(steps), 1))
    configuration = reference + np.c_[steps, np.zeros((len(steps), 2))]
    edges = np.linspace(0.0, 1.0, 11)
    assert edges[5] == 0.5
    _, g = chemlib.rdf(reference[:1], configuration, box=box, nbins=10, range=(0.0, 1.0))
    counts = np.histogram(steps, bins=edges)[0]
    assert np.flatnonzero(g).tolist() == np.flatnonzero(counts).tolist() == [2, 5, 7, 9]


def exact_g(counts, n_pairs, box, edges) -> np.ndarray:
    """g from exact shell volumes and box volume (pi and the cell taken as float64)."""
    volume = exact.rational(as_cell(box).h).diagonal().prod()
    values = []
    for count, inner, outer in zip(counts, edges[:-1], edges[1:], strict=True):
        shell = Fraction(4, 3) * Fraction(math.pi) * (Fraction(outer) ** 3 - Fraction(inner) ** 3)
        values.append(float(count / (n_pairs / volume * shell)) if count else 0.0)
    return np.array(values)


def test_rdf_normalisation_is_within_eight_eps(rng):
    box = [20.0, 20.0, 20.0, 90.0, 90.0, 90.0]
    atoms = rng.uniform(0, 20, size=(120, 3))
    edges = np.linspace(4.0, 9.0, 6)
    _, g = chemlib.rdf(atoms, box=box, nbins=5, range=(4.0, 9.0))
    d = exact.distance_matrix(atoms, atoms, box)[np.triu_indices(len(atoms), 1)]
    want = exact_g(2 * np.histogram(d, bins=edges)[0], len(atoms) * (len(atoms) - 1), box, edges)
    assert want.all()
    assert_within(g, want, 8 * EPS * want, "rdf g(r)")


def test_rdf_of_thin_shells_far_out_keeps_its_digits():
    # Shells 2e-7 A thick at 10 A: b^3 - a^3 would lose 8 digits to cancellation.
    box = [30.0, 30.0, 30.0, 90.0, 90.0, 90.0]
    atoms = np.array([[1.0, 1.0, 1.0], [11.0000005, 1.0, 1.0]])
    span = (10.0, 10.000001)
    edges = np.linspace(*span, 6)
    _, g = chemlib.rdf(atoms, box=box, nbins=5, range=span)
    d = exact.pair_distances(atoms[:1], atoms[1:], box)
    want = exact_g(2 * np.histogram(d, bins=edges)[0], 2, box, edges)
    assert want.any()
    assert_within(g, want, 8 * EPS * want, "rdf g(r) of thin shells")


# -- RMSD ---------------------------------------------------------------------------


def structure(rng, shape: str, n: int = 60) -> np.ndarray:
    if shape == "globular":
        return rng.normal(scale=6.0, size=(n, 3))
    if shape == "planar":
        return (
            np.c_[rng.normal(scale=5.0, size=(n, 2)), np.zeros(n)]
            @ Rotation.random(random_state=rng.integers(2**32)).as_matrix()
        )
    if shape == "linear":
        return np.linspace(-10, 10, n)[:, None] * rng.normal(size=3)
    raise ValueError(shape)


def moved(rng, a, noise: float) -> np.ndarray:
    """a with noise, rotated and translated."""
    turn = Rotation.random(random_state=rng.integers(2**32))
    return turn.apply(a + rng.normal(scale=noise, size=a.shape)) + rng.normal(scale=30, size=3)


NOISE_LEVELS = [1.0, 0.1, 1e-2, 1e-3, 1e-6, 1e-10, 0.0]


@pytest.mark.parametrize("offset", [0.0, 1e4])
@pytest.mark.parametrize(
    ("shape", "n"), [("globular", 60), ("globular", 500), ("planar", 60), ("linear", 60)]
)
def test_superposed_rmsd_is_within_its_bound(rng, shape, n, offset):
    a = structure(rng, shape, n) + offset
    frames = np.array([moved(rng, a - offset, noise) + offset for noise in NOISE_LEVELS])
    weights = rng.uniform(1.0, 30.0, len(a))
    for w in (None, weights):
        got = chemlib.rmsd_trajectory(a, frames, weights=w)
        for frame, value in zip(frames, got, strict=True):
            want = exact.rmsd(a, frame, w, superposition=True)
            assert_within(value, want, rmsd_bound(want, a, frame), f"{shape} trajectory")
        single = chemlib.rmsd(a, frames[2], weights=w, superposition=True)
        want = exact.rmsd(a, frames[2], w, superposition=True)
        assert_within(single, want, rmsd_bound(want, a, frames[2]), f"{shape} rmsd")
        rotation, value = chemlib.rotation_matrix(a, frames[2], weights=w)
        assert_within(value, want, rmsd_bound(want, a, frames[2]), f"{shape} rotation_matrix")
        assert_within(rotation @ rotation.T, np.eye(3), 8 * EPS, "orthogonality")
        # The rotation itself is as good as the RMSD claims, to the bound.
        achieved = exact.rmsd(a, frames[2], w, rotation=rotation)
        assert_within(achieved, want, rmsd_bound(want, a, frames[2]), f"{shape} rotation")


@pytest.mark.parametrize("precentered", [False, True], ids=["centring", "precentred"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("simd_level", [1, 3], ids=["baseline path", "AVX2 path"])
def test_each_path_of_the_frame_pass_is_within_the_bound(rng, simd_level, dtype, precentered):
    # frame_sums.c's baseline and AVX2 paths sum in different orders (two or
    # four partial sums, FMA on AVX2); each must meet the bound on its own.
    # Atom counts 2 to 9 take every remainder of both vector widths. Precentred,
    # the frames are taken as they are and turned about the origin: the 1e4
    # offset then makes a rotation far from the atoms.
    skip_unless_the_cpu_has(simd_level)
    kernel = _rmsd.rmsd_trajectory_single if dtype == np.float32 else _rmsd.rmsd_trajectory
    for (shape, n), offset in itertools.product(
        [("globular", 2), ("globular", 3), ("planar", 5), ("globular", 9), ("linear", 60),
         ("globular", 500)],
        [0.0, 1e4],
    ):  # fmt: skip
        a = structure(rng, shape, n) + offset
        frames = np.array([moved(rng, a - offset, noise) + offset for noise in NOISE_LEVELS])
        frames = frames.astype(dtype)
        weights = rng.uniform(1.0, 30.0, n)
        # Scaled into (0, 1] as the public function does, by a power of two: exactly.
        values, info, non_finite = kernel(
            a.T, frames.T, weights / 32.0, True, True, precentered, simd_level
        )
        assert (info, non_finite) == (0, 0)
        for frame, value in zip(frames.astype(np.float64), values, strict=True):
            want = exact.rmsd(a, frame, weights, superposition=True, precentered=precentered)
            assert_within(value, want, rmsd_bound(want, a, frame), f"{shape} {n}, {offset}")


def test_linear_molecules_do_not_lose_half_the_digits(rng):
    # The key matrix of a linear molecule has a double largest eigenvalue:
    # Newton's root then carries an error of sqrt(EPS) E0, which QCP alone
    # would return (a relative error of 1e-5 here before the error estimate).
    t = np.linspace(-10.0, 10.0, 150)[:, None]
    a = t * np.array([1.0, 2.0, 3.0]) / math.sqrt(14.0)
    stretched = t * 1.01 + rng.normal(scale=1e-3, size=t.shape)
    b = stretched * np.array([3.0, -1.0, 0.5]) / np.linalg.norm([3.0, -1.0, 0.5])
    want = exact.rmsd(a, b, superposition=True)
    assert_within(chemlib.rmsd_trajectory(a, b[None])[0], want, rmsd_bound(want, a, b), "linear")


@pytest.mark.parametrize("thickness", [1e-1, 1e-2, 1e-4, 1e-6])
def test_rods_add_eps_length_squared_over_thickness(rng, thickness):
    a = np.c_[np.linspace(-20.0, 20.0, 60), rng.normal(scale=thickness, size=(60, 2))]
    for noise in (0.0, 1e-3):
        b = Rotation.random(random_state=rng.integers(2**32)).apply(
            a + rng.normal(scale=noise, size=a.shape)
        )
        want = exact.rmsd(a, b, superposition=True)
        assert_within(
            chemlib.rmsd_trajectory(a, b[None])[0],
            want,
            rmsd_bound(want, a, b, extra=rod_term(a)),
            f"rod of thickness {thickness}",
        )


@pytest.mark.parametrize("center", [True, False], ids=["centred", "plain"])
@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_unsuperposed_rmsd_is_within_its_bound(rng, center, offset):
    a = structure(rng, "globular") + offset
    frames = np.array([a + rng.normal(scale=s, size=a.shape) + 3.0 for s in NOISE_LEVELS])
    got = chemlib.rmsd_trajectory(a, frames, superposition=False, center=center)
    frames32 = frames.astype(np.float32)
    got32 = chemlib.rmsd_trajectory(a, frames32, superposition=False, center=center)
    for frame, frame32, value, value32 in zip(frames, frames32, got, got32, strict=True):
        want = exact.rmsd(a, frame, center=center)
        assert_within(value, want, rmsd_bound(want, a, frame, superposition=False), "rmsd")
        want32 = exact.rmsd(a, frame32, center=center)
        assert_within(
            value32, want32, rmsd_bound(want32, a, frame32, superposition=False), "float32 frames"
        )


# -- mass properties --------------------------------------------------------------------


@pytest.fixture(params=[0.0, 1e6], ids=["at the origin", "far from the origin"])
def heavy_and_light(rng, request):
    """Atoms with masses over six decades, centred at 0 or 1e6 Angstrom."""
    coords = request.param + rng.normal(scale=8.0, size=(400, 3))
    masses = 10.0 ** rng.uniform(-3, 3, len(coords))
    return coords, masses


def centroid_bound(coords, masses) -> float:
    """|error| of the centre of mass, per component."""
    return sum_bound(len(coords)) * float((masses[:, None] * np.abs(coords)).sum() / masses.sum())


def test_center_of_mass_is_within_the_sum_bound(heavy_and_light):
    coords, masses = heavy_and_light
    points, m = exact.rational(coords), exact.rational(masses)
    want = np.array([float(x) for x in exact.weighted_centroid(points, m)])
    assert_within(
        chemlib.center_of_mass(coords, masses), want, centroid_bound(coords, masses), "com"
    )


def test_radius_of_gyration_and_inertia_are_within_their_bounds(heavy_and_light):
    coords, masses = heavy_and_light
    moments, total = exact.second_moments(coords, masses)
    trace = moments.trace()
    radius = exact.rounded_sqrt(trace / total)
    centroid_error = centroid_bound(coords, masses)
    assert_within(
        chemlib.radius_of_gyration(coords, masses),
        radius,
        sum_bound(len(coords)) * radius + math.sqrt(3) * centroid_error,
        "radius_of_gyration",
    )
    inertia = exact.inertia_tensor(coords, masses).astype(float)
    # Each moment is a sum of positive terms, or of terms bounded by the trace.
    bound = 2 * sum_bound(len(coords)) * float(trace) + 4 * float(total) * radius * centroid_error
    assert_within(chemlib.inertia_tensor(coords, masses), inertia, bound, "inertia_tensor")


def test_principal_axes_are_within_the_tensor_error_over_the_gaps(heavy_and_light):
    coords, masses = heavy_and_light
    moments, _ = exact.second_moments(coords, masses)
    inertia = exact.inertia_tensor(coords, masses).astype(float)
    tensor_error = (
        2 * sum_bound(len(coords)) * float(moments.trace()) + 4 * EPS * np.abs(inertia).max()
    )
    values, vectors = exact.principal_axes(coords, masses)  # largest moment first
    upper, lower = values[0] - values[1], values[1] - values[2]
    gaps = [upper, min(upper, lower), lower]
    axes = chemlib.principal_axes(coords, masses)
    for axis, expected, gap in zip(axes, vectors, gaps, strict=True):
        # |a x e| in float64: within 8 eps of the exact sine (unit vectors).
        sine = float(norms(np.cross(axis, expected)))
        assert sine <= 4 * tensor_error / gap + 8 * EPS


# -- wrap -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "simd_level", [0, 1, 3, 4], ids=["public", "baseline path", "AVX2 path", "AVX-512 path"]
)
@pytest.mark.parametrize("box", PRECISION_BOXES, ids=PRECISION_BOX_IDS)
@pytest.mark.parametrize("spread", [50.0, 1e6])
def test_wrap_moves_by_a_lattice_vector_within_the_fold_error(rng, box, spread, simd_level):
    # periodic_wrap.c's wide paths fuse multiply-adds and the baseline path
    # does not: each must meet the bound, and put every fraction in [0, 1).
    cell = as_cell(box)
    # Random points, and lattice points (the corners of cells) with their
    # neighbours a rounding error off along each axis: the faces.
    lattice = np.array(list(itertools.product([-2, 0, 1, 3], repeat=3))) @ cell.h
    offsets = np.nextafter(lattice, np.where(rng.random(lattice.shape) < 0.5, np.inf, -np.inf))
    coords = np.concatenate([spread_points(rng, 200, 0.0, spread), lattice, offsets])
    wrapped = wrap_on_path(coords, box, simd_level)
    h = exact.rational(cell.h)
    # The exact lattice vector the kernel moved by: rounding cannot change it.
    steps = np.rint((coords - wrapped) @ cell.hinv).astype(int)
    moved_exactly = exact.rational(coords) - steps @ h
    want = moved_exactly.astype(float)
    bound = fold_error(box, coords)[:, None]
    assert_within(wrapped, want, bound, "wrap")
    if cell.kind == "orthorhombic":
        # Settled by comparing positions with the edges: [0, L) exactly.
        assert wrapped.min() >= 0.0
        assert np.all(wrapped < np.diag(cell.h))
        return
    # The exact fractions of what the kernel returned, through the hinv it
    # used. In a triclinic cell the kernel decides on its own rounded fractions
    # (a few eps of |hinv| |w| <= 2 for these cells) and then adds whole
    # vectors (an eps of each): 8 eps covers both.
    fractions = (exact.rational(wrapped) @ exact.rational(cell.hinv)).astype(float)
    assert fractions.min() >= -8 * EPS
    assert fractions.max() < 1 + 8 * EPS
