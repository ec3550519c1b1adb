"""The command line for job scripts: ``chemlib rmsd`` and ``chemlib rdf``.

::

    chemlib rmsd TRAJECTORY --out FILE [--reference-frame K] [--no-superposition]
    chemlib rdf TRAJECTORY --out FILE [--nbins N] [--range LO HI]

with, for both, ``[--group G] [--start S] [--stop E] [--step D] [--engine
serial|threads|dask|mpi] [--scheduler ADDRESS] [--workers N] [--blocks N]``.
TRAJECTORY is an H5MD file; FILE ends in ``.npy`` (rmsd: shape ``(n_frames,)``;
rdf: ``(2, nbins)``, bin centres then g(r)) or ``.csv`` (a header line, then
one row per frame or bin, numbers written to round-trip exactly). Under
mpiexec (``--engine mpi``) rank 0 writes the file. The file appears whole or
not at all: it is written beside its final name and renamed.

Bad input (a missing file, a file without positions, a frame range or
reference frame out of bounds, an unreachable scheduler, ...) ends with one
line on stderr naming the file or option, and exit status 1; usage mistakes
exit with argparse's status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from chemlib import __version__
from chemlib.trajectory.analyses import RDF, RMSD
from chemlib.trajectory.blocks import balanced_blocks, select_frames
from chemlib.trajectory.engines import ENGINES, mpi_world
from chemlib.trajectory.progress import progress_bar
from chemlib.trajectory.runner import TrajectoryRun, run
from chemlib.trajectory.sources import H5MDFrames

__all__ = ["main"]

OUTPUT_SUFFIXES = (".npy", ".csv")


def build_parser() -> argparse.ArgumentParser:
    """Build the ``chemlib`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="chemlib",
        description="Trajectory analyses with chemlib's kernels, on one core or many machines.",
    )
    parser.add_argument("--version", action="version", version=f"chemlib-kernels {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("trajectory", metavar="TRAJECTORY", help="an H5MD file")
    common.add_argument(
        "--out", required=True, metavar="FILE", help="the result, .npy or .csv (rank 0 writes it)"
    )
    common.add_argument("--group", help="the H5MD particle group (when the file has several)")
    common.add_argument("--start", type=int, help="first frame analysed (default 0)")
    common.add_argument("--stop", type=int, help="frame to stop before (default: the end)")
    common.add_argument("--step", type=int, help="analyse every STEP-th frame (default 1)")
    common.add_argument("--engine", choices=ENGINES, default="serial", help="default: serial")
    common.add_argument(
        "--scheduler", metavar="ADDRESS", help="a running Dask scheduler (--engine dask)"
    )
    common.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="threads, or processes of the Dask LocalCluster (default: the cores available)",
    )
    common.add_argument(
        "--blocks", type=int, metavar="N", help="blocks of frames (default: one per worker)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rmsd = commands.add_parser(
        "rmsd", parents=[common], help="RMSD of every frame against a reference frame"
    )
    rmsd.add_argument(
        "--reference-frame",
        type=int,
        default=0,
        metavar="K",
        help="the reference frame (default 0; negative counts from the end)",
    )
    rmsd.add_argument(
        "--no-superposition",
        dest="superposition",
        action="store_false",
        help="centred, not rotated onto the reference",
    )
    rdf = commands.add_parser(
        "rdf", parents=[common], help="g(r) of the atoms with themselves, over the frames"
    )
    rdf.add_argument("--nbins", type=int, default=75, metavar="N", help="shells (default 75)")
    rdf.add_argument(
        "--range",
        type=float,
        nargs=2,
        default=(0.0, 15.0),
        metavar=("LO", "HI"),
        help="shell range in Angstrom (default 0 15)",
    )
    return parser


def _output_path(value: str) -> Path:
    path = Path(value)
    if path.suffix not in OUTPUT_SUFFIXES:
        raise ValueError(f"--out {value}: the file name must end in .npy or .csv")
    if not path.parent.is_dir():
        raise ValueError(f"--out {value}: the directory {path.parent} does not exist")
    return path


def _write(path: Path, command: str, outcome: TrajectoryRun) -> None:
    if command == "rmsd":
        data = outcome.result
        header = "frame,rmsd_angstrom"
        rows = zip(outcome.frames, data.tolist(), strict=True)
    else:
        data = np.stack(outcome.result)
        header = "r_angstrom,g"
        rows = zip(*(column.tolist() for column in outcome.result), strict=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb" if path.suffix == ".npy" else "w") as file:
            if path.suffix == ".npy":
                np.save(file, data)
            else:
                # repr() of a float is its shortest exact round-trip form.
                file.write(header + "\n")
                file.writelines(f"{a!r},{b!r}\n" for a, b in rows)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _execute(args: argparse.Namespace, is_root: bool) -> None:
    out = _output_path(args.out)
    source = H5MDFrames(args.trajectory, args.group)
    frames = select_frames(source.n_frames, args.start, args.stop, args.step)
    if args.command == "rmsd":
        analysis = RMSD(args.reference_frame, superposition=args.superposition)
    else:
        analysis = RDF(args.nbins, tuple(args.range))
    shown, description = frames, f"chemlib {args.command}"
    if args.engine == "mpi":
        comm = mpi_world()
        shown = balanced_blocks(frames, comm.size, keep_empty=True)[0]
        description += f" (rank 0 of {comm.size})"
    with progress_bar(len(shown) if is_root else 0, description) as progress:
        outcome = run(
            analysis,
            source,
            start=args.start,
            stop=args.stop,
            step=args.step,
            engine=args.engine,
            workers=args.workers,
            blocks=args.blocks,
            scheduler=args.scheduler,
            progress=progress,
        )
    if outcome is not None:
        _write(out, args.command, outcome)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    is_root = True
    try:
        if args.engine == "mpi":
            is_root = mpi_world().rank == 0
        _execute(args, is_root)
    except (ValueError, TypeError, ImportError, OSError) as error:
        if is_root:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            print(f"chemlib {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"chemlib {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
