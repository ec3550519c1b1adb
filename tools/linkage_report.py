"""Linkage report of an installed chemlib-kernels: what its extension modules load, from where.

rattler-build already fails the build when an extension links a library that is
no run requirement (overlinking) or a run requirement nothing links
(overdepending: recipe.yaml's ``dynamic_linking``). This checks what it cannot:
which libraries, resolved where, in the environment a user gets.

For every extension module of the package in a conda environment it lists the
NEEDED libraries and where the dynamic loader finds them (RPATH/RUNPATH read with
patchelf, ``$ORIGIN`` expanded, then the system's default directories), names the
conda package that owns each file, imports the package in the environment's own
python and reads which shared libraries are then mapped into the process.

It fails (exit 1) unless:
- the modules link the netlib ABI (libblas.so.3, liblapack.so.3) and libgfortran.so.5;
- every NEEDED library outside glibc resolves inside the environment;
- the package itself ships no shared library besides its extension modules.

Command line (Linux)::

    python tools/linkage_report.py --prefix ENV [--json]

The recipe's linkage test runs it inside the test environment; the build job
runs it for the BLAS-switch environments.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

PACKAGE = "chemlib-kernels"
EXTENSION = re.compile(r"\.(cpython-[^./]+|abi3)\.so$")
IMPORT_NAME = "chemlib"
REQUIRED = ("libblas.so.3", "liblapack.so.3", "libgfortran.so.5")
# glibc's libraries and its dynamic loader come from the system (the sysroot's
# run_export pins __glibc), under the loader's name for the architecture:
# ld-linux-x86-64.so.2, ld-linux-aarch64.so.1, ld64.so.2 (ppc64le). The host
# channel's sysroot shim carries these files.
SYSTEM = re.compile(
    r"^(?:lib(?:c|m|mvec|pthread|dl|rt|util|resolv)\.so\.\d+|ld-linux[\w.-]*\.so\.\d+|ld64\.so\.\d+)$"
)
# Debian's multiarch directory names for the machines conda-forge builds Linux on.
MULTIARCH = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu",
             "ppc64le": "powerpc64le-linux-gnu"}  # fmt: skip


def default_dirs(machine: str | None = None) -> tuple[Path, ...]:
    """Return the dynamic loader's default directories here (searched after RPATH/RUNPATH)."""
    arch = MULTIARCH.get(machine or platform.machine())
    multiarch = (Path("/lib") / arch, Path("/usr/lib") / arch) if arch else ()
    return (*multiarch, Path("/lib64"), Path("/usr/lib64"), Path("/lib"), Path("/usr/lib"))


# Printed by the environment's python after importing the package: every mapped .so.
_MAPS_SCRIPT = f"""
import {IMPORT_NAME}, json
paths = set()
with open("/proc/self/maps") as maps:
    for line in maps:
        path = line.split(maxsplit=5)[-1].strip()
        if ".so" in path.rsplit("/", 1)[-1]:
            paths.add(path)
print(json.dumps(sorted(paths)))
"""


@dataclass
class Dependency:
    """One NEEDED entry and where it resolves."""

    needed: str
    path: str | None
    owner: str | None  # "libblas 3.9.0 external_openblas", "system" or None


@dataclass
class Module:
    """One extension module of the package."""

    file: str
    rpath: str
    dependencies: list[Dependency] = field(default_factory=list)


@dataclass
class Report:
    """Everything the report found, and what is wrong with it."""

    prefix: str
    modules: list[Module]
    bundled: list[str]
    loaded: list[Dependency]
    problems: list[str]


