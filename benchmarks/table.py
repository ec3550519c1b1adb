"""Render the README's benchmark table from one or more runs of benchmarks/run.py.

    python benchmarks/table.py results/x86-64-v3/benchmarks.json results/baseline/benchmarks.json

The peers' times shown are the first run's; each run adds chemlib's time and
its ratios against the fastest peer (> 1: chemlib faster) and against
MDAnalysis' OpenMP backend, both measured in that same run. Scaling-curve
points are left to the plot.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

CHEMLIB = "chemlib"
MDANALYSIS_OPENMP = "MDAnalysis OpenMP"


def timings(case: dict) -> dict[str, float]:
    """Median seconds per implementation that ran."""
    return {t["label"]: t["median_s"] for t in case["timings"] if t["error"] is None}


def fastest_peer(times: dict[str, float]) -> tuple[str, float] | None:
    """The quickest implementation that is not chemlib."""
    peers = {k: v for k, v in times.items() if not k.startswith(CHEMLIB)}
    return min(peers.items(), key=lambda item: item[1]) if peers else None


def ms(seconds: float) -> str:
    """Milliseconds, three significant figures."""
    return f"{seconds * 1e3:.3g} ms"


def render(runs: list[dict]) -> str:
    """One row per (kernel, case) of the first run; one column pair per run."""
    labels = [run["label"] for run in runs]
    header = ["kernel", "case", "fastest peer", "its time"]
    for label in labels:
        header += [f"chemlib {label}", "ratio", "vs MDAnalysis OpenMP"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    by_case = [{(c["kernel"], c["name"]): c for c in run["cases"]} for run in runs]
    for case in runs[0]["cases"]:
        if case["series"]:
            continue
        key = (case["kernel"], case["name"])
        peer = fastest_peer(timings(case))
        row = [case["kernel"], case["name"], peer[0] if peer else "-", ms(peer[1]) if peer else "-"]
        for cases in by_case:
            times = timings(cases[key]) if key in cases else {}
            ours = times.get(CHEMLIB, math.nan)
            own_peer = fastest_peer(times)
            versus = times.get(MDANALYSIS_OPENMP)
            row += [
                ms(ours),
                f"{own_peer[1] / ours:.2f}" if own_peer and ours == ours else "-",
                f"{versus / ours:.2f}" if versus and ours == ours else "-",
            ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table for the runs given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "runs", nargs="+", type=Path, help="benchmarks.json files, peers from the first"
    )
    args = parser.parse_args(argv)
    print(render([json.loads(path.read_text()) for path in args.runs]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
