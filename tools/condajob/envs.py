"""Fresh conda environments made with py-rattler, as ``conda create -c ... SPECS`` would."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

from packaging.version import Version
from rattler import Gateway, Override, VirtualPackage, VirtualPackageOverrides, install, solve

from variants import REPO_ROOT

SUBDIRS = ("linux-64", "noarch")


def create_env(
    prefix: Path, channels: list[str], specs: list[str], cache: Path, archspec: str | None = None
) -> list[str]:
    """Solve ``specs`` against ``channels`` (strict priority) and install into a new ``prefix``.

    The virtual packages are this machine's; ``archspec`` replaces the CPU name
    of ``__archspec``, as ``CONDA_OVERRIDE_ARCHSPEC`` does for conda. Returns the
    installed packages as ``name version build`` lines.
    """
    if prefix.exists():
        shutil.rmtree(prefix)
    overrides = VirtualPackageOverrides(archspec=Override.string(archspec)) if archspec else None

    async def _create() -> list[str]:
        records = await solve(
            sources=channels,
            specs=specs,
            gateway=Gateway(cache_dir=cache / "repodata"),
            virtual_packages=VirtualPackage.detect(overrides),
        )
        await install(records, target_prefix=prefix, cache_dir=cache / "pkgs", show_progress=False)
        return sorted(f"{r.name.normalized} {r.version} {r.build}" for r in records)

    return asyncio.run(_create())


def run_in_env(prefix: Path, command: list[str], log: Path) -> subprocess.CompletedProcess:
    """Run ``command`` in the repository with the environment first on PATH; output to ``log``.

    The repository root is the working directory because the kernel tests are
    run from the source tree (src/ is never on sys.path, so the installed
    package is the one imported).
    """
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env.update(PATH=f"{prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}", CONDA_PREFIX=str(prefix))
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    with log.open("a") as handle:
        handle.write(
            f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n[exit {result.returncode}]\n"
        )
    return result


def numpy_range(channels: list[str], python: str, floor: str, cache: Path) -> tuple[str, str]:
    """Oldest NumPy >= ``floor`` and newest NumPy the channels have for ``python`` ("3.13t").

    A build is recognised by its ``python_abi 3.12.* *_cp312`` dependency, which
    both conda-forge's NumPy and the host channel's shims declare; the ABI tag
    tells a free-threaded build (``*_cp313t``) from the other.
    """
    abi = "*_cp" + python.replace(".", "")
    python = python.removesuffix("t")

    async def _query() -> list[str]:
        gateway = Gateway(cache_dir=cache / "repodata")
        found = await gateway.query(channels, SUBDIRS, [f"numpy >={floor}"], recursive=False)
        return [
            str(record.version)
            for records in found
            for record in records
            if any(
                dep.split()[0] == "python_abi"
                and dep.split()[1].startswith(f"{python}.")
                and dep.split()[2:3] == [abi]
                for dep in record.depends
            )
        ]

    versions = sorted(set(asyncio.run(_query())), key=Version)
    if not versions:
        raise LookupError(f"no NumPy >= {floor} for python {python} in {channels}")
    return versions[0], versions[-1]
