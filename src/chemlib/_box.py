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

# Bounds checked before any arithmetic on a box, so that building its cell can
# neither overflow nor divide by zero, and the kernels get finite matrices:
# - Cells flatter than MIN_NORMALISED_VOLUME (volume / (lx ly lz)) are
#   degenerate: their reciprocal vectors are too long for the minimum image to
#   mean anything. Checked first, from the cosines alone (no division), it also
#   keeps sin(gamma) >= MIN_NORMALISED_VOLUME, the one divisor among the angles.
# - Lengths within [MIN_BOX_LENGTH, MAX_BOX_LENGTH] keep every product of up to
#   three of them, times the normalised volume, a normal float: the volume, the
#   inverse cell and the face heights are then finite and non-zero.
# - A triclinic cell makes the Fortran kernels try every lattice vector that
#   could shorten a displacement (find_useful_shifts in minimum_image.f90):
#   about prod(2 |diag h| / height_k + 1) candidates, which grows without bound
#   for long, thin, skewed cells. Beyond MAX_IMAGE_CANDIDATES (a few ms of work
#   and 24 MB) the cell is refused rather than left to exhaust memory.
MIN_NORMALISED_VOLUME = 1e-6
MIN_BOX_LENGTH = 1e-90
MAX_BOX_LENGTH = 1e90
MAX_IMAGE_CANDIDATES = 10**6


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


def _check_box(lengths: tuple[float, ...], angles: tuple[float, ...], name: str) -> None:
    """Raise unless lengths and angles lie within the bounds above; no division, no overflow."""
    if min(lengths) <= 0:
        raise ValueError(f"{name} lengths must be > 0, got {list(lengths)}")
    if not all(MIN_BOX_LENGTH <= length <= MAX_BOX_LENGTH for length in lengths):
        raise ValueError(
            f"{name} lengths must lie in [{MIN_BOX_LENGTH:g}, {MAX_BOX_LENGTH:g}] Angstrom, "
            f"got {list(lengths)}"
        )
    if not all(0 < angle < 180 for angle in angles):
        raise ValueError(f"{name} angles must lie in (0, 180) degrees, got {list(angles)}")
    cos_alpha, cos_beta, cos_gamma = (_cos_sin(angle)[0] for angle in angles)
    # (volume / (lx ly lz))**2, bounded by 1: nothing here can overflow.
    squared_volume = (
        1.0 - cos_alpha**2 - cos_beta**2 - cos_gamma**2 + 2.0 * cos_alpha * cos_beta * cos_gamma
    )
    if squared_volume < MIN_NORMALISED_VOLUME**2:
        raise ValueError(
            f"{name} angles {list(angles)} give a degenerate cell "
            "(the three box vectors are nearly coplanar)"
        )


def _check_image_search(cell: Cell, box: tuple[float, ...], name: str) -> None:
    """Raise if a triclinic cell's minimum-image search would try too many lattice vectors."""
    # As find_useful_shifts counts them: 2 |W| |hinv_k| + 1 per axis, W = diag(h) / 2.
    diagonal = float(np.linalg.norm(np.diag(cell.h)))
    candidates = math.prod(2 * math.ceil(diagonal / height) + 1 for height in cell.heights)
    if candidates > MAX_IMAGE_CANDIDATES:
        raise ValueError(
            f"{name} {list(box)} is too long beside its face heights "
            f"{[float(f'{height:.6g}') for height in cell.heights]} for a triclinic "
            f"minimum image: its search would try {candidates} lattice vectors "
            f"(at most {MAX_IMAGE_CANDIDATES})"
        )


@functools.lru_cache(maxsize=64)
def _cell_from_box(box: tuple[float, ...], name: str) -> Cell:
    # Cached: trajectories reuse a handful of boxes, and building the cell
    # costs more than a small kernel call.
    # Safe in free-threaded Python: lru_cache locks its own table, and the
    # cached Cell is immutable (two threads may at worst both build it once).
    lx, ly, lz, alpha, beta, gamma = box
    _check_box((lx, ly, lz), (alpha, beta, gamma), name)
    cos_alpha, _ = _cos_sin(alpha)
    cos_beta, _ = _cos_sin(beta)
    cos_gamma, sin_gamma = _cos_sin(gamma)
    # sin_gamma >= MIN_NORMALISED_VOLUME, checked above: |cy| < 2e6.
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
    cell = Cell(h=h, hinv=hinv, heights=heights)
    if cell.kind == "triclinic":
        _check_image_search(cell, box, name)
    for matrix in (h, hinv, heights):
        matrix.flags.writeable = False  # shared by every call with this box
    return cell


def check_cutoff_fits(cell: Cell, cutoff: float, name: str) -> None:
    """Raise if a triclinic cell cannot represent `cutoff` with a unique minimum image."""
    limit = cell.max_cutoff()
    if cutoff > limit:
        raise ValueError(
            f"{name}={cutoff!r} exceeds half the smallest height of the triclinic box "
            f"({limit:.6g} A): pairs that far apart have no unique minimum image"
        )
