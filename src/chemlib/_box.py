"""Periodic boxes: MDAnalysis-style ``[lx, ly, lz, alpha, beta, gamma]`` to cell matrices.

Compiled kernels receive a cell as two C-ordered 3x3 matrices: ``h``, whose
rows are the box vectors a, b, c (as MDAnalysis' ``triclinic_vectors``), and
its inverse, whose columns are the reciprocal vectors. An all-zero ``h`` means
no periodicity and a diagonal one an orthorhombic box; the kernels derive the
kind themselves, so no table of constants is shared between languages.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import FloatArray, numeric_array, require_finite

# Cells flatter than this (volume / (lx ly lz)) are treated as degenerate:
# their reciprocal vectors are too long for the minimum image to mean anything.
MIN_NORMALISED_VOLUME = 1e-6


@dataclass(frozen=True)
class Cell:
    """A periodic cell (or none) in the form the compiled kernels take."""

    h: FloatArray  # rows: box vectors a, b, c (Angstrom)
    hinv: FloatArray  # inverse of h; columns: reciprocal vectors
    heights: FloatArray  # distances between opposite faces (Angstrom)

    @property
    def periodic(self) -> bool:
        """True unless this is the no-box cell."""
        return bool(self.h.any())

    @property
    def kind(self) -> str:
        """'none', 'orthorhombic' or 'triclinic'."""
        if not self.periodic:
            return "none"
        return "orthorhombic" if not (self.h - np.diag(np.diag(self.h))).any() else "triclinic"

    @property
    def volume(self) -> float:
        """Volume of the cell in cubic Angstrom (0 for no box)."""
        return float(self.h[0, 0] * self.h[1, 1] * self.h[2, 2])

    def max_cutoff(self) -> float:
        """Largest cutoff for which every pair within it has a single, unambiguous image.

        Orthorhombic boxes take any cutoff (the per-axis minimum image is exact);
        triclinic ones, half the smallest height.
        """
        return math.inf if self.kind != "triclinic" else float(self.heights.min() / 2)


NO_CELL = Cell(h=np.zeros((3, 3)), hinv=np.zeros((3, 3)), heights=np.full(3, math.inf))


def _cos_sin(degrees: float) -> tuple[float, float]:
    # 90 degrees exactly gives exact zeros, so an orthorhombic box has a
    # diagonal h and takes the orthorhombic kernels.
    if degrees == 90.0:
        return 0.0, 1.0
    radians = math.radians(degrees)
    return math.cos(radians), math.sin(radians)


def as_cell(box: ArrayLike | None, name: str = "box") -> Cell:
    """Validate an MDAnalysis box ``[lx, ly, lz, alpha, beta, gamma]`` (None: no box)."""
    if box is None:
        return NO_CELL
    array = numeric_array(box, name)
    if array.shape != (6,):
        raise ValueError(
            f"{name} must be [lx, ly, lz, alpha, beta, gamma] (shape (6,)), got shape {array.shape}"
        )
    array = array.astype(np.float64)
    require_finite(array, name)
    return _cell_from_box(tuple(array.tolist()), name)


@functools.lru_cache(maxsize=64)
def _cell_from_box(box: tuple[float, ...], name: str) -> Cell:
    # Cached: trajectories reuse a handful of boxes, and building the cell
    # costs more than a small kernel call.
    # Safe in free-threaded Python: lru_cache locks its own table, and the
    # cached Cell is immutable (two threads may at worst both build it once).
    lx, ly, lz, alpha, beta, gamma = box
    if min(lx, ly, lz) <= 0:
        raise ValueError(f"{name} lengths must be > 0, got {[lx, ly, lz]}")
    if not all(0 < angle < 180 for angle in (alpha, beta, gamma)):
        raise ValueError(f"{name} angles must lie in (0, 180) degrees, got {[alpha, beta, gamma]}")
    cos_alpha, _ = _cos_sin(alpha)
    cos_beta, _ = _cos_sin(beta)
    cos_gamma, sin_gamma = _cos_sin(gamma)
    cy = (cos_alpha - cos_beta * cos_gamma) / sin_gamma
    radicand = 1.0 - cos_beta**2 - cy**2
    if radicand <= 0 or sin_gamma * math.sqrt(radicand) < MIN_NORMALISED_VOLUME:
        raise ValueError(
            f"{name} angles {[alpha, beta, gamma]} give a degenerate cell "
            "(the three box vectors are nearly coplanar)"
        )
    ax = lx
    bx, by = ly * cos_gamma, ly * sin_gamma
    cx, cy, cz = lz * cos_beta, lz * cy, lz * math.sqrt(radicand)
    h = np.array([[ax, 0.0, 0.0], [bx, by, 0.0], [cx, cy, cz]])
    # Exact inverse of the lower-triangular h (1/L on an orthorhombic diagonal).
    hinv = np.array(
        [
            [1 / ax, 0.0, 0.0],
            [-bx / (ax * by), 1 / by, 0.0],
            [(bx * cy - by * cx) / (ax * by * cz), -cy / (by * cz), 1 / cz],
        ]
    )
    heights = 1 / np.linalg.norm(hinv, axis=0)
    for matrix in (h, hinv, heights):
        matrix.flags.writeable = False  # shared by every call with this box
    return Cell(h=h, hinv=hinv, heights=heights)


def check_cutoff_fits(cell: Cell, cutoff: float, name: str) -> None:
    """Raise if a triclinic cell cannot represent `cutoff` with a unique minimum image."""
    limit = cell.max_cutoff()
    if cutoff > limit:
        raise ValueError(
            f"{name}={cutoff!r} exceeds half the smallest height of the triclinic box "
            f"({limit:.6g} A): pairs that far apart have no unique minimum image"
        )
