"""Run-time dispatch of the loops compiled for the baseline, AVX2 and AVX-512.

Four loops are compiled for several instruction sets, and the CPU picks:
- the no-box distance loop (src/chemlib/point_distances.c: baseline, AVX2 and
  AVX-512, whose multiply-add units take half the roots);
- the frame pass of rmsd_trajectory's superposition (src/chemlib/frame_sums.c:
  baseline and AVX2);
- the triclinic distance loop (src/chemlib/triclinic_distances.c) and wrap's
  loop (src/chemlib/periodic_wrap.c): baseline, AVX2 and AVX-512.
The no-box loop's paths run the same correctly rounded operations in the same
order, so every distance must be bitwise identical whichever path ran. The
frame pass sums one partial sum per vector lane, and the wide paths of the
other three fuse multiply-adds, so their paths round differently; each is held
to its precision bound (test_precision.py). The private ``simd_level``
argument of the f2py kernels forces a path (1: baseline, 3: AVX2, 4: AVX-512,
0: the CPU's best, what the public functions use); a level the CPU lacks runs
the best it has.
"""

from __future__ import annotations

import math
import platform

import numpy as np
import pytest
from kernel_inputs import TRICLINIC_BOXES, positions
from kernel_paths import cross_distances, self_distances, wrapped

import chemlib
from chemlib import _distances, _rmsd

SIMD_AUTO, SIMD_BASELINE, SIMD_X86_64_V3, SIMD_X86_64_V4 = 0, 1, 3, 4


def numpy_cpu_features() -> dict[str, bool]:
    """NumPy's own CPU detection, independent of chemlib's."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_features__
    return __cpu_features__


def numpy_sees_avx2() -> bool:
    """AVX2 and FMA, as chemlib's level 3 requires (every x86-64-v3 CPU has both)."""
    features = numpy_cpu_features()
    return bool(features.get("AVX2") and features.get("FMA3"))


def numpy_sees_avx512() -> bool:
    """AVX-512 F, CD, BW, DQ and VL (NumPy's AVX512_SKX group), as level 4 requires."""
    return numpy_sees_avx2() and bool(numpy_cpu_features().get("AVX512_SKX"))


needs_avx2 = pytest.mark.skipif(
    not numpy_sees_avx2(), reason="this CPU has no AVX2: only the baseline path runs"
)


def test_the_cpu_picks_the_widest_loop_it_has():
    expected = SIMD_BASELINE
    if platform.machine() in ("x86_64", "AMD64") and numpy_sees_avx2():
        expected = SIMD_X86_64_V4 if numpy_sees_avx512() else SIMD_X86_64_V3
    assert _distances.dispatched_simd_level() == expected


@pytest.mark.parametrize("level", [SIMD_X86_64_V3, SIMD_X86_64_V4], ids=["AVX2", "AVX-512"])
def test_a_level_the_cpu_lacks_runs_the_best_it_has(rng, level):
    # On a CPU without the level, forcing it must neither crash (SIGILL) nor
    # give another path's result: it runs the CPU's best path, bit for bit.
    best = _distances.dispatched_simd_level()
    if level <= best:
        pytest.skip(f"this CPU has level {level}: nothing to fall back from")
    a, b = positions(rng, 23), positions(rng, 41)
    for box in TRICLINIC_BOXES:
        want = cross_distances(a, b, best, box)
        assert np.array_equal(
            cross_distances(a, b, level, box).view(np.uint64), want.view(np.uint64)
        )
    assert np.array_equal(
        self_distances(a, level).view(np.uint64), self_distances(a, best).view(np.uint64)
    )
    for box in TRICLINIC_BOXES:
        assert np.array_equal(wrapped(b, box, level), wrapped(b, box, best))


@pytest.mark.parametrize("box", TRICLINIC_BOXES, ids=["monoclinic", "dodecahedron", "octahedron"])
def test_the_public_wrap_runs_the_cpus_best_path(rng, box):
    # 5000 atoms: more than one block of the threaded loop (periodic.f90).
    coords = positions(rng, 5000, -200.0, 300.0)
    best = wrapped(coords, box, _distances.dispatched_simd_level())
    assert np.array_equal(wrapped(coords, box, SIMD_AUTO).view(np.uint64), best.view(np.uint64))
    assert np.array_equal(chemlib.wrap(coords, box).view(np.uint64), best.view(np.uint64))


