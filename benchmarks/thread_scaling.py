"""Thread scaling of a per-frame analysis: free-threaded CPython against the GIL build and OpenMP.

A trajectory of frames is analysed frame by frame (per frame: the RMSD to the
first frame after superposition, the radius of gyration, the bond lengths of a
chain and the pairs within 3 Angstrom), three ways:

* ``threads``: T plain Python threads, each over its own contiguous share of
  the frames, ``OMP_NUM_THREADS=1`` (one core per thread);
* ``openmp``: one Python thread, every kernel call parallel inside with
  ``OMP_NUM_THREADS=T``.

Both run on every interpreter given (the free-threaded 3.13t and the normal
3.13 build of the same chemlib), each configuration in its own process, on two
frame sizes: small frames, where a call is short and the Python around it is a
large part of the time, and large frames, where the kernels dominate. Every
configuration's results are checked against the serial ones: bit for bit for
threads, to 1e-12 for OpenMP (its reductions split the sums differently).
Speed-ups are the fastest of the repeats, against the same interpreter's one
thread; "vs GIL" compares the same configuration across interpreters.

    python tools/free_threaded_venv.py   # the 3.13t venv (.cache/free-threaded/venv-free-threaded)
    python tools/numpy_ends.py           # a 3.13 venv with the GIL (.cache/numpy-ends/venv-newest)
    python benchmarks/thread_scaling.py \\
        --python .cache/free-threaded/venv-free-threaded/bin/python \\
        --python .cache/numpy-ends/venv-newest/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "results" / "thread-scaling" / "thread_scaling.json"
SIZES = {"small": (2000, 200), "large": (160, 8000)}  # name: (frames, atoms)
QUICK_SIZES = {"small": (40, 50), "large": (8, 400)}  # --quick: a smoke run
BOX = [40.0, 40.0, 40.0, 90.0, 90.0, 90.0]


def _frames(frames: int, atoms: int):
    import numpy as np

    rng = np.random.default_rng(frames * atoms)
    base = rng.uniform(0.0, 20.0 * (atoms / 200) ** (1 / 3), (atoms, 3))
    return base + rng.normal(scale=0.3, size=(frames, atoms, 3))


def _analyse(frames, first: int, last: int, out: list) -> None:
    import numpy as np

    import chemlib

    reference = frames[0]
    masses = np.ones(frames.shape[1])
    for f in range(first, last):
        frame = frames[f]
        pairs, _ = chemlib.self_capped_distance(frame, 3.0, box=BOX)
        out[f] = (
            chemlib.rmsd(frame, reference, superposition=True),
            chemlib.radius_of_gyration(frame, masses),
            float(chemlib.calc_bonds(frame[:-1], frame[1:], box=BOX).sum()),
            len(pairs),
        )


def worker(mode: str, threads: int, frames: int, atoms: int, repeats: int) -> dict:
    """Time one configuration in this process; return the best time and the results."""
    frames = _frames(frames, atoms)
    count = len(frames)
    best = float("inf")
    results: list = [None] * count
    for _ in range(repeats):
        results = [None] * count
        started = time.perf_counter()
        if mode == "openmp" or threads == 1:
            _analyse(frames, 0, count, results)
        else:
            bounds = [count * t // threads for t in range(threads + 1)]
            pool = [
                threading.Thread(target=_analyse, args=(frames, bounds[t], bounds[t + 1], results))
                for t in range(threads)
            ]
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
        best = min(best, time.perf_counter() - started)
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    return {"seconds": best, "gil": gil, "values": [list(map(float, r)) for r in results]}


def _label(python: str) -> str:
    script = (
        "import sys, sysconfig; print('%d.%d' % sys.version_info[:2]"
        " + ('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''))"
    )
    return subprocess.run(
        [python, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()


def measure(
    pythons: list[str], counts: list[int], repeats: int, sizes: dict[str, tuple[int, int]]
) -> list[dict]:
    """Run every configuration in its own process; return one row per configuration."""
    rows = []
    for size, (frames, atoms) in sizes.items():
        for python in pythons:
            label = _label(python)
            configs = [("threads", t) for t in counts] + [("openmp", t) for t in counts if t > 1]
            for mode, threads in configs:
                env = {**os.environ, "OMP_NUM_THREADS": str(threads if mode == "openmp" else 1)}
                args = [python, __file__, "--worker", mode, str(threads), str(frames)]
                args += [str(atoms), str(repeats)]
                out = subprocess.run(args, env=env, capture_output=True, text=True)
                if out.returncode:
                    raise RuntimeError(f"{label} {mode} x{threads} {size} failed:\n{out.stderr}")
                row = {"python": label, "mode": mode, "threads": threads, "size": size}
                row |= {"frames": frames, "atoms": atoms}
                rows.append(row | json.loads(out.stdout))
                if rows[-1]["gil"] != (not label.endswith("t")):
                    raise RuntimeError(
                        f"{label} ran with the GIL {'on' if rows[-1]['gil'] else 'off'}"
                    )
                print(
                    f"  {label:6} {size:5} {mode:7} x{threads}: {rows[-1]['seconds']:.3f}s",
                    flush=True,
                )
    _check(rows)
    return rows


def _check(rows: list[dict]) -> None:
    """Threads must reproduce their interpreter's serial results bit for bit; the rest
    (OpenMP, the other interpreter) must agree within rounding.

    With OMP_NUM_THREADS > 1 the BLAS and OpenMP reductions of the RMSD and the
    radius of gyration split their sums differently, a few ulp apart.
    """
    import numpy as np

    serial = {(r["python"], r["size"]): r["values"] for r in rows if r["threads"] == 1}
    first = {size: values for (_, size), values in serial.items()}
    for r in rows:
        values = r.pop("values")
        if r["mode"] == "threads" and values != serial[r["python"], r["size"]]:
            raise RuntimeError(f"{r}: results differ from the serial run")
        if not np.allclose(values, first[r["size"]], rtol=1e-12, atol=0):
            raise RuntimeError(f"{r}: results differ from the serial run beyond rounding")


def table(rows: list[dict]) -> str:
    """The README's table: time, speed-up over one thread, and ratio against the GIL build."""
    one = {(r["python"], r["size"]): r["seconds"] for r in rows if r["threads"] == 1}
    gil = {
        (r["size"], r["mode"], r["threads"]): r["seconds"]
        for r in rows
        if not r["python"].endswith("t")
    }
    lines = [
        "| frames | python | mode | threads | time (s) | speed-up vs 1 thread | vs GIL build |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        frames, atoms = r["frames"], r["atoms"]
        ref = gil.get((r["size"], r["mode"], r["threads"]))
        versus = f"{ref / r['seconds']:.2f}x" if ref and r["python"].endswith("t") else ""
        lines.append(
            f"| {frames} x {atoms} atoms | {r['python']} | {r['mode']} | {r['threads']} | "
            f"{r['seconds']:.3f} | {one[(r['python'], r['size'])] / r['seconds']:.2f}x | {versus} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure (or, with --worker, time one configuration), write JSON, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="interpreter with chemlib (repeat)")
    parser.add_argument("--threads", default="1,2,4", help="thread counts (default 1,2,4)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--quick", action="store_true", help="small frames: a smoke run")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        mode, *numbers = args.worker
        print(json.dumps(worker(mode, *map(int, numbers))))
        return 0
    if not args.python:
        parser.error("give at least one --python")
    counts = [int(t) for t in args.threads.split(",")]
    rows = measure(args.python, counts, args.repeats, QUICK_SIZES if args.quick else SIZES)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "rows": rows,
    }
    args.output.write_text(json.dumps(record, indent=1) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
