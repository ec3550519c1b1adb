"""Helpers of the trajectory tests: MPI venvs, subprocesses, a first-principles RDF."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import chemlib
from chemlib.trajectory.sources import H5MDFrames

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))


def mpi_python(implementation: str) -> Path:
    """The python of a venv with that MPI (tools/mpi_venvs.py, cached); in a conda
    environment (the main job's MPI step), this python where the solver installed that
    MPI, else a skip: one environment never holds two MPIs (the ``mpi`` mutex)."""
    conda_meta = Path(sys.prefix) / "conda-meta"
    if conda_meta.is_dir():
        if not any(conda_meta.glob(f"{implementation}-[0-9]*.json")):
            pytest.skip(f"this conda environment's MPI is not {implementation}")
        return Path(sys.executable)
    import mpi_venvs

    return mpi_venvs.ensure(implementation)


def mpi_environment() -> dict[str, str]:
    """Variables both MPIs need here: Open MPI as root and past 2 ranks on 2 cores."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env["PRTE_MCA_rmaps_default_mapping_policy"] = ":oversubscribe"
    return env


def run_command(command, *, env=None, timeout=120, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=cwd,
    )


def reference_rdf(positions, boxes, nbins, bin_range):
    """The accumulated RDF from first principles: every pair distance of every frame
    (chemlib.self_distance_array), numpy.histogram, InterRDF's normalisation."""
    edges = np.linspace(*bin_range, nbins + 1)
    counts = np.zeros(nbins, dtype=np.int64)
    volume = 0.0
    for frame, box in zip(positions, boxes, strict=True):
        counts += 2 * np.histogram(chemlib.self_distance_array(frame, box=box), bins=edges)[0]
        volume += box[0] * box[1] * box[2]
    n = positions.shape[1]
    density = n * (n - 1) / (volume / len(positions))
    # Shell volumes from exact cubes, rounded once: a few roundings in all, 4 eps
    # beside chemlib's 8 eps (README, precision). Not np.diff(edges**3): NumPy's
    # power is SIMD code a few ulp off on some CPUs, and the difference magnifies
    # that by (b^3 + a^3) / (b^3 - a^3), 13 for the outer shells of these tests.
    cubes = [Fraction(edge) ** 3 for edge in edges]
    shells = 4 / 3 * math.pi * np.array([float(b - a) for a, b in itertools.pairwise(cubes)])
    return counts, counts / (density * shells * len(positions))


class SlowToOpen(H5MDFrames):
    """An H5MD source whose tasks wait before opening the file, so that a block is
    surely running, not finished, when the test kills its worker."""

    pause = 4.0

    def open(self):
        time.sleep(self.pause)
        return super().open()
