"""The benchmark harness: timings, peer checks, the JSON record and the README table.

Speed itself is never asserted here (DEVELOPERS.md: ratios, not timings); these
tests check that the suite measures and reports what it says it does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import harness  # noqa: E402
import run  # noqa: E402
import table  # noqa: E402


def quiet(_: str) -> None:
    """A progress callback that prints nothing."""


def test_run_case_times_every_implementation_and_flags_disagreements():
    def broken() -> None:
        raise RuntimeError("peer not built for this CPU")

    case = harness.Case(
        "distance_array",
        "tiny",
        {
            harness.CHEMLIB: lambda: np.arange(4.0),
            "agreeing peer": lambda: np.arange(4.0),
            "disagreeing peer": lambda: np.arange(4.0) + 1,
            "broken peer": broken,
        },
        harness.same_values(1e-9),
    )
    result = harness.run_case(case, min_seconds=0.0, min_repeats=3, progress=quiet)
    timings = {t.label: t for t in result.timings}
    assert list(timings) == [harness.CHEMLIB, "agreeing peer", "disagreeing peer", "broken peer"]
    assert timings[harness.CHEMLIB].repeats >= 3
    assert timings["agreeing peer"].note is None
    assert "100.00% of values differ" in timings["disagreeing peer"].note
    assert "peer not built for this CPU" in timings["broken peer"].error
    assert np.isnan(timings["broken peer"].median_s)
    assert result.ratio("agreeing peer") == pytest.approx(
        timings["agreeing peer"].median_s / timings[harness.CHEMLIB].median_s
    )
    assert result.ratio("broken peer") is None


def test_implementations_are_timed_round_by_round():
    # Each implementation sees the same load on a shared machine: the timed
    # calls alternate, and one that is done leaves the rounds to the others.
    order: list[str] = []
    calls = {label: (lambda label=label: order.append(label)) for label in ("a", "b", "c")}
    times = harness.time_interleaved(calls, min_seconds=0.0, min_repeats=3)
    assert order[:9] == ["a", "b", "c"] * 3
    assert {label: len(t) for label, t in times.items()} == {"a": 3, "b": 3, "c": 3}
    slow_done = {"a": lambda: order.append("a"), "b": lambda: time.sleep(0.01)}
    order.clear()
    times = harness.time_interleaved(slow_done, min_seconds=0.02, min_repeats=1)
    assert len(times["b"]) == 2
    assert len(times["a"]) == harness.MAX_REPEATS


def test_same_pair_count_names_both_counts():
    assert harness.same_pair_count((np.zeros((5, 2)), np.zeros(5)), 5) is None
    assert harness.same_pair_count((np.zeros((5, 2)), np.zeros(5)), 4) == (
        "found 4 pairs, chemlib 5"
    )


def record(label: str, chemlib_s: float, peers: dict[str, float]) -> dict:
    """A benchmarks.json record of one case, as run.py writes it."""
    timings = [{"label": "chemlib", "median_s": chemlib_s, "error": None}]
    timings += [{"label": k, "median_s": v, "error": None} for k, v in peers.items()]
    timings.append({"label": "failed peer", "median_s": float("nan"), "error": "ImportError"})
    case = {"kernel": "calc_bonds", "name": "1e6", "series": None, "size": None}
    scaling = {"kernel": "rdf", "name": "scaling", "series": "rdf", "size": 1000}
    return {"label": label, "cases": [case | {"timings": timings}, scaling | {"timings": []}]}


def test_table_gives_each_run_its_own_ratios():
    fast = record("x86-64-v3", 0.005, {"mdtraj": 0.015, "MDAnalysis OpenMP": 0.020})
    slow = record("x86-64", 0.010, {"mdtraj": 0.016, "MDAnalysis OpenMP": 0.020})
    lines = table.render([fast, slow]).splitlines()
    assert lines[0].split(" | ")[4:7] == ["chemlib x86-64-v3", "ratio", "vs MDAnalysis OpenMP"]
    assert len(lines) == 3  # header, rule, one row: scaling points are left to the plot
    row = [cell.strip() for cell in lines[2].strip("|").split("|")]
    # Peers from the first run; a failed peer is never the fastest.
    assert row[:4] == ["calc_bonds", "1e6", "mdtraj", "15 ms"]
    assert row[4:7] == ["5 ms", "3.00", "4.00"]
    assert row[7:10] == ["10 ms", "1.60", "2.00"]


def test_run_writes_the_record_the_table_reads(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(run, "HERE", tmp_path)  # default output: HERE/results/<label>
    status = run.main(["--quick", "--only", "periodic", "--no-plot", "--label", "test"])
    assert status == 0
    result = json.loads((tmp_path / "results" / "test" / "benchmarks.json").read_text())
    assert result["label"] == "test"
    assert result["quick"] is True
    assert {c["kernel"] for c in result["cases"]} == {"wrap"}
    for case in result["cases"]:
        ours = next(t for t in case["timings"] if t["label"] == "chemlib")
        assert ours["error"] is None
        assert ours["median_s"] > 0
        assert ours["repeats"] >= 3
    assert "| wrap |" in capsys.readouterr().out
    assert "| wrap |" in table.render([result])


@pytest.mark.parametrize("given", [None, "ACTIVE"])
def test_the_script_waits_passively_unless_told_otherwise(tmp_path, given):
    # Run as a script, before any OpenMP runtime loads, run.py makes idle
    # OpenMP threads sleep rather than spin, so that one implementation's
    # runtime does not hold the cores the next one needs; an explicit
    # OMP_WAIT_POLICY is kept. The record says which policy was in force.
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given:
        env["OMP_WAIT_POLICY"] = given
    arguments = ["--quick", "--only", "periodic", "--match", r"wrap \[.*triclinic", "--no-plot"]
    subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), *arguments, "--output", str(tmp_path)],
        env=env,
        check=True,
        capture_output=True,
    )
    result = json.loads((tmp_path / "benchmarks.json").read_text())
    assert result["omp_wait_policy"] == (given or "PASSIVE")


def test_match_runs_only_the_cases_it_names(tmp_path):
    status = run.main(
        [
            "--quick",
            "--only",
            "periodic",
            "--match",
            r"wrap \[.*triclinic",
            "--no-plot",
            "--output",
            str(tmp_path),
        ]
    )
    assert status == 0
    result = json.loads((tmp_path / "benchmarks.json").read_text())
    assert [(c["kernel"], c["name"]) for c in result["cases"]] == [
        ("wrap", "1e+05 atoms, triclinic")
    ]


def test_run_rejects_an_unknown_suite(capsys):
    with pytest.raises(SystemExit):
        run.main(["--only", "periodic,nonsense"])
    assert "unknown suite(s) nonsense" in capsys.readouterr().err
