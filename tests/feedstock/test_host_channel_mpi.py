"""The MPI stack of the host channel: conda-forge's shapes, and the solver keeping MPIs apart.

The unit tests are fast; the ones marked ``conda`` read the built channel (the
session fixture builds it, minutes from a cold cache) and solve against it.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from rattler import Gateway, VirtualPackage, solve
from rattler.exceptions import SolverError
from rattler.package_streaming import PackageArchive

from hostchannel.lock import MPI_IMPLEMENTATIONS, hpc_requirements, read_lock
from hostchannel.mpi import MUTEX, mutex_shims, mutex_spec, run_export
from hostchannel.spec import Shim

# The feedstocks' pins, written out (mpich: lower x.x; openmpi: lower x.x.x; both upper x).
FEEDSTOCK_RUN_EXPORTS = {
    ("mpich", "5.0.2"): "mpich >=5.0,<6.0a0",
    ("openmpi", "5.0.11"): "openmpi >=5.0.11,<6.0a0",
    ("mpich", "4.3.1"): "mpich >=4.3,<5.0a0",
}
# The wheels' License field (an SPDX expression, no License-Expression); mpich-feedstock's too.
LICENSES = {"mpich": "LicenseRef-MPICH", "openmpi": "LicenseRef-OpenMPI"}


@pytest.mark.parametrize(("package", "pin"), FEEDSTOCK_RUN_EXPORTS.items())
def test_run_exports_follow_the_feedstocks_pin_subpackage(package, pin) -> None:
    assert run_export(*package) == pin


def test_implementations_depend_on_their_build_of_the_mutex() -> None:
    assert mutex_spec("mpich") == "mpi 1.0.* mpich"
    assert mutex_spec("openmpi") == "mpi 1.0.* openmpi"


def test_the_mutex_is_empty_and_named_as_conda_forge_names_it() -> None:
    shims = mutex_shims()
    assert sorted(s.build for s in shims) == sorted(MPI_IMPLEMENTATIONS)
    assert all(s.noarch == "generic" and not s.files and not s.depends for s in shims)
    with pytest.raises(ValueError, match="holds and needs nothing"):
        Shim(MUTEX, "1.0.1", "mpich", "s", "BSD-3-Clause", "h", depends=("x",), mutex=True)


def test_lock_has_the_hpc_stack_for_every_python_with_a_gil() -> None:
    # h5py publishes no cp313t wheel (3.16.0), so the free-threaded python gets
    # no HPC stack and the main job's MPI environments take a Python with a GIL.
    lock = read_lock()
    names = {r.name for r in hpc_requirements()}
    assert {"h5py", "mpi4py", "mpich", "openmpi"} <= names
    gil_pythons = {"cp" + p.replace(".", "") for p in lock.numpy if not p.endswith("t")}
    for name in names:
        locked = [w for w in lock.wheels if w.name == name]
        assert locked, name
        tags = {w.python_tag for w in locked}
        if tags != {None}:  # CPython-specific: one wheel per python of the matrix
            assert tags == gil_pythons, (name, tags)


def _repodata(channel) -> list[dict]:
    records = []
    for subdir in ("linux-64", "noarch"):
        data = json.loads((channel.path / subdir / "repodata.json").read_text())
        for filename, record in data["packages.conda"].items():
            records.append(record | {"path": channel.path / subdir / filename})
    return records


def _files(path) -> set[str]:
    async def listing() -> list[str]:
        return await (await PackageArchive.from_path(path)).list_files()

    return set(asyncio.run(listing()))


def _run_exports(path) -> dict:
    async def read() -> dict:
        return await (await PackageArchive.from_path(path)).run_exports_json()

    exports = asyncio.run(read())
    return {"weak": [str(s) for s in exports.weak]} if exports else {}


@pytest.mark.conda
def test_channel_mutex_builds(host_channel) -> None:
    mutex = [r for r in _repodata(host_channel) if r["name"] == MUTEX]
    assert sorted(r["build"] for r in mutex) == sorted(MPI_IMPLEMENTATIONS)
    for record in mutex:
        assert record["subdir"] == "noarch"
        assert record["depends"] == []
        assert not {f for f in _files(record["path"]) if not f.startswith("info/")}


@pytest.mark.conda
@pytest.mark.parametrize("implementation", MPI_IMPLEMENTATIONS)
def test_channel_implementation_is_its_wheels_prefix(host_channel, implementation) -> None:
    (record,) = [r for r in _repodata(host_channel) if r["name"] == implementation]
    assert record["build"].startswith("external_")
    assert record["depends"] == [mutex_spec(implementation)]
    assert record["license"] == LICENSES[implementation]
    assert _run_exports(record["path"]) == {"weak": [run_export(implementation, record["version"])]}
    files = _files(record["path"])
    assert {"bin/mpiexec", "include/mpi.h"} <= files
    assert any(re.fullmatch(r"lib/libmpi\.so\.\d+", f) for f in files), sorted(files)[:20]


@pytest.mark.conda
def test_channel_mpi4py_per_implementation_and_python(host_channel) -> None:
    records = [r for r in _repodata(host_channel) if r["name"] == "mpi4py"]
    assert len(records) == len(_gil_pythons(host_channel)) * len(MPI_IMPLEMENTATIONS)
    for record in records:
        implementation = next(i for i in MPI_IMPLEMENTATIONS if f"_{i}_" in record["build"])
        assert any(d.startswith(f"{implementation} >=") for d in record["depends"]), record
        # Pinned to its python's build, so that 3.13t never takes a cp313 mpi4py.
        assert any(re.fullmatch(r"python 3\.\d+\.\* \*_cp\w+", d) for d in record["depends"])
        others = set(MPI_IMPLEMENTATIONS) - {implementation}
        assert not {d.split()[0] for d in record["depends"]} & others
        found = (re.search(r"mpi4py/MPI\.(\w+)\..*\.so$", f) for f in _files(record["path"]))
        modules = {match[1] for match in found if match}
        assert modules == {implementation}, (record["build"], modules)


def _gil_pythons(channel) -> list[str]:
    """The channel's pythons with a GIL: h5py, hence the HPC stack, has no cp313t wheel."""
    return [p for p in channel.pythons if not p.endswith("t")]


def _solve(channel, specs: list[str]):
    return asyncio.run(
        solve(
            sources=[channel.path.as_uri()],
            specs=specs,
            gateway=Gateway(),
            virtual_packages=VirtualPackage.detect(),
        )
    )


@pytest.mark.conda
@pytest.mark.parametrize("implementation", MPI_IMPLEMENTATIONS)
def test_solver_gives_mpi4py_the_implementation_asked_for(host_channel, implementation) -> None:
    python = max(_gil_pythons(host_channel), key=lambda v: tuple(map(int, v.split("."))))
    solved = _solve(host_channel, [f"python {python}.*", "mpi4py", implementation])
    records = {r.name.normalized: r for r in solved}
    assert str(records[MUTEX].build) == implementation
    assert str(records["mpi4py"].build).endswith(f"_{implementation}_0")
    assert not set(MPI_IMPLEMENTATIONS) - {implementation} & set(records)


@pytest.mark.conda
def test_solver_refuses_two_implementations(host_channel) -> None:
    with pytest.raises(SolverError, match="mpi"):
        _solve(host_channel, ["mpi4py", *MPI_IMPLEMENTATIONS])
