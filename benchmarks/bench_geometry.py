"""calc_bonds, calc_angles, calc_dihedrals against MDAnalysis and mdtraj."""

from __future__ import annotations

import numpy as np

import chemlib
from harness import CHEMLIB, Case, available, same_values

BOX = np.array([100.0, 100.0, 100.0, 90.0, 90.0, 90.0])


def _mdtraj_trajectory(coords: np.ndarray):
    import mdtraj

    # mdtraj works in nm and float32, one frame here.
    traj = mdtraj.Trajectory(coords[np.newaxis] / 10, topology=None)
    traj.unitcell_vectors = (np.diag(BOX[:3]) / 10)[np.newaxis].astype(np.float32)
    return traj


def cases(quick: bool) -> list[Case]:
    """1e6 bonds, angles and dihedrals (1e5 when quick) in an orthorhombic box.

    Each kernel twice: float64 input, and float32 input (which MDAnalysis
    and mdtraj compute in natively; chemlib widens it a block at a time).
    """
    n = 100_000 if quick else 1_000_000
    rng = np.random.default_rng(7)
    coords = [rng.uniform(0, 100, (n, 3)) for _ in range(4)]
    single = [c.astype(np.float32) for c in coords]
    return _kernel_cases(coords, "") + _kernel_cases(single, ", float32 input")


def _kernel_cases(c: list[np.ndarray], suffix: str) -> list[Case]:
    """The three kernels on point sets c[0..3], against every installed peer."""
    n = len(c[0])
    bonds = {CHEMLIB: lambda: chemlib.calc_bonds(c[0], c[1], box=BOX)}
    angles = {CHEMLIB: lambda: chemlib.calc_angles(c[0], c[1], c[2], box=BOX)}
    dihedrals = {CHEMLIB: lambda: chemlib.calc_dihedrals(c[0], c[1], c[2], c[3], box=BOX)}
    if available("MDAnalysis"):
        from MDAnalysis.lib import distances as mda

        for backend in ("serial", "OpenMP"):
            bonds[f"MDAnalysis {backend}"] = lambda b=backend: mda.calc_bonds(
                c[0], c[1], box=BOX, backend=b
            )
            angles[f"MDAnalysis {backend}"] = lambda b=backend: mda.calc_angles(
                c[0], c[1], c[2], box=BOX, backend=b
            )
            dihedrals[f"MDAnalysis {backend}"] = lambda b=backend: mda.calc_dihedrals(
                c[0], c[1], c[2], c[3], box=BOX, backend=b
            )
    if available("mdtraj"):
        import mdtraj

        traj = _mdtraj_trajectory(np.concatenate(c))
        index = np.arange(n)
        pairs = np.c_[index, index + n]
        triples = np.c_[index, index + n, index + 2 * n]
        quads = np.c_[index, index + n, index + 2 * n, index + 3 * n]
        bonds["mdtraj"] = lambda: mdtraj.compute_distances(traj, pairs)[0] * 10
        angles["mdtraj"] = lambda: mdtraj.compute_angles(traj, triples)[0]
        dihedrals["mdtraj"] = lambda: mdtraj.compute_dihedrals(traj, quads)[0]
    return [
        Case("calc_bonds", f"{n:.0e}, orthorhombic{suffix}", bonds, same_values(1e-3)),
        Case("calc_angles", f"{n:.0e}, orthorhombic{suffix}", angles, same_values(1e-3)),
        Case("calc_dihedrals", f"{n:.0e}, orthorhombic{suffix}", dihedrals, same_values(1e-3)),
    ]
