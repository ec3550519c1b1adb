"""Distances, angles and dihedrals between corresponding atoms.

Kernels: ``geometry.f90`` (Fortran, wrapped by f2py as ``chemlib._geometry``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import (
    FloatArray,
    KernelFloatArray,
    as_coordinates,
    as_vector,
    blas_sized,
    power_of_two_exponent,
    raise_if_non_finite,
    raise_too_large,
    same_length,
)
from chemlib._box import as_cell
from chemlib._extensions import load_extension

_geometry = load_extension("_geometry")

__all__ = ["calc_angles", "calc_bonds", "calc_dihedrals", "distance"]


def distance(a: ArrayLike, b: ArrayLike) -> float:
    """Euclidean distance between two vectors of equal length.

    Parameters
    ----------
    a, b : array_like, shape (k,)
        Vectors of real numbers (any length, e.g. two positions in Angstrom).

    Returns
    -------
    float
        ``|a - b|``, by BLAS ``dnrm2``: no overflow or underflow for huge or
        tiny components.

    Examples
    --------
    >>> from chemlib import distance
    >>> distance([0, 0, 0], [1, 1, 1])  # doctest: +ELLIPSIS
    1.7320508...

    """
    va, vb = as_vector(a, "a"), as_vector(b, "b")
    if va.shape != vb.shape:
        raise ValueError(f"a and b must have the same length, got {va.size} and {vb.size}")
    if va.size == 0:
        return 0.0
    blas_sized(va.size, "a")
    return float(_geometry.calc_distance(va, vb))


def _corresponding(
    names: tuple[str, ...], values: tuple[ArrayLike, ...]
) -> dict[str, KernelFloatArray]:
    # The kernels screen their input for NaN/infinity block by block (an extra
    # pass here would cost up to 40% of their time); _screened raises on it.
    # All-float32 input stays float32 for the kernels' float32 entries, which
    # widen it a block at a time in cache: a float64 copy here would cost
    # more than the kernel.
    single = all(getattr(v, "dtype", None) == np.float32 for v in values)
    arrays = {
        n: as_coordinates(v, n, kernel_screens=True, keep_float32=single)
        for n, v in zip(names, values, strict=True)
    }
    first, *others = names
    for name in others:
        same_length(first, arrays[first], name, arrays[name])
    return arrays


def _kernel(name: str, arrays: dict[str, KernelFloatArray]):
    """Pick the compiled kernel for the arrays' dtype: name, or its float32 entry name_single."""
    single = next(iter(arrays.values())).dtype == np.float32
    return getattr(_geometry, f"{name}_single" if single else name)


def _screened(
    kernel_result: tuple[FloatArray, int], arrays: dict[str, KernelFloatArray]
) -> FloatArray:
    values, non_finite = kernel_result
    raise_if_non_finite(non_finite, arrays)
    if non_finite:  # finite input, but squares or products of it overflowed
        name = max(arrays, key=lambda n: power_of_two_exponent(arrays[n]))
        raise_too_large(arrays[name], name)
    return values


def calc_bonds(coords1: ArrayLike, coords2: ArrayLike, box: ArrayLike | None = None) -> FloatArray:
    """Distances between corresponding atoms: ``|coords2[i] - coords1[i]|``.

    Parameters
    ----------
    coords1, coords2 : array_like, shape (n, 3)
        Positions in Angstrom (float32 or float64).
    box : array_like, shape (6,), optional
        ``[lx, ly, lz, alpha, beta, gamma]`` (Angstrom, degrees); the minimum
        image of each bond is used. None: no periodicity.

    Returns
    -------
    numpy.ndarray, shape (n,), float64
        Bond lengths in Angstrom.

    Examples
    --------
    >>> import numpy as np
    >>> from chemlib import calc_bonds
    >>> calc_bonds([[0, 0, 0]], [[9, 0, 0]], box=[10, 10, 10, 90, 90, 90])
    array([1.])

    """
    arrays = _corresponding(("coords1", "coords2"), (coords1, coords2))
    c1, c2 = arrays.values()
    cell = as_cell(box)
    if not len(c1):
        return np.empty(0)
    return _screened(_kernel("calc_bonds", arrays)(c1.T, c2.T, cell.h.T, cell.hinv.T), arrays)


def calc_angles(
    coords1: ArrayLike, coords2: ArrayLike, coords3: ArrayLike, box: ArrayLike | None = None
) -> FloatArray:
    """Angles at ``coords2[i]`` between the bonds to ``coords1[i]`` and ``coords3[i]``.

    Parameters
    ----------
    coords1, coords2, coords3 : array_like, shape (n, 3)
        Positions in Angstrom; ``coords2`` holds the apex atoms.
    box : array_like, shape (6,), optional
        ``[lx, ly, lz, alpha, beta, gamma]``; bond vectors use the minimum image.

    Returns
    -------
    numpy.ndarray, shape (n,), float64
        Angles in radians, in [0, pi]. A zero-length bond (a repeated atom)
        gives 0.

    Examples
    --------
    >>> from chemlib import calc_angles
    >>> calc_angles([[1, 0, 0]], [[0, 0, 0]], [[0, 1, 0]])  # doctest: +ELLIPSIS
    array([1.5707963...])

    """
    arrays = _corresponding(("coords1", "coords2", "coords3"), (coords1, coords2, coords3))
    c1, c2, c3 = arrays.values()
    cell = as_cell(box)
    if not len(c1):
        return np.empty(0)
    kernel = _kernel("calc_angles", arrays)
    return _screened(kernel(c1.T, c2.T, c3.T, cell.h.T, cell.hinv.T), arrays)


def calc_dihedrals(
    coords1: ArrayLike,
    coords2: ArrayLike,
    coords3: ArrayLike,
    coords4: ArrayLike,
    box: ArrayLike | None = None,
) -> FloatArray:
    """Dihedral angles of the atom quadruples ``coords1[i]-coords2[i]-coords3[i]-coords4[i]``.

    Parameters
    ----------
    coords1, coords2, coords3, coords4 : array_like, shape (n, 3)
        Positions in Angstrom.
    box : array_like, shape (6,), optional
        ``[lx, ly, lz, alpha, beta, gamma]``; bond vectors use the minimum image.

    Returns
    -------
    numpy.ndarray, shape (n,), float64
        Dihedrals in radians, in (-pi, pi], with the IUPAC sign: positive when,
        looking along coords2 -> coords3, the far bond is rotated clockwise
        from the near one. Collinear atoms (no defined plane) give 0.

    Examples
    --------
    >>> from chemlib import calc_dihedrals
    >>> calc_dihedrals([[1, 0, 0]], [[0, 0, 0]], [[0, 0, 1]], [[-1, 0, 1]])  # doctest: +ELLIPSIS
    array([3.1415926...])

    """
    arrays = _corresponding(
        ("coords1", "coords2", "coords3", "coords4"), (coords1, coords2, coords3, coords4)
    )
    c1, c2, c3, c4 = arrays.values()
    cell = as_cell(box)
    if not len(c1):
        return np.empty(0)
    return _screened(
        _kernel("calc_dihedrals", arrays)(c1.T, c2.T, c3.T, c4.T, cell.h.T, cell.hinv.T), arrays
    )
