"""The recipe renders for every conda-forge platform with the pinning in force, as on conda-forge.

macOS, Windows and aarch64 builds cannot run here; rendering them with
conda-forge's real global pinning (../shared/reference), the Python migrations
this repository carries and the recipe's variants.yaml proves that the recipe,
its conditions and the pinning agree: linux-64 with its two microarchitecture
levels, linux-aarch64 and osx-arm64 cross-compiled as conda-forge.yml says,
win-64 with clang and LLVM flang. No ``CHEMLIB_*`` variable is set anywhere.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from variants import MIGRATIONS, PLATFORMS, load_variants, pinning_in_force, render, write_pinning

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPE = REPO_ROOT / "recipe" / "recipe.yaml"
VERSION = (REPO_ROOT / "VERSION").read_text().strip()
# platform -> (C compiler, Fortran compiler, OpenMP runtime), conda-forge's packages
TOOLCHAINS = {
    "linux-64": ("gcc_linux-64 15.*", "gfortran_linux-64 15.*", "libgomp"),
    "linux-aarch64": ("gcc_linux-aarch64 15.*", "gfortran_linux-aarch64 15.*", "libgomp"),
    "osx-64": ("clang_osx-64 21.*", "gfortran_osx-64 15.*", "llvm-openmp"),
    "osx-arm64": ("clang_osx-arm64 21.*", "gfortran_osx-arm64 15.*", "llvm-openmp"),
    # LLVM flang 21 with clang, as pyoptsparse-feedstock; not the pinning's flang 5 + MSVC
    "win-64": ("clang_win-64", "flang_win-64 21.*", "llvm-openmp"),
}
LEVELS = [1, 3]


def build_platform(target: str) -> str:
    """Where conda-forge builds a platform: conda-forge.yml's build_platform, else natively."""
    config = yaml.safe_load((REPO_ROOT / "conda-forge.yml").read_text())
    mapping = config.get("build_platform", {})
    return mapping.get(target.replace("-", "_"), target.replace("-", "_")).replace("_", "-")


@pytest.fixture(scope="module")
def conda_forge_pinning(reference) -> Path:
    return reference / "conda-forge-pinning-conda_build_config.yaml"


@pytest.fixture(scope="module")
def rendered(conda_forge_pinning, tmp_path_factory) -> dict[str, list]:
    """Every platform rendered as CI renders it: ``-m`` the pinning in force of that platform."""
    out = {}
    for target in PLATFORMS:
        combined = pinning_in_force(conda_forge_pinning, target, MIGRATIONS)
        path = write_pinning(combined, tmp_path_factory.mktemp(target) / "pinning.yaml")
        out[target] = render([path], target, build_platform(target))
    return out


def _names(specs: list[str]) -> list[str]:
    return [spec.split()[0] for spec in specs]


@pytest.mark.parametrize("target", PLATFORMS)
def test_renders_with_conda_forge_pinning(target: str, rendered, conda_forge_pinning) -> None:
    c_compiler, fortran_compiler, openmp = TOOLCHAINS[target]
    builds_per_python = len(LEVELS) if target == "linux-64" else 1
    pythons = [v.python_spec for v in load_variants(conda_forge_pinning, target, MIGRATIONS)]
    assert sorted(r.variant["python"] for r in rendered[target]) == sorted(
        pythons * builds_per_python
    )
    for variant in rendered[target]:
        recipe = variant.recipe.to_dict()
        requirements = recipe["requirements"]
        build, host, run = (_names(requirements[k]) for k in ("build", "host", "run"))
        assert recipe["package"] == {"name": "chemlib-kernels", "version": VERSION}
        assert {c_compiler, fortran_compiler} <= set(requirements["build"]), requirements["build"]
        assert {"ninja", "pkg-config"} <= set(build)
        assert any(
            name.startswith(("sysroot_", "macosx_deployment_target_", "vs_")) for name in build
        )
        assert {"python", "pip", "meson-python", "numpy", "libblas", "liblapack", openmp} <= set(
            host
        )
        assert "python" in requirements["run"]
        assert not {"libblas", "liblapack", "libgfortran5", "libgomp"} & set(run), (
            "hand-pinned natives"
        )
        cross = f"cross-python_{target}" in build
        assert cross == (build_platform(target) != target), build


