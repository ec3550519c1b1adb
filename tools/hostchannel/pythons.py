"""Find the interpreters of the variant matrix among the pyenv installations."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from variants import Variant, load_variants


@dataclass(frozen=True)
class Interpreter:
    """A pyenv CPython that can back the ``python`` shim of one matrix entry."""

    variant: Variant
    version: str  # full version, "3.12.1"
    home: Path  # the installation's bin/ directory

    @property
    def executable(self) -> Path:
        """The versioned interpreter binary, ``bin/python3.12``."""
        return self.home / f"python{self.variant.python}"

    @property
    def cp_tag(self) -> str:
        """The CPython ABI tag, ``cp312``."""
        return "cp" + self.variant.python.replace(".", "")


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


def find_interpreters(root: Path | None = None) -> tuple[list[Interpreter], list[Variant]]:
    """Match every matrix python with the newest pyenv patch release of it.

    Returns the interpreters found and the variants that have none on this machine.
    """
    versions = (root or pyenv_root()) / "versions"
    found, missing = [], []
    # One interpreter per python: the matrix may cross each python with several numpys.
    for variant in {v.python: v for v in load_variants()}.values():
        candidates = sorted(
            (
                path.name
                for path in versions.glob(f"{variant.python}.*")
                if path.name.replace(".", "").isdigit()
                and (path / "bin" / f"python{variant.python}").exists()
            ),
            key=_patch_key,
        )
        if candidates:
            found.append(Interpreter(variant, candidates[-1], versions / candidates[-1] / "bin"))
        else:
            missing.append(variant)
    return found, missing
