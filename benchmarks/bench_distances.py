"""distance_array and self_distance_array against MDAnalysis and SciPy."""

from __future__ import annotations

import numpy as np

import chemlib
from harness import CHEMLIB, Case, available, same_values

BOXES = {
    "no box": None,
    "orthorhombic": np.array([60.0, 60.0, 60.0, 90.0, 90.0, 90.0]),
    "triclinic": np.array([60.0, 60.0, 60.0, 60.0, 60.0, 90.0]),
}


def cases(quick: bool) -> list[Case]:
    """Distance matrices of n x n atoms: n = 5000 (1000 when quick)."""
    n = 1000 if quick else 5000
    rng = np.random.default_rng(42)
    coords = rng.uniform(0, 60, (n, 3))
    coords32 = coords.astype(np.float32)
    out = np.empty((n, n))
    condensed = np.empty(n * (n - 1) // 2)
    result = []
    for box_name, box in BOXES.items():
        full = {
            CHEMLIB: lambda box=box: chemlib.distance_array(coords, coords, box=box, result=out),
            "chemlib float32 input": lambda box=box: chemlib.distance_array(
                coords32, coords32, box=box, result=out
            ),
        }
        half = {
            CHEMLIB: lambda box=box: chemlib.self_distance_array(coords, box=box, result=condensed),
        }
        if available("MDAnalysis"):
            from MDAnalysis.lib import distances as mda

            for backend in ("serial", "OpenMP"):
                full[f"MDAnalysis {backend}"] = lambda box=box, backend=backend: mda.distance_array(
                    coords, coords, box=box, result=out, backend=backend
                )
                half[f"MDAnalysis {backend}"] = lambda box=box, backend=backend: (
                    mda.self_distance_array(coords, box=box, result=condensed, backend=backend)
                )
        if box is None and available("scipy"):
            from scipy.spatial.distance import cdist, pdist

            full["SciPy cdist"] = lambda: cdist(coords, coords, out=out)
            half["SciPy pdist"] = lambda: pdist(coords)
        # MDAnalysis computes in float32: differences of ~1e-5 A are expected.
        result.append(Case("distance_array", f"{n}x{n}, {box_name}", full, same_values(1e-3)))
        result.append(Case("self_distance_array", f"{n}, {box_name}", half, same_values(1e-3)))
    allocating = {CHEMLIB: lambda: chemlib.distance_array(coords, coords)}
    if available("MDAnalysis"):
        from MDAnalysis.lib import distances as mda

        allocating["MDAnalysis OpenMP"] = lambda: mda.distance_array(
            coords, coords, backend="OpenMP"
        )
    if available("scipy"):
        from scipy.spatial.distance import cdist

        allocating["SciPy cdist"] = lambda: cdist(coords, coords)
    result.append(
        Case("distance_array", f"{n}x{n}, no box, new result array", allocating, same_values(1e-3))
    )
    result.append(larger_self_distance_case(1240 if quick else 6200))
    return result


def larger_self_distance_case(n: int) -> Case:
    """self_distance_array of n points without a box, the size the performance
    issue measured (6200: 19 million pairs, a 154 MB result)."""
    rng = np.random.default_rng(43)
    coords = rng.uniform(0, 60, (n, 3))
    condensed = np.empty(n * (n - 1) // 2)
    calls = {CHEMLIB: lambda: chemlib.self_distance_array(coords, result=condensed)}
    if available("MDAnalysis"):
        from MDAnalysis.lib import distances as mda

        for backend in ("serial", "OpenMP"):
            calls[f"MDAnalysis {backend}"] = lambda backend=backend: mda.self_distance_array(
                coords, result=condensed, backend=backend
            )
    if available("scipy"):
        from scipy.spatial.distance import pdist

        calls["SciPy pdist"] = lambda: pdist(coords)
    return Case("self_distance_array", f"{n}, no box", calls, same_values(1e-3))
