"""The kernel suite passes on free-threaded CPython 3.13t, through pip (free_threaded_venv.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The free-threading tests that must run (not skip) there.
REQUIRED = (
    "test_gil_stays_disabled_after_import",
    "test_eight_threads_at_once_with_different_sizes_and_boxes",
    "test_stress_many_short_concurrent_calls",
)


@pytest.mark.slow
def test_kernel_suite_passes_on_free_threaded_python(tmp_path):
    report = tmp_path / "free-threaded.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "tools" / "free_threaded_venv.py"),
            "--work",
            str(tmp_path),
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
    )
    result = json.loads(report.read_text()) if report.exists() else {}
    log = Path(result["log"]).read_text() if result else ""
    assert completed.returncode == 0, completed.stdout + completed.stderr + log[-5000:]
    assert result["python"] == "3.13t"
    assert result["numpy"].split(".")[0] == "2"
    cases = ElementTree.parse(result["junit"]).getroot().iter("testcase")
    outcomes: dict[str, set[str]] = {}
    for case in cases:
        name = case.get("name", "").split("[")[0]
        status = "skipped" if case.find("skipped") is not None else "ran"
        outcomes.setdefault(name, set()).add(status)
    for name in REQUIRED:
        assert outcomes.get(name) == {"ran"}, f"{name} did not run on 3.13t: {outcomes.get(name)}"
    assert sum(1 for _ in ElementTree.parse(result["junit"]).getroot().iter("testcase")) > 500
