"""The ``chemlib`` command: outputs, the console script, ``python -m``, bad input, progress."""

from __future__ import annotations

import io
import os
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from h5md_files import liquid, write_h5md
from trajectory_helpers import run_command

import chemlib
from chemlib import trajectory
from chemlib.trajectory.progress import progress_bar

CONSOLE_SCRIPT = Path(sys.executable).parent / "chemlib"


def chemlib_command(*arguments, env=None):
    return run_command([sys.executable, "-m", "chemlib", *arguments], env=env)


def read_csv(path: Path) -> tuple[str, np.ndarray]:
    header, *rows = path.read_text().splitlines()
    return header, np.array([[float(x) for x in row.split(",")] for row in rows])


def test_rmsd_to_npy_and_csv(h5md_path, tmp_path, frames_and_lengths):
    positions, _ = frames_and_lengths
    expected = chemlib.rmsd_trajectory(positions[3], positions[2:9:3])
    for out in (tmp_path / "r.npy", tmp_path / "r.csv"):
        done = chemlib_command(
            "rmsd",
            h5md_path,
            "--reference-frame",
            "3",
            "--start",
            "2",
            "--stop",
            "9",
            "--step",
            "3",
            "--engine",
            "threads",
            "--workers",
            "2",
            "--out",
            out,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""  # not a terminal: no progress bar
    assert np.array_equal(np.load(tmp_path / "r.npy"), expected)
    header, table = read_csv(tmp_path / "r.csv")
    assert header == "frame,rmsd_angstrom"
    assert np.array_equal(table[:, 0], [2, 5, 8])
    assert np.array_equal(table[:, 1], expected)


def test_rdf_to_npy_is_bin_centres_then_g(h5md_path, tmp_path):
    out = tmp_path / "g.npy"
    done = chemlib_command("rdf", h5md_path, "--nbins", "30", "--range", "1", "9", "--out", out)
    assert done.returncode == 0, done.stderr
    r, g = trajectory.rdf(h5md_path, nbins=30, range=(1.0, 9.0))
    written = np.load(out)
    assert written.shape == (2, 30)
    assert np.array_equal(written, np.stack([r, g]))


def test_console_script_and_version(h5md_path, tmp_path):
    assert CONSOLE_SCRIPT.is_file(), "pip install did not create the chemlib console script"
    done = run_command([CONSOLE_SCRIPT, "--version"])
    assert done.stdout.strip() == f"chemlib-kernels {chemlib.__version__}"
    done = run_command([CONSOLE_SCRIPT, "rmsd", h5md_path, "--out", tmp_path / "r.npy"])
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "r.npy").shape == (11,)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bad")
    positions, _ = liquid(3, 10)
    write_h5md(directory / "no_positions.h5", None)
    write_h5md(directory / "no_box.h5", positions, None, boundary=["none"] * 3)
    return directory


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


BAD_INPUT = [
    (["rmsd", "{dir}/missing.h5"], "trajectory file {dir}/missing.h5 does not exist"),
    (["rmsd", "{dir}/no_positions.h5"], "{dir}/no_positions.h5: particles/all has no position"),
    (["rmsd", "{h5md}", "--start", "12"], "start=12 is out of bounds for a trajectory of 11"),
    (["rmsd", "{h5md}", "--stop", "20"], "stop=20 is out of bounds"),
    (["rmsd", "{h5md}", "--step", "0"], "step must be >= 1"),
    (["rmsd", "{h5md}", "--reference-frame", "11"], "reference frame 11 is out of bounds"),
    (["rmsd", "{h5md}", "--workers", "2"], "workers=2: the serial engine has one worker"),
    (["rmsd", "{h5md}", "--scheduler", "tcp://x:1"], "scheduler applies to engine='dask'"),
    (
        ["rmsd", "{h5md}", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:{port}"],
        "scheduler 'tcp://127.0.0.1:{port}' cannot be reached",
    ),
    (["rmsd", "{h5md}", "--engine", "mpi"], "engine='mpi' needs mpi4py"),
    (["rdf", "{dir}/no_box.h5"], "{dir}/no_box.h5 has no periodic box"),
    (["rdf", "{h5md}", "--range", "5", "1"], "range must satisfy low < high"),
    (["rdf", "{h5md}", "--nbins", "0"], "nbins must be >= 1"),
    (["rdf", "{h5md}", "--out", "{dir}/g.txt"], "--out {dir}/g.txt: the file name must end in"),
    (["rdf", "{h5md}", "--out", "{dir}/nowhere/g.npy"], "the directory {dir}/nowhere does not"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_INPUT, ids=[m[:30] for _, m in BAD_INPUT])
def test_bad_input_is_one_line_naming_the_file_or_option(
    arguments, message, h5md_path, bad_files, tmp_path
):
    port = closed_port()
    values = {"dir": bad_files, "h5md": h5md_path, "port": port}
    command = [a.format(**values) for a in arguments]
    if "--out" not in command:
        command += ["--out", str(tmp_path / "out.npy")]
    # Dask's own setting for how long to try a scheduler (default 30 s).
    env = dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s")
    # This venv has no mpi4py: the MPI engine must say what to install.
    assert "mpi4py" not in sys.modules
    done = chemlib_command(*command, env=env)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"chemlib {arguments[0]}: error: ")
    assert message.format(**values) in lines[0]
    assert not any(tmp_path.iterdir())  # nothing written


def test_usage_mistakes_are_argparse_errors(h5md_path):
    done = chemlib_command("rmsd", h5md_path)
    assert done.returncode == 2
    assert "the following arguments are required: --out" in done.stderr
    done = chemlib_command("rmsd", h5md_path, "--engine", "spark", "--out", "x.npy")
    assert done.returncode == 2
    assert "invalid choice: 'spark'" in done.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only():
    pytest.importorskip("tqdm")
    terminal = Terminal()
    with progress_bar(11, "chemlib rmsd", terminal, delay=0) as advance:
        for _ in range(11):
            advance(1)
    assert "chemlib rmsd" in terminal.getvalue()
    assert "11/11" in terminal.getvalue()
    with progress_bar(11, "chemlib rmsd", io.StringIO()) as advance:
        assert advance is None
    with progress_bar(0, "chemlib rmsd", Terminal()) as advance:
        assert advance is None


def test_progress_bar_without_tqdm_is_quiet(no_module):
    no_module("tqdm")
    with progress_bar(11, "chemlib rmsd", Terminal(), delay=0) as advance:
        assert advance is None