def test_python_314_and_314t_come_from_the_carried_migrations(conda_forge_pinning) -> None:
    without = {v.tag for v in load_variants(conda_forge_pinning, "linux-64")}
    with_migrations = {v.tag for v in load_variants(conda_forge_pinning, "linux-64", MIGRATIONS)}
    assert with_migrations - without == {"py314", "py314t"}
    assert "py314" not in without


def test_linux_64_builds_every_python_at_each_microarch_level(rendered) -> None:
    by_python: dict[str, list[int]] = {}
    for variant in rendered["linux-64"]:
        level = int(variant.variant["microarch_level"])
        by_python.setdefault(variant.variant["python"], []).append(level)
        recipe = variant.recipe.to_dict()
        # the package that sets -march and run_exports _x86_64-microarch-level
        assert f"x86_64-microarch-level =={level}" in recipe["requirements"]["build"]
        # conda-forge's convention: the higher the level, the higher the build number
        assert recipe["build"]["number"] == 100 * level
        assert recipe["build"]["string"].endswith(f"_{100 * level}")
    assert all(sorted(levels) == LEVELS for levels in by_python.values()), by_python
    # the level is part of the variant, so each build has its own hash
    strings = [r.recipe.to_dict()["build"]["string"] for r in rendered["linux-64"]]
    assert len(set(strings)) == len(strings)


@pytest.mark.parametrize("target", [t for t in PLATFORMS if t != "linux-64"])
def test_other_platforms_have_no_microarch_levels(target: str, rendered) -> None:
    for variant in rendered[target]:
        recipe = variant.recipe.to_dict()
        assert "microarch_level" not in variant.variant
        assert recipe["build"]["number"] == 0
        assert not [s for s in recipe["requirements"]["build"] if "microarch" in s]


def test_conda_forge_pins_reach_the_build(rendered) -> None:
    variant = rendered["linux-64"][0]
    build = variant.recipe.to_dict()["requirements"]["build"]
    assert "sysroot_linux-64 2.17.*" in build
    assert variant.variant["libblas"] == "3.9.* *netlib"


def test_linkage_problems_fail_the_build(rendered) -> None:
    linking = rendered["linux-64"][0].recipe.to_dict()["build"]["dynamic_linking"]
    assert linking["overlinking_behavior"] == "error"
    assert linking["overdepending_behavior"] == "error"


def test_renders_with_nothing_set_in_the_environment(monkeypatch, conda_forge_pinning, tmp_path):
    """What conda-smithy, conda-build and the autotick bot do: render, no project variables."""
    for name in [n for n in os.environ if n.startswith("CHEMLIB")]:
        monkeypatch.delenv(name)
    text = RECIPE.read_text()
    assert "env.get" not in text, "the recipe reads the environment"
    assert "env[" not in text, "the recipe reads the environment"
    path = write_pinning(pinning_in_force(conda_forge_pinning, "linux-64"), tmp_path / "p.yaml")
    assert render([path], "linux-64")


def test_recipe_version_is_the_version_file() -> None:
    """One version: VERSION, which meson.build reads (and so pyproject.toml), and the recipe."""
    context = yaml.safe_load(RECIPE.read_text())["context"]
    assert context["version"] == VERSION
    assert isinstance(context["version"], str)
    assert re.search(r"version: files\('VERSION'\)", (REPO_ROOT / "meson.build").read_text())
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject


def test_installed_package_has_the_version() -> None:
    import chemlib

    assert chemlib.__version__ == VERSION


def test_working_tree_is_the_source() -> None:
    source = yaml.safe_load(RECIPE.read_text())["source"]
    assert source == {"path": ".."}
