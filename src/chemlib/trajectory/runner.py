"""One analysis over a trajectory's frames on any engine, with pmda's timings.

Every block is a task that opens the source, reads its frames a chunk at a
time and runs the analysis's kernels on each chunk; the partial results of
the blocks are combined in frame order (time series concatenated, histograms
summed), as pmda and MDAnalysis' parallel backends do. Each task reports its
set-up (opening the source), reading and computing time and the process it
ran in, as pmda's ``Timing`` does per block.
"""

from __future__ import annotations

import functools
import os
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from numpy.typing import ArrayLike
from threadpoolctl import threadpool_limits

from chemlib.trajectory.blocks import select_frames
from chemlib.trajectory.engines import run_blocks
from chemlib.trajectory.sources import FrameSource, as_source

__all__ = ["Analysis", "BlockTiming", "TrajectoryRun", "run"]

# Frames read from the source and given to the kernels at once: about 32 MiB
# of positions, so a block of a long trajectory never sits in memory whole.
CHUNK_BYTES = 32 << 20


def _one_blas_thread() -> threadpool_limits:
    # OpenBLAS sums in an order that depends on its thread count, and LAPACK's
    # dsyev (the RMSD's rotation where QCP is not accurate enough) calls it: the
    # same frame can differ in its last bits between a process with
    # OPENBLAS_NUM_THREADS=1 (a Dask nanny's workers) and one without. Every
    # task runs with one BLAS thread, whatever its process's settings, so every
    # engine gives the same bits. The calls are 4x4: threads would not help.
    return threadpool_limits(limits=1, user_api="blas")


class Analysis(ABC):
    """A per-frame analysis that splits over blocks of frames.

    ``prepare`` checks it against the source (and resolves what it needs from
    it); ``compute`` turns a chunk of frames into a partial result;
    ``combine`` joins partial results given in frame order; ``conclude``
    turns the combination for all frames into the answer.
    """

    needs_box: bool = False
    name: str = "the analysis"

    def prepare(self, source: FrameSource) -> Analysis:
        """Check the analysis against ``source``; return it ready to run on it."""
        if self.needs_box:
            source.require_periodic(self.name)
        return self

    @abstractmethod
    def compute(self, positions: Any, boxes: Any, frames: range) -> Any:
        """Partial result of ``frames`` (their positions, and boxes when needs_box)."""

    @abstractmethod
    def combine(self, partials: list[Any]) -> Any:
        """Join partial results of consecutive frame ranges, given in frame order."""

    def conclude(self, combined: Any, n_frames: int) -> Any:
        """Turn the combination over all ``n_frames`` frames into the answer."""
        return combined


@dataclass(frozen=True)
class BlockTiming:
    """Where a block's time went (seconds), and which process ran it."""

    setup: float  # opening the source in the task
    read: float  # reading the block's frames
    compute: float  # running the kernels on them
    worker: str  # host:pid


@dataclass(frozen=True)
class _BlockResult:
    partial: Any
    timing: BlockTiming


@dataclass(frozen=True)
class TrajectoryRun:
    """The result of an analysis and how the run went."""

    result: Any
    engine: str
    frames: range  # the frames analysed
    blocks: list[range]  # how they were split
    timings: list[BlockTiming]  # per block, in block order
    startup: float  # seconds to start the engine before any block ran
    wall: float  # seconds for the whole call


