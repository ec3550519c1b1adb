"""benchmarks/scaling.py measures what it says: every engine, PMDA's speed-up and
efficiency, results identical to serial (a smoke run on small files; speed is
never asserted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import scaling  # noqa: E402


def test_scaling_smoke_run(tmp_path, capsys):
    status = scaling.main(
        ["--quick", "--repeats", "1", "--workers", "1", "2", "--output", str(tmp_path)]
    )
    record = json.loads((tmp_path / "scaling.json").read_text())
    rows = record["rows"]
    assert status == 0, [r for r in rows if not r.get("identical", True)]
    expected = {
        (analysis, engine, workers)
        for analysis in ("rmsd", "rdf")
        for engine in scaling.ENGINES
        for workers in ([1] if engine == "serial" else [1, 2])
    }
    assert {(r["analysis"], r["engine"], r["workers"]) for r in rows} == expected
    for row in rows:
        one = next(
            r
            for r in rows
            if (r["analysis"], r["engine"], r["workers"]) == (row["analysis"], row["engine"], 1)
        )
        assert row["speedup"] == one["wall"] / row["wall"]
        assert row["efficiency"] == row["speedup"] / row["workers"]
        if row["engine"] == "mdanalysis":
            # MDAnalysis computes in float32 where chemlib computes in float64.
            assert row["max_difference"] < 1e-3
        else:
            assert row["identical"]
            assert min(row["setup"], row["read"], row["compute"], row["startup"]) >= 0
    assert scaling.table(record).count("\n") == len(rows) + 1
    assert "| rdf | MDAnalysis dask | 2 |" in capsys.readouterr().out
