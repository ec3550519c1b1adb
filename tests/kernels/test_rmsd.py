"""chemlib.rmsd: rmsd, rmsd_trajectory and rotation_matrix (QCP + LAPACK)."""

from __future__ import annotations

import exact_references as exact
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

import chemlib


def structure(rng: np.random.Generator, n: int = 60) -> np.ndarray:
    return rng.normal(scale=8.0, size=(n, 3))


# The references are exact (exact_references: rational sums, a rotation good
# to 60 digits, one correct rounding), so each tolerance is the kernel's own
# error, stated beside it.


def test_plain_rmsd_is_the_textbook_formula(rng):
    # A sum of 180 squares: (n + 2) eps = 4e-14 in the worst case (asserted by
    # test_precision); rounding errors of random sign add up as sqrt(n) eps,
    # 3e-15 here, and the RMSD halves the relative error of its square.
    a, b = structure(rng), structure(rng)
    expected = exact.rmsd(a, b, center=False)
    assert chemlib.rmsd(a, b, center=False) == pytest.approx(expected, rel=1e-14)


def test_centred_rmsd_subtracts_weighted_centroids(rng):
    # (n + 2) eps RMSD + 16 eps max|x| (README, precision): 1.9e-14 relative here.
    a, b = structure(rng), structure(rng) + 5.0
    w = rng.uniform(1, 16, len(a))
    assert chemlib.rmsd(a, b, weights=w) == pytest.approx(exact.rmsd(a, b, w), rel=1e-13)


@pytest.mark.parametrize("weighted", [False, True])
def test_superposed_rmsd_matches_the_exact_superposition(rng, weighted):
    # QCP's largest eigenvalue lambda is good to a few ulps of E0 (half the
    # structures' weighted sum of squares), so the squared RMSD, 2 (E0 - lambda)
    # / sum w, errs by about eps E0 / (E0 - lambda) relative: 3.6e-13 here
    # (measured 2.3e-13 and 2.5e-13 on the RMSD); 1e-12 allows 2.8 ulps of E0.
    a = structure(rng)
    rotation = Rotation.random(random_state=1).as_matrix()
    b = a @ rotation.T + 12.0 + rng.normal(scale=0.3, size=a.shape)
    w = rng.uniform(1, 16, len(a)) if weighted else None
    expected = exact.rmsd(a, b, w, superposition=True)
    assert chemlib.rmsd(a, b, weights=w, superposition=True) == pytest.approx(expected, rel=1e-12)


def test_rotation_matrix_maps_centred_b_onto_centred_a(rng):
    a = structure(rng)
    true_rotation = Rotation.random(random_state=2).as_matrix()
    b = (a - a.mean(0)) @ true_rotation.T - 3.0
    rotation, value = chemlib.rotation_matrix(a, b)
    np.testing.assert_allclose((b - b.mean(0)) @ rotation.T, a - a.mean(0), atol=1e-10)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-14)
    assert np.linalg.det(rotation) == pytest.approx(1.0, abs=1e-14)
    assert value == pytest.approx(0.0, abs=1e-10)


def test_rotation_matrix_agrees_with_the_exact_rotation_on_noisy_data(rng):
    # The rotation moves by |dK| / gap at most: the key matrix's elements are
    # sums of 60 products, |dK| <= (n + 2) eps sum w |a| |b| = 2.4e-10, over a
    # gap of 1.9e4 between its two largest eigenvalues: 1.2e-14 (measured
    # 7.7e-16), well inside atol 1e-12. The value: eps E0 / (E0 - lambda) as above.
    a = structure(rng)
    b = a @ Rotation.random(random_state=3).as_matrix().T + rng.normal(scale=1.0, size=a.shape)
    w = rng.uniform(0.5, 2, len(a))
    rotation, value = chemlib.rotation_matrix(a, b, weights=w)
    expected_rotation = exact.superposing_rotation(a, b, w).astype(float)
    np.testing.assert_allclose(rotation, expected_rotation, atol=1e-12)
    assert value == pytest.approx(exact.rmsd(a, b, w, superposition=True), rel=1e-12)


