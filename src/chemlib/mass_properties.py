"""Mass-weighted properties: centre of mass, radius of gyration, inertia, principal axes.

Kernels: ``mass_properties.f90`` (Fortran with BLAS dgemv/dsyrk and LAPACK
dsyev, wrapped by f2py as ``chemlib._mass_properties``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import (
    SAFE_EXPONENT,
    FloatArray,
    as_coordinates,
    as_weights,
    blas_sized,
    power_of_two_exponent,
    scaled_back,
    unit_scaled,
)
from chemlib._extensions import load_extension

_mass_properties = load_extension("_mass_properties")

__all__ = ["center_of_mass", "inertia_tensor", "principal_axes", "radius_of_gyration"]


def _coords_and_masses(coords: ArrayLike, masses: ArrayLike) -> tuple[FloatArray, FloatArray, int]:
    """Positions, masses scaled exactly to a largest of [0.5, 1), and that scale's exponent."""
    positions = as_coordinates(coords, "coords")
    if len(positions) == 0:
        raise ValueError("coords hold no atoms: mass-weighted properties need at least one")
    blas_sized(len(positions), "coords")
    if masses is None:
        raise TypeError("masses must be an array of numbers, got None")
    weights, mass_exponent = unit_scaled(as_weights(masses, "masses", len(positions)))
    return positions, weights, mass_exponent


def _second_moments(coords: ArrayLike, masses: ArrayLike) -> tuple[float, FloatArray, int, int]:
    """Total mass M and ``S = sum m (r - com)(r - com)^T`` of exactly rescaled inputs.

    Returns (M, S, mass_exponent, coord_exponent): masses were scaled by
    2**-mass_exponent and coordinates by 2**-coord_exponent. Coordinates are
    rescaled (a second call) only when S left float64's range: squares that
    overflowed, or that underflowed to a trace below 2**(-2 SAFE_EXPONENT).
    """
    positions, weights, mass_exponent = _coords_and_masses(coords, masses)
    _, moments = _mass_properties.second_moments(positions.T, weights)
    coord_exponent = 0
    with np.errstate(over="ignore"):  # three finite squares may sum to infinity
        trace = np.trace(moments)
    if not (np.all(np.isfinite(moments)) and 2.0 ** (-2 * SAFE_EXPONENT) <= trace < math.inf):
        coord_exponent = power_of_two_exponent(positions)
        if coord_exponent:
            scaled = np.ldexp(positions, -coord_exponent)
            _, moments = _mass_properties.second_moments(scaled.T, weights)
    return weights.sum(), np.ascontiguousarray(moments), mass_exponent, coord_exponent


def _scaled_inertia(coords: ArrayLike, masses: ArrayLike) -> tuple[FloatArray, int]:
    """Return the inertia tensor divided by 2**exponent (exactly), and that exponent."""
    _, moments, mass_exponent, coord_exponent = _second_moments(coords, masses)
    return np.trace(moments) * np.eye(3) - moments, mass_exponent + 2 * coord_exponent


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
    positions, weights, _ = _coords_and_masses(coords, masses)
    com = _mass_properties.center_of_mass(positions.T, weights)
    if not np.all(np.isfinite(com)):  # sum m r overflowed: the same sums, exactly rescaled
        exponent = power_of_two_exponent(positions)
        scaled = _mass_properties.center_of_mass(np.ldexp(positions, -exponent).T, weights)
        com = scaled_back(scaled, exponent, "the centre of mass of coords")
    return com


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
    total, moments, _, coord_exponent = _second_moments(coords, masses)
    scaled = math.sqrt(max(np.trace(moments), 0.0) / total)
    return float(scaled_back(scaled, coord_exponent, "the radius of gyration of coords"))


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

    Raises
    ------
    ValueError
        If the tensor lies outside float64's normal range (e.g. subnormal
        masses, or coordinates beyond ~1e154): the other mass properties
        depend only on mass ratios and stay exact there.

    Examples
    --------
    >>> from chemlib import inertia_tensor
    >>> inertia_tensor([[-1, 0, 0], [1, 0, 0]], [1, 1])
    array([[0., 0., 0.],
           [0., 2., 0.],
           [0., 0., 2.]])

    """
    scaled, exponent = _scaled_inertia(coords, masses)
    # The largest entry's binary exponent, as power_of_two_exponent counts it.
    magnitude = power_of_two_exponent(scaled) + exponent
    if scaled.any() and not np.finfo(float).minexp < magnitude <= np.finfo(float).maxexp:
        raise ValueError(
            f"masses and coords give an inertia tensor of about 2**{magnitude}, outside "
            "float64's normal range: express them in other units"
        )
    return np.ldexp(scaled, exponent)


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
    # The axes do not change with the scale of the tensor: dsyev gets it as
    # rescaled, within float64's range whatever the magnitudes given.
    axes, _, info = _mass_properties.principal_axes(_scaled_inertia(coords, masses)[0])
    if info != 0:
        raise ValueError(
            f"LAPACK dsyev could not diagonalise the inertia tensor of coords (info={info})"
        )
    axes = np.ascontiguousarray(axes)
    largest = np.abs(axes).argmax(axis=1)
    signs = np.sign(axes[np.arange(3), largest])
    # + 0.0 turns the -0.0 that flipping a zero component leaves into 0.0.
    return axes * signs[:, np.newaxis] + 0.0
