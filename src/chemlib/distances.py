"""Distance matrices between coordinate sets.

Kernels: ``distances.f90`` with its row loop in ``minimum_image.f90``
(Fortran, wrapped by f2py as ``chemlib._distances``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import FloatArray, as_coordinates, output_array, require_bounded
from chemlib._box import as_cell
from chemlib._extensions import load_extension

_distances = load_extension("_distances")

__all__ = ["distance_array", "self_distance_array"]


def distance_array(
    reference: ArrayLike,
    configuration: ArrayLike,
    box: ArrayLike | None = None,
    result: np.ndarray | None = None,
) -> FloatArray:
    """All distances between two sets of positions.

    Parameters
    ----------
    reference : array_like, shape (n, 3)
        Positions in Angstrom (float32 or float64).
    configuration : array_like, shape (m, 3)
        Positions in Angstrom.
    box : array_like, shape (6,), optional
        ``[lx, ly, lz, alpha, beta, gamma]`` (Angstrom, degrees): orthorhombic
        when all angles are 90, triclinic otherwise; distances then follow the
        minimum-image convention. None: no periodicity.
    result : numpy.ndarray, shape (n, m), float64, C-contiguous, optional
        Preallocated output, filled in place and returned. Reusing it saves the
        allocation, which costs more than the kernel for ~1000 x 1000 inputs.

    Returns
    -------
    numpy.ndarray, shape (n, m), float64
        ``d[i, j] = |configuration[j] - reference[i]|`` (minimum image), Angstrom.

    Examples
    --------
    >>> from chemlib import distance_array
    >>> distance_array([[0, 0, 0]], [[3, 4, 0], [1, 0, 0]])
    array([[5., 1.]])

    """
    ref = as_coordinates(reference, "reference")
    conf = as_coordinates(configuration, "configuration")
    require_bounded(ref, "reference")
    require_bounded(conf, "configuration")
    cell = as_cell(box)
    shape = (len(ref), len(conf))
    out = np.empty(shape) if result is None else output_array(result, shape)
    if out.size:
        _distances.distance_array(ref.T, conf.T, cell.h.T, cell.hinv.T, out.T)
    return out


def self_distance_array(
    reference: ArrayLike, box: ArrayLike | None = None, result: np.ndarray | None = None
) -> FloatArray:
    """Distances between all pairs of one set of positions, condensed.

    Parameters
    ----------
    reference : array_like, shape (n, 3)
        Positions in Angstrom (float32 or float64).
    box : array_like, shape (6,), optional
        ``[lx, ly, lz, alpha, beta, gamma]``; minimum image when given.
    result : numpy.ndarray, shape (n*(n-1)//2,), float64, optional
        Preallocated output, filled in place and returned.

    Returns
    -------
    numpy.ndarray, shape (n*(n-1)//2,), float64
        Pair distances in ``scipy.spatial.distance.pdist`` order: (0, 1),
        (0, 2), ..., (0, n-1), (1, 2), ... in Angstrom.

    Examples
    --------
    >>> from chemlib import self_distance_array
    >>> self_distance_array([[0, 0, 0], [3, 4, 0], [0, 0, 1]])  # doctest: +ELLIPSIS
    array([5.        , 1.        , 5.0990195...])

    """
    ref = as_coordinates(reference, "reference")
    require_bounded(ref, "reference")
    cell = as_cell(box)
    shape = (len(ref) * (len(ref) - 1) // 2,)
    out = np.empty(shape) if result is None else output_array(result, shape)
    if out.size:
        _distances.self_distance_array(ref.T, cell.h.T, cell.hinv.T, out)
    return out
