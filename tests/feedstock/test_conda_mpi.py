"""The main job's HPC step: MPI chosen through the solver, chemlib under mpiexec.

The ``cycle`` fixture (conftest.py) runs tools/conda_build.py once; after the
BLAS environments it creates one fresh environment with ``chemlib-kernels
mpi4py mpich h5py`` and one with ``openmpi`` instead, runs ``chemlib rmsd`` and
``chemlib rdf`` there under ``mpiexec -n 2`` and ``-n 3`` against the serial
engine, and asks for both MPIs at once, which must not solve
(tools/condajob/mpi_envs.py). Its outcomes are in output/mpi-summary.json.
"""

from __future__ import annotations

import json
import re

import pytest

from condajob.mpi_envs import ANALYSES, RANKS, TEST_SPECS
from hostchannel.lock import MPI_IMPLEMENTATIONS
from hostchannel.mpi import mutex_spec

pytestmark = pytest.mark.conda
# MPI_Get_library_version() of each implementation, shortened by mpi_envs.py
LIBRARY_BANNERS = {"mpich": "MPICH Version: {}", "openmpi": "Open MPI v{}"}


@pytest.fixture(scope="module")
def mpi_summary(cycle) -> dict[str, dict]:
    _, _, output = cycle
    return {env["label"]: env for env in json.loads((output / "mpi-summary.json").read_text())}


@pytest.mark.parametrize("implementation", MPI_IMPLEMENTATIONS)
def test_each_mpi_environment_runs_chemlib_as_serial(mpi_summary, implementation) -> None:
    env = mpi_summary[implementation]
    assert env["ok"], env["error"]
    assert env["specs"][1:] == ["mpi4py", implementation, "h5py", *TEST_SPECS]
    assert env["tests_passed"] >= 5
    installed = {line.split()[0]: line.split()[1:] for line in env["installed"]}
    assert installed["mpi"][1] == implementation
    assert installed["mpi4py"][1].endswith(f"_{implementation}_0")
    assert not set(MPI_IMPLEMENTATIONS) - {implementation} & set(installed)
    # mpi4py loaded the library of the package the solver installed
    version = installed[implementation][0]
    assert env["library"] == LIBRARY_BANNERS[implementation].format(version)
    assert env["checks"] == len(ANALYSES) * len(RANKS)


def test_both_mpis_together_do_not_solve(mpi_summary) -> None:
    (mixed,) = [env for env in mpi_summary.values() if not env["expect_solve"]]
    assert mixed["ok"], mixed["error"]
    assert not mixed["installed"]
    assert set(MPI_IMPLEMENTATIONS) <= set(mixed["specs"])
    assert all(mutex_spec(i) in mixed["message"] for i in MPI_IMPLEMENTATIONS)


def test_table_has_a_row_per_mpi_environment_and_the_solvers_message(cycle, mpi_summary) -> None:
    job, _, _ = cycle
    assert re.search(r"^MPI environment +solver +mpi4py", job.stdout, re.M)
    for label in mpi_summary:
        assert re.search(rf"^{re.escape(label)} ", job.stdout, re.M), label
    mixed = next(env for env in mpi_summary.values() if not env["expect_solve"])
    assert mixed["message"] in job.stdout
