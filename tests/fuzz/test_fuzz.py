"""Fuzzing every public function, each batch of calls in a child process.

At least 10**5 random calls (CHEMLIB_FUZZ_CALLS) of every function in
chemlib.__all__ and chemlib.trajectory.__all__, drawn by fuzz_calls.py and
fuzz_trajectory_calls.py, run by fuzz_child.py in batches of
BATCH_SIZE, WORKERS children at a time. A call passes if it returns or raises
ValueError or TypeError; anything else fails the test, and so does a child
that dies (segfault, abort, a hang past BATCH_TIMEOUT): the parent then reads
which call was running, reports it, and carries on with the rest of the batch.
Every failure is reported with the command that replays it.

The seed is CHEMLIB_FUZZ_SEED if set, else derived from the commit under test
(else from the date): CI explores new calls with every commit, and a re-run of
one commit repeats its calls. It is printed with the count and the wall time
in pytest's terminal summary.

Why not hypothesis here: drawing one call's arrays through its strategies
takes ~2.5 ms, so 10**5 calls would take over 4 minutes of a core before any
kernel runs; numpy's generator draws a call in ~0.1 ms. Hypothesis drives
the property tests of tests/kernels/.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fuzz_calls import BUILDERS, describe, make_call
from fuzz_trajectory_calls import NOT_CALLED

import chemlib
import chemlib.trajectory

HERE = Path(__file__).resolve().parent
CHILD = HERE / "fuzz_child.py"
CALLS = int(os.environ.get("CHEMLIB_FUZZ_CALLS", 100_000))
BATCH_SIZE = 2_500
WORKERS = min(2, os.cpu_count() or 1)
BATCH_TIMEOUT = 600  # seconds; a batch takes ~2 s


def run_seed() -> int:
    """CHEMLIB_FUZZ_SEED, else the commit under test, else today's date (UTC)."""
    if "CHEMLIB_FUZZ_SEED" in os.environ:
        return int(os.environ["CHEMLIB_FUZZ_SEED"], 0)
    head = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    if head.returncode == 0:
        return int(head.stdout.strip()[:8], 16)
    return int(datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d"))


@dataclass
class BatchResult:
    """What one batch's children did: calls made, their outcomes, what went wrong."""

    calls: int = 0
    outcomes: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def batch_threads(batch: int) -> int:
    """OpenMP threads of a batch's children: one and two in turn, both paths of every kernel."""
    return 1 + batch % 2


def replay_command(seed: int, batch: int, index: int) -> str:
    return (
        f"OMP_NUM_THREADS={batch_threads(batch)} "
        f"python tests/fuzz/fuzz_child.py --replay {seed} {batch} {index}"
    )


def report(seed: int, batch: int, index: int, what: str) -> str:
    """A failure: what happened, the call itself, and how to run it again."""
    return (
        f"{what}\n    call {seed}/{batch}/{index}: {describe(make_call(seed, batch, index))}\n"
        f"    replay: {replay_command(seed, batch, index)}"
    )


def died(returncode: int) -> str:
    if returncode < 0:
        return f"child killed by {signal.Signals(-returncode).name}"
    return f"child exited with status {returncode}"


def crash_details(stderr: str) -> str:
    """The telling part of a dead child's stderr: an AddressSanitizer report's
    head (tools/asan_fuzz.sh), else the end (faulthandler's traceback)."""
    lines = stderr.splitlines()
    asan = [i for i, line in enumerate(lines) if "ERROR: AddressSanitizer" in line]
    shown = lines[asan[0] : asan[0] + 30] if asan else lines[-12:]
    return "".join(f"\n    {line}" for line in shown)


def run_batch(
    seed: int, batch: int, workdir: Path, size: int = BATCH_SIZE, extra: tuple[str, ...] = ()
) -> BatchResult:
    """Run calls 0..size-1 of a batch in children, one more after each one that dies."""
    result = BatchResult()
    progress = workdir / f"progress-{batch}"
    env = {**os.environ, "PYTHONFAULTHANDLER": "1", "OMP_NUM_THREADS": str(batch_threads(batch))}
    start = 0
    while start < size:
        command = [sys.executable, str(CHILD), *map(str, (seed, batch, start, size)), str(progress)]
        try:
            child = subprocess.run(
                [*command, *extra],
                capture_output=True,
                text=True,
                env=env,
                cwd=HERE,
                timeout=BATCH_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            child = None
        if child is not None and child.returncode == 0:
            summary = json.loads(child.stdout.splitlines()[-1])
            result.calls += summary["calls"]
            result.outcomes.update(summary["outcomes"])
            result.problems += [
                report(seed, batch, failure["index"], failure["error"])
                for failure in summary["failures"]
            ]
            return result
        # Empty if the child died before its first call (an import failed).
        written = progress.read_text().strip() if progress.exists() else ""
        index = int(written) if written else start
        what = f"hung for over {BATCH_TIMEOUT} s" if child is None else died(child.returncode)
        details = "" if child is None else crash_details(child.stderr)
        result.problems.append(report(seed, batch, index, what) + details)
        result.calls += index - start + 1
        start = index + 1
    return result


def test_every_public_function_is_fuzzed():
    # The trajectory API's names that are not called (constants, bases,
    # records) are listed with their reasons, and must still be public names.
    public = {name for name in chemlib.__all__ if name != "__version__"}
    trajectory = {f"trajectory.{name}" for name in chemlib.trajectory.__all__}
    not_called = {f"trajectory.{name}" for name in NOT_CALLED}
    assert not_called <= trajectory
    assert set(BUILDERS) == public | (trajectory - not_called)


def test_a_child_that_dies_is_reported_with_its_call(tmp_path):
    # The harness must see a crash: a child made to segfault at call 5 of 12
    # is reported with that call's replay command, and calls 6 to 11 still run
    # (in a new child; the dead one's tallies of calls 0 to 4 die with it).
    result = run_batch(3, 0, tmp_path, size=12, extra=("--crash-at", "5"))
    assert result.calls == 12
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert replay_command(3, 0, 5) in problem
    # Plain: SIGSEGV, and faulthandler's traceback. Under AddressSanitizer
    # (tools/asan_fuzz.sh): its SEGV report, then an abort or exit status 1.
    assert re.match(r"child (killed by SIG[A-Z]+|exited with status [1-9])", problem)
    assert (
        "Fatal Python error: Segmentation fault" in problem or "AddressSanitizer: SEGV" in problem
    )
    assert sum(result.outcomes.values()) == 6


def test_fuzz_every_public_function(tmp_path, fuzz_report):
    seed = run_seed()
    batches = -(-max(CALLS, 1) // BATCH_SIZE)
    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda batch: run_batch(seed, batch, tmp_path), range(batches)))
    elapsed = time.perf_counter() - started
    calls = sum(result.calls for result in results)
    outcomes = sum((result.outcomes for result in results), Counter())
    problems = [problem for result in results for problem in result.problems]
    kinds = Counter()
    for key, count in outcomes.items():
        kinds[key.rsplit(" ", 1)[1]] += count
    fuzz_report.append(
        f"{calls} calls of {len(BUILDERS)} functions in {elapsed:.0f} s "
        f"({WORKERS} child processes at a time), seed {seed} "
        f"(CHEMLIB_FUZZ_SEED={seed} repeats them): "
        + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        + f"; {len(problems)} failures"
    )
    fuzz_report.extend(problems[:20])
    assert calls >= CALLS
    never_returned = {name for name in BUILDERS if not outcomes[f"{name} returned"]}
    assert not never_returned, f"no call of {never_returned} got past the checks"
    if problems:
        pytest.fail(f"{len(problems)} fuzz failures:\n" + "\n".join(problems[:20]), pytrace=False)
