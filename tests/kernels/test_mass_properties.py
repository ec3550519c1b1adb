"""chemlib.mass_properties: centre of mass, radius of gyration, inertia, principal axes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

import chemlib


@pytest.fixture
def molecule(rng):
    coords = rng.normal(scale=5.0, size=(80, 3)) * [3.0, 1.5, 0.5] + 20.0
    masses = rng.uniform(1.0, 32.0, len(coords))
    return coords, masses


def reference_inertia(coords, masses):
    r = coords - np.average(coords, axis=0, weights=masses)
    return np.einsum("i,ij,ik->jk", masses, r, r).trace() * np.eye(3) - np.einsum(
        "i,ij,ik->jk", masses, r, r
    )


def test_center_of_mass(molecule):
    coords, masses = molecule
    np.testing.assert_allclose(
        chemlib.center_of_mass(coords, masses),
        np.average(coords, axis=0, weights=masses),
        rtol=1e-14,
    )


def test_radius_of_gyration(molecule):
    coords, masses = molecule
    com = np.average(coords, axis=0, weights=masses)
    expected = np.sqrt(np.average(((coords - com) ** 2).sum(1), weights=masses))
    assert chemlib.radius_of_gyration(coords, masses) == pytest.approx(expected, rel=1e-13)


def test_inertia_tensor(molecule):
    coords, masses = molecule
    np.testing.assert_allclose(
        chemlib.inertia_tensor(coords, masses),
        reference_inertia(coords, masses),
        rtol=1e-12,
        atol=1e-9,
    )


def test_principal_axes_are_sorted_orthonormal_eigenvectors(molecule):
    coords, masses = molecule
    axes = chemlib.principal_axes(coords, masses)
    inertia = reference_inertia(coords, masses)
    np.testing.assert_allclose(axes @ axes.T, np.eye(3), atol=1e-13)
    moments = np.einsum("ij,jk,ik->i", axes, inertia, axes)
    assert moments[0] >= moments[1] >= moments[2]
    for axis, moment in zip(axes, moments, strict=True):
        np.testing.assert_allclose(inertia @ axis, moment * axis, rtol=1e-10, atol=1e-8)
    _, eigenvectors = np.linalg.eigh(inertia)
    for axis, expected in zip(axes, eigenvectors.T[::-1], strict=True):
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
