"""Run the kernel suite on free-threaded CPython 3.13t, in a pip venv.

The interpreter is the host channel's own (tools/hostchannel/freethreaded.py:
built once per machine from Debian trixie's python3.13 source with
``--disable-gil``). chemlib is built as a wheel for it (with build isolation, as
pip users get it), installed with the newest NumPy that has a cp313t wheel,
and tests/kernels runs there, including tests/kernels/test_free_threading.py
(the GIL stays off after ``import chemlib``; kernels in 8 threads at once give
the serial results). The pip path of tools/numpy_ends.py, on one more Python.

    python tools/free_threaded_venv.py [--work DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from packaging.requirements import Requirement

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostchannel.freethreaded import ensure_freethreaded
from numpy_ends import TEST_REQUIREMENTS, available_versions, check_end
from variants import REPO_ROOT

# Hypothesis releases after this one (6.156 on) carry a Rust extension with no
# cp313t wheel (and there is no Rust toolchain here): the last pure-Python one is
# used on the free-threaded interpreter. It satisfies the project's hypothesis>=6.80.
FREE_THREADED_PINS = {"hypothesis": "hypothesis==6.155.7"}


def free_threaded_requirements() -> tuple[str, ...]:
    """Return the kernel suite's requirements with the pins the free-threaded Python needs."""
    return tuple(FREE_THREADED_PINS.get(Requirement(r).name, r) for r in TEST_REQUIREMENTS)


def main(argv: list[str] | None = None) -> int:
    """Build the interpreter if needed, run the suite, print one line; exit 1 on failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work",
        type=Path,
        default=REPO_ROOT / ".cache" / "free-threaded",
        help="directory for the wheel, venv and log (default: .cache/free-threaded)",
    )
    parser.add_argument("--json", type=Path, help="also write the result to this JSON file")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    interpreter = ensure_freethreaded()
    junit = args.work / "kernels-junit.xml"
    result = check_end(
        "free-threaded",
        interpreter.executable,
        available_versions(interpreter.executable)[::-1],
        args.work,
        # Wheels only: the newest SciPy (or NumPy) release may lack a cp313t
        # wheel, and pip would compile it from the sdist (20+ minutes here).
        requirements=("--only-binary=:all:", *free_threaded_requirements()),
        pytest_args=("--junitxml", str(junit), "-rs"),
        # Likewise for the build requirement numpy>=2.0 in build isolation.
        wheel_args=("--only-binary", "numpy"),
    )
    outcome = "passed" if result.passed else "FAILED"
    print(
        f"python {result.python} ({interpreter.executable}) + numpy {result.numpy}: "
        f"kernel suite {outcome} in {result.seconds:.0f}s; log {result.log}"
    )
    if args.json:
        args.json.write_text(json.dumps({**asdict(result), "junit": str(junit)}, indent=2))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
