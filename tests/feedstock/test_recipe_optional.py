"""The recipe's run_constraints are pyproject.toml's optional extras, the conda way.

chemlib.trajectory's engines and H5MD reader are optional (extras ``h5md``,
``dask``, ``mpi``); a conda package cannot have extras, so the recipe declares
them as ``run_constraints``: never installed with chemlib-kernels, held to the
same floors when the user adds them. pyproject.toml is the one source of truth.
"""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from hostchannel.lock import project_metadata
from hostchannel.wheels import conda_spec
from variants import MIGRATIONS, pinning_in_force, render, write_pinning

OPTIONAL_EXTRAS = ("h5md", "dask", "mpi")
# PyPI names whose conda-forge package is called otherwise (grayskull's map).
CONDA_NAMES = {"dask": "dask-core"}


def conda_constraints(requirements: list[Requirement]) -> list[str]:
    """Conda specs of PyPI requirements; ``pkg[extra]`` also constrains ``extra``
    to the same bounds (dask[distributed] pins distributed to dask's release)."""
    specs = []
    for requirement in requirements:
        spec = conda_spec(requirement).split(maxsplit=1)
        bounds = f" {spec[1]}" if len(spec) > 1 else ""
        specs.append(CONDA_NAMES.get(spec[0], spec[0]) + bounds)
        specs += [f"{extra}{bounds}" for extra in sorted(requirement.extras)]
    return specs


def extras_as_constraints() -> list[str]:
    extras = project_metadata()["optional-dependencies"]
    return conda_constraints([Requirement(r) for name in OPTIONAL_EXTRAS for r in extras[name]])


@pytest.fixture(scope="module")
def linux_recipe(reference, tmp_path_factory) -> dict:
    """The recipe as CI renders it for linux-64, with the pinning in force (first variant)."""
    pinning = reference / "conda-forge-pinning-conda_build_config.yaml"
    combined = pinning_in_force(pinning, "linux-64", MIGRATIONS)
    path = write_pinning(combined, tmp_path_factory.mktemp("pinning") / "pinning.yaml")
    return render([path], "linux-64")[0].recipe.to_dict()


def test_run_constraints_are_the_optional_extras(linux_recipe) -> None:
    constraints = linux_recipe["requirements"]["run_constraints"]
    assert sorted(constraints) == sorted(extras_as_constraints())


def test_optional_pieces_are_not_run_requirements(linux_recipe) -> None:
    run = {spec.split()[0] for spec in linux_recipe["requirements"]["run"]}
    assert not run & {spec.split()[0] for spec in extras_as_constraints()}


def test_no_mpi_variant_of_our_own(linux_recipe) -> None:
    """petsc4py's precedent: the MPI comes with mpi4py, chosen by the user at install."""
    requirements = linux_recipe["requirements"]
    names = {s.split()[0] for k in ("build", "host", "run") for s in requirements.get(k, [])}
    assert not names & {"mpi", "mpich", "openmpi", "mpi4py"}


def test_extras_map_to_conda_names() -> None:
    """The conversion itself: renamed packages, extras, bounds (a wrong map must fail)."""
    requirements = [Requirement("dask[distributed]>=2024.1"), Requirement("h5py>=3.8,<4")]
    assert conda_constraints(requirements) == [
        "dask-core >=2024.1",
        "distributed >=2024.1",
        "h5py <4,>=3.8",
    ]
