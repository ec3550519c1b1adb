"""tools/linkage_report.py flags what it must: libraries from outside the env, bundled copies.

A small prefix is assembled by hand: an "extension module" compiled here that
links BLAS/LAPACK/libgfortran with conda's RPATH, a conda-meta record, and
(depending on the case) the netlib libraries inside the prefix or not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from linkage_report import SYSTEM, analyse, default_dirs

MULTIARCH = default_dirs()[1]  # /usr/lib/<this machine's multiarch triplet>
MODULE = "lib/python3.12/site-packages/chemlib/_kernel.cpython-312-x86_64-linux-gnu.so"
SOURCE = (
    "void dgemm_(void); void dsyev_(void); void _gfortran_os_error(const char *);\n"
    'void kernel(void) { dgemm_(); dsyev_(); _gfortran_os_error(""); }\n'
)


def _record(prefix: Path, name: str, files: list[str]) -> None:
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    record = {"name": name, "version": "1", "build": f"{name}_build", "files": files}
    (meta / f"{name}-1-0.json").write_text(json.dumps(record))


@pytest.fixture
def prefix(tmp_path) -> Path:
    if not shutil.which("gcc") or not shutil.which("patchelf"):
        pytest.skip("needs gcc and patchelf (tools/setup.sh installs them)")
    root = tmp_path / "env"
    module = root / MODULE
    module.parent.mkdir(parents=True)
    (tmp_path / "kernel.c").write_text(SOURCE)
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-o", str(module), str(tmp_path / "kernel.c"),
         f"-L{MULTIARCH / 'blas'}", f"-L{MULTIARCH / 'lapack'}", "-lblas", "-llapack", "-lgfortran",
         "-Wl,--disable-new-dtags,-rpath,$ORIGIN/../../.."],
        check=True,
    )  # fmt: skip
    _record(root, "chemlib-kernels", [MODULE])
    return root


def _install_netlib(prefix: Path) -> None:
    """Put Debian's netlib libraries and the GCC runtimes in the prefix, as packages."""
    (prefix / "lib").mkdir(exist_ok=True)
    for name, sources in (
        ("libblas", ["blas/libblas.so.3"]),
        ("liblapack", ["lapack/liblapack.so.3"]),
        ("libgfortran5", ["libgfortran.so.5", "libquadmath.so.0"]),
        ("libgcc", ["libgcc_s.so.1"]),
    ):
        for source in sources:
            shutil.copy(MULTIARCH / source, prefix / "lib")
        _record(prefix, name, [f"lib/{Path(source).name}" for source in sources])


def test_libraries_from_outside_the_environment_are_reported(prefix) -> None:
    report = analyse(prefix, import_package=False)
    outside = [p for p in report.problems if "resolves outside the environment" in p]
    assert {p.split(": ")[1].split()[0] for p in outside} >= {"libblas.so.3", "liblapack.so.3"}


def test_libraries_inside_the_environment_pass_and_name_their_package(prefix) -> None:
    _install_netlib(prefix)
    report = analyse(prefix, import_package=False)
    assert report.problems == []
    owners = {d.needed: d.owner for d in report.modules[0].dependencies}
    assert owners["libblas.so.3"] == "libblas 1 libblas_build"


def test_a_bundled_library_is_reported(prefix) -> None:
    _install_netlib(prefix)
    bundled = "lib/python3.12/site-packages/chemlib.libs/libopenblas.so.0"
    (prefix / bundled).parent.mkdir(parents=True)
    shutil.copy(prefix / "lib" / "libblas.so.3", prefix / bundled)
    _record(prefix, "chemlib-kernels", [MODULE, bundled])
    assert analyse(prefix, import_package=False).problems == [f"the package bundles {bundled}"]


@pytest.mark.parametrize(
    "name",
    ["libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld64.so.2"],
)
def test_glibc_and_every_architectures_loader_count_as_the_system(name) -> None:
    assert SYSTEM.match(name)


@pytest.mark.parametrize("name", ["libblas.so.3", "libgomp.so.1", "libcblas.so.3", "libcrypt.so.1"])
def test_other_libraries_do_not(name) -> None:
    assert not SYSTEM.match(name)


def test_default_directories_follow_the_machine() -> None:
    assert Path("/usr/lib/aarch64-linux-gnu") in default_dirs("aarch64")
    assert Path("/usr/lib/x86_64-linux-gnu") in default_dirs("x86_64")
    assert default_dirs("riscv64")[0] == Path("/lib64")
