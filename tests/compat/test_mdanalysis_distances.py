"""MDAnalysis' own distance tests pass against chemlib (tools/mdanalysis_compat.py).

The run happens in a venv of its own (MDAnalysis never enters .venv); this
test starts it, prints its counts into the log and checks its report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ADAPTED = {
    "distance_array",
    "self_distance_array",
    "capped_distance",
    "self_capped_distance",
    "calc_bonds",
    "calc_angles",
    "calc_dihedrals",
    "apply_PBC",
}


@pytest.mark.slow
def test_mdanalysis_distance_tests_pass_against_chemlib(tmp_path, capsys):
    report_file = tmp_path / "report.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "tools" / "mdanalysis_compat.py"),
            "--json",
            str(report_file),
        ],
        capture_output=True,
        text=True,
    )
    with capsys.disabled():
        print(f"\n{completed.stdout.strip()}", flush=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(report_file.read_text())
    outcomes = report["outcomes"]
    assert outcomes.get("failed", 0) == outcomes.get("error", 0) == 0
    assert outcomes.get("xpassed", 0) == outcomes.get("skipped", 0) == 0
    assert outcomes["xfailed"] == len(report["xfailed"])
    assert outcomes["deselected"] == len(report["deselected"])
    assert outcomes["passed"] + outcomes["xfailed"] + outcomes["deselected"] == report["collected"]
    # Every adapter ran: the module exercised chemlib's function behind each one.
    assert report["calls"].keys() == ADAPTED
    assert all(report["calls"].values()), report["calls"]
