"""Neighbour search: every pair of atoms within a cutoff.

Kernels: ``neighbors.c`` with the cell lists of ``cell_list.c``/``cell_list.h``
(C, NumPy C API, as ``chemlib._neighbors``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from chemlib._arguments import (
    FloatArray,
    as_coordinates,
    flag,
    non_negative_number,
    positive_number,
    require_bounded,
)
from chemlib._box import Cell, as_cell, check_cutoff_fits
from chemlib._extensions import load_extension

_neighbors = load_extension("_neighbors")

__all__ = ["capped_distance", "self_capped_distance"]

PairsAndDistances = tuple[NDArray[np.int64], FloatArray] | NDArray[np.int64]


def _cutoffs(max_cutoff: object, min_cutoff: object, cell: Cell) -> tuple[float, float]:
    high = positive_number(max_cutoff, "max_cutoff")
    # No lower bound keeps coincident points (d = 0); min_cutoff=0.0 drops them,
    # as MDAnalysis does: the kernel keeps d > min_cutoff.
    low = -math.inf
    if min_cutoff is not None:
        low = non_negative_number(min_cutoff, "min_cutoff")
        if low >= high:
            raise ValueError(f"min_cutoff ({low!r}) must be smaller than max_cutoff ({high!r})")
    check_cutoff_fits(cell, high, "max_cutoff")
    return high, low


def _search(
    reference: FloatArray,
    configuration: FloatArray | None,
    cell: Cell,
    cutoffs: tuple[float, float],
    return_distances: bool,
) -> PairsAndDistances:
    pairs, distances = _neighbors.capped_pairs(
        reference, configuration, cell.h, cell.hinv, *cutoffs, return_distances
    )
    return (pairs, distances) if return_distances else pairs


def capped_distance(
    reference: ArrayLike,
    configuration: ArrayLike,
    max_cutoff: float,
    min_cutoff: float | None = None,
    box: ArrayLike | None = None,
    return_distances: bool = True,
) -> PairsAndDistances:
    """All pairs between two sets whose distance d satisfies ``min_cutoff < d <= max_cutoff``.

    A cell-list search: time and memory grow as O(n + m + k) at uniform
    density (k pairs found); no n x m matrix is formed. Distances are compared
    in float64, after the square root, against the cutoffs as given.

    Parameters
    ----------
    reference : array_like, shape (n, 3)
        Positions in Angstrom.
    configuration : array_like, shape (m, 3)
        Positions in Angstrom.
    max_cutoff : float
        Largest distance kept (inclusive), Angstrom, > 0. With a triclinic box
        it may not exceed half the smallest box height.
    min_cutoff : float, optional
        Pairs at this distance or closer are dropped, Angstrom, >= 0 and below
        max_cutoff; ``0.0`` drops only coincident pairs (``d = 0``), as
        MDAnalysis does. None (default): keep every pair with
        ``d <= max_cutoff``, coincident ones included.
    box : array_like, shape (6,), optional
        ``[lx, ly, lz, alpha, beta, gamma]``; minimum image when given.
    return_distances : bool
        Also return the distances (default True).

    Returns
    -------
    pairs : numpy.ndarray, shape (k, 2), int64
        ``pairs[p] = (i, j)``: index into reference, index into configuration.
        Deterministic order (the same for any number of threads), not sorted.
    distances : numpy.ndarray, shape (k,), float64
        Only if return_distances: ``distances[p]`` for ``pairs[p]``, Angstrom.

    Examples
    --------
    >>> from chemlib import capped_distance
    >>> pairs, d = capped_distance([[0, 0, 0]], [[1, 0, 0], [5, 0, 0]], max_cutoff=2.0)
    >>> pairs, d
    (array([[0, 0]]), array([1.]))

    """
    ref = as_coordinates(reference, "reference")
    conf = as_coordinates(configuration, "configuration")
    require_bounded(ref, "reference")
    require_bounded(conf, "configuration")
    cell = as_cell(box)
    cutoffs = _cutoffs(max_cutoff, min_cutoff, cell)
    return _search(ref, conf, cell, cutoffs, flag(return_distances, "return_distances"))


def self_capped_distance(
    reference: ArrayLike,
    max_cutoff: float,
    min_cutoff: float | None = None,
    box: ArrayLike | None = None,
    return_distances: bool = True,
) -> PairsAndDistances:
    """All pairs ``i < j`` within one set with ``min_cutoff < d <= max_cutoff``.

    Same algorithm and conventions as :func:`capped_distance`; each unordered
    pair appears once, as ``(i, j)`` with ``i < j``.

    Parameters
    ----------
    reference : array_like, shape (n, 3)
        Positions in Angstrom.
    max_cutoff : float
        Largest distance kept (inclusive), Angstrom, > 0.
    min_cutoff : float, optional
        Pairs at this distance or closer are dropped, >= 0; ``0.0`` drops
        coincident pairs, None (default) keeps them.
    box : array_like, shape (6,), optional
        ``[lx, ly, lz, alpha, beta, gamma]``; minimum image when given.
    return_distances : bool
        Also return the distances (default True).

    Returns
    -------
    pairs : numpy.ndarray, shape (k, 2), int64
        Index pairs ``(i, j)``, ``i < j``.
    distances : numpy.ndarray, shape (k,), float64
        Only if return_distances.

    Examples
    --------
    >>> from chemlib import self_capped_distance
    >>> self_capped_distance([[0, 0, 0], [1, 0, 0], [9, 0, 0]], 1.5, return_distances=False)
    array([[0, 1]])

    """
    ref = as_coordinates(reference, "reference")
    require_bounded(ref, "reference")
    cell = as_cell(box)
    cutoffs = _cutoffs(max_cutoff, min_cutoff, cell)
    return _search(ref, None, cell, cutoffs, flag(return_distances, "return_distances"))
