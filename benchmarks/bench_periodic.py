"""wrap against MDAnalysis' apply_PBC."""

from __future__ import annotations

import numpy as np

import chemlib
from harness import CHEMLIB, Case, available, same_values


def cases(quick: bool) -> list[Case]:
    """Wrap 1e6 atoms into orthorhombic and triclinic cells."""
    n = 100_000 if quick else 1_000_000
    coords = np.random.default_rng(9).uniform(-100, 200, (n, 3))
    result = []
    for name, box in (
        ("orthorhombic", np.array([50.0, 60.0, 70.0, 90, 90, 90])),
        ("triclinic", np.array([50.0, 60.0, 70.0, 80, 100, 70])),
    ):
        calls = {CHEMLIB: lambda box=box: chemlib.wrap(coords, box)}
        if available("MDAnalysis"):
            from MDAnalysis.lib.distances import apply_PBC

            calls["MDAnalysis apply_PBC"] = lambda box=box: apply_PBC(coords, box)
        result.append(Case("wrap", f"{n:.0e} atoms, {name}", calls, same_values(1e-3)))
    return result