@pytest.mark.parametrize("box", TRICLINIC_BOXES, ids=["monoclinic", "dodecahedron", "octahedron"])
def test_the_public_triclinic_distances_run_the_cpus_best_path(rng, box):
    a, b = positions(rng, 19), positions(rng, 67)
    best = cross_distances(a, b, _distances.dispatched_simd_level(), box)
    assert np.array_equal(
        cross_distances(a, b, SIMD_AUTO, box).view(np.uint64), best.view(np.uint64)
    )
    assert np.array_equal(
        chemlib.distance_array(a, b, box=box).view(np.uint64), best.view(np.uint64)
    )


@needs_avx2
@pytest.mark.parametrize("n", [2, 3, 5, 8, 9, 31, 64, 203])
def test_self_distances_bitwise_identical_on_every_path(rng, n):
    # Every row length from n-1 down to 1: the vector body and each remainder.
    points = positions(rng, n) * 10.0 ** rng.integers(-3, 4, size=(n, 1))
    baseline = self_distances(points, SIMD_BASELINE)
    for level in (SIMD_X86_64_V3, SIMD_X86_64_V4):
        assert np.array_equal(
            baseline.view(np.uint64), self_distances(points, level).view(np.uint64)
        )
    assert np.array_equal(
        baseline.view(np.uint64), self_distances(points, SIMD_AUTO).view(np.uint64)
    )
    assert np.array_equal(
        baseline.view(np.uint64), chemlib.self_distance_array(points).view(np.uint64)
    )


@needs_avx2
def test_distance_array_bitwise_identical_on_every_path(rng):
    a, b = positions(rng, 37), positions(rng, 129) + 1e3
    baseline = cross_distances(a, b, SIMD_BASELINE)
    for level in (SIMD_X86_64_V3, SIMD_X86_64_V4):
        assert np.array_equal(
            baseline.view(np.uint64), cross_distances(a, b, level).view(np.uint64)
        )
    assert np.array_equal(baseline.view(np.uint64), chemlib.distance_array(a, b).view(np.uint64))


def test_paths_are_correctly_rounded_per_operation(rng):
    # Each path computes fl(sqrt(fl(fl(fl(dx*dx) + fl(dy*dy)) + fl(dz*dz)))) with
    # dx = fl(x_j - x_i): the same sequence in float64 NumPy (its subtraction,
    # multiplication and addition are correctly rounded, SIMD or not; the square
    # root is libm's, through math) gives the same bits. A fused multiply-add on
    # either path would break this.
    points = positions(rng, 97) * 7.3
    i, j = np.triu_indices(len(points), k=1)
    d = points[j] - points[i]
    squared = (d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) + d[:, 2] * d[:, 2]
    expected = np.array([math.sqrt(value) for value in squared])
    for level in (SIMD_BASELINE, SIMD_X86_64_V3, SIMD_X86_64_V4):
        assert np.array_equal(
            self_distances(points, level).view(np.uint64), expected.view(np.uint64)
        )


def hard_square_roots(rng: np.random.Generator, n: int) -> np.ndarray:
    """Points whose distance from the origin is a hard square root: squared
    lengths that are rounded squares (roots close to a double), their
    neighbours a few ulps off, and the edges of the binades, from 2**-880 to
    2**980, where the AVX-512 path takes roots on its multiply-add units."""
    exponents = rng.integers(-440, 490, size=n)
    lengths = np.ldexp(rng.uniform(1.0, 2.0, size=n), exponents)
    edges = np.ldexp(rng.choice([1.0, math.sqrt(2.0), np.nextafter(1.0, 0.0)], size=n), exponents)
    lengths = np.where(rng.random(n) < 0.3, edges, lengths)
    # A second component nudges the square by 0 to a few ulps of it.
    nudge = lengths * np.ldexp(rng.integers(0, 4, size=n).astype(float), -27)
    nudge[rng.random(n) < 0.3] = 0.0
    return np.column_stack([lengths, nudge, np.zeros(n)])


def test_paths_take_correctly_rounded_roots_of_hard_squares(rng):
    # The AVX-512 path computes half its roots from an estimate refined on the
    # multiply-add units, then corrected to the nearest double
    # (correctly_rounded_root). Every hard root, at both offsets of the 16-pair
    # step so that each one lands in that half, and amid lanes outside its
    # range (coincident points, squares that underflow or overflow, the edges
    # of the range), must be the square-root instruction's, bit for bit.
    hard = hard_square_roots(rng, 40000)
    outside = np.array([0.0, 1e-300, 1e-160, 2.0**-451, 2.0**-450, 2.0**500, 2.0**501, 1e200])
    mixed = np.zeros((4000, 3))
    mixed[:, 0] = np.where(rng.random(4000) < 0.5, rng.choice(outside, 4000), hard[:4000, 0])
    origin = np.zeros((1, 3))
    for offset in (0, 8):
        points = np.concatenate([np.ones((offset, 3)), hard, mixed])
        with np.errstate(over="ignore", under="ignore"):
            squared = (points[:, 0] * points[:, 0] + points[:, 1] * points[:, 1]) + (
                points[:, 2] * points[:, 2]
            )
        expected = np.array([math.sqrt(value) for value in squared])
        for level in (SIMD_BASELINE, SIMD_X86_64_V3, SIMD_X86_64_V4):
            roots = cross_distances(origin, points, level)[0]
            wrong = np.flatnonzero(roots.view(np.uint64) != expected.view(np.uint64))
            assert wrong.size == 0, (level, offset, squared[wrong[:5]], roots[wrong[:5]])


