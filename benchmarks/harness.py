"""Timing harness: every implementation of a case runs on the same inputs, in
the same process and run; chemlib's speed is reported as ratios against its
peers, never as absolute thresholds.
"""

from __future__ import annotations

import gc
import importlib.util
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHEMLIB = "chemlib"


@dataclass
class Case:
    """One benchmark: a kernel on fixed inputs, run by chemlib and its peers."""

    kernel: str  # the chemlib function, e.g. "distance_array"
    name: str  # what is measured, e.g. "5000x5000, orthorhombic"
    implementations: dict[str, Callable[[], object]]  # label -> zero-argument call
    # (chemlib result, peer result) -> None if they agree, else what differs
    check: Callable[[object, object], str | None] | None = None
    series: str | None = None  # scaling curves: cases of one series share it
    size: int | None = None  # problem size on the scaling curve


@dataclass
class Timing:
    """Timings of one implementation of a case."""

    label: str
    median_s: float
    q1_s: float
    q3_s: float
    repeats: int
    peak_mb: float | None
    error: str | None = None  # the implementation failed: no timing
    note: str | None = None  # it ran, but its output differs from chemlib's


@dataclass
class Result:
    """All timings of a case, chemlib first."""

    case: Case
    timings: list[Timing] = field(default_factory=list)

    def ratio(self, label: str) -> float | None:
        """Peer time / chemlib time (> 1: chemlib is faster)."""
        times = {t.label: t.median_s for t in self.timings if t.error is None}
        if CHEMLIB not in times or label not in times:
            return None
        return times[label] / times[CHEMLIB]


def available(module: str) -> bool:
    """Is an optional peer importable here?"""
    return importlib.util.find_spec(module) is not None


_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(key: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def peak_memory_mb(call: Callable[[], object]) -> float | None:
    """Peak resident memory one call adds, in MB (Linux: resets VmHWM first)."""
    try:
        gc.collect()
        _CLEAR_REFS.write_text("5")  # reset the high-water mark to the current RSS
        baseline = _status_kb("VmRSS")
        result = call()
        peak = _status_kb("VmHWM")
        del result
        return max(peak - baseline, 0) / 1024
    except OSError:
        return None


# A slow implementation stops repeating after this long (but runs at least twice).
MAX_SECONDS = 20.0
MAX_REPEATS = 200


def _done(times: list[float], min_seconds: float, min_repeats: int) -> bool:
    """Enough repeats of one implementation: min_repeats and min_seconds of its
    own time, or MAX_REPEATS, or (at least twice) MAX_SECONDS."""
    spent = sum(times)
    return (
        len(times) >= MAX_REPEATS
        or (len(times) >= 2 and spent > MAX_SECONDS)
        or (len(times) >= min_repeats and spent >= min_seconds)
    )


def time_interleaved(
    calls: dict[str, Callable[[], object]], min_seconds: float, min_repeats: int
) -> dict[str, list[float]]:
    """Time the implementations round by round: one call of each per round.

    On a machine shared with other work, the load changes from second to
    second; timing each implementation in a block of its own would give it
    its own load, and the ratios would measure the neighbours. Interleaved,
    every implementation sees the same conditions. An implementation leaves
    the rounds once it has enough repeats (_done); each was warmed up before.
    """
    times: dict[str, list[float]] = {label: [] for label in calls}
    active = list(calls)
    while active:
        for label in list(active):
            t0 = time.perf_counter()
            calls[label]()
            times[label].append(time.perf_counter() - t0)
            if _done(times[label], min_seconds, min_repeats):
                active.remove(label)
    return times


def run_case(
    case: Case, min_seconds: float, min_repeats: int, progress: Callable[[str], None]
) -> Result:
    """Time every implementation of the case, interleaved; peers whose output
    disagrees are flagged, peers that fail are reported, not fatal."""
    result = Result(case)
    reference = case.implementations[CHEMLIB]()
    notes: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for label, call in case.implementations.items():
        progress(f"  {case.kernel} [{case.name}] {label} ...")
        try:
            output = call()  # also the warm-up: first-touch pages, lazy imports, thread pools
            notes[label] = None
            if case.check is not None and label != CHEMLIB:
                notes[label] = case.check(reference, output)
        except Exception as error:
            errors[label] = repr(error)[:200]
    runnable = {label: call for label, call in case.implementations.items() if label not in errors}
    progress(f"  {case.kernel} [{case.name}]: {len(runnable)} implementations, interleaved ...")
    times = time_interleaved(runnable, min_seconds, min_repeats)
    for label, call in case.implementations.items():
        if label in errors:
            result.timings.append(Timing(label, np.nan, np.nan, np.nan, 0, None, errors[label]))
            continue
        own = times[label]
        q1, _, q3 = statistics.quantiles(own, n=4) if len(own) > 1 else (own[0],) * 3
        result.timings.append(
            Timing(
                label,
                statistics.median(own),
                q1,
                q3,
                len(own),
                peak_memory_mb(call),
                note=notes[label],
            )
        )
    return result


def same_values(atol: float) -> Callable[[object, object], str | None]:
    """Check for peers returning the same array: say how many values differ by more than atol."""

    def check(ours: object, theirs: object) -> str | None:
        ours_array = np.asarray(ours[0] if isinstance(ours, tuple) else ours, dtype=float)
        theirs_array = np.asarray(theirs, dtype=float).reshape(ours_array.shape)
        wrong = np.abs(theirs_array - ours_array) > atol
        if not wrong.any():
            return None
        largest = np.abs(theirs_array - ours_array).max()
        return f"{wrong.mean():.2%} of values differ by > {atol:g} (max {largest:.3g})"

    return check


def same_pair_count(ours: object, theirs: object) -> str | None:
    """Check for neighbour searches: the number of pairs found must match."""
    count = len(ours[0] if isinstance(ours, tuple) else ours)
    return None if count == theirs else f"found {theirs} pairs, chemlib {count}"
