"""Strong scaling of chemlib.trajectory on this machine, beside MDAnalysis' dask backend.

Two H5MD files are written (MDAnalysis can read them: group ``trajectory``,
units, a time-dependent cuboid box): an RMSD file with many frames of a large
system, where reading dominates, and an RDF file with fewer frames whose pair
search dominates. Each analysis then runs on every engine with 1, 2 and 4
workers (threads, Dask LocalCluster processes, MPI ranks under MPICH's
mpiexec), and with MDAnalysis' ``run(backend="dask", n_workers=N)`` on the same
file (``MDAnalysis.analysis.rms.RMSD`` and ``rdf.InterRDF``).

Reported as PMDA reports it (Fan et al., SciPy 2019; pmda.parallel.Timing):
the wall time of the call, the engine's start-up (the LocalCluster, or mpiexec
with MPI_Init), and per block the mean set-up (opening the file), reading and
computing time; speed-up S(N) = wall(1) / wall(N) within an engine and
efficiency E(N) = S(N) / N, from the fastest of the repeats, which run
interleaved. Every engine's result is checked against the serial one, bit for
bit. OMP_NUM_THREADS=1 throughout, so a worker is a core.

    python benchmarks/scaling.py                 # the README's table (12-16 minutes here)
    python benchmarks/scaling.py --quick         # small files, a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"  # before chemlib loads the OpenMP runtime

import h5py
import numpy as np

import chemlib
from chemlib.trajectory import RDF, RMSD, run

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT / "tools"))
ENGINES = ("serial", "threads", "dask", "mpi", "mdanalysis")
DENSITY = 0.1  # atoms per cubic Angstrom, about liquid water's
RDF_SETTINGS = {"nbins": 75, "range": (0.0, 10.0)}

MPI_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from chemlib.trajectory import RDF, RMSD, run
analysis = RMSD(0) if sys.argv[2] == "rmsd" else RDF(75, (0.0, 10.0))
outcome = run(analysis, sys.argv[1], engine="mpi")
if outcome is not None:
    result = outcome.result if sys.argv[2] == "rmsd" else outcome.result[1]
    json.dump({"inside": time.perf_counter() - started, "startup": outcome.startup,
               "timings": [t.__dict__ for t in outcome.timings], "result": result.tolist()},
              open(sys.argv[3], "w"))
"""


def write_trajectory(path: Path, n_frames: int, n_atoms: int, seed: int) -> Path:
    """Uniform atoms at liquid density in a breathing cuboid box, float32, Angstrom."""
    rng = np.random.default_rng(seed)
    length = (n_atoms / DENSITY) ** (1 / 3)
    with h5py.File(path, "w") as file:
        file.create_group("h5md").attrs["version"] = [1, 1]
        group = file.create_group("particles/trajectory")
        box = group.create_group("box")
        box.attrs["dimension"] = 3
        box.attrs["boundary"] = ["periodic"] * 3
        lengths = length * (1 + 0.005 * rng.standard_normal((n_frames, 3)))
        edges = box.create_group("edges")
        edges.create_dataset("value", data=lengths).attrs["unit"] = "Angstrom"
        edges.create_dataset("step", data=np.arange(n_frames))
        position = group.create_group("position")
        value = position.create_dataset(
            "value", shape=(n_frames, n_atoms, 3), dtype=np.float32, chunks=(1, n_atoms, 3)
        )
        value.attrs["unit"] = "Angstrom"
        for first in range(0, n_frames, 64):
            block = lengths[first : first + 64]
            value[first : first + 64] = rng.random((len(block), n_atoms, 3)) * block[:, None]
        position.create_dataset("step", data=np.arange(n_frames))
        position.create_dataset("time", data=np.arange(n_frames, dtype=float)).attrs["unit"] = "ps"
    return path


def chemlib_analysis(name: str):
    return RMSD(0) if name == "rmsd" else RDF(RDF_SETTINGS["nbins"], RDF_SETTINGS["range"])


def values_of(name: str, result) -> np.ndarray:
    return np.asarray(result if name == "rmsd" else result[1])


def block_means(timings: list[dict]) -> dict[str, float]:
    return {
        phase: statistics.fmean(t[phase] for t in timings) if timings else 0.0
        for phase in ("setup", "read", "compute")
    }


def time_chemlib(name: str, path: Path, engine: str, workers: int) -> dict:
    kw = {} if engine == "serial" else {"workers": workers}
    started = time.perf_counter()
    outcome = run(chemlib_analysis(name), path, engine=engine, **kw)
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "startup": outcome.startup,
        **block_means([t.__dict__ for t in outcome.timings]),
        "values": values_of(name, outcome.result),
    }


def time_mpi(name: str, path: Path, workers: int, scratch: Path) -> dict:
    import mpi_venvs

    python = mpi_venvs.ensure("mpich")
    script, out = scratch / "mpi_run.py", scratch / "mpi_result.json"
    script.write_text(MPI_SCRIPT)
    command = [python.parent / "mpiexec", "-n", str(workers), python, script, path, name, out]
    started = time.perf_counter()
    subprocess.run([str(c) for c in command], check=True, env=dict(os.environ))
    wall = time.perf_counter() - started
    record = json.loads(out.read_text())
    return {
        "wall": wall,
        # mpiexec's launch, the interpreters' start and MPI_Init: everything before the blocks.
        "startup": wall - record["inside"] + record["startup"],
        **block_means(record["timings"]),
        "values": np.asarray(record["result"]),
    }


