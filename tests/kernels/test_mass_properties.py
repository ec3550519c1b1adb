"""chemlib.mass_properties: centre of mass, radius of gyration, inertia, principal axes."""

from __future__ import annotations

import exact_references as exact
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_references import dot
from scipy.spatial.transform import Rotation

import chemlib


@pytest.fixture
def molecule(rng):
    coords = rng.normal(scale=5.0, size=(80, 3)) * [3.0, 1.5, 0.5] + 20.0
    masses = rng.uniform(1.0, 32.0, len(coords))
    return coords, masses


# The references are exact (exact_references: rational sums, eigenvectors to
# 60 digits), each rounded once. The kernels' worst cases (README, precision;
# asserted by test_precision on harder inputs) for this molecule: the centre
# of mass (n + 2) eps sum m|x| / M = 1.9e-14 relative, the inertia tensor
# 2 (n + 2) eps trace = 1.4e-8 absolute, each axis 7.3e-13 rad. The tests keep
# their tighter tolerances for the centre and the tensor (1e-14 and 1e-12 +
# 1e-9), which assume no more than that rounding errors of random sign do not
# all add up: measured 3.2e-16 and 5.8e-11.


def test_center_of_mass(molecule):
    coords, masses = molecule
    centre = exact.weighted_centroid(exact.rational(coords), exact.rational(masses))
    np.testing.assert_allclose(
        chemlib.center_of_mass(coords, masses), centre.astype(float), rtol=1e-14
    )


def test_radius_of_gyration(molecule):
    # (n + 2) eps Rg + sqrt(3) times the centre's error: 2.7e-14 relative at worst.
    coords, masses = molecule
    moments, total = exact.second_moments(coords, masses)
    expected = exact.rounded_sqrt(moments.trace() / total)
    assert chemlib.radius_of_gyration(coords, masses) == pytest.approx(expected, rel=1e-13)


def test_inertia_tensor(molecule):
    coords, masses = molecule
    np.testing.assert_allclose(
        chemlib.inertia_tensor(coords, masses),
        exact.inertia_tensor(coords, masses).astype(float),
        rtol=1e-12,
        atol=1e-9,
    )


def test_principal_axes_are_sorted_orthonormal_eigenvectors(molecule):
    # Each axis within 7.3e-13 rad of the exact eigenvector: |cos| = 1 to 3e-25.
    # The eigen-equation residual |I a - m a| is the tensor's error, 1.4e-8 at
    # worst, plus m times the axis', 3e-7: inside rtol 1e-10 of |I a| = m.
    coords, masses = molecule
    axes = chemlib.principal_axes(coords, masses)
    inertia = exact.inertia_tensor(coords, masses).astype(float)
    np.testing.assert_allclose(axes @ axes.T, np.eye(3), atol=1e-13)
    moments = dot(axes @ inertia, axes)
    assert moments[0] >= moments[1] >= moments[2]
    for axis, moment in zip(axes, moments, strict=True):
        np.testing.assert_allclose(inertia @ axis, moment * axis, rtol=1e-10, atol=1e-8)
    _, exact_axes = exact.principal_axes(coords, masses)
    for axis, expected in zip(axes, exact_axes, strict=True):
        assert abs(axis @ expected) == pytest.approx(1.0, abs=1e-10)
    assert all(axis[np.argmax(np.abs(axis))] > 0 for axis in axes)


def test_principal_axes_follow_a_rotation(molecule):
    coords, masses = molecule
    rotation = Rotation.random(random_state=9).as_matrix()
    axes = chemlib.principal_axes(coords, masses)
    turned = chemlib.principal_axes(coords @ rotation.T, masses)
    np.testing.assert_allclose(np.abs((axes @ rotation.T * turned).sum(1)), 1.0, atol=1e-10)


def test_zero_masses_are_allowed_when_some_are_positive():
    coords = np.array([[0.0, 0, 0], [2.0, 0, 0], [100.0, 100, 100]])
    np.testing.assert_allclose(chemlib.center_of_mass(coords, [1, 1, 0]), [1.0, 0, 0])


@given(seed=st.integers(0, 2**32 - 1), shift=st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3))
def test_translation_moves_only_the_centre_of_mass(seed, shift):
    rng = np.random.default_rng(seed)
    coords, masses = rng.normal(size=(15, 3)) * 4, rng.uniform(1, 20, 15)
    moved = coords + np.array(shift)
    np.testing.assert_allclose(
        chemlib.center_of_mass(moved, masses),
        chemlib.center_of_mass(coords, masses) + shift,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        chemlib.inertia_tensor(moved, masses), chemlib.inertia_tensor(coords, masses), atol=1e-6
    )
