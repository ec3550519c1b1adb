"""Mass-weighted properties against plain NumPy."""

from __future__ import annotations

import numpy as np

import chemlib
from harness import CHEMLIB, Case, same_values


def cases(quick: bool) -> list[Case]:
    """Centre of mass, radius of gyration and principal axes of 1e6 atoms."""
    n = 100_000 if quick else 1_000_000
    rng = np.random.default_rng(5)
    coords = rng.normal(scale=20.0, size=(n, 3)) * [3.0, 2.0, 1.0]
    masses = rng.uniform(1.0, 32.0, n)

    def numpy_radius_of_gyration():
        com = np.average(coords, axis=0, weights=masses)
        return np.sqrt(np.average(((coords - com) ** 2).sum(1), weights=masses))

    def numpy_principal_axes():
        r = coords - np.average(coords, axis=0, weights=masses)
        second = (masses[:, None] * r).T @ r
        _, vectors = np.linalg.eigh(np.trace(second) * np.eye(3) - second)
        axes = vectors.T[::-1]
        return axes * np.sign(axes[np.arange(3), np.abs(axes).argmax(1)])[:, None]

    return [
        Case(
            "center_of_mass",
            f"{n:.0e} atoms",
            {
                CHEMLIB: lambda: chemlib.center_of_mass(coords, masses),
                "NumPy average": lambda: np.average(coords, axis=0, weights=masses),
            },
            same_values(1e-9),
        ),
        Case(
            "radius_of_gyration",
            f"{n:.0e} atoms",
            {
                CHEMLIB: lambda: chemlib.radius_of_gyration(coords, masses),
                "NumPy": numpy_radius_of_gyration,
            },
            same_values(1e-9),
        ),
        Case(
            "principal_axes",
            f"{n:.0e} atoms",
            {
                CHEMLIB: lambda: chemlib.principal_axes(coords, masses),
                "NumPy eigh": numpy_principal_axes,
            },
            same_values(1e-9),
        ),
    ]
