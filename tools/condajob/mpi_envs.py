"""HPC through the solver: chemlib with MPICH, with Open MPI, and the two refused together.

conda-forge users choose the MPI when they install, ``conda install
chemlib-kernels mpi4py mpich`` (or ``openmpi``); the ``mpi`` mutex keeps two
implementations out of one environment. For one built variant this module
creates a fresh environment per implementation from the output channel and
the host channel, exactly from those specs (plus h5py for H5MD files), and
runs chemlib there under that environment's ``mpiexec``: the ``chemlib rmsd``
and ``chemlib rdf`` commands on 2 and 3 ranks (blocks of unequal size) must
write the bytes the serial engine writes. Then it asks for both
implementations at once: the solve must fail, and its message is kept.

chemlib-kernels itself has no MPI variants (petsc4py's precedent): its
compiled code never calls MPI, the MPI engine is mpi4py in Python.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rattler.exceptions import SolverError
from rattler_build import Package

from hostchannel.lock import MPI_IMPLEMENTATIONS
from hostchannel.mpi import MUTEX

from .envs import create_env, run_in_env
from .report import aligned
from .testenvs import pytest_counts

# Open MPI 5 refuses root and, on 2 cores, more ranks than cores unless told
# (MPICH ignores these); one OpenMP/BLAS thread per rank.
MPI_RUN_ENV = (
    "OMP_NUM_THREADS=1",
    "OMPI_ALLOW_RUN_AS_ROOT=1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
    "PRTE_MCA_rmaps_default_mapping_policy=:oversubscribe",
)
RANKS = (2, 3)
# 11 frames of 240 atoms: blocks of unequal size on 2 and 3 ranks.
WRITE_H5MD = (
    "import sys; sys.path.insert(0, 'tests/trajectory');"
    "from h5md_files import liquid, write_h5md;"
    "write_h5md(sys.argv[1], *liquid(11, 240))"
)
SAME_BYTES = (
    "import sys, numpy as np;"
    "a, b = np.load(sys.argv[1]), np.load(sys.argv[2]);"
    "sys.exit(0 if a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()"
    " else f'{sys.argv[2]} differs from {sys.argv[1]}')"
)
LIBRARY_VERSION = (
    "from mpi4py import MPI\n"
    "if MPI.COMM_WORLD.rank == 0: print(MPI.Get_library_version().splitlines()[0])"
)
# (analysis, extra arguments) of the chemlib commands compared with serial
ANALYSES = (("rmsd", ("--reference-frame", "3")), ("rdf", ("--nbins", "40")))
MPI_TESTS = "tests/trajectory/test_trajectory_mpi.py"
# What the environments get beyond the user's request: the MPI tests' runner.
TEST_SPECS = ("pytest",)


@dataclass
class MpiOutcome:
    """One MPI environment: what was asked, what the solver did, what ran."""

    label: str
    specs: list[str]
    expect_solve: bool
    installed: list[str] = field(default_factory=list)
    library: str | None = None  # MPI_Get_library_version's first line, on rank 0
    checks: int = 0  # chemlib runs under mpiexec that matched serial
    tests_passed: int = 0  # of MPI_TESTS, in this environment
    message: str | None = None  # the solver's refusal, for the mixed request
    error: str | None = None

    @property
    def ok(self) -> bool:
        """The environment did what it must: solved and passed, or (mixed) failed to solve."""
        return self.error is None


def _package(installed: list[str], name: str) -> str:
    return next((" ".join(i.split()[1:]) for i in installed if i.split()[0] == name), "-")


def _check_implementation(outcome: MpiOutcome, prefix: Path, log: Path) -> None:
    """Run chemlib under mpiexec in ``prefix`` and compare every answer with serial."""
    bin_dir = prefix / "bin"
    python, chemlib = str(bin_dir / "python"), str(bin_dir / "chemlib")
    mpiexec = ["env", *MPI_RUN_ENV, str(bin_dir / "mpiexec")]
    work = prefix / "mpi-check"
    work.mkdir()
    trajectory = str(work / "liquid.h5md")

    def step(command: list[str], what: str) -> str:
        done = run_in_env(prefix, command, log)
        if done.returncode:
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:]
            raise RuntimeError(f"{what}: exit {done.returncode}: {' '.join(last)}")
        return done.stdout

    step([python, "-c", WRITE_H5MD, trajectory], "writing the H5MD file")
    version = step([*mpiexec, "-n", "2", python, "-c", LIBRARY_VERSION], "mpi4py under mpiexec")
    # "MPICH Version:      5.0.2", "Open MPI v5.0.11, package: ...": the name and version
    first = version.strip().splitlines()[0] if version.strip() else ""
    outcome.library = " ".join(first.split(",")[0].split()) or None
    for analysis, arguments in ANALYSES:
        serial = str(work / f"{analysis}-serial.npy")
        step([chemlib, analysis, trajectory, *arguments, "--out", serial], f"chemlib {analysis}")
        for ranks in RANKS:
            out = str(work / f"{analysis}-mpi{ranks}.npy")
            command = [chemlib, analysis, trajectory, *arguments, "--engine", "mpi", "--out", out]
            step([*mpiexec, "-n", str(ranks), *command], f"mpiexec -n {ranks} chemlib {analysis}")
            step([python, "-c", SAME_BYTES, serial, out], f"chemlib {analysis} on {ranks} ranks")
            outcome.checks += 1
    # the project's MPI tests, run by this environment's python: its own MPI only
    done = run_in_env(prefix, [python, "-m", "pytest", MPI_TESTS, "-p", "no:cacheprovider"], log)
    outcome.tests_passed, failed = pytest_counts(done.stdout)
    if done.returncode or not outcome.tests_passed:
        raise RuntimeError(f"{MPI_TESTS}: {failed} failed, exit {done.returncode}")


def check_mpi_envs(package: Path, channels: list[str], work: Path, logs: Path) -> list[MpiOutcome]:
    """Create the MPICH and Open MPI environments for the build ``package``, then the mixed one.

    Never raises for a failing environment: each outcome carries its error.
    """
    built = Package.from_file(package)
    chemlib = f"{built.name} =={built.version} {built.build_string}"  # this very build
    requests = [
        MpiOutcome(
            implementation,
            [chemlib, "mpi4py", implementation, "h5py", *TEST_SPECS],
            expect_solve=True,
        )
        for implementation in MPI_IMPLEMENTATIONS
    ]
    requests.append(
        MpiOutcome(
            " + ".join(MPI_IMPLEMENTATIONS), [chemlib, "mpi4py", *MPI_IMPLEMENTATIONS], False
        )
    )
    for outcome in requests:
        name = f"mpi-{'-'.join(outcome.label.split(' + '))}"
        log, prefix = logs / f"{name}.log", work / name
        log.write_text(f"$ conda create -p {prefix} {shlex.join(outcome.specs)}\n")
        try:
            outcome.installed = create_env(prefix, channels, outcome.specs, work / "rattler")
        except Exception as exc:  # the solver's refusal, or a bad spec, or an install error
            outcome.message = str(exc).strip()
            with log.open("a") as handle:
                handle.write(f"{type(exc).__name__}:\n{outcome.message}\n")
            if outcome.expect_solve or not isinstance(exc, SolverError):
                outcome.error = f"{type(exc).__name__}: {outcome.message.splitlines()[0]}"
            elif f"{MUTEX} " not in outcome.message:
                outcome.error = f"refused, but not for the {MUTEX} mutex: {outcome.message}"
            continue
        with log.open("a") as handle:
            handle.write("installed:\n  " + "\n  ".join(outcome.installed) + "\n\n")
        if not outcome.expect_solve:
            outcome.error = "the solver installed both MPI implementations into one environment"
            continue
        try:
            _check_implementation(outcome, prefix, log)
        except RuntimeError as exc:
            outcome.error = str(exc)
    return requests


def mpi_table(outcomes: list[MpiOutcome]) -> str:
    """Rows of the closing table for the MPI environments."""
    header = ["MPI environment", "solver", "mpi4py", "MPI library", "chemlib under mpiexec"]
    rows = [header]
    for outcome in outcomes:
        if outcome.installed:
            solver = f"installed mpi {_package(outcome.installed, MUTEX)}"
        else:
            solver = "refused" if outcome.ok else "FAILED"
        if not outcome.expect_solve:
            runs = "refused as expected" if outcome.ok else f"FAILED: {outcome.error}"
        elif outcome.ok:
            ranks = "/".join(map(str, RANKS))
            runs = (
                f"{outcome.checks} runs = serial (rmsd, rdf on {ranks} ranks); "
                f"{MPI_TESTS.rsplit('/', 1)[-1]}: {outcome.tests_passed} passed"
            )
        else:
            runs = f"FAILED: {outcome.error}"
        rows.append(
            [
                outcome.label,
                solver,
                _package(outcome.installed, "mpi4py"),
                outcome.library or "-",
                runs,
            ]
        )
    return aligned(rows)


def write_mpi_summary(path: Path, outcomes: list[MpiOutcome]) -> None:
    """Machine-readable record of the MPI environments (output/mpi-summary.json)."""
    path.write_text(json.dumps([asdict(o) | {"ok": o.ok} for o in outcomes], indent=1) + "\n")