def _patchelf(*args: str) -> str:
    try:
        return subprocess.run(
            ["patchelf", *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except FileNotFoundError as error:
        raise SystemExit(
            "patchelf not found: install it (conda: patchelf; Debian: apt-get install patchelf)"
        ) from error


def _owners(prefix: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """File (relative to prefix) -> owning package, and package name -> its files."""
    owners, files = {}, {}
    for record in (prefix / "conda-meta").glob("*.json"):
        meta = json.loads(record.read_text())
        label = f"{meta['name']} {meta['version']} {meta['build']}"
        files[meta["name"]] = meta.get("files", [])
        for path in files[meta["name"]]:
            owners[path] = label
    return owners, files


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def _search_dirs(library: Path, inherited: list[Path]) -> list[Path]:
    """Directories the loader searches for a library's NEEDED entries.

    RUNPATH applies to the library's own dependencies only; without it, its RPATH
    and those of the objects that loaded it apply (ld.so(8)).
    """
    runpath = _patchelf("--print-rpath", str(library))
    own = [
        Path(p.replace("$ORIGIN", str(library.parent))).resolve() for p in runpath.split(":") if p
    ]
    return [*own, *inherited] if own else inherited


def _owner_of(path: Path, prefix: Path, owners: dict[str, str]) -> str | None:
    try:
        relative = str(path.relative_to(prefix))
    except ValueError:
        return "system" if SYSTEM.match(path.name) else None
    return owners.get(relative)


def _resolve(needed: str, dirs: list[Path]) -> Path | None:
    return next((d / needed for d in [*dirs, *default_dirs()] if (d / needed).exists()), None)


def _walk(
    library: Path,
    dirs: list[Path],
    prefix: Path,
    owners: dict[str, str],
    seen: dict[str, Dependency],
) -> None:
    """Resolve the NEEDED entries of ``library`` and, recursively, of what they load."""
    search = _search_dirs(library, dirs)
    for needed in _patchelf("--print-needed", str(library)).split():
        if needed in seen:
            continue
        found = _resolve(needed, search)
        seen[needed] = Dependency(
            needed,
            str(found) if found else None,
            _owner_of(found, prefix, owners) if found else None,
        )
        if found and not SYSTEM.match(needed):
            _walk(found, search, prefix, owners, seen)


def _loaded(prefix: Path, owners: dict[str, str]) -> list[Dependency]:
    python = prefix / "bin" / "python"
    out = subprocess.run(
        [str(python), "-c", _MAPS_SCRIPT], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise RuntimeError(f"`import {IMPORT_NAME}` failed in {prefix}:\n{out.stderr}")
    loaded = []
    for raw in json.loads(out.stdout):
        path = Path(raw)
        loaded.append(Dependency(path.name, raw, _owner_of(path, prefix.resolve(), owners)))
    return loaded


def analyse(prefix: Path, import_package: bool = True) -> Report:
    """Build the linkage report of the package installed in ``prefix``.

    ``import_package=False`` skips importing it with the environment's python
    (the static part alone, for a prefix without a working interpreter).
    """
    prefix = prefix.resolve()
    owners, files = _owners(prefix)
    if PACKAGE not in files:
        raise SystemExit(f"{PACKAGE} is not installed in {prefix} (no conda-meta record)")
    shared = [f for f in files[PACKAGE] if ".so" in Path(f).name and _is_elf(prefix / f)]
    extensions = [f for f in shared if "/site-packages/" in f and EXTENSION.search(f)]
    bundled = sorted(set(shared) - set(extensions))
    modules, problems = [], []
    for ext in sorted(extensions):
        path = prefix / ext
        seen: dict[str, Dependency] = {}
        _walk(path, [], prefix, owners, seen)
        modules.append(Module(ext, _patchelf("--print-rpath", str(path)), list(seen.values())))
        for dep in seen.values():
            if dep.path is None:
                problems.append(f"{ext}: {dep.needed} not found")
            elif not SYSTEM.match(dep.needed) and not Path(dep.path).resolve().is_relative_to(
                prefix
            ):
                problems.append(
                    f"{ext}: {dep.needed} resolves outside the environment ({dep.path})"
                )
    linked = {dep.needed for module in modules for dep in module.dependencies}
    problems += [f"no extension module links {lib}" for lib in REQUIRED if lib not in linked]
    problems += [f"the package bundles {lib}" for lib in bundled]
    if not extensions:
        problems.append(f"{PACKAGE} has no extension modules in {prefix}")
    loaded = _loaded(prefix, owners) if import_package else []
    return Report(str(prefix), modules, bundled, loaded, problems)


def _short(path: str | None, prefix: str) -> str:
    return "NOT FOUND" if path is None else path.replace(prefix, "$PREFIX")


def format_report(report: Report) -> str:
    """Human-readable form of a report."""
    lines = [f"linkage of {PACKAGE} in {report.prefix}"]
    for module in report.modules:
        lines.append(f"  {module.file}  (RPATH {module.rpath or '-'})")
        for dep in module.dependencies:
            lines.append(
                f"    {dep.needed:<24} -> {_short(dep.path, report.prefix):<44} {dep.owner or ''}"
            )
    lines.append(f"  bundled shared libraries: {', '.join(report.bundled) or 'none'}")
    lines.append(f"  loaded after `import {IMPORT_NAME}` (from /proc/self/maps):")
    native = ("blas", "lapack", "gfortran", "gomp", "omp", "quadmath")
    for dep in report.loaded:
        if any(word in dep.needed for word in native):
            owner = dep.owner or "(not from a conda package)"
            lines.append(f"    {_short(dep.path, report.prefix):<60} {owner}")
    lines += [f"  PROBLEM: {p}" for p in report.problems] or [
        "  OK: native libraries come from the environment, nothing bundled"
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", type=Path, required=True, help="the conda environment")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = analyse(args.prefix)
    print(json.dumps(asdict(report), indent=1) if args.json else format_report(report))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
