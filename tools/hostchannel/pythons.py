"""Find the pyenv interpreters the host channel packages as ``python``.

Which Pythons the host channel holds is decided by the wheel lock (the Pythons
it locked wheels for, see lock.py), which in turn took every pyenv CPython the
project's ``requires-python`` admits when it was resolved. The host channel's
pinning then lists exactly these (pinning.py): nothing restates the matrix.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet


@dataclass(frozen=True)
class Interpreter:
    """A pyenv CPython that can back the ``python`` shim of one matrix entry."""

    python: str  # "3.12"
    version: str  # full version, "3.12.1"
    home: Path  # the installation's bin/ directory
    freethreading: bool = False  # built with --disable-gil (freethreaded.py)

    @property
    def label(self) -> str:
        """``3.12``, or ``3.13t`` for a free-threaded build: how the wheel lock keys it."""
        return self.python + ("t" if self.freethreading else "")

    @property
    def python_spec(self) -> str:
        """The pinning entry of this Python, as conda-forge writes it."""
        return conda_forge_python_spec(self.label)

    @property
    def executable(self) -> Path:
        """The versioned interpreter binary, ``bin/python3.12`` (``bin/python3.13t``)."""
        return self.home / f"python{self.label}"

    @property
    def cp_tag(self) -> str:
        """The CPython ABI tag, ``cp312`` (``cp313t``)."""
        return "cp" + self.label.replace(".", "")


def pyenv_root() -> Path:
    """Where pyenv keeps its interpreters (``$PYENV_ROOT``, ``pyenv root`` or ~/.pyenv)."""
    if root := os.environ.get("PYENV_ROOT"):
        return Path(root)
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True)
        return Path(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return Path.home() / ".pyenv"


def _patch_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def conda_forge_python_spec(python: str) -> str:
    """Return conda-forge's pinning entry for a CPython: ``3.12.* *_cpython``, ``3.13.* *_cp313``.

    python-feedstock's build strings end in ``_cpython`` up to 3.12 and in the
    ABI tag (``_cp313``) from 3.13 on, when free-threaded builds (``3.13t``:
    ``3.13.* *_cp313t``) appeared beside them.
    """
    version = python.removesuffix("t")
    tail = "cpython" if _patch_key(version) < (3, 13) else "cp" + python.replace(".", "")
    return f"{version}.* *_{tail}"


def installed_pythons(requires_python: str, root: Path | None = None) -> list[str]:
    """Every ``X.Y`` pyenv has an interpreter of that ``requires-python`` admits, oldest first."""
    admitted = SpecifierSet(requires_python)
    versions = (root or pyenv_root()) / "versions"
    found = {
        match[1]
        for path in versions.glob("*")
        if (match := re.fullmatch(r"(\d+\.\d+)\.\d+", path.name))
        and (path / "bin" / f"python{match[1]}").exists()
        and f"{match[1]}.0" in admitted
    }
    return sorted(found, key=_patch_key)


def find_interpreters(
    pythons: Iterable[str], root: Path | None = None
) -> tuple[list[Interpreter], list[str]]:
    """Match each ``X.Y`` with the newest pyenv patch release of it.

    A free-threaded ``X.Yt`` is the interpreter freethreaded.py builds (built
    on first use). Returns the interpreters found and the Pythons that have
    none on this machine.
    """
    versions = (root or pyenv_root()) / "versions"
    found, missing = [], []
    labels = set(pythons)
    free = {python for python in labels if python.endswith("t")}
    for python in sorted(labels - free, key=_patch_key):
        candidates = sorted(
            (
                path.name
                for path in versions.glob(f"{python}.*")
                if path.name.replace(".", "").isdigit()
                and (path / "bin" / f"python{python}").exists()
            ),
            key=_patch_key,
        )
        if candidates:
            found.append(Interpreter(python, candidates[-1], versions / candidates[-1] / "bin"))
        else:
            missing.append(python)
    if free:
        # pyenv has no free-threaded CPython here: the host channel builds its own.
        from .freethreaded import ensure_freethreaded

        built = ensure_freethreaded()
        found += [built] if built.label in free else []
        missing += sorted(free - {built.label})
    return found, missing
