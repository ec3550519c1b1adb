"""The host channel as built: every package a marked shim, both BLAS builds, NumPy ends, pinning.

Marked ``conda``: the session fixture builds the channel (minutes from a cold
cache, seconds from a warm one).
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import time

import pytest
import yaml
from rattler import Gateway, Override, VirtualPackage, VirtualPackageOverrides, solve
from rattler.package_streaming import PackageArchive

from hostchannel.lock import read_lock
from hostchannel.spec import COPY_DECLARED

pytestmark = pytest.mark.conda


def _repodata(channel) -> dict[str, dict]:
    records = {}
    for subdir in ("linux-64", "noarch"):
        data = json.loads((channel.path / subdir / "repodata.json").read_text())
        for filename, record in {**data["packages"], **data["packages.conda"]}.items():
            records[f"{subdir}/{filename}"] = record
    return records


def _by_name(records: dict[str, dict], name: str) -> list[dict]:
    return [r for r in records.values() if r["name"] == name]


def test_every_package_is_an_external_shim_saying_what_it_wraps(host_channel) -> None:
    records = _repodata(host_channel)
    assert {path.split("/")[0] for path in records} == {"linux-64", "noarch"}

    async def abouts() -> list:
        return [
            await (await PackageArchive.from_path(host_channel.path / p)).about_json()
            for p in records
        ]

    # conda-forge's empty mutex packages (``mpi``) keep their upstream build
    # strings, which dependants name exactly; test_host_channel_mpi.py checks them
    mutexes = {o.package.name for o in host_channel.outcomes if o.shim.mutex}
    assert len(mutexes) == 2
    for path, about in zip(records, asyncio.run(abouts()), strict=True):
        if path.split("/")[1] not in mutexes:
            assert records[path]["build"].startswith("external_"), path
        assert about.summary, path
        assert about.license, path


def test_copied_shims_hold_exactly_their_declared_files(host_channel) -> None:
    # nothing of rattler-build's work directory (conda_build.sh, build_env.sh, ...)
    copied = [o for o in host_channel.outcomes if COPY_DECLARED in o.shim.script]
    assert len(copied) > 20

    async def contents() -> list[set[str]]:
        return [set(await (await PackageArchive.from_path(o.package)).list_files()) for o in copied]

    for outcome, files in zip(copied, asyncio.run(contents()), strict=True):
        assert files == set(outcome.shim.files), outcome.shim.key


def test_blas_lapack_cblas_come_in_two_implementations(host_channel) -> None:
    records = _repodata(host_channel)
    for name in ("libblas", "libcblas", "liblapack"):
        builds = sorted(r["build"] for r in _by_name(records, name))
        assert builds == ["external_netlib", "external_openblas"], (name, builds)
    openblas = next(r for r in _by_name(records, "libblas") if r["build"].endswith("openblas"))
    assert any(d.startswith("libopenblas ") for d in openblas["depends"])
    # the three never mix implementations
    assert "liblapack ==3.9.0 *openblas" in openblas["constrains"]


def test_numpy_oldest_and_newest_per_python_with_run_exports(host_channel) -> None:
    records = _repodata(host_channel)
    lock = read_lock()
    for interpreter in host_channel.interpreters:
        # "python 3.13.* *_cp313" and "python 3.13.* *_cp313t" tell the two 3.13 builds apart
        spec = f"python {interpreter.python_spec}"
        versions = sorted(r["version"] for r in _by_name(records, "numpy") if spec in r["depends"])
        assert set(versions) == set(lock.numpy[interpreter.label].values()), (spec, versions)
    for name in ("scipy", "pytest", "hypothesis", "threadpoolctl", "meson-python", "pip", "ninja"):
        assert _by_name(records, name), f"{name} missing"


def test_python_shims_match_the_matrix_build_strings(host_channel) -> None:
    records = _repodata(host_channel)
    for interpreter in host_channel.interpreters:
        version_glob, build_glob = interpreter.python_spec.split()
        matching = [
            r
            for r in _by_name(records, "python")
            if fnmatch.fnmatch(r["version"], version_glob)
            and fnmatch.fnmatch(r["build"], build_glob)
        ]
        assert len(matching) == 1, interpreter.python_spec


def test_pinning_names_what_the_channel_has(host_channel) -> None:
    pinning = yaml.safe_load(host_channel.pinning.read_text())
    records = _repodata(host_channel)
    for key, package in (
        ("c_compiler", "c_compiler_version"),
        ("fortran_compiler", "fortran_compiler_version"),
    ):
        name = f"{pinning[key][0]}_linux-64"
        assert any(
            r["version"].split(".")[0] == pinning[package][0] for r in _by_name(records, name)
        ), name
    sysroot = _by_name(records, f"{pinning['c_stdlib'][0]}_linux-64")
    assert [r["version"] for r in sysroot] == pinning["c_stdlib_version"]
    assert pinning["libblas"] == ["3.9.* *netlib"]


def test_microarch_packages_carry_conda_forges_metadata(host_channel) -> None:
    records = _repodata(host_channel)
    for name in ("x86_64-microarch-level", "_x86_64-microarch-level"):
        assert sorted(r["version"] for r in _by_name(records, name)) == ["1", "2", "3", "4"]
        assert {r["noarch"] for r in _by_name(records, name)} == {"generic"}

    async def run_exports() -> dict[str, list[str]]:
        result = {}
        for path, record in records.items():
            if record["name"] == "x86_64-microarch-level":
                archive = await PackageArchive.from_path(host_channel.path / path)
                result[record["version"]] = (await archive.run_exports_json()).strong
        return result

    assert asyncio.run(run_exports()) == {
        level: [f"_x86_64-microarch-level >={level}"] for level in ("1", "2", "3", "4")
    }


def _highest_level(host_channel, tmp_path, archspec: str | None) -> str:
    """Version of _x86_64-microarch-level the solver picks on a CPU (None: this machine's)."""
    overrides = VirtualPackageOverrides(archspec=Override.string(archspec)) if archspec else None
    records = asyncio.run(
        solve(
            sources=[host_channel.path.as_uri()],
            specs=["_x86_64-microarch-level"],
            gateway=Gateway(cache_dir=tmp_path),
            virtual_packages=VirtualPackage.detect(overrides),
        )
    )
    return str(records[0].version)


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_archspec_names_the_level_that_installs(host_channel, tmp_path, level: int) -> None:
    cpu = "x86_64" if level == 1 else f"x86_64_v{level}"
    assert _highest_level(host_channel, tmp_path, cpu) == str(level)


def test_this_cpu_installs_the_level_its_flags_give(host_channel, tmp_path, cpu_level) -> None:
    # rattler's __archspec detection and the shims' CPU names against /proc/cpuinfo
    assert _highest_level(host_channel, tmp_path, None) == str(cpu_level)


def test_a_second_run_rebuilds_nothing(host_channel) -> None:
    from host_channel import ensure_host_channel

    started = time.monotonic()
    again = ensure_host_channel(verbose=False)
    assert {o.status for o in again.outcomes} == {"cached"}
    assert time.monotonic() - started < 30