def test_identical_structures_give_exactly_zero(rng):
    a = structure(rng, 500) + 1e4
    assert chemlib.rmsd(a, a, superposition=True) == 0.0
    assert chemlib.rmsd(a, a.copy()) == 0.0
    # Weighted too: the weight multiplies each product of the refined sums,
    # so S stays exactly symmetric and the rotation exactly the identity.
    for n_atoms in (3, 7, 60):
        b = structure(rng, n_atoms) + 1e4
        w = rng.uniform(0.1, 3.0, n_atoms)
        assert chemlib.rmsd(b, b, w, superposition=True) == 0.0
        assert chemlib.rmsd_trajectory(b, np.stack([b, b]), w).tolist() == [0.0, 0.0]
        assert chemlib.rotation_matrix(b, b, w)[1] == 0.0


def test_nearly_identical_structures_keep_their_digits(rng):
    # 2 (E0 - lambda) cancels catastrophically here: QCP alone loses ~8 digits.
    a = structure(rng, 1000) + 50.0
    rotation = Rotation.from_euler("z", 30, degrees=True).as_matrix()
    noise = rng.normal(scale=1e-7, size=a.shape)
    b = (a + noise) @ rotation.T
    # The README's worst case here is 2e-6 of the RMSD (1.7e-7 A), nearly all
    # of it the centring's 16 eps max|x|, which every coordinate's rounding
    # erring the same way would take; the kernel's careful path measures
    # 4.4e-11. rel=1e-6 keeps the six digits this test has always asked for.
    expected = exact.rmsd(a, b, superposition=True)
    assert chemlib.rmsd(a, b, superposition=True) == pytest.approx(expected, rel=1e-6)


def test_trajectory_equals_framewise_rmsd(rng):
    a = structure(rng)
    frames = np.stack(
        [
            a @ Rotation.random(random_state=i).as_matrix().T + rng.normal(scale=0.5, size=a.shape)
            for i in range(12)
        ]
    )
    w = rng.uniform(1, 3, len(a))
    for superposition in (True, False):
        for center in (True, False):
            values = chemlib.rmsd_trajectory(
                a, frames, w, superposition=superposition, center=center
            )
            expected = [
                chemlib.rmsd(a, f, w, center=center, superposition=superposition) for f in frames
            ]
            np.testing.assert_allclose(values, expected, rtol=1e-14)


