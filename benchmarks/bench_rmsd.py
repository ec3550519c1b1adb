"""rmsd_trajectory with superposition against mdtraj and MDAnalysis' QCP."""

from __future__ import annotations

from functools import partial

import numpy as np

import chemlib
from harness import CHEMLIB, Case, available, same_values


def cases(quick: bool) -> list[Case]:
    """Superposed RMSD of many frames, float64 and float32 frames, at two shapes.

    1000 frames of 1000 atoms, and 4000 frames of 310 atoms (a small protein's
    backbone), where the cost per frame outside the pass over its atoms
    counts. mdtraj holds its coordinates as float32 whatever it is given;
    chemlib reads float32 frames as they are (arithmetic in float64 either
    way), so the float32 cases compare like with like in memory traffic.
    Each shape is timed as given (frames centred by each implementation) and
    precentred (centred once beforehand, outside the timing: mdtraj's
    ``precentered=True`` against chemlib's).
    """
    shapes = [(100, 1000), (400, 310)] if quick else [(1000, 1000), (4000, 310)]
    return [case for n_frames, n_atoms in shapes for case in shape_cases(n_frames, n_atoms)]


def shape_cases(n_frames: int, n_atoms: int) -> list[Case]:
    """The cases of one trajectory shape: as given and precentred, float64 and float32."""
    rng = np.random.default_rng(11)
    reference = rng.normal(scale=10.0, size=(n_atoms, 3))
    frames = reference + rng.normal(scale=1.0, size=(n_frames, n_atoms, 3))
    centred = frames - frames.mean(axis=1, keepdims=True)
    given = {"": (reference, frames), ", precentred": (reference - reference.mean(axis=0), centred)}
    calls = {}
    for precentred, (ref, trajectory) in given.items():
        for dtype, each in (("", trajectory), (", float32 frames", trajectory.astype(np.float32))):
            call = partial(chemlib.rmsd_trajectory, ref, each, precentered=bool(precentred))
            calls[precentred, dtype] = {CHEMLIB: call}
    if available("mdtraj"):
        import mdtraj

        traj = mdtraj.Trajectory(frames / 10, topology=None)
        ref_traj = mdtraj.Trajectory(reference[np.newaxis] / 10, topology=None)
        mdtraj_centred = mdtraj.Trajectory(frames / 10, topology=None)
        mdtraj_centred.center_coordinates()
        ref_centred = mdtraj.Trajectory(reference[np.newaxis] / 10, topology=None)
        ref_centred.center_coordinates()
        for (precentred, _), implementations in calls.items():
            if precentred:
                implementations["mdtraj precentred"] = lambda: (
                    mdtraj.rmsd(mdtraj_centred, ref_centred, precentered=True) * 10
                )
            else:
                implementations["mdtraj"] = lambda: mdtraj.rmsd(traj, ref_traj) * 10
    if available("MDAnalysis"):
        from MDAnalysis.analysis.rms import rmsd

        calls["", ""]["MDAnalysis rms.rmsd loop"] = lambda: np.array(
            [rmsd(frame, reference, center=True, superposition=True) for frame in frames]
        )
    return [
        Case(
            "rmsd_trajectory",
            f"{n_frames} frames x {n_atoms} atoms, superposed{precentred}{dtype}",
            implementations,
            same_values(1e-4),
        )
        for (precentred, dtype), implementations in calls.items()
    ]