def trajectory_rmsd(
    reference, frames, weights, simd_level: int, precentered: bool = False
) -> tuple[np.ndarray, int]:
    kernel = _rmsd.rmsd_trajectory_single if frames.dtype == np.float32 else _rmsd.rmsd_trajectory
    values, info, non_finite = kernel(
        reference.T, frames.T, weights, True, True, precentered, simd_level
    )
    assert info == 0
    return values, non_finite


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rmsd_trajectory_runs_the_cpus_best_path(rng, dtype):
    reference = positions(rng, 37) * 4.0
    frames = (reference + rng.normal(scale=0.7, size=(9, 37, 3)) + 30.0).astype(dtype)
    weights = rng.uniform(0.1, 1.0, size=37)
    best, _ = trajectory_rmsd(reference, frames, weights, _distances.dispatched_simd_level())
    automatic, _ = trajectory_rmsd(reference, frames, weights, SIMD_AUTO)
    assert np.array_equal(best.view(np.uint64), automatic.view(np.uint64))
    public = chemlib.rmsd_trajectory(reference, frames, weights)
    assert np.array_equal(best.view(np.uint64), public.view(np.uint64))
    # The frame pass stops at AVX2: level 4 runs the AVX2 path.
    avx2, _ = trajectory_rmsd(reference, frames, weights, SIMD_X86_64_V3)
    avx512, _ = trajectory_rmsd(reference, frames, weights, SIMD_X86_64_V4)
    assert np.array_equal(avx2.view(np.uint64), avx512.view(np.uint64))


@pytest.mark.parametrize("precentered", [False, True], ids=["centring", "precentred"])
@pytest.mark.parametrize("n_atoms", range(1, 10))
def test_float32_frames_give_the_float64_result_on_every_path(rng, n_atoms, precentered):
    # The AVX2 path reads float32 frames as they are and widens them as it
    # loads them, the baseline path widens each frame into a buffer first;
    # either way the arithmetic is the float64 path's, bit for bit, for every
    # number of atoms in the last, partial group of four (1 to 9 atoms). Frame
    # 0 is the reference itself: QCP hands it to the refined fallback, which
    # works on the widened frame and gives exactly 0 (two atoms are a rod,
    # whose best rotation is any turn about its axis: rounding error is left;
    # precentred, the rotation is about the origin and one atom is the rod).
    reference = (positions(rng, n_atoms) * 3.0).astype(np.float32).astype(np.float64)
    frames = (reference + rng.normal(scale=0.4, size=(6, n_atoms, 3)) - 20.0).astype(np.float32)
    frames[0] = reference
    weights = rng.uniform(0.1, 1.0, size=n_atoms)
    rod = 1 if precentered else 2
    for level in (SIMD_BASELINE, SIMD_X86_64_V3):
        single, _ = trajectory_rmsd(reference, frames, weights, level, precentered)
        double, _ = trajectory_rmsd(
            reference, frames.astype(np.float64), weights, level, precentered
        )
        assert np.array_equal(single.view(np.uint64), double.view(np.uint64)), level
        assert single[0] == 0.0 or n_atoms == rod, level


@pytest.mark.parametrize("precentered", [False, True], ids=["centring", "precentred"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("atom", [0, 5, 8])
def test_a_non_finite_atom_is_seen_on_every_path(rng, atom, dtype, precentered):
    # Atom 8 of 9 falls in the vector loops' remainder at both widths. The
    # precentred pass has no weighted sum of b: its norm must catch them.
    reference = positions(rng, 9)
    frames = np.stack([reference + 0.1, reference, reference - 0.2]).astype(dtype)
    frames[1, atom, 1] = np.nan
    frames[2, atom, 2] = np.inf
    for level in (SIMD_BASELINE, SIMD_X86_64_V3):
        _, non_finite = trajectory_rmsd(reference, frames, np.ones(9), level, precentered)
        assert non_finite == 2
    with pytest.raises(ValueError, match="frames"):
        chemlib.rmsd_trajectory(reference, frames, precentered=precentered)