def centred_pairs(rng: np.random.Generator, n_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """Points x and -x with equal weights: their weighted centroid is exactly 0."""
    half = structure(rng, n_pairs)
    pair_weights = rng.uniform(1, 3, n_pairs)
    return np.concatenate([half, -half]), np.concatenate([pair_weights, pair_weights])


def test_precentred_frames_give_the_superposed_rmsd(rng):
    # Reference and frames centred exactly (pairs x, -x): skipping the centring
    # changes nothing, so the result is the superposed RMSD, to its bound
    # (README: 1e-11 RMSD + 16 eps max|x|; 1e-12 relative is well inside).
    a, w = centred_pairs(rng, 30)
    frames = []
    for i in range(6):
        half = a[:30] + rng.normal(scale=0.5, size=(30, 3))
        turned = np.concatenate([half, -half]) @ Rotation.random(random_state=i).as_matrix().T
        frames.append(turned)
    frames = np.stack(frames)
    values = chemlib.rmsd_trajectory(a, frames, w, precentered=True)
    expected = [exact.rmsd(a, frame, w, superposition=True) for frame in frames]
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_precentred_superposition_rotates_about_the_origin(rng):
    # Frames that are not centred: the caller said they were, so the result is
    # the best rotation about the origin, without translation (mdtraj's
    # precentered contract), and more than the translated minimum.
    a = structure(rng) + 3.0
    frames = np.stack(
        [a @ Rotation.random(random_state=i).as_matrix().T + [0.0, 2.0, -1.0] for i in range(4)]
    )
    w = rng.uniform(1, 3, len(a))
    values = chemlib.rmsd_trajectory(a, frames, w, precentered=True)
    for frame, value in zip(frames, values, strict=True):
        expected = exact.rmsd(a, frame, w, superposition=True, precentered=True)
        assert value == pytest.approx(expected, rel=1e-12)
        assert value > exact.rmsd(a, frame, w, superposition=True) + 1.0


def test_precentred_without_superposition_is_the_plain_rmsd(rng):
    a = structure(rng)
    frames = a + rng.normal(scale=0.5, size=(5, *a.shape)) + 2.0
    w = rng.uniform(1, 3, len(a))
    for center in (True, False):
        values = chemlib.rmsd_trajectory(
            a, frames, w, superposition=False, center=center, precentered=True
        )
        plain = chemlib.rmsd_trajectory(a, frames, w, superposition=False, center=False)
        np.testing.assert_array_equal(values, plain)


def test_precentred_identical_frames_give_exactly_zero(rng):
    # Identical frames, centred or not: the rotation about the origin is the
    # identity and the refined fallback sums exact zeros.
    for n_atoms in (3, 7, 60):
        b = structure(rng, n_atoms) + 50.0
        w = rng.uniform(0.1, 3.0, n_atoms)
        frames = np.stack([b, b])
        assert chemlib.rmsd_trajectory(b, frames, w, precentered=True).tolist() == [0.0, 0.0]
        single = frames.astype(np.float32)
        reference = single[0].astype(np.float64)
        assert chemlib.rmsd_trajectory(reference, single, w, precentered=True).tolist() == [0, 0]


@pytest.mark.parametrize("precentered", [False, True])
@pytest.mark.parametrize("superposition", [True, False])
@pytest.mark.parametrize("center", [True, False])
def test_float32_frames_give_the_float64_result_of_their_values(
    rng, center, superposition, precentered
):
    # float32 frames are read as they are and widened in the kernel; the
    # arithmetic after that is the float64 path's, so the results are equal
    # bit for bit to those of the same values given as float64.
    a = structure(rng)
    frames = (a + rng.normal(scale=0.5, size=(40, *a.shape))).astype(np.float32)
    w = rng.uniform(1, 3, len(a))
    modes = {"superposition": superposition, "center": center, "precentered": precentered}
    single = chemlib.rmsd_trajectory(a, frames, w, **modes)
    double = chemlib.rmsd_trajectory(a, frames.astype(np.float64), w, **modes)
    assert single.dtype == np.float64
    np.testing.assert_array_equal(single, double)


def test_trajectory_of_zero_frames_is_empty(rng):
    assert chemlib.rmsd_trajectory(structure(rng), np.empty((0, 60, 3))).shape == (0,)


def test_single_atom_superposes_to_zero():
    assert chemlib.rmsd([[1.0, 2, 3]], [[-4.0, 0, 9]], superposition=True) == 0.0


def test_planar_and_linear_structures(rng):
    line = np.outer(np.arange(10.0), [1.0, 2.0, 0.5])
    turned = line @ Rotation.random(random_state=4).as_matrix().T
    assert chemlib.rmsd(line, turned, superposition=True) == pytest.approx(0.0, abs=1e-12)
    plane = np.c_[rng.normal(size=(20, 2)), np.zeros(20)]
    _, value = chemlib.rotation_matrix(plane, plane @ Rotation.random(random_state=5).as_matrix().T)
    assert value == pytest.approx(0.0, abs=1e-12)


@given(
    seed=st.integers(0, 2**32 - 1),
    quaternion=st.lists(st.floats(-1, 1), min_size=4, max_size=4).filter(
        lambda q: np.linalg.norm(q) > 0.1
    ),
    shift=st.lists(st.floats(-100, 100), min_size=3, max_size=3),
)
def test_superposed_rmsd_invariant_under_rigid_motion_of_either(seed, quaternion, shift):
    rng = np.random.default_rng(seed)
    a, b = structure(rng, 25), structure(rng, 25)
    moved = b @ Rotation.from_quat(quaternion).as_matrix().T + np.array(shift)
    assert chemlib.rmsd(a, moved, superposition=True) == pytest.approx(
        chemlib.rmsd(a, b, superposition=True), rel=1e-9, abs=1e-9
    )
    assert chemlib.rmsd(moved, a, superposition=True) == pytest.approx(
        chemlib.rmsd(b, a, superposition=True), rel=1e-9, abs=1e-9
    )


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30))
def test_superposition_never_increases_the_rmsd(seed, n):
    rng = np.random.default_rng(seed)
    a, b = structure(rng, n), structure(rng, n)
    assert chemlib.rmsd(a, b, superposition=True) <= chemlib.rmsd(a, b) + 1e-9
