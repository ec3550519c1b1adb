"""Run the benchmark suite: chemlib against every installed peer, in one process.

    python benchmarks/run.py [--quick] [--only distances,rdf] [--match REGEX] [--output DIR]
                             [--label NAME]

For every case, each implementation is warmed up and then repeated; the table
gives chemlib's median time, the fastest peer's, and the ratio peer/chemlib
(> 1: chemlib is faster), plus the ratio against MDAnalysis' OpenMP backend
where it runs the same work. Results go to DIR/benchmarks.json and the plot to
DIR/benchmarks.png (default DIR: benchmarks/results/LABEL). Peers are optional
(benchmarks/requirements.txt); a missing one is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import sys
import textwrap
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

if __name__ == "__main__":
    # Before any OpenMP runtime loads (chemlib's and the peers' own bundled
    # copies each read it once): the implementations of a case run back to
    # back in one process, and with libgomp's default wait policy each
    # runtime's idle threads spin after its parallel region (some 300,000
    # pause instructions: ~14 ms where pause takes 140 cycles, as on recent
    # Intel cores), keeping the cores from the next implementation's threads.
    # Measured on 2 cores, rmsd_trajectory after mdtraj took 4.0 ms instead
    # of 0.65 ms. Passive waiting treats every implementation alike; set
    # OMP_WAIT_POLICY to measure otherwise.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import chemlib  # noqa: E402
from chemlib import _build_info  # noqa: E402
from harness import CHEMLIB, Result, run_case  # noqa: E402

# One module per kernel family, named after chemlib's module.
SUITES = ("distances", "geometry", "neighbors", "rdf", "rmsd", "mass_properties", "periodic")
MDANALYSIS_OPENMP = "MDAnalysis OpenMP"


def progress(message: str) -> None:
    """Report what is running on stderr."""
    print(message, file=sys.stderr, flush=True)


def fastest_peer(result: Result) -> tuple[str, float] | None:
    """The peer with the smallest median, ignoring chemlib's own variants."""
    peers = [t for t in result.timings if not t.label.startswith(CHEMLIB) and t.error is None]
    if not peers:
        return None
    best = min(peers, key=lambda t: t.median_s)
    return best.label, best.median_s