def _chunks(frames: range, frame_bytes: int) -> Iterator[range]:
    size = max(1, CHUNK_BYTES // max(frame_bytes, 1))
    for begin in range(0, len(frames), size):
        yield frames[begin : begin + size]


def _run_block(
    analysis: Analysis,
    source: FrameSource,
    frames: range,
    progress: Callable[[int], None] | None,
) -> _BlockResult:
    started = time.perf_counter()
    read = compute = 0.0
    partials = []
    with _one_blas_thread(), source.open() as reader:
        setup = time.perf_counter() - started
        for chunk in _chunks(frames, source.n_atoms * 3 * 8):
            clock = time.perf_counter()
            positions = reader.positions(chunk)
            boxes = reader.boxes(chunk) if analysis.needs_box else None
            read += time.perf_counter() - clock
            clock = time.perf_counter()
            partials.append(analysis.compute(positions, boxes, chunk))
            compute += time.perf_counter() - clock
            if progress is not None:
                progress(len(chunk))
    timing = BlockTiming(setup, read, compute, f"{socket.gethostname()}:{os.getpid()}")
    return _BlockResult(analysis.combine(partials), timing)


def _task_for(analysis: Analysis, source: FrameSource, block: range) -> Callable[..., _BlockResult]:
    # What a block's task carries: an array source only the block's frames.
    part, frames = source.restricted_to(block)
    return functools.partial(_run_block, analysis, part, frames)


def run(
    analysis: Analysis,
    trajectory: FrameSource | str | os.PathLike[str] | ArrayLike,
    *,
    box: ArrayLike | None = None,
    group: str | None = None,
    start: int | None = None,
    stop: int | None = None,
    step: int | None = None,
    engine: str = "serial",
    workers: int | None = None,
    blocks: int | None = None,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
) -> TrajectoryRun | None:
    """Run ``analysis`` over the frames ``start:stop:step`` of ``trajectory``.

    Parameters
    ----------
    analysis : Analysis
        What to compute: RMSD, RDF or RadiusOfGyration.
    trajectory : path, array_like or FrameSource
        An H5MD file (read by every task for its own frames), an array of
        frames ``(n_frames, n_atoms, 3)`` in Angstrom, or a FrameSource.
    box : array_like, shape (6,) or (n_frames, 6), optional
        The box of an array of frames (an H5MD file carries its own).
    group : str, optional
        The H5MD particle group, when the file holds several.
    start, stop, step : int, optional
        The frames analysed; ``0 <= start <= stop <= n_frames``, ``step >= 1``
        (out of bounds is a ValueError, not clipped).
    engine : {'serial', 'threads', 'dask', 'mpi'}
        Where the blocks run (see chemlib.trajectory.engines).
    workers : int, optional
        Blocks run at once: threads, or processes of the Dask LocalCluster
        started when no scheduler is given (default: the cores available).
    blocks : int, optional
        Number of blocks (default: one per worker; under MPI one per rank).
    scheduler : str or distributed.Client, optional
        engine='dask': a running cluster's scheduler address or a Client.
    progress : callable, optional
        Called with the number of frames done, as blocks or chunks finish.

    Returns
    -------
    TrajectoryRun or None
        The result (``.result``) and the run's blocks and timings; None on MPI
        ranks other than 0. The result is the same, bit for bit, on every
        engine and for any number of workers or blocks.

    """
    started = time.perf_counter()
    if not isinstance(analysis, Analysis):
        raise TypeError(
            "analysis must be an Analysis (RMSD, RDF or RadiusOfGyration), "
            f"got {type(analysis).__name__}"
        )
    source = as_source(trajectory, box=box, group=group)
    frames = select_frames(source.n_frames, start, stop, step)
    prepared = analysis.prepare(source)
    # Also around the whole run: the limit is process-wide in OpenBLAS, and a
    # threads worker leaving its block must restore 1, not the caller's count.
    with _one_blas_thread():
        outcome = run_blocks(
            functools.partial(_task_for, prepared, source),
            frames,
            engine=engine,
            workers=workers,
            blocks=blocks,
            scheduler=scheduler,
            progress=progress,
        )
    if outcome.results is None:
        return None
    result = prepared.conclude(prepared.combine([r.partial for r in outcome.results]), len(frames))
    return TrajectoryRun(
        result=result,
        engine=engine,
        frames=frames,
        blocks=outcome.blocks,
        timings=[r.timing for r in outcome.results],
        startup=outcome.startup,
        wall=time.perf_counter() - started,
    )
