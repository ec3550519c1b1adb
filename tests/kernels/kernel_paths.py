"""Calls of one path of the loops compiled for several instruction sets.

The private ``simd_level`` argument of the f2py kernels forces a path (1:
baseline, 3: AVX2, 4: AVX-512, 0: the CPU's best, what the public functions
use); a level the CPU lacks runs the best it has (test_simd_dispatch.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import chemlib
from chemlib import _distances, _periodic
from chemlib._box import as_cell


def skip_unless_the_cpu_has(simd_level: int) -> None:
    """A test of one path runs only where that path does."""
    if simd_level > _distances.dispatched_simd_level():
        pytest.skip(f"this CPU has no level {simd_level}: a lower path runs")


def self_distances(points: np.ndarray, simd_level: int, box=None) -> np.ndarray:
    cell = as_cell(box)
    result = np.empty(len(points) * (len(points) - 1) // 2)
    _distances.self_distance_array(points.T, cell.h.T, cell.hinv.T, result, simd_level)
    return result


def cross_distances(a: np.ndarray, b: np.ndarray, simd_level: int, box=None) -> np.ndarray:
    cell = as_cell(box)
    result = np.empty((len(a), len(b)))
    _distances.distance_array(a.T, b.T, cell.h.T, cell.hinv.T, result.T, simd_level)
    return result


def wrapped(coords: np.ndarray, box, simd_level: int) -> np.ndarray:
    cell = as_cell(box)
    return _periodic.wrap(coords.T, cell.h.T, cell.hinv.T, simd_level).T


def wrap_on_path(coords: np.ndarray, box, simd_level: int) -> np.ndarray:
    """chemlib.wrap for simd_level 0, else one path of its kernel (skipped where
    the CPU lacks it)."""
    skip_unless_the_cpu_has(simd_level)
    return wrapped(coords, box, simd_level) if simd_level else chemlib.wrap(coords, box)
