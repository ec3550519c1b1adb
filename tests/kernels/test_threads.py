"""Concurrency: thread safety, the GIL released in long kernels, OpenMP control."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
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


LONG_CALLS = {
    # f2py kernels (Fortran) and C-API kernels: each runs for a good fraction of a second.
    "distance_array": lambda x: chemlib.distance_array(x, x, box=TRICLINIC_BOXES[1]),
    "calc_dihedrals": lambda x: [chemlib.calc_dihedrals(x, x[::-1], x, x[::-1]) for _ in range(20)],
    "self_capped_distance": lambda x: chemlib.self_capped_distance(x * 4, 6.0),
    "rdf": lambda x: chemlib.rdf(x, box=[40, 40, 40, 90, 90, 90], range=(0.0, 12.0)),
    "rmsd_trajectory": lambda x: chemlib.rmsd_trajectory(
        x[:500], np.broadcast_to(x[:500], (3000, 500, 3))
    ),
}


@pytest.mark.parametrize("name", sorted(LONG_CALLS))
def test_gil_is_released_during_long_kernels(name):
    x = np.random.default_rng(0).uniform(0, 40, (4000, 3))
    started, finished = threading.Event(), threading.Event()
    progress = 0

    def kernel():
        started.set()
        LONG_CALLS[name](x)
        finished.set()

    # One kernel thread at a time may hold at most one core's worth of OpenMP,
    # so the counting thread always has a core to run on.
    with threadpool_limits(limits=1, user_api="openmp"):
        worker = threading.Thread(target=kernel)
        worker.start()
        started.wait()
        while not finished.is_set():
            progress += 1
        worker.join()
    # Holding the GIL inside the kernel would freeze this loop for its whole
    # duration; released, the loop counts millions.
    assert progress > 10_000


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