def time_mdanalysis(name: str, path: Path, workers: int) -> dict:
    import MDAnalysis
    from MDAnalysis.analysis import rms
    from MDAnalysis.analysis.rdf import InterRDF

    started = time.perf_counter()
    universe = MDAnalysis.Universe(str(path), to_guess=())
    universe.add_TopologyAttr("masses", np.ones(len(universe.atoms)))
    if name == "rmsd":
        analysis = rms.RMSD(universe, select="all", ref_frame=0)
    else:
        analysis = InterRDF(universe.atoms, universe.atoms, exclusion_block=(1, 1), **RDF_SETTINGS)
    setup = time.perf_counter() - started
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Reader has no dt information", as it pickles
        analysis.run(backend="dask", n_workers=workers)
    wall = time.perf_counter() - started
    values = analysis.results.rmsd[:, 2] if name == "rmsd" else analysis.results.rdf
    return {"wall": wall, "startup": setup, "values": np.asarray(values)}


def time_case(case: tuple, path: Path, scratch: Path) -> dict:
    name, engine, workers = case
    if engine == "mpi":
        return time_mpi(name, path, workers, scratch)
    if engine == "mdanalysis":
        return time_mdanalysis(name, path, workers)
    return time_chemlib(name, path, engine, workers)


def measure(args: argparse.Namespace, files: dict[str, Path], scratch: Path) -> list[dict]:
    cases = [
        (name, engine, workers)
        for name in files
        for engine in args.engines
        for workers in ([1] if engine == "serial" else args.workers)
    ]
    # Interleaved: every repeat runs every case once, so a burst of load from the
    # machine's other users slows one sample of several cases, not all of one.
    samples: dict[tuple, list[dict]] = {case: [] for case in cases}
    for repeat in range(args.repeats):
        for case in cases:
            samples[case].append(time_case(case, files[case[0]], scratch))
            wall = samples[case][-1]["wall"]
            print(f"  {' '.join(map(str, case))} (run {repeat + 1}): {wall:.2f} s", file=sys.stderr)
    rows = []
    for name in files:
        reference = None
        for case in (c for c in cases if c[0] == name):
            best = dict(min(samples[case], key=lambda sample: sample["wall"]))
            values = best.pop("values")
            if case[1] == "mdanalysis":
                best["max_difference"] = float(np.max(np.abs(values - reference)))
            else:
                reference = values if reference is None else reference
                best["identical"] = bool(np.array_equal(values, reference))
            rows.append({"analysis": name, "engine": case[1], "workers": case[2], **best})
    for row in rows:
        one = next(
            r["wall"]
            for r in rows
            if (r["analysis"], r["engine"], r["workers"]) == (row["analysis"], row["engine"], 1)
        )
        row["speedup"] = one / row["wall"]
        row["efficiency"] = row["speedup"] / row["workers"]
    return rows


def table(record: dict) -> str:
    """The README's table: one row per analysis, engine and worker count."""
    lines = [
        "| analysis | engine | workers | wall (s) | start-up (s) | per block: set-up / read / "
        "compute (s) | speed-up | efficiency |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for row in record["rows"]:
        split = (
            f"{row['setup']:.3f} / {row['read']:.2f} / {row['compute']:.2f}"
            if "read" in row
            else "-"
        )
        engine = "MDAnalysis dask" if row["engine"] == "mdanalysis" else row["engine"]
        lines.append(
            f"| {row['analysis']} | {engine} | {row['workers']} | {row['wall']:.2f} | "
            f"{row['startup']:.2f} | {split} | {row['speedup']:.2f} | {row['efficiency']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small files (a smoke run)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--repeats", type=int, default=2, help="runs per case; the fastest counts")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "scaling")
    args = parser.parse_args(argv)
    sizes = {"rmsd": (2000, 20000), "rdf": (96, 4000)}  # frames, atoms
    if args.quick:
        sizes = {"rmsd": (40, 500), "rdf": (8, 300)}
    with tempfile.TemporaryDirectory(prefix="chemlib-scaling-") as directory:
        scratch = Path(directory)
        files = {
            name: write_trajectory(scratch / f"{name}.h5md", frames, atoms, seed)
            for seed, (name, (frames, atoms)) in enumerate(sizes.items())
        }
        load = os.getloadavg()[0]
        started = time.perf_counter()
        rows = measure(args, files, scratch)
    record = {
        "chemlib": chemlib.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "omp_num_threads": os.environ["OMP_NUM_THREADS"],
        "load_average_before": load,
        "load_average_after": os.getloadavg()[0],
        "seconds": round(time.perf_counter() - started, 1),
        "sizes": {name: {"frames": f, "atoms": a} for name, (f, a) in sizes.items()},
        "rdf": RDF_SETTINGS,
        "rows": rows,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "scaling.json").write_text(json.dumps(record, indent=1) + "\n")
    print(table(record))
    return 0 if all(row.get("identical", True) for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
