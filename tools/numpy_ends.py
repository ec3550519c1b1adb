"""Test chemlib at both ends of its claimed NumPy range, in pip venvs.

The claimed range is the ``numpy>=`` floor in pyproject.toml. The oldest end
is the oldest Python pyproject's ``requires-python`` admits that pyenv has here, with the
oldest NumPy release at or above the floor that installs as a wheel there;
the newest end is the newest Python found with the newest NumPy. For each, a
wheel of chemlib is built for that Python (against NumPy 2, with build
isolation, as pip users get it), installed with the pinned NumPy into a fresh
venv, and the kernel suite runs against it.

    python tools/numpy_ends.py [--work DIR] [--json FILE]

The conda path (tools/conda_build.py) tests the same ends per Python through
the host channel; this is the pip path.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostchannel.lock import kernel_test_requirements, project_metadata, project_requirements
from hostchannel.pythons import find_interpreters, installed_pythons
from variants import REPO_ROOT

# What the kernel suite needs beside chemlib: pyproject's `test` extra and its runtime deps.
TEST_REQUIREMENTS = tuple(
    str(r)
    for r in (*map(Requirement, project_metadata()["dependencies"]), *kernel_test_requirements())
    if r.name != "numpy"
)

# "3.12", or "3.13t" for a free-threaded interpreter.
LABEL_SCRIPT = (
    "import sys, sysconfig; print('%d.%d' % sys.version_info[:2]"
    " + ('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''))"
)


@dataclass
class EndResult:
    """What one end of the range ran and how it went."""

    end: str
    python: str
    numpy: str
    passed: bool
    seconds: float
    log: str


def available_versions(python: Path) -> list[Version]:
    """NumPy releases pip lists for this interpreter, oldest first."""
    output = subprocess.run(
        [str(python), "-m", "pip", "index", "versions", "numpy"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    listed = re.search(r"Available versions: (.*)", output)
    if listed is None:
        raise RuntimeError(f"pip index versions numpy printed nothing usable:\n{output}")
    versions = [Version(v) for v in listed.group(1).split(", ")]
    return sorted(v for v in versions if not v.is_prerelease)


def run(command: list[str], log: Path, **kwargs) -> None:
    """Run a command, appending its output to log; raise on failure."""
    with log.open("a") as handle:
        handle.write(f"\n$ {' '.join(command)}\n")
        handle.flush()
        subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=True, **kwargs)


def pip_install(python: Path, log: Path, *requirements: str) -> None:
    """Install requirements quietly with the pip of `python`."""
    run([str(python), "-m", "pip", "install", "--quiet", *requirements], log)


def install_numpy(venv_python: Path, candidates: list[Version], log: Path) -> Version:
    """Install the first candidate that exists as a wheel for this Python."""
    for version in candidates:
        try:
            pip_install(venv_python, log, "--only-binary=:all:", f"numpy=={version}")
            return version
        except subprocess.CalledProcessError:
            continue
    raise RuntimeError("no NumPy wheel in the claimed range installs here")


def check_end(
    end: str,
    python: Path,
    candidates: list[Version],
    work: Path,
    requirements: tuple[str, ...] = TEST_REQUIREMENTS,
    pytest_args: tuple[str, ...] = (),
    wheel_args: tuple[str, ...] = (),
) -> EndResult:
    """Build a wheel for `python`, install it beside the chosen NumPy, run the kernel tests.

    ``requirements`` is what the suite needs beside chemlib and NumPy;
    ``pytest_args`` go to the kernel suite's pytest, ``wheel_args`` to ``pip wheel``.
    """
    version = subprocess.run(
        [str(python), "-c", LABEL_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    log = work / f"{end}-py{version}.log"
    log.unlink(missing_ok=True)
    start = time.perf_counter()
    venv = work / f"venv-{end}"
    shutil.rmtree(venv, ignore_errors=True)
    wheels = work / f"wheels-py{version}"
    shutil.rmtree(wheels, ignore_errors=True)
    numpy = "?"
    try:
        print(f"[{end}] building a chemlib wheel for Python {version} ...", flush=True)
        run(
            [
                str(python),
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                *wheel_args,
                "-w",
                str(wheels),
                str(REPO_ROOT),
            ],
            log,
        )
        run([str(python), "-m", "venv", str(venv)], log)
        venv_python = venv / "bin" / "python"
        numpy = str(install_numpy(venv_python, candidates, log))
        print(f"[{end}] Python {version} + NumPy {numpy}: installing and testing ...", flush=True)
        wheel = next(wheels.glob("chemlib_kernels-*.whl"))
        pip_install(venv_python, log, str(wheel), f"numpy=={numpy}", *requirements)
        run(
            [
                str(venv_python),
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-m",
                "not slow",
                "tests/kernels",
                *pytest_args,
            ],
            log,
            cwd=REPO_ROOT,
        )
        passed = True
    except (subprocess.CalledProcessError, RuntimeError, StopIteration) as error:
        with log.open("a") as handle:
            handle.write(f"\nFAILED: {error}\n")
        passed = False
    return EndResult(end, version, numpy, passed, round(time.perf_counter() - start, 1), str(log))


def main(argv: list[str] | None = None) -> int:
    """Test the oldest and the newest end; print a table; exit 1 if either fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work",
        type=Path,
        default=REPO_ROOT / ".cache" / "numpy-ends",
        help="directory for wheels, venvs and logs (default: .cache/numpy-ends)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)

    floor = Version(project_requirements()[1])
    requires_python = project_metadata()["requires-python"]
    found, _ = find_interpreters(installed_pythons(requires_python))
    pythons = [(i.python, i.executable) for i in found]
    if not pythons:
        raise SystemExit(f"pyenv has no Python that requires-python {requires_python} admits")
    oldest_python, newest_python = pythons[0][1], pythons[-1][1]
    oldest = [v for v in available_versions(oldest_python) if v >= floor]
    newest = [v for v in available_versions(newest_python) if v >= floor][::-1]
    results = [
        check_end("oldest", oldest_python, oldest, args.work),
        check_end("newest", newest_python, newest, args.work),
    ]
    print(f"\nNumPy range claimed: numpy>={floor}")
    print(f"{'end':8} {'python':7} {'numpy':8} {'result':7} {'seconds':>8}  log")
    for r in results:
        outcome = "passed" if r.passed else "FAILED"
        print(f"{r.end:8} {r.python:7} {r.numpy:8} {outcome:7} {r.seconds:8.1f}  {r.log}")
    if args.json:
        args.json.write_text(
            json.dumps({"floor": str(floor), "ends": [asdict(r) for r in results]}, indent=2)
        )
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