def table(results: list[Result]) -> str:
    """Markdown table: one row per case."""
    lines = [
        "| kernel | case | chemlib | fastest peer | peer time | ratio "
        "| vs MDAnalysis OpenMP | chemlib peak MB |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for result in results:
        ours = next(t for t in result.timings if t.label == CHEMLIB)
        best = fastest_peer(result)
        peer, peer_time = best if best else ("-", float("nan"))
        ratio = result.ratio(peer) if best else None
        versus_mda = result.ratio(MDANALYSIS_OPENMP)
        lines.append(
            f"| {result.case.kernel} | {result.case.name} | {ours.median_s * 1e3:.2f} ms "
            f"| {peer} | "
            f"{peer_time * 1e3:.2f} ms | {f'{ratio:.2f}' if ratio else '-'} | "
            f"{f'{versus_mda:.2f}' if versus_mda else '-'} | "
            f"{f'{ours.peak_mb:.0f}' if ours.peak_mb is not None else '-'} |"
        )
    return "\n".join(lines)


def notes(results: list[Result]) -> list[str]:
    """Failures and disagreements of peers, for the record."""
    found = []
    for result in results:
        for t in result.timings:
            if t.error or t.note:
                found.append(
                    f"{result.case.kernel} [{result.case.name}] {t.label}: {t.error or t.note}"
                )
    return found


def plot(results: list[Result], path: Path, label: str) -> None:
    """Ratios against the fastest peer, and the scaling curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results if r.case.series is None and fastest_peer(r)]
    series: dict[str, list[Result]] = {}
    for r in results:
        if r.case.series:
            series.setdefault(r.case.series, []).append(r)
    figure, axes = plt.subplots(
        1, 1 + len(series), figsize=(7 + 4.5 * len(series), 0.5 * len(rows) + 2)
    )
    axes = np.atleast_1d(axes)
    # Long case names wrapped: tight_layout does not widen the first panel's margin.
    labels = [f"{r.case.kernel}\n" + "\n".join(textwrap.wrap(r.case.name, 30)) for r in rows]
    ratios = [r.ratio(fastest_peer(r)[0]) for r in rows]
    colours = ["tab:green" if x >= 1 else "tab:red" for x in ratios]
    axes[0].barh(range(len(rows)), ratios, color=colours)
    axes[0].set_yticks(range(len(rows)), labels, fontsize=7)
    axes[0].invert_yaxis()
    axes[0].axvline(1.0, color="black", linewidth=0.8)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("fastest peer time / chemlib time (> 1: chemlib faster)")
    for ax, (name, curve) in zip(axes[1:], series.items(), strict=True):
        # chemlib first, so that it has the same colour in every panel.
        labels_in_series = sorted(
            {t.label for r in curve for t in r.timings if t.error is None},
            key=lambda label: (label != CHEMLIB, label),
        )
        for implementation in labels_in_series:
            points = [
                (r.case.size, t.median_s)
                for r in curve
                for t in r.timings
                if t.label == implementation and t.error is None
            ]
            ax.plot(*zip(*points, strict=True), marker="o", label=implementation)
        sizes = np.array([r.case.size for r in curve], dtype=float)
        first = next(t.median_s for t in curve[0].timings if t.label == CHEMLIB)
        ax.plot(sizes, first * sizes / sizes[0], "k:", label="linear")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("atoms")
        ax.set_ylabel("seconds")
        ax.set_title(f"{name}: scaling")
        ax.legend(fontsize=7)
    figure.suptitle(
        f"chemlib {chemlib.__version__} ({label} build) vs peers,"
        f" {platform.machine()}, {os.cpu_count()} cores"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    """Run the selected suites and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer repeats")
    parser.add_argument("--only", help=f"comma-separated suites out of: {', '.join(SUITES)}")
    parser.add_argument(
        "--output", type=Path, help="directory for JSON and plot (default: results/<label>)"
    )
    parser.add_argument(
        "--match",
        type=re.compile,
        help="only the cases whose 'kernel [case]' matches this regular expression"
        " (e.g. 'rmsd.*310|self_distance_array \\[6200')",
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the matplotlib plot")
    parser.add_argument(
        "--label",
        default="chemlib",
        help="name of this chemlib build in the results (e.g. x86-64-v3)",
    )
    args = parser.parse_args(argv)
    args.output = args.output or HERE / "results" / args.label
    suites = args.only.split(",") if args.only else list(SUITES)
    unknown = sorted(set(suites) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    min_seconds, min_repeats = (0.2, 3) if args.quick else (1.0, 7)
    started = time.perf_counter()
    results: list[Result] = []
    for suite in suites:
        module = importlib.import_module(f"bench_{suite}")
        progress(f"{suite}:")
        for case in module.cases(args.quick):
            if args.match is None or args.match.search(f"{case.kernel} [{case.name}]"):
                results.append(run_case(case, min_seconds, min_repeats, progress))
    print(table(results))
    for note in notes(results):
        print(f"- {note}")
    args.output.mkdir(parents=True, exist_ok=True)
    record = {
        "label": args.label,
        "chemlib": chemlib.__version__,
        "build": {"C": _build_info.C_COMPILER, "Fortran": _build_info.FORTRAN_COMPILER},
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "quick": args.quick,
        "seconds": round(time.perf_counter() - started, 1),
        "cases": [
            {
                "kernel": r.case.kernel,
                "name": r.case.name,
                "series": r.case.series,
                "size": r.case.size,
                "timings": [asdict(t) for t in r.timings],
            }
            for r in results
        ],
    }
    (args.output / "benchmarks.json").write_text(json.dumps(record, indent=1))
    if not args.no_plot:
        plot(results, args.output / "benchmarks.png", args.label)
    progress(f"wrote {args.output / 'benchmarks.json'} in {record['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
