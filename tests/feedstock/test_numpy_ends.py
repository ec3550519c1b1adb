"""The claimed NumPy range holds at both ends, through pip (tools/numpy_ends.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_kernel_suite_passes_with_oldest_and_newest_numpy(tmp_path):
    report = tmp_path / "ends.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "tools" / "numpy_ends.py"),
            "--work",
            str(tmp_path),
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    ends = {end["end"]: end for end in json.loads(report.read_text())["ends"]}
    floor = json.loads(report.read_text())["floor"]
    # The oldest end really is the floor's release line, the newest a NumPy 2.
    assert ends["oldest"]["numpy"].startswith(floor)
    assert ends["newest"]["numpy"].split(".")[0] == "2"
    assert all(end["passed"] for end in ends.values())
