"""Radial distribution function.

Kernels: ``rdf.c`` with the cell lists of ``cell_list.c``/``cell_list.h``
(C, NumPy C API, as ``chemlib._rdf``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import (
    FloatArray,
    as_coordinates,
    interval,
    positive_integer,
    require_bounded,
)
from chemlib._box import Cell, as_cell, check_cutoff_fits
from chemlib._extensions import load_extension

_rdf = load_extension("_rdf")

# Shells within these bounds have normal-float edges, widths and volumes
# (4/3 pi r^3 <= 4.2e300, and >= 4e-300 for the innermost), so the kernel's
# bins per Angstrom and the normalisation stay finite.
MAX_RANGE = 1e100
MIN_BIN_WIDTH = 1e-100

__all__ = ["rdf"]


def rdf(
    reference: ArrayLike,
    configuration: ArrayLike | None = None,
    *,
    box: ArrayLike,
    nbins: int = 75,
    range: tuple[float, float] = (0.0, 15.0),
) -> tuple[FloatArray, FloatArray]:
    """Radial distribution function g(r) of one frame, normalised as MDAnalysis' InterRDF.

    Counts pairs (minimum image) in ``nbins`` equal shells over ``range`` and
    divides by what an ideal gas of the same density would give:
    ``g = counts / (N_pairs / V * shell_volume)`` with ``N_pairs = n * m``, or
    ``n * (n - 1)`` when ``configuration`` is None (self pairs excluded, each
    pair counted in both directions, as InterRDF with ``exclusion_block=(1, 1)``).
    Pairs are binned as the cell-list search finds them: no pair list and no
    n x m matrix is formed.

    Parameters
    ----------
    reference : array_like, shape (n, 3)
        Positions in Angstrom.
    configuration : array_like, shape (m, 3), optional
        Positions in Angstrom; None for the RDF of reference with itself.
    box : array_like, shape (6,)
        ``[lx, ly, lz, alpha, beta, gamma]``, required: its volume sets the
        ideal-gas density. With a triclinic box, ``range[1]`` may not exceed
        half the smallest box height.
    nbins : int
        Number of shells (default 75).
    range : (float, float)
        ``(r_min, r_max)`` in Angstrom (default (0, 15)); bins as numpy.histogram.
        ``r_max <= 1e100`` and bins at least 1e-100 wide: their volumes are
        then normal floats.

    Returns
    -------
    bin_centers : numpy.ndarray, shape (nbins,), float64
        Shell centres in Angstrom.
    g : numpy.ndarray, shape (nbins,), float64
        g(r), dimensionless (0 where there are no pairs to normalise by).

    Examples
    --------
    >>> import numpy as np
    >>> from chemlib import rdf
    >>> rng = np.random.default_rng(0)
    >>> atoms = rng.uniform(0, 20, size=(2000, 3))
    >>> r, g = rdf(atoms, box=[20, 20, 20, 90, 90, 90], nbins=5, range=(4, 9))
    >>> bool(np.all(np.abs(g - 1) < 0.1))  # an ideal gas
    True

    """
    ref = as_coordinates(reference, "reference")
    conf = None if configuration is None else as_coordinates(configuration, "configuration")
    require_bounded(ref, "reference")
    if conf is not None:
        require_bounded(conf, "configuration")
    if box is None:
        raise ValueError("box is required: the ideal-gas normalisation needs the box volume")
    cell = as_cell(box)
    bins, (low, high) = histogram_shells(nbins, range)
    check_cutoff_fits(cell, high, "range[1]")
    edges = np.linspace(low, high, bins + 1)
    centers = (edges[:-1] + edges[1:]) / 2
    counts = pair_counts(ref, conf, cell, edges)
    return centers, normalised_rdf(counts, edges, pair_total(len(ref), conf), cell.volume, 1)


def histogram_shells(nbins: object, range: object) -> tuple[int, tuple[float, float]]:
    """Check nbins and range, rdf()'s and the trajectory RDF's: (nbins, (low, high)).

    Raises unless the shells' edges and volumes are normal floats (see the
    bounds above); whether the box holds range[1] is the caller's check.
    """
    bins = positive_integer(nbins, "nbins")
    low, high = interval(range, "range")
    if high > MAX_RANGE:
        raise ValueError(f"range[1] must be <= {MAX_RANGE:g} Angstrom, got {high!r}")
    if (high - low) / bins < MIN_BIN_WIDTH:
        raise ValueError(
            f"range {(low, high)} split into nbins={bins} gives bins narrower than "
            f"{MIN_BIN_WIDTH:g} Angstrom"
        )
    return bins, (low, high)


def pair_counts(
    reference: FloatArray, configuration: FloatArray | None, cell: Cell, edges: FloatArray
) -> np.ndarray:
    """Pairs per shell of one frame, both directions when configuration is None (int64).

    Arguments as checked by rdf(); chemlib.trajectory sums these over frames.
    """
    counts = _rdf.pair_histogram(reference, configuration, cell.h, cell.hinv, edges)
    if configuration is None:
        return 2 * counts  # each unordered pair counts in both directions
    return counts


def pair_total(n_reference: int, configuration: FloatArray | None) -> int:
    """Pairs an ideal gas would spread over the shells: n*m, or n*(n-1) within one set."""
    if configuration is None:
        return n_reference * (n_reference - 1)
    return n_reference * len(configuration)


def normalised_rdf(
    counts: np.ndarray, edges: FloatArray, n_pairs: int, volume_sum: float, n_frames: int
) -> FloatArray:
    """g(r) from pair counts summed over ``n_frames`` frames, as MDAnalysis' InterRDF.

    The ideal-gas density uses the mean box volume, ``volume_sum / n_frames``;
    for one frame this is exactly rdf()'s normalisation.
    """
    if n_pairs == 0 or n_frames == 0:
        return np.zeros(len(edges) - 1)
    inner, outer = edges[:-1], edges[1:]
    # b^3 - a^3 factored: the difference of cubes cancels for thin shells far out.
    shell_volumes = 4 / 3 * np.pi * (outer - inner) * (outer**2 + outer * inner + inner**2)
    # An ideal-gas count beyond float64 (shells of 1e-100 A in a box of 1e90 A)
    # rounds to 0 or infinity; g is then reported as not representable.
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        ideal = n_pairs / (volume_sum / n_frames) * shell_volumes * n_frames
        g = np.where(counts == 0, 0.0, counts / ideal)
    if not (np.all(np.isfinite(g)) and np.all(ideal > 0)):
        raise ValueError(
            "box and range give an ideal-gas pair count per shell outside float64's range "
            f"(from {ideal.min():.3g} to {ideal.max():.3g}): g(r) cannot be normalised"
        )
    return g
