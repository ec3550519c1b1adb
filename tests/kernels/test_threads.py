"""Concurrency: thread safety, the GIL released in long kernels, OpenMP control."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from kernel_inputs import ORTHORHOMBIC, TRICLINIC_BOXES, VALID
from threadpoolctl import threadpool_limits

import chemlib


def equal(a, b) -> bool:
    if isinstance(a, tuple):
        return all(equal(x, y) for x, y in zip(a, b, strict=True))
    return np.array_equal(a, b)


@pytest.mark.parametrize("name", sorted(VALID))
def test_eight_threads_give_the_serial_results(name):
    function, kwargs = VALID[name]
    expected = function(**kwargs)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: function(**kwargs), range(64)))
    assert all(equal(r, expected) for r in results)


def test_concurrent_calls_on_different_inputs_do_not_mix(rng):
    inputs = [rng.uniform(0, 20, (300, 3)) for _ in range(8)]
    expected = [chemlib.self_distance_array(x, box=ORTHORHOMBIC) for x in inputs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            results = list(
                pool.map(lambda x: chemlib.self_distance_array(x, box=ORTHORHOMBIC), inputs)
            )
            for got, want in zip(results, expected, strict=True):
                np.testing.assert_array_equal(got, want)


@pytest.fixture(scope="module")
def long_kernel_calls() -> dict:
    """Calls straight into each compiled module, arguments prepared beforehand.

    Each runs for 70-500 ms on one thread here (x86-64-v3 build), well above the
    20 ms the test needs, so that the time around the compiled call is the
    kernel's alone.
    """
    from chemlib import _distances, _geometry, _neighbors, _rdf, _rmsd
    from chemlib._box import as_cell

    rng = np.random.default_rng(0)
    triclinic = as_cell(TRICLINIC_BOXES[1])
    liquid = as_cell([100.0, 100.0, 100.0, 90, 90, 90])
    atoms = rng.uniform(0, 30, (4000, 3))
    out = np.empty((4000, 4000))
    rows = [rng.uniform(0, 30, (2_000_000, 3)) for _ in range(4)]
    water = rng.uniform(0, 100, (100_000, 3))
    # Identical frames: each takes the careful path (a LAPACK rotation per
    # frame, the deviation summed over the rotated atoms); random frames pass
    # through QCP in a few microseconds, too fast to run long enough.
    frames = np.repeat(rng.normal(size=(1, 250, 3)), 16000, axis=0)
    return {
        "distance_array": lambda: _distances.distance_array(
            atoms.T, atoms.T, triclinic.h.T, triclinic.hinv.T, out.T
        ),
        "calc_dihedrals": lambda: _geometry.calc_dihedrals(
            *(r.T for r in rows), triclinic.h.T, triclinic.hinv.T
        ),
        "capped_pairs": lambda: _neighbors.capped_pairs(
            water, None, liquid.h, liquid.hinv, 6.0, -np.inf, True
        ),
        "pair_histogram": lambda: _rdf.pair_histogram(
            water, None, liquid.h, liquid.hinv, np.linspace(0, 9, 76)
        ),
        "rmsd_trajectory": lambda: _rmsd.rmsd_trajectory(
            frames[0].T, frames.T, np.ones(250), True, True, False
        ),
    }


@pytest.mark.parametrize(
    "name",
    ["distance_array", "calc_dihedrals", "capped_pairs", "pair_histogram", "rmsd_trajectory"],
)
def test_gil_is_released_during_long_kernels(long_kernel_calls, name):
    call = long_kernel_calls[name]
    inside: list[float] = []
    counting = threading.Event()
    finished = threading.Event()
    stamps: list[float] = []

    def kernel():
        # Free-threaded 3.13 wakes the caller of Thread.start() late when the new
        # thread goes straight into a long native call (start() returned only
        # after ~0.1-0.2 s of rmsd_trajectory, released or not): the kernel waits
        # until this thread is back and counting, so the test measures the call.
        counting.wait()
        start = time.perf_counter()
        call()
        inside.extend([start, time.perf_counter()])
        finished.set()

    # One OpenMP thread: the counting thread always has a core of its own.
    with threadpool_limits(limits=1, user_api="openmp"):
        worker = threading.Thread(target=kernel)
        worker.start()
        counting.set()
        count = 0
        while not finished.is_set():
            count += 1
            if count % 64 == 0:
                stamps.append(time.perf_counter())
        worker.join()
    start, end = inside
    # Holding the GIL, the kernel would block this thread for its whole run:
    # it could only stamp before the call or after it returned. The middle
    # half of the call is well clear of both.
    margin = (end - start) / 4
    during = [t for t in stamps if start + margin < t < end - margin]
    assert end - start > 0.02, "the kernel ran too briefly to tell"
    assert len(during) > 100


def run_with_threads(threads: str) -> str:
    code = (
        "import numpy as np, chemlib\n"
        "x = np.random.default_rng(1).uniform(0, 30, (3000, 3))\n"
        "d = chemlib.self_distance_array(x, box=[30, 30, 30, 60, 60, 90])\n"
        "p, s = chemlib.self_capped_distance(x, 5.0, box=[30, 30, 30, 90, 90, 90])\n"
        "r = chemlib.rmsd_trajectory(x[:100], np.stack([x[i:i + 100] for i in range(50)]))\n"
        "from threadpoolctl import threadpool_info\n"
        "omp = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'openmp']\n"
        "print(omp, d.sum().hex(), p.sum(), s.sum().hex(), r.sum().hex())\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": threads}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout.split(maxsplit=1)


def test_omp_num_threads_is_honoured_and_results_do_not_change():
    one_reported, one = run_with_threads("1")
    two_reported, two = run_with_threads("2")
    assert one_reported.startswith("[1")
    assert two_reported.startswith("[2")
    assert one == two


def test_threadpoolctl_limits_openmp_without_changing_results(rng):
    x = rng.uniform(0, 30, (2000, 3))
    with threadpool_limits(limits=1, user_api="openmp"):
        serial = chemlib.distance_array(x, x, box=TRICLINIC_BOXES[2])
    np.testing.assert_array_equal(chemlib.distance_array(x, x, box=TRICLINIC_BOXES[2]), serial)
