"""What the recipe checks in every package it builds, on every platform.

The recipe's ``package_contents`` test names every extension module for Unix
and for Windows, its OpenMP test fails a package built without OpenMP (and the
build scripts require it at configure time), and its kernel suite can run where
POSIX-only modules are missing (Windows).
"""

from __future__ import annotations

import importlib.machinery
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import chemlib

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPE = yaml.safe_load((REPO_ROOT / "recipe" / "recipe.yaml").read_text())
# Modules the standard library has on POSIX only (and the kernel suite must not need).
POSIX_ONLY = ("resource", "fcntl", "termios", "grp", "pwd", "pty", "tty", "syslog")


def _extension_modules() -> set[str]:
    """The compiled modules of the installed chemlib (what meson.build built)."""
    package = Path(chemlib.__file__).parent
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return {p.name.split(".")[0] for p in package.iterdir() if p.name.endswith(suffixes)}


def _contents_globs() -> dict[str, list[str]]:
    test = next(t for t in RECIPE["tests"] if "package_contents" in t)
    exists = test["package_contents"]["files"]["exists"][0]
    return {"unix": exists["then"], "win": exists["else"]}


@pytest.mark.parametrize("platform", ["unix", "win"])
def test_package_contents_names_every_extension_module(platform: str) -> None:
    suffix = {"unix": "*.so", "win": "*.pyd"}[platform]
    prefix = {"unix": "lib/python*/site-packages/chemlib/", "win": "Lib/site-packages/chemlib/"}
    listed = set()
    for glob in _contents_globs()[platform]:
        assert glob.startswith(prefix[platform]), glob
        assert glob.endswith(suffix), glob
        listed.add(glob.removeprefix(prefix[platform]).removesuffix(suffix))
    assert listed == _extension_modules()


@pytest.mark.parametrize("script", ["build.sh", "build.bat"])
def test_build_scripts_require_openmp(script: str) -> None:
    assert "-Csetup-args=-Dopenmp=enabled" in (REPO_ROOT / "recipe" / script).read_text()


def _openmp_command() -> str:
    scripts = [t["script"][0] for t in RECIPE["tests"] if "script" in t and "files" not in t]
    (command,) = [s for s in scripts if "OPENMP" in s]
    return command


@pytest.mark.parametrize("built_with_openmp", [True, False])
def test_openmp_test_fails_a_package_without_openmp(built_with_openmp, tmp_path) -> None:
    """Run the recipe's OpenMP check against a chemlib._build_info saying either."""
    fake = tmp_path / "chemlib"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "_build_info.py").write_text(f"OPENMP = {built_with_openmp}\n")
    command = _openmp_command().removeprefix("python -c ").strip('"')
    done = subprocess.run(
        [sys.executable, "-c", command], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert (done.returncode == 0) == built_with_openmp, done.stderr
    if not built_with_openmp:
        assert "without OpenMP" in done.stderr


def test_installed_chemlib_was_built_with_openmp() -> None:
    from chemlib import _build_info

    assert _build_info.OPENMP is True


_HIDE_POSIX = (
    "import sys\n"
    f"for name in {POSIX_ONLY!r}:\n"
    "    sys.modules[name] = None  # `import name` now raises ImportError\n"
    "import pytest\n"
    "sys.exit(pytest.main(sys.argv[1:]))\n"
)


def _pytest(*args: str, hide_posix: bool) -> subprocess.CompletedProcess:
    code = _HIDE_POSIX if hide_posix else "import sys, pytest; sys.exit(pytest.main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args, "-p", "no:cacheprovider"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_kernel_suite_collects_without_posix_only_modules() -> None:
    normal = _pytest("tests/kernels", "--collect-only", "-q", hide_posix=False)
    hidden = _pytest("tests/kernels", "--collect-only", "-q", hide_posix=True)
    assert hidden.returncode == 0, hidden.stdout[-3000:] + hidden.stderr[-3000:]
    # "998 tests collected in 1.6s": the same tests, and no collection error
    assert (
        normal.stdout.splitlines()[-1].split(" in ")[0]
        == (hidden.stdout.splitlines()[-1].split(" in ")[0])
    )


def test_posix_only_test_skips_cleanly_without_resource() -> None:
    test = "tests/kernels/test_neighbors.py::test_sparse_search_never_forms_the_full_matrix"
    done = _pytest(test, "-rs", hide_posix=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 skipped" in done.stdout
    assert "resource" in done.stdout
