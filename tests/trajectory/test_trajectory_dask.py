"""The Dask engine on a cluster started as processes on 127.0.0.1, as on a real one.

``dask scheduler`` and ``dask worker`` run as separate processes (what a job
script or dask-jobqueue starts); chemlib connects by the scheduler's address.
One test kills a worker while it runs a block: Dask runs the block again on the
other worker and the result is still exact.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from trajectory_helpers import SlowToOpen

import chemlib
from chemlib import trajectory
from chemlib.trajectory import RMSD, run

distributed = pytest.importorskip("distributed")

DASK = Path(sys.executable).parent / "dask"
# The scheduler (it unpickles the task graph) and the workers import
# trajectory_helpers (SlowToOpen) from this directory.
CLUSTER_ENVIRONMENT = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))


class Cluster:
    """A scheduler and single-threaded workers, each its own process on 127.0.0.1."""

    def __init__(self, directory: Path, n_workers: int, *, nanny: bool = True) -> None:
        self.scheduler_file = directory / "scheduler.json"
        common = ["--no-dashboard"]
        self.processes = [
            subprocess.Popen(
                [
                    DASK,
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--scheduler-file",
                    self.scheduler_file,
                    *common,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=CLUSTER_ENVIRONMENT,
            )
        ]
        deadline = time.monotonic() + 60
        while not self.scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.workers = [
            subprocess.Popen(
                [
                    DASK,
                    "worker",
                    "--scheduler-file",
                    self.scheduler_file,
                    "--host",
                    "127.0.0.1",
                    "--nthreads",
                    "1",
                    "--name",
                    f"worker-{index}",
                    "--nanny" if nanny else "--no-nanny",
                    *common,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=CLUSTER_ENVIRONMENT,
            )
            for index in range(n_workers)
        ]
        self.processes += self.workers
        try:
            self.address = json.loads(self.scheduler_file.read_text())["address"]
            with distributed.Client(self.address, timeout=60) as client:
                client.wait_for_workers(n_workers, timeout=60)
        except BaseException:
            self.stop()  # a cluster that did not come up leaves no process behind
            raise

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # A loaded machine can take longer to shut a worker down; it is
                # killed and then reaped: a Popen dropped unreaped warns
                # (ResourceWarning), which this suite turns into a failure.
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(tmp_path_factory.mktemp("dask"), 2)
    yield started
    started.stop()


def test_a_scheduler_address_gives_the_serial_answer(cluster, h5md_path, frames_and_lengths):
    positions, _ = frames_and_lengths
    outcome = run(RMSD(3), h5md_path, engine="dask", scheduler=cluster.address, blocks=4)
    assert np.array_equal(outcome.result, chemlib.rmsd_trajectory(positions[3], positions))
    assert [len(b) for b in outcome.blocks] == [3, 3, 3, 2]
    # The blocks ran in the worker processes, each opening the file itself.
    assert all(not t.worker.endswith(f":{os.getpid()}") for t in outcome.timings)
    serial = trajectory.rdf(h5md_path, nbins=20, range=(0, 9.5))
    on_cluster = trajectory.rdf(
        h5md_path, nbins=20, range=(0, 9.5), engine="dask", scheduler=cluster.address
    )
    assert np.array_equal(on_cluster[1], serial[1])


def test_the_command_line_on_the_cluster(cluster, h5md_path, tmp_path, frames_and_lengths):
    positions, _ = frames_and_lengths
    out = tmp_path / "rmsd.npy"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "chemlib",
            "rmsd",
            h5md_path,
            "--reference-frame",
            "3",
            "--engine",
            "dask",
            "--scheduler",
            cluster.address,
            "--out",
            out,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert np.array_equal(np.load(out), chemlib.rmsd_trajectory(positions[3], positions))


def test_an_unreachable_scheduler_is_named():
    import dask

    with distributed.LocalCluster(n_workers=0, dashboard_address=":0") as closed:
        address = closed.scheduler_address  # a port that was just free, now closed
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "2s"}),
        pytest.raises(ValueError, match=f"scheduler '{address}' cannot be reached"),
    ):
        trajectory.rmsd(np.zeros((2, 3, 3)), engine="dask", scheduler=address)


def test_a_worker_killed_mid_run_leaves_the_result_exact(tmp_path, h5md_path, frames_and_lengths):
    positions, _ = frames_and_lengths
    cluster = Cluster(tmp_path, 2, nanny=False)  # no nanny: a killed worker stays dead
    try:
        with distributed.Client(cluster.address) as client:
            pids = client.run(os.getpid)  # worker address -> process id
            with ThreadPoolExecutor(1) as pool:
                running = pool.submit(
                    run,
                    RMSD(3),
                    SlowToOpen(h5md_path),
                    engine="dask",
                    scheduler=cluster.address,
                    blocks=2,
                )
                deadline = time.monotonic() + 60
                busy = []
                while not busy and not running.done() and time.monotonic() < deadline:
                    busy = [a for a, keys in client.processing().items() if keys]
                    time.sleep(0.05)
                assert busy, f"no worker ever started a block: {running.result()}"
                victim = next(p for p in cluster.workers if p.pid == pids[busy[0]])
                victim.send_signal(signal.SIGKILL)
                outcome = running.result(timeout=120)
            assert victim.wait(timeout=10) == -signal.SIGKILL
            assert len(client.scheduler_info()["workers"]) == 1
    finally:
        cluster.stop()
    assert np.array_equal(outcome.result, chemlib.rmsd_trajectory(positions[3], positions))
    # Both blocks were finished by the surviving worker.
    assert {t.worker.rsplit(":", 1)[1] for t in outcome.timings} == {
        str(p.pid) for p in cluster.workers if p is not victim
    }
