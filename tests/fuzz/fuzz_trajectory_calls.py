"""Random calls of the trajectory API (``chemlib.trajectory``), for the fuzz harness.

The one-call analyses (rmsd, rdf, radius_of_gyration), ``run`` with an
analysis object, and the frame sources' constructors, on arrays of frames
(shapes, dtypes, layouts and values of fuzz_values.py), a small H5MD file and
paths that are not H5MD files, with every option of ``run``: frame selection, engine,
workers, blocks, scheduler, progress, box and group.

The serial and threads engines run. 'dask' and 'mpi' are drawn only with
options they refuse before starting (a scheduler together with workers;
workers or blocks under MPI): a call that started a Dask cluster or MPI would
take seconds, and tests/trajectory/ runs both engines against the serial
answer. Paths are those of one small H5MD file (h5md_file) or name no H5MD
file (missing, a directory, not HDF5); malformed H5MD files are
test_trajectory_sources.py's.

Not called here, with the reason (test_fuzz.py checks that this list and the
builders together cover ``chemlib.trajectory.__all__``): NOT_CALLED.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from fuzz_values import (
    Builders,
    array_argument,
    atom_count,
    box,
    coordinates,
    flag,
    float_values,
    histogram_bins,
    pick,
    second_count,
    weights,
)

from chemlib import rmsd as one_rmsd
from chemlib.trajectory import RDF, RMSD, RadiusOfGyration

# The trajectory tests' H5MD writer; the fuzz children run from tests/fuzz.
sys.path.append(str(Path(__file__).resolve().parent.parent / "trajectory"))
import h5md_files

NOT_CALLED = {
    "ENGINES": "a constant, the engines' names (drawn as run's engine)",
    "Analysis": "the abstract base of the analyses",
    "FrameSource": "the abstract base of the frame sources",
    "RMSD": "a dataclass whose checks run in run() (drawn as run's analysis)",
    "RDF": "a dataclass whose checks run in run() (drawn as run's analysis)",
    "RadiusOfGyration": "a dataclass whose checks run in run() (drawn as run's analysis)",
    "BlockTiming": "a result record, returned by run()",
    "TrajectoryRun": "a result record, returned by run()",
}

# Paths that name no H5MD file: missing, a directory, the null device, a file
# that is not HDF5 (this one), as str, pathlib.Path and bytes.
NOT_H5MD = (
    "",
    "/nonexistent/chemlib-fuzz.h5",
    "/",
    os.devnull,
    __file__,
    Path(__file__),
    os.fsencode(__file__),
)


def not_h5md_path(rng: np.random.Generator) -> Any:
    """One of NOT_H5MD."""
    return NOT_H5MD[rng.integers(len(NOT_H5MD))]


# The frames and atoms of h5md_file(): what the other arguments must match.
H5MD_SHAPE = (8, 40)


@functools.cache
def h5md_file() -> Path:
    """An H5MD file of 8 frames of 40 atoms in a breathing cuboid box, group 'all'.

    The same bytes for every child and every replay: written once into the
    checkout's .cache/fuzz (under a name with its pid, then renamed, so that
    two children writing it at once never see half a file) and reused. The
    name holds a digest of the writer's source, so a changed writer makes a
    new file rather than reusing an old one.
    """
    writer = Path(h5md_files.__file__).read_bytes()
    digest = hashlib.sha256(writer + repr(H5MD_SHAPE).encode()).hexdigest()[:16]
    path = Path(__file__).resolve().parents[2] / ".cache" / "fuzz" / f"liquid-{digest}.h5"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        positions, lengths = h5md_files.liquid(*H5MD_SHAPE)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        os.replace(h5md_files.write_h5md(partial, positions, lengths), path)
    return path


@dataclass(frozen=True)
class DrawnTrajectory:
    """A trajectory argument, and the shape the other arguments are drawn to match."""

    argument: Any
    n_frames: int
    n_atoms: int
    carries_box: bool  # an H5MD file: a box= beside it is refused


def small_count(rng: np.random.Generator) -> int:
    """A plausible frame count: none, one, or a few."""
    return pick(rng, [(5, lambda: 0), (15, lambda: 1), (80, lambda: int(rng.integers(2, 9)))])


def trajectory_argument(rng: np.random.Generator) -> DrawnTrajectory:
    """Frames (n_frames, n_atoms, 3) mostly, or the H5MD file; now and then a wrong
    shape, a path that is not H5MD, or junk."""
    n_frames, n_atoms = small_count(rng), atom_count(rng)

    def drawn(argument: Any) -> DrawnTrajectory:
        return DrawnTrajectory(argument, n_frames, n_atoms, carries_box=False)

    def file() -> DrawnTrajectory:
        path = h5md_file()
        return DrawnTrajectory(str(path) if rng.random() < 0.5 else path, *H5MD_SHAPE, True)

    return pick(
        rng,
        [
            (78, lambda: drawn(array_argument(rng, (n_frames, n_atoms, 3)))),
            (12, file),
            (3, lambda: drawn(array_argument(rng, (n_frames, n_atoms)))),
            (2, lambda: drawn(array_argument(rng, (n_frames, n_atoms, 2)))),
            (3, lambda: drawn(not_h5md_path(rng))),
            (
                2,
                lambda: drawn(
                    pick(rng, [(1, lambda: None), (1, lambda: 3.0), (1, lambda: [[1, 2]])])
                ),
            ),
        ],
    )


def frame_boxes(rng: np.random.Generator, n_frames: int) -> Any:
    """box of run(): one box, one per frame (some of them bad), or a misshapen array."""

    def per_frame() -> np.ndarray:
        rows = [box(rng) for _ in range(n_frames)]
        good = np.r_[rng.uniform(20.0, 40.0, 3), 90.0, 90.0, 90.0]
        return np.array([good if row is None or np.shape(row) != (6,) else row for row in rows])

    return pick(
        rng,
        [
            (55, lambda: box(rng)),
            (25, per_frame),
            (5, lambda: float_values(rng, (n_frames + 1, 6))),
        ],
    )


def frame_index(rng: np.random.Generator, n_frames: int) -> Any:
    """start, stop or step: None mostly, an index in or out of range, or not an integer."""
    return pick(
        rng,
        [
            (70, lambda: None),
            (15, lambda: int(rng.integers(0, n_frames + 1))),
            (4, lambda: int(rng.integers(-3, 0))),
            (3, lambda: n_frames + int(rng.integers(1, 4))),
            (3, lambda: np.int64(rng.integers(0, n_frames + 1))),
            (2, lambda: float(rng.integers(0, 3))),
            (2, lambda: True),
            (1, lambda: "1"),
        ],
    )


def count_option(rng: np.random.Generator, typical: Callable[[], int]) -> Any:
    """workers or blocks: a typical count, or zero, negative, huge, or not an integer."""
    return pick(
        rng,
        [
            (80, typical),
            (5, lambda: np.int64(typical())),
            (4, lambda: 0),
            (3, lambda: -int(rng.integers(1, 4))),
            (2, lambda: 10**12),
            (3, lambda: 2.0),
            (2, lambda: True),
            (1, lambda: "2"),
        ],
    )


def progress_option(rng: np.random.Generator) -> Any:
    """None mostly, a callable that keeps the counts, or something that cannot be called."""
    done: list[int] = []
    return pick(
        rng,
        [(60, lambda: None), (32, lambda: done.append), (4, lambda: 3), (4, lambda: "log")],
    )


def engine_options(rng: np.random.Generator, n_frames: int) -> dict[str, Any]:
    """engine and what goes with it: workers, blocks and scheduler (see the module docstring)."""
    counts = {
        "workers": lambda: count_option(rng, lambda: int(rng.integers(1, 5))),
        "blocks": lambda: count_option(rng, lambda: int(rng.integers(1, n_frames + 3))),
    }

    def serial() -> dict[str, Any]:
        options = {"engine": "serial"} if rng.random() < 0.7 else {}
        if rng.random() < 0.2:
            options["workers"] = pick(rng, [(80, lambda: 1), (20, counts["workers"])])
        if rng.random() < 0.4:
            options["blocks"] = counts["blocks"]()
        return options

    def threads() -> dict[str, Any]:
        # Always workers: without, the split would follow this machine's cores,
        # and a call would not replay alike elsewhere.
        options: dict[str, Any] = {"engine": "threads", "workers": counts["workers"]()}
        if rng.random() < 0.6:
            options["blocks"] = counts["blocks"]()
        return options

    def refused_dask() -> dict[str, Any]:
        return {"engine": "dask", "scheduler": "tcp://127.0.0.1:1", "workers": counts["workers"]()}

    def refused_mpi() -> dict[str, Any]:
        name = "workers" if rng.random() < 0.5 else "blocks"
        return {"engine": "mpi", name: counts[name]()}

    def scheduler_elsewhere() -> dict[str, Any]:
        return {"engine": "threads", "scheduler": "tcp://127.0.0.1:1"}

    def unknown() -> dict[str, Any]:
        engine = ("Serial", "thread", "", None, 3, ["serial"], np.array(["serial", "threads"]))
        return {"engine": engine[rng.integers(len(engine))]}

    return pick(
        rng,
        [
            (45, serial),
            (40, threads),
            (4, refused_dask),
            (4, refused_mpi),
            (3, scheduler_elsewhere),
            (4, unknown),
        ],
    )


def plausible_run_options(
    rng: np.random.Generator, trajectory: DrawnTrajectory, needs_box: bool
) -> dict[str, Any]:
    """Options a user would pass: a valid engine, counts and selection, a cubic box."""
    n_frames = trajectory.n_frames
    options: dict[str, Any] = {"engine": "threads" if rng.random() < 0.5 else "serial"}
    if options["engine"] == "threads":
        options["workers"] = int(rng.integers(1, 5))
    options["blocks"] = int(rng.integers(1, n_frames + 3))
    if n_frames and rng.random() < 0.3:
        options["start"] = int(rng.integers(0, n_frames))
        options["step"] = int(rng.integers(1, 3))
    if rng.random() < 0.5:
        options["progress"] = [].append
    if needs_box and not trajectory.carries_box:
        options["box"] = [float(rng.uniform(30.0, 40.0))] * 3 + [90.0] * 3
    if trajectory.carries_box and rng.random() < 0.2:
        options["group"] = "all"
    return options


def run_options(
    rng: np.random.Generator, trajectory: DrawnTrajectory, needs_box: bool
) -> dict[str, Any]:
    """The keyword options of run() shared by every analysis: half of the calls
    take plausible ones only, so that they reach the kernels."""
    if rng.random() < 0.5:
        return plausible_run_options(rng, trajectory, needs_box)
    n_frames = trajectory.n_frames
    options = engine_options(rng, n_frames)
    for name in ("start", "stop", "step"):
        value = frame_index(rng, n_frames)
        if value is not None:
            options[name] = value
    progress = progress_option(rng)
    if progress is not None:
        options["progress"] = progress
    box_share = 0.05 if trajectory.carries_box else (0.95 if needs_box else 0.1)
    if rng.random() < box_share:
        options["box"] = frame_boxes(rng, n_frames)
    if rng.random() < 0.05:
        options["group"] = pick(rng, [(2, lambda: "all"), (1, lambda: "protein"), (1, lambda: 7)])
    return options


def rmsd_reference(rng: np.random.Generator, trajectory: DrawnTrajectory) -> Any:
    """A frame index (in range, from the end, out of range) or coordinates."""
    n_frames = trajectory.n_frames
    return pick(
        rng,
        [
            (45, lambda: int(rng.integers(-n_frames, n_frames)) if n_frames else 0),
            (5, lambda: n_frames + int(rng.integers(0, 3))),
            (5, lambda: np.int32(0)),
            (40, lambda: coordinates(rng, second_count(rng, trajectory.n_atoms))),
            (5, lambda: pick(rng, [(1, lambda: True), (1, lambda: 0.0), (1, lambda: None)])),
        ],
    )


def rmsd_analysis(rng: np.random.Generator, trajectory: DrawnTrajectory) -> dict[str, Any]:
    return {
        "reference": rmsd_reference(rng, trajectory),
        "weights": weights(rng, trajectory.n_atoms),
        "superposition": flag(rng),
        "center": flag(rng),
    }


def build_rmsd(rng: np.random.Generator) -> dict[str, Any]:
    trajectory = trajectory_argument(rng)
    return {
        "trajectory": trajectory.argument,
        **rmsd_analysis(rng, trajectory),
        **run_options(rng, trajectory, needs_box=False),
    }


def build_rdf(rng: np.random.Generator) -> dict[str, Any]:
    trajectory = trajectory_argument(rng)
    return {
        "trajectory": trajectory.argument,
        **histogram_bins(rng),
        **run_options(rng, trajectory, needs_box=True),
    }


def build_radius_of_gyration(rng: np.random.Generator) -> dict[str, Any]:
    trajectory = trajectory_argument(rng)
    return {
        "trajectory": trajectory.argument,
        "masses": weights(rng, trajectory.n_atoms),
        **run_options(rng, trajectory, needs_box=False),
    }


def build_run(rng: np.random.Generator) -> dict[str, Any]:
    trajectory = trajectory_argument(rng)
    junk = (RMSD, "rmsd", one_rmsd)
    analysis, needs_box = pick(
        rng,
        [
            (35, lambda: (RMSD(**rmsd_analysis(rng, trajectory)), False)),
            (30, lambda: (RDF(**histogram_bins(rng)), True)),
            (30, lambda: (RadiusOfGyration(weights(rng, trajectory.n_atoms)), False)),
            (5, lambda: (junk[rng.integers(len(junk))], False)),
        ],
    )
    return {
        "analysis": analysis,
        "trajectory": trajectory.argument,
        **run_options(rng, trajectory, needs_box),
    }


def build_array_frames(rng: np.random.Generator) -> dict[str, Any]:
    trajectory = trajectory_argument(rng)
    return {
        "frames": trajectory.argument,
        "box": None if rng.random() < 0.4 else frame_boxes(rng, trajectory.n_frames),
    }


def build_h5md_frames(rng: np.random.Generator) -> dict[str, Any]:
    path = pick(
        rng,
        [
            (50, h5md_file),
            (45, lambda: not_h5md_path(rng)),
            (5, lambda: None),
        ],
    )
    group = pick(
        rng, [(70, lambda: None), (15, lambda: "all"), (10, lambda: "protein"), (5, lambda: 7)]
    )
    return {"path": path, "group": group}


# name -> (builder, relative frequency), as fuzz_calls.BUILDERS. H5MDFrames
# has few inputs to vary (one file, seven paths, a group): drawn less often.
TRAJECTORY_BUILDERS: Builders = {
    "trajectory.rmsd": (build_rmsd, 1.0),
    "trajectory.rdf": (build_rdf, 1.0),
    "trajectory.radius_of_gyration": (build_radius_of_gyration, 1.0),
    "trajectory.run": (build_run, 1.0),
    "trajectory.ArrayFrames": (build_array_frames, 1.0),
    "trajectory.H5MDFrames": (build_h5md_frames, 0.2),
}
