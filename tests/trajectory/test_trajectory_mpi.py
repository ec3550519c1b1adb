"""The MPI engine under mpiexec with MPICH and with Open MPI, from their PyPI wheels.

Each implementation lives in its own venv (tools/mpi_venvs.py: the wheel and
mpi4py, over the development venv's chemlib). ``-n 2`` and ``-n 3`` on 11
frames give blocks of unequal size; ``-n 3`` on 2 frames leaves a rank without
frames. Open MPI runs as root and past 2 ranks on 2 cores only when told to
(trajectory_helpers.mpi_environment).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from h5md_files import liquid, write_h5md
from trajectory_helpers import mpi_environment, mpi_python, run_command

import chemlib
from chemlib import trajectory

pytestmark = pytest.mark.parametrize("implementation", ["mpich", "openmpi"])

SPMD_SCRIPT = """
import json, sys
from chemlib.trajectory import RMSD, run
from mpi4py import MPI
outcome = run(RMSD(3), sys.argv[1], engine="mpi")
rank = MPI.COMM_WORLD.rank
report = {"rank": rank, "size": MPI.COMM_WORLD.size, "library": MPI.Get_library_version()}
if outcome is not None:
    report.update(result=outcome.result.tolist(), blocks=[list(b) for b in outcome.blocks],
                  workers=[t.worker for t in outcome.timings])
with open(f"{sys.argv[2]}/rank{rank}.json", "w") as file:  # one file per rank: no interleaving
    json.dump(report, file)
"""


def reports(directory: Path) -> list[dict]:
    found = [json.loads(p.read_text()) for p in directory.glob("rank*.json")]
    for path in directory.glob("rank*.json"):
        path.unlink()
    return sorted(found, key=lambda report: report["rank"])


def mpiexec(implementation, ranks, *arguments):
    python = mpi_python(implementation)
    command = [python.parent / "mpiexec", "-n", ranks, python, *arguments]
    return run_command(command, env=mpi_environment(), timeout=180)


@pytest.mark.parametrize("ranks", [2, 3])
def test_command_line_under_mpiexec_gives_the_serial_answer(
    implementation, ranks, h5md_path, tmp_path, frames_and_lengths
):
    positions, _ = frames_and_lengths
    rmsd_out, rdf_out = tmp_path / "rmsd.npy", tmp_path / "rdf.csv"
    done = mpiexec(
        implementation,
        ranks,
        "-m",
        "chemlib",
        "rmsd",
        h5md_path,
        "--reference-frame",
        "3",
        "--engine",
        "mpi",
        "--out",
        rmsd_out,
    )
    assert done.returncode == 0, done.stderr
    assert np.array_equal(np.load(rmsd_out), chemlib.rmsd_trajectory(positions[3], positions))
    done = mpiexec(
        implementation,
        ranks,
        "-m",
        "chemlib",
        "rdf",
        h5md_path,
        "--nbins",
        "20",
        "--range",
        "0",
        "9.5",
        "--engine",
        "mpi",
        "--out",
        rdf_out,
    )
    assert done.returncode == 0, done.stderr
    r, g = trajectory.rdf(h5md_path, nbins=20, range=(0, 9.5))
    header, *rows = rdf_out.read_text().splitlines()
    assert header == "r_angstrom,g"
    written = np.array([[float(x) for x in row.split(",")] for row in rows])
    assert np.array_equal(written[:, 0], r)
    assert np.array_equal(written[:, 1], g)  # the CSV round-trips exactly
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rdf.csv", "rmsd.npy"]


def test_every_rank_its_block_results_on_rank_0(implementation, tmp_path, frames_and_lengths):
    positions, _ = frames_and_lengths
    script = tmp_path / "spmd.py"
    script.write_text(SPMD_SCRIPT)
    for n_frames, ranks, sizes in [(11, 3, [4, 4, 3]), (4, 3, [2, 1, 1])]:
        path = write_h5md(tmp_path / f"t{n_frames}.h5", positions[:n_frames])
        done = mpiexec(implementation, ranks, script, path, tmp_path)
        assert done.returncode == 0, done.stderr
        ranked = reports(tmp_path)
        assert [r["rank"] for r in ranked] == list(range(ranks))
        expected_library = "MPICH" if implementation == "mpich" else "Open MPI"
        assert all(r["library"].startswith(expected_library) for r in ranked)
        root, *others = ranked
        assert all("result" not in r for r in others)  # only rank 0 holds the answer
        assert [len(b) for b in root["blocks"]] == sizes
        assert len(set(root["workers"])) == ranks  # one process per block
        expected = chemlib.rmsd_trajectory(positions[3], positions[:n_frames])
        assert np.array_equal(root["result"], expected)
    # More ranks than frames: the last rank gets no frames and still takes part.
    path = write_h5md(tmp_path / "two.h5", positions[:2])
    script.write_text(SPMD_SCRIPT.replace("RMSD(3)", "RMSD(1)"))
    done = mpiexec(implementation, 3, script, path, tmp_path)
    assert done.returncode == 0, done.stderr
    root = reports(tmp_path)[0]
    assert root["blocks"] == [[0], [1], []]
    assert np.array_equal(root["result"], chemlib.rmsd_trajectory(positions[1], positions[:2]))


def test_an_error_in_one_rank_ends_every_rank(implementation, tmp_path):
    positions, lengths = liquid(11, 50)
    positions[10, 4, 0] = np.nan  # in the last rank's block only
    path = write_h5md(tmp_path / "nan.h5", positions, lengths)
    done = mpiexec(
        implementation,
        3,
        "-m",
        "chemlib",
        "rdf",
        path,
        "--range",
        "0",
        "9",
        "--engine",
        "mpi",
        "--out",
        tmp_path / "g.npy",
    )
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("chemlib rdf: error:")]
    assert errors == [
        "chemlib rdf: error: positions of frame 10 contains NaN or infinity at index (4, 0)"
    ]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "g.npy").exists()


def test_bad_input_under_mpiexec_is_one_line_from_rank_0(implementation, tmp_path):
    done = mpiexec(
        implementation,
        2,
        "-m",
        "chemlib",
        "rmsd",
        tmp_path / "missing.h5",
        "--engine",
        "mpi",
        "--out",
        tmp_path / "r.npy",
    )
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert errors == [
        f"chemlib rmsd: error: trajectory file {tmp_path / 'missing.h5'} does not exist"
    ]
    assert "Traceback" not in done.stderr
