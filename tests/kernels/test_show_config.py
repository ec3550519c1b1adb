"""chemlib.show_config() and the errors raised when a native library is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import chemlib
from chemlib._config import loaded_libraries, resolved_libraries
from chemlib._extensions import explain_import_error


def test_version_matches_the_distribution():
    from importlib.metadata import version

    assert chemlib.__version__ == version("chemlib-kernels")


def test_show_config_names_version_compilers_and_the_blas_in_use(capsys):
    chemlib.show_config()
    out = capsys.readouterr().out
    assert out.startswith(f"chemlib-kernels {chemlib.__version__}")
    assert "Fortran compiler:" in out
    assert "OpenMP: enabled" in out or "OpenMP: disabled" in out
    resolved = resolved_libraries()
    if resolved is not None:
        assert set(resolved) == {"BLAS", "LAPACK"}
        assert f"BLAS: {resolved['BLAS']}" in out
        assert Path(resolved["BLAS"]).exists()


@pytest.mark.skipif(sys.platform == "win32", reason="dladdr is POSIX")
def test_resolved_blas_is_the_library_chemlib_links():
    # The file behind chemlib's dgemv_ must be one the process has mapped and
    # that exports the netlib BLAS interface, never numpy's bundled copy.
    resolved = resolved_libraries()
    assert resolved is not None
    assert "numpy.libs" not in resolved["BLAS"]
    assert "blas" in Path(resolved["BLAS"]).name.lower() or "openblas" in resolved["BLAS"].lower()


def test_threadpoolctl_sees_the_openmp_runtime_when_built_with_openmp():
    from chemlib import _build_info

    apis = {lib["user_api"] for lib in loaded_libraries()}
    if _build_info.OPENMP:
        assert "openmp" in apis


@pytest.mark.parametrize(
    ("message", "library", "remedy"),
    [
        (
            "libblas.so.3: cannot open shared object file: No such file or directory",
            "libblas.so.3",
            "libblas liblapack",
        ),
        ("liblapack.so.3: cannot open shared object file", "liblapack.so.3", "libblas=*=*openblas"),
        (
            "dlopen(x.so): Library not loaded: @rpath/libgfortran.5.dylib",
            "libgfortran.5.dylib",
            "libgfortran",
        ),
        ("libgomp.so.1: cannot open shared object file", "libgomp.so.1", "OpenMP runtime"),
        ("libfoo.so.2: cannot open shared object file", "libfoo.so.2", "conda install"),
    ],
)
def test_missing_library_messages_name_it_and_the_remedy(message, library, remedy):
    text = explain_import_error("chemlib._rmsd", message)
    assert library in text
    assert remedy in text


def test_unrecognised_loader_error_still_points_at_native_libraries():
    text = explain_import_error("chemlib._rmsd", "DLL load failed while importing _rmsd")
    assert "BLAS/LAPACK" in text


@pytest.mark.skipif(
    shutil.which("patchelf") is None, reason="needs patchelf to break a copy of chemlib"
)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF patching is Linux-only")
def test_import_with_a_missing_blas_raises_a_helpful_error(tmp_path):
    # Copy the installed package, make one extension need a BLAS that does not
    # exist, and import the copy in a fresh interpreter.
    package = Path(chemlib.__file__).parent
    broken = tmp_path / "chemlib"
    shutil.copytree(package, broken)
    module = next(broken.glob("_mass_properties*.so"))
    subprocess.run(
        ["patchelf", "--replace-needed", "libblas.so.3", "libblas.so.99", str(module)], check=True
    )
    result = subprocess.run(
        [sys.executable, "-c", "import chemlib"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: chemlib could not load its compiled module")
    assert "libblas.so.99" in last_line
    assert "BLAS/LAPACK" in last_line
