"""Install a built variant into fresh environments and run the kernel tests there.

Two environments per variant cover both ends of the NumPy range the package
claims and both BLAS implementations: the oldest NumPy with reference netlib
BLAS, the newest NumPy with OpenBLAS. In each, the kernel suite runs from the
source tree against the installed package, then the linkage report and
``chemlib.show_config()`` record which BLAS the process really loaded.

A variant built at several microarchitecture levels offers the solver all its
builds, as a channel does: each environment records which one was installed,
and it must be the one ``condajob.microarch`` expects for the ``__archspec``
the solve saw (detected, or overridden for the lower levels).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from rattler_build import Package

from hostchannel.lock import kernel_test_requirements
from hostchannel.wheels import conda_spec
from variants import REPO_ROOT, Variant

from .envs import create_env, numpy_range, run_in_env
from .microarch import generic_cpu

LINKAGE_REPORT = REPO_ROOT / "tools" / "linkage_report.py"
KERNEL_TESTS = "tests/kernels"
# Free-threaded variants: imports every compiled module, prints the GIL's state.
GIL_CHECK = "tests/kernels/gil_check.py"
GIL_DISABLED = "GIL disabled after import chemlib"


@dataclass(frozen=True)
class EnvKind:
    """One kind of test environment."""

    label: str
    numpy_end: str  # "oldest" | "newest"
    blas: str  # build-string suffix of the libblas implementation
    archspec: str | None = None  # CPU name overriding the detected __archspec
    kernel_suite: bool = True  # run tests/kernels (the linkage report always runs)


ENV_KINDS = (
    EnvKind("numpy-oldest/netlib", "oldest", "netlib"),
    EnvKind("numpy-newest/openblas", "newest", "openblas"),
)


def archspec_override(level: int) -> EnvKind:
    """numpy-oldest/netlib on a CPU of exactly ``level``, as CONDA_OVERRIDE_ARCHSPEC makes it.

    It proves the solver's choice and, through the linkage report, that the build
    loads; the kernel suite already ran on this package in the recipe's tests.
    """
    cpu = generic_cpu(level)
    return EnvKind(f"archspec-{cpu}", "oldest", "netlib", archspec=cpu, kernel_suite=False)


@dataclass
class EnvOutcome:
    """What happened in one test environment."""

    env: EnvKind
    numpy: str | None = None
    passed: int = 0
    failed: int = 0
    blas: str | None = None  # the package that provided the loaded libblas.so.3
    installed: str | None = None  # build string of the chemlib-kernels the solver chose
    gil: str | None = None  # free-threaded variants: what gil_check.py printed
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Tests passed and the environment used the BLAS it asked for."""
        return self.error is None


def pytest_counts(output: str) -> tuple[int, int]:
    """Return the passed and failed (errors included) counts of a pytest summary."""
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|error)", output)}
    return counts.get("passed", 0), counts.get("failed", 0) + counts.get("error", 0)


def _loaded_blas(report: dict) -> str | None:
    owners = {dep["owner"] for dep in report["loaded"] if dep["needed"] == "libblas.so.3"}
    return owners.pop() if len(owners) == 1 else None


def check_in_env(
    candidates: list[Path],
    expected: Path,
    variant: Variant,
    env: EnvKind,
    channels: list[str],
    numpy_floor: str,
    work: Path,
    logs: Path,
    pytest_args: list[str],
) -> EnvOutcome:
    """Create one fresh environment and check it; never raises for test failures.

    The solver chooses among ``candidates``, the variant's packages of this run
    (never older ones left in the channel); ``expected`` is the one it must take.
    """
    outcome = EnvOutcome(env)
    name = f"{variant.tag}-{env.label.replace('/', '-')}"
    log, prefix, cache = logs / f"{name}.log", work / name, work / "rattler"
    want = Package.from_file(expected)
    builds = "|".join(Package.from_file(p).build_string for p in candidates)
    try:
        oldest, newest = numpy_range(channels, variant.tag_python, numpy_floor, cache)
        outcome.numpy = oldest if env.numpy_end == "oldest" else newest
        specs = [
            f"{want.name}[version='=={want.version}', build='^({builds})$']",
            f"numpy =={outcome.numpy}",
            f"libblas * *{env.blas}",
            *(conda_spec(r) for r in kernel_test_requirements()),
            *(("patchelf",) if sys.platform == "linux" else ()),
        ]
        installed = create_env(prefix, channels, specs, cache, archspec=env.archspec)
    except Exception as exc:  # a query, solve or install error belongs to this variant only
        outcome.error = f"environment: {exc}"
        log.write_text(outcome.error + "\n")
        return outcome
    outcome.installed = next(
        line.split()[2] for line in installed if line.split()[0] == str(want.name)
    )
    log.write_text("installed:\n  " + "\n  ".join(installed) + "\n\n")
    python = str(prefix / "bin" / "python")
    tests = None
    if env.kernel_suite:
        pytest = [python, "-m", "pytest", KERNEL_TESTS, "-p", "no:cacheprovider", *pytest_args]
        tests = run_in_env(prefix, pytest, log)
        outcome.passed, outcome.failed = pytest_counts(tests.stdout)
    gil = run_in_env(prefix, [python, GIL_CHECK], log) if variant.freethreading else None
    outcome.gil = gil.stdout.strip() if gil else None
    run_in_env(prefix, [python, "-c", "import chemlib; chemlib.show_config()"], log)
    linkage = run_in_env(
        prefix, [python, str(LINKAGE_REPORT), "--prefix", str(prefix), "--json"], log
    )
    report = json.loads(linkage.stdout) if linkage.stdout.lstrip().startswith("{") else None
    outcome.blas = _loaded_blas(report) if report else None
    if outcome.installed != want.build_string:
        outcome.error = f"the solver installed {outcome.installed}, not {want.build_string}"
    elif gil is not None and (gil.returncode or outcome.gil != GIL_DISABLED):
        outcome.error = f"{GIL_CHECK}: {outcome.gil or gil.stderr.strip()}"
    elif tests is not None and tests.returncode:
        outcome.error = f"kernel tests failed ({outcome.failed} failed)"
    elif report is None or report["problems"]:
        outcome.error = (
            f"linkage report: {report['problems'] if report else linkage.stderr.strip()}"
        )
    elif not (outcome.blas or "").endswith(env.blas):
        outcome.error = f"asked for libblas *{env.blas}, libblas.so.3 came from {outcome.blas}"
    return outcome
