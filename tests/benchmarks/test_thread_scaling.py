"""benchmarks/thread_scaling.py runs every configuration and checks its results (a smoke
run on small frames; speed is never asserted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import thread_scaling  # noqa: E402


def test_thread_scaling_smoke_run(tmp_path, capsys):
    output = tmp_path / "thread_scaling.json"
    argv = ["--quick", "--python", sys.executable, "--threads", "1,2", "--repeats", "1"]
    assert thread_scaling.main([*argv, "--output", str(output)]) == 0
    rows = json.loads(output.read_text())["rows"]
    assert {(r["size"], r["mode"], r["threads"]) for r in rows} == {
        (size, mode, threads)
        for size in thread_scaling.QUICK_SIZES
        for mode, threads in (("threads", 1), ("threads", 2), ("openmp", 2))
    }
    assert "| frames | python | mode |" in capsys.readouterr().out


def test_a_thread_that_differs_from_serial_is_an_error():
    def row(mode: str, threads: int, value: float) -> dict:
        return {"python": "3.13t", "size": "small", "mode": mode, "threads": threads,
                "values": [[value]]}  # fmt: skip

    thread_scaling._check([row("threads", 1, 1.0), row("openmp", 2, 1.0 + 1e-15)])
    with pytest.raises(RuntimeError, match="differ from the serial run"):
        thread_scaling._check([row("threads", 1, 1.0), row("threads", 2, 1.0 + 1e-15)])
