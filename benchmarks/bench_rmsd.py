"""rmsd_trajectory with superposition against mdtraj and MDAnalysis' QCP."""

from __future__ import annotations

import numpy as np

import chemlib
from harness import CHEMLIB, Case, available, same_values


def cases(quick: bool) -> list[Case]:
    """Superposed RMSD of many frames of a 1000-atom structure, float64 and float32 frames.

    mdtraj holds its coordinates as float32 whatever it is given; chemlib
    reads float32 frames as they are (arithmetic in float64 either way), so
    the float32 case compares like with like in memory traffic.
    """
    n_atoms, n_frames = 1000, (100 if quick else 1000)
    rng = np.random.default_rng(11)
    reference = rng.normal(scale=10.0, size=(n_atoms, 3))
    frames = reference + rng.normal(scale=1.0, size=(n_frames, n_atoms, 3))
    frames32 = frames.astype(np.float32)
    calls = {CHEMLIB: lambda: chemlib.rmsd_trajectory(reference, frames)}
    calls32 = {CHEMLIB: lambda: chemlib.rmsd_trajectory(reference, frames32)}
    if available("mdtraj"):
        import mdtraj

        traj = mdtraj.Trajectory(frames / 10, topology=None)
        ref_traj = mdtraj.Trajectory(reference[np.newaxis] / 10, topology=None)
        calls["mdtraj"] = lambda: mdtraj.rmsd(traj, ref_traj) * 10
        centred = mdtraj.Trajectory(frames / 10, topology=None)
        centred.center_coordinates()
        ref_centred = mdtraj.Trajectory(reference[np.newaxis] / 10, topology=None)
        ref_centred.center_coordinates()
        calls["mdtraj precentred"] = lambda: (
            mdtraj.rmsd(centred, ref_centred, precentered=True) * 10
        )
        calls32["mdtraj"] = calls["mdtraj"]
        calls32["mdtraj precentred"] = calls["mdtraj precentred"]
    if available("MDAnalysis"):
        from MDAnalysis.analysis.rms import rmsd

        calls["MDAnalysis rms.rmsd loop"] = lambda: np.array(
            [rmsd(frame, reference, center=True, superposition=True) for frame in frames]
        )
    return [
        Case(
            "rmsd_trajectory",
            f"{n_frames} frames x {n_atoms} atoms, superposed",
            calls,
            same_values(1e-4),
        ),
        Case(
            "rmsd_trajectory",
            f"{n_frames} frames x {n_atoms} atoms, superposed, float32 frames",
            calls32,
            same_values(1e-4),
        ),
    ]
