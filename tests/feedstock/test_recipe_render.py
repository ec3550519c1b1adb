"""The recipe renders for every conda-forge platform with conda-forge's global pinning.

macOS, Windows and aarch64 builds cannot run here; rendering them with
conda-forge's real pinning (../shared/reference) plus the variant matrix proves
the recipe, its selectors and the matrix agree for linux-64, linux-aarch64,
osx-64, osx-arm64 (cross-compiled from osx-64, as conda-forge does) and win-64:
linux-64 with its two microarchitecture levels, the others with one build per
python, as before the levels. The host channel's own pinning and the
release-sdist source switch are rendered too.
"""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from condajob.recipe import project_version, recipe_environment, render
from hostchannel.pinning import write_pinning
from hostchannel.system import read_toolchain
from variants import load_matrix, load_variants

REPO_ROOT = Path(__file__).resolve().parents[2]

PLATFORMS = {  # target -> (build platform, C compiler, Fortran compiler, OpenMP runtime)
    "linux-64": ("linux-64", "gcc_linux-64", "gfortran_linux-64", "libgomp"),
    "linux-aarch64": ("linux-aarch64", "gcc_linux-aarch64", "gfortran_linux-aarch64", "libgomp"),
    "osx-64": ("osx-64", "clang_osx-64", "gfortran_osx-64", "llvm-openmp"),
    "osx-arm64": ("osx-64", "clang_osx-arm64", "gfortran_osx-arm64", "llvm-openmp"),
    "win-64": ("win-64", "vs2022_win-64", "flang_win-64", "llvm-openmp"),
}


def _names(specs: list[str]) -> list[str]:
    return [spec.split()[0] for spec in specs]


@pytest.fixture(scope="module")
def conda_forge_pinning(reference):
    return reference / "conda-forge-pinning-conda_build_config.yaml"


# The microarchitecture levels of recipe/conda_build_config.yaml; a selector
# keeps them to linux-64.
LEVELS = [int(level) for level in load_matrix()["microarch_level"]]


def _rendered(target: str, pinning: Path) -> list:
    with recipe_environment():
        return render(pinning, target, PLATFORMS[target][0])


@pytest.mark.parametrize("target", PLATFORMS)
def test_renders_with_conda_forge_pinning(target: str, conda_forge_pinning) -> None:
    build_platform, cc, fc, openmp = PLATFORMS[target]
    rendered = _rendered(target, conda_forge_pinning)
    builds_per_python = len(LEVELS) if target == "linux-64" else 1
    assert sorted(r.variant["python"] for r in rendered) == sorted(
        v.python_spec for v in load_variants() for _ in range(builds_per_python)
    )
    for variant in rendered:
        recipe = variant.recipe.to_dict()
        requirements = recipe["requirements"]
        build, host, run = (_names(requirements[k]) for k in ("build", "host", "run"))
        assert recipe["package"] == {"name": "chemlib-kernels", "version": project_version()}
        assert {cc, fc, "ninja", "pkg-config"} <= set(build), build
        assert any(
            name.startswith(("sysroot_", "macosx_deployment_target_", "vs_")) for name in build
        )
        assert {"python", "pip", "meson-python", "numpy", "libblas", "liblapack", openmp} <= set(
            host
        )
        assert "python" in requirements["run"]
        assert "numpy >=1.23" in requirements["run"]
        assert not {"libblas", "liblapack", "libgfortran5", "libgomp"} & set(run), (
            "hand-pinned natives"
        )
        cross = f"cross-python_{target}" in build
        assert cross == (build_platform != target), build
        assert ("clang" in build) == target.startswith("win")


def test_linux_64_builds_every_python_at_each_microarch_level(conda_forge_pinning) -> None:
    assert LEVELS == [1, 3]
    rendered = _rendered("linux-64", conda_forge_pinning)
    by_python: dict[str, list[int]] = {}
    for variant in rendered:
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
    assert len({r.recipe.to_dict()["build"]["string"] for r in rendered}) == len(rendered)


@pytest.mark.parametrize("target", [t for t in PLATFORMS if t != "linux-64"])
def test_other_platforms_have_no_microarch_levels(target: str, conda_forge_pinning) -> None:
    for variant in _rendered(target, conda_forge_pinning):
        recipe = variant.recipe.to_dict()
        assert "microarch_level" not in variant.variant
        assert recipe["build"]["number"] == 0
        assert recipe["build"]["string"].endswith("_0")
        assert not [s for s in recipe["requirements"]["build"] if "microarch" in s]


def test_conda_forge_pins_reach_the_build(conda_forge_pinning) -> None:
    with recipe_environment():
        variant = render(conda_forge_pinning, "linux-64")[0]
    build = variant.recipe.to_dict()["requirements"]["build"]
    assert "gcc_linux-64 15.*" in build
    assert "sysroot_linux-64 2.17.*" in build
    assert variant.variant["libblas"] == "3.9.* *netlib"


def test_renders_with_the_host_channel_pinning(tmp_path) -> None:
    toolchain = read_toolchain()
    pinning = tmp_path / "conda_build_config.yaml"
    write_pinning(pinning, toolchain)
    with recipe_environment():
        rendered = render(pinning, "linux-64")
    build = rendered[0].recipe.to_dict()["requirements"]["build"]
    assert f"gcc_linux-64 {toolchain.gcc_major}.*" in build
    assert f"sysroot_linux-64 {toolchain.glibc}.*" in build


def test_version_comes_from_the_environment_only(monkeypatch) -> None:
    monkeypatch.delenv("CHEMLIB_VERSION", raising=False)
    with pytest.raises(Exception, match="CHEMLIB_VERSION"):
        render(REPO_ROOT / "recipe" / "conda_build_config.yaml")


def test_release_switch_builds_from_the_sdist(tmp_path, conda_forge_pinning) -> None:
    mesonpy = pytest.importorskip("mesonpy")
    name = mesonpy.build_sdist(str(tmp_path), {"builddir": str(tmp_path / "build")})
    sdist = tmp_path / name
    sha256 = hashlib.sha256(sdist.read_bytes()).hexdigest()
    with recipe_environment(sdist_sha256=sha256):
        release = render(conda_forge_pinning, "linux-64")[0].recipe.to_dict()["source"]
    with recipe_environment():
        local = render(conda_forge_pinning, "linux-64")[0].recipe.to_dict()["source"]
    assert local == [{"path": ".."}]
    assert len(release) == 1
    assert release[0]["sha256"] == sha256
    assert release[0]["url"].endswith("/" + name), (release[0]["url"], name)
    # The recipe's tests take these files from the source: the sdist must carry them.
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    assert {
        "pyproject.toml",
        "LICENSE",
        "tools/linkage_report.py",
        "tests/kernels/conftest.py",
    } <= members
