"""H5MD files for the trajectory tests, written with h5py in the H5MD 1.1 layout.

Each file is written and closed before any test reads it: HDF5's file lock
refuses a reader while a writer holds the file (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np


def liquid(n_frames: int, n_atoms: int, length: float = 20.0, seed: int = 0):
    """Float32 frames of uniformly spread atoms and a cuboid box breathing by ~1%."""
    rng = np.random.default_rng(seed)
    lengths = length * (1 + 0.01 * rng.standard_normal((n_frames, 3)))
    fractions = rng.random((n_frames, n_atoms, 3))
    positions = (fractions * lengths[:, None, :]).astype(np.float32)
    return positions, lengths


def boxes_of(lengths: np.ndarray) -> np.ndarray:
    """MDAnalysis boxes [lx, ly, lz, 90, 90, 90] for cuboid edge vectors."""
    return np.concatenate([lengths, np.full((len(lengths), 3), 90.0)], axis=1)


def write_h5md(
    path: Path,
    positions: np.ndarray | None,
    edges: np.ndarray | None = None,
    *,
    group: str = "all",
    unit: str | None = "Angstrom",
    box_unit: str | None = None,
    time_dependent_box: bool = True,
    boundary: Sequence[str] = ("periodic",) * 3,
    extra_groups: Sequence[str] = (),
) -> Path:
    """Write positions (n_frames, n, 3) and box edges: per frame (n_frames, 3) or
    (n_frames, 3, 3) when time_dependent_box, else one (3,) or (3, 3)."""
    with h5py.File(path, "w") as file:
        h5md = file.create_group("h5md")
        h5md.attrs["version"] = np.array([1, 1])
        h5md.create_group("author").attrs["name"] = "chemlib tests"
        creator = h5md.create_group("creator")
        creator.attrs["name"] = "tests/trajectory/h5md_files.py"
        creator.attrs["version"] = "1"
        for name in (group, *extra_groups):
            particles = file.create_group(f"particles/{name}")
            box = particles.create_group("box")
            box.attrs["dimension"] = 3
            box.attrs["boundary"] = list(boundary)
            if positions is None:
                continue
            n_frames = len(positions)
            position = particles.create_group("position")
            value = position.create_dataset("value", data=positions)
            if unit is not None:
                value.attrs["unit"] = unit
            position.create_dataset("step", data=np.arange(n_frames))
            position.create_dataset("time", data=np.arange(n_frames, dtype=float))
            position["time"].attrs["unit"] = "ps"
            if edges is None:
                continue
            if time_dependent_box:
                element = box.create_group("edges")
                stored = element.create_dataset("value", data=edges)
                element.create_dataset("step", data=np.arange(n_frames))
                element.create_dataset("time", data=np.arange(n_frames, dtype=float))
            else:
                stored = box.create_dataset("edges", data=edges)
            if box_unit or unit:
                stored.attrs["unit"] = box_unit or unit
    return path
