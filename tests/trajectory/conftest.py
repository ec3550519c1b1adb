"""Trajectories shared by the trajectory tests: arrays, and H5MD files made from them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from h5md_files import boxes_of, liquid, write_h5md
from threadpoolctl import threadpool_limits

# 11 frames: blocks of unequal size for 2, 3 and 4 workers, and fewer frames than 16.
N_FRAMES, N_ATOMS = 11, 240


@pytest.fixture(scope="session")
def frames_and_lengths():
    return liquid(N_FRAMES, N_ATOMS)


@pytest.fixture(scope="session")
def h5md_path(tmp_path_factory, frames_and_lengths) -> Path:
    positions, lengths = frames_and_lengths
    return write_h5md(
        tmp_path_factory.mktemp("h5md") / "liquid.h5md", positions, lengths, group="trajectory"
    )


@pytest.fixture(scope="session")
def serial_answers(frames_and_lengths):
    """The boxes of the frames, as MDAnalysis writes them."""
    _, lengths = frames_and_lengths
    return {"boxes": boxes_of(lengths)}


@pytest.fixture(autouse=True)
def one_blas_thread():
    """The plain kernel calls the tests compare with run on one BLAS thread, as every
    chemlib.trajectory task does (runner.py: OpenBLAS's sums depend on its thread count)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture
def no_module(monkeypatch):
    """Make an optional package look uninstalled: import raises ImportError."""

    def hide(*names: str) -> None:
        for name in names:
            for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                monkeypatch.delitem(sys.modules, loaded)
            monkeypatch.setitem(sys.modules, name, None)

    return hide
