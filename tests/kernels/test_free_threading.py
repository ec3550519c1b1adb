"""Free-threaded CPython: the GIL stays off, and concurrent kernels compute what serial ones do.

chemlib is built for plain Python threads over trajectory frames in one
process. On a free-threaded interpreter (3.13t) every extension must declare
that it runs without the GIL, otherwise importing it turns the GIL back on for
the whole process. The concurrency tests run on every build (with the GIL they
still overlap inside the kernels, which release it); the GIL test needs a
free-threaded interpreter, which tests/feedstock/test_free_threaded_venv.py
provides.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import sysconfig
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from kernel_inputs import BOX_TAKERS, BOXES, COORDINATE_ARGUMENTS, VALID, positions

import chemlib

FREE_THREADED_BUILD = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
THREADS = 8
# Kernels that refuse box=None: rdf's normalisation needs a volume, wrap a cell.
NEEDS_BOX = {"rdf", "wrap"}


def _equal(a, b) -> bool:
    if isinstance(a, tuple):
        return all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return np.array_equal(a, b)


def sized_call(name: str, atoms: int, box, rng: np.random.Generator) -> dict:
    """Keyword arguments of a valid call of kernel ``name`` on ``atoms`` atoms in ``box``."""
    kwargs = dict(VALID[name][1])
    for argument in COORDINATE_ARGUMENTS[name]:
        kwargs[argument] = positions(rng, atoms)
    if "frames" in kwargs:
        kwargs["frames"] = positions(rng, 3 * atoms).reshape(3, atoms, 3)
    if "masses" in kwargs:
        kwargs["masses"] = rng.uniform(1.0, 16.0, atoms)
    if name in BOX_TAKERS:
        kwargs["box"] = box if box is not None or name not in NEEDS_BOX else BOXES[1]
    return kwargs


@pytest.mark.skipif(not FREE_THREADED_BUILD, reason="the GIL is always on in a build with one")
def test_gil_stays_disabled_after_import():
    # A fresh interpreter: nothing imported yet that could turn the GIL on.
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("gil_check.py"))],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "GIL disabled after import chemlib"


def test_every_compiled_module_is_imported_by_the_gil_check():
    # The GIL check imports what pkgutil lists: it must list every extension.
    compiled = {
        info.name
        for info in pkgutil.iter_modules(chemlib.__path__)
        if info.module_finder.find_spec(info.name).origin.endswith(
            sysconfig.get_config_var("EXT_SUFFIX")
        )
    }
    assert {"_finite_check", "_neighbors", "_rdf", "_distances", "_rmsd"} <= compiled


@pytest.mark.parametrize("name", sorted(VALID))
def test_eight_threads_at_once_with_different_sizes_and_boxes(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    calls = [sized_call(name, 7 + 61 * k, BOXES[k % len(BOXES)], rng) for k in range(THREADS)]
    function = VALID[name][0]
    expected = [function(**kwargs) for kwargs in calls]
    start = threading.Barrier(THREADS)

    def concurrent(kwargs: dict):
        start.wait()  # all eight enter the kernel together
        return function(**kwargs)

    for _ in range(3):
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            results = list(pool.map(concurrent, calls))
        for k, (got, want) in enumerate(zip(results, expected, strict=True)):
            assert _equal(got, want), f"{name}: thread {k} differs from its serial call"


def test_stress_many_short_concurrent_calls():
    rng = np.random.default_rng(13)
    names = sorted(VALID)
    calls = [
        (name, sized_call(name, int(rng.integers(1, 40)), BOXES[rng.integers(len(BOXES))], rng))
        for name in rng.choice(names, size=400)
    ]
    expected = [VALID[name][0](**kwargs) for name, kwargs in calls]
    assert {name for name, _ in calls} == set(names)  # every kernel is in the mix
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for _ in range(5):
            results = list(pool.map(lambda c: VALID[c[0]][0](**c[1]), calls))
            pairs = zip(calls, results, expected, strict=True)
            wrong = [call[0] for call, got, want in pairs if not _equal(got, want)]
            assert not wrong, f"wrong results under concurrency: {wrong}"
