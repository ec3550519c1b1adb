"""Mass-weighted properties: centre of mass, radius of gyration, inertia, principal axes.

Kernels: ``mass_properties.f90`` (Fortran with BLAS dgemv/dsyrk and LAPACK
dsyev, wrapped by f2py as ``chemlib._mass_properties``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import FloatArray, as_coordinates, as_weights, blas_sized
from chemlib._extensions import load_extension

_mass_properties = load_extension("_mass_properties")

__all__ = ["center_of_mass", "inertia_tensor", "principal_axes", "radius_of_gyration"]


def _coords_and_masses(coords: ArrayLike, masses: ArrayLike) -> tuple[FloatArray, FloatArray]:
    positions = as_coordinates(coords, "coords")
    if len(positions) == 0:
        raise ValueError("coords hold no atoms: mass-weighted properties need at least one")
    blas_sized(len(positions), "coords")
    if masses is None:
        raise TypeError("masses must be an array of numbers, got None")
    return positions, as_weights(masses, "masses", len(positions))


def _second_moments(coords: ArrayLike, masses: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Total mass and ``S = sum m (r - com)(r - com)^T``."""
    positions, weights = _coords_and_masses(coords, masses)
    _, moments = _mass_properties.second_moments(positions.T, weights)
    return weights.sum(), np.ascontiguousarray(moments)


def center_of_mass(coords: ArrayLike, masses: ArrayLike) -> FloatArray:
    """Centre of mass ``sum m_i r_i / sum m_i``.

    Parameters
    ----------
    coords : array_like, shape (n, 3)
        Positions in Angstrom; n >= 1.
    masses : array_like, shape (n,)
        Non-negative masses (any unit), not all zero.

    Returns
    -------
    numpy.ndarray, shape (3,), float64
        Angstrom.

    Examples
    --------
    >>> from chemlib import center_of_mass
    >>> center_of_mass([[0, 0, 0], [4, 0, 0]], [3, 1])
    array([1., 0., 0.])

    """
    positions, weights = _coords_and_masses(coords, masses)
    return _mass_properties.center_of_mass(positions.T, weights)


def radius_of_gyration(coords: ArrayLike, masses: ArrayLike) -> float:
    """Radius of gyration ``sqrt(sum m_i |r_i - com|^2 / sum m_i)``.

    Parameters
    ----------
    coords : array_like, shape (n, 3)
        Positions in Angstrom; n >= 1.
    masses : array_like, shape (n,)
        Non-negative masses, not all zero.

    Returns
    -------
    float
        Angstrom.

    Examples
    --------
    >>> from chemlib import radius_of_gyration
    >>> radius_of_gyration([[-1, 0, 0], [1, 0, 0]], [1, 1])
    1.0

    """
    total, moments = _second_moments(coords, masses)
    return float(np.sqrt(max(np.trace(moments), 0.0) / total))


def inertia_tensor(coords: ArrayLike, masses: ArrayLike) -> FloatArray:
    """Moment of inertia tensor about the centre of mass.

    ``I = sum m_i (|r_i'|^2 E - r_i' r_i'^T)`` with ``r_i' = r_i - com``.

    Parameters
    ----------
    coords : array_like, shape (n, 3)
        Positions in Angstrom; n >= 1.
    masses : array_like, shape (n,)
        Non-negative masses, not all zero.

    Returns
    -------
    numpy.ndarray, shape (3, 3), float64
        Symmetric, in mass x Angstrom^2.

    Examples
    --------
    >>> from chemlib import inertia_tensor
    >>> inertia_tensor([[-1, 0, 0], [1, 0, 0]], [1, 1])
    array([[0., 0., 0.],
           [0., 2., 0.],
           [0., 0., 2.]])

    """
    _, moments = _second_moments(coords, masses)
    return np.trace(moments) * np.eye(3) - moments


def principal_axes(coords: ArrayLike, masses: ArrayLike) -> FloatArray:
    """Principal axes of the inertia tensor, one per row, largest moment first.

    Eigenvectors from LAPACK ``dsyev``. Each axis' sign is fixed so that its
    largest-magnitude component is positive (eigenvectors are otherwise only
    defined up to sign).

    Parameters
    ----------
    coords : array_like, shape (n, 3)
        Positions in Angstrom; n >= 1.
    masses : array_like, shape (n,)
        Non-negative masses, not all zero.

    Returns
    -------
    numpy.ndarray, shape (3, 3), float64
        Orthonormal rows: the axis of the largest moment of inertia first.

    Examples
    --------
    >>> from chemlib import principal_axes
    >>> principal_axes([[-2, 0, 0], [2, 0, 0], [0, -1, 0], [0, 1, 0]], [1, 1, 1, 1])
    array([[0., 0., 1.],
           [0., 1., 0.],
           [1., 0., 0.]])

    """
    axes, _, info = _mass_properties.principal_axes(inertia_tensor(coords, masses))
    if info != 0:
        raise RuntimeError(f"LAPACK dsyev failed (info={info}) on the inertia tensor")
    axes = np.ascontiguousarray(axes)
    largest = np.abs(axes).argmax(axis=1)
    signs = np.sign(axes[np.arange(3), largest])
    # + 0.0 turns the -0.0 that flipping a zero component leaves into 0.0.
    return axes * signs[:, np.newaxis] + 0.0
