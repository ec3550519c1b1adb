"""Periodic boundary helpers: wrapping coordinates into the unit cell.

Kernels: ``periodic.f90`` (Fortran, wrapped by f2py as ``chemlib._periodic``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import FloatArray, as_coordinates
from chemlib._box import as_cell
from chemlib._extensions import load_extension

_periodic = load_extension("_periodic")

__all__ = ["wrap"]


def wrap(coords: ArrayLike, box: ArrayLike) -> FloatArray:
    """Put coordinates into the primary unit cell.

    Each position is moved by whole box vectors so that its fractional
    coordinates lie in [0, 1). In an orthorhombic box that holds exactly:
    every wrapped coordinate is in ``[0, L)``. In a triclinic box the
    fractions are decided in rounded arithmetic, so a position within a
    rounding error of a face may sit on either side of it. Distances under
    the minimum-image convention are unchanged.

    Parameters
    ----------
    coords : array_like, shape (n, 3)
        Positions in Angstrom.
    box : array_like, shape (6,)
        ``[lx, ly, lz, alpha, beta, gamma]`` (Angstrom, degrees).

    Returns
    -------
    numpy.ndarray, shape (n, 3), float64
        Wrapped positions in Angstrom (a new array).

    Examples
    --------
    >>> from chemlib import wrap
    >>> wrap([[11.0, -1.0, 5.0]], [10, 10, 10, 90, 90, 90])
    array([[1., 9., 5.]])

    """
    positions = as_coordinates(coords, "coords")
    if box is None:
        raise ValueError("box is required: wrapping needs a periodic cell")
    cell = as_cell(box)
    if not len(positions):
        return np.empty((0, 3))
    return _periodic.wrap(positions.T, cell.h.T, cell.hinv.T).T
