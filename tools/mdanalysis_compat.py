"""Run MDAnalysis' own distance tests against chemlib, in a venv of their own.

MDAnalysisTests/lib/test_distances.py (MDAnalysisTests from PyPI, pinned in
tests/compat/requirements.txt) runs with MDAnalysis.lib.distances' functions
replaced by the adapters of tests/compat/mdanalysis_adapter.py; the tests that
do not apply are listed, with their reasons, in tests/compat/differences.py.

The run never uses .venv's packages: it uses a venv of its own (made from the
same interpreter, reused while the requirements stay the same) that imports
the chemlib installed in the interpreter running this script through a
directory holding only a link to that package, so the tests exercise exactly
that build and nothing else of .venv.

    python tools/mdanalysis_compat.py [--work DIR] [--json FILE]

Prints the counts (passed, deselected, xfailed) and exits 1 if any test
failed or errored.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import chemlib

REPO_ROOT = Path(__file__).resolve().parents[1]
COMPAT = REPO_ROOT / "tests" / "compat"
REQUIREMENTS = COMPAT / "requirements.txt"
TEST_MODULE = "MDAnalysisTests.lib.test_distances"


def run(command: list[str], log: Path, **kwargs) -> int:
    """Run a command, appending its output to log; return its exit code."""
    with log.open("a") as handle:
        handle.write(f"\n$ {' '.join(command)}\n")
        handle.flush()
        return subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, **kwargs).returncode


def ensure_venv(venv: Path, log: Path) -> Path:
    """Make (or reuse) the venv with tests/compat/requirements.txt; return its python."""
    python = venv / "bin" / "python"
    stamp = venv / ".requirements-hash"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes() + sys.version.encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    print(f"creating {venv} with {REQUIREMENTS.relative_to(REPO_ROOT)} ...", flush=True)
    for command in (
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
    ):
        if run(command, log):
            raise SystemExit(f"failed: {' '.join(command)} (see {log})")
    stamp.write_text(wanted)
    return python


def link_chemlib(work: Path) -> Path:
    """Make a directory holding only a link to the chemlib package this interpreter imports."""
    package = Path(chemlib.__path__[0]).resolve()
    if not any(package.glob("_neighbors.*")):
        raise SystemExit(
            f"{package} holds no compiled kernels (an editable install?): install chemlib"
            " into the venv as tools/setup.sh does"
        )
    directory = work / "chemlib-under-test"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    (directory / "chemlib").symlink_to(package)
    return directory


def main(argv: list[str] | None = None) -> int:
    """Run the module against chemlib; print the counts; 1 if a test failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work",
        type=Path,
        default=REPO_ROOT / ".cache" / "mdanalysis-compat",
        help="directory for the venv, the log and the report (default: .cache/mdanalysis-compat)",
    )
    parser.add_argument("--json", type=Path, help="also write the report to this JSON file")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "run.log"
    log.unlink(missing_ok=True)
    report = work / "report.json"
    report.unlink(missing_ok=True)
    start = time.perf_counter()

    python = ensure_venv(work / "venv", log)
    linked = link_chemlib(work)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(linked), str(COMPAT)]))
    exit_code = run(
        [
            str(python),
            "-m",
            "pytest",
            "-c",
            str(COMPAT / "mdanalysis.ini"),
            "--rootdir",
            str(work),
            "--pyargs",
            TEST_MODULE,
            "-q",
            "--compat-report",
            str(report),
        ],
        log,
        cwd=work,
        env=environment,
    )
    if not report.exists():
        print(log.read_text()[-6000:])
        raise SystemExit(f"the compatibility run wrote no report (exit {exit_code}); log: {log}")
    results = json.loads(report.read_text())
    results["seconds"] = round(time.perf_counter() - start, 1)
    results["log"] = str(log)
    if Path(results["chemlib_path"]).resolve() != Path(chemlib.__path__[0]).resolve():
        raise SystemExit(f"the run imported chemlib from {results['chemlib_path']}")
    counts = results["outcomes"]
    print(
        f"MDAnalysis {results['mdanalysis']} test_distances.py against chemlib "
        f"{results['chemlib']}: "
        + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("passed", "deselected", "xfailed"))
        + ", "
        + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("failed", "error", "xpassed", "skipped"))
        + f" ({results['seconds']} s; the deselected and xfailed tests and why:"
        " tests/compat/differences.py)",
        flush=True,
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if exit_code != 0:
        print(log.read_text()[-6000:])
        print(f"FAILED: pytest exited with status {exit_code}; log: {log}")
    return 0 if exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
